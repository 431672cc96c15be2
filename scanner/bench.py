"""``scanner bench``: how long the verification of a product's bundle takes (target in docs/architecture.md:
≤ 100 ms for 50 events, plus chain round trips).

A fresh registry is deployed on the chain (in-process by default) with one organisation and its key; the events of
one serial (commissioning, then observations through the supply chain) are signed and anchored in one batch with
their story links; the bundle (version 2) is written out as the platform would serve it. Then, apart: parsing the
bundle, replaying the registry from the chain (round trips), and the core's :func:`~supplychain.verify.verify_bundle`
(no I/O), each the median of several rounds.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console

from chain.accounts import dev_account
from chain.connection import connect
from chain.deploy import deploy_registry
from chain.errors import ChainConnectionError, ChainError
from chain.registry import ROLE_ANCHORER, Registry
from scanner.chainread import read_registry, view_of
from scanner.errors import ScannerInputError
from supplychain.eventhash import event_hash_id
from supplychain.links import LinkChain
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import BusinessRole
from supplychain.signing import SigningKey, make_envelope
from supplychain.verify import (
    AnchorClaim,
    BundleEvent,
    IdentifierLinks,
    LinkEntry,
    ProofBundle,
    VerdictStatus,
    verify_bundle,
)

__all__ = ["bench_bundle", "run_bench"]

T = TypeVar("T")
ORG = "6901234000016"
GTIN = "06901234000108"
_STEPS = ("shipping", "departing", "arriving", "storing", "inspecting", "picking", "loading", "unloading")


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def bench_events(count: int, start_ms: int, serial: str = "0001") -> list[dict[str, Any]]:
    """``count`` events of one serial: its commissioning, then observations 10 ms apart."""
    epc = f"https://id.gs1.org/01/{GTIN}/21/{serial}"
    out = []
    for i in range(count):
        step = "commissioning" if i == 0 else _STEPS[i % len(_STEPS)]
        out.append(
            {
                "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
                "type": "ObjectEvent",
                "eventTime": _iso(start_ms + 10 * i),
                "eventTimeZoneOffset": "+08:00",
                "epcList": [epc],
                "action": "ADD" if i == 0 else "OBSERVE",
                "bizStep": step,
                "readPoint": {"id": f"https://id.gs1.org/414/{ORG}/254/{i}"},
                "bizLocation": {"id": f"https://id.gs1.org/414/{ORG}"},
            }
        )
    return out


def bench_bundle(registry: Registry, count: int) -> ProofBundle:
    """Register an organisation and a key on ``registry``, sign ``count`` events and anchor them: their bundle."""
    regulator = registry.as_signer(dev_account("regulator").account)
    anchorer = dev_account("anchorer")
    if not registry.has_role(ROLE_ANCHORER, anchorer.address):
        regulator.grant_role(ROLE_ANCHORER, anchorer.address)
    key = SigningKey.from_private_bytes(hashlib.sha256(b"scanner bench key").digest())
    regulator.register_organisation(ORG, BusinessRole(15))
    regulator.add_key(ORG, key.public_key_bytes)
    start_ms = registry.key_info(key.public_key_bytes).valid_from * 1000 + 1000
    envelopes = []
    for event in bench_events(count, start_ms):
        envelopes.append(make_envelope(key, ORG, event, event_hash_id(event)))
    registry.chain.increase_time(2 + count // 100)  # the batch is anchored after its events
    product = f"https://id.gs1.org/01/{GTIN}/21/0001"
    digests = [hash_id_to_bytes32(e["eventHashId"]) for e in envelopes]
    chain = LinkChain()  # the story links the platform commits beside the events (bundle version 2)
    links = [link for d in digests for link in chain.add(d, [product])]
    tree = MerkleTree.build([*digests, *(link.value for link in links)])
    sequence, tx = registry.as_signer(anchorer.account).anchor_root(tree.root, len(tree))
    info = registry.anchor_of(tree.root)
    claim = AnchorClaim(sequence, info.block_number, tx.tx_hash.lower(), info.anchored_at)
    items = tuple(
        BundleEvent(e, tuple(tree.proof(i)), tree.root, claim, info.anchored_at) for i, e in enumerate(envelopes)
    )
    entries = tuple(
        LinkEntry(e["eventHashId"], envelopes[i - 1]["eventHashId"] if i else None, tree.root,
                  tuple(tree.proof(len(envelopes) + i)))
        for i, e in enumerate(envelopes)
    )  # fmt: skip
    links_of = (IdentifierLinks(product, entries),)
    return ProofBundle(registry.chain.chain_id, registry.address, product, items, links=links_of)


def _median_ms(rounds: int, work: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = work()
    times = [(time.perf_counter() - started) * 1000]
    for _ in range(rounds - 1):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def run_bench(*, events: int, rounds: int, rpc: str, keep: Path | None, console: Console) -> dict[str, float]:
    """Build the bundle and print (and return) the figures in milliseconds.

    Raises:
        ScannerInputError: The chain cannot be reached or written.
    """
    try:
        chain = connect(rpc, attempts=2)
        deployment = deploy_registry(chain, dev_account("regulator").account)
        registry = Registry(chain, deployment)
        bundle = bench_bundle(registry, events)
        view = view_of(chain)
    except ChainConnectionError as exc:
        raise ScannerInputError("node_unreachable", rpc=rpc, detail=exc) from exc
    except ChainError as exc:
        raise ScannerInputError("chain_read_failed", rpc=rpc, detail=exc) from exc
    raw = json.dumps(bundle.to_json()).encode()
    if keep is not None:
        keep.write_bytes(raw)
    parse_ms, parsed = _median_ms(rounds, lambda: ProofBundle.from_json(json.loads(raw)))
    replay_ms, mirror = _median_ms(
        min(rounds, 10), lambda: read_registry(view, deployment.address, from_block=deployment.block_number)
    )
    now = view.now()

    def verify() -> VerdictStatus:
        verdict = verify_bundle(parsed, mirror, chain_id=chain.chain_id, registry_address=deployment.address, now=now)
        return verdict.status

    verify_ms, status = _median_ms(rounds, verify)
    if status is not VerdictStatus.VERIFIED:
        raise AssertionError(f"the bench bundle did not verify: {status}")  # a bug, not an input problem
    figures = {
        "events": float(events),
        "bundle_bytes": float(len(raw)),
        "parse_ms": parse_ms,
        "replay_ms": replay_ms,
        "verify_ms": verify_ms,
        "verify_per_event_ms": verify_ms / events,
    }
    console.print(f"bundle of {events} events ({len(raw):,} bytes) on {rpc} (chain {chain.chain_id})")
    console.print(f"parse (JSON + format):        {parse_ms:8.2f} ms  median of {rounds}")
    console.print(f"registry replay from chain:   {replay_ms:8.2f} ms  median of {min(rounds, 10)} (round trips)")
    console.print(
        f"verify_bundle (no I/O):       {verify_ms:8.2f} ms  median of {rounds}"
        f" = {verify_ms / events:.2f} ms per event (target: ≤ 100 ms for 50 events)",
        soft_wrap=True,
    )
    return figures
