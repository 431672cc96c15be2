"""Green rules: recognitions in force, green share rolled up through transformations, impact of a lapse."""

from __future__ import annotations

from fractions import Fraction

import pytest

from supplychain.errors import TraceError, UnknownRecognitionError
from supplychain.green import green_share, lapse_impact, recognised_at, seconds
from supplychain.registry import BusinessRole, Level, RecognitionKind, RegistryMirror, Scope
from supplychain.trace import IdentifierKind, TraceIndex, node_id
from tests.supplychain.factories import (
    DAY,
    T0,
    ChainBuilder,
    Scenario,
    appliance_chain,
    lgtin,
    qty,
    sgln,
    sgtin,
)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return appliance_chain()


@pytest.fixture(scope="module")
def index(scenario: Scenario) -> TraceIndex:
    return TraceIndex.build(scenario.chain.traced())


@pytest.fixture(scope="module")
def mirror(scenario: Scenario) -> RegistryMirror:
    return scenario.chain.mirror()


def n(scenario: Scenario, name: str) -> str:
    return node_id(scenario.ids[name])


# --- recognised_at ---


def test_recognised_at_filters_by_time_kind_and_level(scenario: Scenario, mirror: RegistryMirror) -> None:
    comp = scenario.orgs["COMPONENT"].org_id
    (national,) = recognised_at(mirror, comp, T0 + DAY)
    assert national.recognition_id == scenario.recognitions["COMPONENT"]
    assert recognised_at(mirror, comp, T0 + DAY, kind=RecognitionKind.GREEN_FACTORY, min_level=Level.NATIONAL)
    assert recognised_at(mirror, comp, T0 + DAY, kind=RecognitionKind.GREEN_PRODUCT) == []
    raw_b = scenario.orgs["RAW_B"].org_id
    assert recognised_at(mirror, raw_b, T0 + DAY, min_level=Level.PROVINCIAL) == []  # a city-level one
    assert len(recognised_at(mirror, raw_b, T0 + DAY)) == 1
    assert recognised_at(mirror, raw_b, T0 + 5 * DAY) == []  # suspended that very second
    assert recognised_at(mirror, raw_b, T0 - 1) == []  # not issued yet
    assert recognised_at(mirror, "nobody", T0 + DAY) == []


# --- green share ---


def test_inputs_supplied_before_the_lapse_count_and_after_it_do_not(
    scenario: Scenario, index: TraceIndex, mirror: RegistryMirror
) -> None:
    h1 = green_share(index, mirror, scenario.ids["H1"])
    assert (h1.share, h1.unit, h1.green_quantity, h1.total_quantity) == (1, "KGM", 800, 800)
    r1 = next(i for i in h1.inputs if i.identifier == n(scenario, "R1"))
    assert (r1.status, r1.basis, r1.supplied_at) == ("green", "shipping", T0 + 2 * DAY)
    assert r1.supplied_by == scenario.env["ship R1"]["eventHashId"]
    assert r1.recognitions == (scenario.recognitions["RAW_B"],)
    h2 = green_share(index, mirror, scenario.ids["H2"])
    assert h2.share == Fraction(1, 2)
    r2 = next(i for i in h2.inputs if i.identifier == n(scenario, "R2"))
    assert (r2.status, r2.green_quantity, r2.supplier) == ("not_green", 0, scenario.orgs["RAW_B"].org_id)
    assert r2.supplied_at == T0 + 7 * DAY and r2.recognitions == ()


def test_the_share_rolls_up_and_units_never_mix(scenario: Scenario, index: TraceIndex, mirror: RegistryMirror) -> None:
    share = green_share(index, mirror, scenario.ids["A-2"])
    # 50 housings from H1 (share 1) + 50 from H2 (share 1/2); 2 KGM of film cannot be compared with pieces
    assert (share.share, share.unit, share.green_quantity, share.total_quantity) == (
        Fraction(3, 4),
        "H87",
        75,
        100,
    )
    assert [(i.identifier, i.status, i.green_quantity) for i in share.inputs] == [
        (n(scenario, "H1"), "rolled_up", 50),
        (n(scenario, "H2"), "rolled_up", 25),
    ]
    assert share.inputs[1].rolled_up is not None and share.inputs[1].rolled_up.share == Fraction(1, 2)
    (film,) = share.incomparable
    assert (film.identifier, film.uom, film.status, film.green_quantity) == (
        n(scenario, "F1"),
        "KGM",
        "incomparable",
        0,
    )
    assert share.problems == () and share.lot is None
    assert green_share(index, mirror, scenario.ids["A-LOT1"]).share == Fraction(3, 4)


