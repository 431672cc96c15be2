"""The regulator's audit against a real Hardhat node and the real service over HTTP (issue 7).

A clean history gives no findings. Then, one at a time (the chain and the database back to the clean history before
each), the platform's records are tampered with or the organisations misbehave, and the audit finds exactly that, with
the right code, and nothing else. The incremental run goes on from where the last one stopped, and finds what
was edited, deleted or inserted below the last audited id since (issue 13). Restarting the dev chain
comes last: it leaves the snapshots behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from backend.audit import AuditReport
from backend.audit.html import meaning
from chain.accounts import dev_account
from supplychain.audit import CODES, Severity, iso_s
from supplychain.signing import SigningKey
from tests.backend.audit_world import KEYS, LOT, PLANT, SITE, World, event, serial, start_world
from tests.chains import MANUFACTURER, SUPPLIER, node_modules_ready

pytestmark = [pytest.mark.hardhat, pytest.mark.xdist_group("audit-hardhat")]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if not node_modules_ready():
        pytest.fail("hardhat-local/node_modules is missing: run `make test` (it runs `npm ci`)")
    started = start_world(tmp_path_factory.mktemp("audit"))
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def clean(world: World) -> World:
    """The world with the clean history only (whatever the test before did)."""
    world.restore()
    return world


def found(report: AuditReport) -> dict[str, int]:
    return dict(report.counts)


def only(report: AuditReport, code: str) -> list[dict[str, Any]]:
    """The findings, after checking they are all of ``code``."""
    assert set(report.counts) == {code}, [f.to_json() for f in report.findings]
    return [f.to_json() for f in report.findings]


def test_a_clean_history_gives_no_findings_and_a_report(clean: World, tmp_path: Path) -> None:
    report = clean.audit(out=tmp_path / "zh")
    assert report.findings == [] and report.counts == {} and report.exit_code == 0
    assert (report.events_checked, report.batches_read, report.roots_judged) == (7, 1, 1)
    assert report.continued is False and report.registry_events > 10
    assert report.chain["registry"] == clean.registry.address
    assert report.chain["deploymentBlock"] == clean.registry.deployment.block_number
    assert [s["recognitionId"] for s in report.sample] == [clean.recognition]
    assert report.sample[0]["holder"] == SUPPLIER and report.seed.startswith("0x")
    assert sum(n for _, n in report.timeline["events"]) == 7 and sum(n for _, n in report.timeline["anchors"]) == 1
    data = json.loads((tmp_path / "zh" / "audit-report.json").read_text(encoding="utf-8"))
    assert data["verdict"] == "pass" and data["summary"]["eventsChecked"] == 7
    assert data["spotCheckSample"]["seed"] == report.seed
    html = (tmp_path / "zh" / "audit-report.html").read_text(encoding="utf-8")
    assert "监管审计报告" in html and "<svg" in html and SUPPLIER in html and report.seed in html


def test_the_checks_in_worker_processes_find_the_same(clean: World) -> None:
    clean.execute("UPDATE event SET document = replace(document, 'S2', 'S9') WHERE id = 4")
    report = clean.audit(workers=2, page_size=3)
    assert found(report) == {"hash_mismatch": 1} and report.events_checked == 7


def test_an_edited_event_is_a_hash_mismatch(clean: World) -> None:
    clean.execute("UPDATE event SET document = replace(document, 'S2', 'S9') WHERE id = 4")
    (finding,) = only(clean.audit(), "hash_mismatch")
    assert finding["organisation"] == MANUFACTURER and finding["severity"] == "critical"
    assert finding["evidence"]["eventId"] == 4 and finding["evidence"]["eventHash"].startswith("ni:///sha-256;")


def delete_event(world: World, event_id: int) -> None:
    """What a platform dropping an event does: its rows and story links go, links naming it lose their previous."""
    world.execute("DELETE FROM event_link WHERE event_id = :id", id=event_id)
    world.execute("UPDATE event_link SET previous_event_id = NULL WHERE previous_event_id = :id", id=event_id)
    world.execute("DELETE FROM event_identifier WHERE event_id = :id", id=event_id)
    world.execute("DELETE FROM event WHERE id = :id", id=event_id)


def test_a_deleted_event_leaves_its_root_a_leaf_short(clean: World) -> None:
    delete_event(clean, 5)
    report = clean.audit()
    # its leaf and its story links are gone, and the next link of its identifiers names it: that link is wrong now
    assert set(report.counts) == {"leaf_withheld", "link_wrong"}
    (finding,) = [f.to_json() for f in report.findings if f.code == "leaf_withheld"]
    assert "holds 16 of them" in str(finding["message"]) and finding["evidence"]["block"]
    assert report.exit_code == 1


def test_a_forged_story_link_is_found(clean: World) -> None:
    clean.execute("UPDATE event_link SET value = :v WHERE id = 3", v="0x" + "ab" * 32)
    (finding,) = only(clean.audit(), "link_wrong")
    assert "its value is not sha256(domain, identifier, previous, event)" in str(finding["message"])
    assert finding["severity"] == "critical" and finding["organisation"] is None  # the platform's doing


def test_an_anchored_event_whose_links_were_left_out_is_found(clean: World) -> None:
    t = clean.base_ms + 50_000
    commission = event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("M1"), serial("M2")])
    clean.post(MANUFACTURER, [commission])
    assert clean.anchor() == 1
    clean.execute("DELETE FROM event_link WHERE identifier = :x", x=serial("M2"))  # one of its two links
    report = clean.audit()
    assert set(report.counts) == {"link_missing", "leaf_withheld"}  # and its root is a leaf short
    (missing,) = [f for f in report.findings if f.code == "link_missing"]
    assert missing.message.endswith(f"the event names {serial('M2')}, and no story link of its batch commits it")


def test_a_story_link_computed_around_an_event_is_found(clean: World) -> None:
    """The attack the scanner cannot see: links committed at anchoring time as if an event did not exist; a bundle
    leaving that event out would then chain without a gap. The audit follows every identifier's links."""
    t = clean.base_ms + 50_000
    clean.post(MANUFACTURER, [event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("L1")])])
    assert clean.anchor() == 1
    clean.execute("UPDATE event_link SET identifier = 'hidden' WHERE identifier = :x", x=serial("L1"))
    clean.post(MANUFACTURER, [event("ObjectEvent", t + 1_000, "shipping", action="OBSERVE", epcList=[serial("L1")])])
    assert clean.anchor() == 1  # its link of L1 says it is L1's first event, and is anchored so
    clean.execute("UPDATE event_link SET identifier = :x WHERE identifier = 'hidden'", x=serial("L1"))
    (finding,) = only(clean.audit(), "link_wrong")
    assert "names none (the first) as the event before it" in str(finding["message"])
    assert str(finding["message"]).endswith("an event was linked around")


