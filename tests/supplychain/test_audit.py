"""The audit's checks (supplychain.audit): each finding code from a record that shows it; nothing from clean ones."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pytest

from supplychain.audit import (
    CODES,
    MAX_BUCKETS,
    Auditor,
    AuditParameters,
    AuditStateError,
    Checked,
    Chronology,
    EventChecker,
    Finding,
    HistoryFormatError,
    ProofChecker,
    Seals,
    Severity,
    event_facts,
    event_label,
    finding,
    history_from_json,
    history_to_json,
    identifier_key,
    iso_ms,
    iso_s,
    record_print,
    spot_check_sample,
)
from supplychain.audit import _auditor as auditor_module
from supplychain.audit import _check as check_module
from supplychain.epcis import parse_event
from supplychain.eventhash import event_hash_id, hash_context
from supplychain.links import LinkChain, document_identifiers, item_identifiers
from supplychain.merkle import MerkleTree, hash_id_to_bytes32, verify_proof
from supplychain.registry import BusinessRole, Grade, Level, RecognitionKind, RegistryMirror, Scope
from supplychain.registry import events as ev
from supplychain.signing import SigningKey, encode_signature, sign_hash_id
from tests.supplychain.factories import appliance_chain, parse_time

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, seconds
MAKER, SUPPLIER, RETAILER, STRANGER = "6901234000016", "91320200MA1MX7K3GD", "6901234000030", "6901234000047"
ANCHORER = "0x" + "aa" * 20
OTHER_ANCHORER = "0x" + "bb" * 20
CONTEXT = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sc": "https://ns.supplychain.dev/epcis/"}]
KEYS = {org: SigningKey.from_private_bytes(bytes([n + 1]) * 32) for n, org in enumerate((MAKER, SUPPLIER, RETAILER))}
REVOKED = SigningKey.from_private_bytes(b"\x09" * 32)
UNREGISTERED = SigningKey.from_private_bytes(b"\x0a" * 32)
PLANT, SHOP = "https://id.gs1.org/414/6901234000016", "https://id.gs1.org/414/6901234000030"
GTIN = "06901234000108"


def iso(ms: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def serial(name: str) -> str:
    return f"https://id.gs1.org/01/{GTIN}/21/{name}"


def registry_history(*, lapse: str | None = None) -> list[ev.RegistryEvent]:
    """Three organisations and their keys at T0, a revoked key, recognition 1 of the supplier (valid T0..T0+10 days,
    suspended at T0+1000 when ``lapse`` is 'suspend', revoked when 'revoke'), recognition 2 issued later."""
    n = 0

    def at(block: int) -> ev.LogPosition:
        nonlocal n
        n += 1
        return ev.LogPosition(block, n, f"0x{n:064x}")

    terms = ev.RecognitionTerms(
        SUPPLIER,
        RecognitionKind.GREEN_FACTORY,
        Level.PROVINCIAL,
        Grade.NONE,
        Scope.ENTERPRISE,
        "",
        "GB/T 36132-2018",
        T0,
        T0 + 10 * 86_400,
        b"\x01" * 32,
    )
    history: list[ev.RegistryEvent] = [
        ev.OrganisationRegistered(at(1), T0, MAKER, BusinessRole.MANUFACTURER, b"\0" * 32, ""),
        ev.OrganisationRegistered(
            at(1), T0, SUPPLIER, BusinessRole.SUPPLIER | BusinessRole.MANUFACTURER, b"\0" * 32, ""
        ),
        ev.OrganisationRegistered(at(1), T0, RETAILER, BusinessRole.RETAILER, b"\0" * 32, ""),
    ]
    history += [ev.KeyAdded(at(2), T0, org, key.public_key_bytes) for org, key in KEYS.items()]
    history.append(ev.KeyAdded(at(2), T0, MAKER, REVOKED.public_key_bytes))
    history.append(ev.KeyRevoked(at(3), T0 + 500, MAKER, REVOKED.public_key_bytes, 9))
    history.append(ev.RecognitionIssued(at(3), T0, 1, "0x" + "cc" * 20, terms))
    if lapse == "suspend":
        history.append(ev.RecognitionSuspended(at(4), T0 + 1000, 1, SUPPLIER, "0x" + "dd" * 20, 1))
    elif lapse == "revoke":
        history.append(ev.RecognitionRevoked(at(4), T0 + 1000, 1, SUPPLIER, "0x" + "dd" * 20, 2))
    history.append(ev.RecognitionIssued(at(5), T0 + 5000, 2, "0x" + "cc" * 20, terms))
    return history


def event_doc(step: str, at_ms: int, **fields: Any) -> dict[str, Any]:
    return {"@context": CONTEXT, "type": "ObjectEvent", "eventTime": iso(at_ms), "bizStep": step, **fields}


def hash_of(document: Mapping[str, Any]) -> str:
    body = {k: v for k, v in document.items() if k != "@context"}
    return event_hash_id(body, hash_context(document.get("@context")))


def record(
    document: dict[str, Any], org: str, *, key: SigningKey | None = None, received: int | None = None, **extra: Any
) -> dict[str, Any]:
    """An export record of a signed event (not batched: add root and proof with :func:`batch`)."""
    signer = key or KEYS[org]
    hash_id = hash_of(document)
    out = {
        "id": 0,
        "hashId": hash_id,
        "organisationId": org,
        "keyId": signer.key_id,
        "signature": encode_signature(sign_hash_id(signer, hash_id)),
        "receivedAt": received if received is not None else T0 * 1000 + 60_000,
        "root": None,
        "proof": None,
        "document": document,
    }
    out.update(extra)
    return out


def batch(records: list[dict[str, Any]], batch_id: int, *, first_id: int = 1) -> dict[str, Any]:
    """Give the records ids, a Merkle batch, a root and proofs; returns the batch record."""
    tree = MerkleTree.build([hash_id_to_bytes32(r["hashId"]) for r in records])
    root = "0x" + tree.root.hex()
    for n, r in enumerate(records):
        r["id"] = first_id + n
        r["root"] = root
        r["proof"] = ["0x" + p.hex() for p in tree.proof(hash_id_to_bytes32(r["hashId"]))]
    return {
        "id": batch_id,
        "root": root,
        "leafCount": len(records),
        "status": "anchored",
        "blockNumber": 100 + batch_id,
        "txHash": f"0x{batch_id:064x}",
        "remadeAt": None,
    }


def anchored(
    history: list[ev.RegistryEvent], batches: list[dict[str, Any]], *, at: int, anchorer: str = ANCHORER
) -> None:
    """Append the batches' anchors to the history, at time ``at`` (s)."""
    last = history[-1].position
    for n, b in enumerate(batches, start=1):
        position = ev.LogPosition(b["blockNumber"], last.log_index + n, b["txHash"])
        history.append(ev.RootAnchored(position, at, bytes.fromhex(b["root"][2:]), b["id"], anchorer, b["leafCount"]))


def clean_story() -> list[dict[str, Any]]:
    """The supplier makes a lot and ships it citing its recognition; the maker commissions a serial at its plant and
    ships it; the retailer receives it at its shop three minutes later and sells it."""
    t = T0 * 1000 + 100_000
    lot = f"https://id.gs1.org/01/{GTIN}/10/LOT1"
    return [
        record(
            event_doc("commissioning", t, action="ADD", quantityList=[{"epcClass": lot, "quantity": 5}]),
            SUPPLIER,
        ),
        record(
            event_doc(
                "shipping", t + 1000, action="OBSERVE", quantityList=[{"epcClass": lot}], **{"sc:recognition": 1}
            ),
            SUPPLIER,
            recognition={"id": 1, "statusAtCapture": "IN_FORCE"},
        ),
        record(
            event_doc(
                "commissioning",
                t + 2000,
                action="ADD",
                epcList=[serial("0001")],
                bizLocation={"id": PLANT},
                ilmd={"cbvmda:lotNumber": "L9"},
            ),
            MAKER,
        ),
        record(event_doc("shipping", t + 3000, action="OBSERVE", epcList=[serial("0001")]), MAKER),
        record(
            event_doc("receiving", t + 200_000, action="OBSERVE", epcList=[serial("0001")], bizLocation={"id": SHOP}),
            RETAILER,
        ),
        record(
            event_doc(
                "retail_selling", t + 250_000, action="OBSERVE", epcList=[serial("0001")], bizLocation={"id": SHOP}
            ),
            RETAILER,
        ),
    ]


