"""Benchmark of the product queries: proof bundle and backward trace of one product in a large store.

:func:`bench_queries` fills a SQLite file (the service's schema, WAL) with ``events`` stored events: one product
with about 50 upstream events (raw material lots commissioned, shipped and received by suppliers, component lots
made from them, the product made from the components, packed in a case and a pallet, shipped, sold), and the rest
unrelated observations, packings and transformations of other items, ``usages`` of which consume the product's raw
material lots (so a trace that loaded every usage of its inputs would be slow). The product's events are real
signed EPCIS events; the others carry well-formed but synthetic hashes and signatures (never verified here).

It then times, in process, ``proof_bundle`` + its JSON serialisation and the backward trace JSON for that
product (each call with a fresh database session, as a request has) and reports p50 / p99.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select
from sqlmodel import Session

from backend.core.db import make_engine, migrate
from backend.services.queries import EI, EV
from backend.services.tracing import SubgraphLoader, backward_json, proof_bundle
from supplychain.eventhash import event_hash_id
from supplychain.gs1 import gs1_check_digit, identifier_node
from supplychain.signing import SigningKey, make_envelope
from supplychain.trace import node_id

__all__ = [
    "ADVERSARY",
    "BenchFigures",
    "adversary_envelopes",
    "bench_queries",
    "fill_store",
    "print_figures",
    "store_envelopes",
]

T0 = 1_700_000_000
CHAIN_ID = 31337
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
_CHUNK = 20_000


def _gln(prefix: str) -> str:
    body = prefix + "00000"
    return body + gs1_check_digit(body)


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Story:
    """The product's signed events, built in time order."""

    envelopes: list[dict[str, Any]]
    t: int = T0

    def add(self, key: SigningKey, org: str, site: str, body: dict[str, Any]) -> None:
        self.t += 60
        event = {"type": body["type"], "eventTime": _iso(self.t), "eventTimeZoneOffset": "+08:00", **body}
        event |= {"readPoint": {"id": site}, "bizLocation": {"id": site}}
        self.envelopes.append(make_envelope(key, org, event, event_hash_id(event)))


