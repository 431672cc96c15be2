"""Connecting to a chain: the in-process chain (eth-tester), a Hardhat node, anvil, or any JSON-RPC URL.

``connect("tester")`` starts an in-process py-evm chain; anything else is an HTTP(S) JSON-RPC URL. The default comes
from ``SUPPLYCHAIN_RPC_URL`` (else ``http://127.0.0.1:8545``, where ``supplychain chain up`` starts its node).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_typing import HexStr
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST, ExceptionRetryConfiguration
from web3.types import BlockIdentifier

from chain.accounts import DEV_ACCOUNTS
from chain.errors import ChainConnectionError, ErrorDecoder, map_errors

__all__ = ["DEFAULT_RPC_URL", "TESTER_URL", "Chain", "answers", "connect", "default_rpc_url"]

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
TESTER_URL = "tester"

log = logging.getLogger(__name__)
_NO_ERRORS = ErrorDecoder([])


def default_rpc_url() -> str:
    """``SUPPLYCHAIN_RPC_URL``, else :data:`DEFAULT_RPC_URL`."""
    return os.environ.get("SUPPLYCHAIN_RPC_URL", DEFAULT_RPC_URL)


@dataclass
class Chain:
    """A connected chain.

    Attributes:
        w3: The web3 instance (used only inside :mod:`chain`).
        url: The JSON-RPC URL, or ``"tester"`` for the in-process chain.
        chain_id: The chain id the node reported on connect.
        genesis_hash: Hash of block 0, ``0x``-prefixed: tells a restarted dev chain from the one before.
    """

    w3: Web3
    url: str
    chain_id: int
    genesis_hash: str
    _tester: Any = field(default=None, repr=False)

    @property
    def is_tester(self) -> bool:
        """Whether this is the in-process chain (slow log queries: read history from receipts there)."""
        return self._tester is not None

    def block_number(self) -> int:
        """The latest block number."""
        with map_errors(_NO_ERRORS, action="reading the block number"):
            return int(self.w3.eth.block_number)

    def block_timestamp(self, block: BlockIdentifier = "latest") -> int:
        """The timestamp of ``block``."""
        with map_errors(_NO_ERRORS, action=f"reading block {block!r}"):
            return int(self.w3.eth.get_block(block)["timestamp"])

    def genesis_now(self) -> str:
        """The genesis hash the node reports now (differs from :attr:`genesis_hash` after a dev-chain reset)."""
        with map_errors(_NO_ERRORS, action="reading the genesis block"):
            return "0x" + bytes(self.w3.eth.get_block(0)["hash"]).hex()

    def code_at(self, address: str) -> bytes:
        """The deployed code at ``address`` (empty when none)."""
        with map_errors(_NO_ERRORS, action=f"reading the code at {address}"):
            return bytes(self.w3.eth.get_code(Web3.to_checksum_address(address)))

    def gas_used(self, tx_hash: str) -> int:
        """Gas used by the mined transaction ``tx_hash``."""
        with map_errors(_NO_ERRORS, action=f"reading the receipt of {tx_hash}"):
            return int(self.w3.eth.get_transaction_receipt(HexStr(tx_hash))["gasUsed"])

    def rpc(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC call (``evm_snapshot``, ``evm_increaseTime``, ...)."""
        with map_errors(_NO_ERRORS, action=f"calling {method}"):
            response = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in response:
            raise ChainConnectionError(f"{method} failed: {response['error']}")
        return response.get("result")

    def snapshot(self) -> Any:
        """Take a snapshot of the chain state (tests revert to it)."""
        if self._tester is not None:
            return self._tester.take_snapshot()
        return self.rpc("evm_snapshot")

    def revert(self, snapshot_id: Any) -> None:
        """Return to a snapshot taken with :meth:`snapshot`."""
        if self._tester is not None:
            self._tester.revert_to_snapshot(snapshot_id)
        else:
            self.rpc("evm_revert", snapshot_id)

    def increase_time(self, seconds: int) -> int:
        """Move the chain's clock forward by ``seconds`` and mine a block; returns the new block's timestamp."""
        if self._tester is not None:
            target = self.block_timestamp() + seconds
            self._tester.time_travel(target)
            return self.block_timestamp()
        self.rpc("evm_increaseTime", seconds)
        self.rpc("evm_mine")
        return self.block_timestamp()

    def mine(self) -> None:
        """Mine one empty block."""
        if self._tester is not None:
            self._tester.mine_blocks(1)
        else:
            self.rpc("evm_mine")


def _http_provider(url: str, *, timeout: float, attempts: int) -> HTTPProvider:
    retry = ExceptionRetryConfiguration(
        errors=(requests.ConnectionError, requests.Timeout, ConnectionError),
        retries=max(attempts, 1),  # web3 counts attempts here, the first one included
        backoff_factor=0.2,
        method_allowlist=[*REQUEST_RETRY_ALLOWLIST, "evm_snapshot", "evm_revert", "evm_mine", "evm_increaseTime"],
    )
    return HTTPProvider(url, request_kwargs={"timeout": timeout}, exception_retry_configuration=retry)


def answers(url: str, *, timeout: float = 1.0) -> bool:
    """Whether a JSON-RPC node answers at ``url`` now: one ``eth_chainId`` request, no retries (``"tester"``: yes).

    A quick look before the patient :func:`connect` (whose retries span seconds), for callers that would rather
    answer from what they know than wait while a node is down.
    """
    if url == TESTER_URL:
        return True
    try:
        response = requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=timeout
        )
    except (requests.RequestException, ValueError):
        return False
    return response.ok


def connect(url: str | None = None, *, timeout: float = 10.0, attempts: int = 6) -> Chain:
    """Connect to a chain and read its chain id and genesis hash.

    Args:
        url: ``"tester"`` for the in-process chain, else a JSON-RPC URL; ``None`` for :func:`default_rpc_url`.
        timeout: Seconds one HTTP request may take.
        attempts: How often a request that fails to connect is tried (with exponential backoff: 6 tries span about
            6 s) before :class:`ChainConnectionError`.

    Raises:
        ChainConnectionError: the node cannot be reached.
    """
    url = url or default_rpc_url()
    tester = None
    if url == TESTER_URL:
        provider = EthereumTesterProvider()
        tester = provider.ethereum_tester
        w3 = Web3(provider)
    elif url.startswith(("http://", "https://")):
        w3 = Web3(_http_provider(url, timeout=timeout, attempts=attempts))
    else:
        raise ChainConnectionError(f"unsupported chain URL {url!r}: use http(s)://host:port or {TESTER_URL!r}")
    with map_errors(_NO_ERRORS, action=f"connecting to {url}"):
        chain_id = int(w3.eth.chain_id)
        genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
    chain = Chain(w3=w3, url=url, chain_id=chain_id, genesis_hash=genesis, _tester=tester)
    if tester is not None:
        _fund_dev_accounts(chain)
    log.info("connected to %s (chain id %s)", url, chain_id)
    return chain


def _fund_dev_accounts(chain: Chain) -> None:
    """Give the well-known dev accounts ether on the in-process chain, as Hardhat and anvil do on theirs."""
    funder = chain.w3.eth.accounts[0]
    for account in DEV_ACCOUNTS:
        chain.w3.eth.send_transaction({"from": funder, "to": account.address, "value": Web3.to_wei(10_000, "ether")})
