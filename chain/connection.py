"""Connecting to a chain: the in-process chain (eth-tester), a Hardhat node, anvil, or any JSON-RPC URL.

``connect("tester")`` starts an in-process py-evm chain; anything else is an HTTP(S) JSON-RPC URL, or several separated
by commas in order of preference (:class:`FailoverProvider`). The default comes from ``SUPPLYCHAIN_RPC_URL`` (else
``http://127.0.0.1:8545``, where ``supplychain chain up`` starts its node).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import requests
from eth_typing import HexStr
from web3 import EthereumTesterProvider, HTTPProvider, Web3
from web3.exceptions import BlockNotFound
from web3.providers.base import JSONBaseProvider
from web3.providers.rpc.utils import REQUEST_RETRY_ALLOWLIST, ExceptionRetryConfiguration
from web3.types import BlockIdentifier, RPCEndpoint, RPCResponse

from chain.accounts import DEV_ACCOUNTS
from chain.errors import ChainConnectionError, ErrorDecoder, map_errors

__all__ = [
    "DEFAULT_RPC_URL",
    "TESTER_URL",
    "Chain",
    "FailoverProvider",
    "answers",
    "connect",
    "default_rpc_url",
    "rpc_urls",
]

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

    def block_hash(self, block: BlockIdentifier = "latest") -> str | None:
        """The hash of ``block`` as the node sees it now (``0x`` + 64 hex), ``None`` when it has no such block (a
        reorganisation shortened the chain)."""
        with map_errors(_NO_ERRORS, action=f"reading block {block!r}"):
            try:
                return "0x" + bytes(self.w3.eth.get_block(block)["hash"]).hex()
            except BlockNotFound:
                return None

    def tip(self) -> tuple[int, str]:
        """The latest block's number and hash (a reorganisation changes the hash even at the same height)."""
        with map_errors(_NO_ERRORS, action="reading the latest block"):
            latest = self.w3.eth.get_block("latest")
            return int(latest["number"]), "0x" + bytes(latest["hash"]).hex()

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


def rpc_urls(url: str) -> list[str]:
    """The JSON-RPC URLs of ``url`` (one, or several separated by commas, in order of preference).

    Raises:
        ChainConnectionError: an entry is not an ``http(s)://`` URL, or the list is empty or repeats a URL.
    """
    urls = [part.strip() for part in url.split(",")]
    for part in urls:
        if not part.startswith(("http://", "https://")) or any(c.isspace() for c in part):
            raise ChainConnectionError(
                f"unsupported chain URL {part!r} in {url!r}: use http(s)://host:port (several separated by commas) "
                f"or {TESTER_URL!r}"
            )
    if len(set(urls)) != len(urls):
        raise ChainConnectionError(f"the chain URL list {url!r} names a URL twice")
    return urls


_FAILOVER_ERRORS = (requests.ConnectionError, requests.Timeout, requests.HTTPError, ConnectionError)