def test_a_whole_batch_withheld_from_the_export(clean: World) -> None:
    t = clean.base_ms + 20_000
    clean.post(MANUFACTURER, [event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("W1")])])
    assert clean.anchor() == 1
    delete_event(clean, 8)
    clean.execute("DELETE FROM batch WHERE id = 2")
    (finding,) = only(clean.audit(), "root_unknown_to_platform")
    assert finding["evidence"]["tx"] and "2 leaves" in str(finding["message"])  # the event and its story link


def test_an_event_never_anchored(clean: World) -> None:
    body = event("ObjectEvent", clean.base_ms + 30_000, "commissioning", action="ADD", epcList=[serial("N1")])
    hash_id = clean.insert_event(MANUFACTURER, KEYS[MANUFACTURER], body, received_at=clean.base_ms - 3_600_000)
    (finding,) = only(clean.audit(), "not_anchored")
    assert finding["evidence"]["eventHash"] == hash_id and finding["severity"] == "high"


def test_a_replaced_signature(clean: World) -> None:
    clean.execute("UPDATE event SET signature = (SELECT signature FROM event WHERE id = 3) WHERE id = 5")
    (finding,) = only(clean.audit(), "bad_signature")
    assert finding["evidence"]["eventId"] == 5


def test_an_event_signed_with_a_key_revoked_before_its_time(clean: World) -> None:
    spare = SigningKey.from_private_bytes(b"\x55" * 32)
    regulator = clean.registry.as_signer(dev_account("regulator").account)
    regulator.add_key(MANUFACTURER, spare.public_key_bytes)
    regulator.revoke_key(spare.public_key_bytes, 9)
    revoked_at = clean.registry.key_info(spare.public_key_bytes).revoked_at
    assert revoked_at
    body = event("ObjectEvent", (revoked_at + 2) * 1000, "commissioning", action="ADD", epcList=[serial("K1")])
    clean.insert_event(MANUFACTURER, spare, body, received_at=clean.base_ms + 10_000)
    assert clean.anchor() == 1  # the platform anchors what it stored
    (finding,) = only(clean.audit(), "key_not_valid_at_event_time")
    assert f"revoked at {iso_s(revoked_at)}" in str(finding["message"])