def test_require_maker_green_needs_the_intermediate_maker_green_too() -> None:
    c = ChainBuilder()
    raw = c.org("RAW", "6901111", BusinessRole.SUPPLIER)
    mid = c.org("MID", "6903333", BusinessRole.SUPPLIER)
    top = c.org("TOP", "6904444", BusinessRole.MANUFACTURER)
    c.recognise(raw)
    ore, part, product = (
        lgtin("6901111", "010001", "O"),
        lgtin("6903333", "030001", "P"),
        lgtin("6904444", "040001", "X"),
    )
    c.commission(raw, T0 + DAY, quantities=[qty(ore, 10, "KGM")])
    c.transform(mid, T0 + 2 * DAY, inputs=[qty(ore, 10, "KGM")], outputs=[qty(part, 10, "KGM")])
    c.transform(top, T0 + 3 * DAY, inputs=[qty(part, 10, "KGM")], outputs=[qty(product, 1, "KGM")])
    index, mirror = TraceIndex.build(c.traced()), c.mirror()
    assert green_share(index, mirror, product).share == 1
    strict = green_share(index, mirror, product, require_maker_green=True)
    assert strict.share == 0 and strict.inputs[0].status == "not_green"
    assert strict.inputs[0].basis == "production"  # MID never shipped it: its production counts


def test_a_serial_commissioned_in_a_lot_takes_the_lots_share() -> None:
    c = ChainBuilder()
    raw = c.org("RAW", "6901111", BusinessRole.SUPPLIER)
    top = c.org("TOP", "6904444", BusinessRole.MANUFACTURER)
    c.recognise(raw)
    ore, other = lgtin("6901111", "010001", "O"), lgtin("6901111", "010002", "Q")
    lot, serial = lgtin("6904444", "040001", "L1"), sgtin("6904444", "040001", "9")
    c.commission(raw, T0, quantities=[qty(ore, 3, "KGM"), qty(other, 1.5, "KGM")])
    c.transform(top, T0 + DAY, inputs=[qty(ore, 3, "KGM"), qty(other, 1.5, "KGM")], outputs=[qty(lot, 1)])
    c.commission(top, T0 + 2 * DAY, epcs=[serial], lot="L1")
    share = green_share(TraceIndex.build(c.traced()), c.mirror(), serial)
    assert (share.identifier, share.lot, share.share, share.total_quantity) == (
        node_id(serial),
        node_id(lot),
        1,
        Fraction(9, 2),
    )


def test_raw_material_has_no_share(scenario: Scenario, index: TraceIndex, mirror: RegistryMirror) -> None:
    share = green_share(index, mirror, scenario.ids["S1"])
    assert share.share is None and [p.code for p in share.problems] == ["not_transformed"]


def test_unknown_origins_count_as_not_green_and_cycles_are_cut() -> None:
    c = ChainBuilder()
    top = c.org("TOP", "6904444", BusinessRole.MANUFACTURER)
    c.recognise(top)
    ghost, a, b = (
        lgtin("6909999", "090001", "G"),
        lgtin("6904444", "040001", "A"),
        lgtin("6904444", "040002", "B"),
    )
    c.transform(top, T0, inputs=[qty(ghost, 1, "KGM"), qty(b, 1, "KGM")], outputs=[qty(a, 2, "KGM")])
    c.transform(top, T0 + DAY, inputs=[qty(a, 1, "KGM")], outputs=[qty(b, 1, "KGM")])
    share = green_share(TraceIndex.build(c.traced()), c.mirror(), a)
    statuses = {i.identifier: i.status for i in share.inputs}
    assert statuses == {node_id(ghost): "unknown_origin", node_id(b): "rolled_up"}
    assert share.inputs[0].supplier is None
    inner = share.inputs[1].rolled_up
    assert inner is not None and [i.status for i in inner.inputs] == ["cycle"]
    assert inner.share == 0 and share.share == 0
    assert {p.code for p in share.problems} == {"missing_origin"}
    assert [p.code for p in inner.problems] == ["cycle"]


