"""The anchoring worker: batches, proofs that the registry accepts, and recovery from a crash at every step."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select

from backend.models import Batch, Event, EventLink
from backend.services import anchoring
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from chain.registry import ANCHOR_GAS
from supplychain.epcis import parse_event
from supplychain.links import LinkChain, item_identifiers
from supplychain.merkle import hash_id_to_bytes32, verify_proof
from supplychain.signing import SigningKey
from tests.backend.documents import GTIN, object_event, signed_document
from tests.backend.test_capture import post
from tests.chains import MANUFACTURER


def capture(client: TestClient, token: str, key: SigningKey, count: int, prefix: str = "W") -> list[str]:
    body = post(client, token, signed_document(key, [object_event(f"{prefix}{i}") for i in range(count)])).json()
    assert body["acceptedCount"] == count
    return [e["eventHashId"] for e in body["events"]]


def stored(platform: Platform) -> list[Event]:
    with platform.session() as session:
        return list(session.exec(select(Event).order_by(col(Event.id))).all())


def batches(platform: Platform) -> list[Batch]:
    with platform.session() as session:
        return list(session.exec(select(Batch).order_by(col(Batch.id))).all())


def assert_all_anchored_once(platform: Platform, hashes: list[str]) -> None:
    registry = platform.registry.registry
    by_id = {b.id: b for b in batches(platform)}
    assert all(b.status == "anchored" for b in by_id.values())
    assert registry.anchor_count() == len(by_id)
    for event in stored(platform):
        batch = by_id[event.batch_id]
        root = bytes.fromhex(batch.root[2:])
        proof = [bytes.fromhex(p[2:]) for p in json.loads(event.proof or "[]")]
        value = hash_id_to_bytes32(event.hash_id)
        assert verify_proof(root, proof, value)
        assert registry.verify_event(root, proof, value)  # the registry's own check
    assert sorted(e.hash_id for e in stored(platform)) == sorted(hashes)
    assert_links_chain(platform)


def assert_links_chain(platform: Platform) -> list[EventLink]:
    """The stored story links are exactly those the pure core derives from the stored events in anchoring order
    (batches in order, events by id), each proven against its batch's anchored root by the registry itself."""
    events = {e.id: e for e in stored(platform)}
    by_batch = {b.id: b for b in batches(platform)}
    with platform.session() as session:
        links = list(session.exec(select(EventLink).order_by(col(EventLink.id))).all())
    chain = LinkChain()
    expected = []
    for event in sorted(events.values(), key=lambda e: (e.batch_id or 0, e.id or 0)):
        if event.batch_id is not None:
            digest = hash_id_to_bytes32(event.hash_id)
            for made in chain.add(digest, item_identifiers(parse_event(json.loads(event.document)))):
                expected.append((made.identifier, event.id, made.previous, "0x" + made.value.hex()))
    found = [
        (
            link.identifier,
            link.event_id,
            None if link.previous_event_id is None else hash_id_to_bytes32(events[link.previous_event_id].hash_id),
            link.value,
        )
        for link in links
    ]
    assert found == expected
    for link in links:
        root = bytes.fromhex(by_batch[link.batch_id].root[2:])
        proof = [link.proof[i : i + 32] for i in range(0, len(link.proof), 32)]
        assert platform.registry.registry.verify_event(root, proof, bytes.fromhex(link.value[2:]))
    return links


def test_pending_events_are_anchored_in_one_batch(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 5)
    worker = AnchoringWorker(platform)
    assert worker.run_once() == 0  # younger than the interval and fewer than a full batch: not yet
    assert worker.run_once(force=True) == 5
    (batch,) = batches(platform)
    assert (batch.leaf_count, batch.sequence, batch.status) == (10, 1, "anchored")  # 5 events, 5 story links
    assert batch.block_time is not None
    assert batch.tx_hash is not None
    assert_all_anchored_once(platform, hashes)
    assert worker.run_once(force=True) == 0  # nothing pending


