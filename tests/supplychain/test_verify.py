"""Proof verification: a genuine bundle verifies, and every tampering fails with its stable code."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from supplychain.errors import ProofBundleFormatError, TraceError
from supplychain.eventhash import event_hash_id
from supplychain.registry import BusinessRole, RegistryMirror
from supplychain.registry.events import (
    KeyAdded,
    KeyRevoked,
    LogPosition,
    OrganisationRegistered,
    OrganisationSuspended,
    OrganisationUpdated,
    RegistryEvent,
    RootAnchored,
)
from supplychain.signing import SIGNATURE_NAMESPACE, make_envelope
from supplychain.verify import (
    FAILURE_CODES,
    INCOMPLETE_CODES,
    ProofBundle,
    Verdict,
    VerdictStatus,
    verify_bundle,
)
from tests.supplychain.factories import (
    CHAIN_ID,
    DAY,
    REGISTRY,
    T0,
    ChainBuilder,
    Scenario,
    appliance_chain,
    sgtin,
)

NOW = T0 + 30 * DAY


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return appliance_chain()


@pytest.fixture(scope="module")
def history(scenario: Scenario) -> list[RegistryEvent]:
    return scenario.chain.registry_events()


@pytest.fixture(scope="module")
def bundle_json(scenario: Scenario) -> dict[str, Any]:
    return scenario.chain.bundle_json(scenario.ids["A-1"])


def verify(bundle: dict[str, Any], mirror: RegistryMirror, **kwargs: Any) -> Verdict:
    options: dict[str, Any] = {"chain_id": CHAIN_ID, "registry_address": REGISTRY, "now": NOW} | kwargs
    return verify_bundle(ProofBundle.from_json(bundle), mirror, **options)


def mirror_of(
    history: Iterable[RegistryEvent],
    *,
    drop: Callable[[RegistryEvent], bool] = lambda _: False,
    change: Callable[[RegistryEvent], RegistryEvent] = lambda e: e,
    extra: Iterable[RegistryEvent] = (),
) -> RegistryMirror:
    events = [change(e) for e in history if not drop(e)]
    return RegistryMirror().apply_all([*events, *extra])


def after(i: int) -> LogPosition:
    return LogPosition(100_000 + i, 0, f"0x{100_000 + i:064x}")


def index_of(bundle: dict[str, Any], scenario: Scenario, name: str) -> int:
    hash_id = scenario.env[name]["eventHashId"]
    return next(i for i, e in enumerate(bundle["events"]) if e["envelope"]["eventHashId"] == hash_id)


def failures_by_event(verdict: Verdict) -> dict[int, tuple[str, ...]]:
    return {e.index: e.failures for e in verdict.events if e.failures}


# --- the genuine bundle ---


def test_a_genuine_bundle_verifies(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    verdict = verify(bundle_json, mirror_of(history))
    assert verdict.status is VerdictStatus.VERIFIED and verdict.failures == ()
    story = scenario.chain.story_of(scenario.ids["A-1"])  # every event but case C2's packing (A-3 and A-4)
    assert len(verdict.events) == len(story) == len(scenario.chain.envelopes) - 1 == 23
    names = {c.name for c in verdict.events[0].checks}
    expected = {"envelope", "event", "event_hash", "signature", "key", "organisation", "role", "clock"}
    assert names == expected | {"proof", "anchor", "chronology", "receipt"}
    assert [c.name for c in verdict.checks] == [
        "chain", "registry", "events", "product", "duplicates", "story", "chronology", "custody", "origins", "links"
    ]  # fmt: skip
    as_json = verdict.to_json()
    assert as_json["status"] == "verified" and len(as_json["events"]) == len(verdict.events)
    assert ProofBundle.from_json(ProofBundle.from_json(bundle_json).to_json()) == ProofBundle.from_json(bundle_json)


def test_green_status_is_information_at_the_event_time(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    verdict = verify(bundle_json, mirror_of(history))
    by_name = {
        name: verdict.events[index_of(bundle_json, scenario, name)] for name in scenario.env if name != "pack C2"
    }
    before = by_name["commission R1"].green
    assert before is not None and before.green_factory
    assert [r.in_force_now for r in before.recognitions] == [False]  # suspended since
    lapsed = by_name["commission R2"].green
    assert lapsed is not None and lapsed.recognitions == () and not lapsed.green_factory
    assert by_name["commission R2"].status is VerdictStatus.VERIFIED  # information, not a failure
    supply_chain = by_name["assemble"].green
    assert supply_chain is not None and supply_chain.recognitions[0].kind.name == "GREEN_SUPPLY_CHAIN"
    assert supply_chain.to_json()["recognitions"][0]["level"] == "PROVINCIAL"
    no_now = verify(bundle_json, mirror_of(history), now=None)
    assert no_now.events[0].green is not None and no_now.events[0].green.recognitions[0].in_force_now is None
    assert "clock" not in {c.name for c in no_now.events[0].checks}


def test_the_registry_address_is_compared_without_case(
    history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    verdict = verify(bundle_json, mirror_of(history), registry_address=REGISTRY.upper().replace("0X", "0x"))
    assert verdict.status is VerdictStatus.VERIFIED


# --- tampering, one failure code each ---


def test_an_edited_event_fails_its_hash(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(bundle_json)
    i = index_of(bundle, scenario, "ship S1")
    bundle["events"][i]["envelope"]["event"]["quantityList"][0]["quantity"] = 900
    verdict = verify(bundle, mirror_of(history))
    assert verdict.status is VerdictStatus.FAILED
    assert failures_by_event(verdict) == {i: ("hash_mismatch",)}


def test_a_swapped_signature_fails(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(bundle_json)
    i, j = index_of(bundle, scenario, "ship S1"), index_of(bundle, scenario, "commission S1")
    bundle["events"][i]["envelope"]["signature"] = bundle["events"][j]["envelope"]["signature"]
    bundle["events"][j]["envelope"]["signature"] = "not*base64"
    assert failures_by_event(verify(bundle, mirror_of(history))) == {
        i: ("bad_signature",),
        j: ("bad_signature",),
    }


def test_a_swapped_proof_fails(scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]) -> None:
    bundle = copy.deepcopy(bundle_json)
    i, j = index_of(bundle, scenario, "ship S1"), index_of(bundle, scenario, "ship R1")
    events = bundle["events"]
    events[i]["proof"], events[j]["proof"] = events[j]["proof"], events[i]["proof"]
    assert failures_by_event(verify(bundle, mirror_of(history))) == {
        i: ("proof_invalid",),
        j: ("proof_invalid",),
    }


def test_an_unknown_root_fails(scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]) -> None:
    last_anchor = [e for e in history if isinstance(e, RootAnchored)][-1]
    mirror = mirror_of(history, drop=lambda e: e is last_anchor)
    verdict = verify(bundle_json, mirror)
    failed = failures_by_event(verdict)
    assert set(failed.values()) == {("root_not_anchored",)}
    assert index_of(bundle_json, scenario, "sell A-1") in failed
    assert index_of(bundle_json, scenario, "make H1") not in failed  # first batch


def test_a_wrong_anchor_claim_fails(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(bundle_json)
    i = index_of(bundle, scenario, "make H1")
    bundle["events"][i]["anchor"]["sequence"] = 99
    bundle["events"][i]["anchor"]["timestamp"] += 1
    verdict = verify(bundle, mirror_of(history))
    assert failures_by_event(verdict) == {i: ("anchor_mismatch",)}
    detail = next(c.detail for c in verdict.events[i].checks if c.name == "anchor")
    assert "sequence 99" in detail and "timestamp" in detail


def test_a_key_revoked_before_the_event_fails(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    comp = scenario.orgs["COMPONENT"]
    revoked = KeyRevoked(after(1), T0 + 5 * DAY, comp.org_id, comp.key.public_key_bytes, 9)
    failed = failures_by_event(verify(bundle_json, mirror_of(history, extra=[revoked])))
    assert failed == {
        index_of(bundle_json, scenario, "make H2"): ("key_revoked",),
        index_of(bundle_json, scenario, "ship H"): ("key_revoked",),
    }


def test_a_key_not_yet_valid_fails(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    raw_a = scenario.orgs["RAW_A"]

    def late(event: RegistryEvent) -> RegistryEvent:
        if isinstance(event, KeyAdded) and event.org_id == raw_a.org_id:
            return dataclasses.replace(event, timestamp=T0 + 2 * DAY)
        return event

    failed = failures_by_event(verify(bundle_json, mirror_of(history, change=late)))
    assert failed == {
        index_of(bundle_json, scenario, "commission S1"): ("key_not_yet_valid",),
        index_of(bundle_json, scenario, "commission F1"): ("key_not_yet_valid",),
    }


def test_a_key_unknown_or_of_another_organisation_fails(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    raw_a = scenario.orgs["RAW_A"]
    mirror = mirror_of(history, drop=lambda e: isinstance(e, KeyAdded) and e.org_id == raw_a.org_id)
    failed = failures_by_event(verify(bundle_json, mirror))
    assert len(failed) == 4 and set(failed.values()) == {("key_not_registered",)}
    # RAW_A's key signs an event claimed by RAW_B: the signature is valid, the key is not RAW_B's
    bundle = copy.deepcopy(bundle_json)
    i = index_of(bundle, scenario, "commission R1")
    event = bundle["events"][i]["envelope"]["event"]
    bundle["events"][i]["envelope"] = make_envelope(
        raw_a.key, scenario.orgs["RAW_B"].org_id, event, event_hash_id(event)
    )
    verdict = verify(bundle, mirror_of(history))
    assert failures_by_event(verdict) == {i: ("key_not_registered",)}
    assert "registered to organisation " + raw_a.org_id in next(
        c.detail for c in verdict.events[i].checks if c.name == "key"
    )


def test_a_role_not_allowed_fails(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    shop = scenario.orgs["RETAILER"].org_id
    demoted = OrganisationUpdated(after(1), T0 + 15 * DAY + 150, shop, BusinessRole.LOGISTICS, b"\0" * 32, "")
    failed = failures_by_event(verify(bundle_json, mirror_of(history, extra=[demoted])))
    assert failed == {
        index_of(bundle_json, scenario, "stock A-1"): ("role_not_allowed",),
        index_of(bundle_json, scenario, "sell A-1"): ("role_not_allowed",),
    }


def test_an_organisation_suspended_or_unregistered_fails(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    log = scenario.orgs["LOGISTICS"].org_id
    suspended = OrganisationSuspended(after(1), T0 + 13 * DAY, log, 1)
    failed = failures_by_event(verify(bundle_json, mirror_of(history, extra=[suspended])))
    assert failed == {
        index_of(bundle_json, scenario, "receive P1 (logistics)"): ("organisation_suspended",),
        index_of(bundle_json, scenario, "depart P1"): ("organisation_suspended",),
    }
    unknown = mirror_of(
        history,
        drop=lambda e: isinstance(e, OrganisationRegistered | KeyAdded) and getattr(e, "org_id", "") == log,
    )
    failed = failures_by_event(verify(bundle_json, unknown))
    assert failed[index_of(bundle_json, scenario, "depart P1")] == (
        "key_not_registered",
        "organisation_not_registered",
        "role_not_allowed",
    )


def test_an_event_after_its_anchor_or_in_the_future_fails() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    envelope = c.commission(maker, T0 + 100, epcs=[sgtin("6907777", "070001", "1")])
    c.anchor([envelope], T0 + 50)
    bundle = c.bundle_json(sgtin("6907777", "070001", "1"))
    verdict = verify(bundle, c.mirror(), now=T0 + 60)
    assert verdict.events[0].failures == ("event_in_future", "event_after_anchor")
    assert set(verdict.failures) <= FAILURE_CODES


def test_a_bundle_from_another_chain_or_registry_fails_every_event(
    history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    verdict = verify(bundle_json, mirror_of(history), chain_id=1)
    assert verdict.status is VerdictStatus.FAILED
    assert {e.failures for e in verdict.events} == {("other_chain",)}
    assert all(e.hash_id for e in verdict.events)
    both = verify(bundle_json, mirror_of(history), chain_id=1, registry_address="0x" + "1" * 40)
    assert {e.failures for e in both.events} == {("other_chain", "other_registry")}
    assert both.failures == ("other_chain", "other_registry")


def test_unreadable_envelopes_and_events_fail(
    history: list[RegistryEvent], bundle_json: dict[str, Any], scenario: Scenario
) -> None:
    bundle = copy.deepcopy(bundle_json)
    del bundle["events"][0]["envelope"]["keyId"]
    shop = scenario.orgs["RETAILER"]
    bad_step = {"type": "ObjectEvent", "eventTime": "2023-11-30T00:00:00Z", "eventTimeZoneOffset": "+08:00"}
    bad_step |= {"action": "OBSERVE", "bizStep": "shippping", "epcList": [scenario.ids["A-1"]]}
    bundle["events"][1]["envelope"] = make_envelope(shop.key, shop.org_id, bad_step, event_hash_id(bad_step))
    no_type = {"eventTime": "2023-11-30T00:00:00Z", "action": "OBSERVE"}
    bundle["events"][2]["envelope"] = make_envelope(
        shop.key, shop.org_id, no_type, bundle["events"][2]["envelope"]["eventHashId"]
    )
    verdict = verify(bundle, mirror_of(history))
    assert verdict.events[0].failures == ("malformed_envelope",) and verdict.events[0].hash_id is None
    assert verdict.events[1].failures == ("malformed_event", "proof_invalid")
    assert verdict.events[2].failures == ("malformed_event", "hash_mismatch")
    assert verdict.events[2].event_time is None


# --- incomplete ---


def test_events_not_yet_anchored_make_the_verdict_incomplete() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    item = sgtin("6907777", "070001", "1")
    c.commission(maker, T0, epcs=[item])
    verdict = verify(c.bundle_json(item), c.mirror())
    assert verdict.status is VerdictStatus.INCOMPLETE and verdict.failures == ()
    (pending,) = [ch for ch in verdict.events[0].checks if ch.passed is None]
    assert pending.code == "not_anchored" and pending.code in INCOMPLETE_CODES
    assert verdict.events[0].status is VerdictStatus.INCOMPLETE


def test_an_empty_bundle_or_one_not_about_its_product_is_incomplete(
    history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    empty = verify({**bundle_json, "events": []}, mirror_of(history))
    assert empty.status is VerdictStatus.INCOMPLETE and empty.checks[-1].code == "no_events"
    wrong_chain_empty = verify({**bundle_json, "events": []}, mirror_of(history), chain_id=5)
    assert wrong_chain_empty.status is VerdictStatus.FAILED
    elsewhere = verify({**bundle_json, "product": sgtin("6909999", "099999", "x")}, mirror_of(history))
    assert elsewhere.status is VerdictStatus.INCOMPLETE and elsewhere.checks[3].code == "product_not_found"


# --- the bundle format ---


def _set(path: str, value: object) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = doc
        for key in parents:
            target = target[int(key)] if key.isdigit() else target[key]
        key: int | str = int(last) if last.isdigit() else last
        if value is KeyError:
            del target[key]
        else:
            target[key] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (_set("type", "Other"), "type"),
        (_set("version", 3), "version"),
        (_set("version", 1), "links"),  # version 1 has no links
        (_set("links", KeyError), "links"),  # version 2 requires them
        (_set("version", True), "version"),
        (_set("chainId", -1), "chainId"),
        (_set("registryAddress", "0x12"), "registryAddress"),
        (_set("product", ""), "product"),
        (_set("events", {}), "events"),
        (_set("extra", 1), "extra"),
        (_set("chainId", KeyError), "chainId"),
        (_set("events/0/envelope", []), "events[0].envelope"),
        (_set("events/0/proof", None), "events[0]"),
        (_set("events/0/proof", "0x00"), "events[0].proof"),
        (_set("events/0/proof/0", "0xZZ"), "events[0].proof[0]"),
        (_set("events/0/root", "0x" + "AB" * 32), "events[0].root"),
        (_set("events/0/anchor/txHash", 5), "events[0].anchor.txHash"),
        (_set("events/0/anchor/sequence", "7"), "events[0].anchor.sequence"),
        (_set("events/0/anchor/blockNumber", KeyError), "events[0].anchor.blockNumber"),
        (_set("events/0/anchor/gas", 1), "events[0].anchor.gas"),
        (_set("events/0/anchor/confirmations", -1), "events[0].anchor.confirmations"),
        (_set("events/0/anchor/final", "yes"), "events[0].anchor.final"),
        (_set("events/0/receiptTime", 1.5), "events[0].receiptTime"),
        (_set("events/0", "x"), "events[0]"),
    ],
)
def test_malformed_bundles_name_the_field(
    bundle_json: dict[str, Any], edit: Callable[[dict[str, Any]], None], field: str
) -> None:
    bundle = copy.deepcopy(bundle_json)
    edit(bundle)
    with pytest.raises(ProofBundleFormatError) as caught:
        ProofBundle.from_json(bundle)
    assert caught.value.field == field
    assert isinstance(caught.value, ValueError) and isinstance(caught.value, TraceError)
    assert field in str(caught.value)


def test_a_bundle_must_be_an_object() -> None:
    with pytest.raises(ProofBundleFormatError, match="expected a JSON object"):
        ProofBundle.from_json([])


def test_receipt_time_is_optional(bundle_json: dict[str, Any]) -> None:
    bundle = copy.deepcopy(bundle_json)
    del bundle["events"][0]["receiptTime"]
    assert ProofBundle.from_json(bundle).events[0].receipt_time is None
    assert ProofBundle.from_json(bundle_json).events[0].receipt_time is not None
    assert ProofBundle.from_json(bundle_json).events[0].anchored


def test_an_anchor_may_say_its_confirmations_and_whether_it_is_final(bundle_json: dict[str, Any]) -> None:
    plain = ProofBundle.from_json(bundle_json).events[0].anchor
    assert plain is not None and (plain.confirmations, plain.final) == (None, None)
    assert set(ProofBundle.from_json(bundle_json).to_json()["events"][0]["anchor"]) == {
        "sequence", "blockNumber", "txHash", "timestamp"
    }  # fmt: skip
    bundle = copy.deepcopy(bundle_json)
    bundle["events"][0]["anchor"] |= {"confirmations": 3, "final": False}
    read = ProofBundle.from_json(bundle)
    anchor = read.events[0].anchor
    assert anchor is not None and (anchor.confirmations, anchor.final) == (3, False)
    assert read.to_json()["events"][0]["anchor"] == bundle["events"][0]["anchor"]  # written back as read
    bundle["events"][0]["anchor"] |= {"confirmations": None, "final": None}  # null: not said
    anchor = ProofBundle.from_json(bundle).events[0].anchor
    assert anchor is not None and (anchor.confirmations, anchor.final) == (None, None)


def test_a_cited_recognition_must_be_the_organisations_and_in_force_at_the_event_time() -> None:
    s = appliance_chain()  # its own chain: events are added
    c, raw_b, rid = s.chain, s.orgs["RAW_B"], s.recognitions["RAW_B"]  # suspended on day 5
    context = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sc": SIGNATURE_NAMESPACE}]

    def cite(t: int, value: object, key: str = "sc:recognition") -> dict[str, Any]:
        body = {
            "@context": context,
            "type": "ObjectEvent",
            "action": "OBSERVE",
            "bizStep": "inspecting",
            "quantityList": [{"epcClass": s.ids["R1"], "quantity": 1, "uom": "KGM"}],
            "readPoint": {"id": raw_b.site},
            key: value,
        }
        return c.event(raw_b, body, t)

    cited = [
        cite(T0 + 2 * DAY + 10, rid),  # in force
        cite(T0 + 2 * DAY + 20, str(rid), key=SIGNATURE_NAMESPACE + "recognition"),
        cite(T0 + 6 * DAY, rid),  # suspended since day 5
        cite(T0 + 2 * DAY + 30, s.recognitions["RAW_A"]),  # another organisation's
        cite(T0 + 2 * DAY + 40, "no. 7"),
    ]
    c.anchor(cited, T0 + 16 * DAY + 7200)
    verdict = verify(c.bundle_json(s.ids["R1"], cited), mirror_of(c.registry_events()))
    citations = [next(ch for ch in e.checks if ch.name == "citation") for e in verdict.events]
    assert [ch.passed for ch in citations] == [True, True, False, False, False]
    assert [ch.code for ch in citations][2:] == ["citation_not_in_force", "citation_not_in_force", "malformed_citation"]
    assert "suspended" in citations[2].detail and "not holder" in citations[3].detail
    assert verdict.status is VerdictStatus.FAILED


def test_an_event_signed_under_the_release_1_9_3_hashing_rules_keeps_its_id(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    """Events stored before the project followed the reference's current source were hashed with the standard
    context's prefixes expanded (``cbvmda:lotNumber``); their signed IDs still match, and nothing else does."""
    from supplychain.eventhash import hash_context, hashes_to
    from supplychain.eventhash._context import legacy_context
    from supplychain.signing import encode_signature, sign_hash_id

    bundle = copy.deepcopy(bundle_json)
    i = next(n for n, e in enumerate(bundle["events"]) if "ilmd" in e["envelope"]["event"])
    envelope = bundle["events"][i]["envelope"]
    event = envelope["event"]
    legacy_id = event_hash_id(event, legacy_context(hash_context()))
    assert legacy_id != envelope["eventHashId"] == event_hash_id(event)
    assert (
        hashes_to(event, None, legacy_id) == "legacy" and hashes_to(event, None, envelope["eventHashId"]) == "current"
    )
    key = next(o.key for o in scenario.orgs.values() if o.org_id == envelope["organisationId"])
    envelope["eventHashId"], envelope["signature"] = legacy_id, encode_signature(sign_hash_id(key, legacy_id))
    verdict = verify(bundle, mirror_of(history))
    checks = {c.name: c for c in verdict.events[i].checks}
    assert checks["event_hash"].passed and "release 1.9.3" in checks["event_hash"].detail
    assert checks["signature"].passed
    assert "hash_mismatch" not in verdict.events[i].failures  # (its proof was made for the current ID: it fails)
    event["ilmd"] = {"cbvmda:lotNumber": "ANOTHER"}
    assert hashes_to(event, None, legacy_id) is None
    assert "hash_mismatch" in verify(bundle, mirror_of(history)).events[i].failures