def _product_story(raw_lots: int = 12, components: int = 4) -> tuple[list[dict[str, Any]], str, list[str]]:
    """The product's events (~50 upstream), its serial, and its raw lots (which the noise also consumes)."""
    keys = [SigningKey.from_private_bytes(bytes([i + 1]) * 32) for i in range(4)]
    supplier, maker, carrier, shop = (_gln(p) for p in ("6902222", "6903333", "6905555", "6907777"))
    sites = [f"urn:epc:id:sgln:{p}.00000.0" for p in ("6902222", "6903333", "6905555", "6907777")]
    story = _Story([])
    raws = [f"urn:epc:class:lgtin:6902222.02{i:04d}.R{i}" for i in range(raw_lots)]
    for raw in raws:
        q = [{"epcClass": raw, "quantity": 500, "uom": "KGM"}]
        story.add(
            keys[0],
            supplier,
            sites[0],
            {"type": "ObjectEvent", "action": "ADD", "bizStep": "commissioning", "quantityList": q},
        )
        story.add(
            keys[0],
            supplier,
            sites[0],
            {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "shipping", "quantityList": q},
        )
        story.add(
            keys[1],
            maker,
            sites[1],
            {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "receiving", "quantityList": q},
        )
    parts = [f"urn:epc:class:lgtin:6903333.03{i:04d}.C{i}" for i in range(components)]
    per = raw_lots // components
    for i, part in enumerate(parts):
        inputs = [{"epcClass": r, "quantity": 100, "uom": "KGM"} for r in raws[i * per : (i + 1) * per]]
        story.add(
            keys[1],
            maker,
            sites[1],
            {
                "type": "TransformationEvent",
                "bizStep": "commissioning",
                "inputQuantityList": inputs,
                "outputQuantityList": [{"epcClass": part, "quantity": 50}],
            },
        )
        q = [{"epcClass": part, "quantity": 50}]
        story.add(
            keys[1],
            maker,
            sites[1],
            {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "storing", "quantityList": q},
        )
        story.add(
            keys[1],
            maker,
            sites[1],
            {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "inspecting", "quantityList": q},
        )
    serial = "urn:epc:id:sgtin:6903333.040001.P-1"
    case, pallet = "urn:epc:id:sscc:6903333.0000000001", "urn:epc:id:sscc:6903333.0000000002"
    inputs = [{"epcClass": p, "quantity": 1} for p in parts]
    story.add(
        keys[1],
        maker,
        sites[1],
        {
            "type": "TransformationEvent",
            "bizStep": "commissioning",
            "inputQuantityList": inputs,
            "outputEPCList": [serial],
            "ilmd": {"cbvmda:lotNumber": "P-LOT1"},
        },
    )
    story.add(
        keys[1],
        maker,
        sites[1],
        {"type": "AggregationEvent", "action": "ADD", "bizStep": "packing", "parentID": case, "childEPCs": [serial]},
    )
    story.add(
        keys[1],
        maker,
        sites[1],
        {"type": "AggregationEvent", "action": "ADD", "bizStep": "packing", "parentID": pallet, "childEPCs": [case]},
    )
    for key, org, site, step in (
        (keys[1], maker, sites[1], "shipping"),
        (keys[2], carrier, sites[2], "receiving"),
        (keys[2], carrier, sites[2], "departing"),
        (keys[3], shop, sites[3], "receiving"),
    ):
        story.add(key, org, site, {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": step, "epcList": [pallet]})
    story.add(
        keys[3],
        shop,
        sites[3],
        {"type": "AggregationEvent", "action": "DELETE", "bizStep": "unpacking", "parentID": pallet},
    )
    story.add(
        keys[3],
        shop,
        sites[3],
        {
            "type": "AggregationEvent",
            "action": "DELETE",
            "bizStep": "unpacking",
            "parentID": case,
            "childEPCs": [serial],
        },
    )
    story.add(
        keys[3],
        shop,
        sites[3],
        {"type": "ObjectEvent", "action": "OBSERVE", "bizStep": "retail_selling", "epcList": [serial]},
    )
    return story.envelopes, serial, raws


def _roles(event: dict[str, Any]) -> list[tuple[str, str]]:
    """(identifier, role) rows as capture writes them."""
    out: list[tuple[str, str]] = []
    for key, role in (
        ("epcList", "epc"),
        ("childEPCs", "child"),
        ("inputEPCList", "input"),
        ("outputEPCList", "output"),
    ):
        out += [(e, role) for e in event.get(key, [])]
    for key, role in (
        ("quantityList", "class"),
        ("childQuantityList", "child"),
        ("inputQuantityList", "input_class"),
        ("outputQuantityList", "output_class"),
    ):
        out += [(q["epcClass"], role) for q in event.get(key, [])]
    if "parentID" in event:
        out.append((event["parentID"], "parent"))
    return [(identifier_node(i), r) for i, r in dict.fromkeys(out)]


def _noise(
    count: int, raws: list[str], usages: int, rng: random.Random
) -> Iterator[tuple[dict[str, Any], list[tuple[str, str]]]]:
    """Unrelated stored events (rows and identifier links); ``usages`` of them consume the product's raw lots."""
    stride = max(1, count // usages) if usages else count + 1
    steps = ("shipping", "receiving", "storing", "inspecting", "departing", "arriving", "retail_selling")
    for n in range(count):
        prefix = f"69{rng.randrange(10_000, 99_999)}"
        serial = f"urn:epc:id:sgtin:{prefix}.0{rng.randrange(10_000, 99_999)}.{n}"
        t = T0 - 86_400 * 30 + n
        if n % stride == 0 and n // stride < usages:
            raw = raws[n % len(raws)]
            event: dict[str, Any] = {
                "type": "TransformationEvent",
                "eventTime": _iso(t),
                "eventTimeZoneOffset": "+08:00",
                "bizStep": "commissioning",
                "inputQuantityList": [{"epcClass": raw, "quantity": 1, "uom": "KGM"}],
                "outputEPCList": [serial],
            }
        elif n % 7 == 0:
            event = {
                "type": "AggregationEvent",
                "eventTime": _iso(t),
                "eventTimeZoneOffset": "+08:00",
                "action": "ADD",
                "bizStep": "packing",
                "parentID": f"urn:epc:id:sscc:{prefix}.{n:010d}",
                "childEPCs": [serial],
            }
        else:
            event = {
                "type": "ObjectEvent",
                "eventTime": _iso(t),
                "eventTimeZoneOffset": "+08:00",
                "action": "OBSERVE",
                "bizStep": steps[n % len(steps)],
                "epcList": [serial],
            }
        site = f"urn:epc:id:sgln:{prefix}.00000.0"
        event["readPoint"], event["bizLocation"] = {"id": site}, {"id": site}
        yield event, _roles(event)


ADVERSARY = _gln("6906666")
"""The organisation of :func:`adversary_envelopes`: registered, with its own key, and nothing to do with the product."""
_ADVERSARY_KEY = SigningKey.from_private_bytes(b"\x66" * 32)


def adversary_envelopes(serial: str, count: int, epcs: int) -> list[dict[str, Any]]:
    """``count`` signed events of :data:`ADVERSARY` each listing ``epcs`` EPCs, the product's ``serial`` among them
    (ObjectEvent OBSERVE ``inspecting``, after the product's story); always the same events for the same arguments."""
    out: list[dict[str, Any]] = []
    for n in range(count):
        listed = [f"urn:epc:id:sgtin:6906666.0{n % 10}0001.Z{i}" for i in range(max(epcs - 1, 0))]
        listed.insert(len(listed) // 2, serial)
        site = "urn:epc:id:sgln:6906666.00000.0"
        event = {
            "type": "ObjectEvent",
            "eventTime": _iso(T0 + 10_000 + n),
            "eventTimeZoneOffset": "+08:00",
            "epcList": listed,
            "action": "OBSERVE",
            "bizStep": "inspecting",
            "readPoint": {"id": site},
            "bizLocation": {"id": site},
        }
        out.append(make_envelope(_ADVERSARY_KEY, ADVERSARY, event, event_hash_id(event)))
    return out


def store_envelopes(engine: Engine, envelopes: list[dict[str, Any]]) -> int:
    """Store the signed envelopes not stored yet (rows, identifier links and counts, as capture does); how many."""
    new = 0
    with engine.begin() as connection:
        for envelope in envelopes:
            seen = connection.execute(select(EV.c.id).where(EV.c.hash_id == envelope["eventHashId"])).first()
            if seen is not None:
                continue
            event = envelope["event"]
            at = int(datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00")).timestamp() * 1000)
            links = _roles(event)
            row = {
                "hash_id": envelope["eventHashId"],
                "org_id": envelope["organisationId"],
                "key_id": envelope["keyId"],
                "signature": envelope["signature"],
                "event_type": event["type"],
                "event_time": at,
                "biz_step": event.get("bizStep"),
                "biz_location": identifier_node(event["bizLocation"]["id"]),
                "read_point": identifier_node(event["readPoint"]["id"]),
                "received_at": at + 1000,
                "capture_id": "bench-adversary",
                "document": json.dumps(event, separators=(",", ":")),
                "identifier_count": len(links),
            }
            event_id = connection.execute(insert(EV).values(row).returning(EV.c.id)).scalar_one()
            connection.execute(insert(EI), [{"event_id": event_id, "identifier": i, "role": r} for i, r in links])
            new += 1
    return new


def fill_store(engine: Engine, events: int, *, usages: int = 4800, seed: int = 1) -> str:
    """Fill an empty, migrated database with ``events`` stored events; returns the product's serial (EPC URN).

    ``usages`` unrelated transformations consume the product's 12 raw material lots (400 products per lot).
    """
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
    story, serial, raws = _product_story()
    noise = _noise(max(events - len(story), 0), raws, usages, rng)
    position = rng.randrange(0, max(events - len(story), 1))
    next_id = 1
    rows: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []

    def add(event: dict[str, Any], identifiers: list[tuple[str, str]], envelope: dict[str, Any] | None) -> None:
        nonlocal next_id
        digest = hashlib.sha256(f"{seed}:{next_id}".encode()).hexdigest()
        parsed_time = int(datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00")).timestamp() * 1000)
        rows.append(
            {
                "id": next_id,
                "hash_id": envelope["eventHashId"] if envelope else f"ni:///sha-256;{digest}?ver=CBV2.0",
                "org_id": envelope["organisationId"] if envelope else "6900000000003",
                "key_id": envelope["keyId"] if envelope else "0x" + digest,
                "signature": envelope["signature"] if envelope else "A" * 86,
                "event_type": event["type"],
                "event_time": parsed_time,
                "biz_step": event.get("bizStep"),
                "biz_location": event["bizLocation"]["id"],
                "read_point": event["readPoint"]["id"],
                "received_at": parsed_time + 1000,
                "capture_id": f"bench-{next_id // 10_000}",
                "document": json.dumps(event, separators=(",", ":")),
                "identifier_count": len(identifiers),
            }
        )
        links.extend({"event_id": next_id, "identifier": i, "role": r} for i, r in identifiers)
        next_id += 1

    placed = False
    with engine.begin() as connection:
        for n, (event, identifiers) in enumerate(noise):
            if n == position:
                for envelope in story:
                    add(envelope["event"], _roles(envelope["event"]), envelope)
                placed = True
            add(event, identifiers, None)
            if len(rows) >= _CHUNK:
                connection.execute(insert(EV), rows)
                connection.execute(insert(EI), links)
                rows.clear()
                links.clear()
        if not placed:
            for envelope in story:
                add(envelope["event"], _roles(envelope["event"]), envelope)
        if rows:
            connection.execute(insert(EV), rows)
            connection.execute(insert(EI), links)
    return serial


@dataclass(frozen=True)
class BenchFigures:
    """What :func:`bench_queries` measured (times in milliseconds)."""

    events: int
    fill_seconds: int | float
    bundle_events: int
    events_loaded: int
    bundle_p50_ms: float
    bundle_p99_ms: float
    backward_p50_ms: float
    backward_p99_ms: float
    database_mb: float

    def to_json(self) -> dict[str, Any]:
        """The figures as a dict."""
        return asdict(self)


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 2), round(p99, 2)


def _timed(engine: Engine, repeats: int, call: Callable[[Session], Any]) -> list[float]:
    samples: list[float] = []
    for i in range(repeats + 5):
        with Session(engine) as session:
            start = time.perf_counter()
            call(session)
            elapsed = (time.perf_counter() - start) * 1000
        if i >= 5:  # warm-up
            samples.append(elapsed)
    return samples


def bench_queries(
    events: int = 100_000,
    *,
    path: Path | None = None,
    repeats: int = 200,
    usages: int = 4800,
) -> BenchFigures:
    """Fill a SQLite store with ``events`` events and time the product's bundle and backward trace.

    Args:
        events: How many stored events in all.
        path: The SQLite file (default: a temporary one, deleted afterwards).
        repeats: Timed calls of each query (after 5 warm-up calls).
        usages: Unrelated events consuming the product's raw material lots.
    """
    with tempfile.TemporaryDirectory() as tmp:
        db = path or Path(tmp) / "bench.db"
        engine = make_engine(f"sqlite:///{db}")
        try:
            migrate(engine)
            started = time.perf_counter()
            serial = fill_store(engine, events, usages=usages)
            fill = round(time.perf_counter() - started, 1)
            start = node_id(serial)

            def bundle(session: Session) -> str:
                result = proof_bundle(session, serial, chain_id=CHAIN_ID, registry_address=REGISTRY)
                return json.dumps(result.bundle.to_json())

            def backward(session: Session) -> str:
                return json.dumps(backward_json(SubgraphLoader(session), start))

            with Session(engine) as session:
                made = proof_bundle(session, serial, chain_id=CHAIN_ID, registry_address=REGISTRY)
                loader = SubgraphLoader(session)
                loader.backward(start)
                loader.journey(start)
            bundle_p50, bundle_p99 = _percentiles(_timed(engine, repeats, bundle))
            backward_p50, backward_p99 = _percentiles(_timed(engine, repeats, backward))
            size = db.stat().st_size / 1e6
        finally:
            engine.dispose()
    return BenchFigures(
        events=events,
        fill_seconds=fill,
        bundle_events=len(made.bundle.events),
        events_loaded=len(loader.rows),
        bundle_p50_ms=bundle_p50,
        bundle_p99_ms=bundle_p99,
        backward_p50_ms=backward_p50,
        backward_p99_ms=backward_p99,
        database_mb=round(size, 1),
    )


def print_figures(f: BenchFigures) -> None:
    """The figures, one line each."""
    from benchmarks.common import console

    console.print(
        f"{f.events:,} events stored ({f.database_mb:,.0f} MB, filled in {f.fill_seconds:.0f} s); the product's bundle "
        f"holds {f.bundle_events} events ({f.events_loaded} loaded)"
    )
    console.print(f"bundle:         p50 {f.bundle_p50_ms:.1f} ms, p99 {f.bundle_p99_ms:.1f} ms")
    console.print(f"backward trace: p50 {f.backward_p50_ms:.1f} ms, p99 {f.backward_p99_ms:.1f} ms")
