"""Who may speak for a product (issue 12): the holes a rival organisation used, closed by GTIN ownership on chain.

The cast (tests.chains): the manufacturer holds the company prefix 6901234, the supplier 6923456, the retailer none.
Written before the fix, these failed: the retailer squatted the maker's GTIN (201) and recalled its lot (201), and
the supplier's commissioning of the maker's serial with a name of its choosing was ACCEPTED.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from backend.models import GtinClaim, IssuedCode, Recall
from backend.services.platform import Platform
from chain.accounts import dev_account
from supplychain.registry import ReasonCode
from supplychain.signing import SigningKey
from tests.backend import documents
from tests.backend.documents import object_event, signed_document
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER

MAKERS_GTIN = "06901234009910"
MAKERS_OTHER_GTIN = "06901234009927"
SUPPLIERS_GTIN = "06923456000209"
NOBODYS_GTIN = "06999999000013"
PROBLEMS = "https://supplychain.dev/problems/"


def bearer(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def capture(client: TestClient, token: str, body: bytes) -> list[dict[str, Any]]:
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
    }
    response = client.post("/capture", content=body, headers=headers)
    assert response.status_code in (200, 201, 202), response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def serial(gtin: str, value: str) -> str:
    return f"https://id.gs1.org/01/{gtin}/21/{value}"


def commissioning(gtin: str, value: str, name: str | None = None) -> dict[str, Any]:
    event = object_event(value, epcList=[serial(gtin, value)])
    if name is not None:
        event["ilmd"] = {"cbvmda:lotNumber": "L1", "cbvmda:productName": name}
    return event


def refresh(platform: Platform) -> None:
    platform.registry.refresh(force=True)
    documents.NOW_MS[0] = platform.registry.registry.chain.block_timestamp() * 1000 + 500


# --- squatting and false recalls ---


def test_a_rival_cannot_issue_codes_of_anothers_gtin(client: TestClient, tokens: dict[str, str]) -> None:
    squat = client.post("/qr/issue", json={"gtin": MAKERS_GTIN, "lot": "L1"}, headers=bearer(tokens, "retailer"))
    assert squat.status_code == 403, squat.text
    problem = squat.json()
    assert squat.headers["content-type"].startswith("application/problem+json")
    assert problem["type"] == PROBLEMS + "not-gtin-owner" and problem["owner"] == MANUFACTURER
    assert (
        f"GTIN {MAKERS_GTIN} belongs to organisation {MANUFACTURER} (GS1 Company Prefix 6901234)" in problem["detail"]
    )
    assert f"not delegated it to organisation {RETAILER}" in problem["detail"]
    # the owner is not locked out of its own product (before: 403, "belongs to" the squatter)
    own = client.post("/qr/issue", json={"gtin": MAKERS_GTIN, "lot": "L1"}, headers=bearer(tokens, "manufacturer"))
    assert own.status_code == 201, own.text
    nobody = client.post("/qr/issue", json={"gtin": NOBODYS_GTIN}, headers=bearer(tokens, "manufacturer"))
    assert nobody.status_code == 403 and nobody.json()["type"] == PROBLEMS + "gtin-owner-unknown"
    assert "no organisation holds the GS1 Company Prefix of GTIN 06999999000013" in nobody.json()["detail"]


def test_a_rival_cannot_recall_anothers_lot(client: TestClient, tokens: dict[str, str]) -> None:
    client.post(
        "/qr/issue", json={"gtin": MAKERS_GTIN, "lot": "L1", "serials": ["1"]}, headers=bearer(tokens, "manufacturer")
    )
    recall = {"gtin": MAKERS_GTIN, "lot": "L1", "reason": "假召回 / false recall"}
    false = client.post("/recalls", json=recall, headers=bearer(tokens, "retailer"))
    assert false.status_code == 403 and false.json()["type"] == PROBLEMS + "not-gtin-owner"
    assert client.get("/recalls", params={"gtin": MAKERS_GTIN}).json()["recalls"] == []
    assert client.get(f"/01/{MAKERS_GTIN}/10/L1/21/1", headers={"Accept": "application/json"}).status_code == 200
    assert client.post("/recalls", json=recall, headers=bearer(tokens, "regulator")).status_code == 201


# --- renaming: commissioning another's item ---


def test_a_rival_cannot_commission_anothers_item_but_may_handle_it(
    client: TestClient, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    made = capture(
        client, tokens["manufacturer"], signed_document(keys[MANUFACTURER], [commissioning(MAKERS_GTIN, "2")])
    )
    assert made[0]["status"] == "ACCEPTED"
    renamed = commissioning(MAKERS_GTIN, "2", name="山寨名字 / a rival's name")
    renamed["eventTime"] = documents.iso(documents.NOW_MS[0] + 1)
    outcome = capture(client, tokens["supplier"], signed_document(keys[SUPPLIER], [renamed]))[0]
    assert (outcome["status"], outcome["reason"]) == ("REJECTED", "not_gtin_owner")
    assert (
        f"GTIN {MAKERS_GTIN} belongs to organisation {MANUFACTURER} (GS1 Company Prefix 6901234)" in outcome["detail"]
    )
    # custody changes hands: the supplier may receive, ship and use the maker's item
    handling = [
        object_event("2", biz_step="receiving", epcList=[serial(MAKERS_GTIN, "2")]),
        {
            "type": "TransformationEvent",
            "eventTime": documents.iso(documents.NOW_MS[0] + 2),
            "eventTimeZoneOffset": "+08:00",
            "inputEPCList": [serial(MAKERS_GTIN, "2")],
            "outputEPCList": [serial(SUPPLIERS_GTIN, "P1")],
            "bizStep": "commissioning",
        },
    ]
    assert [o["status"] for o in capture(client, tokens["supplier"], signed_document(keys[SUPPLIER], handling))] == [
        "ACCEPTED",
        "ACCEPTED",
    ]
    # ... but not make the maker's product out of its own inputs
    forged = dict(handling[1], inputEPCList=[serial(SUPPLIERS_GTIN, "P1")], outputEPCList=[serial(MAKERS_GTIN, "3")])
    outcome = capture(client, tokens["supplier"], signed_document(keys[SUPPLIER], [forged]))[0]
    assert (outcome["status"], outcome["reason"]) == ("REJECTED", "not_gtin_owner")
    unowned = capture(
        client, tokens["manufacturer"], signed_document(keys[MANUFACTURER], [commissioning(NOBODYS_GTIN, "9")])
    )
    assert (unowned[0]["status"], unowned[0]["reason"]) == ("REJECTED", "gtin_owner_unknown")


# --- contract manufacturing: delegation on chain ---


def test_a_delegate_speaks_for_the_owner_while_the_delegation_lasts(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    registrar = platform.registry.registry.as_signer(dev_account("gs1-registrar").account)
    request = hashlib.sha256(b"Lvyuan asks Xicheng to make GTIN 06901234009927 (OEM contract 2026-17)").digest()
    delegation, _ = registrar.delegate_gtins(MAKERS_OTHER_GTIN, SUPPLIER, request_hash=request)
    # the platform's mirror has not seen it: a refusal is looked at again with the blocks mined since it was read
    documents.NOW_MS[0] = platform.registry.registry.chain.block_timestamp() * 1000 + 500
    made = capture(client, tokens["supplier"], signed_document(keys[SUPPLIER], [commissioning(MAKERS_OTHER_GTIN, "7")]))
    assert made[0]["status"] == "ACCEPTED"
    issued = client.post(
        "/qr/issue",
        json={"gtin": MAKERS_OTHER_GTIN, "lot": "OEM", "serials": ["7"]},
        headers=bearer(tokens, "supplier"),
    )
    assert issued.status_code == 201, issued.text
    # the delegation covers that GTIN only
    other = client.post("/qr/issue", json={"gtin": MAKERS_GTIN}, headers=bearer(tokens, "supplier"))
    assert other.status_code == 403
    # the owner may recall a lot its contract manufacturer issued
    recall = {"gtin": MAKERS_OTHER_GTIN, "lot": "OEM", "reason": "电芯批次问题 / cell batch problem"}
    assert client.post("/recalls", json=recall, headers=bearer(tokens, "manufacturer")).status_code == 201
    registrar.revoke_delegation(delegation, ReasonCode.CONTRACT_ENDED)
    refresh(platform)
    after = capture(
        client, tokens["supplier"], signed_document(keys[SUPPLIER], [commissioning(MAKERS_OTHER_GTIN, "8")])
    )
    assert (after[0]["status"], after[0]["reason"]) == ("REJECTED", "not_gtin_owner")
    again = client.post(
        "/qr/issue", json={"gtin": MAKERS_OTHER_GTIN, "lot": "OEM2"}, headers=bearer(tokens, "supplier")
    )
    assert again.status_code == 403


# --- first-use claims from before company prefixes: listed for the regulator ---


def _claims(platform: Platform) -> list[int]:
    # as migration 0005 lists them: a squatter's claim on the maker's GTIN (with a false recall) and the maker's own
    with Session(platform.engine) as session:
        session.add(IssuedCode(gtin=MAKERS_GTIN, lot="SQ", serial="1", org_id=RETAILER, created_at=1))
        session.add(Recall(gtin=MAKERS_GTIN, lot="SQ", reason="false", org_id=RETAILER, recalled_at=2))
        session.add(IssuedCode(gtin=MAKERS_OTHER_GTIN, lot="OK", serial="1", org_id=MANUFACTURER, created_at=3))
        claims = [
            GtinClaim(gtin=MAKERS_GTIN, org_id=RETAILER, first_issued_at=1, codes=1, recalls=1, status="PENDING"),
            GtinClaim(
                gtin=MAKERS_OTHER_GTIN, org_id=MANUFACTURER, first_issued_at=3, codes=1, recalls=0, status="PENDING"
            ),
        ]
        session.add_all(claims)
        session.commit()
        return [c.id for c in claims if c.id is not None]


def test_the_regulator_confirms_or_strikes_first_use_claims(
    client: TestClient, platform: Platform, tokens: dict[str, str]
) -> None:
    squat, own = _claims(platform)
    assert client.get("/gtin-claims").status_code == 401
    assert client.get("/gtin-claims", headers=bearer(tokens, "retailer")).status_code == 403
    listed = client.get("/gtin-claims", headers=bearer(tokens, "regulator")).json()
    assert [(c["id"], c["ownerOnChain"], c["agreesWithChain"]) for c in listed["claims"]] == [
        (squat, MANUFACTURER, False),
        (own, MANUFACTURER, True),
    ]
    assert listed["next"] is None and listed["claims"][0]["recalls"] == 1
    link = f"/01/{MAKERS_GTIN}/10/SQ/21/1"
    assert client.get(link, headers={"Accept": "application/json"}).status_code == 410  # the false recall holds
    decide = {"decision": "strike", "note": "the retailer holds no licence for 6901234"}
    struck = client.post(f"/gtin-claims/{squat}", json=decide, headers=bearer(tokens, "regulator"))
    assert struck.status_code == 200 and struck.json()["status"] == "STRUCK"
    assert client.get(link, headers={"Accept": "application/json"}).status_code == 404  # as never issued
    assert client.get("/recalls", params={"gtin": MAKERS_GTIN}).json()["recalls"] == []
    again = client.post(f"/gtin-claims/{squat}", json={"decision": "confirm"}, headers=bearer(tokens, "regulator"))
    assert again.status_code == 409 and "decided already (STRUCK" in again.json()["detail"]
    confirmed = client.post(f"/gtin-claims/{own}", json={"decision": "confirm"}, headers=bearer(tokens, "regulator"))
    assert confirmed.json()["status"] == "CONFIRMED"
    pending = client.get("/gtin-claims", params={"status": "PENDING"}, headers=bearer(tokens, "regulator")).json()
    assert pending["claims"] == []


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/gtin-claims/999", {"decision": "strike"}, 404),
        ("/gtin-claims/0", {"decision": "strike"}, 422),
        ("/gtin-claims/99999999999999999999", {"decision": "strike"}, 422),
        ("/gtin-claims/1", {"decision": "delete"}, 422),
        ("/gtin-claims/1", {"decision": "strike", "note": "x" * 501}, 422),
        ("/gtin-claims/1", {"decision": "strike", "owner": "me"}, 422),
    ],
)
def test_bad_decisions_are_refused_saying_why(
    client: TestClient, tokens: dict[str, str], path: str, body: dict[str, Any], status: int
) -> None:
    response = client.post(path, json=body, headers=bearer(tokens, "regulator"))
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/problem+json") and response.json()["detail"]
    assert client.post(path, json=body, headers=bearer(tokens, "manufacturer")).status_code in (403, 422)
