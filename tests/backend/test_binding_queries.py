"""GET /events with the EPCIS REST binding's query parameters: their names and meaning (MATCH_ roles, pipe-delimited
arrays, record time), the parameters not offered (a 400 naming each), and OpenEPCIS's query vectors."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.api.routes.events import NOT_OFFERED
from backend.services.platform import Platform, now_ms
from supplychain.eventhash import event_hash_id, hash_context
from supplychain.signing import make_envelope
from tests.backend.storing import Product, green_product, register_keys, store

QUERIES = "openepcis/2.0/EPCIS/{syntax}/Query/Queries"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


@pytest.fixture
def product(platform: Platform) -> Product:
    return green_product(platform)


def names(client: TestClient, product: Product, **params: Any) -> set[str]:
    response = client.get("/events", params=params)
    assert response.status_code == 200, response.text
    by_hash = {product.hash(n): n for n in product.env}
    return {by_hash[m["eventHashId"]] for m in response.json()["sc:eventMetadata"]}


def test_match_parameters_look_in_the_binding_roles(client: TestClient, product: Product) -> None:
    a1, c1, r1 = product.ids["A-1"], product.ids["C1"], product.ids["R1"]
    assert names(client, product, MATCH_epc=a1) == {"pack C1", "unpack C1", "sell A-1"}  # epcList, childEPCs
    assert names(client, product, MATCH_outputEPC=a1) == {"make A"}
    assert names(client, product, MATCH_inputEPC=a1) == set()
    assert names(client, product, MATCH_parentID=c1) == {"pack C1", "unpack C1"}
    assert names(client, product, MATCH_epc=c1) == {"ship C1", "receive C1"}
    assert names(client, product, MATCH_anyEPC=a1) == {"make A", "pack C1", "unpack C1", "sell A-1"}
    assert names(client, product, MATCH_outputEPCClass=r1) == set()
    assert names(client, product, MATCH_inputEPCClass=r1) == {"make A", "make B"}


def test_arrays_are_pipe_delimited_or_repeated(client: TestClient, product: Product) -> None:
    both = {"ship R1", "ship C1", "receive R1", "receive C1"}
    assert names(client, product, EQ_bizStep="shipping|receiving") == both
    assert names(client, product, EQ_bizStep=["shipping", "receiving"]) == both
    a1, b1 = product.ids["A-1"], product.ids["B-1"]
    assert names(client, product, MATCH_outputEPC=f"{a1}|{b1}") == {"make A", "make B"}
    assert names(client, product, eventType="AggregationEvent|TransformationEvent") == {
        "make A", "make B", "pack C1", "unpack C1",
    }  # fmt: skip
    empty = client.get("/events", params={"EQ_bizStep": "shipping|"})
    assert (empty.status_code, empty.json()["parameter"]) == (400, "EQ_bizStep")


def test_record_time_is_when_the_platform_received_the_event(
    client: TestClient, platform: Platform, product: Product
) -> None:
    everything = set(product.env)
    assert names(client, product, GE_recordTime="2000-01-01T00:00:00Z") == everything
    assert names(client, product, LT_recordTime="2000-01-01T00:00:00Z") == set()
    assert names(client, product, GE_recordTime="2999-01-01T00:00:00+08:00") == set()
    bad = client.get("/events", params={"LT_recordTime": "soon"})
    assert (bad.status_code, bad.json()["parameter"]) == (400, "LT_recordTime")


@pytest.mark.parametrize("parameter", NOT_OFFERED)
def test_binding_parameters_not_offered_are_a_400_naming_them(client: TestClient, parameter: str) -> None:
    response = client.get("/events", params={parameter: "1"})
    assert response.status_code == 400
    problem = response.json()
    assert problem["parameter"] == parameter
    assert "does not offer" in problem["detail"]


def test_the_description_lists_what_is_not_offered(client: TestClient) -> None:
    description = client.app.openapi()["paths"]["/events"]["get"]["description"]  # type: ignore[attr-defined]
    for parameter in NOT_OFFERED:
        assert f"`{parameter}`" in description


# --- OpenEPCIS's queries ---------------------------------------------------------------------------------------


def _json_query(path: Path) -> dict[str, Any]:
    query: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    query.pop("@context")
    return query


def _xml_query(path: Path) -> dict[str, Any]:
    """The ``Poll`` parameters of an XML query document, as the JSON query writes them."""
    params: dict[str, Any] = {}
    for param in ET.parse(path).getroot().iter("param"):  # noqa: S314 - a published vector, not input
        name, value = param.findtext("name"), param.find("value")
        assert name is not None and value is not None
        if value.get(XSI_TYPE, "").endswith("ArrayOfString"):
            params[name] = [s.text for s in value.iter("string")]
        else:
            params[name] = value.text
    return params


def as_url_parameters(query: dict[str, Any]) -> dict[str, str]:
    """The binding's URL form of a query: arrays pipe-delimited, scalars as text."""
    return {k: "|".join(v) if isinstance(v, list) else str(v) for k, v in query.items()}