def audit(
    records: list[dict[str, Any]],
    batches: list[dict[str, Any]],
    history: list[ev.RegistryEvent],
    *,
    now_ms: int = T0 * 1000 + 200_000,
    parameters: AuditParameters | None = None,
    later_roots: tuple[str, ...] = (),
    judged_block: int = 10**9,
) -> Auditor:
    mirror = RegistryMirror().apply_all(history)
    checker = EventChecker(mirror)
    auditor = Auditor(parameters)
    for b in batches:
        auditor.add_batch(b)
    for r in records:
        auditor.add_event(checker.check(copy.deepcopy(r)), mirror.anchors)
    auditor.finish(mirror, judged_block=judged_block, now_ms=now_ms, later_roots=later_roots)
    return auditor


def world(
    records: list[dict[str, Any]] | None = None, *, lapse: str | None = None, anchor_at: int = T0 + 120
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[ev.RegistryEvent]]:
    records = records if records is not None else clean_story()
    batches = [batch(records, 1)]
    history = registry_history(lapse=lapse)
    anchored(history, batches, at=anchor_at)
    return records, batches, history


def codes(auditor: Auditor) -> list[str]:
    return sorted(f.code for f in auditor.findings)


# --- a clean history ---


def test_a_clean_history_gives_no_findings() -> None:
    auditor = audit(*world())
    assert auditor.findings == [] and not auditor.serious
    assert auditor.events_checked == 6 and auditor.roots_judged == 1 and auditor.unsettled == {}
    assert auditor.organisations == {SUPPLIER: 2, MAKER: 2, RETAILER: 2}


def test_the_reference_supply_chain_in_epc_urns_is_clean() -> None:
    scenario = appliance_chain()
    chain = scenario.chain
    chain.anchor_positions()
    history = chain.registry_events()
    mirror = RegistryMirror().apply_all(history)
    checker, auditor = EventChecker(mirror), Auditor()
    roots: dict[bytes, dict[str, Any]] = {}
    for n, envelope in enumerate(chain.envelopes, start=1):
        a = chain.anchored[envelope["eventHashId"]]
        root = "0x" + a.root.hex()
        roots.setdefault(a.root, {"id": a.sequence, "root": root, "leafCount": 0, "status": "anchored"})
        roots[a.root]["leafCount"] += 1
        roots[a.root] |= {"blockNumber": a.block_number, "txHash": a.tx_hash, "remadeAt": None}
        record_ = {
            "id": n,
            "hashId": envelope["eventHashId"],
            "organisationId": envelope["organisationId"],
            "keyId": envelope["keyId"],
            "signature": envelope["signature"],
            "receivedAt": (a.timestamp - 60) * 1000,
            "root": root,
            "proof": ["0x" + p.hex() for p in a.proof],
            "recognition": None,
            "document": json.loads(json.dumps(envelope["event"])),
        }
        assert parse_time(envelope) < a.timestamp
        checked = checker.check(record_)
        assert checked.findings == () and checked.proof_ok, checked
        auditor.add_event(checked, mirror.anchors)
    for b in roots.values():
        auditor.add_batch(b)
    auditor.finish(mirror, judged_block=10**9, now_ms=2**50)
    assert auditor.findings == []
    assert auditor.roots_judged == 2 and auditor.events_checked == len(chain.envelopes)
    assert len(auditor.chronology.places) > 0
    assert len(auditor.chronology.awaiting_production) == 1  # the pallet: packed, never commissioned


# --- one stored event ---


def test_an_edited_document_is_a_hash_mismatch_and_nothing_else() -> None:
    records, batches, history = world()
    records[2]["document"]["epcList"] = [serial("0002")]
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["hash_mismatch"]
    found = auditor.findings[0]
    assert (found.organisation, found.event_hash, found.event_id, found.severity) == (
        MAKER,
        records[2]["hashId"],
        3,
        Severity.CRITICAL,
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [("{not json", "is not JSON"), ("[1, 2]", "is no object"), (json.dumps({"type": 7}), "unhashable")],
)
def test_a_document_that_cannot_be_hashed_is_a_hash_mismatch(document: str, reason: str) -> None:
    records, batches, history = world()
    records[0]["document"] = document
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["hash_mismatch"] and reason in auditor.findings[0].message


def test_a_document_kept_as_json_text_is_read() -> None:
    records, batches, history = world()
    records[0]["document"] = json.dumps(records[0]["document"])
    assert audit(records, batches, history).findings == []


def test_a_replaced_signature_is_a_bad_signature() -> None:
    records, batches, history = world()
    records[3]["signature"] = records[2]["signature"]
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["bad_signature"] and "does not verify" in auditor.findings[0].message


def test_a_malformed_key_id_is_a_bad_signature_of_an_unregistered_key() -> None:
    records, batches, history = world()
    records[3]["keyId"] = "0xNOT"
    assert codes(audit(records, batches, history)) == ["bad_signature", "key_not_registered"]


def test_an_unregistered_key_and_another_organisations_key() -> None:
    stranger = record(event_doc("shipping", T0 * 1000 + 5000, action="OBSERVE"), MAKER, key=UNREGISTERED)
    borrowed = record(event_doc("shipping", T0 * 1000 + 6000, action="OBSERVE"), MAKER, key=KEYS[RETAILER])
    auditor = audit(*world([stranger, borrowed]))
    assert codes(auditor) == ["key_not_registered", "key_not_registered"]
    assert f"it is {RETAILER}'s" in auditor.findings[1].message


def test_a_key_revoked_before_the_event_time() -> None:
    before = record(event_doc("shipping", (T0 + 100) * 1000, action="OBSERVE"), MAKER, key=REVOKED)
    after = record(event_doc("shipping", (T0 + 600) * 1000, action="OBSERVE"), MAKER, key=REVOKED)
    auditor = audit(*world([before, after], anchor_at=T0 + 350))  # within the skew of both event times
    assert codes(auditor) == ["key_not_valid_at_event_time"]
    assert auditor.findings[0].event_hash == after["hashId"] and "revoked at" in auditor.findings[0].message


def test_a_key_not_yet_valid_at_the_event_time() -> None:
    early = record(event_doc("shipping", (T0 - 10) * 1000, action="OBSERVE"), MAKER)
    assert codes(audit(*world([early]))) == ["biz_step_not_allowed", "key_not_valid_at_event_time"]


def test_a_biz_step_the_roles_do_not_allow() -> None:
    selling = record(event_doc("retail_selling", T0 * 1000 + 5000, action="OBSERVE"), MAKER)
    user_step = record(event_doc("https://example.com/steps/polishing", T0 * 1000 + 6000, action="OBSERVE"), MAKER)
    misspelt = record(event_doc("shiping", T0 * 1000 + 7000, action="OBSERVE"), MAKER)
    auditor = audit(*world([selling, user_step, misspelt]))
    assert codes(auditor) == ["biz_step_not_allowed"] * 3
    assert "'retail_selling' is not allowed" in auditor.findings[0].message


def test_roles_as_they_stood_at_the_event_time() -> None:
    before = record(event_doc("departing", (T0 + 500) * 1000, action="OBSERVE"), RETAILER)
    after = record(event_doc("departing", (T0 + 620) * 1000, action="OBSERVE"), RETAILER)
    stranger = record(event_doc("shipping", (T0 + 600) * 1000, action="OBSERVE"), STRANGER, key=UNREGISTERED)
    records, batches, history = world([before, after, stranger], anchor_at=T0 + 350)
    last = history[-1].position
    history.append(
        ev.OrganisationUpdated(
            ev.LogPosition(last.block_number + 1, 0, "0x1"),
            T0 + 550,
            RETAILER,
            BusinessRole.RETAILER | BusinessRole.LOGISTICS,
            b"\0" * 32,
            "",
        )
    )
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["biz_step_not_allowed", "biz_step_not_allowed", "key_not_registered"]
    assert {f.event_hash for f in auditor.findings} == {before["hashId"], stranger["hashId"]}


def test_commissioning_another_organisations_gtin() -> None:
    # the maker holds 6901234 from T0 + 100: the supplier's commissioning of its GTIN after that is a finding;
    # before it, nobody owned the GTIN (no one's wrong: capture refused such events as gtin_owner_unknown)
    serial = {"epcList": [f"https://id.gs1.org/01/{GTIN}/21/X1"]}
    before = record(event_doc("commissioning", (T0 + 50) * 1000, action="ADD", **serial), SUPPLIER)
    stolen = record(event_doc("commissioning", (T0 + 200) * 1000, action="ADD", **serial), SUPPLIER)
    own = record(event_doc("commissioning", (T0 + 300) * 1000, action="ADD", **serial), MAKER)
    records, batches, history = world([before, stolen, own])
    last = history[-1].position
    position = ev.LogPosition(last.block_number + 1, 0, "0x2")
    history.append(ev.PrefixAssigned(position, T0 + 100, "6901234", MAKER, "0x" + "99" * 20, None))
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["not_gtin_owner"]
    found = auditor.findings[0]
    assert (found.organisation, found.event_hash, found.severity.serious) == (SUPPLIER, stolen["hashId"], True)
    assert f"GTIN {GTIN} belongs to organisation {MAKER} (GS1 Company Prefix 6901234)" in found.message