def test_a_green_claim_after_the_recognition_was_revoked(clean: World) -> None:
    clean.chain.increase_time(150)  # after every event of the clean history
    certifier = clean.registry.as_signer(dev_account("provincial-certifier").account)
    certifier.revoke_recognition(clean.recognition, 2)  # 摘牌: data falsified
    revoked_at = clean.registry.status_history(clean.recognition)[-1][0]
    claim = event(
        "ObjectEvent",
        (revoked_at + 1) * 1000,
        "shipping",
        action="OBSERVE",
        quantityList=[{"epcClass": LOT, "quantity": 10, "uom": "KGM"}],
        readPoint={"id": PLANT},
        **{"sc:recognition": clean.recognition},
    )
    body = clean.post(SUPPLIER, [claim])
    assert body["events"][0]["recognition"] == {"id": clean.recognition, "status": "REVOKED"}  # recorded, not refused
    assert clean.anchor() == 1
    report = clean.audit()
    (finding,) = only(report, "green_claim_while_lapsed")
    assert finding["organisation"] == SUPPLIER and "REVOKED" in str(finding["message"])
    assert report.sample == []  # nothing left in force to draw


@pytest.mark.parametrize(
    ("sql", "shown"),
    [
        ("UPDATE event SET recognition_id = NULL, recognition_status = NULL WHERE id = 2", "recognition None, signed"),
        ("UPDATE event SET recognition_status = 'REVOKED' WHERE id = 2", "status at the event time 'REVOKED'"),
        ("UPDATE event SET event_time = event_time - 86400000 WHERE id = 4", "eventTime '"),
        ("UPDATE event SET biz_location = 'https://id.gs1.org/414/6901234000030' WHERE id = 4", "bizLocation '"),
        ("UPDATE event SET biz_step = 'receiving' WHERE id = 4", "bizStep 'receiving', signed 'commissioning'"),
    ],
)
def test_the_platforms_record_contradicting_the_signed_event(clean: World, sql: str, shown: str) -> None:
    clean.execute(sql)
    report = clean.audit()
    (finding,) = only(report, "column_mismatch")
    assert shown in str(finding["message"]) and finding["organisation"] is None and report.exit_code == 1


@pytest.mark.parametrize(
    ("sql", "flagged", "also"),
    [
        ("UPDATE event SET event_time = 'x' WHERE id = 4", "event_time", set()),
        ("UPDATE event SET leaf_index = 'x' WHERE id = 4", "leaf_index", set()),
        ("UPDATE event SET document = '{broken' WHERE id = 4", "document", {"hash_mismatch"}),
        ("DELETE FROM event_identifier WHERE event_id = 4", "event_identifier", set()),
        ("UPDATE event SET proof = '{broken' WHERE id = 4", "proof", set()),  # not judged: no withheld leaf
    ],
)
def test_a_record_the_platform_flags_unreadable_is_the_platforms_finding(
    clean: World, sql: str, flagged: str, also: set[str]
) -> None:
    clean.execute(sql)
    report = clean.audit()
    assert set(report.counts) == {"record_unreadable", *also}, [f.to_json() for f in report.findings]
    (finding,) = [f.to_json() for f in report.findings if f.code == "record_unreadable"]
    assert finding["organisation"] is None and finding["evidence"]["eventId"] == 4
    assert f"damaged storage): {flagged};" in finding["message"] and report.exit_code == 1


