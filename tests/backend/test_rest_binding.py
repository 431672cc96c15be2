"""The EPCIS 2.0 REST binding's capture interface: ``POST /events`` (one bare event, its signature in a header),
``GS1-Capture-Error-Behaviour`` (default ``rollback``), capture jobs (``GET /capture``, ``GET /capture/{id}``) and the
``OPTIONS`` discovery answers, against real HTTP, a real SQLite file and the in-process chain."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from backend.services.capture import parse_signature_header
from backend.services.platform import Platform
from supplychain.epcis.single import single_event_document
from supplychain.eventhash import hash_document
from supplychain.receipt import verify_receipt
from supplychain.signing import SigningKey, encode_signature, sign_hash_id
from tests.backend.documents import CONTEXT, object_event, signed_document
from tests.chains import MANUFACTURER, SUPPLIER

OPENEPCIS = "openepcis/2.0/EPCIS"
ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


def bare(serial: str, **extra: Any) -> dict[str, Any]:
    """One bare event as the binding sends it: the event object with its own ``@context``."""
    return {"@context": CONTEXT, **object_event(serial, **extra)}


def event_hash(event: dict[str, Any]) -> str:
    (hash_id,) = hash_document(json.dumps(single_event_document(json.dumps(event).encode())).encode())
    return hash_id


def signature_header(key: SigningKey, event: dict[str, Any], *, hash_id: str | None = None) -> str:
    hash_id = hash_id or event_hash(event)
    signed = encode_signature(sign_hash_id(key, hash_id))
    return f'keyId="{key.key_id}", eventHashId="{hash_id}", signature="{signed}"'


def post_event(
    client: TestClient, token: str, event: Any, signature: str | None, *, media: str = "application/ld+json", **h: str
) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": media, **h}
    if signature is not None:
        headers["SC-Event-Signature"] = signature
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    return client.post("/events", content=body, headers=headers)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- POST /events --------------------------------------------------------------------------------------------------


def test_one_signed_event_is_created_with_its_location_and_receipt(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    event = bare("E1")
    response = post_event(client, tokens["manufacturer"], event, signature_header(keys[MANUFACTURER], event))
    assert response.status_code == 201, response.text
    hash_id = event_hash(event)
    assert response.headers["Location"] == "/events/" + quote(hash_id, safe="")
    assert (response.headers["GS1-EPCIS-Version"], response.headers["GS1-CBV-Version"]) == ("2.0.0", "2.0.0")
    body = response.json()
    assert (body["eventHashId"], body["status"]) == (hash_id, "ACCEPTED")
    verify_receipt(body["receipt"], platform.receipt_key.public_key_bytes)
    stored = client.get(response.headers["Location"])
    assert stored.status_code == 200
    assert stored.json()["event"] == event  # as sent, with its own @context
    job = client.get(f"/capture/{body['captureID']}", headers=auth(tokens["manufacturer"])).json()
    assert (job["running"], job["success"], job["captureErrorBehaviour"], job["errors"]) == (
        False,
        True,
        "rollback",
        [],
    )


def test_the_same_event_again_is_409_with_the_stored_events_location(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    event = bare("E2")
    header = signature_header(keys[MANUFACTURER], event)
    assert post_event(client, tokens["manufacturer"], event, header).status_code == 201
    again = post_event(client, tokens["manufacturer"], event, header)
    assert again.status_code == 409
    problem = again.json()
    assert problem["location"] == "/events/" + quote(event_hash(event), safe="")
    assert problem["eventHashId"] == event_hash(event)


@pytest.mark.parametrize(
    ("header", "says"),
    [
        (None, "required"),
        ("", "expected name"),
        ('keyId="0x00"', "missing eventHashId, signature"),
        ('keyId="a", keyId="b", eventHashId="c", signature="d"', "given twice"),
        ('keyId="a", eventHashId="c", signature="d", alg="ed25519"', "unknown member 'alg'"),
        ("keyId=0x00, eventHashId=x, signature=y", "expected name"),
        ('keyId="a\\"b", eventHashId="c", signature="d"', "expected name"),
    ],
)
def test_a_missing_or_malformed_signature_header_is_a_400_naming_it(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], header: str | None, says: str
) -> None:
    response = post_event(client, tokens["manufacturer"], bare("H1"), header)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["header"] == "SC-Event-Signature"
    assert says in problem["detail"]


def test_a_signature_of_another_hash_names_both_and_stores_nothing(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    event, other = bare("M1"), bare("M2")
    response = post_event(client, tokens["manufacturer"], event, signature_header(keys[MANUFACTURER], other))
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith("/signature-hash-mismatch")
    assert event_hash(other) in problem["detail"] and problem["eventHashId"] == event_hash(event)
    assert client.get("/events/" + quote(event_hash(event), safe="")).status_code == 404


@pytest.mark.parametrize(
    ("signer", "token", "reason"),
    [
        ("wrong", "manufacturer", "bad_signature"),
        (SUPPLIER, "manufacturer", "key_of_another_organisation"),
        ("unknown", "manufacturer", "unknown_key"),
    ],
)
def test_a_refused_signature_is_a_400_with_our_reason_and_capture_job(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], signer: str, token: str, reason: str
) -> None:
    event = bare(f"R-{reason}")
    hash_id = event_hash(event)
    if signer == "wrong":  # the manufacturer's key over another event's hash, claimed for this one
        forged = encode_signature(sign_hash_id(keys[MANUFACTURER], event_hash(bare("other"))))
        header = f'keyId="{keys[MANUFACTURER].key_id}", eventHashId="{hash_id}", signature="{forged}"'
    elif signer == "unknown":
        header = signature_header(SigningKey.from_private_bytes(b"\x09" * 32), event)
    else:
        header = signature_header(keys[signer], event)
    response = post_event(client, tokens[token], event, header)
    assert response.status_code == 400
    problem = response.json()
    assert (problem["reason"], problem["eventHashId"]) == (reason, hash_id)
    assert problem["type"].endswith("/event-refused")
    job = client.get(f"/capture/{problem['captureID']}", headers=auth(tokens[token])).json()
    assert (job["success"], [e["reason"] for e in job["errors"]]) == (False, [reason])
    assert client.get("/events/" + quote(hash_id, safe="")).status_code == 404


@pytest.mark.parametrize(
    ("body", "media", "status", "says"),
    [
        (b"{not json", "application/json", 400, "JSON"),
        (b"[]", "application/json", 400, "a single event is a JSON object"),
        (b'"ObjectEvent"', "application/json", 400, "a single event is a JSON object"),
        (
            json.dumps({"@context": CONTEXT, "type": "EPCISDocument", "schemaVersion": "2.0"}).encode(),
            "application/json",
            400,
            "got an EPCISDocument",
        ),
        (json.dumps({"@context": CONTEXT, "type": "ObjectEvent"}).encode(), "application/json", 400, "eventTime"),
        (b"<ObjectEvent/>", "application/xml", 415, "application/json"),
        (b"{}", "text/plain", 415, "text/plain"),
        (b"[" * 200 + b"]" * 200, "application/json", 400, "deep"),
        (b"\xff\xfe{}", "application/json", 400, "UTF-8"),
    ],
)
def test_malformed_bodies_are_problems_naming_what_is_wrong(
    client: TestClient, tokens: dict[str, str], body: bytes, media: str, status: int, says: str
) -> None:
    response = post_event(
        client, tokens["manufacturer"], body, 'keyId="a", eventHashId="b", signature="c"', media=media
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert says in response.text


def test_an_oversized_event_is_413_before_it_is_read(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    event = bare("BIG", **{"sc:note": "x" * (platform.settings.max_body_bytes + 1)})
    response = post_event(client, tokens["manufacturer"], event, 'keyId="a", eventHashId="b", signature="c"')
    assert response.status_code == 413
    assert response.json()["maximum"] == platform.settings.max_body_bytes
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "1"  # the binding's 413 names the limits
    assert response.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(platform.settings.max_body_bytes)


def test_a_capture_beyond_a_limit_is_413_naming_it_as_the_binding_does(platform: Platform) -> None:
    from backend.api.app import create_app

    platform.settings.max_capture_bytes = 20_000
    token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
    headers = {**auth(token), "Content-Type": "application/ld+json"}
    with TestClient(create_app(platform=platform)) as client:
        edge = client.post("/capture", content=b" " * 20_001, headers=headers)
        assert edge.status_code == 413
        assert edge.headers["GS1-EPCIS-Capture-File-Size-Limit"] == "20000"
        assert edge.headers["GS1-EPCIS-Capture-Limit"] == "100000"
        other = client.post("/recalls", content=b" " * 2_000_000, headers=headers)
        assert other.status_code == 413 and "GS1-EPCIS-Capture-Limit" not in other.headers


def test_tokens_and_versions_are_checked(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    event = bare("T1")
    header = signature_header(keys[MANUFACTURER], event)
    assert client.post("/events", content=json.dumps(event)).status_code == 401
    assert post_event(client, "nope", event, header).status_code == 401
    assert post_event(client, tokens["regulator"], event, header).status_code == 403
    old = post_event(client, tokens["manufacturer"], event, header, **{"GS1-EPCIS-Version": "1.2"})
    assert (old.status_code, old.json()["header"]) == (400, "GS1-EPCIS-Version")
    cbv = post_event(client, tokens["manufacturer"], event, header, **{"GS1-CBV-Version": "2.x"})
    assert (cbv.status_code, cbv.json()["header"]) == (400, "GS1-CBV-Version")
    fine = post_event(client, tokens["manufacturer"], event, header, **{"GS1-EPCIS-Version": "2.0.0"})
    assert fine.status_code == 201


def _openepcis_events(vectors_dir: Path) -> list[Path]:
    found = sorted((vectors_dir / OPENEPCIS / "JSON" / "Capture" / "Events").glob("*.json"))
    assert len(found) == 5
    return found


def test_openepcis_bare_events_are_read_and_reach_the_signature_checks(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], vectors_dir: Path
) -> None:
    # As published (2005 event times): read, hashed, signature good, then refused only because the key registered
    # today was not valid in 2005; never a format refusal.
    for path in _openepcis_events(vectors_dir):
        event = json.loads(path.read_text(encoding="utf-8"))
        response = post_event(client, tokens["manufacturer"], event, signature_header(keys[MANUFACTURER], event))
        assert response.status_code == 400, (path.name, response.text)
        assert response.json()["reason"] == "key_not_valid_at_event_time", path.name


def test_openepcis_bare_events_of_today_are_captured(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], vectors_dir: Path
) -> None:
    # The event time moved to now (the key must be valid then); the rest as published. The rail TransactionEvent's
    # bizStep 'transporting' is for logistics organisations only (our policy, supplychain.epcis.cbv.BIZSTEP_ROLES).
    now = object_event("x")["eventTime"]
    policy = {"TransactionEvent.json": "biz_step_not_allowed"}
    for path in _openepcis_events(vectors_dir):
        event = json.loads(path.read_text(encoding="utf-8")) | {"eventTime": now}
        response = post_event(client, tokens["manufacturer"], event, signature_header(keys[MANUFACTURER], event))
        if path.name in policy:
            assert (response.status_code, response.json()["reason"]) == (400, policy[path.name])
            continue
        assert response.status_code == 201, (path.name, response.text)
        assert client.get(response.headers["Location"]).json()["event"] == event


def test_the_signature_header_parser_reads_the_three_members() -> None:
    value = 'keyId="0xab", eventHashId="ni:///sha-256;00?ver=CBV2.0",signature="c2ln"'
    assert parse_signature_header(value) == {
        "keyId": "0xab",
        "eventHashId": "ni:///sha-256;00?ver=CBV2.0",
        "signature": "c2ln",
    }


# --- POST /capture: GS1-Capture-Error-Behaviour --------------------------------------------------------------------


def _mixed(keys: dict[str, SigningKey], tag: str) -> bytes:
    """A document of one good event and one whose signature is another's: one refusal."""
    good, bad = object_event(f"{tag}-good"), object_event(f"{tag}-bad")
    doc = json.loads(signed_document(keys[MANUFACTURER], [good, bad]))
    entries = doc["epcisHeader"]["sc:signatures"]
    entries[1]["signature"] = entries[0]["signature"]
    return json.dumps(doc).encode()