def test_an_event_time_without_zone_is_utc_and_an_unreadable_one_falls_back() -> None:
    naive = record(event_doc("shipping", 0, action="OBSERVE") | {"eventTime": iso(T0 * 1000 + 5000)[:-1]}, MAKER)
    odd = record(event_doc("shipping", 0, action="OBSERVE") | {"eventTime": "cbv:not-a-time"}, MAKER)
    odd["eventTime"] = T0 * 1000 + 6000
    bare = record(event_doc("shipping", 0, action="OBSERVE") | {"eventTime": "cbv:not-a-time-either"}, MAKER)
    auditor = audit(*world([naive, odd, bare]))
    # bare: time 0, before all; odd: the platform's eventTime is not what the signed document says
    assert codes(auditor) == ["biz_step_not_allowed", "column_mismatch", "key_not_valid_at_event_time"]


@pytest.mark.parametrize(
    ("lapse", "at_s", "code"),
    [
        ("suspend", T0 + 2000, "green_claim_while_lapsed"),
        ("revoke", T0 + 2000, "green_claim_while_lapsed"),
        (None, T0 + 11 * 86_400, "green_claim_while_lapsed"),  # expired
        (None, T0 - 5, "green_claim_unfounded"),  # not yet valid (and the key neither)
    ],
)
def test_a_green_claim_while_the_recognition_lapsed(lapse: str | None, at_s: int, code: str) -> None:
    claim = record(
        event_doc("shipping", at_s * 1000, action="OBSERVE", **{"sc:recognition": 1}),
        SUPPLIER,
        recognition={"id": 1, "statusAtCapture": "REVOKED"},
    )
    auditor = audit(*world([claim], lapse=lapse), now_ms=at_s * 1000 + 1)
    assert code in codes(auditor)
    assert {"green_claim_while_lapsed", "green_claim_unfounded"} & set(codes(auditor)) == {code}


@pytest.mark.parametrize(
    ("citation", "expected"),
    [
        ({"sc:recognition": 1}, []),
        ({"sc:recognition": "1"}, []),
        ({"https://ns.supplychain.dev/epcis/recognition": 1}, []),
        ({"sc:recognition": 99}, ["green_claim_unfounded"]),
        ({"sc:recognition": "one"}, ["green_claim_unfounded"]),
        ({"ex:recognition": 99, "sc:other": 1}, []),  # not our namespace: no citation
    ],
)
def test_a_citation_read_from_the_document(citation: dict[str, Any], expected: list[str]) -> None:
    context = [*CONTEXT, {"ex": "https://example.com/"}]
    cites = record(
        event_doc("shipping", T0 * 1000 + 5000, action="OBSERVE") | citation | {"@context": context}, SUPPLIER
    )
    assert codes(audit(*world([cites]))) == expected


def test_citing_another_organisations_recognition_is_unfounded() -> None:
    claim = record(event_doc("shipping", T0 * 1000 + 5000, action="OBSERVE", **{"sc:recognition": 1}), MAKER)
    auditor = audit(*world([claim]))
    assert codes(auditor) == ["green_claim_unfounded"] and "NOT_HOLDER" in auditor.findings[0].message
    assert auditor.findings[0].organisation == MAKER


def test_the_cited_recognition_is_read_from_the_signed_document_never_from_the_platforms_record() -> None:
    records, batches, history = world()
    records[3]["recognition"] = {"id": 1, "statusAtCapture": "IN_FORCE"}  # added by the platform: not the maker's
    records[1]["recognition"] = {"id": 2, "statusAtCapture": "IN_FORCE"}  # swapped: the document cites 1
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["column_mismatch", "column_mismatch"] and auditor.serious
    assert {f.organisation for f in auditor.findings} == {None}  # the platform's records, not the makers'
    assert "recognition 2, signed 1" in auditor.findings[0].message
    assert "recognition 1, signed None" in auditor.findings[1].message


def test_a_recorded_status_at_capture_is_checked_against_the_chains_history() -> None:
    records, batches, history = world(lapse="suspend")  # suspended at T0 + 1000, after the story's claim
    records[1]["recognition"]["statusAtCapture"] = "SUSPENDED"
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["column_mismatch"]
    assert "recognition 1 status at the event time 'SUSPENDED', on chain 'IN_FORCE'" in auditor.findings[0].message


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("eventTime", T0 * 1000 + 999, "eventTime '2026-01-01T00:00:00.999Z', signed '2026-01-01T00:01:42.000Z'"),
        ("bizLocation", SHOP, f"bizLocation '{SHOP}', signed '{PLANT}'"),
        ("bizStep", "receiving", "bizStep 'receiving', signed 'commissioning'"),
        ("readPoint", PLANT, f"readPoint '{PLANT}', signed None"),
        ("eventType", "AggregationEvent", "eventType 'AggregationEvent', signed 'ObjectEvent'"),
    ],
)
def test_an_indexed_column_that_contradicts_the_signed_document(column: str, value: Any, shown: str) -> None:
    records, batches, history = world()
    columns = {"eventType": "ObjectEvent", "eventTime": T0 * 1000 + 102_000, "bizStep": "commissioning"}
    records[2] |= columns | {"bizLocation": PLANT, "readPoint": None}
    assert audit(records, batches, history).findings == []  # the columns as derived: no finding
    records[2][column] = value
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["column_mismatch"] and auditor.findings[0].event_id == 3
    assert shown in auditor.findings[0].message and auditor.findings[0].organisation is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": "7"}, "id is missing or not of type int"),
        ({"id": True}, "id is missing or not of type int"),
        ({"hashId": None}, "hashId"),
        ({"document": 5}, "document is missing or not of type dict or str"),
        ({"receivedAt": "now"}, "receivedAt"),
        ({"root": "0x00", "proof": "nope"}, "root must be hex text with a proof list"),
    ],
)
def test_an_unreadable_record(change: dict[str, Any], reason: str) -> None:
    records, batches, history = world()
    records[0].update(change)
    auditor = audit(records, batches, history)
    assert "record_unreadable" in codes(auditor)
    assert reason in next(f for f in auditor.findings if f.code == "record_unreadable").message


def test_an_unreadable_record_is_the_platforms_finding() -> None:
    records, batches, history = world()
    records[0]["receivedAt"] = "x"
    records[0]["unreadable"] = ["received_at"]
    found = [f for f in audit(records, batches, history).findings if f.code == "record_unreadable"]
    assert len(found) == 1 and found[0].organisation is None
    assert "receivedAt is missing" in found[0].message and "flags its stored columns received_at" in found[0].message


@pytest.mark.parametrize(
    ("flagged", "change"),
    [
        (["event_time"], {"eventTime": "x"}),
        (["recognition_id"], {"recognition": {"id": "x", "statusAtCapture": "IN_FORCE"}}),
        (["leaf_index", "identifier_count"], {}),
        (["document"], {}),
        (["proof"], {"proof": "{broken"}),  # not judged: no proof_invalid, and its leaf is still in its root
    ],
)
def test_columns_the_platform_flags_unreadable_are_reported_and_the_rest_is_checked(
    flagged: list[str], change: dict[str, Any]
) -> None:
    records, batches, history = world()
    records[1] |= change | {"unreadable": flagged}
    records[1]["signature"] = records[0]["signature"]  # the rest is still checked: a bad signature is found
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["bad_signature", "record_unreadable"]  # no column_mismatch, no withheld leaf
    found = next(f for f in auditor.findings if f.code == "record_unreadable")
    assert (found.organisation, found.event_hash, found.event_id, found.severity) == (
        None,
        records[1]["hashId"],
        2,
        Severity.HIGH,
    )
    assert f"event {records[1]['hashId'][14:26]} (record 2)" in found.message
    assert f"damaged storage): {', '.join(flagged)};" in found.message
    assert auditor.events_checked == len(records)  # counted, anchored and in the chronology like the others


@pytest.mark.parametrize("flags", ["document", [], [7], {"a": 1}])
def test_a_malformed_unreadable_flag_is_reported(flags: Any) -> None:
    records, batches, history = world()
    records[2]["unreadable"] = flags
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["record_unreadable"]
    assert "unreadable: not a list of column names" in auditor.findings[0].message