def test_a_full_batch_goes_at_once_and_the_rest_waits(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    capture(client, tokens["manufacturer"], keys[MANUFACTURER], 7)
    worker = AnchoringWorker(platform)
    worker.max_events = 3
    worker.interval_ms = 60_000
    assert worker.run_once() == 3
    assert worker.run_once() == 3
    assert worker.run_once() == 0  # one left, not due yet
    assert worker.run_once(force=True) == 1
    assert [b.leaf_count for b in batches(platform)] == [6, 6, 2]  # each event and the link of its one serial


def test_links_chain_each_serial_across_batches(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    token, key = tokens["manufacturer"], keys[MANUFACTURER]
    made = capture(client, token, key, 2, prefix="L")
    worker = AnchoringWorker(platform)
    assert worker.run_once(force=True) == 2
    document = signed_document(
        key, [object_event("L0", biz_step="inspecting"), object_event("L1", biz_step="inspecting")]
    )
    later = [e["eventHashId"] for e in post(client, token, document).json()["events"]]
    post(client, token, signed_document(key, [object_event("L0", biz_step="shipping")]))
    assert worker.run_once(force=True) == 3
    links = assert_links_chain(platform)
    ids = {e.hash_id: e.id for e in stored(platform)}
    l0 = [(link.event_id, link.previous_event_id) for link in links if link.identifier.endswith("/21/L0")]
    inspected, shipped = ids[later[0]], max(i for i in ids.values() if i is not None)
    assert l0 == [(ids[made[0]], None), (inspected, ids[made[0]]), (shipped, inspected)]  # in anchoring order


def test_a_batch_stops_at_the_leaf_budget_but_takes_the_first_event(
    client: TestClient,
    platform: Platform,
    tokens: dict[str, str],
    keys: dict[str, SigningKey],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    token, key = tokens["manufacturer"], keys[MANUFACTURER]
    serials = [f"https://id.gs1.org/01/{GTIN}/21/B{i}" for i in range(5)]
    post(client, token, signed_document(key, [object_event("B0", epcList=serials)]))  # 1 event + 5 links
    capture(client, token, key, 3, prefix="C")
    monkeypatch.setattr(anchoring, "MAX_BATCH_LEAVES", 4)
    worker = AnchoringWorker(platform)
    worker.interval_ms = 60_000
    assert worker.run_once() == 1  # over budget alone: it still goes, and the batch counts as full
    assert worker.run_once() == 2  # 2 + 2 leaves
    assert worker.run_once(force=True) == 1
    assert [b.leaf_count for b in batches(platform)] == [6, 4, 2]
    assert_links_chain(platform)


@pytest.mark.parametrize("crash_after", ["prepared", "signed", "broadcast"])
def test_a_crash_at_any_step_anchors_each_batch_exactly_once(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey], crash_after: str
) -> None:
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 4, prefix=crash_after)
    first = AnchoringWorker(platform)
    assert first.hold()
    batch = first._prepare(force=True)
    assert batch is not None
    if crash_after in ("signed", "broadcast"):
        writer = platform.registry.writer
        root = bytes.fromhex(batch.root[2:])
        pending = writer.tx.sign(
            writer.registry.address, writer.registry.encode("anchorRoot", root, 4), gas=ANCHOR_GAS, action="anchorRoot"
        )
        first._set(batch, status="sent", tx_hash=pending.tx_hash, raw_tx=pending.raw, nonce=pending.nonce)
        if crash_after == "broadcast":
            writer.tx.broadcast(pending)
        recorded = pending.tx_hash
    # The process dies here. A new one starts:
    second = AnchoringWorker(platform)
    assert second.recover() == 4
    (done,) = batches(platform)
    assert done.status == "anchored"
    if crash_after != "prepared":
        assert done.tx_hash == recorded  # the same transaction, not a second one
    assert_all_anchored_once(platform, hashes)
    assert second.run_once(force=True) == 0


def test_links_prepared_before_a_crash_are_anchored_as_prepared(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    token, key = tokens["manufacturer"], keys[MANUFACTURER]
    capture(client, token, key, 1, prefix="R")
    assert AnchoringWorker(platform).run_once(force=True) == 1
    post(client, token, signed_document(key, [object_event("R0", biz_step="inspecting")]))
    crashing = AnchoringWorker(platform)
    assert crashing.hold()
    prepared = crashing._prepare(force=True)  # its link names the first event; then the crash
    assert prepared is not None
    with platform.session() as session:
        before = [(link.identifier, link.value) for link in session.exec(select(EventLink)).all()]
    assert AnchoringWorker(platform).recover() == 1  # the same batch, the same root and links
    (_, second) = batches(platform)
    assert (second.id, second.root, second.status) == (prepared.id, prepared.root, "anchored")
    assert [(link.identifier, link.value) for link in assert_links_chain(platform)] == before


def test_a_batch_whose_nonce_was_taken_is_signed_anew(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2)
    worker = AnchoringWorker(platform)
    assert worker.hold()
    batch = worker._prepare(force=True)
    assert batch is not None
    writer = platform.registry.writer
    root = bytes.fromhex(batch.root[2:])
    stale = writer.tx.sign(
        writer.registry.address, writer.registry.encode("anchorRoot", root, 2), gas=ANCHOR_GAS, action="anchorRoot"
    )
    worker._set(batch, status="sent", tx_hash=stale.tx_hash, raw_tx=stale.raw, nonce=stale.nonce)
    writer.tx.resync_nonce()
    writer.anchor_root(b"\x77" * 32, 1)  # another transaction takes that nonce first
    assert AnchoringWorker(platform).recover() == 2
    (done,) = batches(platform)
    assert done.tx_hash != stale.tx_hash
    assert done.sequence == 2
    assert platform.registry.registry.verify_event(
        root,
        [bytes.fromhex(p[2:]) for p in json.loads(stored(platform)[0].proof or "[]")],
        hash_id_to_bytes32(stored(platform)[0].hash_id),
    )
    assert len(hashes) == 2


def test_metrics_follow_capture_and_anchoring(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    capture(client, tokens["manufacturer"], keys[MANUFACTURER], 3)
    assert "supplychain_events_pending 3.0" in client.get("/metrics").text
    AnchoringWorker(platform).run_once(force=True)
    text = client.get("/metrics").text
    assert 'supplychain_events_captured_total{status="ACCEPTED"} 3.0' in text
    assert "supplychain_events_anchored_total 3.0" in text
    assert "supplychain_batches_anchored_total 1.0" in text
    assert "supplychain_events_pending 0.0" in text
    assert "supplychain_anchor_latency_seconds_count 1.0" in text
