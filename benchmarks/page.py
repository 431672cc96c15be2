"""``supplychain bench page``: the consumer product page of a product with ~50 upstream events in a large store.

The store is :func:`benchmarks.queries.fill_store`'s (one product's real signed events among
``events`` synthetic ones). The product's events are then anchored (one Merkle batch, its proofs stored as the
anchoring worker stores them) and a registry mirror is folded with what the chain would hold for them: the four
organisations and their keys, a green-factory recognition of the raw-material supplier, the anchored root. Each
timed request does what the page does for a browser, with a fresh database session: count the scans, load the
events around the product, build and verify its proof bundle against the mirror, compute its green share and
notices, and render the HTML. It prints p50 / p99 of the wall time (the target is p99 <= 50 ms on 1M events) and of
the CPU time (what the page costs, whatever else runs on the machine), the size of the proof bundle, and those of
storing the scan, which the page does after it is sent (a background task).

With ``--adversary-events N --adversary-epcs M`` an unrelated registered organisation
(:data:`~benchmarks.queries.ADVERSARY`) has posted N signed events each listing M EPCs, the product's
serial among them, after the product was sold (anchored with the product's events): what issue 12 found could make
one view cost seconds and its bundle megabytes. The target is the same p99, and a bundle of at most 100 KB.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, delete, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from backend.core.db import make_engine, migrate
from backend.models import Batch, EventLink, IssuedCode, Recall, Scan, table_of
from backend.services.anchoring import story_links, write_links
from backend.services.product_html import render_product_page
from backend.services.product_page import (
    RegistryState,
    block_origin_of,
    count_scans,
    origin_of,
    product_facts,
    scan_salt,
    store_scan,
)
from backend.services.qr import CodeKey
from backend.services.queries import EV
from benchmarks.common import console
from benchmarks.queries import (
    ADVERSARY,
    CHAIN_ID,
    REGISTRY,
    T0,
    adversary_envelopes,
    fill_store,
    store_envelopes,
)
from supplychain.gs1 import gs1_check_digit, identifier_node
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import BusinessRole, Grade, Level, RecognitionKind, RegistryMirror, Scope
from supplychain.registry import events as ev
from supplychain.verify import VerdictStatus

__all__ = ["PageFigures", "bench_page", "print_figures"]


_SYNTHETIC_ORG = "6900000000003"  # the organisation of fill_store's unrelated events
_ANCHORER = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
_CERTIFIER = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc"
_TX = "0x" + "ab" * 32
_SERIAL = "urn:epc:id:sgtin:6903333.040001.P-1"  # fill_store's product, made in lot P-LOT1
_LOT = "P-LOT1"
_MAKER = "690333300000" + gs1_check_digit("690333300000")


@dataclass(frozen=True)
class _Code:
    """An issued code as the resolver hands it to the page."""

    key: CodeKey
    uri: str
    gs1_uri: str
    row: IssuedCode
    recall: Recall | None
    lot: str | None


@dataclass(frozen=True)
class PageFigures:
    """What :func:`bench_page` measured (times in milliseconds)."""

    events: int
    bundle_events: int
    page_bytes: int
    bundle_bytes: int
    adversary_events: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu_p50_ms: float
    cpu_p99_ms: float
    scan_write_p50_ms: float
    scan_write_p99_ms: float


def _anchor_product(engine: Engine) -> RegistryMirror:
    """Anchor the product's events in one batch and each adversary event in a batch of its own, as the worker's leaf
    budget does (proofs and story links stored), and fold the registry the chain would hold."""
    with Session(engine) as session:
        rows = session.execute(
            sa_select(EV.c.id, EV.c.hash_id, EV.c.org_id, EV.c.key_id, EV.c.event_time)
            .where(EV.c.org_id != _SYNTHETIC_ORG)
            .order_by(EV.c.id)
        ).all()
        groups = [[r for r in rows if r.org_id != ADVERSARY]] + [[r] for r in rows if r.org_id == ADVERSARY]
        anchored_at = max(r.event_time for r in rows) // 1000 + 60
        anchors: list[tuple[bytes, int]] = []
        for sequence, group in enumerate(groups, start=1):
            events = {r.id: hash_id_to_bytes32(r.hash_id) for r in group}
            links = story_links(session, events)  # the story links the worker commits beside them (bundle v2)
            tree = MerkleTree.build([*events.values(), *(link.value for _, link in links)])
            batch_id = session.execute(
                insert(table_of(Batch))
                .values(
                    root="0x" + tree.root.hex(),
                    leaf_count=len(tree),
                    status="anchored",
                    created_at=anchored_at * 1000,
                    chain_id=CHAIN_ID,
                    tx_hash=_tx(sequence),
                    sequence=sequence,
                    block_number=99 + sequence,
                    block_time=anchored_at,
                    anchored_at=anchored_at * 1000,
                )
                .returning(table_of(Batch).c.id)
            ).scalar_one()
            for index, (event_id, leaf) in enumerate(events.items()):
                proof = json.dumps(["0x" + p.hex() for p in tree.proof(index)])
                session.execute(
                    update(EV).where(EV.c.id == event_id).values(batch_id=batch_id, leaf_index=tree.tree_index(leaf),
                                                                 proof=proof)
                )  # fmt: skip
            write_links(session, links, events, batch_id=batch_id, tree=tree, first=len(events))
            session.flush()
            anchors.append((tree.root, len(tree)))
        session.commit()
    history: list[ev.RegistryEvent] = []
    keys = dict.fromkeys((r.org_id, r.key_id) for r in rows)
    for n, (org, key) in enumerate(keys, start=1):
        at = ev.LogPosition(n, 0, f"0x{n:064x}")
        history.append(ev.OrganisationRegistered(at, T0 - 3600, org, BusinessRole(15), bytes(32), ""))
        history.append(ev.KeyAdded(ev.LogPosition(n, 1, at.tx_hash), T0 - 3600, org, bytes.fromhex(key[2:])))
    supplier = rows[0].org_id  # the raw-material supplier commissions first
    terms = ev.RecognitionTerms(
        supplier, RecognitionKind.GREEN_FACTORY, Level.PROVINCIAL, Grade.NONE, Scope.ENTERPRISE, "",
        "GB/T 36132-2018", T0 - 3600, None, bytes(32),
    )  # fmt: skip
    history.append(ev.RecognitionIssued(ev.LogPosition(90, 0, "0x" + "cd" * 32), T0 - 1800, 1, _CERTIFIER, terms))
    for sequence, (root, leaves) in enumerate(anchors, start=1):
        position = ev.LogPosition(99 + sequence, 0, _tx(sequence))
        history.append(ev.RootAnchored(position, anchored_at, root, sequence, _ANCHORER, leaves))
    return RegistryMirror().apply_all(history)


def _tx(sequence: int) -> str:
    """The (made-up) transaction of batch ``sequence``: the first is :data:`_TX`."""
    return _TX if sequence == 1 else f"0x{sequence:064x}"


def _percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 2), round(p99, 2), round(ordered[-1], 2)


def _prepare(
    engine: Engine, events: int, reuse: bool, adversary: tuple[int, int] = (0, 0)
) -> tuple[RegistryMirror, _Code]:
    """Fill the store (unless reused), add the adversary's events (those not stored yet), anchor the product's events
    and the adversary's, issue the code; the mirror and the code."""
    if reuse:  # the product's batch is there already: make it again, with the mirror that goes with it
        with Session(engine) as session:
            session.execute(update(EV).where(EV.c.org_id != _SYNTHETIC_ORG).values(batch_id=None, proof=None))
            session.execute(delete(table_of(EventLink)))
            session.execute(delete(table_of(Batch)))
            session.execute(delete(table_of(Scan)))
            session.commit()
    else:
        started = time.perf_counter()
        fill_store(engine, events)
        console.print(f"filled the store with {events:,} events in {time.perf_counter() - started:.0f} s")
    if adversary[0]:
        started = time.perf_counter()
        added = store_envelopes(engine, adversary_envelopes(_SERIAL, *adversary))
        if added:
            took = time.perf_counter() - started
            console.print(f"stored {added} adversary events of {adversary[1]:,} EPCs each in {took:.0f} s")
    mirror = _anchor_product(engine)
    gs1 = identifier_node(_SERIAL)
    key = CodeKey(gs1.split("/01/", 1)[1][:14], _LOT, "P-1")
    with Session(engine) as session:
        row = session.exec(select(IssuedCode).where(col(IssuedCode.serial) == key.serial)).first()
        if row is None:
            row = IssuedCode(gtin=key.gtin, lot=_LOT, serial=key.serial, org_id=_MAKER, created_at=T0 * 1000)
            session.add(row)
            session.commit()
            session.refresh(row)
    return mirror, _Code(key, key.uri("https://qr.example.cn"), gs1, row, None, _LOT)