@pytest.mark.parametrize(("flags", "shown"), [(["status"], "status"), ("status", "'status'")])
def test_a_batch_the_platform_flags_unreadable(flags: Any, shown: str) -> None:
    records, batches, history = world()
    batches[0] |= {"status": "exploded", "unreadable": flags}
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["record_unreadable"]
    found = auditor.findings[0]
    assert (found.organisation, found.batch_root) == (None, batches[0]["root"])
    assert found.message == f"batch 1: the platform flags stored columns as unreadable (damaged storage): {shown}"


def test_an_unreadable_record_without_an_id_is_reported_once() -> None:
    checked = EventChecker(RegistryMirror()).check({"hashId": 5})
    assert checked.event_id is None and [f.code for f in checked.findings] == ["record_unreadable"]
    auditor = Auditor()
    auditor.add_event(checked, {})
    assert auditor.last_event_id == 0 and auditor.counts == {"record_unreadable": 1}


# --- anchoring ---


def test_an_unanchored_event_past_its_deadline_and_one_within_it() -> None:
    records, batches, history = world()
    old = record(event_doc("shipping", T0 * 1000 + 4000, action="OBSERVE"), MAKER, received=T0 * 1000 - 400_000)
    fresh = record(event_doc("shipping", T0 * 1000 + 4500, action="OBSERVE"), MAKER)
    old["id"], fresh["id"] = 7, 8
    auditor = audit([*records, old, fresh], batches, history)
    assert codes(auditor) == ["not_anchored"] and auditor.findings[0].event_id == 7
    assert set(auditor.unsettled) == {7, 8}


def test_anchored_late_and_an_invalid_proof() -> None:
    records, batches, history = world(anchor_at=T0 + 1000)  # received at T0 + 60: 940 s later
    records[1]["proof"] = list(reversed(records[1]["proof"]))
    auditor = audit(records, batches, history)
    assert sorted(set(codes(auditor))) == ["anchored_late", "proof_invalid"]
    assert codes(auditor).count("proof_invalid") == 1 and codes(auditor).count("anchored_late") == 5
    late = next(f for f in auditor.findings if f.code == "anchored_late")
    assert late.block == 101 and late.tx == f"0x{1:064x}" and late.batch_root == batches[0]["root"]


def test_a_proof_of_a_malformed_hash_id_or_root_does_not_verify() -> None:
    records, batches, history = world()
    records[0]["hashId"] = "ni:///sha-256;NOTHEX?ver=CBV2.0"
    records[1]["root"] = "0xzz"
    records[2]["root"] = "0x" + "zz" * 32
    auditor = audit(records, batches, history)
    assert codes(auditor) == [
        "hash_mismatch",
        "leaf_withheld",
        "proof_invalid",
        "root_not_on_chain",
        "root_not_on_chain",
    ]


def test_a_batch_not_on_chain_and_a_root_unknown_to_the_platform() -> None:
    records, batches, history = world()
    ghost = record(event_doc("shipping", T0 * 1000 + 4000, action="OBSERVE"), MAKER)
    ghost_batch = batch([ghost], 2, first_id=7)
    withheld = record(event_doc("shipping", T0 * 1000 + 4500, action="OBSERVE"), MAKER)
    withheld_batch = batch([withheld], 3, first_id=8)
    anchored(history, [withheld_batch], at=T0 + 130)
    auditor = audit([*records, ghost], [*batches, ghost_batch], history)
    assert codes(auditor) == ["batch_not_on_chain", "root_unknown_to_platform"]
    assert [f.batch_root for f in auditor.findings] == [withheld_batch["root"], ghost_batch["root"]]
    assert 7 in auditor.unsettled  # checked again next time


def test_a_root_of_no_batch_and_not_on_chain() -> None:
    records, batches, history = world()
    stray = record(event_doc("shipping", T0 * 1000 + 4000, action="OBSERVE"), MAKER)
    batch([stray], 9, first_id=7)
    auditor = audit([*records, stray], batches, history)
    assert codes(auditor) == ["root_not_on_chain"]
    pending = record(event_doc("shipping", T0 * 1000 + 4500, action="OBSERVE"), MAKER)
    pending_batch = batch([pending], 10, first_id=8)
    assert audit([*records, pending], batches, history, later_roots=(pending_batch["root"],)).findings == []


def test_a_withheld_leaf_and_a_leaf_count_mismatch() -> None:
    records, batches, history = world()
    assert codes(audit(records[:-1], batches, history)) == ["leaf_withheld"]
    batches[0]["leafCount"] = 5
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["leaf_count_mismatch"] and "on chain 6" in auditor.findings[0].message


def test_roots_of_other_anchorers_and_roots_after_the_judged_block_wait() -> None:
    records, batches, history = world()
    other = batch([record(event_doc("shipping", T0 * 1000, action="OBSERVE"), MAKER)], 5, first_id=50)
    anchored(history, [other], at=T0 + 130, anchorer=OTHER_ANCHORER)
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["root_unattributed"] and other["root"] in auditor.judged_roots and not auditor.serious
    assert f"by {OTHER_ANCHORER}" in auditor.findings[0].message and "--anchorer" in auditor.findings[0].message
    early = audit(records, batches, history, judged_block=100)
    assert early.findings == [] and early.roots_judged == 0 and early.resume_batch_after == 0
    named = audit(records, batches, history, parameters=AuditParameters(anchorers=frozenset({OTHER_ANCHORER})))
    assert codes(named) == ["root_unknown_to_platform"]


def test_a_swapped_root_shows_the_real_one_without_anchorer() -> None:
    records, batches, history = world()
    real = batches[0]["root"]
    fake = "0x" + "ee" * 32
    for r in records:
        r["root"] = fake  # the events' root comes from their batch
    swapped = [batches[0] | {"root": fake}]
    auditor = audit(records, swapped, history)
    assert codes(auditor) == ["batch_not_on_chain", "root_unknown_to_platform"] and auditor.serious
    assert auditor.findings[-1].batch_root == real or auditor.findings[0].batch_root == real
    retxed = [swapped[0] | {"txHash": "0x" + "12" * 32}]  # the transaction changed too: still shown
    assert codes(audit(records, retxed, history)) == ["batch_not_on_chain", "root_unattributed"]


def test_a_remade_anchor_is_reported_once_as_info() -> None:
    records, batches, history = world()
    batches[0]["remadeAt"] = T0 * 1000 + 999
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["anchor_remade"] and not auditor.serious
    assert auditor.findings[0].severity is Severity.INFO and auditor.findings[0].block == 101
    auditor.add_batch(batches[0])
    assert auditor.counts["anchor_remade"] == 1


def test_an_unreadable_batch_record() -> None:
    auditor = Auditor()
    auditor.add_batch({"id": 1, "root": 5})
    auditor.add_batch({"id": 2, "root": "0x", "leafCount": 1, "status": "sent", "blockNumber": "7"})
    assert auditor.counts == {"record_unreadable": 2} and auditor.batches == {}


# --- chronology ---


def test_shipped_before_produced_in_either_storage_order() -> None:
    t = T0 * 1000 + 10_000
    made = record(event_doc("commissioning", t, action="ADD", epcList=[serial("9")]), MAKER)
    shipped = record(event_doc("shipping", t - 5000, action="OBSERVE", epcList=[serial("9")]), MAKER)
    for order in ([made, shipped], [shipped, made]):
        auditor = audit(*world([copy.deepcopy(r) for r in order]))
        assert codes(auditor) == ["chronology_shipped_before_produced"]
        assert auditor.findings[0].event_hash == shipped["hashId"] and auditor.findings[0].organisation == MAKER


def test_sold_before_received_in_either_storage_order_and_receipts_by_unpacking() -> None:
    t = T0 * 1000 + 10_000
    received = record(event_doc("receiving", t, action="OBSERVE", epcList=[serial("8")]), RETAILER)
    sold = record(event_doc("retail_selling", t - 5000, action="OBSERVE", epcList=[serial("8")]), RETAILER)
    for order in ([received, sold], [sold, received]):
        auditor = audit(*world([copy.deepcopy(r) for r in order]))
        assert codes(auditor) == ["chronology_sold_before_received"]
    unpacked = record(
        {"@context": CONTEXT, "type": "AggregationEvent", "eventTime": iso(t), "action": "DELETE"}
        | {"bizStep": "unpacking", "parentID": "urn:epc:id:sscc:6901234.0000000011", "childEPCs": [serial("8")]},
        RETAILER,
    )
    assert codes(audit(*world([unpacked, copy.deepcopy(sold)]))) == ["chronology_sold_before_received"]
    sold_after = record(event_doc("retail_selling", t + 5000, action="OBSERVE", epcList=[serial("8")]), RETAILER)
    assert audit(*world([sold_after, copy.deepcopy(received)])).findings == []


