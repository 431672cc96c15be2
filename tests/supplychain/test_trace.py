"""The trace graph on the reference appliance chain: backward, forward, journeys, missing links, cycles."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import pytest

from supplychain.epcis import Action, ObjectEvent, TransformationEvent
from supplychain.errors import EnvelopeFormatError
from supplychain.gs1 import epc_uri_to_dl, gs1_check_digit
from supplychain.registry import BusinessRole
from supplychain.trace import (
    IdentifierKind,
    Relation,
    Stage,
    TracedEvent,
    TraceIndex,
    gtin_of,
    identifier_kind,
    node_id,
    stage_of,
)
from tests.supplychain.factories import (
    T0,
    ChainBuilder,
    Scenario,
    appliance_chain,
    lgtin,
    qty,
    sgtin,
    sscc,
)


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return appliance_chain()


@pytest.fixture(scope="module")
def index(scenario: Scenario) -> TraceIndex:
    return TraceIndex.build(scenario.chain.traced())


def n(scenario: Scenario, name: str) -> str:
    return node_id(scenario.ids[name])


def names(scenario: Scenario, nodes: Iterable[str]) -> set[str]:
    reverse = {node_id(v): k for k, v in scenario.ids.items()}
    return {reverse[x] for x in nodes}


# --- backward ---


def test_backward_trace_of_a_serial_goes_down_to_raw_material_with_makers(
    scenario: Scenario, index: TraceIndex
) -> None:
    trace = index.backward(scenario.ids["A-1"])
    assert trace.problems == ()
    root = trace.root
    assert root.identifier == n(scenario, "A-1")
    assert root.depth == 0 and root.relation is None and root.via is None
    assert root.makers == (scenario.orgs["ASSEMBLER"].org_id,)
    assert [c.identifier for c in root.children] == [n(scenario, "H1"), n(scenario, "H2"), n(scenario, "F1")]
    h1, h2, f1 = root.children
    assert h1.relation is Relation.TRANSFORMATION and h1.via == scenario.env["assemble"]["eventHashId"]
    assert (h1.quantity, h1.uom, f1.quantity, f1.uom) == (50, "H87", 2, "KGM")
    assert h1.makers == (scenario.orgs["COMPONENT"].org_id,)
    assert [c.identifier for c in h1.children] == [n(scenario, "S1"), n(scenario, "R1")]
    assert [(c.depth, c.quantity) for c in h1.children] == [(2, 600), (2, 200)]
    # S1 is shared by H1 and H2: expanded once, then a repeated leaf
    s1_again, r2 = h2.children
    assert s1_again.identifier == n(scenario, "S1") and s1_again.repeated and s1_again.children == ()
    assert r2.makers == (scenario.orgs["RAW_B"].org_id,)
    assert trace.depth == 2
    assert names(scenario, trace.raw_materials) == {"S1", "R1", "R2", "F1"}
    assert trace.suppliers[n(scenario, "R2")] == (scenario.orgs["RAW_B"].org_id,)
    assert names(scenario, trace.suppliers) == {"H1", "H2", "S1", "R1", "R2", "F1"}
    for key in ("assemble", "make H1", "make H2", "commission S1", "commission R2"):
        assert scenario.env[key]["eventHashId"] in trace.event_ids
    assert scenario.env["ship P1"]["eventHashId"] not in trace.event_ids


def test_an_epc_urn_and_its_digital_link_are_one_node(scenario: Scenario, index: TraceIndex) -> None:
    urn = scenario.ids["A-1"]
    link = epc_uri_to_dl(urn, "https://brand.example.com")
    assert index.backward(link) == index.backward(urn)
    assert link in index and urn in index
    assert 42 not in index


def test_backward_trace_of_a_pallet_includes_the_contents_of_its_cases(scenario: Scenario, index: TraceIndex) -> None:
    trace = index.backward(scenario.ids["P1"])
    assert trace.problems == ()
    assert [(c.identifier, c.relation) for c in trace.root.children] == [
        (n(scenario, "C1"), Relation.AGGREGATION),
        (n(scenario, "C2"), Relation.AGGREGATION),
    ]
    assert trace.root.kind is IdentifierKind.CONTAINER
    assert trace.root.makers == (scenario.orgs["ASSEMBLER"].org_id,)  # made by packing it
    assert [c.identifier for c in trace.root.children[0].children] == [n(scenario, "A-1"), n(scenario, "A-2")]
    assert trace.depth == 4  # pallet > case > serial > housing > steel
    assert names(scenario, trace.raw_materials) == {"S1", "R1", "R2", "F1"}


# --- forward ---


def test_forward_trace_of_an_input_lot_is_a_recall_list(scenario: Scenario, index: TraceIndex) -> None:
    trace = index.forward(scenario.ids["R1"])
    assert trace.problems == ()
    assert names(scenario, trace.lots) == {"H1", "A-LOT1"}
    assert names(scenario, trace.serials) == {"A-1", "A-2", "A-3", "A-4"}
    assert names(scenario, trace.containers) == {"C1", "C2", "P1"}
    assert n(scenario, "H2") not in trace.reached
    assert "https://id.gs1.org/414/6905555000007/254/7" in trace.locations  # the logistics depot
    assert "https://id.gs1.org/414/6906666000009" in trace.locations  # the shop
    assert set(trace.organisations) == {o.org_id for o in scenario.orgs.values() if o.name != "RAW_A"}
    times = [s.event_time for s in trace.sightings]
    assert times == sorted(times)
    assert scenario.env["sell A-1"]["eventHashId"] in trace.event_ids
    assert scenario.env["commission S1"]["eventHashId"] not in trace.event_ids
    first = trace.root.children[0]
    assert (first.identifier, first.relation, first.quantity, first.uom) == (
        n(scenario, "H1"),
        Relation.TRANSFORMATION,
        100,
        "H87",
    )


def test_forward_trace_reaches_serials_of_a_lot_commissioned_later() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    lot = lgtin("6907777", "070001", "L9")
    serials = [sgtin("6907777", "070001", str(i)) for i in range(3)]
    c.transform(maker, T0, inputs=[qty(lgtin("6907777", "070009", "X"), 1, "KGM")], outputs=[qty(lot, 3)])
    c.commission(maker, T0 + 60, epcs=serials, lot="L9")
    index = TraceIndex.build(c.traced())
    forward = index.forward(lot)
    assert forward.serials == tuple(node_id(s) for s in serials)
    assert {x.relation for x in forward.root.children} == {Relation.LOT}
    backward = index.backward(serials[0])
    assert [(x.identifier, x.relation) for x in backward.root.children] == [(node_id(lot), Relation.LOT)]
    # the lot's own input was never commissioned: a missing link, reported
    assert [p.code for p in backward.problems] == ["missing_origin"]


def test_serials_commissioned_with_a_lot_number_leave_no_missing_link() -> None:
    """A lot named only by the ILMD of its serials' commissioning is made by that event: before issue 13's tamper
    suite, the backward trace of such a serial (GS1's usual way of giving serials a lot) reported the lot as a
    missing origin, and the scanner called a clean story incomplete."""
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    serials = [sgtin("6907777", "070001", str(i)) for i in range(2)]
    made = c.commission(maker, T0, epcs=serials, lot="P-LOT")
    index = TraceIndex.build(c.traced())
    backward = index.backward(serials[0])
    assert backward.problems == ()
    lot = node_id(lgtin("6907777", "070001", "P-LOT"))
    assert [(o.hash_id, o.how) for o in index.origins(lot)] == [(made["eventHashId"], "commissioned")]


# --- journeys ---


def test_journey_of_a_serial_follows_its_case_and_pallet(scenario: Scenario, index: TraceIndex) -> None:
    journey = index.journey(scenario.ids["A-1"])
    assert journey.problems == ()
    steps = [(s.biz_step, s.stage, s.via) for s in journey.steps]
    c1, p1 = n(scenario, "C1"), n(scenario, "P1")
    assert steps == [
        ("commissioning", Stage.PRODUCTION, None),
        ("packing", Stage.PRODUCTION, None),
        ("packing", Stage.PRODUCTION, c1),
        ("shipping", Stage.LOGISTICS, p1),
        ("receiving", Stage.LOGISTICS, p1),
        ("departing", Stage.LOGISTICS, p1),
        ("receiving", Stage.LOGISTICS, p1),
        ("unpacking", Stage.LOGISTICS, p1),
        ("unpacking", Stage.LOGISTICS, None),
        ("stocking", Stage.RETAIL, None),
        ("retail_selling", Stage.RETAIL, None),
    ]
    orgs = scenario.orgs
    assert journey.organisations == (
        orgs["ASSEMBLER"].org_id,
        orgs["LOGISTICS"].org_id,
        orgs["RETAILER"].org_id,
    )
    assert journey.steps[5].location == "https://id.gs1.org/414/6905555000007/254/7"
    stays = {(x.child, x.parent): x for x in journey.containments}
    assert set(stays) == {(n(scenario, "A-1"), c1), (c1, p1)}
    assert stays[(n(scenario, "A-1"), c1)].unpacked_by == scenario.env["unpack C1"]["eventHashId"]
    assert stays[(c1, p1)].unpacked_by == scenario.env["unpack P1"]["eventHashId"]


def test_a_serial_still_in_its_case_is_last_seen_where_the_pallet_was_emptied(
    scenario: Scenario, index: TraceIndex
) -> None:
    journey = index.journey(scenario.ids["A-3"])
    assert journey.steps[-1].hash_id == scenario.env["unpack P1"]["eventHashId"]
    case_stay = next(x for x in journey.containments if x.parent == n(scenario, "C2"))
    assert case_stay.end is None and case_stay.unpacked_by is None
    seen = index.last_seen(scenario.ids["A-3"])
    assert seen is not None and seen.organisation_id == scenario.orgs["RETAILER"].org_id
    sold = index.last_seen(scenario.ids["A-1"])
    assert sold is not None and sold.biz_step == "retail_selling"


def test_unknown_identifiers_are_reported_not_raised(index: TraceIndex) -> None:
    ghost = sgtin("6909999", "099999", "nobody")
    assert [p.code for p in index.backward(ghost).problems] == ["unknown_identifier"]
    assert [p.code for p in index.forward(ghost).problems] == ["unknown_identifier"]
    journey = index.journey(ghost)
    assert (journey.steps, [p.code for p in journey.problems]) == ((), ["unknown_identifier"])
    assert index.last_seen(ghost) is None


def test_last_seen_is_none_when_no_event_states_a_location() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    item = sgtin("6907777", "070001", "1")
    c.event(maker, {"type": "ObjectEvent", "action": "ADD", "epcList": [item]}, T0)
    assert TraceIndex.build(c.traced()).last_seen(item) is None


# --- missing links and cycles ---


def test_an_input_never_produced_is_a_missing_link() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    ghost = lgtin("6907777", "070009", "GHOST")
    made = lgtin("6907777", "070001", "OUT")
    envelope = c.transform(maker, T0, inputs=[qty(ghost, 5, "KGM")], outputs=[qty(made, 5, "KGM")])
    problems = TraceIndex.build(c.traced()).backward(made).problems
    assert [(p.code, p.identifier, p.hash_id) for p in problems] == [
        ("missing_origin", node_id(ghost), envelope["eventHashId"])
    ]


def test_a_parent_unpacked_but_never_packed_is_a_missing_link() -> None:
    c = ChainBuilder()
    shop = c.org("SHOP", "6906666", BusinessRole.RETAILER)
    item, box = sgtin("6906666", "060001", "1"), sscc("6906666", "0000000009")
    envelope = c.pack(shop, T0, box, [item], action="DELETE")
    journey = TraceIndex.build(c.traced()).journey(item)
    assert [(p.code, p.hash_id) for p in journey.problems] == [("unpacked_never_packed", envelope["eventHashId"])]
    assert journey.containments == ()


def test_transformation_cycles_are_reported_and_never_looped_on() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    a, b = lgtin("6907777", "070001", "A"), lgtin("6907777", "070002", "B")
    c.transform(maker, T0, inputs=[qty(a, 1, "KGM")], outputs=[qty(b, 1, "KGM")])
    c.transform(maker, T0 + 60, inputs=[qty(b, 1, "KGM")], outputs=[qty(a, 1, "KGM")])
    index = TraceIndex.build(c.traced())
    backward = index.backward(a)
    assert [p.code for p in backward.problems] == ["cycle"]
    (child,) = backward.root.children
    (loop,) = child.children
    assert (loop.identifier, loop.cycle, loop.children) == (node_id(a), True, ())
    assert [p.code for p in index.forward(b).problems] == ["cycle"]
    assert backward.raw_materials == ()


def test_containers_inside_each_other_are_a_cycle_in_a_journey() -> None:
    c = ChainBuilder()
    packer = c.org("PACKER", "6905555", BusinessRole.LOGISTICS)
    x, y = sscc("6905555", "0000000001"), sscc("6905555", "0000000002")
    c.pack(packer, T0, y, [x])
    c.pack(packer, T0 + 60, x, [y])
    journey = TraceIndex.build(c.traced()).journey(x)
    assert "cycle" in [p.code for p in journey.problems]
    assert len(journey.steps) == 2


# --- other event shapes ---


def test_events_sharing_a_transformation_id_form_one_transformation() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    raw, made = lgtin("6907777", "070009", "RAW"), lgtin("6907777", "070001", "OUT")
    c.commission(maker, T0 - 60, quantities=[qty(raw, 10, "KGM")])
    tid = "urn:uuid:7c1a7a0e-4c1b-4b4e-9d1e-0a6b1f2c3d4e"
    consumed = c.transform(maker, T0, inputs=[qty(raw, 10, "KGM")], transformation_id=tid)
    produced = c.transform(maker, T0 + 60, outputs=[qty(made, 8, "KGM")], transformation_id=tid)
    index = TraceIndex.build(c.traced())
    (child,) = index.backward(made).root.children
    assert (child.identifier, child.via) == (node_id(raw), consumed["eventHashId"])
    (out,) = index.forward(raw).root.children
    assert (out.identifier, out.via, out.quantity) == (node_id(made), produced["eventHashId"], 8)
    (transformation,) = index.transformations_making(node_id(made))
    assert transformation.key == tid and len(transformation.hash_ids) == 2


def test_association_links_a_child_to_its_parent_and_the_same_event_twice_is_one() -> None:
    c = ChainBuilder()
    maker = c.org("MAKER", "6907777", BusinessRole.MANUFACTURER)
    part, machine = sgtin("6907777", "070001", "P"), sgtin("6907777", "070002", "M")
    c.commission(maker, T0, epcs=[part, machine])
    c.pack(maker, T0 + 60, machine, [part], event_type="AssociationEvent")
    records = c.traced()
    index = TraceIndex.build(records + records[:1])
    assert len(index) == 2
    (child,) = index.backward(machine).root.children
    assert (child.identifier, child.relation) == (node_id(part), Relation.ASSOCIATION)
    assert index.packings(node_id(part))[0].parent == node_id(machine)


def test_a_transaction_event_names_its_objects_and_parent() -> None:
    c = ChainBuilder()
    shop = c.org("SHOP", "6906666", BusinessRole.RETAILER)
    item, box = sgtin("6906666", "060001", "1"), sscc("6906666", "0000000003")
    body = {"type": "TransactionEvent", "action": "ADD", "parentID": box, "epcList": [item]}
    body |= {"bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:6906666000009:PO1"}]}
    envelope = c.event(shop, body, T0)
    index = TraceIndex.build(c.traced())
    assert [r.hash_id for r in index.mentions(node_id(box))] == [envelope["eventHashId"]]
    assert [r.hash_id for r in index.mentions(node_id(item))] == [envelope["eventHashId"]]
    assert index.origins(node_id(item)) == ()


def test_events_built_in_code_are_indexed_too() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    made = TransformationEvent(
        event_time=t,
        event_time_zone_offset="+00:00",
        input_epc_list=("urn:x:a",),
        output_epc_list=("urn:x:b",),
    )
    seen = ObjectEvent(event_time=t, event_time_zone_offset="+00:00", action=Action.OBSERVE, epc_list=("urn:x:b",))
    index = TraceIndex.build([TracedEvent("h1", "org", made), TracedEvent("h2", "org", seen)])
    assert index.backward("urn:x:b").root.children[0].identifier == "urn:x:a"
    assert identifier_kind("urn:x:a") is IdentifierKind.OTHER
    assert [p.code for p in index.backward("urn:x:b").problems] == ["missing_origin"]


def test_traced_event_from_an_envelope_checks_its_shape(scenario: Scenario) -> None:
    envelope = scenario.env["ship P1"]
    record = TracedEvent.from_envelope(envelope)
    assert (record.hash_id, record.organisation_id) == (envelope["eventHashId"], envelope["organisationId"])
    with pytest.raises(EnvelopeFormatError):
        TracedEvent.from_envelope({**envelope, "signature": 3})


@pytest.mark.parametrize(
    ("biz_step", "stage"),
    [
        ("commissioning", Stage.PRODUCTION),
        ("packing", Stage.PRODUCTION),
        ("shipping", Stage.LOGISTICS),
        ("unpacking", Stage.LOGISTICS),
        ("retail_selling", Stage.RETAIL),
        ("entering_exiting", Stage.RETAIL),
        ("inspecting", Stage.OTHER),
        ("https://example.com/steps/annealing", Stage.OTHER),
        (None, Stage.OTHER),
    ],
)
def test_stage_of_classifies_biz_steps(biz_step: str | None, stage: Stage) -> None:
    assert stage_of(biz_step) is stage


@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("urn:epc:id:sgtin:4012345.011111.1", IdentifierKind.SERIAL),
        ("urn:epc:class:lgtin:4012345.011111.L1", IdentifierKind.LOT),
        ("urn:epc:idpat:sgtin:4012345.011111.*", IdentifierKind.CLASS),
        ("urn:epc:id:sscc:4012345.0000000001", IdentifierKind.CONTAINER),
        ("urn:epc:id:grai:4012345.00001.7", IdentifierKind.OTHER),
        ("https://example.com/not-gs1", IdentifierKind.OTHER),
    ],
)
def test_identifier_kind(identifier: str, kind: IdentifierKind) -> None:
    assert identifier_kind(node_id(identifier)) is kind


def test_the_index_lists_what_each_organisation_made(scenario: Scenario, index: TraceIndex) -> None:
    assert set(index.made_by(scenario.orgs["RAW_B"].org_id)) == {n(scenario, "R1"), n(scenario, "R2")}
    assert index.made_by("nobody") == ()
    assert n(scenario, "P1") in index.nodes
    assert len(index.unpackings_of_all(n(scenario, "P1"))) == 1
    assert index.transformations_using(n(scenario, "S1"))[0].inputs[0].quantity == 600
    assert index.forward_edges(n(scenario, "S1"))[0].node == n(scenario, "H1")


def test_a_containers_later_travels_are_not_the_journey_of_what_left_it() -> None:
    c = ChainBuilder()
    packer = c.org("PACKER", "6905555", BusinessRole.LOGISTICS)
    item, box, pallet = (
        sgtin("6905555", "050001", "1"),
        sscc("6905555", "0000000001"),
        sscc("6905555", "0000000002"),
    )
    c.pack(packer, T0, box, [item])
    c.observe(packer, T0 + 60, "shipping", epcs=[box])
    c.pack(packer, T0 + 120, box, [item], action="DELETE")
    c.pack(packer, T0 + 180, pallet, [box])
    c.observe(packer, T0 + 240, "shipping", epcs=[pallet])
    journey = TraceIndex.build(c.traced()).journey(item)
    assert [(s.biz_step, s.via) for s in journey.steps] == [
        ("packing", None),
        ("shipping", node_id(box)),
        ("unpacking", None),
    ]
    assert gtin_of(node_id(box)) is None
    assert gtin_of(node_id(item)) == "0690555550001" + gs1_check_digit("0690555550001")
