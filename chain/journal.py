"""Raw signed transactions: fetched (or rebuilt) from a node while it lives, replayed on a chain that lost them.

A dev chain restarted empty loses the registry. The platform holds no authority's key, so it cannot redo what the
regulator and the certifiers did; it can only hand the chain the *same signed transactions* again. With the same
chain id and the same senders' nonces, they land as before: the registry at the same address, the same roots anchored,
the same transaction hashes. Only block numbers and times move.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from eth_account._utils.legacy_transactions import encode_transaction
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3.exceptions import TransactionNotFound

from chain.connection import Chain
from chain.errors import ChainError, ErrorDecoder, TransactionError, map_errors

__all__ = ["raw_transaction", "replay_transactions"]

log = logging.getLogger(__name__)
_NO_ERRORS = ErrorDecoder([])


def raw_transaction(chain: Chain, tx_hash: str) -> bytes:
    """The signed bytes of a mined transaction: ``eth_getRawTransactionByHash`` where the node has it (anvil, geth),
    else rebuilt from its fields and signature (Hardhat); checked against the hash either way.

    Raises:
        TransactionError: the node does not know the transaction, or the bytes do not hash to ``tx_hash``.
    """
    raw: bytes | None = None
    try:
        answer = chain.rpc("eth_getRawTransactionByHash", tx_hash)
        if answer:
            raw = bytes(HexBytes(answer))
    except ChainError:
        raw = None
    if raw is None:
        with map_errors(_NO_ERRORS, action=f"reading transaction {tx_hash}"):
            try:
                tx = chain.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            except TransactionNotFound:
                raise TransactionError(f"the node does not know transaction {tx_hash}", tx_hash=tx_hash) from None
        raw = _rebuild(dict(tx))
    if "0x" + keccak(raw).hex() != tx_hash.lower():
        raise TransactionError(f"the bytes rebuilt for {tx_hash} hash to 0x{keccak(raw).hex()}", tx_hash=tx_hash)
    return raw


def _rebuild(tx: dict[str, Any]) -> bytes:
    kind = int(tx.get("type", 0) or 0)
    if kind == 0:
        import rlp  # type: ignore[import-untyped]

        fields = [
            tx["nonce"],
            tx["gasPrice"],
            tx["gas"],
            bytes(HexBytes(tx["to"])) if tx.get("to") else b"",
            tx["value"],
            bytes(HexBytes(tx["input"])),
            tx["v"],
            int(HexBytes(tx["r"]).hex(), 16),
            int(HexBytes(tx["s"]).hex(), 16),
        ]
        return bytes(rlp.encode(fields))
    body: dict[str, Any] = {
        "type": kind,
        "chainId": tx["chainId"],
        "nonce": tx["nonce"],
        "gas": tx["gas"],
        "to": tx.get("to") or b"",
        "value": tx["value"],
        "data": HexBytes(tx["input"]),
        "accessList": [
            {"address": a["address"], "storageKeys": [HexBytes(k).hex() for k in a["storageKeys"]]}
            for a in tx.get("accessList", [])
        ],
    }
    if kind == 1:
        body["gasPrice"] = tx["gasPrice"]
    else:
        body["maxFeePerGas"] = tx["maxFeePerGas"]
        body["maxPriorityFeePerGas"] = tx["maxPriorityFeePerGas"]
    parity = int(tx["yParity"] if "yParity" in tx else tx["v"])
    signature = (parity, int(HexBytes(tx["r"]).hex(), 16), int(HexBytes(tx["s"]).hex(), 16))
    return bytes(encode_transaction(TypedTransaction.from_dict(body), signature))


def replay_transactions(
    chain: Chain, raws: Sequence[bytes], *, times: Sequence[int | None] | None = None, timeout: float = 60.0
) -> list[tuple[str, int, int]]:
    """Send the signed transactions in order, each mined before the next; returns ``(tx hash, block, block time)``.

    With ``times`` (each transaction's original block time), each is mined at its original time where the chain
    allows it (a node started before the journal's first block, see :func:`chain.devchain.start_node`); where it
    does not (a node that started later), it lands at the node's own time, later than before. Afterwards the chain's
    clock is brought back to now.

    Raises:
        TransactionError: one was refused or reverted (its sender's nonce or balance differs on this chain).
    """
    mined: list[tuple[str, int, int]] = []
    for i, raw in enumerate(raws):
        tx_hash = "0x" + keccak(raw).hex()
        when = times[i] if times is not None else None
        if when is not None:
            _mine_next_at(chain, when)
        with map_errors(_NO_ERRORS, action=f"replaying {tx_hash}"):
            chain.w3.eth.send_raw_transaction(raw)
            receipt = chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout)  # type: ignore[arg-type]
        if int(receipt["status"]) != 1:
            raise TransactionError(f"replayed transaction {tx_hash} reverted", tx_hash=tx_hash)
        block = int(receipt["blockNumber"])
        mined.append((tx_hash, block, chain.block_timestamp(block)))
    if times is not None:
        _mine_next_at(chain, int(time.time()), mine=True)
    log.info("replayed %s transactions", len(mined))
    return mined


def _mine_next_at(chain: Chain, when: int, *, mine: bool = False) -> None:
    """Have the next block mined at ``when`` if the chain is not past it yet (Hardhat and anvil; no-op elsewhere)."""
    if when <= chain.block_timestamp():
        return
    try:
        chain.rpc("evm_setNextBlockTimestamp", when)
        if mine:
            chain.rpc("evm_mine")
    except ChainError as exc:  # a node without the development methods: the transaction lands at its own time
        log.info("cannot set the next block's time on this node: %s", exc)