def test_a_serial_at_two_places_at_once() -> None:
    t = T0 * 1000 + 10_000
    here = record(event_doc("inspecting", t, action="OBSERVE", epcList=[serial("7")], bizLocation={"id": PLANT}), MAKER)
    there = record(event_doc("inspecting", t + 30_000, action="OBSERVE", epcList=[serial("7")]), RETAILER)
    there["document"]["bizLocation"] = {"id": "urn:epc:id:sgln:6901234.00003.0"}  # the shop, as an SGLN URN
    there = record(there["document"], RETAILER)
    later = record(event_doc("inspecting", t + 100_000, action="OBSERVE", epcList=[serial("7")]), MAKER)
    later["document"]["bizLocation"] = {"id": PLANT}
    later = record(later["document"], MAKER)
    auditor = audit(*world([here, there, later]))
    assert codes(auditor) == ["chronology_two_places_at_once"]
    assert "less than 60 s apart" in auditor.findings[0].message
    earlier = record(event_doc("inspecting", t - 10_000, action="OBSERVE", epcList=[serial("7")]), RETAILER)
    earlier["document"]["bizLocation"] = {"id": SHOP}  # the same place as the URN: an older sighting, no finding
    assert audit(*world([here, there, record(earlier["document"], RETAILER)])).counts == {
        "chronology_two_places_at_once": 1
    }
    wide = audit(*world([here, there]), parameters=AuditParameters(window_seconds=10))
    assert wide.findings == []


def test_event_facts_by_role() -> None:
    lot = f"https://id.gs1.org/01/{GTIN}/10/LOT1"
    made = event_facts(
        {"epcList": [serial("1"), 5], "quantityList": [{"epcClass": lot}, "x"], "ilmd": {"cbvmda:lotNumber": "L2"}},
        "commissioning",
        MAKER,
        retailer=False,
        place=None,
    )
    assert [f[0] for f in made] == ["P", "P", "P"]
    assert identifier_key(f"https://id.gs1.org/01/{GTIN}/10/L2") in {f[1] for f in made}
    urn = "urn:epc:id:sgtin:6901234.000010.1"
    assert identifier_key(urn) == identifier_key("https://id.gs1.org/01/06901234000108/21/1")
    assert identifier_key(serial("1"), RETAILER) != identifier_key(serial("1"))
    transformed = event_facts(
        {"outputEPCList": [serial("2")], "outputQuantityList": [{"epcClass": lot}]},
        "creating_class_instance",
        MAKER,
        retailer=False,
        place="p",
    )
    assert sorted(f[0] for f in transformed) == ["L", "P", "P"]
    assert event_facts(
        {"parentID": "urn:x", "childEPCs": [serial("3")]}, "departing", MAKER, retailer=False, place=None
    )
    assert event_facts({"epcList": serial("4")}, "receiving", MAKER, retailer=False, place=None) == []
    received = event_facts({"epcList": serial("4")}, "accepting", RETAILER, retailer=True, place=None)
    assert received == [("R", identifier_key(serial("4"), RETAILER), None, serial("4"))]
    assert event_facts({"childQuantityList": "x"}, "unpacking", RETAILER, retailer=True, place=None) == []
    assert event_facts({"epcList": [serial("5")]}, "retail_selling", RETAILER, retailer=True, place=None)[0][0] == "X"
    assert event_facts({"epcList": [serial("5")]}, None, RETAILER, retailer=True, place=None) == []


def test_chronology_state_round_trip() -> None:
    chronology = Chronology(60_000)
    assert chronology.add([("S", 1, None, "i"), ("X", 2, None, "j"), ("L", 3, "a", "k")], (5000, "h", MAKER, 1)) == []
    assert chronology.add([("S", 1, None, "i"), ("X", 2, None, "j")], (9000, "h2", MAKER, 2)) == []  # earlier stay
    again = Chronology.from_json(json.loads(json.dumps(chronology.to_json())))
    assert again.to_json() == chronology.to_json()
    assert again.add([("P", 1, None, "i"), ("R", 2, None, "j"), ("L", 3, "b", "k")], (7000, "p", MAKER, 3))
    with pytest.raises(ValueError, match="even number"):
        Chronology.from_json(chronology.to_json() | {"produced": [1]})


# --- runs, state ---


def test_the_state_carries_a_run_over_to_the_next() -> None:
    records, batches, history = world()
    mirror = RegistryMirror().apply_all(history)
    checker = EventChecker(mirror)
    late = record(event_doc("shipping", T0 * 1000 + 4000, action="OBSERVE"), MAKER)
    for r in records[3:]:
        r["id"] += 1  # stored after the late one
    first = Auditor()
    first.add_batch(batches[0])
    for r in [*records[:3], late | {"id": 4}]:
        assert first.served(r["id"], line(r)) == "full"
        first.add_event(checker.check(copy.deepcopy(r)), mirror.anchors)
    first.finish(mirror, judged_block=0, now_ms=T0 * 1000 + 100_000)
    assert first.findings == [] and set(first.unsettled) == {4} and first.roots_judged == 0
    assert first.resume_batch_after == 0 and first.seals.ids.tolist() == [1, 2, 3]  # 4 is not settled: not sealed
    state = json.loads(json.dumps(first.to_json()))
    second = Auditor.from_json(state)
    assert [second.served(r["id"], line(r)) for r in records[:3]] == [None, None, None]  # compared with their seals
    assert second.served(4, line(late)) == "anchoring" and second.served(5, line(records[3])) == "full"
    late_batch = batch([late], 2, first_id=4)
    anchored(history, [late_batch], at=T0 + 200)
    mirror = RegistryMirror().apply_all(history)
    second.add_batch(late_batch)
    for r in [late, *records[3:]]:  # the unsettled one again (now batched), then the rest
        second.add_event(EventChecker(mirror).check(copy.deepcopy(r), anchoring_only=r is late), mirror.anchors)
    second.finish(mirror, judged_block=10**9, now_ms=T0 * 1000 + 400_000)
    assert second.findings == [] and second.unsettled == {}
    assert (second.events_checked, second.events_rechecked, second.events_total, second.roots_judged) == (3, 1, 7, 2)
    assert second.seals.ids.tolist() == [1, 2, 3, 4, 5] and second.seals.compared == 3
    assert second.root_counts == {batches[0]["root"]: 6, late_batch["root"]: 1}


def test_a_rebatched_event_moves_between_root_counters_and_a_vanished_one_is_dropped() -> None:
    auditor = Auditor()
    auditor.unsettled = {5: (0, "0xold", "h", MAKER), 6: (0, None, "h6", MAKER)}
    auditor.root_counts = {"0xold": 1}
    auditor.last_event_id = 6
    auditor.add_event(Checked(5, "h", MAKER, 0, None, "0xnew", True), {})
    assert auditor.root_counts == {"0xold": 0, "0xnew": 1}
    auditor.finish(RegistryMirror(), judged_block=0, now_ms=0)
    assert set(auditor.unsettled) == {5}  # 6 was not exported again: deleted after an audit
    assert auditor.counts == {"root_not_on_chain": 1, "audited_event_missing": 1}
    missing = next(f for f in auditor.findings if f.code == "audited_event_missing")
    assert missing.organisation == MAKER and "audited before and not yet anchored" in missing.message


def line(r: Mapping[str, Any]) -> bytes:
    """The print of a record as the export serves it (what is sealed)."""
    return record_print(json.dumps(r, separators=(",", ":")).encode())


def sealed_auditor(prints: dict[int, bytes], *, last: int | None = None) -> Auditor:
    """An auditor of a later run, after one that settled (and sealed) the records ``prints``."""
    first = Auditor()
    for event_id, print_ in prints.items():
        assert first.served(event_id, print_) == "full"
    first.last_event_id = max(prints, default=0) if last is None else last
    first.finish(RegistryMirror(), judged_block=0, now_ms=0)
    return Auditor.from_json(json.loads(json.dumps(first.to_json())))


