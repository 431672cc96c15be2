"""Reading the chain itself: the node's chain id, the registry's code, and its whole history replayed into a mirror.

The scanner never asks the platform about keys, recognitions or roots: it replays the registry's logs from the node
the user names (``--rpc``) into a :class:`~supplychain.registry.RegistryMirror`, as the platform's own view does.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from chain.artifacts import load_artifact
from chain.connection import Chain, connect
from chain.deploy import Deployment
from chain.errors import ChainConnectionError, ChainError
from chain.registry import Registry
from scanner.errors import ScannerInputError
from supplychain.registry import RegistryMirror

__all__ = ["ADDRESS", "ChainView", "check_registry", "open_chain", "read_registry", "view_of"]

ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


@dataclass(frozen=True, slots=True)
class ChainView:
    """What the node said: its chain id and latest block (number and time).

    Attributes:
        chain: The connection.
        rpc: The node's URL.
        chain_id: The chain id the node reports.
        latest_block: The latest block number when read.
        latest_time: That block's timestamp (seconds).
    """

    chain: Chain
    rpc: str
    chain_id: int
    latest_block: int
    latest_time: int

    def now(self) -> int:
        """The later of this computer's clock and the chain's latest block (a dev chain may run ahead)."""
        return max(int(time.time()), self.latest_time)


def open_chain(rpc: str, *, timeout: float = 10.0) -> ChainView:
    """Connect to the node at ``rpc`` (two attempts) and read its chain id and latest block.

    Raises:
        ScannerInputError: ``bad_rpc`` (not an http(s) URL), ``node_unreachable``, ``chain_read_failed``.
    """
    if not rpc.startswith(("http://", "https://")):
        raise ScannerInputError("bad_rpc", rpc=rpc, detail="expected http(s)://host:port")
    try:
        return view_of(connect(rpc, timeout=timeout, attempts=2))
    except ChainConnectionError as exc:
        raise ScannerInputError("node_unreachable", rpc=rpc, detail=exc) from exc
    except ChainError as exc:
        raise ScannerInputError("chain_read_failed", rpc=rpc, detail=exc) from exc


def view_of(chain: Chain) -> ChainView:
    """The chain id and latest block of a connected chain (:class:`chain.errors.ChainError` when unreadable)."""
    block = chain.block_number()
    return ChainView(chain, chain.url, chain.chain_id, block, chain.block_timestamp(block))


def check_registry(view: ChainView, address: str) -> None:
    """Check that this version of the registry's code is at ``address``.

    Raises:
        ScannerInputError: ``no_registry`` (no code there), ``not_the_registry`` (other code), ``node_unreachable``,
            ``chain_read_failed``.
    """
    where = {"address": address, "chain_id": view.chain_id, "rpc": view.rpc}
    with _reading(view):
        code = view.chain.code_at(address)
    if not code:
        raise ScannerInputError("no_registry", **where)
    if code != load_artifact().deployed_bytecode:
        raise ScannerInputError("not_the_registry", **where)


def read_registry(view: ChainView, address: str, *, from_block: int = 0) -> RegistryMirror:
    """Check the registry's code at ``address`` and replay its history (``from_block`` to the latest block read)
    into a mirror.

    Raises:
        ScannerInputError: As :func:`check_registry`.
    """
    check_registry(view, address)
    deployment = Deployment(
        address=address,
        chain_id=view.chain_id,
        genesis_hash=view.chain.genesis_hash,
        block_number=from_block,
        tx_hash="",
        deployer="",
        regulator="",
        code_hash="",
    )
    with _reading(view):
        registry = Registry(view.chain, deployment, check=False)
        return RegistryMirror().apply_all(registry.history(to_block=view.latest_block))


@contextmanager
def _reading(view: ChainView) -> Iterator[None]:
    try:
        yield
    except ChainConnectionError as exc:
        raise ScannerInputError("node_unreachable", rpc=view.rpc, detail=exc) from exc
    except ChainError as exc:
        raise ScannerInputError("chain_read_failed", rpc=view.rpc, detail=exc) from exc
