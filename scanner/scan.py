"""One scan: get the bundle, read the chain, verify with the core's :func:`supplychain.verify.verify_bundle`.

The trusted registry is pinned by the user (:mod:`scanner.trust`: ``--registry``, else the trusted registries file's
entry for the node's chain); without one, the bundle's own address is checked but the verdict is at best incomplete
(``registry_not_pinned``, exit 1), and a warning says so. The chain id is the node's, never the bundle's (and must
be the pinned one, ``--chain-id``, when given): a bundle claiming another chain or registry fails (``other_chain``,
``other_registry``) without its events being looked at, and a bundle about another product than the scanned code
fails (``other_product``). Every other check is the core's.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.chainread import ADDRESS, ChainView, check_registry, open_chain, read_registry
from scanner.errors import Notice, ScannerInputError
from scanner.source import Source, load_source
from scanner.trust import TrustedRegistry
from supplychain.registry import RegistryMirror
from supplychain.verify import Verdict, VerdictStatus, verify_bundle

__all__ = ["AnchorSeen", "ScanResult", "Timings", "scan", "verify_source"]


@dataclass(frozen=True, slots=True)
class AnchorSeen:
    """Where the chain says an event's root was anchored (read from the registry's logs, not from the bundle)."""

    sequence: int
    block_number: int
    timestamp: int
    tx_hash: str


@dataclass(frozen=True, slots=True)
class Timings:
    """Milliseconds spent getting the bundle, reading the chain (round trips included) and verifying."""

    source_ms: float = 0.0
    chain_ms: float = 0.0
    verify_ms: float = 0.0

    def to_json(self) -> dict[str, float]:
        """``{"sourceMs", "chainMs", "verifyMs"}``, rounded to 0.1 ms."""
        return {
            "sourceMs": round(self.source_ms, 1),
            "chainMs": round(self.chain_ms, 1),
            "verifyMs": round(self.verify_ms, 1),
        }


@dataclass(frozen=True, slots=True)
class ScanResult:
    """The verdict and everything the scanner used to reach it.

    Attributes:
        source: Where the bundle came from.
        verdict: The core's verdict.
        rpc: The node read.
        chain_id: Its chain id.
        latest_block: The latest block when read (the history was replayed up to it).
        now: The time the verification used (seconds).
        registry: The registry address trusted.
        registry_from_bundle: Whether that address was taken from the bundle (nothing pinned).
        pinned_by: How the registry was pinned: ``option`` (``--registry``), ``trust_file``, or ``None``.
        notices: Warnings beside the verdict.
        anchors: Per event index, its root's anchor as the chain has it (absent: not anchored on chain).
        timings: How long each part took.
    """

    source: Source
    verdict: Verdict
    rpc: str
    chain_id: int
    latest_block: int
    now: int
    registry: str
    registry_from_bundle: bool
    pinned_by: str | None = None
    notices: tuple[Notice, ...] = ()
    anchors: dict[int, AnchorSeen] = field(default_factory=dict)
    timings: Timings = Timings()

    @property
    def verified(self) -> bool:
        """Whether every check passed (the only outcome that exits 0)."""
        return self.verdict.status is VerdictStatus.VERIFIED

    @property
    def exit_code(self) -> int:
        """0 when verified, 1 otherwise (failed, or incomplete)."""
        return 0 if self.verified else 1

    def to_json(self) -> dict[str, Any]:
        """The verdict's JSON (``supplychain.verify``) plus what the scanner adds."""
        return {
            **self.verdict.to_json(),
            "failures": list(self.verdict.failures),
            "source": self.source.to_json(),
            "rpc": self.rpc,
            "registry": {
                "address": self.registry,
                "takenFromBundle": self.registry_from_bundle,
                "pinnedBy": {"option": "option", "trust_file": "trustFile"}.get(self.pinned_by or ""),
            },
            "chain": {"chainId": self.chain_id, "latestBlock": self.latest_block, "verifiedAt": self.now},
            "anchors": {
                str(i): {"sequence": a.sequence, "blockNumber": a.block_number, "timestamp": a.timestamp}
                for i, a in sorted(self.anchors.items())
            },
            "warnings": [n.to_json() for n in self.notices],
            "timings": self.timings.to_json(),
        }