def test_a_later_run_finds_what_changed_was_deleted_or_was_inserted_since_it_was_audited() -> None:
    prints = {i: record_print(f"record {i}".encode()) for i in (1, 2, 3, 5, 6, 8)}
    auditor = sealed_auditor(prints, last=9)
    assert len(auditor.seals) == 6 and auditor.audited_up_to == 9
    served = [(1, prints[1]), (3, record_print(b"edited")), (4, b"x" * 16), (5, prints[5]), (7, b"y" * 16)]
    served.append((10, b"z" * 16))
    assert [auditor.served(i, p) for i, p in served] == [None, None, None, None, None, "full"]
    auditor.finish(RegistryMirror(), judged_block=0, now_ms=0)  # 8: not served at all
    by_code = {code: sorted(f.event_id or 0 for f in auditor.findings if f.code == code) for code in auditor.counts}
    assert by_code == {
        "audited_event_missing": [2, 6, 8],
        "audited_event_changed": [3],
        "event_inserted_into_audited_range": [4, 7],
    }
    assert {f.severity for f in auditor.findings} == {Severity.CRITICAL} and auditor.serious
    assert auditor.seals.compared == 3  # 1, 3 and 5
    again = Auditor.from_json(json.loads(json.dumps(auditor.to_json())))
    assert again.seals.ids.tolist() == [1, 2, 3, 5, 6, 8, 10]  # what was audited stays sealed as it was audited
    assert again.served(1, prints[1]) is None and again.served(3, record_print(b"edited")) is None
    assert again.counts == {"audited_event_missing": 1, "audited_event_changed": 1}  # 2 and 3 again


def test_a_later_run_over_an_untouched_export_finds_nothing() -> None:
    prints = {i: record_print(f"record {i}".encode()) for i in range(1, 6)}
    auditor = sealed_auditor(prints)
    assert [auditor.served(i, p) for i, p in prints.items()] == [None] * 5
    auditor.finish(RegistryMirror(), judged_block=0, now_ms=0)
    assert auditor.findings == [] and auditor.seals.compared == 5 and not auditor.serious
    assert auditor.to_json()["seals"]["ids"] == [[1, 5]]


def test_seals_keep_increasing_ids_only_and_are_read_back_or_refused() -> None:
    seals = Seals()
    walk = [seals.served(i, bytes([i]) * 16, audited_up_to=0, unsettled=()) for i in (2, 4, 3, 4, 7)]
    assert walk == [("unsealed", [])] * 5
    seals.seal(unsettled={7})
    assert seals.ids.tolist() == [2, 4] and seals.prints == b"\x02" * 16 + b"\x04" * 16  # 3 came late, 7 unsettled
    assert Seals.from_json(seals.to_json()).prints == seals.prints
    data = seals.to_json()
    assert data["ids"] == [[2, 2], [4, 4]] and Seals.from_json(Seals().to_json()).ids.tolist() == []
    for ids, prints, why in [
        ([[4, 4], [2, 2]], data["prints"], "increasing"),
        ([[3, 2]], data["prints"], "increasing"),
        ([[2, 2]], data["prints"], "1 sealed ids but 32 bytes"),
        ([[2, 2], [4, 4]], "not base64!", ""),
    ]:
        with pytest.raises(ValueError, match=why or None):
            Seals.from_json({"ids": ids, "prints": prints})
    state = Auditor().to_json()
    with pytest.raises(AuditStateError, match="not an audit state"):
        Auditor.from_json(state | {"seals": {"ids": [[1, 1]], "prints": ""}})
    with pytest.raises(AuditStateError, match="version 1, expected 2"):
        Auditor.from_json(state | {"version": 1})  # a state before the seals: start over


def test_a_state_of_another_version_or_shape_is_refused() -> None:
    state = Auditor().to_json()
    with pytest.raises(AuditStateError, match="version 9"):
        Auditor.from_json(state | {"version": 9})
    with pytest.raises(AuditStateError, match="KeyError"):
        Auditor.from_json({k: v for k, v in state.items() if k != "batches"})
    with pytest.raises(AuditStateError, match="not an audit state"):
        Auditor.from_json(state | {"rootCounts": [1]})


def test_the_timeline_stays_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditor_module, "MAX_BUCKETS", 4)
    auditor = Auditor()
    for minute in range(10):
        auditor.add_event(Checked(minute + 1, f"h{minute}", MAKER, minute * 60_000, None, None, None), {})
    assert len(auditor.timeline) <= 4 and sum(auditor.timeline.values()) == 10 and auditor.bucket_ms == 240_000
    assert MAX_BUCKETS == 2048


def test_findings_beyond_the_cap_are_counted_not_kept() -> None:
    auditor = Auditor(AuditParameters(max_findings_per_code=2))
    for n in range(5):
        auditor.report(finding("not_anchored", MAKER, f"n{n}"))
    auditor.report(finding("anchor_remade", None, "r"))
    assert len(auditor.findings) == 3 and auditor.counts == {"not_anchored": 5, "anchor_remade": 1}
    assert auditor.by_organisation == {MAKER: {"high": 5}, "platform": {"info": 1}} and auditor.serious


# --- the parts ---


def test_findings_and_codes() -> None:
    assert Severity.CRITICAL.rank == 0 and Severity.INFO.rank == 3
    assert Severity.HIGH.serious and not Severity.MEDIUM.serious
    assert {severity for severity, _ in CODES.values()} == set(Severity)
    found = finding("leaf_withheld", None, "m", batch_root="0x01", block=3)
    assert found.to_json() == {
        "code": "leaf_withheld",
        "severity": "critical",
        "organisation": None,
        "message": "m",
        "evidence": {"batchRoot": "0x01", "block": 3},
    }
    assert Finding("x", Severity.INFO, MAKER, "m", tx="0x2").to_json()["evidence"] == {"tx": "0x2"}
    with pytest.raises(KeyError):
        finding("no_such_code", None, "m")


def test_proofs_verified_with_shared_nodes_agree_with_the_full_computation() -> None:
    values = [hashlib.sha256(bytes([n])).digest() for n in range(37)]
    tree = MerkleTree.build(values)
    other = MerkleTree.build(values[:5])
    checker = ProofChecker()
    for value in values:
        proof = ["0x" + p.hex() for p in tree.proof(value)]
        assert checker.verify(tree.root, proof, value)
        assert checker.verify(tree.root, [p.upper().replace("0X", "0x") for p in proof], value)  # in full
        assert not checker.verify(tree.root, [*proof[:-1], "0x" + "00" * 32], value)
        assert checker.verify(tree.root, proof[:-1], value) is verify_proof(tree.root, tree.proof(value)[:-1], value)
    assert checker.verify(other.root, ["0x" + p.hex() for p in other.proof(values[0])], values[0])
    proof = ["0x" + p.hex() for p in tree.proof(values[3])]
    assert not checker.verify(tree.root, [*proof[:-1], "0xZZ" + "00" * 31], values[3])
    assert not ProofChecker().verify(tree.root, ["0x12"], values[3])
    assert not ProofChecker().verify(tree.root, proof, values[3][:31])
    assert not ProofChecker().verify(tree.root, [*proof[:1], "0xgg" + "00" * 31], values[3])
    assert not ProofChecker().verify(tree.root, [proof[0], 7], values[3])
    known = ProofChecker()
    assert known.verify(tree.root, proof, values[3])
    assert not known.verify(tree.root, [*proof[:-1], "0xZZ" + "00" * 31], values[3])  # meets its leaf, other tail


def test_the_checkers_caches_stay_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(check_module, "_CACHE_SIZE", 1)
    records = clean_story()
    for n, r in enumerate(records):
        r["document"]["@context"] = [*CONTEXT, {f"x{n}": f"https://example.com/{n}/"}]
        records[n] = record(r["document"], r["organisationId"], **{k: v for k, v in r.items() if k == "recognition"})
    records[1]["keyId"] = "0x" + "0" * 64
    auditor = audit(*world(records))
    assert codes(auditor) == ["bad_signature", "key_not_registered"]


def test_registry_history_round_trips_through_json() -> None:
    history = registry_history(lapse="suspend")
    position = ev.LogPosition(9, 0, "0x9")
    history += [
        ev.RoleGranted(position, T0, b"\x01" * 32, ANCHORER, ANCHORER),
        ev.SpotCheckRecorded(ev.LogPosition(9, 1, "0x9"), T0, 1, SUPPLIER, True, b"\x02" * 32, 1),
        ev.RecognitionIssued(
            ev.LogPosition(9, 2, "0x9"),
            T0,
            3,
            ANCHORER,
            ev.RecognitionTerms(
                MAKER,
                RecognitionKind.GREEN_PRODUCT,
                Level.NATIONAL,
                Grade.A,
                Scope.PRODUCT,
                GTIN,
                "s",
                T0,
                None,
                b"3" * 32,
            ),
        ),
    ]
    data = json.loads(json.dumps(history_to_json(history)))
    assert history_from_json(data) == history
    for broken in (
        {"type": "Nothing"},
        data[0] | {"profile_hash": "zz"},
        data[0] | {"org_id": 5},
        data[0] | {"roles": "x"},
    ):
        with pytest.raises(HistoryFormatError, match="history entry 0"):
            history_from_json([broken])