def bench_page(
    events: int = 1_000_000,
    *,
    repeats: int = 200,
    db: Path | None = None,
    adversary_events: int = 0,
    adversary_epcs: int = 100_000,
) -> PageFigures:
    """Fill (or reuse) a SQLite store, then time the product page of its product (see the module docstring).

    Args:
        events: Stored events in all (when filling).
        repeats: Timed pages (after 5 warm-up ones).
        db: Keep the store in this file; an existing file is reused as it is (it must have been filled by this
            command), with the adversary's events it holds.
        adversary_events: Events of an unrelated organisation naming the product among ``adversary_epcs`` EPCs each
            (added to a reused store when missing).
        adversary_epcs: EPCs listed by each of them.
    """
    with tempfile.TemporaryDirectory() as tmp:
        path = db or Path(tmp) / "page.db"
        reuse = path.exists()
        engine = make_engine(f"sqlite:///{path}")
        try:
            migrate(engine)
            mirror, code = _prepare(engine, events, reuse, (adversary_events, adversary_epcs))
            registry = RegistryState(mirror, CHAIN_ID, REGISTRY, 0.0)
            salt = scan_salt(b"bench-page")
            now = T0 + 86_400
            samples: list[float] = []
            cpu_samples: list[float] = []
            writes: list[float] = []
            page, bundle_events, bundle_bytes = "", 0, 0
            for i in range(repeats + 5):
                with Session(engine) as session:
                    begin, cpu = time.perf_counter(), time.thread_time()
                    host = f"{11 + i // 250}.{i % 250}.0.1"  # a new network and block (/16) each time: a write
                    origin, block = origin_of(host, salt), block_origin_of(host, salt)  # as the page counts
                    scans, row = count_scans(session, code.key, code.lot, origin, now * 1000 + i, block=block)
                    facts = product_facts(session, code, registry=registry, now=now, scans=scans)
                    page = render_product_page(facts)
                    elapsed = (time.perf_counter() - begin) * 1000
                    used = (time.thread_time() - cpu) * 1000
                written = 0.0
                if row is not None:  # a new network every time: the page stores the scan once it is sent
                    with Session(engine) as session:
                        begin = time.perf_counter()
                        store_scan(session, row)
                        written = (time.perf_counter() - begin) * 1000
                if facts.verdict is None or facts.verdict.status is not VerdictStatus.VERIFIED:
                    failures = facts.verdict.failures if facts.verdict else "no verdict"
                    raise RuntimeError(f"the benchmark product does not verify: {failures}")
                bundle_events = len(facts.verdict.events)
                if facts.trace is not None and facts.trace.bundle is not None:
                    bundle_bytes = len(json.dumps(facts.trace.bundle.to_json(), separators=(",", ":")).encode())
                if i >= 5:
                    samples.append(elapsed)
                    cpu_samples.append(used)
                    writes.append(written)
            with Session(engine) as session:
                stored = int(session.execute(select(func.count()).select_from(EV)).scalar_one())
                adversaries = int(
                    session.execute(
                        select(func.count()).select_from(EV).where(EV.c.capture_id == "bench-adversary")
                    ).scalar_one()
                )
        finally:
            engine.dispose()
    p50, p99, worst = _percentiles(samples)
    c50, c99, _ = _percentiles(cpu_samples)
    w50, w99, _ = _percentiles(writes)
    return PageFigures(
        stored, bundle_events, len(page.encode()), bundle_bytes, adversaries, p50, p99, worst, c50, c99, w50, w99
    )


def print_figures(f: PageFigures) -> None:
    """The figures, one line each."""
    console.print(
        f"{f.events:,} events stored ({f.adversary_events} of them the adversary's); the product's bundle holds "
        f"{f.bundle_events} events, verified, {f.bundle_bytes / 1000:.1f} kB; the page is {f.page_bytes / 1024:.1f} KiB"
    )
    console.print(f"product page: p50 {f.p50_ms:.1f} ms, p99 {f.p99_ms:.1f} ms, max {f.max_ms:.1f} ms")
    console.print(
        f"  of which CPU time: p50 {f.cpu_p50_ms:.1f} ms, p99 {f.cpu_p99_ms:.1f} ms (the rest: waiting for the disk, "
        "or for the cores other processes use)"
    )
    console.print(
        f"its scan, stored after the page is sent: p50 {f.scan_write_p50_ms:.1f} ms, p99 {f.scan_write_p99_ms:.1f} ms"
    )
