"""GET /trace/backward, /trace/forward, /trace/journey: answers, bounded loading, anchors, errors."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.models import Batch
from backend.services.platform import Platform
from backend.services.tracing import SubgraphLoader
from supplychain.merkle import hash_id_to_bytes32, verify_proof
from supplychain.trace import node_id
from tests.backend.storing import Product, anchor, green_product
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER


@pytest.fixture
def product(platform: Platform) -> Product:
    return green_product(platform)


def trace(client: TestClient, kind: str, identifier: str) -> dict[str, Any]:
    response = client.get(f"/trace/{kind}", params={"id": identifier})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    out = [node]
    for child in node["children"]:
        out += walk(child)
    return out


def test_backward_trace_reaches_raw_material_with_makers(client: TestClient, product: Product) -> None:
    body = trace(client, "backward", product.ids["A-1"])
    a1, r1 = (node_id(product.ids[k]) for k in ("A-1", "R1"))
    assert body["identifier"] == a1 and body["kind"] == "serial"
    nodes = {n["identifier"]: n for n in walk(body["root"])}
    assert set(nodes) == {a1, r1}
    assert nodes[r1]["relation"] == "transformation" and nodes[r1]["via"] == product.hash("make A")
    assert nodes[r1]["quantity"] == 200 and nodes[r1]["uom"] == "KGM"
    assert nodes[r1]["makers"] == [SUPPLIER]
    assert nodes[r1]["origins"][0]["eventHashId"] == product.hash("commission R1")
    assert nodes[a1]["makers"] == [MANUFACTURER]
    assert body["suppliers"][r1] == [SUPPLIER]
    assert body["rawMaterials"] == [r1]
    assert body["problems"] == []
    assert {e["eventHashId"] for e in body["events"]} == {product.hash("make A"), product.hash("commission R1")}
    assert all(e["anchor"] == {"status": "pending"} for e in body["events"])
    assert body["truncated"] is False
    assert trace(client, "backward", a1)["root"] == body["root"]  # the Digital Link is the same product


def test_backward_trace_never_loads_what_else_the_inputs_went_into(platform: Platform, product: Product) -> None:
    with platform.session() as session:
        loader = SubgraphLoader(session)
        loader.backward(node_id(product.ids["A-1"]))
        loaded = set(loader.rows)
    assert product.hash("make B") not in loaded  # R1 also made B-1: a usage, not an origin of A-1
    assert product.hash("commission R1") in loaded


def test_journey_goes_through_the_case(client: TestClient, product: Product) -> None:
    body = trace(client, "journey", product.ids["A-1"])
    steps = [(s["eventHashId"], s["stage"], s["via"]) for s in body["steps"]]
    c1 = node_id(product.ids["C1"])
    assert steps == [
        (product.hash("make A"), "production", None),
        (product.hash("pack C1"), "production", None),
        (product.hash("ship C1"), "logistics", c1),
        (product.hash("receive C1"), "logistics", c1),
        (product.hash("unpack C1"), "logistics", None),
        (product.hash("sell A-1"), "retail", None),
    ]
    assert body["organisations"] == [MANUFACTURER, RETAILER]
    (stay,) = body["containments"]
    assert stay["parent"] == c1 and stay["packedBy"] == product.hash("pack C1")
    assert stay["unpackedBy"] == product.hash("unpack C1")
    assert body["steps"][-1]["location"] == node_id(product.orgs["retailer"].site)
    assert [e["eventHashId"] for e in body["events"]] == [s[0] for s in steps]
    # A-3 was never packed: its journey is its making only
    assert [s["eventHashId"] for s in trace(client, "journey", product.ids["A-3"])["steps"]] == [product.hash("make A")]


def test_forward_trace_is_the_recall_list_of_an_input_lot(client: TestClient, product: Product) -> None:
    body = trace(client, "forward", product.ids["R1"])
    serials = {node_id(product.ids[k]) for k in ("A-1", "A-2", "A-3", "A-4", "B-1")}
    assert set(body["reached"]["serials"]) == serials
    assert body["reached"]["lots"] == [node_id(product.ids["A-LOT1"])]
    assert body["reached"]["containers"] == [node_id(product.ids["C1"])]
    assert set(body["organisations"]) == {SUPPLIER, MANUFACTURER, RETAILER}
    assert {s["eventHashId"] for s in body["sightings"]} == {product.hash(n) for n in product.env}
    assert node_id(product.orgs["retailer"].site) in body["locations"]
    # from a finished serial nothing goes further but the case it was packed in
    assert trace(client, "forward", product.ids["A-3"])["reached"] == {"lots": [], "serials": [], "containers": []}


def test_traces_show_anchors_once_anchored(client: TestClient, platform: Platform, product: Product) -> None:
    batch_id = anchor(platform, [product.hash("make A")])
    events = {e["eventHashId"]: e["anchor"] for e in trace(client, "backward", product.ids["A-2"])["events"]}
    made = events[product.hash("make A")]
    assert made["status"] == "anchored"
    # in its batch with one story link per identifier it names (A-1..A-4 and R1; the lot has none): six leaves, and
    # the proof leads from its leaf to the root. A tree of six leaves has leaves two and three levels down, and which
    # one is the event's depends on where its hash sorts: its proof's length alone varied from run to run.
    with platform.session() as session:
        assert session.get(Batch, batch_id).leaf_count == 6  # type: ignore[union-attr]
    proof = [bytes.fromhex(p[2:]) for p in made["proof"]]
    assert len(proof) in (2, 3)
    assert verify_proof(bytes.fromhex(made["root"][2:]), proof, hash_id_to_bytes32(product.hash("make A")))
    assert events[product.hash("commission R1")] == {"status": "pending"}


def test_the_event_bound_is_reported(platform: Platform, product: Product) -> None:
    with platform.session() as session:
        loader = SubgraphLoader(session, max_events=2, custody=False)  # as GET /trace/forward reads: everything
        result = loader.forward(node_id(product.ids["R1"]))
        assert loader.truncated
        assert len(loader.rows) == 2
        assert loader.limits_json() == {"eventsLoaded": 2, "maxEvents": 2, "truncated": True}
        assert len(result.sightings) <= 2
        story = SubgraphLoader(session)  # the product's story: its chain of custody, through the case it was in
        story.backward(node_id(product.ids["A-1"]))
        custody = [product.orgs[o].org_id for o in ("manufacturer", "supplier", "retailer")]
        assert story.limits_json() == {
            "eventsLoaded": 9,  # all but "make B" (R1 in another product: not upstream of A-1)
            "maxEvents": 5000,
            "truncated": False,
            "custody": custody,
            "summarised": {},
        }


@pytest.mark.parametrize("kind", ["backward", "forward", "journey"])
def test_unknown_identifiers_are_404_and_garbage_400(client: TestClient, product: Product, kind: str) -> None:
    unknown = client.get(f"/trace/{kind}", params={"id": "urn:epc:id:sgtin:6901234.040001.NOPE"})
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["identifier"] == "https://id.gs1.org/01/06901234400014/21/NOPE"
    garbage = client.get(f"/trace/{kind}", params={"id": "A-1"})
    assert garbage.status_code == 400 and garbage.json()["parameter"] == "id"
    assert client.get(f"/trace/{kind}").status_code == 422


def test_the_benchmark_store_loads_only_the_products_subgraph() -> None:
    from benchmarks.queries import bench_queries

    figures = bench_queries(3000, repeats=2, usages=600)
    # 48 upstream events + the product's 10; none of the 600 other products made from its raw lots
    assert figures.events_loaded == 58
    assert figures.bundle_events == 26
    assert figures.bundle_p50_ms > 0