def _store_for_simple_query(platform: Platform) -> dict[str, str]:
    """Events around OpenEPCIS's SimpleEventQuery: one matching every filter we offer, one missing each."""
    org = register_keys(platform)["manufacturer"]
    context = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"]
    match = {
        "@context": context,
        "type": "ObjectEvent",
        "eventTime": "2026-06-01T10:00:00.000Z",
        "eventTimeZoneOffset": "+01:00",
        "epcList": ["https://id.gs1.org/01/09521141012345/21/2017"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "bizLocation": {"id": "https://id.gs1.org/414/9521141123452"},
    }
    variants = {
        "match": match,
        "before": match | {"eventTime": "2025-12-31T23:00:00.000Z"},  # 2026-01-01T00:00+01:00 is 23:00Z: in
        "too early": match | {"eventTime": "2025-12-31T22:59:59.999Z"},
        "too late": match | {"eventTime": "2026-12-31T22:59:59.000Z"},  # LT is exclusive
        "receiving": match | {"bizStep": "receiving"},
        "elsewhere": match | {"bizLocation": {"id": "https://id.gs1.org/414/9521141000009"}},
        "other epc": match | {"epcList": ["https://id.gs1.org/01/09521141012345/21/2018"]},
        # the same EPC as a URN (the Event Hash ID canonicalises it: another offset keeps the two events apart)
        "as urn": match | {"epcList": ["urn:epc:id:sgtin:9521141.001234.2017"], "eventTimeZoneOffset": "+02:00"},
    }
    hashes = {}
    envelopes = []
    for name, event in variants.items():
        hash_id = event_hash_id(event, hash_context(context))
        hashes[hash_id] = name
        envelopes.append(make_envelope(org.key, org.org_id, event, hash_id))
    store(platform, envelopes, received_at=now_ms())
    return hashes


@pytest.mark.parametrize("syntax", ["JSON", "XML"])
def test_openepcis_simple_event_query_maps_onto_our_parameters(
    client: TestClient, platform: Platform, vectors_dir: Path, syntax: str
) -> None:
    folder = vectors_dir / QUERIES.format(syntax=syntax)
    path = folder / f"SimpleEventQuery.{syntax.lower()}"
    query = _json_query(path) if syntax == "JSON" else _xml_query(path)
    hashes = _store_for_simple_query(platform)
    offered = {k: v for k, v in query.items() if k not in NOT_OFFERED}
    assert sorted(offered) == [
        "EQ_bizLocation", "EQ_bizStep", "GE_eventTime", "LT_eventTime", "MATCH_epc", "eventType",
    ]  # fmt: skip
    response = client.get("/events", params=as_url_parameters(offered))
    assert response.status_code == 200, response.text
    found = {hashes[m["eventHashId"]] for m in response.json()["sc:eventMetadata"]}
    assert found == {"match", "before", "as urn"}  # a URN finds its Digital Link's events and the reverse
    # the whole query (the XML vector holds only what we offer): the first parameter we do not offer is named
    others = {
        "JSON": ["EQ_action", "EQ_disposition", "GE_quantity", "LT_quantity", "eventCountLimit", "orderBy"],
        "XML": [],
    }[syntax]
    assert sorted(set(query) - set(offered)) == sorted([*others, "orderDirection"] if others else [])
    if others:
        whole = client.get("/events", params=as_url_parameters(query))
        assert (whole.status_code, whole.json()["parameter"]) == (400, others[0])


def test_the_json_and_xml_simple_event_queries_agree(vectors_dir: Path) -> None:
    as_json = _json_query(vectors_dir / QUERIES.format(syntax="JSON") / "SimpleEventQuery.json")
    as_xml = _xml_query(vectors_dir / QUERIES.format(syntax="XML") / "SimpleEventQuery.xml")
    assert {k: v for k, v in as_json.items() if k in as_xml} == as_xml


@pytest.mark.parametrize(
    ("name", "parameter"),
    [("Query_with_invalid_values.json", "GE_eventTime"), ("Query_with_unknown_parameter.json", "GE_eventDate")],
)
def test_openepcis_invalid_queries_are_400_naming_the_parameter(
    client: TestClient, vectors_dir: Path, name: str, parameter: str
) -> None:
    query = _json_query(vectors_dir / QUERIES.format(syntax="JSON") / "Invalid" / name)
    offered = {k: v for k, v in query.items() if k not in NOT_OFFERED}
    response = client.get("/events", params=as_url_parameters(offered))
    assert response.status_code == 400
    assert response.json()["parameter"] == parameter