def test_a_batch_of_an_unknown_status_is_the_platforms_finding(clean: World) -> None:
    clean.execute("UPDATE batch SET status = 'exploded' WHERE id = 1")
    report = clean.audit()
    found = [f.to_json() for f in report.findings]
    assert set(report.counts) == {"record_unreadable"}, found
    assert found[0]["organisation"] is None and found[0]["message"].endswith("(damaged storage): status")


def test_a_citation_added_by_the_platform_is_the_platforms_not_the_makers(clean: World) -> None:
    clean.execute(
        "UPDATE event SET recognition_id = :r, recognition_status = 'IN_FORCE' WHERE id = 4", r=clean.recognition
    )
    (finding,) = only(clean.audit(), "column_mismatch")
    assert finding["organisation"] is None and f"recognition {clean.recognition}, signed None" in finding["message"]


def test_a_swapped_root_shows_the_real_one_without_anchorer(clean: World) -> None:
    with clean.platform.engine.connect() as connection:
        real = connection.execute(text("SELECT root FROM batch WHERE id = 1")).scalar_one()
    clean.execute("UPDATE batch SET root = :fake WHERE id = 1", fake="0x" + "ee" * 32)
    report = clean.audit()
    assert found(report) == {"batch_not_on_chain": 1, "root_unknown_to_platform": 1} and report.exit_code == 1
    unknown = next(f for f in report.findings if f.code == "root_unknown_to_platform")
    assert unknown.batch_root == real and unknown.tx


def test_shipped_before_it_was_produced(clean: World) -> None:
    t = clean.base_ms + 40_000
    clean.post(
        MANUFACTURER,
        [
            event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("E1")], bizLocation={"id": SITE}),
            event("ObjectEvent", t - 10_000, "shipping", action="OBSERVE", epcList=[serial("E1")]),
        ],
    )
    assert clean.anchor() == 2
    (finding,) = only(clean.audit(), "chronology_shipped_before_produced")
    assert finding["organisation"] == MANUFACTURER and finding["severity"] == "medium"


def test_a_second_run_goes_on_from_the_last_block_and_record(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    first = clean.audit(state=state)
    assert first.findings == [] and first.events_checked == 7 and state.exists()
    t = clean.base_ms + 50_000
    clean.post(
        MANUFACTURER,
        [event("ObjectEvent", t + n, "commissioning", action="ADD", epcList=[serial(f"I{n}")]) for n in range(2)],
    )
    assert clean.anchor() == 2
    clean.post(MANUFACTURER, [event("ObjectEvent", t + 5, "commissioning", action="ADD", epcList=[serial("I5")])])
    second = clean.audit(state=state)
    assert second.continued and second.findings == []
    assert (second.events_checked, second.events_rechecked, second.events_total) == (3, 0, 10)
    assert second.blocks["fromBlock"] == first.blocks["toBlock"] + 1
    assert second.registry_events == 1 and second.roots_judged == 1  # the new anchor only
    assert any("continued from block" in note for note in second.notes)
    assert clean.anchor() == 1
    third = clean.audit(state=state)
    assert third.findings == [] and (third.events_checked, third.events_rechecked, third.events_total) == (0, 1, 10)


def test_a_tampered_record_found_by_a_later_run(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    assert clean.audit(state=state).findings == []
    t = clean.base_ms + 60_000
    clean.post(MANUFACTURER, [event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("T1")])])
    assert clean.anchor() == 1
    clean.execute("UPDATE event SET signature = (SELECT signature FROM event WHERE id = 3) WHERE id = 8")
    later = clean.audit(state=state)
    assert later.continued and found(later) == {"bad_signature": 1} and later.events_checked == 1


def continued(world: World, state: Path) -> AuditReport:
    """A second run in the same state folder, after a first one found the store clean."""
    report = world.audit(state=state)
    assert report.continued and report.events_checked == 0
    return report


