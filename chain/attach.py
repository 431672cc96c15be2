"""Attaching to a registry known only by its address, as an auditor does: everything else is read from the chain.

An auditor has no deployment record of its own, and the platform's is the platform's word. Given the address,
:func:`attach_registry` checks that the code there is this registry's, finds the block that created it (a binary search
over ``eth_getCode`` at past blocks, so history replays start there) and the creating transaction, and returns a
:class:`~chain.deploy.Deployment` for :class:`~chain.registry.Registry`.
"""

from __future__ import annotations

import logging

from eth_typing import HexStr
from eth_utils.crypto import keccak
from web3 import Web3

from chain.artifacts import load_artifact
from chain.connection import Chain
from chain.deploy import Deployment
from chain.errors import ChainMismatchError, DeploymentError, ErrorDecoder, map_errors

__all__ = ["attach_registry", "block_hash"]

log = logging.getLogger(__name__)
_NO_ERRORS = ErrorDecoder([])


def _code_at(chain: Chain, address: str, block: int) -> bytes:
    with map_errors(_NO_ERRORS, action=f"reading the code at {address} in block {block}"):
        return bytes(chain.w3.eth.get_code(Web3.to_checksum_address(address), block_identifier=block))


def _creation_block(chain: Chain, address: str, head: int) -> int:
    """The first block at whose end ``address`` holds code (binary search; the code is there at ``head``)."""
    low, high = 0, head
    while low < high:
        middle = (low + high) // 2
        if _code_at(chain, address, middle):
            high = middle
        else:
            low = middle + 1
    return low


def _creation_tx(chain: Chain, address: str, block: int) -> tuple[str, str]:
    """(transaction hash, sender) of the transaction of ``block`` that created ``address``; empty when none did
    directly (a contract created by another contract)."""
    with map_errors(_NO_ERRORS, action=f"reading block {block}"):
        transactions = chain.w3.eth.get_block(block)["transactions"]
        for tx_hash in transactions:
            receipt = chain.w3.eth.get_transaction_receipt(HexStr("0x" + bytes(tx_hash).hex()))  # type: ignore[arg-type]
            created = receipt.get("contractAddress")
            if created is not None and str(created).lower() == address.lower():
                return "0x" + bytes(tx_hash).hex(), str(receipt["from"])  # type: ignore[arg-type]
    return "", ""


def attach_registry(chain: Chain, address: str, *, from_block: int | None = None) -> Deployment:
    """A deployment record of the registry at ``address``, read from ``chain``.

    Args:
        chain: The connected chain.
        address: The registry's address.
        from_block: The block it was created in, when known (skips the search).

    Raises:
        DeploymentError: ``address`` is not an address, or holds no code.
        ChainMismatchError: The code at ``address`` is not this version of the registry.
    """
    try:
        checksum = Web3.to_checksum_address(address)
    except ValueError:
        raise DeploymentError(f"{address!r:.60} is not an Ethereum address (0x + 40 hex digits)") from None
    code = chain.code_at(checksum)
    if not code:
        raise DeploymentError(f"no contract at {checksum} on chain {chain.chain_id} ({chain.url})")
    expected = load_artifact().deployed_bytecode
    if code != expected:
        raise ChainMismatchError(
            f"the code at {checksum} is not this version of the registry "
            f"(keccak 0x{keccak(code).hex()}, expected 0x{keccak(expected).hex()})"
        )
    block = from_block if from_block is not None else _creation_block(chain, checksum, chain.block_number())
    tx_hash, deployer = _creation_tx(chain, checksum, block)
    log.info("registry %s created in block %s by %s", checksum, block, deployer or "a contract")
    return Deployment(
        address=checksum,
        chain_id=chain.chain_id,
        genesis_hash=chain.genesis_hash,
        block_number=block,
        tx_hash=tx_hash,
        deployer=deployer,
        regulator="",
        code_hash="0x" + keccak(code).hex(),
    )


def block_hash(chain: Chain, block: int) -> str:
    """The hash of ``block`` (``0x`` hex)."""
    with map_errors(_NO_ERRORS, action=f"reading block {block}"):
        return "0x" + bytes(chain.w3.eth.get_block(block)["hash"]).hex()