def capture(client: TestClient, token: str, body: bytes, **headers: str) -> Any:
    h = {**auth(token), "Content-Type": "application/ld+json", "Prefer": "return=representation", **headers}
    return client.post("/capture", content=body, headers=h)


def test_capture_rolls_back_by_default_as_the_binding_says(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    response = capture(client, tokens["manufacturer"], _mixed(keys, "RB"))
    assert response.status_code == 200
    job = response.json()
    assert (job["status"], job["acceptedCount"], job["rolledBack"]) == ("REJECTED", 0, True)
    assert (job["running"], job["success"], job["captureErrorBehaviour"]) == (False, False, "rollback")
    assert [e["reason"] for e in job["events"]] == ["rolled_back", "bad_signature"]
    (error,) = job["errors"]  # the refusal itself; the rolled-back event is its consequence
    assert (error["type"], error["title"], error["status"], error["index"]) == (
        "https://supplychain.dev/problems/event-refused",
        "Event refused",
        400,
        1,
    )
    assert error["reason"] == "bad_signature" and "bad_signature" in error["detail"]
    assert ISO_MS.fullmatch(job["createdAt"]) and ISO_MS.fullmatch(job["finishedAt"])
    assert job["finishedAt"] >= job["createdAt"]
    assert client.get("/events", params={"organisation": MANUFACTURER}).json()["sc:eventMetadata"] == []


def test_a_rolled_back_bulk_document_still_names_the_event_that_was_wrong(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    events = [object_event(f"BULK-{n}") for n in range(150)] + [object_event("BULK-bad", biz_step="retail_selling")]
    job = capture(client, tokens["manufacturer"], signed_document(keys[MANUFACTURER], events)).json()
    assert (job["status"], job["rejectedCount"]) == ("REJECTED", 151)
    (error,) = job["errors"]
    assert (error["index"], error["reason"]) == (150, "biz_step_not_allowed")
    listed = [e["index"] for e in job["events"]]
    assert listed == [*range(99), 150]  # document order: the cause, and the first 99 rolled back
    assert job["unlisted"] == {"count": 51, "byReason": {"rolled_back": 51}}


def test_proceed_stores_the_valid_events(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    response = capture(client, tokens["manufacturer"], _mixed(keys, "PR"), **{"GS1-Capture-Error-Behaviour": "proceed"})
    job = response.json()
    assert (job["status"], job["acceptedCount"], job["rejectedCount"]) == ("PARTIALLY_ACCEPTED", 1, 1)
    assert (job["success"], job["captureErrorBehaviour"], len(job["errors"])) == (False, "proceed", 1)
    stored = client.get(response.headers["Location"], headers=auth(tokens["manufacturer"])).json()
    assert stored == job


@pytest.mark.parametrize("value", ["all", "ROLLBACK-ish", "", "proceed,rollback"])
def test_a_bad_error_behaviour_is_a_400_naming_the_header(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], value: str
) -> None:
    response = capture(client, tokens["manufacturer"], _mixed(keys, "BH"), **{"GS1-Capture-Error-Behaviour": value})
    assert response.status_code == 400
    assert response.json()["header"] == "GS1-Capture-Error-Behaviour"


def test_the_202_answer_carries_location_and_versions(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    h = {**auth(tokens["manufacturer"]), "Content-Type": "application/ld+json"}
    response = client.post("/capture", content=signed_document(keys[MANUFACTURER], [object_event("L1")]), headers=h)
    assert response.status_code == 202
    assert response.headers["Location"] == f"/capture/{response.json()['captureID']}"
    assert response.headers["GS1-EPCIS-Version"] == "2.0.0"


# --- capture jobs ------------------------------------------------------------------------------------------------


def test_capture_jobs_are_listed_newest_first_page_by_page(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    ids = []
    for n in range(5):
        body = signed_document(keys[MANUFACTURER], [object_event(f"J{n}")])
        ids.append(capture(client, tokens["manufacturer"], body).json()["captureID"])
    ids.append(capture(client, tokens["manufacturer"], _mixed(keys, "J")).json()["captureID"])
    capture(client, tokens["supplier"], signed_document(keys[SUPPLIER], [object_event("S", biz_step="shipping")]))
    seen: list[dict[str, Any]] = []
    response = client.get("/capture", params={"perPage": 2}, headers=auth(tokens["manufacturer"]))
    while True:
        assert response.status_code == 200
        seen += response.json()
        link = response.headers.get("Link")
        if link is None:
            break
        assert link.endswith('>; rel="next"')
        response = client.get(link[1 : link.index(">")], headers=auth(tokens["manufacturer"]))
    assert [j["captureID"] for j in seen] == ids[::-1]  # only ours, newest first
    newest = seen[0]
    assert (newest["running"], newest["success"], newest["captureErrorBehaviour"]) == (False, False, "rollback")
    assert newest["errors"][0]["title"] == "Events refused" and ids[-1] in newest["errors"][0]["detail"]
    assert all(j["success"] and j["errors"] == [] for j in seen[1:])
    assert client.get("/capture", headers=auth(tokens["manufacturer"])).json() == seen  # default page holds all


def test_capture_job_pages_refuse_forged_and_foreign_tokens(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    for n in range(2):
        capture(client, tokens["manufacturer"], signed_document(keys[MANUFACTURER], [object_event(f"F{n}")]))
    first = client.get("/capture", params={"perPage": 1}, headers=auth(tokens["manufacturer"]))
    link = first.headers["Link"]
    token = link[link.index("nextPageToken=") + len("nextPageToken=") : link.index(">")]
    foreign = client.get("/capture", params={"nextPageToken": token}, headers=auth(tokens["supplier"]))
    assert (foreign.status_code, foreign.json()["parameter"]) == (400, "nextPageToken")
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    for bad in (forged, "x", "1.2.3", "9" * 19 + "." + "a" * 32 + "." + "b" * 32):
        answer = client.get("/capture", params={"nextPageToken": bad}, headers=auth(tokens["manufacturer"]))
        assert (answer.status_code, answer.json()["parameter"]) == (400, "nextPageToken")
    for size in ("0", "101", "ten"):
        answer = client.get("/capture", params={"perPage": size}, headers=auth(tokens["manufacturer"]))
        assert (answer.status_code, answer.json()["parameter"]) == (400, "perPage")
    assert client.get("/capture").status_code == 401
    assert client.get("/capture", headers=auth(tokens["regulator"])).status_code == 403


def test_unknown_and_foreign_capture_ids_are_404(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    job = capture(client, tokens["manufacturer"], signed_document(keys[MANUFACTURER], [object_event("U1")])).json()
    for capture_id, token in ((job["captureID"], "supplier"), ("0" * 32, "manufacturer"), ("%00", "manufacturer")):
        response = client.get(f"/capture/{capture_id}", headers=auth(tokens[token]))
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_a_job_stored_before_the_binding_fields_gets_them_from_its_columns(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    job = capture(
        client, tokens["manufacturer"], _mixed(keys, "OLD"), **{"GS1-Capture-Error-Behaviour": "proceed"}
    ).json()
    old = {k: v for k, v in job.items() if k not in {"createdAt", "finishedAt", "running", "success", "errors"}}
    del old["captureErrorBehaviour"]
    with platform.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE capture SET outcome = ?, error_behaviour = NULL, finished_at = NULL WHERE id = ?",
            (json.dumps(old), job["captureID"]),
        )
    again = client.get(f"/capture/{job['captureID']}", headers=auth(tokens["manufacturer"])).json()
    assert (again["success"], again["captureErrorBehaviour"], again["finishedAt"]) == (
        False,
        "proceed",
        again["createdAt"],
    )
    assert [e["reason"] for e in again["errors"]] == ["bad_signature"]


# --- OPTIONS -------------------------------------------------------------------------------------------------------


def test_options_answer_204_with_the_binding_headers_from_the_real_limits(client: TestClient) -> None:
    settings = client.app.state.platform.settings  # type: ignore[attr-defined]
    capture_options = client.options("/capture")
    assert (capture_options.status_code, capture_options.content) == (204, b"")
    h = capture_options.headers
    assert h["Allow"] == "OPTIONS, POST, GET"
    assert (h["GS1-EPCIS-Version"], h["GS1-CBV-Version"]) == ("2.0.0", "2.0.0")
    assert h["GS1-EPCIS-Capture-Limit"] == "100000"
    assert h["GS1-EPCIS-Capture-File-Size-Limit"] == str(settings.max_capture_bytes)
    assert h["GS1-Capture-Error-Behaviour"] == "all"
    assert "application/ld+json" in h["Accept-Post"]
    events = client.options("/events")
    assert (events.status_code, events.headers["Allow"]) == (204, "OPTIONS, GET, POST")
    assert events.headers["GS1-EPCIS-Capture-Limit"] == "1"
    assert events.headers["GS1-EPCIS-Capture-File-Size-Limit"] == str(settings.max_body_bytes)
    for path in ("/capture/" + "0" * 32, "/events/ni%3A%2F%2F%2Fsha-256%3Bab"):
        one = client.options(path)
        assert (one.status_code, one.headers["Allow"], one.content) == (204, "OPTIONS, GET", b"")
        assert "GS1-EPCIS-Capture-Limit" not in one.headers
    root = client.options("/")
    assert (root.status_code, root.headers["Allow"], root.headers["GS1-EPCIS-Version"]) == (204, "OPTIONS", "2.0.0")


def test_the_header_supplychain_keys_sign_prints_is_accepted(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], tmp_path: Path, monkeypatch: Any
) -> None:
    from typer.testing import CliRunner

    from cli.keys_cmd import app
    from supplychain.signing import encrypt_private_key

    monkeypatch.setenv("SC_TEST_PASSPHRASE", "secret")
    key_file = tmp_path / "manufacturer.key"
    key_file.write_bytes(encrypt_private_key(keys[MANUFACTURER], "secret", scrypt_n=2**14))
    event = bare("CLI-1")
    source = tmp_path / "event.jsonld"
    source.write_text(json.dumps(event, ensure_ascii=False), encoding="utf-8")
    signed = CliRunner().invoke(
        app, ["sign", str(source), "-k", str(key_file), "--event-header", "--passphrase-env", "SC_TEST_PASSPHRASE"]
    )
    assert signed.exit_code == 0, signed.stderr
    response = post_event(client, tokens["manufacturer"], source.read_bytes(), signed.stdout.strip())
    assert response.status_code == 201, response.text


def test_an_invalid_event_names_each_problem_at_its_place_in_the_event(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    event = bare("P1", bizStep="shiping", readPoint={"id": "not a uri"})
    response = post_event(client, tokens["manufacturer"], event, signature_header(keys[MANUFACTURER], bare("P1")))
    assert response.status_code == 400
    problem = response.json()
    assert problem["type"].endswith("/invalid-epcis")
    paths = {p["path"] for p in problem["problems"]}
    assert {"bizStep", "readPoint.id"} <= paths, paths


def test_0010_keeps_the_jobs_stored_before_and_lists_them_by_an_index(tmp_path: Path) -> None:
    from alembic import command
    from sqlalchemy import text

    from backend.core.db import alembic_config, make_engine, migrate

    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0008")
        connection.execute(
            text(
                "INSERT INTO capture (id, org_id, received_at, status, total, accepted, duplicates, rejected, outcome)"
                " VALUES ('c1', :org, 1700000000000, 'PARTIALLY_ACCEPTED', 2, 1, 0, 1, '{}')"
            ),
            {"org": MANUFACTURER},
        )
    migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT id, error_behaviour, finished_at FROM capture")).one()
        plan = " ".join(
            str(r[-1])
            for r in connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM capture WHERE org_id = 'x'"
                    " ORDER BY received_at DESC, id DESC LIMIT 31"
                )
            )
        )
    assert tuple(row) == ("c1", None, None)
    assert "ix_capture_org_received" in plan and "TEMP B-TREE" not in plan, plan
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")
    with engine.connect() as connection:
        columns = [r[1] for r in connection.execute(text("PRAGMA table_info(capture)"))]
    engine.dispose()
    assert "error_behaviour" not in columns and "outcome" in columns
