"""Story links (issue 13, item 4; bundle version 2): an event the platform leaves out of a bundle, which nothing else
of the story refers to (A-1's stocking between its unpacking and its sale), is caught by the anchored links of A-1;
forged or reordered links are refused; version-1 bundles are still read, their completeness unproven."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from supplychain.links import ZERO_DIGEST, LinkChain, check_chain, link_value
from supplychain.merkle import MerkleTree, hash_id_to_bytes32
from supplychain.registry import BusinessRole, RegistryMirror
from supplychain.trace import node_id
from supplychain.verify import (
    FAILURE_CODES,
    INCOMPLETE_CODES,
    EventReference,
    ProofBundle,
    ProofBundleFormatError,
    Verdict,
    VerdictStatus,
    verify_bundle,
)
from tests.supplychain.factories import CHAIN_ID, DAY, REGISTRY, T0, Scenario, appliance_chain

NOW = T0 + 30 * DAY


class World:
    """The reference scenario and A-1's honest version-2 bundle."""

    def __init__(self) -> None:
        self.scenario: Scenario = appliance_chain()
        self.product = self.scenario.ids["A-1"]
        self.node = node_id(self.product)  # the canonical form links are made of
        self.clean = self.scenario.chain.bundle_json(self.product)
        self.mirror: RegistryMirror = self.scenario.chain.mirror()

    def hash(self, name: str) -> str:
        value = self.scenario.env[name]["eventHashId"]
        assert isinstance(value, str)
        return value

    def verify(self, bundle: dict[str, Any]) -> Verdict:
        return verify_bundle(
            ProofBundle.from_json(bundle), self.mirror, chain_id=CHAIN_ID, registry_address=REGISTRY, now=NOW
        )

    def chain(self, bundle: dict[str, Any]) -> list[dict[str, Any]]:
        chain = bundle["links"][0]["chain"]
        assert isinstance(chain, list)
        return chain

    def without(self, name: str, *, link: bool) -> dict[str, Any]:
        """The clean bundle without an event, and without its link too when ``link`` (what a platform hiding it
        does)."""
        bundle = copy.deepcopy(self.clean)
        hash_id = self.hash(name)
        bundle["events"] = [e for e in bundle["events"] if e["envelope"]["eventHashId"] != hash_id]
        if link:
            bundle["links"][0]["chain"] = [e for e in self.chain(bundle) if e["eventHashId"] != hash_id]
        return bundle


@pytest.fixture(scope="module")
def world() -> World:
    return World()


def links_of(verdict: Verdict) -> list[tuple[bool | None, str | None, str]]:
    return [(c.passed, c.code, c.detail) for c in verdict.checks if c.name == "links"]


def test_the_honest_bundle_proves_the_product_chain_up_to_its_newest_link(world: World) -> None:
    assert [e["eventHashId"] for e in world.chain(world.clean)] == [
        world.hash(n) for n in ("assemble", "pack C1", "unpack C1", "stock A-1", "sell A-1")
    ]
    verdict = world.verify(world.clean)
    assert verdict.status is VerdictStatus.VERIFIED
    ((passed, code, detail),) = links_of(verdict)
    assert passed is True and code is None
    assert detail.startswith(f"{world.node}: 5 anchored event(s) chain without a gap up to {world.hash('sell A-1')}")
    assert "events anchored after it are not proven by the bundle (the audit checks every link)" in detail


def test_a_dropped_middle_event_is_named_with_the_events_around_the_gap(world: World) -> None:
    before = world.verify(world.without("stock A-1", link=False))
    assert before.status is VerdictStatus.INCOMPLETE  # its link is still given: the bundle shows it exists
    assert [(p, c) for p, c, _ in links_of(before)] == [(None, "event_not_shown")]
    hidden = world.verify(world.without("stock A-1", link=True))  # what a platform hiding it must do
    assert hidden.status is VerdictStatus.FAILED
    assert hidden.failures == ("event_dropped",)  # the story checks alone saw nothing wrong
    ((_, _, detail),) = links_of(hidden)
    assert detail == (
        f"{world.node}: between {world.hash('unpack C1')} and {world.hash('sell A-1')} the anchored link names "
        f"{world.hash('stock A-1')}, which the bundle left out"
    )


