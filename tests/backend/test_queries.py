"""GET /events (EPCIS query parameters, pagination, bad parameters, index use) and GET /events/{hashId}."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.services.platform import Platform
from backend.services.queries import EventQuery
from supplychain.gs1 import canonical_dl
from supplychain.merkle import hash_id_to_bytes32, verify_proof
from supplychain.receipt import verify_receipt
from supplychain.signing import parse_envelope, verify_envelope
from tests.backend.storing import Product, anchor, green_product
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER


@pytest.fixture
def product(platform: Platform) -> Product:
    return green_product(platform)


def hashes(body: dict[str, Any]) -> list[str]:
    return [m["eventHashId"] for m in body["sc:eventMetadata"]]


def names(product: Product, body: dict[str, Any]) -> set[str]:
    by_hash = {product.hash(n): n for n in product.env}
    return {by_hash[h] for h in hashes(body)}


def get(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/events", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_query_document_holds_events_as_received_with_metadata(client: TestClient, product: Product) -> None:
    body = get(client, MATCH_anyEPC=product.ids["A-1"])
    assert body["type"] == "EPCISQueryDocument"
    assert body["@context"][0].startswith("https://ref.gs1.org/standards/epcis/")
    events = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert names(product, body) == {"make A", "pack C1", "unpack C1", "sell A-1"}
    for event, meta in zip(events, body["sc:eventMetadata"], strict=True):
        name = next(n for n in product.env if product.hash(n) == meta["eventHashId"])
        assert event == product.env[name]["event"]
        assert meta["organisationId"] == product.env[name]["organisationId"]
        assert meta["anchor"] == {"status": "pending"}
        assert meta["receivedAt"].endswith("Z")
    assert body["sc:nextPageToken"] is None


def test_identifiers_match_in_either_spelling_and_by_role(client: TestClient, product: Product) -> None:
    urn = product.ids["C1"]
    link = canonical_dl(urn)
    assert link is not None and link != urn
    as_urn, as_link = get(client, MATCH_anyEPC=urn), get(client, MATCH_anyEPC=link)
    assert hashes(as_urn) == hashes(as_link)
    assert names(product, as_urn) == {"pack C1", "ship C1", "receive C1", "unpack C1"}
    # a lot in quantity lists is a class, not an EPC; MATCH_epcClass looks in quantityList and childQuantityList,
    # MATCH_inputEPCClass in inputQuantityList, MATCH_anyEPCClass in all of them (EPCIS 2.0 section 8.2.7.1)
    assert names(product, get(client, MATCH_epcClass=product.ids["R1"])) == {"commission R1", "ship R1", "receive R1"}
    assert names(product, get(client, MATCH_inputEPCClass=product.ids["R1"])) == {"make A", "make B"}
    assert names(product, get(client, MATCH_anyEPCClass=product.ids["R1"])) == {
        "commission R1", "ship R1", "receive R1", "make A", "make B",
    }  # fmt: skip
    assert get(client, MATCH_anyEPC=product.ids["R1"])["sc:eventMetadata"] == []
    # repeated = any of; two different filters = all of
    both = get(client, MATCH_anyEPC=[product.ids["A-1"], product.ids["B-1"]])
    assert names(product, both) == {"make A", "make B", "pack C1", "unpack C1", "sell A-1"}
    assert names(product, get(client, MATCH_anyEPC=product.ids["A-1"], MATCH_anyEPCClass=product.ids["R1"])) == {
        "make A"
    }
    times = {n: product.env[n]["event"]["eventTime"] for n in product.env}
    shipped = get(
        client, MATCH_anyEPC=urn, EQ_bizStep="shipping", organisation=MANUFACTURER, GE_eventTime=times["pack C1"]
    )
    assert names(product, shipped) == {"ship C1"}
    assert get(client, MATCH_anyEPC=urn, LT_eventTime=times["pack C1"])["sc:eventMetadata"] == []


def test_filters_on_step_location_organisation_type_and_time(client: TestClient, product: Product) -> None:
    shipping = {"ship R1", "ship C1"}
    assert names(product, get(client, EQ_bizStep="shipping")) == shipping
    assert names(product, get(client, EQ_bizStep="https://ref.gs1.org/cbv/BizStep-shipping")) == shipping
    assert names(product, get(client, EQ_bizStep="urn:epcglobal:cbv:bizstep:shipping")) == shipping
    site = product.orgs["retailer"].site
    assert names(product, get(client, EQ_bizLocation=site)) == {"receive C1", "unpack C1", "sell A-1"}
    assert names(product, get(client, EQ_readPoint=site)) == {"receive C1", "unpack C1", "sell A-1"}
    assert names(product, get(client, organisation=SUPPLIER)) == {"commission R1", "ship R1"}
    assert len(get(client, organisation=[MANUFACTURER, RETAILER])["sc:eventMetadata"]) == 8
    assert names(product, get(client, eventType="TransformationEvent")) == {"make A", "make B"}
    times = {n: product.env[n]["event"]["eventTime"] for n in product.env}
    window = get(client, GE_eventTime=times["make A"], LT_eventTime=times["pack C1"])
    assert names(product, window) == {"make A", "make B"}
    later = get(client, GE_eventTime=times["unpack C1"].replace("Z", "+00:00"))
    assert names(product, later) == {"unpack C1", "sell A-1"}
    assert get(client, EQ_bizStep="shipping", organisation=RETAILER)["sc:eventMetadata"] == []


def test_pages_follow_the_link_header_to_the_end(client: TestClient, product: Product) -> None:
    seen: list[str] = []
    response = client.get("/events", params={"perPage": 3})
    pages = 0
    while True:
        assert response.status_code == 200
        pages += 1
        body = response.json()
        seen += hashes(body)
        link = response.headers.get("link")
        if link is None:
            assert body["sc:nextPageToken"] is None
            break
        assert link.endswith('>; rel="next"') and body["sc:nextPageToken"] in link
        response = client.get(link[1 : link.index(">")])
    assert pages == 4
    assert sorted(seen) == sorted(product.hash(n) for n in product.env)
    assert len(seen) == len(set(seen))
    everything = get(client, perPage=1000)
    assert hashes(everything) == seen  # storage order, same as one big page


def test_page_tokens_are_bound_to_their_query(client: TestClient, product: Product) -> None:
    first = client.get("/events", params={"perPage": 1, "EQ_bizStep": "shipping"})
    token = first.json()["sc:nextPageToken"]
    assert token is not None
    second = get(client, perPage=1, EQ_bizStep="shipping", nextPageToken=token)
    assert hashes(second) == [product.hash("ship C1")]
    other = client.get("/events", params={"perPage": 1, "EQ_bizStep": "receiving", "nextPageToken": token})
    assert other.status_code == 400
    assert other.json()["parameter"] == "nextPageToken"
    assert client.get("/events", params={"nextPageToken": "not-a-token"}).json()["parameter"] == "nextPageToken"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"EQ_bizStep": "shiping"}, "EQ_bizStep"),
        ({"EQ_bizStep": "cbv:BizStep-nonsense"}, "EQ_bizStep"),
        ({"GE_eventTime": "yesterday"}, "GE_eventTime"),
        ({"LT_eventTime": "2024-01-01T00:00:00"}, "LT_eventTime"),
        ({"perPage": "0"}, "perPage"),
        ({"perPage": "1001"}, "perPage"),
        ({"perPage": "ten"}, "perPage"),
        ({"MATCH_anyEPC": "not an identifier"}, "MATCH_anyEPC"),
        ({"MATCH_epcClass": "R1"}, "MATCH_epcClass"),
        ({"EQ_bizLocation": "warehouse 7"}, "EQ_bizLocation"),
        ({"organisation": "ACME"}, "organisation"),
        ({"eventType": "QuantityEvent"}, "eventType"),
        ({"MATCH_anyEpc": "urn:epc:id:sgtin:6901234.040001.A-1"}, "MATCH_anyEpc"),
    ],
)
def test_bad_parameters_are_400_problems_naming_them(
    client: TestClient, product: Product, params: dict[str, str], parameter: str
) -> None:
    response = client.get("/events", params=params)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["parameter"] == parameter
    assert problem["type"] == "https://supplychain.dev/problems/invalid-parameter"
    assert problem["detail"].startswith(parameter + ":")


def plan(platform: Platform, query: EventQuery) -> str:
    statement = query.statement(limit=100)
    sql = str(statement.compile(platform.engine, compile_kwargs={"literal_binds": True}))
    with platform.engine.connect() as connection:
        rows = connection.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
    return "\n".join(str(r[-1]) for r in rows)


def test_identifier_queries_use_the_indexes(platform: Platform, product: Product) -> None:
    for query in (
        EventQuery.from_params(any_epc=[product.ids["A-1"]]),
        EventQuery.from_params(epc_class=[product.ids["R1"]]),
        EventQuery.from_params(any_epc=[product.ids["A-1"]], biz_step=["shipping"], organisation=[MANUFACTURER]),
        EventQuery.from_params(
            epc_class=[product.ids["R1"]],
            biz_location=[product.orgs["retailer"].site],
            ge_event_time="2024-01-01T00:00Z",
        ),
    ):
        found = plan(platform, query)
        assert "SEARCH event_identifier USING COVERING INDEX ix_event_identifier_lookup (identifier=?" in found, found
        assert found.splitlines()[0].startswith("SEARCH event USING INTEGER PRIMARY KEY (rowid=?)"), found
        assert not any(line.startswith("SCAN") for line in found.splitlines()), found
    by_step = plan(platform, EventQuery.from_params(biz_step=["shipping"], ge_event_time="2024-01-01T00:00:00Z"))
    assert "USING INDEX" in by_step or "USING INTEGER PRIMARY KEY" in by_step, by_step


def event_url(hash_id: str) -> str:
    return "/events/" + quote(hash_id, safe="")


def test_one_event_with_envelope_receipt_and_pending_anchor(
    client: TestClient, platform: Platform, product: Product
) -> None:
    hash_id = product.hash("make A")
    body = client.get(event_url(hash_id)).json()
    assert body["eventHashId"] == hash_id
    assert body["event"] == product.env["make A"]["event"]
    assert body["envelope"] == product.env["make A"]
    envelope = parse_envelope(body["envelope"])
    verify_envelope(envelope, product.orgs["manufacturer"].key.public_key_bytes, expected_hash_id=hash_id)
    verify_receipt(body["receipt"], platform.receipt_key.public_key_bytes)
    assert body["receipt"]["eventHashId"] == hash_id
    assert body["anchor"] == {"status": "pending"}
    digest = hash_id.split(";")[1].split("?")[0]
    assert client.get(f"/events/{digest}").json()["eventHashId"] == hash_id
    assert client.get(f"/events/{digest.upper()}").json()["eventHashId"] == hash_id
    unencoded = client.get(f"/events/ni:///sha-256;{digest}?ver=CBV2.0")
    assert unencoded.json()["eventHashId"] == hash_id


def test_one_event_once_anchored_carries_a_proof_to_the_chain(
    client: TestClient, platform: Platform, product: Product
) -> None:
    names_ = ["make A", "pack C1", "ship C1"]
    anchor(platform, [product.hash(n) for n in names_])
    body = client.get(event_url(product.hash("pack C1"))).json()
    got = body["anchor"]
    assert got["status"] == "anchored"
    assert got["sequence"] >= 1 and got["blockNumber"] > 0 and got["txHash"].startswith("0x")
    assert got["chainId"] == platform.registry.chain_id and got["remade"] is False
    root = bytes.fromhex(got["root"][2:])
    proof = [bytes.fromhex(p[2:]) for p in got["proof"]]
    assert verify_proof(root, proof, hash_id_to_bytes32(product.hash("pack C1")))
    assert platform.registry.mirror.anchors[root].sequence == got["sequence"]
    assert platform.registry.mirror.anchors[root].anchored_at == got["blockTime"]
    listed = get(client, MATCH_anyEPC=product.ids["C1"])
    status = {m["eventHashId"]: m["anchor"]["status"] for m in listed["sc:eventMetadata"]}
    assert status[product.hash("ship C1")] == "anchored"
    assert status[product.hash("unpack C1")] == "pending"


@pytest.mark.parametrize("bad", ["nonsense", "ni:///sha-256;abc?ver=CBV2.0", "0" * 63])
def test_malformed_event_ids_are_400(client: TestClient, product: Product, bad: str) -> None:
    response = client.get(event_url(bad))
    assert response.status_code == 400
    assert response.json()["parameter"] == "hashId"


def test_unknown_event_is_404_problem(client: TestClient, product: Product) -> None:
    unknown = "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0"
    response = client.get(event_url(unknown))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["eventHashId"] == unknown
    assert json.dumps(response.json()).count(unknown) >= 1