def test_a_continued_run_on_an_untouched_store_compares_everything_and_finds_nothing(
    clean: World, tmp_path: Path
) -> None:
    state = tmp_path / "audit-state.json"
    assert clean.audit(state=state).findings == []
    again = continued(clean, state)
    assert again.findings == [] and again.exit_code == 0 and again.events_compared == 7
    assert again.to_json()["summary"]["eventsCompared"] == 7


def test_a_document_edited_after_an_audit_is_found_by_the_next_run(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    assert clean.audit(state=state).findings == []
    clean.execute("UPDATE event SET document = replace(document, 'S2', 'S9') WHERE id = 4")
    (finding,) = only(later := continued(clean, state), "audited_event_changed")
    assert finding["evidence"]["eventId"] == 4 and finding["severity"] == "critical" and later.exit_code == 1
    assert found(continued(clean, state)) == {"audited_event_changed": 1}  # and again, until it is served as audited


def test_an_event_deleted_after_an_audit_is_found_by_the_next_run(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    assert clean.audit(state=state).findings == []
    delete_event(clean, 5)
    later = continued(clean, state)
    # and the record of the event after it changed: its story link no longer names the one before
    assert set(later.counts) == {"audited_event_missing", "audited_event_changed"}
    (finding,) = [f.to_json() for f in later.findings if f.code == "audited_event_missing"]
    assert finding["evidence"]["eventId"] == 5 and later.exit_code == 1 and later.events_compared == 6


def test_the_last_event_deleted_after_an_audit_is_found_by_the_next_run(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    assert clean.audit(state=state).findings == []
    delete_event(clean, 7)
    (finding,) = only(later := continued(clean, state), "audited_event_missing")
    assert finding["evidence"]["eventId"] == 7 and later.exit_code == 1


def test_a_signature_changed_after_an_audit_is_found_by_the_next_run(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    assert clean.audit(state=state).findings == []
    clean.execute("UPDATE event SET signature = (SELECT signature FROM event WHERE id = 3) WHERE id = 5")
    (finding,) = only(later := continued(clean, state), "audited_event_changed")
    assert finding["evidence"]["eventId"] == 5 and later.exit_code == 1


def test_an_event_inserted_below_the_last_audited_id_is_found_by_the_next_run(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    t = clean.base_ms + 45_000
    body = event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("G1")])
    clean.insert_event(MANUFACTURER, KEYS[MANUFACTURER], body, received_at=t)
    assert clean.anchor() == 1
    clean.renumber(8, 20)  # a gap in the ids: 1..7, 20
    first = clean.audit(state=state)
    assert first.findings == [] and first.events_checked == 8
    back_dated = event("ObjectEvent", t + 1, "commissioning", action="ADD", epcList=[serial("G2")])
    clean.insert_event(MANUFACTURER, KEYS[MANUFACTURER], back_dated, received_at=t + 1)
    clean.renumber(21, 10)
    later = continued(clean, state)
    (finding,) = only(later, "event_inserted_into_audited_range")
    assert finding["evidence"]["eventId"] == 10 and "below the last id audited before (20)" in finding["message"]
    assert later.exit_code == 1 and later.events_compared == 8


def test_an_unanchored_event_deleted_after_an_audit_is_found_by_the_next_run(clean: World, tmp_path: Path) -> None:
    state = tmp_path / "audit-state.json"
    t = clean.base_ms + 47_000
    body = clean.post(MANUFACTURER, [event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("U1")])])
    first = clean.audit(state=state)  # not yet anchored, within its deadline
    assert first.findings == [] and first.events_checked == 8
    clean.execute("DELETE FROM event_identifier WHERE event_id = 8")
    clean.execute("DELETE FROM event WHERE id = 8")
    (finding,) = only(later := continued(clean, state), "audited_event_missing")
    assert finding["evidence"]["eventId"] == 8 and finding["evidence"]["eventHash"] == body["events"][0]["eventHashId"]
    assert later.exit_code == 1 and later.events_compared == 7


def test_master_data_leaves_are_counted_in_their_roots_and_checked(clean: World) -> None:
    import httpx

    from supplychain.masterdata import ProductMasterData, build_product, sign_master_data
    from tests.backend.prefixes import hold_prefixes

    hold_prefixes(clean.platform)
    t = clean.chain.block_timestamp()
    clean.post(
        MANUFACTURER, [event("ObjectEvent", t * 1000 + 900, "commissioning", action="ADD", epcList=[serial("M1")])]
    )
    product = ProductMasterData(serial("M1").split("/01/")[1][:14], {"zh-CN": "审计样品"}, 1, t)
    published = httpx.post(
        clean.url + f"/products/{product.gtin}/master-data",
        content=json.dumps(sign_master_data(KEYS[MANUFACTURER], MANUFACTURER, build_product(product))).encode(),
        headers={"Authorization": f"Bearer {clean.tokens[MANUFACTURER]}", "Content-Type": "application/json"},
        timeout=60,
    )
    assert published.status_code == 201, published.text
    assert clean.anchor() == 2  # one batch: the event and the master data
    report = clean.audit()
    assert report.findings == [] and report.roots_judged == 2  # its leaf is no withheld leaf
    # a master data version stored behind the platform's back, signed by the supplier for the maker's GTIN
    forged = sign_master_data(
        KEYS[SUPPLIER], SUPPLIER, build_product(ProductMasterData(product.gtin, {"zh-CN": "冒名"}, 2, t))
    )
    clean.execute(
        "INSERT INTO master_data (gtin, version, org_id, key_id, signature, document_hash, envelope, valid_from, "
        "received_at) VALUES (:gtin, 2, :org, :key, :sig, :hash, :envelope, :t, 0)",
        gtin=product.gtin, org=SUPPLIER, key=forged["keyId"], sig=forged["signature"], hash=forged["documentHash"],
        envelope=json.dumps(forged), t=t,
    )  # fmt: skip
    (finding,) = only(clean.audit(), "master_data_invalid")
    assert finding["organisation"] == SUPPLIER and "may not speak for GTIN" in finding["message"]


def test_codes_and_severities_are_stable_and_explained_in_both_languages() -> None:
    assert CODES["leaf_withheld"][0] is Severity.CRITICAL and CODES["anchor_remade"][0] is Severity.INFO
    assert len(CODES) == 34
    for code, (_, english) in CODES.items():  # every meaning has its Chinese in the catalogue
        assert meaning(code, "en") == english and meaning(code, "zh-CN") not in ("", english), code


def test_the_runner_knows_the_platform_only_by_its_http_export() -> None:
    """backend.audit imports nothing of the service (no database, models, routes or services): HTTP and chain only."""
    import ast

    root = Path(__file__).resolve().parents[2] / "backend" / "audit"
    forbidden = (
        "backend.services",
        "backend.models",
        "backend.api",
        "backend.core",
        "sqlmodel",
        "sqlalchemy",
        "fastapi",
    )
    modules = {}
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        names |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        modules[path.name] = {n for n in names if n.startswith(forbidden)}
    assert len(modules) >= 8 and not any(modules.values()), modules


def test_a_restarted_dev_chain_gives_remade_anchors_only(clean: World, tmp_path: Path) -> None:
    # last: the node restarts and the snapshot of the clean history goes with it
    state = tmp_path / "audit-state.json"
    t = clean.base_ms + 70_000
    clean.post(MANUFACTURER, [event("ObjectEvent", t, "commissioning", action="ADD", epcList=[serial("R1")])])
    assert clean.anchor() == 1
    assert clean.audit(state=state).findings == []
    clean.restart_node()
    assert clean.anchor() == 0  # notices the reset, replays the journal, re-makes the anchors
    assert clean.platform.registry.restored_at is not None
    report = clean.audit(state=state)
    remade = only(report, "anchor_remade")
    assert len(remade) == 2 and report.exit_code == 0 and all(f["severity"] == "info" for f in remade)
    assert not report.continued and any("starting over" in note for note in report.notes)
    assert report.events_checked == 8 and report.roots_judged == 2
