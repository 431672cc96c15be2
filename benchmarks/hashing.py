"""Benchmark: our Event Hash IDs against GS1's reference implementation (PyPI ``epcis-event-hash-generator``)."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from supplychain.eventhash import event_hash_id, hash_context, hash_document

__all__ = ["bench_hash", "make_events"]


_CONTEXT: list[Any] = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"example": "https://ns.example.com/epcis/"},
]


def make_events(count: int) -> list[dict[str, Any]]:
    """Build ``count`` realistic, all different events: mostly ObjectEvents, some Aggregation / Transformation."""
    events: list[dict[str, Any]] = []
    for i in range(count):
        minute, second = divmod(i % 3600, 60)
        time_ = f"2024-05-{1 + i % 28:02d}T{8 + i % 10:02d}:{minute:02d}:{second:02d}.{i % 1000:03d}+08:00"
        serials = [f"urn:epc:id:sgtin:4012345.011111.{i * 4 + k}" for k in range(4)]
        common = {"eventTime": time_, "eventTimeZoneOffset": "+08:00", "recordTime": "2024-06-01T00:00:00Z"}
        read_point = {"id": f"urn:epc:id:sgln:4012345.00005.{i % 50}"}
        if i % 10 == 8:
            event: dict[str, Any] = {
                "type": "AggregationEvent",
                **common,
                "parentID": f"urn:epc:id:sscc:4012345.{i:010d}",
                "childEPCs": serials,
                "action": "ADD",
                "bizStep": "packing",
                "disposition": "in_progress",
                "readPoint": read_point,
            }
        elif i % 10 == 9:
            event = {
                "type": "TransformationEvent",
                **common,
                "inputEPCList": serials[:2],
                "inputQuantityList": [
                    {"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "quantity": 10.5, "uom": "KGM"}
                ],
                "outputEPCList": serials[2:],
                "bizStep": "commissioning",
                "readPoint": read_point,
                "ilmd": {"example:bestBeforeDate": "2025-01-01", "example:batch": f"B{i}"},
            }
        else:
            event = {
                "type": "ObjectEvent",
                **common,
                "epcList": serials,
                "quantityList": [
                    {"epcClass": f"urn:epc:class:lgtin:4012345.012345.LOT{i % 97}", "quantity": 100, "uom": "KGM"}
                ],
                "action": "ADD" if i % 3 else "OBSERVE",
                "bizStep": "commissioning" if i % 3 else "shipping",
                "disposition": "active",
                "readPoint": read_point,
                "bizLocation": {"id": "urn:epc:id:sgln:4012345.00001.0"},
                "bizTransactionList": [{"type": "po", "bizTransaction": f"urn:epcglobal:cbv:bt:4012345000009:PO{i}"}],
                "ilmd": {"example:bestBeforeDate": "2025-01-01", "example:lot": f"LOT{i % 97}"},
                "example:temperature": 4 + i % 5,
            }
        events.append(event)
    return events


def _rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


def bench_hash(events: int = 2000) -> dict[str, float]:
    """Time our hashing and the reference's on the same ``events`` events; print and return the rates.

    Two measurements each: hashing alone (events already parsed: JSON objects for us, the reference's own tuple
    trees for it) and from a whole JSON-LD document's bytes.

    Returns:
        ``ours_events_per_s``, ``reference_events_per_s``, ``speedup`` (hashing alone) and the same three with
        the ``document_`` prefix.
    """
    from epcis_event_hash_generator import hash_generator, json_to_py

    logging.getLogger().setLevel(logging.CRITICAL)
    batch = make_events(events)
    document = {
        "@context": _CONTEXT,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-06-01T00:00:00Z",
        "epcisBody": {"eventList": batch},
    }
    data = json.dumps(document).encode()

    start = time.perf_counter()
    ctx = hash_context(_CONTEXT)
    ours = [event_hash_id(event, ctx) for event in batch]
    ours_s = time.perf_counter() - start

    start = time.perf_counter()
    ours_doc = hash_document(data)
    ours_doc_s = time.perf_counter() - start

    start = time.perf_counter()
    theirs_doc = hash_generator.epcis_hashes_from_events(json_to_py.event_list_from_epcis_document_str(data))
    theirs_doc_s = time.perf_counter() - start

    trees = json_to_py.event_list_from_epcis_document_str(data)
    start = time.perf_counter()
    theirs = hash_generator.epcis_hashes_from_events(trees)
    theirs_s = time.perf_counter() - start

    if not ours == ours_doc == theirs == theirs_doc:
        raise AssertionError("unreachable: our hashes differ from the reference's on the benchmark events")
    figures = {
        "ours_events_per_s": _rate(events, ours_s),
        "reference_events_per_s": _rate(events, theirs_s),
        "speedup": theirs_s / ours_s,
        "document_ours_events_per_s": _rate(events, ours_doc_s),
        "document_reference_events_per_s": _rate(events, theirs_doc_s),
        "document_speedup": theirs_doc_s / ours_doc_s,
    }
    print(f"{events} events, identical Event Hash IDs from both implementations")
    print(f"{'':22}{'ours':>14}{'reference':>14}{'speed-up':>10}")
    for label, prefix in (("hashing alone", ""), ("from JSON-LD bytes", "document_")):
        print(
            f"{label:22}{figures[prefix + 'ours_events_per_s']:>10,.0f} e/s"
            f"{figures[prefix + 'reference_events_per_s']:>10,.0f} e/s{figures[prefix + 'speedup']:>9.1f}x"
        )
    return figures