def test_counts_and_unknown_sub_shares() -> None:
    c = ChainBuilder()
    raw = c.org("RAW", "6901111", BusinessRole.SUPPLIER)
    top = c.org("TOP", "6904444", BusinessRole.MANUFACTURER)
    c.recognise(raw, valid_until=T0 + DAY)  # expired before the second part was supplied
    p1, p2 = sgtin("6901111", "010001", "1"), sgtin("6901111", "010001", "2")
    vague, mid = lgtin("6904444", "040009", "V"), lgtin("6904444", "040008", "M")
    product = sgtin("6904444", "040001", "X")
    c.commission(raw, T0, epcs=[p1])
    c.commission(raw, T0 + 2 * DAY, epcs=[p2])
    c.commission(top, T0, quantities=[{"epcClass": vague}])  # no quantity
    c.transform(top, T0 + DAY, inputs=[{"epcClass": vague}], outputs=[qty(mid, 1)])
    c.transform(top, T0 + 3 * DAY, input_epcs=[p1, p2], inputs=[qty(mid, 1)], output_epcs=[product])
    share = green_share(TraceIndex.build(c.traced()), c.mirror(), product)
    assert share.unit is None  # counted items
    assert [(i.status, i.quantity) for i in share.inputs] == [
        ("green", 1),
        ("not_green", 1),
        ("unknown_share", 1),
    ]
    assert share.share == Fraction(1, 3)
    sub = share.inputs[2].rolled_up
    assert sub is not None and sub.share is None and sub.incomparable[0].quantity is None


def test_scopes_product_and_facility() -> None:
    c = ChainBuilder()
    raw = c.org("RAW", "6901111", BusinessRole.SUPPLIER)
    top = c.org("TOP", "6904444", BusinessRole.MANUFACTURER)
    c.recognise(raw, RecognitionKind.GREEN_PRODUCT, scope=Scope.PRODUCT, subject="6901111100013")
    c.recognise(raw, scope=Scope.FACILITY, subject="6901111000009")  # its site, sgln 6901111.00000.0
    covered, other = lgtin("6901111", "010001", "C"), lgtin("6901111", "010002", "D")
    elsewhere = lgtin("6901111", "010003", "E")
    product = lgtin("6904444", "040001", "X")
    c.commission(raw, T0, quantities=[qty(covered, 1, "KGM")])
    c.commission(raw, T0, quantities=[qty(other, 1, "KGM")])
    body = {"type": "ObjectEvent", "action": "ADD", "quantityList": [qty(elsewhere, 1, "KGM")]}
    c.event(raw, body | {"bizLocation": {"id": sgln("6901112")}}, T0)
    inputs = [qty(covered, 1, "KGM"), qty(other, 1, "KGM"), qty(elsewhere, 1, "KGM")]
    c.transform(top, T0 + DAY, inputs=inputs, outputs=[qty(product, 3, "KGM")])
    share = green_share(TraceIndex.build(c.traced()), c.mirror(), product)
    assert [len(i.recognitions) for i in share.inputs] == [2, 1, 0]
    assert share.share == Fraction(2, 3)


def test_equal_counts_of_units_pick_the_first_unit() -> None:
    c = ChainBuilder()
    raw = c.org("RAW", "6901111", BusinessRole.SUPPLIER)
    c.recognise(raw)
    a, b, out = (
        lgtin("6901111", "010001", "A"),
        lgtin("6901111", "010002", "B"),
        lgtin("6901111", "010003", "O"),
    )
    c.commission(raw, T0, quantities=[qty(a, 1, "LTR"), qty(b, 1, "KGM")])
    c.transform(raw, T0 + 1, inputs=[qty(a, 2, "LTR"), qty(b, 5, "KGM")], outputs=[qty(out, 1)])
    share = green_share(TraceIndex.build(c.traced()), c.mirror(), out)
    assert (share.unit, share.total_quantity, share.share) == ("LTR", 2, 1)
    assert [i.uom for i in share.incomparable] == ["KGM"]


# --- lapse impact ---


