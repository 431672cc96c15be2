"""Capture: events that cite their submitter's recognition (``sc:recognition``), and keys registered a moment ago."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.services.platform import Platform
from chain.accounts import dev_account
from supplychain.registry import Grade, Level, ReasonCode, RecognitionKind, Scope
from supplychain.registry import events as ev
from supplychain.signing import SigningKey, sign_document
from tests.backend import documents
from tests.backend.documents import CONTEXT, object_event, signed_document
from tests.chains import MANUFACTURER, SUPPLIER

YEAR = 365 * 86_400


def post(client: TestClient, token: str, body: bytes) -> Any:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
    }
    response = client.post("/capture", content=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def issue(platform: Platform, holder: str, **changes: Any) -> int:
    registry = platform.registry.registry
    now = registry.chain.block_timestamp()
    terms = ev.RecognitionTerms(
        holder=holder,
        kind=RecognitionKind.GREEN_FACTORY,
        level=Level.PROVINCIAL,
        grade=Grade.NONE,
        scope=Scope.ENTERPRISE,
        subject="",
        standard_ref="GB/T 36132-2018",
        valid_from=changes.pop("valid_from", now),
        valid_until=changes.pop("valid_until", now + 3 * YEAR),
        evidence_hash=b"\xee" * 32,
    )
    certifier = registry.as_signer(dev_account("provincial-certifier").account)
    rid, _ = certifier.issue_recognition(terms)
    return rid


def shipping(serial: str, reference: Any, *, key: str = "sc:recognition") -> dict[str, Any]:
    return object_event(serial, biz_step="shipping", **{key: reference})


def now_after_chain(platform: Platform) -> None:
    platform.registry.refresh(force=True)
    documents.NOW_MS[0] = platform.registry.registry.chain.block_timestamp() * 1000 + 500


def test_the_cited_recognition_is_checked_at_the_event_time_and_recorded(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    own = issue(platform, SUPPLIER)
    others = issue(platform, MANUFACTURER)
    now_after_chain(platform)
    events = [
        shipping("R-in-force", own),
        shipping("R-text-id", str(own)),
        shipping("R-other", others),
        shipping("R-unknown", 999),
    ]
    body = post(client, tokens["supplier"], signed_document(keys[SUPPLIER], events))
    assert body["acceptedCount"] == 4
    assert [e["recognition"] for e in body["events"]] == [
        {"id": own, "status": "IN_FORCE"},
        {"id": own, "status": "IN_FORCE"},
        {"id": others, "status": "NOT_HOLDER"},
        {"id": 999, "status": "UNKNOWN"},
    ]
    detail = client.get(f"/events/{body['events'][0]['eventHashId']}").json()
    assert detail["recognition"] == {"id": own, "statusAtCapture": "IN_FORCE"}

    certifier = platform.registry.registry.as_signer(dev_account("provincial-certifier").account)
    certifier.suspend_recognition(own, ReasonCode.SPOT_CHECK_FAILED)
    now_after_chain(platform)
    later = post(client, tokens["supplier"], signed_document(keys[SUPPLIER], [shipping("R-suspended", own)]))
    assert later["events"][0]["recognition"] == {"id": own, "status": "SUSPENDED"}
    certifier.revoke_recognition(own, ReasonCode.DATA_FALSIFIED)
    now_after_chain(platform)
    revoked = post(client, tokens["supplier"], signed_document(keys[SUPPLIER], [shipping("R-revoked", own)]))
    assert revoked["events"][0]["recognition"] == {"id": own, "status": "REVOKED"}
    plain = post(
        client, tokens["supplier"], signed_document(keys[SUPPLIER], [object_event("R-none", biz_step="shipping")])
    )
    assert "recognition" not in plain["events"][0]
    assert client.get(f"/events/{plain['events'][0]['eventHashId']}").json()["recognition"] is None


def test_validity_bounds_of_the_cited_recognition(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    chain = platform.registry.registry.chain
    chain.mine()  # the latest block at the wall clock's time, not the shared snapshot's (minutes old on a long run)
    now = chain.block_timestamp()
    future = issue(platform, SUPPLIER, valid_from=now + YEAR, valid_until=now + 2 * YEAR)
    now_after_chain(platform)
    body = post(client, tokens["supplier"], signed_document(keys[SUPPLIER], [shipping("V-early", future)]))
    assert body["events"][0]["recognition"] == {"id": future, "status": "NOT_YET_VALID"}
    ending = issue(platform, SUPPLIER, valid_from=now, valid_until=now + 30)
    now_after_chain(platform)
    after_end = shipping("V-exp", ending)
    after_end["eventTime"] = documents.iso((now + 60) * 1000)  # after its validity, within the clock skew
    expired = post(client, tokens["supplier"], signed_document(keys[SUPPLIER], [after_end]))
    assert expired["events"][0]["recognition"] == {"id": ending, "status": "EXPIRED"}


@pytest.mark.parametrize("reference", ["abc", -1, 0, 1.5, True, None, [1], "", "١٢"])
def test_a_malformed_reference_refuses_the_event(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey], reference: Any
) -> None:
    body = post(client, tokens["supplier"], signed_document(keys[SUPPLIER], [shipping("M1", reference)]))
    outcome = body["events"][0]
    assert (outcome["status"], outcome["reason"]) == ("REJECTED", "malformed_recognition_reference")
    assert "sc:recognition" in outcome["detail"]


def test_any_prefix_bound_to_our_namespace_or_the_full_iri_cites_a_recognition(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    own = issue(platform, SUPPLIER)
    now_after_chain(platform)
    context = [*CONTEXT, {"green": "https://ns.supplychain.dev/epcis/", "other": "https://example.com/ns/"}]
    events = [
        shipping("P-green", own, key="green:recognition"),
        shipping("P-iri", own, key="https://ns.supplychain.dev/epcis/recognition"),
        shipping("P-other", own, key="other:recognition"),  # another namespace's field: not a citation
    ]
    unsigned = {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    body = post(client, tokens["supplier"], json.dumps(sign_document(keys[SUPPLIER], unsigned)).encode())
    assert [e.get("recognition") for e in body["events"]] == [
        {"id": own, "status": "IN_FORCE"},
        {"id": own, "status": "IN_FORCE"},
        None,
    ]


def test_a_key_registered_a_moment_ago_is_accepted_at_once(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    platform.settings.registry_refresh_seconds = 3600  # the mirror would otherwise be trusted for an hour
    platform.registry.max_age = 3600
    fresh = SigningKey.from_private_bytes(b"\x77" * 32)
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    regulator.add_key(MANUFACTURER, fresh.public_key_bytes)
    documents.NOW_MS[0] = platform.registry.registry.chain.block_timestamp() * 1000 + 500
    time.sleep(0.3)  # older than the forced-refresh guard
    body = post(client, tokens["manufacturer"], signed_document(fresh, [object_event("K-fresh")]))
    assert body["acceptedCount"] == 1, body["events"][0]
    stranger = SigningKey.from_private_bytes(b"\x78" * 32)  # never registered: still unknown after the look
    refused = post(client, tokens["manufacturer"], signed_document(stranger, [object_event("K-stranger")]))
    assert refused["events"][0]["reason"] == "unknown_key"