def _check_option(registry: str | None) -> None:
    if registry is not None and ADDRESS.fullmatch(registry) is None:
        raise ScannerInputError("bad_registry_option", value=registry)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _pinned(
    view: ChainView, registry: str | None, chain_id: int | None, trusted: Mapping[int, TrustedRegistry]
) -> tuple[str | None, str | None]:
    """The registry the user pinned for the node's chain, and how (``option``, ``trust_file``); ``(None, None)``."""
    if chain_id is not None and view.chain_id != chain_id:
        raise ScannerInputError("other_node_chain", rpc=view.rpc, chain_id=view.chain_id, pinned=chain_id)
    if registry is not None:
        return registry, "option"
    entry = trusted.get(view.chain_id)
    if entry is not None:
        return entry.address, "trust_file"
    return None, None


def verify_source(
    source: Source,
    *,
    rpc: str,
    registry: str | None = None,
    from_block: int = 0,
    timeout: float = 10.0,
    view: ChainView | None = None,
    source_ms: float = 0.0,
    chain_id: int | None = None,
    trusted: Mapping[int, TrustedRegistry] | None = None,
) -> ScanResult:
    """Verify a loaded bundle against the chain at ``rpc`` (or the already opened ``view``), and the registry pinned
    by ``registry`` (an address) or ``trusted`` (a trusted registries file's entries, by chain id); ``chain_id``
    pins the chain the node must be on.

    Raises:
        ScannerInputError: ``bad_registry_option``, ``other_node_chain``, or the chain cannot be read (see
            :mod:`scanner.chainread`).
    """
    _check_option(registry)
    bundle = source.bundle
    started = time.perf_counter()
    view = view or open_chain(rpc, timeout=timeout)
    pinned, pinned_by = _pinned(view, registry, chain_id, trusted or {})
    trusted_address = pinned or bundle.registry_address
    notices = list(source.notices)
    if pinned is None:
        notices.insert(0, Notice("registry_from_bundle", {"address": trusted_address}))
    ours = view.chain_id == bundle.chain_id and trusted_address.lower() == bundle.registry_address.lower()
    if ours:
        mirror = read_registry(view, trusted_address, from_block=from_block)
    else:  # the verdict fails whatever the registry holds; only check that a registry pinned is really there
        if pinned is not None:
            check_registry(view, trusted_address)
        mirror = RegistryMirror()
    chain_ms = _ms(started)
    started = time.perf_counter()
    now = view.now()
    verdict = verify_bundle(
        bundle,
        mirror,
        chain_id=view.chain_id,
        registry_address=trusted_address,
        now=now,
        requested=source.requested,
        registry_pinned=pinned is not None,
    )
    verify_ms = _ms(started)
    anchors = {}
    for i, item in enumerate(bundle.events):
        state = mirror.anchors.get(item.root) if item.root is not None else None
        if state is not None:
            position = state.position
            anchors[i] = AnchorSeen(state.sequence, position.block_number, state.anchored_at, position.tx_hash)
    return ScanResult(
        source=source,
        verdict=verdict,
        rpc=view.rpc,
        chain_id=view.chain_id,
        latest_block=view.latest_block,
        now=now,
        registry=trusted_address,
        registry_from_bundle=pinned is None,
        pinned_by=pinned_by,
        notices=tuple(notices),
        anchors=anchors,
        timings=Timings(source_ms, chain_ms, verify_ms),
    )


def scan(
    arg: str,
    *,
    rpc: str,
    registry: str | None = None,
    from_block: int = 0,
    timeout: float = 10.0,
    chain_id: int | None = None,
    trusted: Mapping[int, TrustedRegistry] | None = None,
) -> ScanResult:
    """``scanner verify``: load the bundle named by ``arg`` (QR image, Digital Link or file) and verify it (the
    registry pinned as :func:`verify_source` says).

    Raises:
        ScannerInputError: The input or the chain cannot be used.
    """
    _check_option(registry)
    started = time.perf_counter()
    source = load_source(arg, timeout=timeout)
    return verify_source(
        source,
        rpc=rpc,
        registry=registry,
        from_block=from_block,
        timeout=timeout,
        source_ms=_ms(started),
        chain_id=chain_id,
        trusted=trusted,
    )