def test_lapse_impact_lists_what_was_made_with_inputs_supplied_after_it(
    scenario: Scenario, index: TraceIndex, mirror: RegistryMirror
) -> None:
    impact = lapse_impact(index, mirror, scenario.recognitions["RAW_B"])
    assert (impact.holder, impact.lapsed_at) == (scenario.orgs["RAW_B"].org_id, T0 + 5 * DAY)
    assert [(s.identifier, s.consumed_in) for s in impact.supplied] == [
        (n(scenario, "R2"), scenario.env["make H2"]["eventHashId"]),
        (n(scenario, "R2"), None),
    ]
    reached = {i.identifier for i in impact.items}
    expected = {"R2", "H2", "A-1", "A-2", "A-3", "A-4", "A-LOT1", "C1", "C2", "P1"}
    assert reached == {n(scenario, k) for k in expected}
    assert n(scenario, "H1") not in reached and n(scenario, "R1") not in reached
    assert set(impact.serials) == {n(scenario, f"A-{k}") for k in range(1, 5)}
    assert set(impact.lots) == {n(scenario, k) for k in ("R2", "H2", "A-LOT1")}
    where = {i.identifier: i for i in impact.items}
    sold = where[n(scenario, "A-1")]
    assert sold.kind is IdentifierKind.SERIAL and sold.from_input == n(scenario, "R2")
    assert sold.last_seen is not None and sold.last_seen.biz_step == "retail_selling"
    assert where[n(scenario, "R2")].last_seen is not None
    assert impact.problems == ()


def test_lapse_impact_at_an_earlier_time_takes_in_earlier_supplies(
    scenario: Scenario, index: TraceIndex, mirror: RegistryMirror
) -> None:
    impact = lapse_impact(index, mirror, scenario.recognitions["RAW_B"], at=T0 + DAY)
    assert {s.identifier for s in impact.supplied} == {n(scenario, "R1"), n(scenario, "R2")}
    assert n(scenario, "H1") in {i.identifier for i in impact.items}


def test_a_recognition_in_force_impacts_nothing_and_an_unknown_one_raises(
    scenario: Scenario, index: TraceIndex, mirror: RegistryMirror
) -> None:
    impact = lapse_impact(index, mirror, scenario.recognitions["RAW_A"])
    assert (impact.lapsed_at, impact.supplied, impact.items) == (None, (), ())
    with pytest.raises(UnknownRecognitionError) as caught:
        lapse_impact(index, mirror, 999)
    assert isinstance(caught.value, LookupError) and isinstance(caught.value, TraceError)
    assert "999" in str(caught.value)


def test_lapse_impact_respects_scope_and_reports_cycles() -> None:
    c = ChainBuilder()
    raw = c.org("RAW", "6901111", BusinessRole.SUPPLIER)
    top = c.org("TOP", "6904444", BusinessRole.MANUFACTURER)
    rid = c.recognise(raw, RecognitionKind.GREEN_PRODUCT, scope=Scope.PRODUCT, subject="06901111100013")
    covered, other = lgtin("6901111", "010001", "C"), lgtin("6901111", "010002", "D")
    a, b = lgtin("6904444", "040001", "A"), lgtin("6904444", "040002", "B")
    c.commission(raw, T0 + DAY, quantities=[qty(covered, 1, "KGM"), qty(other, 1, "KGM")])
    c.transform(top, T0 + 2 * DAY, inputs=[qty(covered, 1, "KGM"), qty(b, 1, "KGM")], outputs=[qty(a, 1, "KGM")])
    c.transform(top, T0 + 3 * DAY, inputs=[qty(a, 1, "KGM")], outputs=[qty(b, 1, "KGM")])
    c.transform(top, T0 + 4 * DAY, inputs=[qty(b, 1, "KGM")], outputs=[qty(covered, 1, "KGM")])  # relabelled
    impact = lapse_impact(TraceIndex.build(c.traced()), c.mirror(), rid, at=T0)
    assert {s.identifier for s in impact.supplied} == {node_id(covered)}
    assert node_id(other) not in {i.identifier for i in impact.items}
    assert {node_id(a), node_id(b)} <= {i.identifier for i in impact.items}
    assert "cycle" in {p.code for p in impact.problems}


def test_seconds_rounds_down() -> None:
    from datetime import UTC, datetime

    assert seconds(datetime(2023, 11, 14, 22, 13, 20, 999_000, tzinfo=UTC)) == T0
