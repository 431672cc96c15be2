"""POST /capture: signed events accepted, every refusal reason reported, duplicates idempotent, receipts signed."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.services.platform import Platform
from chain.accounts import dev_account
from supplychain.receipt import verify_receipt
from supplychain.registry import ReasonCode
from supplychain.signing import SigningKey, encode_signature, sign_hash_id
from tests.backend.documents import document, envelopes, hash_of, object_event, signed_document
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER

JSONLD = "application/ld+json"


def post(client: TestClient, token: str, body: bytes, media: str = JSONLD, **headers: str) -> Any:
    return client.post(
        "/capture",
        content=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": media,
            "Prefer": "return=representation",
            **headers,
        },
    )


def test_signed_events_are_accepted_with_receipts(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    events = [object_event(f"S{i}") for i in range(3)]
    response = post(client, tokens["manufacturer"], signed_document(keys[MANUFACTURER], events))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["acceptedCount"], body["rejectedCount"]) == ("ACCEPTED", 3, 0)
    assert [e["eventHashId"] for e in body["events"]] == [hash_of(e) for e in events]
    for outcome in body["events"]:
        receipt = outcome["receipt"]
        verify_receipt(receipt, platform.receipt_key.public_key_bytes)
        assert receipt["organisationId"] == MANUFACTURER
        assert receipt["anchorBy"] == receipt["receivedAt"] + platform.settings.anchor_deadline_seconds * 1000
    again = client.get(response.headers["Location"], headers={"Authorization": f"Bearer {tokens['manufacturer']}"})
    assert again.json() == body


def test_async_capture_answers_202_with_a_location(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    auth = {"Authorization": f"Bearer {tokens['manufacturer']}", "Content-Type": JSONLD}
    response = client.post("/capture", content=signed_document(keys[MANUFACTURER], [object_event("A1")]), headers=auth)
    assert response.status_code == 202
    outcome = client.get(response.headers["Location"], headers=auth)
    assert outcome.status_code == 200
    assert outcome.json()["acceptedCount"] == 1
    other = client.get(response.headers["Location"], headers={"Authorization": f"Bearer {tokens['supplier']}"})
    assert other.status_code == 404  # another organisation's capture is not shown


def test_the_same_event_twice_is_a_duplicate_and_stored_once(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    doc = signed_document(keys[MANUFACTURER], [object_event("D1")])
    first = post(client, tokens["manufacturer"], doc).json()
    second = post(client, tokens["manufacturer"], doc).json()
    assert (first["acceptedCount"], second["duplicateCount"], second["acceptedCount"]) == (1, 1, 0)
    assert "receipt" not in second["events"][0]
    twice = signed_document(keys[MANUFACTURER], [object_event("D2")] * 2)
    assert [e["status"] for e in post(client, tokens["manufacturer"], twice).json()["events"]] == [
        "ACCEPTED",
        "DUPLICATE",
    ]


def test_envelopes_are_accepted_too(client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]) -> None:
    body = envelopes(
        keys[SUPPLIER], SUPPLIER, [object_event("E1", biz_step="receiving"), object_event("E2", biz_step="receiving")]
    )
    response = post(client, tokens["supplier"], body, media="application/vnd.supplychain.signed-events+json")
    assert response.json()["acceptedCount"] == 2


def refusal(client: TestClient, token: str, body: bytes) -> tuple[str, str]:
    outcome = post(client, token, body).json()["events"][0]
    return outcome["status"], outcome.get("reason", "")


def test_every_refusal_reason(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    key, token = keys[MANUFACTURER], tokens["manufacturer"]
    event = object_event("R1")
    assert refusal(client, token, document([event], [])) == ("REJECTED", "missing_signature")
    bad_key_id = [{"eventHashId": hash_of(event), "keyId": "0x12", "signature": "x"}]
    assert refusal(client, token, document([event], bad_key_id)) == ("REJECTED", "malformed_signature")
    stranger = SigningKey.from_private_bytes(b"\x09" * 32)
    assert refusal(client, token, signed_document(stranger, [event])) == ("REJECTED", "unknown_key")
    assert refusal(client, token, signed_document(keys[SUPPLIER], [event])) == (
        "REJECTED",
        "key_of_another_organisation",
    )
    forged = [
        {
            "eventHashId": hash_of(event),
            "keyId": key.key_id,
            "signature": encode_signature(sign_hash_id(key, hash_of(object_event("other")))),
        }
    ]
    assert refusal(client, token, document([event], forged)) == ("REJECTED", "bad_signature")
    retail_step = object_event("R2", biz_step="retail_selling")
    assert refusal(client, token, signed_document(key, [retail_step])) == ("REJECTED", "biz_step_not_allowed")
    future = object_event("R3", at_ms=int(time.time() * 1000) + 3_600_000)
    assert refusal(client, token, signed_document(key, [future])) == ("REJECTED", "event_in_future")
    before_key = object_event("R4", at_ms=1_000_000_000_000)  # 2001: before the key was registered
    assert refusal(client, token, signed_document(key, [before_key])) == ("REJECTED", "key_not_valid_at_event_time")
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    regulator.revoke_key(key.public_key_bytes, ReasonCode.KEY_COMPROMISED)
    regulator.suspend_organisation(RETAILER, ReasonCode.QUALITY_INCIDENT)
    platform.registry.refresh(force=True)
    assert refusal(client, token, signed_document(key, [object_event("R5")])) == ("REJECTED", "key_revoked")
    sold = object_event("R6", biz_step="retail_selling")
    assert refusal(client, tokens["retailer"], signed_document(keys[RETAILER], [sold])) == (
        "REJECTED",
        "organisation_suspended",
    )


def test_proceed_keeps_the_valid_events_and_rollback_stores_nothing(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    key, token = keys[MANUFACTURER], tokens["manufacturer"]
    good, bad = object_event("P1"), object_event("P2", biz_step="retail_selling")
    mixed = signed_document(key, [good, bad])
    for rolled in (
        post(client, token, mixed).json(),
        post(client, token, mixed, **{"GS1-Capture-Error-Behaviour": "rollback"}).json(),
    ):
        # rollback is the default, as in the EPCIS REST binding
        assert (rolled["status"], rolled["rolledBack"], rolled["acceptedCount"]) == ("REJECTED", True, 0)
        assert [e.get("reason") for e in rolled["events"]] == ["rolled_back", "biz_step_not_allowed"]
    kept = post(client, token, mixed, **{"GS1-Capture-Error-Behaviour": "proceed"}).json()
    assert (kept["status"], kept["acceptedCount"], kept["rejectedCount"]) == ("PARTIALLY_ACCEPTED", 1, 1)
    wrong = post(client, token, mixed, **{"GS1-Capture-Error-Behaviour": "maybe"})
    assert wrong.status_code == 400
    assert "GS1-Capture-Error-Behaviour" in wrong.json()["detail"]


@pytest.mark.parametrize(
    ("body", "media", "status", "kind"),
    [
        (b"{not json", JSONLD, 400, "malformed-document"),
        (b'{"type": "EPCISDocument"}', JSONLD, 400, "invalid-epcis"),
        (b"<nope/>", "application/xml", 400, "malformed-document"),
        (b"{}", "text/plain", 415, "unsupported-media-type"),
        (b"[1]", "application/vnd.supplychain.signed-events+json", 400, "malformed-document"),
    ],
)
def test_bad_documents_are_problems(
    client: TestClient, tokens: dict[str, str], body: bytes, media: str, status: int, kind: str
) -> None:
    response = post(client, tokens["manufacturer"], body, media=media)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/" + kind)


def test_authentication(client: TestClient, tokens: dict[str, str]) -> None:
    doc = document([object_event("X")], [])
    assert client.post("/capture", content=doc).status_code == 401
    assert client.post("/capture", content=doc, headers={"Authorization": "Bearer nope"}).status_code == 401
    regulator = client.post("/capture", content=doc, headers={"Authorization": f"Bearer {tokens['regulator']}"})
    assert regulator.status_code == 403


def test_options_advertises_the_limits(client: TestClient) -> None:
    response = client.options("/capture")
    assert response.status_code == 204
    assert response.headers["GS1-EPCIS-Capture-Limit"] == "100000"
    assert "application/ld+json" in response.headers["Accept-Post"]


def test_capture_before_the_registry_was_ever_read_is_503_and_stores_nothing(tmp_path: Any) -> None:
    from backend.api.app import create_app
    from backend.core.config import Settings
    from chain.devchain import free_port

    settings = Settings(
        environment="test",
        data_dir=tmp_path / "down",
        rpc_url=f"http://127.0.0.1:{free_port()}",
        run_worker=False,
        rpc_attempts=1,
    )
    down = Platform.open(settings)
    token = down.issue_token(org_id=MANUFACTURER, role="organisation")
    try:
        with TestClient(create_app(platform=down)) as client:
            response = post(client, token, document([object_event("never")], []))
            assert response.status_code == 503
            assert "nothing was stored" in response.json()["detail"]
            assert client.get("/ready").status_code == 503
    finally:
        down.close()


def test_ignore_fields_give_one_event_hash_id_to_the_cli_capture_and_verification(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    from urllib.parse import quote

    from supplychain.eventhash import event_hash_id, hash_document
    from supplychain.signing import sign_document, verify_envelope
    from tests.backend.documents import CONTEXT

    key = keys[MANUFACTURER]
    plain = object_event("IG1")
    noted = object_event("IG1", **{"sc:internalRef": "r-1"})
    document = {
        "@context": [*CONTEXT, {"repo": "https://repository-x.example.com/"}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2024-01-01T00:00:00Z",
        "repo:ignoreFields": ["sc:internalRef", "bizStep"],
        "epcisBody": {"eventList": [noted, plain]},
    }
    body = json.dumps(sign_document(key, document)).encode()
    cli = hash_document(body)  # what `supplychain hash` prints
    assert cli == [hash_of(plain), hash_of(plain)]  # the repository's own field is not part of the event
    outcome = post(client, tokens["manufacturer"], body).json()
    assert [(e["status"], e["eventHashId"]) for e in outcome["events"]] == [("ACCEPTED", cli[0]), ("DUPLICATE", cli[0])]
    auth = {"Authorization": f"Bearer {tokens['manufacturer']}"}
    detail = client.get(f"/events/{quote(cli[0], safe='')}", headers=auth).json()
    assert "sc:internalRef" not in detail["event"]  # stored as hashed, so that it verifies on its own
    assert detail["event"]["bizStep"] == "commissioning"  # a standard field is never ignored
    assert event_hash_id(detail["event"]) == cli[0]
    verify_envelope(
        detail["envelope"], key.public_key_bytes, expected_hash_id=event_hash_id(detail["envelope"]["event"])
    )


def test_valid_xml_with_a_doctype_typed_sensor_values_nil_and_master_data_is_captured(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    from supplychain.eventhash import hash_document
    from supplychain.signing import SIGNATURE_NAMESPACE
    from tests.backend.documents import GTIN, NOW_MS, iso

    key = keys[MANUFACTURER]
    event = (
        f"<ObjectEvent><eventTime>{iso(NOW_MS[0])}</eventTime><eventTimeZoneOffset>+08:00</eventTimeZoneOffset>"
        f"<epcList><epc>https://id.gs1.org/01/{GTIN}/21/XML1</epc></epcList><action>ADD</action>"
        "<bizStep>https://ref.gs1.org/cbv/BizStep-commissioning</bizStep>"
        "<bizLocation><id>https://id.gs1.org/414/6901234000016</id></bizLocation>"
        f"<quantityList><quantityElement><epcClass>https://id.gs1.org/01/{GTIN}/10/LOT1</epcClass>"
        '<quantity xsi:nil="true"/></quantityElement></quantityList>'
        '<sensorElementList><sensorElement><sensorReport type="gs1:Temperature" value="4.5" uom="CEL" '
        'booleanValue="true"/></sensorElement></sensorElementList></ObjectEvent>'
    )
    master_data = (
        '<extension><EPCISMasterData><VocabularyList><Vocabulary type="urn:epcglobal:epcis:vtype:BusinessLocation">'
        '<VocabularyElementList><VocabularyElement id="https://id.gs1.org/414/6901234000016">'
        '<attribute id="urn:epcglobal:cbv:mda#name">Plant 1</attribute></VocabularyElement></VocabularyElementList>'
        "</Vocabulary></VocabularyList></EPCISMasterData></extension>"
    )

    def xml(signatures: str) -> bytes:
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE epcis:EPCISDocument>\n'
            '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" '
            f'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:sc="{SIGNATURE_NAMESPACE}" '
            f'schemaVersion="2.0" creationDate="{iso(NOW_MS[0])}"><EPCISHeader>{master_data}{signatures}'
            f"</EPCISHeader><EPCISBody><EventList>{event}</EventList></EPCISBody></epcis:EPCISDocument>"
        ).encode()

    (hash_id,) = hash_document(xml(""))
    signature = encode_signature(sign_hash_id(key, hash_id))
    entry = f"<sc:signature><sc:eventHashId>{hash_id}</sc:eventHashId><sc:keyId>{key.key_id}</sc:keyId>"
    entry += f"<sc:signature>{signature}</sc:signature></sc:signature>"
    body = xml(f"<sc:signatures>{entry}</sc:signatures>")
    outcome = post(client, tokens["manufacturer"], body, media="application/xml").json()
    assert [(e["status"], e["eventHashId"]) for e in outcome["events"]] == [("ACCEPTED", hash_id)], outcome
