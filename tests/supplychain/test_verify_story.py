"""The story a bundle tells, checked as a whole (issue 13, item 4): each of these bundles verified ✓ before, every
event in it genuine (signed, anchored); now each fails with its own code, and the clean bundle still verifies."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from supplychain.registry import RegistryMirror
from supplychain.verify import FAILURE_CODES, INCOMPLETE_CODES, ProofBundle, Verdict, VerdictStatus, verify_bundle
from supplychain.verify._story import RECEIPT_TOLERANCE, receipt_check
from tests.supplychain.factories import CHAIN_ID, DAY, REGISTRY, T0, Scenario, appliance_chain, parse_time

NOW = T0 + 30 * DAY


class World:
    """The reference scenario plus a sale of A-1 properly signed by the retailer, dated before A-1 was assembled,
    anchored in a third batch (it is not in A-1's clean bundle)."""

    def __init__(self) -> None:
        self.scenario: Scenario = appliance_chain()
        chain = self.scenario.chain
        self.clean = chain.bundle_json(self.scenario.ids["A-1"])
        shop = self.scenario.orgs["RETAILER"]
        self.early_sale = chain.observe(shop, T0 + 9 * DAY, "retail_selling", epcs=[self.scenario.ids["A-1"]])
        chain.anchor([self.early_sale], T0 + 17 * DAY)
        self.mirror: RegistryMirror = chain.mirror()

    def verify(self, bundle: dict[str, Any], **options: Any) -> Verdict:
        given = {"chain_id": CHAIN_ID, "registry_address": REGISTRY, "now": NOW} | options
        return verify_bundle(ProofBundle.from_json(bundle), self.mirror, **given)

    def index(self, bundle: dict[str, Any], name: str) -> int:
        hash_id = self.scenario.env[name]["eventHashId"]
        return next(i for i, e in enumerate(bundle["events"]) if e["envelope"]["eventHashId"] == hash_id)

    def without(self, *names: str) -> dict[str, Any]:
        bundle = copy.deepcopy(self.clean)
        hashes = {self.scenario.env[n]["eventHashId"] for n in names}
        bundle["events"] = [e for e in bundle["events"] if e["envelope"]["eventHashId"] not in hashes]
        return bundle

    def entry(self, envelope: dict[str, Any]) -> dict[str, Any]:
        found = self.scenario.chain.bundle_json(self.scenario.ids["A-1"], [envelope])["events"][0]
        assert isinstance(found, dict)
        return found


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def story(verdict: Verdict) -> list[tuple[str, str]]:
    """The failed bundle-level checks: (code, detail)."""
    return [(c.code or c.name, c.detail) for c in verdict.checks if c.passed is False]


def test_the_clean_bundle_verifies_with_every_story_check(world: World) -> None:
    verdict = world.verify(world.clean)
    assert verdict.status is VerdictStatus.VERIFIED, verdict.failures
    named = {c.name: c for c in verdict.checks}
    assert named["duplicates"].detail == "every event is listed once"
    assert named["story"].detail == "every event is part of the product's story"
    assert named["chronology"].detail == "nothing happens to an item before it was created"
    assert named["custody"].detail == "every hand-over of the product has both ends"
    assert named["origins"].detail == "every item of the story was created by an event of the bundle"
    receipts = [c for e in verdict.events for c in e.checks if c.name == "receipt"]
    assert len(receipts) == len(verdict.events) and all(c.passed for c in receipts)


def test_a_sale_dated_before_the_product_was_made_fails(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    sale = world.entry(world.early_sale)
    bundle["events"] = [sale, *bundle["events"]]  # shown first, as the platform sorts by time
    verdict = world.verify(bundle)
    assert verdict.events[0].status is VerdictStatus.VERIFIED  # genuinely signed and anchored
    assert verdict.status is VerdictStatus.FAILED
    # and its story link is not in the product's chain given (anchored after the bundle was made)
    assert verdict.failures == ("event_before_origin", "link_missing")
    assert verdict.pending == ("sold_without_receipt",)  # and a gap: the retailer had not received it yet
    ((before, before_detail), _) = story(verdict)
    sold_detail = next(c.detail for c in verdict.checks if c.code == "sold_without_receipt")
    assert before == "event_before_origin"
    assert before_detail.startswith(f"event 1 ({world.early_sale['eventHashId']}) at 2023-11-23T22:13:20+00:00 names")
    assert before_detail.endswith("created at 2023-11-24T22:13:20+00:00")
    assert sold_detail.endswith("91350100M000100Y43 sold it without having received it")


def test_an_event_listed_twice_fails_as_duplicate(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    i = world.index(bundle, "sell A-1")
    bundle["events"].append(copy.deepcopy(bundle["events"][i]))
    verdict = world.verify(bundle)
    assert verdict.failures == ("duplicate_event",)
    n = len(bundle["events"])
    assert (
        story(verdict)[0][1]
        == f"{bundle['events'][i]['envelope']['eventHashId']} is listed 2 times (events {i + 1}, {n})"
    )


def test_an_event_listed_in_full_and_by_reference_fails_as_duplicate(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    item = bundle["events"][world.index(bundle, "sell A-1")]
    envelope = item["envelope"]
    bundle["summarised"] = {
        "counts": {"too_many_identifiers": 1},
        "events": [
            {
                "eventHashId": envelope["eventHashId"], "organisationId": envelope["organisationId"],
                "keyId": envelope["keyId"], "signature": envelope["signature"], "reason": "too_many_identifiers",
                "eventType": "ObjectEvent", "eventTime": parse_time(envelope), "bizStep": "retail_selling",
                "identifierCount": 1, "proof": item["proof"], "root": item["root"], "anchor": item["anchor"],
            }
        ],
    }  # fmt: skip
    verdict = world.verify(bundle)
    assert verdict.failures == ("duplicate_event",)
    assert story(verdict)[0][1].endswith("is listed in full (event 23) and summarised by reference")


def test_a_bundle_relabelled_as_a_sibling_serial_fails(world: World) -> None:
    """A-1's story shown as A-2's: A-2 is named (assembled, packed), but A-1's stocking and sale name nothing of it."""
    bundle = {**copy.deepcopy(world.clean), "product": world.scenario.ids["A-2"]}
    verdict = world.verify(bundle)
    assert verdict.failures == ("unrelated_event",)
    named = sorted(int(d.split(" ")[1]) - 1 for _, d in story(verdict))
    assert named == sorted(world.index(bundle, n) for n in ("stock A-1", "sell A-1"))


def test_a_siblings_event_added_to_the_story_fails(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    bundle["events"].append(world.entry(world.scenario.env["pack C2"]))  # packed
    verdict = world.verify(bundle)
    assert verdict.failures == ("unrelated_event",)
    assert story(verdict)[0][1].endswith("names nothing of the product's story")


@pytest.mark.parametrize(
    ("dropped", "failures", "gaps"),
    [
        (("commission R1",), (), ("origin_missing",)),
        (("make H1",), ("unrelated_event",), ("origin_missing",)),  # and its inputs' events are left dangling
        (("ship P1",), (), ("received_not_shipped",)),
        (("receive P1 (retail)",), (), ("sold_without_receipt",)),
        # the honest chain of A-1 still names the packing: its link shows an event the bundle does not
        (("pack C1",), ("unrelated_event", "unpacked_never_packed"), ("sold_without_receipt", "event_not_shown")),
    ],
    ids=["raw-material-origin", "component-lot", "shipment", "retailers-receipt", "packing"],
)
def test_a_link_dropped_from_the_bundle_is_named(
    world: World, dropped: tuple[str, ...], failures: tuple[str, ...], gaps: tuple[str, ...]
) -> None:
    """A gap leaves the verdict incomplete (the signed record may have it); a contradiction fails it."""
    verdict = world.verify(world.without(*dropped))
    assert verdict.status is (VerdictStatus.FAILED if failures else VerdictStatus.INCOMPLETE)
    assert verdict.failures == failures and verdict.pending == gaps
    assert all(e.status is VerdictStatus.VERIFIED for e in verdict.events)  # every event left is genuine


def test_a_missing_origin_may_rest_on_a_summarised_event(world: World) -> None:
    bundle = world.without("commission R1")
    bundle["summarised"] = {"counts": {"too_many_identifiers": 1}, "events": []}
    verdict = world.verify(bundle)
    assert verdict.status is VerdictStatus.VERIFIED, verdict.failures
    origins = next(c for c in verdict.checks if c.name == "origins")
    assert origins.passed and origins.detail.endswith(": it may be one of the 1 summarised")


def test_receipt_times_that_contradict_the_event_or_its_anchor_fail(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    i = world.index(bundle, "sell A-1")
    item = bundle["events"][i]
    happened = parse_time(item["envelope"])
    item["receiptTime"] = happened - RECEIPT_TOLERANCE - 1
    early = world.verify(bundle)
    assert early.failures == ("received_before_event",)
    assert early.events[i].failures == ("received_before_event",)
    item["receiptTime"] = item["anchor"]["timestamp"] + RECEIPT_TOLERANCE + 1
    late = world.verify(bundle)
    assert late.failures == ("received_after_anchor",)
    item["receiptTime"] = happened - RECEIPT_TOLERANCE  # the platform's clock skew: still fine
    assert world.verify(bundle).status is VerdictStatus.VERIFIED


def test_a_pending_event_has_its_receipt_checked_against_the_event_only(world: World) -> None:
    from datetime import UTC, datetime

    at = datetime.fromtimestamp(T0, UTC)
    assert receipt_check(T0 + 10**6, at, None).passed is True
    assert receipt_check(T0 - 10**6, at, None).code == "received_before_event"


def test_a_registry_not_pinned_leaves_the_verdict_incomplete(world: World) -> None:
    verdict = world.verify(world.clean, registry_pinned=False)
    assert verdict.status is VerdictStatus.INCOMPLETE and verdict.failures == ()
    registry = next(c for c in verdict.checks if c.name == "registry")
    assert (registry.passed, registry.code) == (None, "registry_not_pinned")
    assert registry.detail == f"registry {REGISTRY} is the bundle's own word: no registry was pinned"
    foreign = world.verify(world.clean, registry_pinned=False, registry_address="0x" + "ab" * 20)
    assert foreign.failures == ("other_registry",)


def test_every_story_code_is_a_stable_code() -> None:
    contradictions = {
        "duplicate_event", "unrelated_event", "event_before_origin", "unpacked_never_packed", "received_before_event",
        "received_after_anchor",
    }  # fmt: skip
    gaps = {"received_not_shipped", "sold_without_receipt", "origin_missing", "registry_not_pinned"}
    assert contradictions <= FAILURE_CODES and gaps <= INCOMPLETE_CODES and not FAILURE_CODES & INCOMPLETE_CODES


def _unreadable(bundle: dict[str, Any]) -> None:
    bundle["events"][0]["envelope"] = {"type": "nothing"}


@pytest.mark.parametrize("edit", [_unreadable], ids=["unreadable-envelope"])
def test_an_unreadable_event_leaves_the_story_checks_to_the_rest(
    world: World, edit: Callable[[dict[str, Any]], None]
) -> None:
    bundle = copy.deepcopy(world.clean)
    edit(bundle)
    verdict = world.verify(bundle)
    assert "malformed_envelope" in verdict.failures
    assert verdict.events[0].hash_id is None