def test_a_dropped_first_event_is_caught_and_the_newest_one_is_a_stated_limit(world: World) -> None:
    first = world.verify(world.without("assemble", link=True))
    assert "event_dropped" in first.failures
    assert any(d.endswith(f"names {world.hash('assemble')}, which the bundle left out") for *_, d in links_of(first))
    newest = world.verify(world.without("sell A-1", link=True))  # the newest link itself left out: not visible
    assert newest.status is VerdictStatus.VERIFIED
    ((_, _, detail),) = links_of(newest)
    assert f"up to {world.hash('stock A-1')}; events anchored after it are not proven" in detail


def test_a_shown_event_without_its_link_fails(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    bundle["links"][0]["chain"] = world.chain(bundle)[:-1]  # the sale shown, its link cut off
    verdict = world.verify(bundle)
    assert verdict.failures == ("link_missing",)
    assert links_of(verdict)[0][2] == (
        f"{world.hash('sell A-1')} names {world.node} and is anchored, but no link of the chain commits it"
    )


@pytest.mark.parametrize("how", ["swapped", "previous-rewritten", "other-identifier", "other-root", "reused"])
def test_reordered_or_forged_links_are_refused(world: World, how: str) -> None:
    bundle = copy.deepcopy(world.clean)
    chain = world.chain(bundle)
    if how == "swapped":  # the order of two links
        chain[2], chain[3] = chain[3], chain[2]
    elif how == "previous-rewritten":  # the sale's link said to follow the unpacking: stocking erased
        chain[4]["previous"] = chain[2]["eventHashId"]
        del chain[3]
        bundle["events"] = [e for e in bundle["events"] if e["envelope"]["eventHashId"] != world.hash("stock A-1")]
    elif how == "other-identifier":  # A-2's link of the packing, given as A-1's
        bundle["links"][0]["identifier"] = world.scenario.ids["A-2"]
        bundle["product"] = world.scenario.ids["A-2"]
    elif how == "other-root":  # a genuine link, claimed in the first batch
        chain[0]["root"] = bundle["events"][0]["root"]
    else:  # the sale's link given for the stocking too
        chain[3] = {**chain[4], "eventHashId": chain[3]["eventHashId"]}
    verdict = world.verify(bundle)
    assert verdict.status is VerdictStatus.FAILED
    assert "link_invalid" in verdict.failures


def test_a_link_in_another_batch_than_its_event_or_older_than_the_one_before_fails(world: World) -> None:
    c = world.scenario.chain
    # a later batch (a dishonest platform's) re-linking A-1's sale: its own, genuine but not its event's batch
    forged_chain = LinkChain({})
    sale = hash_id_to_bytes32(world.hash("sell A-1"))
    (link,) = forged_chain.add(sale, [world.node])
    tree = MerkleTree.build([link.value, bytes(31) + b"\x01"])
    c._sequence += 1
    c.registry.append((T0 + 20 * DAY, ("anchor", tree.root, c._sequence, 2)))
    mirror = c.mirror()
    bundle = copy.deepcopy(world.clean)
    bundle["links"][0]["chain"] = [
        {"eventHashId": world.hash("sell A-1"), "previous": None, "root": "0x" + tree.root.hex(),
         "proof": ["0x" + p.hex() for p in tree.proof(0)]},
        *world.chain(bundle)[:4],
    ]  # fmt: skip
    verdict = verify_bundle(
        ProofBundle.from_json(bundle), mirror, chain_id=CHAIN_ID, registry_address=REGISTRY, now=NOW
    )
    details = [d for p, code, d in links_of(verdict) if code == "link_invalid"]
    assert any("is in batch" in d for d in details)  # not the sale's batch
    assert any("before the link shown before it" in d for d in details)  # anchoring order broken
    c.registry.pop()
    c._sequence -= 1


def test_a_link_of_an_event_not_naming_the_identifier_fails(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    stranger = world.hash("ship P1")  # names the pallet only
    entry = next(e for e in bundle["events"] if e["envelope"]["eventHashId"] == stranger)
    c = world.scenario.chain
    for h, previous, _, proof in c.links[node_id(world.scenario.ids["P1"])]:
        if h == stranger:  # the pallet's genuine link, given as A-1's: its proof cannot lead to the root
            bundle["links"][0]["chain"].append(
                {
                    "eventHashId": h,
                    "previous": previous,
                    "root": entry["root"],
                    "proof": ["0x" + p.hex() for p in proof],
                }
            )
    assert "link_invalid" in world.verify(bundle).failures
    # a dishonest platform's batch committing such a link: the proof holds, the event does not name A-1
    (link,) = LinkChain({world.node: hash_id_to_bytes32(world.hash("sell A-1"))}).add(
        hash_id_to_bytes32(stranger), [world.node]
    )
    tree = MerkleTree.build([link.value, bytes(31) + b"\x02"])
    c._sequence += 1
    c.registry.append((T0 + 21 * DAY, ("anchor", tree.root, c._sequence, 2)))
    try:
        forged = copy.deepcopy(world.clean)
        forged["links"][0]["chain"].append(
            {"eventHashId": stranger, "previous": world.hash("sell A-1"), "root": "0x" + tree.root.hex(),
             "proof": ["0x" + p.hex() for p in tree.proof(0)]}
        )  # fmt: skip
        verdict = verify_bundle(
            ProofBundle.from_json(forged), c.mirror(), chain_id=CHAIN_ID, registry_address=REGISTRY, now=NOW
        )
    finally:
        c.registry.pop()
        c._sequence -= 1
    details = [d for _, code, d in links_of(verdict) if code == "link_invalid"]
    assert f"the link of {world.node} in {stranger}: that event does not name {world.node}" in details


def test_a_version_1_bundle_is_read_and_says_completeness_is_not_proven(world: World) -> None:
    v1 = world.scenario.chain.bundle_json(world.product, version=1)
    bundle = ProofBundle.from_json(v1)
    assert bundle.version == 1 and bundle.links is None and bundle.to_json() == v1
    verdict = world.verify(v1)
    assert verdict.status is VerdictStatus.INCOMPLETE
    assert verdict.pending == ("completeness_unproven",)
    v2 = ProofBundle.from_json(world.clean)
    assert v2.version == 2 and v2.to_json() == world.clean


def test_what_the_links_do_not_cover_leaves_the_verdict_incomplete(world: World) -> None:
    partial = copy.deepcopy(world.clean)
    partial["links"][0]["chain"] = world.chain(partial)[2:]
    partial["links"][0]["omitted"] = 2
    verdict = world.verify(partial)
    assert verdict.status is VerdictStatus.INCOMPLETE
    codes = [code for _, code, _ in links_of(verdict)]
    assert codes == ["links_not_covered"] * 3  # two events before the chain given, and the omitted count
    empty = copy.deepcopy(world.clean)
    empty["links"][0]["chain"] = []  # e.g. events anchored before the platform committed links
    assert [code for _, code, _ in links_of(world.verify(empty))] == ["links_not_covered"] * 5
    none = copy.deepcopy(world.clean)
    none["links"] = []
    (detail,) = [d for _, code, d in links_of(world.verify(none)) if code == "links_not_covered"]
    assert detail.startswith(f"the bundle gives no story links of {world.node}")


def test_a_chain_event_listed_by_reference_is_shown(world: World) -> None:
    bundle = world.without("stock A-1", link=False)
    stock = world.scenario.env["stock A-1"]
    reference = EventReference(
        hash_id=stock["eventHashId"],
        organisation_id=stock["organisationId"],
        key_id=stock["keyId"],
        signature=stock["signature"],
        reason="outside_custody",
        event_type="ObjectEvent",
        event_time=T0,
        biz_step="stocking",
        identifier_count=1,
    )
    bundle["summarised"] = {"counts": {"outside_custody": 1}, "events": [reference.to_json()]}
    verdict = world.verify(bundle)
    assert [(p, code) for p, code, _ in links_of(verdict)] == [(True, None)]


def test_links_and_other_identifiers_without_anchored_events(world: World) -> None:
    bundle = copy.deepcopy(world.clean)
    bundle["links"].append({"identifier": "https://id.gs1.org/01/09999999999999/21/none", "omitted": 0, "chain": []})
    verdict = world.verify(bundle)
    assert (True, None, "https://id.gs1.org/01/09999999999999/21/none: no anchored event names it yet") in links_of(
        verdict
    )
    nothing = copy.deepcopy(world.clean)
    nothing["links"] = []
    for event in nothing["events"]:  # none anchored yet: no link is due
        event |= {"proof": None, "root": None, "anchor": None, "receiptTime": None}
    assert links_of(world.verify(nothing)) == [(True, None, "no anchored event of the bundle needs a story link")]


def test_the_codes_are_registered() -> None:
    assert {"link_invalid", "event_dropped", "link_missing"} <= FAILURE_CODES
    assert {"event_not_shown", "links_not_covered", "completeness_unproven"} <= INCOMPLETE_CODES


HASH = "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0"


@pytest.mark.parametrize(
    ("links", "field"),
    [
        ({}, "links"),
        ([{"identifier": "x", "omitted": 0}], "links[0].chain"),
        ([{"identifier": "x", "omitted": 0, "chain": {}}], "links[0].chain"),
        ([{"identifier": "", "omitted": 0, "chain": []}], "links[0].identifier"),
        ([{"identifier": "x", "omitted": -1, "chain": []}], "links[0].omitted"),
        ([{"identifier": "x", "omitted": 0, "chain": []}] * 2, "links[1].identifier"),
        ([{"identifier": "x", "omitted": 0, "chain": [{"eventHashId": "nope", "previous": None, "root": "0x" + "0" * 64,
                                                       "proof": []}]}], "links[0].chain[0].eventHashId"),
        ([{"identifier": "x", "omitted": 0, "chain": [{"eventHashId": HASH, "previous": "x", "root": "0x" + "0" * 64,
                                                       "proof": []}]}], "links[0].chain[0].previous"),
        ([{"identifier": "x", "omitted": 0, "chain": [{"eventHashId": HASH, "previous": None, "root": "0x" + "0" * 64,
                                                       "proof": "0x"}]}], "links[0].chain[0].proof"),
        ([{"identifier": "x", "omitted": 0, "chain": [{"eventHashId": HASH, "previous": None, "root": "0x12",
                                                       "proof": []}]}], "links[0].chain[0].root"),
    ],
)  # fmt: skip
def test_malformed_links_name_the_field(world: World, links: object, field: str) -> None:
    bundle = {**world.clean, "links": links}
    with pytest.raises(ProofBundleFormatError) as caught:
        ProofBundle.from_json(bundle)
    assert caught.value.field == field


# --- the pure derivation the platform, the scanner and the audit share ---


def test_link_values_are_domain_separated_and_need_32_byte_digests() -> None:
    a, b = bytes(range(32)), bytes(range(1, 33))
    assert link_value("x", None, a) == link_value("x", ZERO_DIGEST, a)
    assert len({link_value("x", None, a), link_value("y", None, a), link_value("x", b, a), link_value("x", a, b)}) == 4
    with pytest.raises(ValueError, match="32-byte"):
        link_value("x", b"short", a)


def test_check_chain_recomputes_links_and_names_missing_and_wrong_ones() -> None:
    a, b, c = (bytes([i]) * 32 for i in (1, 2, 3))
    chain = LinkChain()
    committed = {(link.identifier, link.digest): (link.previous, link.value) for link in chain.add(a, ["x", "y"])}
    committed |= {(link.identifier, link.digest): (link.previous, link.value) for link in chain.add(b, ["x"])}
    breaks, last = check_chain([(a, ["x", "y"]), (b, ["x"])], committed)
    assert breaks == [] and last == {"x": b, "y": a}
    resumed, _ = check_chain([(c, ["y"])], {("y", c): (a, link_value("y", a, c))}, start=last)
    assert resumed == []
    wrong = dict(committed)
    wrong[("x", b)] = (None, link_value("x", None, b))  # the first link of x, as if a was never there
    del wrong[("y", a)]
    wrong[("z", b)] = (None, link_value("z", None, b))  # b does not name z
    found, _ = check_chain([(a, ["x", "y"]), (b, ["x"])], wrong)
    assert [(f.code, f.identifier, f.digest) for f in found] == [
        ("link_missing", "y", a),
        ("link_wrong", "x", b),
        ("link_wrong", "z", b),
    ]


def test_a_linked_event_signed_outside_the_story_may_stay_unshown_and_its_signer_is_checked() -> None:
    """Another organisation's sighting of A-1, summarised by the platform without being listed: its link carries its
    signer, which the chain confirms is no organisation of the story; a false signer fails."""
    fresh = World()
    c = fresh.scenario.chain
    stranger = c.org("STRANGER", "6907777", BusinessRole.LOGISTICS, at=T0)
    sighting = c.observe(stranger, T0 + 17 * DAY, "inspecting", epcs=[fresh.product])
    c.anchor([sighting], T0 + 17 * DAY + 60)
    fresh.mirror = c.mirror()
    bundle = c.bundle_json(fresh.product)
    bundle["events"] = [e for e in bundle["events"] if e["envelope"]["eventHashId"] != sighting["eventHashId"]]
    verdict = fresh.verify(bundle)
    assert verdict.status is VerdictStatus.VERIFIED
    ((passed, _, detail),) = links_of(verdict)
    assert passed is True and "1 of them signed by organisations outside the story and not shown" in detail
    for signer in (
        {"organisationId": fresh.scenario.orgs["RETAILER"].org_id},  # a story organisation's name on it: its key is not
        {"signature": c.envelopes[0]["signature"]},  # another event's signature
        {"signature": "not base64url"},
    ):
        forged = copy.deepcopy(bundle)
        forged["links"][0]["chain"][-1]["signer"] |= signer
        found = fresh.verify(forged)
        assert found.failures == ("link_invalid",), signer
        assert "does not verify on chain" in next(d for _, code, d in links_of(found) if code == "link_invalid")
    unsigned = copy.deepcopy(bundle)
    del unsigned["links"][0]["chain"][-1]["signer"]
    assert [code for _, code, _ in links_of(fresh.verify(unsigned))] == ["event_not_shown"]
    assert ProofBundle.from_json(bundle).to_json() == bundle


@pytest.mark.parametrize(
    ("signer", "field"),
    [
        (
            {"organisationId": "x", "keyId": "0x" + "0" * 64, "signature": "s"},
            "links[0].chain[0].signer.organisationId",
        ),
        ({"organisationId": "6901111000003", "keyId": "0x12", "signature": "s"}, "links[0].chain[0].signer.keyId"),
        ({"organisationId": "6901111000003"}, "links[0].chain[0].signer.keyId"),
    ],
)
def test_malformed_signers_name_the_field(world: World, signer: dict[str, Any], field: str) -> None:
    bundle = copy.deepcopy(world.clean)
    bundle["links"][0]["chain"][0]["signer"] = signer
    with pytest.raises(ProofBundleFormatError) as caught:
        ProofBundle.from_json(bundle)
    assert caught.value.field == field


@pytest.mark.parametrize("signature", ["", 7, None])
def test_a_signer_without_a_usable_signature_counts_as_none_given(world: World, signature: object) -> None:
    """As an envelope's empty signature is a bad signature and not an unreadable bundle: the link's event then counts
    as not shown (never as verified)."""
    bundle = copy.deepcopy(world.clean)
    entry = bundle["links"][0]["chain"][0]
    entry["signer"] = {"organisationId": "6901111000003", "keyId": "0x" + "0" * 64, "signature": signature}
    assert ProofBundle.from_json(bundle).links[0].chain[0].signer is None