def test_the_spot_check_sample_is_the_seeded_draw() -> None:
    history = registry_history()
    issued = history[-1]
    assert isinstance(issued, ev.RecognitionIssued)
    terms = issued.terms
    history += [ev.RecognitionIssued(ev.LogPosition(9, n, "0x9"), T0, n, ANCHORER, terms) for n in range(3, 9)]
    history.append(ev.SpotCheckExemptionGranted(ev.LogPosition(9, 20, "0x9"), T0, 4, SUPPLIER, T0 + 10**6))
    mirror = RegistryMirror().apply_all(history)
    drawn = spot_check_sample(mirror, seed="abc", size=3, at=T0 + 6000)
    eligible = [n for n in range(1, 9) if n != 4]
    expected = sorted(eligible, key=lambda n: hashlib.sha256(f"abc:{n}".encode()).hexdigest())[:3]
    assert [r.recognition_id for r in drawn] == expected
    assert spot_check_sample(mirror, seed="abc", size=-1, at=T0) == []
    assert len(spot_check_sample(mirror, seed="x", size=100, at=T0 + 6000)) == 7


def test_a_recorded_arrival_explains_a_fast_move_in_either_storage_order() -> None:
    t = T0 * 1000 + 10_000
    item = serial("6")
    packed = record(event_doc("packing", t, action="OBSERVE", epcList=[item], bizLocation={"id": PLANT}), MAKER)
    arrived = record(
        event_doc("receiving", t + 400, action="OBSERVE", epcList=[item], bizLocation={"id": SHOP}), RETAILER
    )
    sold = record(
        event_doc("retail_selling", t + 600, action="OBSERVE", epcList=[item], bizLocation={"id": SHOP}), RETAILER
    )
    skewed = record(
        event_doc("accepting", t - 3000, action="OBSERVE", epcList=[item], bizLocation={"id": SHOP}), RETAILER
    )
    for story in ([packed, arrived, sold], [sold, arrived, packed], [arrived, sold, packed], [packed, skewed]):
        assert audit(*world([copy.deepcopy(r) for r in story])).findings == []  # skewed: within the clock tolerance
    strict = AuditParameters(clock_tolerance_seconds=1)
    (found,) = audit(*world([copy.deepcopy(packed), copy.deepcopy(skewed)]), parameters=strict).findings
    assert found.code == "chronology_two_places_at_once" and found.item == item
    back = record(
        event_doc("inspecting", t + 20_000, action="OBSERVE", epcList=[item], bizLocation={"id": PLANT}), MAKER
    )
    for story in ([packed, arrived, back], [back, arrived, packed]):
        assert codes(audit(*world([copy.deepcopy(r) for r in story]))) == ["chronology_two_places_at_once"]


def test_a_chronology_state_of_the_first_packing_is_read() -> None:
    old = Chronology(60_000)
    old.add([("L", 3, "a", "k")], (5000, "h", MAKER, 1))
    state = old.to_json()
    state["places"] = [3, 5000 << 20 | 0]
    del state["packing"], state["toleranceMs"]
    again = Chronology.from_json(state)
    assert again.to_json() == old.to_json()
    assert again.add([("L", 3, "b", "k")], (9000, "h2", MAKER, 2))[0].code == "chronology_two_places_at_once"


def test_times_and_events_are_named_for_people() -> None:
    from supplychain.eventhash import short_hash_id

    assert iso_ms(T0 * 1000 + 250) == "2026-01-01T00:00:00.250Z" and iso_s(T0) == "2026-01-01T00:00:00Z"
    hash_id = "ni:///sha-256;3f9a1c2b7d0e11223344?ver=CBV2.0"
    assert short_hash_id(hash_id) == "3f9a1c2b7d0e" and short_hash_id("urn:x:abcdefghijklmnop") == "urn:x:abcdef"
    assert event_label(hash_id) == "event 3f9a1c2b7d0e" and event_label(hash_id, 7) == "event 3f9a1c2b7d0e (record 7)"


def test_indexed_columns_are_derived_from_the_signed_document_alone() -> None:
    from supplychain.epcis.columns import IndexedColumns, event_time_ms, indexed_columns

    document = {
        "type": "ObjectEvent",
        "eventTime": "2026-01-01T08:00:00.250+08:00",
        "bizStep": "urn:epcglobal:cbv:bizstep:shipping",
        "bizLocation": {"id": "urn:epc:id:sgln:6901234.00003.0"},
        "readPoint": {"id": "https://example.com/dock/7"},
    }
    assert indexed_columns(document) == IndexedColumns(
        "ObjectEvent", T0 * 1000 + 250, "shipping", SHOP, "https://example.com/dock/7"
    )
    odd = {"type": 5, "eventTime": "yesterday", "bizStep": "https://example.com/polishing", "bizLocation": "x"}
    assert indexed_columns(odd) == IndexedColumns(None, None, "https://example.com/polishing", None, None)
    assert indexed_columns({"bizStep": "shiping"}).biz_step == "shiping"  # outside CBV: as written
    assert event_time_ms(None) is None and indexed_columns({"bizStep": 7}).biz_step is None
    checker = EventChecker(RegistryMirror())
    assert checker._step(7) is None and indexed_columns({"bizStep": 7}, step=checker._step).biz_step is None


def test_the_chronology_state_fits_json_numbers_of_64_bits() -> None:
    chronology = Chronology(60_000)
    chronology.add([("A", 2**64 - 1, "a", "k")], (4_102_444_800_000, "h", MAKER, 1))  # 2100-01-01
    state = chronology.to_json()
    assert all(-(2**63) <= n < 2**64 for n in state["places"])
    assert Chronology.from_json(json.loads(json.dumps(state))).places == chronology.places
    with pytest.raises(ValueError, match="triples"):
        Chronology.from_json(state | {"places": [1, 2]})


def test_an_event_stored_under_the_release_1_9_3_hashing_rules_keeps_its_id() -> None:
    """The maker's commissioning names ``cbvmda:lotNumber`` without declaring ``cbvmda``: before the project followed
    the reference's current source, its ID expanded the prefix. Stored so, it is clean; edited, it is caught."""
    from supplychain.eventhash._context import legacy_context

    story = clean_story()
    document = story[2]["document"]
    body = {k: v for k, v in document.items() if k != "@context"}
    legacy_id = event_hash_id(body, legacy_context(hash_context(document.get("@context"))))
    assert legacy_id != story[2]["hashId"]
    signature = encode_signature(sign_hash_id(KEYS[MAKER], legacy_id))
    story[2] = record(document, MAKER, hashId=legacy_id, signature=signature)
    records, batches, history = world(story)
    assert codes(audit(records, batches, history)) == []
    records[2]["document"]["ilmd"] = {"cbvmda:lotNumber": "L8"}
    assert codes(audit(records, batches, history)) == ["hash_mismatch"]


# --- the platform's and the signer's times against the chain's ---


def test_an_event_anchored_a_day_before_its_own_time_is_post_dated() -> None:
    ahead = record(event_doc("inspecting", (T0 + 86_400) * 1000, action="OBSERVE", epcList=[serial("0001")]), MAKER)
    within = record(event_doc("inspecting", (T0 + 400) * 1000, action="OBSERVE", epcList=[serial("0001")]), MAKER)
    auditor = audit(*world([ahead, within]))  # anchored at T0 + 120: 280 s ahead is within the skew of 300 s
    assert codes(auditor) == ["anchored_before_event_time"]
    found = auditor.findings[0]
    assert (found.organisation, found.event_hash, found.severity) == (MAKER, ahead["hashId"], Severity.HIGH)
    assert "86280 s after its anchoring" in found.message and auditor.serious


def test_a_receipt_recorded_after_the_anchoring_is_the_platforms() -> None:
    records, batches, history = world()
    records[3]["receivedAt"] = (T0 + 120 + 3600) * 1000  # an hour after its batch was anchored
    records[4]["receivedAt"] = (T0 + 120 + 299) * 1000  # within the skew
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["received_after_anchor"]
    found = auditor.findings[0]
    assert found.organisation is None and found.event_id == 4 and found.severity is Severity.HIGH


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        ({"blockNumber": 999}, "block 999 (on chain: 101)"),
        ({"txHash": None}, "transaction missing (on chain: 0x"),
        ({"txHash": "0x" + "ee" * 32}, "transaction 0xeeee"),
        ({"sequence": 7}, "sequence 7 (on chain: 1)"),
    ],
)
def test_a_batch_whose_recorded_anchor_is_not_the_chains(change: dict[str, Any], shown: str) -> None:
    records, batches, history = world()
    batches[0].update({"sequence": 1, **change})
    auditor = audit(records, batches, history)
    assert codes(auditor) == ["batch_anchor_mismatch"]
    assert shown in auditor.findings[0].message and auditor.findings[0].organisation is None