def test_who_may_make_a_gtin_is_its_owner_on_chain_then(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    """The rule capture and the audit apply (supplychain.registry.speakers): items of a GTIN are made by the holder
    of its company prefix at the event time, or a delegate. Nobody holding the prefix then is no one's fault."""
    from supplychain.registry.events import PrefixAssigned

    raw_a, raw_b = scenario.orgs["RAW_A"], scenario.orgs["RAW_B"]
    i = index_of(bundle_json, scenario, "commission S1")  # RAW_A makes material of its own prefix 6901111

    def held_by(org_id: str) -> PrefixAssigned:
        return PrefixAssigned(after(1), T0, raw_a.prefix, org_id, "0x" + "ab" * 20, None)

    assert "owner" not in {c.name for c in verify(bundle_json, mirror_of(history)).events[i].checks}
    own = {c.name: c for c in verify(bundle_json, mirror_of(history, extra=[held_by(raw_a.org_id)])).events[i].checks}
    assert own["owner"].passed is True
    other = verify(bundle_json, mirror_of(history, extra=[held_by(raw_b.org_id)]))
    assert other.status is VerdictStatus.FAILED
    assert failures_by_event(other)[i] == ("not_gtin_owner",)
    assert raw_b.org_id in next(c.detail for c in other.events[i].checks if c.name == "owner")


def test_a_key_revoked_as_compromised_signs_nothing_anchored_after(
    scenario: Scenario, history: list[RegistryEvent], bundle_json: dict[str, Any]
) -> None:
    """A signature exists, provably, from its anchoring on: an event dated before the key's revocation but anchored
    after a revocation for compromise may be the thief's (``key_compromised``); any other revocation reason, or an
    anchor before the revocation, keeps it."""
    from datetime import datetime

    comp = scenario.orgs["COMPONENT"]
    i = index_of(bundle_json, scenario, "make H2")
    item = bundle_json["events"][i]
    made = int(datetime.fromisoformat(item["envelope"]["event"]["eventTime"]).timestamp())
    anchored = item["anchor"]["timestamp"]
    assert made < anchored

    def revoked(reason: int, at: int) -> KeyRevoked:
        return KeyRevoked(after(1), at, comp.org_id, comp.key.public_key_bytes, reason)

    between = made + (anchored - made) // 2 + 1
    failed = failures_by_event(verify(bundle_json, mirror_of(history, extra=[revoked(9, between)])))
    assert failed[i] == ("key_compromised",)
    kept = verify(bundle_json, mirror_of(history, extra=[revoked(1, between)]))  # spot check failed: not stolen
    assert i not in failures_by_event(kept)
    later = verify(bundle_json, mirror_of(history, extra=[revoked(9, anchored + 1)]))
    assert i not in failures_by_event(later)
    assert {c.name: c for c in later.events[i].checks}["compromise"].passed is True
    unanchored = copy.deepcopy(bundle_json)
    unanchored["events"][i].update(root=None, proof=None, anchor=None)
    waiting = verify(unanchored, mirror_of(history, extra=[revoked(9, between)]))
    assert "compromise" not in {c.name for c in waiting.events[i].checks}  # not anchored: incomplete, nothing proven
