"""Regression corpus of issue 11 (items 1-3): each input that answered a 500, or cost work out of proportion, now
answers a 4xx problem naming what is wrong (or a bounded answer)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from backend.api.app import create_app
from backend.core.errors import BadParameterError
from backend.core.integers import INT64_MAX, UINT256_MAX, parse_int
from backend.models import Capture
from backend.services.capture import MAX_LISTED_PROBLEMS
from backend.services.platform import Platform
from supplychain.signing import SigningKey
from tests.backend.documents import GTIN, object_event, signed_document
from tests.chains import SUPPLIER

TOO_BIG = str(2**63)  # one above what SQLite holds
MANY_DIGITS = "1" * 4301  # int() refuses more than 4300 digits
SUPERSCRIPT_TWO = "²"  # '²'.isdigit() is True; int('²') raises


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def problem(response: Any, status: int, parameter: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["detail"]
    if parameter is not None:
        assert body.get("parameter") == parameter or parameter in body["detail"], body
    return body


# --- integers that SQLite cannot hold, Unicode digits, too many digits ---


@pytest.mark.parametrize("value", [TOO_BIG, SUPERSCRIPT_TWO, MANY_DIGITS, "0", "1001", "-1", " 5", "1_0"])
def test_per_page_outside_its_range_or_not_ascii_digits_is_400(client: TestClient, value: str) -> None:
    problem(client.get("/events", params={"perPage": value}), 400, "perPage")


@pytest.mark.parametrize("path", ["/export/events", "/export/batches"])
@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("after", TOO_BIG),
        ("after", SUPERSCRIPT_TWO),
        ("after", MANY_DIGITS),
        ("limit", SUPERSCRIPT_TWO),
        ("limit", TOO_BIG),
    ],
)
def test_export_page_parameters_beyond_the_database_are_400(
    client: TestClient, tokens: dict[str, str], path: str, parameter: str, value: str
) -> None:
    problem(client.get(path, params={parameter: value}, headers=auth(tokens["regulator"])), 400, parameter)


def test_the_largest_id_the_database_holds_is_a_valid_cursor(client: TestClient, tokens: dict[str, str]) -> None:
    answer = client.get("/export/events", params={"after": str(INT64_MAX)}, headers=auth(tokens["regulator"]))
    assert answer.status_code == 200 and answer.json()["items"] == []


def test_credentials_of_a_recognition_beyond_the_database_is_a_4xx(client: TestClient) -> None:
    problem(client.get("/credentials", params={"recognition": TOO_BIG}), 422, "recognition")
    assert client.get("/credentials", params={"recognition": str(INT64_MAX)}).json() == {"credentials": []}


@pytest.mark.parametrize("path", ["/qr/bulk.zip", "/qr/labels"])
def test_bulk_qr_offset_beyond_the_database_is_a_4xx(client: TestClient, tokens: dict[str, str], path: str) -> None:
    issued = client.post(
        "/qr/issue", json={"gtin": GTIN, "lot": "L1", "serials": ["1"]}, headers=auth(tokens["manufacturer"])
    )
    assert issued.status_code == 201, issued.text
    params = {"gtin": GTIN, "lot": "L1", "offset": TOO_BIG}
    problem(client.get(path, params=params, headers=auth(tokens["manufacturer"])), 422, "offset")


@pytest.mark.parametrize("reference", [2**63, str(2**63), 2**64 - 1, "9" * 5000])
def test_a_capture_citing_a_recognition_beyond_the_database_refuses_the_event(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], reference: Any
) -> None:
    event = object_event("E-rec", biz_step="shipping", **{"sc:recognition": reference})
    headers = {**auth(tokens["supplier"]), "Content-Type": "application/ld+json", "Prefer": "return=representation"}
    answer = client.post("/capture", content=signed_document(keys[SUPPLIER], [event]), headers=headers)
    assert answer.status_code == 200, answer.text
    outcome = answer.json()["events"][0]
    assert (outcome["status"], outcome["reason"]) == ("REJECTED", "malformed_recognition_reference")
    assert len(outcome["detail"]) < 200


def test_recognition_ids_up_to_uint256_are_looked_up_and_beyond_refused(client: TestClient) -> None:
    problem(client.get(f"/registry/recognitions/{UINT256_MAX}"), 404)
    problem(client.get(f"/registry/recognitions/{2**63}"), 404)
    problem(client.get(f"/registry/recognitions/{UINT256_MAX + 1}"), 422, "recognition_id")
    problem(client.get(f"/registry/recognitions/{SUPERSCRIPT_TWO}"), 422, "recognition_id")


def test_parse_int_takes_ascii_digits_within_the_range() -> None:
    assert parse_int("0", "n") == 0
    assert parse_int(str(INT64_MAX), "n") == INT64_MAX
    assert parse_int("007", "n", minimum=1, maximum=10) == parse_int("0" * 50 + "7", "n") == 7
    for text in (TOO_BIG, SUPERSCRIPT_TWO, MANY_DIGITS, "1" * 5000, "", " 1", "+1", "-1", "1.0", "١", "0x1"):
        with pytest.raises(BadParameterError, match=r"^n: expected an integer 0\.\."):
            parse_int(text, "n")


@pytest.mark.parametrize(
    "path",
    [
        "/events/%FF",
        "/events/%zz",
        f"/01/{GTIN}/10/LOT%FF",
        f"/01/{GTIN}/21/%C3%28",
        "/capture/%FF",
        "/credentials/%FF",
        "/registry/recognitions/%FF",
        "/recognitions/%FF/impact",
        "/organisations/%FF/suppliers",
        "/%FF",
        "/events?perPage=%FF",
        "/events?perPage=%",
        "/trace/backward?id=%C3%28",
        "/bundles?id=%zz",
    ],
)
def test_malformed_percent_encoding_is_a_4xx(client: TestClient, tokens: dict[str, str], path: str) -> None:
    answer = client.get(path, headers={**auth(tokens["manufacturer"]), "Accept": "application/json"})
    assert 400 <= answer.status_code < 500, answer.text


# --- page tokens ---


def _token(after: int, digest: str = "x") -> str:
    raw = json.dumps({"after": after, "q": digest}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _stored(client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], count: int) -> None:
    events = [object_event(f"T{i}", biz_step="receiving") for i in range(count)]
    headers = {**auth(tokens["supplier"]), "Content-Type": "application/ld+json"}
    assert client.post("/capture", content=signed_document(keys[SUPPLIER], events), headers=headers).status_code == 202


def test_page_tokens_are_signed_and_a_forged_one_is_400(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    _stored(client, tokens, keys, 3)
    first = client.get("/events", params={"perPage": "2"})
    assert first.status_code == 200
    issued = first.json()["sc:nextPageToken"]
    second = client.get("/events", params={"perPage": "2", "nextPageToken": issued})
    assert (
        second.status_code == 200 and len(second.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    )
    digest = json.loads(base64.urlsafe_b64decode(issued + "=" * (-len(issued) % 4))[:-16])["q"]
    for forged in (_token(2**63, digest), _token(0, digest), _token(1, digest), issued[:-2] + "AA", "x" * 600, "é"):
        problem(client.get("/events", params={"perPage": "2", "nextPageToken": forged}), 400, "nextPageToken")


def test_a_token_of_another_platform_is_refused(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    _stored(client, tokens, keys, 3)
    issued = client.get("/events", params={"perPage": "1"}).json()["sc:nextPageToken"]
    platform.__dict__["page_key"] = b"another platform's key".ljust(32, b".")
    problem(client.get("/events", params={"perPage": "1", "nextPageToken": issued}), 400, "nextPageToken")


# --- work bounded by what is accepted ---


def test_a_capture_of_refused_events_stores_a_compact_outcome(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    count = 3_000
    signed = json.loads(signed_document(keys[SUPPLIER], [object_event("OK-1", biz_step="receiving")]))
    signed["epcisBody"]["eventList"] += [object_event(f"U{i}") for i in range(count)]  # no signatures
    headers = {**auth(tokens["supplier"]), "Content-Type": "application/ld+json", "Prefer": "return=representation"}
    headers["GS1-Capture-Error-Behaviour"] = "proceed"  # the valid event is stored (the default rolls back)
    answer = client.post("/capture", content=json.dumps(signed).encode(), headers=headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["totalCount"], body["acceptedCount"], body["rejectedCount"]) == (count + 1, 1, count)
    assert len(body["errors"]) == MAX_LISTED_PROBLEMS + 1  # one per listed refusal, one counting the rest
    assert len(body["events"]) == 1 + MAX_LISTED_PROBLEMS
    assert body["events"][0]["status"] == "ACCEPTED" and body["events"][0]["receipt"]
    assert [e["index"] for e in body["events"][1:]] == list(range(1, MAX_LISTED_PROBLEMS + 1))
    assert body["unlisted"] == {"count": count - MAX_LISTED_PROBLEMS, "byReason": {"missing_signature": 2_900}}
    with platform.session() as session:
        row = session.exec(select(Capture).where(Capture.id == body["captureID"])).one()
    assert len(row.outcome) < 40_000  # was one entry per refused event: ~200 bytes each (600 KB here)
    stored = client.get(f"/capture/{body['captureID']}", headers=auth(tokens["supplier"])).json()
    assert stored == body


def test_options_capture_announces_the_limits_from_the_settings(platform: Platform) -> None:
    platform.settings.max_capture_bytes = 200_000
    with TestClient(create_app(platform=platform)) as client:
        options = client.options("/capture")
        assert options.status_code == 204
        assert options.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "200000"
        assert options.headers["SC-Max-Listed-Problems"] == str(MAX_LISTED_PROBLEMS)
        big = client.post("/capture", content=b" " * 200_001, headers={"Content-Type": "application/ld+json"})
        assert problem(big, 413)["maximum"] == 200_000
        assert client.app.openapi()["paths"]["/capture"]["post"]["x-max-body-bytes"] == 200_000  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["/qr/bulk.zip", "/qr/labels"])
def test_bulk_qr_has_a_small_default_and_a_hard_maximum(
    client: TestClient, platform: Platform, tokens: dict[str, str], path: str
) -> None:
    body = {"gtin": GTIN, "lot": "BULK", "serialStart": 1, "serialEnd": 150}
    assert client.post("/qr/issue", json=body, headers=auth(tokens["manufacturer"])).status_code == 201
    params: dict[str, Any] = {"gtin": GTIN, "lot": "BULK", "format": "svg"}
    default = client.get(path, params=params, headers=auth(tokens["manufacturer"]))
    assert default.status_code == 200 and default.headers["X-Code-Count"] == "100"
    paged = client.get(path, params={**params, "offset": 100}, headers=auth(tokens["manufacturer"]))
    assert paged.headers["X-Code-Count"] == "50"
    maximum = platform.settings.max_bulk_codes
    assert maximum == 10_000
    over = client.get(path, params={**params, "limit": maximum + 1}, headers=auth(tokens["manufacturer"]))
    assert "max_bulk_codes" in problem(over, 400, "limit")["detail"]