def test_the_recorded_anchor_of_a_batch_agrees_and_an_unknown_sequence_is_not_judged() -> None:
    records, batches, history = world()
    batches[0].update({"sequence": 1, "txHash": batches[0]["txHash"].upper().replace("0X", "0x")})
    assert codes(audit(records, batches, history)) == []
    batches[0]["sequence"] = None  # a state written before sequences were read
    assert codes(audit(records, batches, history)) == []


def test_a_sale_dated_before_production_is_serious() -> None:
    story = clean_story()
    t = T0 * 1000 + 100_000
    story.append(
        record(
            event_doc("retail_selling", t + 2000 - 60_000, action="OBSERVE", epcList=[serial("0001")]),
            RETAILER,
        )
    )
    auditor = audit(*world(story))
    assert "chronology_sold_before_produced" in codes(auditor) and auditor.serious
    found = next(f for f in auditor.findings if f.code == "chronology_sold_before_produced")
    assert found.organisation == RETAILER and found.event_id == 7 and found.severity is Severity.HIGH
    within = clean_story()
    within.append(
        record(event_doc("retail_selling", t + 2000 - 4000, action="OBSERVE", epcList=[serial("0001")]), RETAILER)
    )
    assert "chronology_sold_before_produced" not in codes(audit(*world(within)))  # within the clocks' 5 s


# --- story links (supplychain.links): the export carries them, the audit recomputes and follows them ---


def linked_batch(
    records: list[dict[str, Any]], batch_id: int, chain: LinkChain, *, first_id: int = 1
) -> dict[str, Any]:
    """:func:`batch`, with the story links the platform commits beside the events (in record order)."""
    links = [
        (r, link)
        for r in records
        for link in chain.add(hash_id_to_bytes32(r["hashId"]), document_identifiers(r["document"]))
    ]
    values = [hash_id_to_bytes32(r["hashId"]) for r in records] + [link.value for _, link in links]
    tree = MerkleTree.build(values)
    root = "0x" + tree.root.hex()
    hashes = {hash_id_to_bytes32(r["hashId"]): r["hashId"] for r in records} | chain_hashes
    for n, r in enumerate(records):
        r["id"] = first_id + n
        r["root"] = root
        r["proof"] = ["0x" + p.hex() for p in tree.proof(n)]
        r["links"] = []
    for i, (r, link) in enumerate(links):
        r["links"].append(
            {
                "identifier": link.identifier,
                "previous": None if link.previous is None else hashes[link.previous],
                "value": "0x" + link.value.hex(),
                "proof": ["0x" + p.hex() for p in tree.proof(len(records) + i)],
            }
        )
    chain_hashes.update(hashes)
    return {**batch_record(batch_id, root), "leafCount": len(values)}


chain_hashes: dict[bytes, str] = {}


def batch_record(batch_id: int, root: str) -> dict[str, Any]:
    return {
        "id": batch_id, "root": root, "leafCount": 0, "status": "anchored", "blockNumber": 100 + batch_id,
        "txHash": f"0x{batch_id:064x}", "remadeAt": None,
    }  # fmt: skip


def linked_world(
    records: list[dict[str, Any]] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[ev.RegistryEvent]]:
    records = records if records is not None else clean_story()
    chain = LinkChain()
    batches = [linked_batch(records[:3], 1, chain), linked_batch(records[3:], 2, chain, first_id=4)]
    history = registry_history()
    anchored(history, batches, at=T0 + 120)
    return records, batches, history


def test_linked_records_give_no_findings_and_fill_their_roots() -> None:
    records, batches, history = linked_world()
    assert [len(r["links"]) for r in records] == [1, 1, 1, 1, 1, 1]
    auditor = audit(records, batches, history)
    assert codes(auditor) == [] and auditor.links_checked == 6 and auditor.links_started
    assert auditor.root_counts == {b["root"]: b["leafCount"] for b in batches}
    assert Auditor.from_json(auditor.to_json()).links_started


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda link: link.pop("proof"), "story link 0 of the event's record cannot be read"),
        (lambda link: link.update(previous="nope"), "story link 0 of the event's record cannot be read"),
        (lambda link: link.update(proof="0x"), "story link 0 of the event's record cannot be read"),
        (
            lambda link: link.update(value="0x" + "00" * 32),
            "its value is not sha256(domain, identifier, previous, event)",
        ),
        (lambda link: link.update(proof=[]), "its proof does not lead to the event's root"),
    ],
)
def test_a_story_link_that_does_not_hold_is_link_wrong(edit: Any, expected: str) -> None:
    records, batches, history = linked_world()
    edit(records[4]["links"][0])
    auditor = audit(records, batches, history)
    assert set(codes(auditor)) == {"link_wrong"}  # an unreadable link cannot be followed: the next one is named too
    assert expected in auditor.findings[0].message


def test_a_link_of_an_identifier_the_event_does_not_name_and_one_left_out() -> None:
    records, batches, history = linked_world()
    records[5]["links"][0]["identifier"] = serial("0002")  # the sale's link, given for another serial
    assert "the event does not name that identifier" in audit(records, batches, history).findings[0].message
    records, batches, history = linked_world()
    records[5]["links"].append({**records[5]["links"][0], "identifier": serial("0002")})
    records[5]["links"][0]["identifier"] = serial("0003")  # the link of what it names replaced
    found = audit(records, batches, history)
    assert codes(found) == ["link_missing", "link_wrong", "link_wrong"]


def test_links_out_of_order_and_records_without_links() -> None:
    records, batches, history = linked_world()
    records[4]["links"], records[5]["links"] = [], records[5]["links"]  # the receipt carries none, links began
    auditor = audit(records, batches, history)
    assert "link_missing" in codes(auditor)
    records, batches, history = linked_world()
    mirror = RegistryMirror().apply_all(history)
    checker, auditor = EventChecker(mirror), Auditor()
    for r in [records[0], records[1], records[2], records[3], records[5], records[4]]:  # the sale before the receipt
        auditor.add_event(checker.check(copy.deepcopy(r)), mirror.anchors)
    messages = [f.message for f in auditor.findings if f.code == "link_wrong"]
    assert len(messages) == 2 and all(m.endswith("an event was linked around") for m in messages)


def test_the_links_followed_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditor_module, "MAX_LINK_HEADS", 1)
    records, batches, history = linked_world()
    auditor = audit(records, batches, history)
    # the lot's two links are followed, the serial's four only checked one by one
    assert codes(auditor) == [] and auditor.links_checked == 2 and auditor.links_unchained == 4


def test_unanchored_events_and_old_exports_need_no_links() -> None:
    records, batches, history = world()  # an export without "links" (before story links): nothing to check
    assert codes(audit(records, batches, history)) == []
    pending = record(event_doc("shipping", T0 * 1000, action="OBSERVE", epcList=[serial("9")]), MAKER, links=[])
    assert EventChecker(RegistryMirror()).check(pending).link_count == 0
    records, batches, history = linked_world()
    records[4]["links"] = {"not": "a list"}
    assert "the record's links are not a list" in audit(records, batches, history).findings[0].message


def test_the_identifiers_read_from_a_stored_document_are_those_of_the_parsed_event() -> None:
    scenario = appliance_chain()
    documents = [e["event"] for e in scenario.chain.envelopes]
    assert all(document_identifiers(d) == item_identifiers(parse_event(d)) for d in documents)
    assert document_identifiers({"epcList": "x", "quantityList": [1, {"epcClass": 5}], "parentID": ""}) == ()


def test_a_signature_anchored_after_its_key_was_revoked_as_compromised() -> None:
    """REVOKED is revoked as compromised (reason 9) at T0 + 500: an event dated before that but anchored, or
    received, after it may be the thief's; anchored before it, it stands."""
    early = record(event_doc("shipping", (T0 + 100) * 1000, action="OBSERVE"), MAKER, key=REVOKED)
    assert codes(audit(*world([early], anchor_at=T0 + 350))) == []
    found = audit(*world([early], anchor_at=T0 + 600)).findings  # anchored 100 s after the revocation
    assert [(f.code, f.organisation) for f in found if f.code != "anchored_late"] == [
        ("signed_after_key_compromise", None)
    ]
    assert "anchored at" in next(f.message for f in found if f.code == "signed_after_key_compromise")
    pending = record(event_doc("shipping", (T0 + 100) * 1000, action="OBSERVE"), MAKER, key=REVOKED,
                     received=(T0 + 700) * 1000)  # fmt: skip
    checker = EventChecker(RegistryMirror().apply_all(registry_history()))
    checked = checker.check({**pending, "id": 1})  # not in a batch yet: its receipt is what proves its time
    assert [f.code for f in checked.findings] == ["signed_after_key_compromise"]
    assert "received at" in checked.findings[0].message