class FailoverProvider(JSONBaseProvider):
    """JSON-RPC over HTTP to several endpoints of one chain, in order of preference.

    Each request goes to the most preferred endpoint not marked down. An endpoint that cannot be reached, times out or
    answers with an HTTP error (after its own ``attempts``) is marked down for ``retry_after`` seconds and the request
    goes to the next one; the preferred endpoint is tried again once its time is up. A request therefore waits at most
    about ``len(urls) * attempts * timeout`` seconds before the last endpoint's error is raised. Before an endpoint
    serves its first request, its chain id and genesis block are compared with the first endpoint's that answered: an
    endpoint of another chain is never used (and :func:`connect` refuses the list if one answers at once).
    """

    def __init__(
        self, urls: Sequence[str], *, timeout: float = 10.0, attempts: int = 2, retry_after: float = 30.0
    ) -> None:
        super().__init__()
        if not urls:
            raise ChainConnectionError("no chain URL given")
        self.urls = list(urls)
        self.retry_after = retry_after
        self.timeout = timeout
        self._providers = [_http_provider(u, timeout=timeout, attempts=attempts) for u in self.urls]
        self._down_until = [0.0] * len(self.urls)
        self._identity: tuple[Any, Any] | None = None  # (chain id, genesis hash) the first answering endpoint gave
        self._checked = [False] * len(self.urls)
        self._lock = threading.Lock()
        self.current = 0  # the endpoint that answered last: /ready and logs say which one is in use

    def _order(self) -> list[int]:
        now = time.monotonic()
        up = [i for i in range(len(self.urls)) if self._down_until[i] <= now]
        down = sorted((i for i in range(len(self.urls)) if self._down_until[i] > now), key=self._down_until.__getitem__)
        return up + down  # every endpoint down: still try them all, the one back soonest first

    def _check_identity(self, i: int) -> None:
        """Refuse endpoint ``i`` when it serves another chain than the endpoints before it."""
        if self._checked[i]:
            return
        identity = _identity_of(self.urls[i], self.timeout)
        with self._lock:
            if self._identity is None:
                self._identity = identity
            elif identity != self._identity:
                self._down_until[i] = float("inf")
                raise ChainConnectionError(
                    f"{self.urls[i]} serves chain {identity[0]} with genesis {identity[1]}, not chain "
                    f"{self._identity[0]} with genesis {self._identity[1]} like the endpoints before it"
                )
            self._checked[i] = True

    def check_all(self) -> None:
        """Compare every endpoint that answers now with the first (one quick request each; those down are compared
        when first used).

        Raises:
            ChainConnectionError: an endpoint serves another chain.
        """
        for i in range(len(self.urls)):
            try:
                self._check_identity(i)
            except ChainConnectionError:
                raise
            except _FAILOVER_ERRORS:
                continue

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        """Send one request to the preferred endpoint that answers (see the class)."""
        last: Exception | None = None
        for i in self._order():
            if self._down_until[i] == float("inf"):
                continue  # another chain's endpoint
            try:
                self._check_identity(i)
                response = self._providers[i].make_request(method, params)
            except ChainConnectionError as exc:  # another chain's endpoint (before the transport errors: a subclass)
                last = exc
                log.error("%s", exc)
                continue
            except _FAILOVER_ERRORS as exc:
                last = exc
                self._down_until[i] = time.monotonic() + self.retry_after
                log.warning("chain endpoint %s failed (%s): trying the next one", self.urls[i], exc)
                continue
            if i != self.current:
                log.warning("chain endpoint %s now in use (was %s)", self.urls[i], self.urls[self.current])
                self.current = i
            self._down_until[i] = 0.0
            return response
        if isinstance(last, ChainConnectionError):
            raise last
        raise requests.ConnectionError(f"no chain endpoint answered ({', '.join(self.urls)}): {last}")

    def is_connected(self, show_traceback: bool = False) -> bool:
        """Whether some endpoint answers."""
        return any(p.is_connected(show_traceback) for p in self._providers)


def _identity_of(url: str, timeout: float) -> tuple[Any, Any]:
    """The chain id and genesis hash the node at ``url`` reports: two requests, no retries."""
    answers: list[Any] = []
    calls: tuple[tuple[str, list[Any]], ...] = (("eth_chainId", []), ("eth_getBlockByNumber", ["0x0", False]))
    for method, params in calls:
        response = requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, timeout=timeout
        )
        response.raise_for_status()
        try:
            answers.append(response.json().get("result"))
        except (ValueError, AttributeError):
            raise requests.HTTPError(f"{url} did not answer JSON-RPC") from None
    genesis = answers[1].get("hash") if isinstance(answers[1], dict) else None
    return answers[0], genesis


def answers(url: str, *, timeout: float = 1.0) -> bool:
    """Whether a JSON-RPC node answers at ``url`` (or at one of several) now: one ``eth_chainId`` request each, no
    retries (``"tester"``: yes).

    A quick look before the patient :func:`connect` (whose retries span seconds), for callers that would rather
    answer from what they know than wait while a node is down.
    """
    if url == TESTER_URL:
        return True
    for part in url.split(","):
        try:
            response = requests.post(
                part.strip(), json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=timeout
            )
        except (requests.RequestException, ValueError):
            continue
        if response.ok:
            return True
    return False


def connect(url: str | None = None, *, timeout: float = 10.0, attempts: int = 6) -> Chain:
    """Connect to a chain and read its chain id and genesis hash.

    Args:
        url: ``"tester"`` for the in-process chain, else a JSON-RPC URL; ``None`` for :func:`default_rpc_url`.
            Several URLs separated by commas are tried in that order of preference (:class:`FailoverProvider`).
        timeout: Seconds one HTTP request may take.
        attempts: How often a request that fails to connect is tried (with exponential backoff: 6 tries span about
            6 s) before :class:`ChainConnectionError`; with several URLs, per URL.

    Raises:
        ChainConnectionError: no node can be reached, a URL is malformed, or the URLs serve different chains.
    """
    url = url or default_rpc_url()
    tester = None
    if url == TESTER_URL:
        provider = EthereumTesterProvider()
        tester = provider.ethereum_tester
        w3 = Web3(provider)
    else:
        urls = rpc_urls(url)
        if len(urls) == 1:
            w3 = Web3(_http_provider(urls[0], timeout=timeout, attempts=attempts))
        else:
            failover = FailoverProvider(urls, timeout=timeout, attempts=attempts)
            with map_errors(_NO_ERRORS, action=f"connecting to {url}"):
                failover.check_all()
            w3 = Web3(failover)
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
