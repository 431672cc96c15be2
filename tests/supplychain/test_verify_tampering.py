"""Tampering the independent scanner must name: a bundle about another product than the one scanned, a proof that
leads elsewhere (and where), a root that is not on chain told apart from a proof that does not fit its root."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from supplychain.gs1 import canonical_dl
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import RegistryMirror
from supplychain.registry.events import RegistryEvent
from supplychain.verify import FAILURE_CODES, ProofBundle, Verdict, VerdictStatus, verify_bundle
from tests.supplychain.factories import CHAIN_ID, DAY, REGISTRY, T0, Scenario, appliance_chain

NOW = T0 + 30 * DAY


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return appliance_chain()


@pytest.fixture(scope="module")
def mirror(scenario: Scenario) -> RegistryMirror:
    history: list[RegistryEvent] = scenario.chain.registry_events()
    return RegistryMirror().apply_all(history)


@pytest.fixture(scope="module")
def bundle_json(scenario: Scenario) -> dict[str, Any]:
    return scenario.chain.bundle_json(scenario.ids["A-1"])


def verify(bundle: dict[str, Any], mirror: RegistryMirror, **kwargs: Any) -> Verdict:
    options: dict[str, Any] = {"chain_id": CHAIN_ID, "registry_address": REGISTRY, "now": NOW} | kwargs
    return verify_bundle(ProofBundle.from_json(bundle), mirror, **options)


def index_of(bundle: dict[str, Any], scenario: Scenario, name: str) -> int:
    hash_id = scenario.env[name]["eventHashId"]
    return next(i for i, e in enumerate(bundle["events"]) if e["envelope"]["eventHashId"] == hash_id)


def check(verdict: Verdict, index: int, name: str) -> tuple[bool | None, str, str | None]:
    found = next(c for c in verdict.events[index].checks if c.name == name)
    return found.passed, found.detail, found.code


# --- the product asked about ---


def test_the_scanned_code_names_the_bundles_product_on_any_host(
    scenario: Scenario, mirror: RegistryMirror, bundle_json: dict[str, Any]
) -> None:
    canonical = canonical_dl(scenario.ids["A-1"])
    assert canonical is not None
    scanned = canonical.replace("https://id.gs1.org", "https://qr.example.cn/p").replace("/21/", "/10/A-LOT1/21/")
    verdict = verify(bundle_json, mirror, requested=scanned)
    assert verdict.status is VerdictStatus.VERIFIED, verdict.failures
    assert [c.name for c in verdict.checks][:5] == ["chain", "registry", "requested", "events", "product"]
    assert verdict.checks[2].detail == f"the bundle is about {canonical}"
    assert verify(bundle_json, mirror, requested=scenario.ids["A-1"]).status is VerdictStatus.VERIFIED


def test_a_genuine_bundle_of_another_product_fails_as_other_product(
    scenario: Scenario, mirror: RegistryMirror, bundle_json: dict[str, Any]
) -> None:
    other = scenario.ids["A-2"]
    verdict = verify(bundle_json, mirror, requested=other)
    assert verdict.status is VerdictStatus.FAILED
    assert verdict.failures == ("other_product",) and "other_product" in FAILURE_CODES
    assert all(e.status is VerdictStatus.VERIFIED for e in verdict.events)  # the events themselves are genuine
    requested = next(c for c in verdict.checks if c.name == "requested")
    assert requested.detail == f"the bundle is about {scenario.ids['A-1']}, not about {canonical_dl(other)}"
    not_a_link = verify(bundle_json, mirror, requested="not a product")
    assert not_a_link.failures == ("other_product",)


# --- proofs and roots ---


def test_a_swapped_proof_says_where_it_leads(
    scenario: Scenario, mirror: RegistryMirror, bundle_json: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(bundle_json)
    i, j = index_of(bundle, scenario, "ship S1"), index_of(bundle, scenario, "ship R1")
    events = bundle["events"]
    events[i]["proof"], events[j]["proof"] = events[j]["proof"], events[i]["proof"]
    verdict = verify(bundle, mirror)
    passed, detail, code = check(verdict, i, "proof")
    assert (passed, code) == (False, "proof_invalid")
    assert "(a root that is not anchored), not to the claimed " + events[i]["root"] in detail
    assert verdict.events[i].failures == ("proof_invalid",)  # the claimed root itself is on chain
    assert check(verdict, i, "anchor")[0] is True


def test_a_proof_of_another_batch_names_that_batch(
    scenario: Scenario, mirror: RegistryMirror, bundle_json: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(bundle_json)
    first, last = index_of(bundle, scenario, "make H1"), index_of(bundle, scenario, "sell A-1")
    events = bundle["events"]
    assert events[first]["root"] != events[last]["root"]
    own_root = events[first]["root"]
    events[first]["root"], events[first]["anchor"] = events[last]["root"], events[last]["anchor"]  # moved batches
    verdict = verify(bundle, mirror)
    passed, detail, code = check(verdict, first, "proof")
    assert (passed, code) == (False, "proof_invalid")
    batch = bundle_json["events"][first]["anchor"]["sequence"]
    assert f"to {own_root} (anchored batch {batch}), not to the claimed {events[last]['root']}" in detail
    assert verdict.events[first].failures == ("proof_invalid",)


def test_a_root_not_on_chain_is_told_apart_from_a_proof_that_does_not_fit(
    scenario: Scenario, mirror: RegistryMirror, bundle_json: dict[str, Any]
) -> None:
    bundle = copy.deepcopy(bundle_json)
    i = index_of(bundle, scenario, "ship S1")
    leaf = hash_id_to_bytes32(bundle["events"][i]["envelope"]["eventHashId"])
    forged = MerkleTree.build([leaf, b"\x07" * 32, b"\x08" * 32])  # a tree of the platform's own making
    bundle["events"][i]["proof"] = ["0x" + p.hex() for p in forged.proof(forged.index_of(leaf))]
    bundle["events"][i]["root"] = "0x" + forged.root.hex()
    verdict = verify(bundle, mirror)
    assert check(verdict, i, "proof")[0] is True  # the proof fits the forged root ...
    passed, detail, code = check(verdict, i, "anchor")
    assert (passed, code) == (False, "root_not_anchored")  # ... which the registry never saw
    assert detail == f"root 0x{forged.root.hex()} is not anchored in the registry"
    assert verdict.events[i].failures == ("root_not_anchored",)
    assert {e for e, v in enumerate(verdict.events) if v.failures} == {i}
