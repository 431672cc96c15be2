"""Every clean store the project makes audits clean: the demo's story and `bench audit`'s synthetic store (no chain).

The demo's steps are 0.1 s apart: the case goes from the maker's site to the shop in 0.4 s, the modules with it.
That is a recorded handover (shipped, then received and unpacked at the shop), not a serial at two places at once.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

from backend.audit.pool import ChunkChecker
from backend.audit.runner import check_stream
from benchmarks.audit import _pages
from benchmarks.synthetic import SyntheticStore, build_batch, synthetic_registry
from cli.demo import DEMO_ORGANISATIONS, demo_key
from cli.demo_story import CONTEXT, STEP_SECONDS, _story
from supplychain.audit import Auditor, EventChecker, iso_ms
from supplychain.eventhash import event_hash_id, hash_context
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import Grade, Level, RecognitionKind, RegistryMirror, Scope
from supplychain.registry import events as ev
from supplychain.signing import encode_signature, sign_hash_id

T0 = 1_767_225_600
ROLES = {
    "manufacturer": DEMO_ORGANISATIONS[0].org_id,
    "supplier": DEMO_ORGANISATIONS[1].org_id,
    "logistics": DEMO_ORGANISATIONS[2].org_id,
    "retailer": DEMO_ORGANISATIONS[3].org_id,
}


def _demo_world(
    start: float, extra: tuple[tuple[str, dict[str, Any]], ...] = ()
) -> tuple[list[dict[str, Any]], dict[str, Any], RegistryMirror]:
    """The demo's events (and ``extra`` ones) as the platform exports them, one anchored batch, the demo's registry."""
    story = [*_story(start, ROLES, recognition=1), *extra]
    ctx = hash_context(CONTEXT)
    records = []
    for n, (role, body) in enumerate(story, start=1):
        org = ROLES[role]
        hash_id = event_hash_id(body, ctx)
        records.append(
            {
                "id": n,
                "hashId": hash_id,
                "organisationId": org,
                "keyId": demo_key(org).key_id,
                "signature": encode_signature(sign_hash_id(demo_key(org), hash_id)),
                "receivedAt": int(start * 1000) + 3000,
                "recognition": {"id": 1, "statusAtCapture": "IN_FORCE"} if "sc:recognition" in body else None,
                "document": {"@context": CONTEXT, **body},
            }
        )
    tree = MerkleTree.build([hash_id_to_bytes32(r["hashId"]) for r in records])
    root = "0x" + tree.root.hex()
    for r in records:
        r["root"], r["proof"] = root, ["0x" + p.hex() for p in tree.proof(hash_id_to_bytes32(r["hashId"]))]
    batch = {"id": 1, "root": root, "leafCount": len(records), "status": "anchored", "blockNumber": 9}
    batch |= {"txHash": "0x" + "22" * 32, "remadeAt": None}  # the transaction the history below anchors it in
    positions = iter(range(1, 100))

    def at(block: int) -> ev.LogPosition:
        return ev.LogPosition(block, next(positions), "0x" + "22" * 32)

    history: list[ev.RegistryEvent] = []
    for org in DEMO_ORGANISATIONS:
        history.append(ev.OrganisationRegistered(at(1), T0, org.org_id, org.roles, b"\0" * 32, ""))
    for org in DEMO_ORGANISATIONS:
        history.append(ev.KeyAdded(at(2), T0, org.org_id, demo_key(org.org_id).public_key_bytes))
    terms = ev.RecognitionTerms(
        ROLES["supplier"], RecognitionKind.GREEN_FACTORY, Level.PROVINCIAL, Grade.NONE, Scope.ENTERPRISE, "",
        "GB/T 36132-2018", T0, T0 + 86_400 * 365, b"\1" * 32,
    )  # fmt: skip
    history.append(ev.RecognitionIssued(at(3), T0, 1, "0x" + "cc" * 20, terms))
    history.append(ev.RootAnchored(at(9), int(start) + 5, bytes.fromhex(root[2:]), 1, "0x" + "aa" * 20, len(records)))
    return records, batch, RegistryMirror().apply_all(history)


def _audit(records: list[dict[str, Any]], batch: dict[str, Any], mirror: RegistryMirror) -> Auditor:
    checker, auditor = EventChecker(mirror), Auditor()
    auditor.add_batch(batch)
    for r in records:
        auditor.add_event(checker.check(copy.deepcopy(r)), mirror.anchors)
    auditor.finish(mirror, judged_block=10**9, now_ms=int(time.time() * 1000))
    return auditor


def test_the_demo_story_audits_clean_in_any_storage_order() -> None:
    records, batch, mirror = _demo_world(T0 + 100.0)
    assert STEP_SECONDS < 1  # the story's steps are sub-second: the handovers are faster than any window
    for order in (records, records[::-1]):
        auditor = _audit(order, batch, mirror)
        assert auditor.findings == [], [f.message for f in auditor.findings]
        assert auditor.events_checked == 11 and auditor.roots_judged == 1


def test_a_serial_back_at_the_makers_site_right_after_the_shop_received_it_is_still_found() -> None:
    start = T0 + 100.0
    maker = ROLES["manufacturer"]
    module = _story(start, ROLES)[3][1]["outputEPCList"][1]
    back = {
        "type": "ObjectEvent",
        "eventTime": iso_ms(int((start + 10 * STEP_SECONDS + 10) * 1000)),  # 10 s after the shop unpacked it
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "epcList": [module],
        "bizLocation": {"id": f"https://id.gs1.org/414/{maker}"},
    }
    auditor = _audit(*_demo_world(start, (("manufacturer", back),)))
    assert [f.code for f in auditor.findings] == ["chronology_two_places_at_once"]
    (found,) = auditor.findings
    assert found.item == module and found.organisation == maker and found.event_id == 12
    assert found.message == (
        f"{module}: at https://id.gs1.org/414/{maker} at 2026-01-01T00:01:51.000Z "
        f"(event {found.event_hash[14:26]} (record 12), {maker}) and at https://id.gs1.org/414/{ROLES['retailer']} "
        "at 2026-01-01T00:01:40.900Z, less than 60 s apart with no recorded arrival between"
    )


def test_the_synthetic_store_of_bench_audit_audits_clean(tmp_path: Path) -> None:
    store = SyntheticStore(tmp_path, 40, 16)
    batches = []
    with store.events_path.open("wb") as out:
        for lines, batch in map(build_batch, store.batch_ranges()):
            out.write(b"\n".join(lines) + b"\n")
            batches.append(batch)
    mirror = synthetic_registry(batches)
    auditor = Auditor()
    for batch in batches:
        auditor.add_batch(batch)
    with ChunkChecker(mirror, 0) as checker:
        check_stream(auditor, checker, _pages(store.events_path), mirror.anchors)
    auditor.finish(mirror, judged_block=2**62, now_ms=int(time.time() * 1000))
    assert auditor.findings == [] and auditor.events_checked == 40 and auditor.roots_judged == 3
