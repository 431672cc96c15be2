"""Summarised events: a bundle names some events by reference only, and a verifier checks what it can of them.

A stranger signs events naming serial A-1 of the reference scenario (tests.supplychain.factories); the platform leaves
them out of A-1's bundle and lists them under ``summarised``. Their signatures, keys and anchors are checked; a false
reference fails the verdict; one not anchored yet leaves it as it is; their content is never looked at.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from supplychain.errors import ProofBundleFormatError
from supplychain.registry import BusinessRole, RegistryMirror
from supplychain.registry.events import KeyAdded
from supplychain.signing import encode_signature
from supplychain.verify import (
    FAILURE_CODES,
    SUMMARY_REASONS,
    EventReference,
    ProofBundle,
    Verdict,
    VerdictStatus,
    verify_bundle,
)
from tests.supplychain.factories import CHAIN_ID, DAY, REGISTRY, T0, ChainBuilder, appliance_chain, parse_time

NOW = T0 + 30 * DAY


def reference(chain: ChainBuilder, envelope: dict[str, Any], reason: str = "outside_custody") -> dict[str, Any]:
    """The reference a platform lists for a stored event (as backend.services.custody.references builds it)."""
    anchored = chain.anchored.get(envelope["eventHashId"])
    event = envelope["event"]
    out: dict[str, Any] = {
        "eventHashId": envelope["eventHashId"],
        "organisationId": envelope["organisationId"],
        "keyId": envelope["keyId"],
        "signature": envelope["signature"],
        "reason": reason,
        "eventType": event["type"],
        "eventTime": parse_time(envelope),
        "bizStep": event.get("bizStep"),
        "identifierCount": len(event.get("epcList", [])),
        "proof": None,
        "root": None,
        "anchor": None,
    }
    if anchored is not None:
        out |= {
            "proof": ["0x" + p.hex() for p in anchored.proof],
            "root": "0x" + anchored.root.hex(),
            "anchor": {
                "sequence": anchored.sequence,
                "blockNumber": anchored.block_number,
                "txHash": anchored.tx_hash,
                "timestamp": anchored.timestamp,
            },
        }
    return out


class World:
    """The scenario, a stranger's three events naming A-1 (two anchored, one not), and A-1's bundle with them."""

    def __init__(self) -> None:
        scenario = appliance_chain()
        chain = scenario.chain
        story = chain.story_of(scenario.ids["A-1"])
        stranger = chain.org("STRANGER", "6909999", BusinessRole.RETAILER)
        serial = scenario.ids["A-1"]
        others = [f"urn:epc:id:sgtin:6904444.040001.X{n}" for n in range(5)]
        self.big = chain.observe(stranger, T0 + 20 * DAY, "inspecting", epcs=[*others, serial])
        self.small = chain.observe(stranger, T0 + 20 * DAY + 1, "inspecting", epcs=[serial])
        self.pending = chain.observe(stranger, T0 + 20 * DAY + 2, "inspecting", epcs=[serial])
        chain.anchor([self.big, self.small], T0 + 21 * DAY)
        self.chain = chain
        self.mirror: RegistryMirror = chain.mirror()
        bundle = chain.bundle_json(scenario.ids["A-1"], story)
        bundle["summarised"] = {
            "counts": {"outside_custody": 7},
            "events": [reference(chain, e) for e in (self.big, self.small, self.pending)],
        }
        self.bundle = bundle

    def verify(self, bundle: dict[str, Any] | None = None, **options: Any) -> Verdict:
        given = {"chain_id": CHAIN_ID, "registry_address": REGISTRY, "now": NOW} | options
        return verify_bundle(ProofBundle.from_json(bundle or self.bundle), self.mirror, **given)

    def edited(self, index: int, **changes: Any) -> dict[str, Any]:
        bundle = copy.deepcopy(self.bundle)
        bundle["summarised"]["events"][index].update(changes)
        return bundle


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def test_the_references_are_checked_and_the_verdict_stands(world: World) -> None:
    verdict = world.verify()
    assert verdict.status is VerdictStatus.VERIFIED, verdict.failures
    assert dict(verdict.summarised_counts) == {"outside_custody": 7}
    big, small, pending = verdict.summarised
    assert (big.hash_id, big.organisation_id, big.reason) == (
        world.big["eventHashId"],
        world.big["organisationId"],
        "outside_custody",
    )
    assert (big.event_type, big.biz_step, big.identifier_count) == ("ObjectEvent", "inspecting", 6)
    assert big.event_time == parse_time(world.big)
    assert [c.name for c in big.checks] == ["signature", "key", "proof", "anchor"]
    assert all(c.passed for c in big.checks + small.checks)
    # not anchored yet: said so, and it leaves the verdict as it is (it is not part of what the bundle shows)
    assert [(c.name, c.passed, c.code) for c in pending.checks][-1] == ("anchor", None, "not_anchored")
    assert pending.failures == ()
    report = verdict.to_json()
    assert report["summarised"]["counts"] == {"outside_custody": 7}
    listed = report["summarised"]["events"]
    assert [e["status"] for e in listed] == ["verified", "verified", "incomplete"]
    assert listed[0] | {"checks": []} == {
        "index": 0,
        "eventHashId": world.big["eventHashId"],
        "organisationId": world.big["organisationId"],
        "reason": "outside_custody",
        "eventType": "ObjectEvent",
        "eventTime": parse_time(world.big),
        "bizStep": "inspecting",
        "identifierCount": 6,
        "status": "verified",
        "checks": [],
    }


def test_the_json_form_round_trips_and_is_absent_when_nothing_was_left_out(world: World) -> None:
    bundle = ProofBundle.from_json(world.bundle)
    assert ProofBundle.from_json(bundle.to_json()) == bundle
    assert bundle.to_json()["summarised"] == world.bundle["summarised"]
    plain = {k: v for k, v in world.bundle.items() if k != "summarised"}
    read = ProofBundle.from_json(plain)
    assert (read.summarised, dict(read.summarised_counts)) == ((), {})
    assert "summarised" not in read.to_json()
    assert world.verify(plain).to_json()["summarised"] == {"counts": {}, "events": []}
    assert set(SUMMARY_REASONS) == {"outside_custody", "too_many_identifiers"}
    assert isinstance(bundle.summarised[0], EventReference)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (lambda w: {"signature": w.small["signature"]}, "bad_signature"),  # another event's signature
        (lambda w: {"signature": "!!"}, "bad_signature"),  # not base64url
        (lambda w: {"keyId": w.chain.orgs["ASSEMBLER"].key.key_id}, "bad_signature"),
        (lambda w: {"organisationId": w.chain.orgs["ASSEMBLER"].org_id}, "key_not_registered"),
        (lambda w: {"keyId": "0x" + "11" * 32}, "bad_signature"),
        (lambda w: {"eventTime": T0 - DAY}, "key_not_yet_valid"),
        (lambda w: {"proof": w.bundle["summarised"]["events"][1]["proof"] + ["0x" + "00" * 32]}, "proof_invalid"),
        (lambda w: {"root": "0x" + "ab" * 32}, "proof_invalid"),
        (lambda w: {"anchor": {**w.bundle["summarised"]["events"][0]["anchor"], "sequence": 99}}, "anchor_mismatch"),
    ],
)
def test_a_false_reference_fails_the_verdict(world: World, change: Any, code: str) -> None:
    verdict = world.verify(world.edited(0, **change(world)))
    assert verdict.status is VerdictStatus.FAILED
    assert code in verdict.failures and code in verdict.summarised[0].failures
    assert code in FAILURE_CODES
    assert verdict.events and all(e.failures == () for e in verdict.events)  # the product's own events are fine


def test_a_reference_to_an_unregistered_key_or_a_root_never_anchored_fails(world: World) -> None:
    keyless = RegistryMirror().apply_all([e for e in world.chain.registry_events() if not isinstance(e, KeyAdded)])
    verdict = verify_bundle(
        ProofBundle.from_json(world.bundle), keyless, chain_id=CHAIN_ID, registry_address=REGISTRY, now=NOW
    )
    assert "key_not_registered" in verdict.summarised[0].failures
    lone = world.chain.observe(world.chain.orgs["STRANGER"], T0 + 22 * DAY, "inspecting", epcs=["urn:x:1"])
    entry = reference(world.chain, lone) | {
        "proof": [],
        "root": "0x" + "cd" * 32,
        "anchor": {"sequence": 1, "blockNumber": 1, "txHash": "0x" + "ef" * 32, "timestamp": T0},
    }
    bundle = copy.deepcopy(world.bundle)
    bundle["summarised"]["events"].append(entry)
    bundle["summarised"]["counts"]["outside_custody"] = 8
    assert "root_not_anchored" in world.verify(bundle).summarised[3].failures


def test_a_revoked_key_fails_the_reference(world: World) -> None:
    chain = appliance_chain().chain
    stranger = chain.org("STRANGER", "6909999", BusinessRole.RETAILER)
    late = chain.observe(stranger, T0 + 5 * DAY, "inspecting", epcs=["urn:epc:id:sgtin:6904444.040001.A-1"])
    chain.revoke_key(stranger, T0 + 2 * DAY)
    bundle = chain.bundle_json("urn:epc:id:sgtin:6904444.040001.A-1", [])
    bundle["summarised"] = {"counts": {"outside_custody": 1}, "events": [reference(chain, late)]}
    verdict = verify_bundle(
        ProofBundle.from_json(bundle), chain.mirror(), chain_id=CHAIN_ID, registry_address=REGISTRY, now=NOW
    )
    # no events of its own: incomplete (no_events), and the false reference fails it
    assert verdict.status is VerdictStatus.FAILED
    assert verdict.failures == ("key_revoked",)
    assert [c.code for c in verdict.checks if c.passed is None] == ["no_events"]


def test_a_bundle_of_another_chain_fails_its_references_too(world: World) -> None:
    verdict = world.verify(chain_id=CHAIN_ID + 1)
    assert verdict.status is VerdictStatus.FAILED
    assert all([c.code for c in r.checks] == ["other_chain"] for r in verdict.summarised)
    assert verdict.summarised[2].reason == "outside_custody"
    empty = copy.deepcopy(world.bundle) | {"events": []}
    assert [r.failures for r in world.verify(empty, chain_id=CHAIN_ID + 1).summarised] == [("other_chain",)] * 3


def test_the_signature_is_of_the_hash_id_so_a_wrong_one_is_said_so(world: World) -> None:
    other = encode_signature(b"\x00" * 64)
    check = world.verify(world.edited(1, signature=other)).summarised[1].checks[0]
    assert (check.name, check.passed, check.code) == ("signature", False, "bad_signature")
    assert world.small["eventHashId"] in check.detail


@pytest.mark.parametrize(
    ("edit", "field", "says"),
    [
        (lambda s: "nope", "summarised", "expected a JSON object"),
        (lambda s: s | {"more": 1}, "summarised.more", "unknown field"),
        (lambda s: {"events": []}, "summarised.counts", "missing"),
        (lambda s: s | {"counts": []}, "summarised.counts", "expected a JSON object"),
        (lambda s: s | {"counts": {"lost": 1}}, "summarised.counts.lost", "unknown field"),
        (lambda s: s | {"counts": {"outside_custody": -1}}, "summarised.counts.outside_custody", "non-negative"),
        (lambda s: s | {"counts": {"outside_custody": 2}}, "summarised.counts.outside_custody", "3 are listed"),
        (lambda s: s | {"events": {}}, "summarised.events", "expected a list"),
        (lambda s: s | {"events": [1]}, "summarised.events[0]", "expected a JSON object"),
    ],
)
def test_a_malformed_summarised_block_is_a_format_error(world: World, edit: Any, field: str, says: str) -> None:
    bundle = copy.deepcopy(world.bundle)
    bundle["summarised"] = edit(bundle["summarised"])
    with pytest.raises(ProofBundleFormatError) as raised:
        ProofBundle.from_json(bundle)
    assert raised.value.field == field and says in raised.value.reason


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"extra": 1}, "summarised.events[0].extra", "unknown field"),
        ({"eventHashId": 7}, "summarised.events[0].eventHashId", "non-empty string"),
        ({"eventHashId": "ni:///sha-256;abc?ver=CBV2.0"}, "summarised.events[0].eventHashId", ""),
        ({"organisationId": "ACME"}, "summarised.events[0].organisationId", "GLN or a USCC"),
        ({"keyId": "0x12"}, "summarised.events[0].keyId", "64 lowercase hex"),
        ({"signature": ""}, "summarised.events[0].signature", "non-empty string"),
        ({"reason": "spam"}, "summarised.events[0].reason", "outside_custody, too_many_identifiers"),
        ({"eventType": None}, "summarised.events[0].eventType", "non-empty string"),
        ({"eventTime": -1}, "summarised.events[0].eventTime", "non-negative"),
        ({"bizStep": 3}, "summarised.events[0].bizStep", "non-empty string"),
        ({"identifierCount": 1.5}, "summarised.events[0].identifierCount", "non-negative"),
        ({"root": None}, "summarised.events[0]", "given together"),
    ],
)
def test_a_malformed_reference_is_a_format_error(world: World, changes: dict[str, Any], field: str, says: str) -> None:
    with pytest.raises(ProofBundleFormatError) as raised:
        ProofBundle.from_json(world.edited(0, **changes))
    assert raised.value.field == field and says in raised.value.reason


def test_a_reference_without_a_bizstep_reads(world: World) -> None:
    read = ProofBundle.from_json(world.edited(2, bizStep=None))
    assert read.summarised[2].biz_step is None
