"""Our OpenAPI against the EPCIS 2.0 REST binding's (GS1's ``rest-binding-openapi.yaml``, read from ``../shared``) for
the routes where we claim conformance: the same paths and methods, the binding's success codes and the error codes
we answer, its request parameters (declared, or listed as not offered), its response headers documented and sent.
Every difference is listed here with its reason, and said in our route descriptions."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient

from backend.api.routes.events import NOT_OFFERED
from tests.conftest import VECTORS

BINDING = VECTORS.parent / "reference" / "gs1-epcis-2.0" / "rest-binding-openapi.yaml"

#: (binding path, method) -> our path, for every operation we claim to follow.
CLAIMED = {
    ("/", "options"): "/",
    ("/capture", "options"): "/capture",
    ("/capture", "post"): "/capture",
    ("/capture", "get"): "/capture",
    ("/capture/{captureID}", "options"): "/capture/{capture_id}",
    ("/capture/{captureID}", "get"): "/capture/{capture_id}",
    ("/events", "options"): "/events",
    ("/events", "get"): "/events",
    ("/events", "post"): "/events",
    ("/events/{eventID}", "options"): "/events/{hash_id}",
    ("/events/{eventID}", "get"): "/events/{hash_id}",
}
#: The binding's paths we do not offer (said in the description of OPTIONS /): the top-level browsing resources,
#: named queries and subscriptions, and deleting page tokens.
NOT_OFFERED_PATHS = {
    "/eventTypes", "/eventTypes/{eventType}", "/eventTypes/{eventType}/events", "/epcs", "/epcs/{epc}",
    "/epcs/{epc}/events", "/bizSteps", "/bizSteps/{bizStep}", "/bizSteps/{bizStep}/events", "/bizLocations",
    "/bizLocations/{bizLocation}", "/bizLocations/{bizLocation}/events", "/readPoints", "/readPoints/{readPoint}",
    "/readPoints/{readPoint}/events", "/dispositions", "/dispositions/{disposition}",
    "/dispositions/{disposition}/events", "/queries", "/queries/{queryName}", "/queries/{queryName}/subscriptions",
    "/queries/{queryName}/subscriptions/{subscriptionID}", "/queries/{queryName}/events", "/nextPageToken/{token}",
}  # fmt: skip
#: Status codes of the binding we do not answer: no content negotiation (one JSON form per resource), and a server
#: error is never documented per route (the platform answers its problems, never a bare 500).
NOT_ANSWERED = {"406", "500", "501"}
#: Statuses the binding does not list for these operations but we answer (each said in our description):
#: `Prefer: return=representation` on POST /capture; no token at all (OPTIONS needs none, so no 401/403 there).
OUR_EXTRA_SUCCESS = {("/capture", "post"): {"200"}}
#: Operations that need no token, so never answer 401 or 403: discovery, and reading events (public here so that
#: anyone can verify them; said in the descriptions).
NO_AUTH = {("/events", "get"), ("/events/{eventID}", "get")}
#: Headers of the binding we neither read nor send: GS1-Extensions (no EPCIS/CBV extensions are negotiated),
#: GS1-Next-Page-Token-Expires (page tokens do not expire).
NOT_SUPPORTED_HEADERS = {"GS1-Extensions", "GS1-Next-Page-Token-Expires"}
#: Request headers of the binding we do not read: only EPCIS and CBV 2.0 are served and events are served as
#: received (the OPTIONS answers say so: GS1-EPCIS-Min/Max, GS1-CBV-Min/Max, GS1-EPC-Format, GS1-CBV-XML-Format).
NOT_READ_HEADERS = NOT_SUPPORTED_HEADERS | {
    "GS1-EPCIS-Min",
    "GS1-EPCIS-Max",
    "GS1-CBV-Min",
    "GS1-CBV-Max",
    "GS1-EPC-Format",
    "GS1-CBV-XML-Format",
}
#: Request headers the binding declares that we read on each POST.
READ_HEADERS = {"GS1-EPCIS-Version", "GS1-CBV-Version", "GS1-Capture-Error-Behaviour"}


@pytest.fixture(scope="module")
def binding() -> dict[str, Any]:
    if not BINDING.is_file():
        pytest.fail(f"the REST binding's OpenAPI is not at {BINDING}: shared/ must sit beside the project's root")
    loaded: dict[str, Any] = yaml.safe_load(BINDING.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def ours() -> dict[str, Any]:
    from backend.api.app import create_app
    from backend.core.config import Settings

    schema: dict[str, Any] = create_app(Settings(environment="test", run_worker=False)).openapi()
    return schema


def _resolve(root: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node and str(node["$ref"]).startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def binding_operation(binding: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    item = binding["paths"][path]
    operation = dict(item[method])
    parameters = [_resolve(binding, p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]
    operation["parameters"] = parameters
    operation["responses"] = {str(k): _resolve(binding, v) for k, v in operation["responses"].items()}
    return operation


def test_the_claimed_operations_exist_in_both(binding: dict[str, Any], ours: dict[str, Any]) -> None:
    for (path, method), our_path in CLAIMED.items():
        assert method in binding["paths"][path], (path, method)
        assert method in ours["paths"][our_path], (our_path, method)
    # every other operation of the binding is on a path we do not offer, or GET / (its list of those paths)
    others = {(p, m) for p, item in binding["paths"].items() for m in item if m != "parameters"} - set(CLAIMED)
    assert others == {("/", "get")} | {(p, m) for p, m in others if p in NOT_OFFERED_PATHS}
    assert set(binding["paths"]) >= NOT_OFFERED_PATHS
    described = ours["paths"]["/"]["options"]["description"]
    for path in NOT_OFFERED_PATHS:
        assert path.split("/")[1] in described, path
        assert path not in ours["paths"], path


def test_status_codes_match_where_we_claim_conformance(binding: dict[str, Any], ours: dict[str, Any]) -> None:
    for (path, method), our_path in CLAIMED.items():
        theirs = set(binding_operation(binding, path, method)["responses"])
        mine = set(map(str, ours["paths"][our_path][method]["responses"]))
        success = {c for c in theirs if c.startswith("2")}
        assert success <= mine, (path, method, success - mine)
        assert {c for c in mine if c.startswith("2")} - success <= OUR_EXTRA_SUCCESS.get((path, method), set())
        public = method == "options" or (path, method) in NO_AUTH
        expected = theirs - NOT_ANSWERED - ({"401", "403"} if public else set())
        if method == "options":
            expected -= {"404"}  # OPTIONS needs no token, so it never looks the resource up (said in its description)
        assert expected <= mine, (path, method, sorted(expected - mine))


def test_request_parameters_are_declared_or_listed_as_not_offered(
    binding: dict[str, Any], ours: dict[str, Any]
) -> None:
    for (path, method), our_path in CLAIMED.items():
        declared = {p["name"] for p in ours["paths"][our_path][method].get("parameters", [])}
        for parameter in binding_operation(binding, path, method)["parameters"]:
            name, where = parameter["name"], parameter["in"]
            if where == "path":
                continue  # named differently (captureID, eventID), the same place
            if where == "header" and name in NOT_READ_HEADERS:
                continue
            if where == "query" and name in NOT_OFFERED:
                assert name not in declared
                continue
            assert name in declared, (path, method, name)
    assert {p["name"] for p in ours["paths"]["/capture"]["post"]["parameters"]} >= READ_HEADERS


def test_request_bodies_take_the_binding_media_types(binding: dict[str, Any], ours: dict[str, Any]) -> None:
    for path in ("/events",):  # POST /capture reads its media types itself (OPTIONS lists them in Accept-Post)
        theirs = set(binding["paths"][path]["post"]["requestBody"]["content"])
        body = ours["paths"][path]["post"]["requestBody"]
        assert body["required"] is True
        assert theirs <= set(body["content"]), path


def test_the_413_of_capture_routes_documents_the_binding_headers(binding: dict[str, Any], ours: dict[str, Any]) -> None:
    for path in ("/capture", "/events"):
        theirs = set(binding_operation(binding, path, "post")["responses"]["413"]["headers"])
        assert theirs <= _documented_headers(ours, path, "post", "413"), path


def _documented_headers(ours: dict[str, Any], path: str, method: str, status: str) -> set[str]:
    return set(ours["paths"][path][method]["responses"][status].get("headers", {}))


def test_response_headers_of_the_binding_are_documented(binding: dict[str, Any], ours: dict[str, Any]) -> None:
    for (path, method), our_path in CLAIMED.items():
        for status, response in binding_operation(binding, path, method)["responses"].items():
            if not status.startswith("2"):
                continue
            wanted = set(response.get("headers", {})) - NOT_SUPPORTED_HEADERS
            assert wanted <= _documented_headers(ours, our_path, method, status), (path, method, status, wanted)


def test_discovery_answers_send_the_binding_headers(binding: dict[str, Any], client: TestClient) -> None:
    for (path, method), our_path in CLAIMED.items():
        if method != "options":
            continue
        url = our_path.replace("{capture_id}", "0" * 32).replace("{hash_id}", "0" * 64)
        answer = client.options(url)
        assert answer.status_code == 204
        response = binding_operation(binding, path, method)["responses"]["204"]
        wanted = set(response["headers"]) - NOT_SUPPORTED_HEADERS
        sent = {name.lower() for name in answer.headers}
        assert {w.lower() for w in wanted} <= sent, (path, sorted(wanted))
        allow = set(response["headers"]["Allow"]["schema"]["default"].split(", "))
        offered = {m.upper() for p, m in CLAIMED if p == path}  # GET / is not offered: its Allow says so
        assert set(answer.headers["Allow"].split(", ")) == allow & offered, path
        for name in ("GS1-EPCIS-Version", "GS1-CBV-Version"):
            assert re.fullmatch(r"\d+(\.\d+)*", answer.headers[name])


def test_capture_jobs_have_the_binding_fields(binding: dict[str, Any]) -> None:
    schema = binding["components"]["schemas"]["CaptureJob"]
    fields = set(schema["allOf"][0]["properties"])
    assert fields == {"captureID", "running", "success", "createdAt", "finishedAt", "captureErrorBehaviour"}
    from backend.services.capture import job_fields

    ours = job_fields("x", received_at=0, finished_at=1, behaviour="rollback", rejected=0, rolled_back=False)
    assert set(ours) == fields
    behaviours = binding["components"]["schemas"]["GS1-Capture-Error-Behaviour"]
    assert behaviours["default"] == "rollback"


@pytest.mark.parametrize(
    ("path", "method", "says"),
    [
        ("/events", "post", "Where this differs from the binding"),
        ("/events", "get", "Where this differs from the binding"),
        ("/events/{hash_id}", "get", "Where this differs from the EPCIS REST binding"),
        ("/capture", "post", "This platform adds `Prefer: return=representation`"),
        ("/capture", "get", "always `false`"),
        ("/capture/{capture_id}", "get", "always `false`"),
        ("/capture", "options", "This platform adds"),
        ("/capture/{capture_id}", "options", "does not look the job up"),
        ("/", "options", "not the top-level browsing resources"),
    ],
)
def test_our_descriptions_say_where_we_differ(ours: dict[str, Any], path: str, method: str, says: str) -> None:
    operation = ours["paths"][path][method]
    text = operation.get("description", "") + "".join(
        str(r.get("description", "")) for r in operation["responses"].values()
    )
    assert says in text
