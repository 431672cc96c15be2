"""The credentials API on the in-process chain: a supplier imports its recognition's credential, anyone lists,
fetches and verifies it, and its status follows the chain; forgeries and other organisations' credentials are refused
with the verdict's reasons."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace

import pytest
from fastapi.testclient import TestClient

from backend.services.platform import Platform
from chain.accounts import dev_account
from supplychain.credentials import evidence_hash, issue_credential, token_digest
from supplychain.registry import Grade, Level, ReasonCode, RecognitionKind, Scope
from supplychain.registry.events import RecognitionTerms
from tests.chains import MANUFACTURER, SUPPLIER

REPORT = "常州某电池材料有限公司 绿色工厂评价报告".encode()
VC_JWT = {"Content-Type": "application/vc+jwt"}


@dataclass
class Issued:
    """A recognition on chain and its credential, signed by its issuer."""

    recognition_id: int
    terms: RecognitionTerms
    token: str


def recognise(platform: Platform, **changes: object) -> Issued:
    """The provincial certifier recognises the supplier's facility as a green factory and signs its credential."""
    registry = platform.registry.registry
    now = registry.chain.block_timestamp()
    terms = RecognitionTerms(
        SUPPLIER,
        RecognitionKind.GREEN_FACTORY,
        Level.PROVINCIAL,
        Grade.NONE,
        Scope.FACILITY,
        "6901234000047",
        "GB/T 36132-2018",
        now - 60,
        now + 3 * 365 * 86_400,
        evidence_hash(REPORT),
    )
    certifier = dev_account("provincial-certifier")
    recognition_id, _ = registry.as_signer(certifier.account).issue_recognition(terms)
    platform.registry.refresh(force=True)
    signed = replace(terms, **changes)
    token = sign(platform, recognition_id, signed, certifier.private_key, certifier.address)
    return Issued(recognition_id, terms, token)


def sign(platform: Platform, recognition_id: int, terms: RecognitionTerms, key: str, issuer: str) -> str:
    deployment = platform.registry.deployment
    return issue_credential(
        recognition_id,
        issuer,
        terms,
        key,
        chain_id=deployment.chain_id,
        registry_address=deployment.address,
        holder_name="常州某电池材料有限公司",
    )


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **VC_JWT}


def test_a_supplier_imports_its_credential_and_anyone_can_fetch_and_verify_it(
    client: TestClient, platform: Platform, tokens: dict[str, str]
) -> None:
    issued = recognise(platform)
    created = client.post("/credentials", content=issued.token, headers=auth(tokens["supplier"]))
    assert created.status_code == 201, created.text
    summary = created.json()
    digest = token_digest(issued.token)
    assert created.headers["Location"] == f"/credentials/{digest}" == summary["href"]
    assert summary["organisationId"] == SUPPLIER and summary["recognitionId"] == issued.recognition_id
    assert (
        summary["issuer"]
        == f"did:pkh:eip155:{platform.registry.chain_id}:{dev_account('provincial-certifier').address}"
    )
    assert (summary["valid"], summary["inForce"], summary["status"], summary["reason"]) == (
        True,
        True,
        "in_force",
        None,
    )
    # the same credential again (with a trailing newline, as a file has it): the stored one
    again = client.post("/credentials", content=issued.token + "\n", headers=auth(tokens["supplier"]))
    assert again.status_code == 200 and again.json()["digest"] == digest
    listed = client.get("/credentials", params={"organisation": SUPPLIER})
    assert listed.status_code == 200 and [c["digest"] for c in listed.json()["credentials"]] == [digest]
    by_recognition = client.get("/credentials", params={"recognition": issued.recognition_id})
    assert [c["digest"] for c in by_recognition.json()["credentials"]] == [digest]
    assert client.get("/credentials", params={"organisation": MANUFACTURER}).json() == {"credentials": []}
    raw = client.get(f"/credentials/{digest}")
    assert raw.status_code == 200 and raw.headers["content-type"] == "application/vc+jwt" and raw.text == issued.token
    detail = client.get(f"/credentials/{digest}", headers={"Accept": "application/json"}).json()
    assert detail["credential"] == issued.token and detail["verdict"]["inForce"]
    assert detail["payload"]["credentialSubject"]["issuedToParty"]["name"] == "常州某电池材料有限公司"
    checked = client.post("/credentials/verify", content=issued.token, headers={"Content-Type": "text/plain"})
    assert checked.status_code == 200 and checked.json()["valid"] and checked.json()["inForce"]


def test_the_status_follows_the_chain_with_date_and_reason(
    client: TestClient, platform: Platform, tokens: dict[str, str]
) -> None:
    issued = recognise(platform)
    assert client.post("/credentials", content=issued.token, headers=auth(tokens["supplier"])).status_code == 201
    registry = platform.registry.registry
    certifier = registry.as_signer(dev_account("provincial-certifier").account)
    suspension = certifier.suspend_recognition(issued.recognition_id, ReasonCode.SPOT_CHECK_FAILED)
    platform.registry.refresh(force=True)
    listed = client.get("/credentials", params={"organisation": SUPPLIER}).json()["credentials"][0]
    assert (listed["valid"], listed["inForce"], listed["status"], listed["reason"]) == (
        True,
        False,
        "suspended",
        "suspended",
    )
    assert listed["statusReason"] == {
        "code": 1,
        "name": "SPOT_CHECK_FAILED",
        "en": "spot check failed",
        "zh": "抽查不合格",
    }
    suspended_at = suspension.events[0].timestamp
    assert listed["statusSince"] is not None and listed["message"].endswith("spot check failed")
    verdict = client.post("/credentials/verify", content=issued.token, headers=VC_JWT).json()
    assert verdict["statusSinceTimestamp"] == suspended_at and verdict["status"] == "suspended"
    registry.as_signer(dev_account("regulator").account).revoke_recognition(
        issued.recognition_id, ReasonCode.DATA_FALSIFIED
    )
    platform.registry.refresh(force=True)
    revoked = client.post("/credentials/verify", content=issued.token, headers=VC_JWT).json()
    assert (revoked["valid"], revoked["inForce"], revoked["status"]) == (True, False, "revoked")
    assert revoked["statusReason"]["name"] == "DATA_FALSIFIED" and "revoked (摘牌) on" in revoked["message"]
    assert [h["status"] for h in revoked["recognition"]["history"]] == ["SUSPENDED", "REVOKED"]
    # a revoked recognition's credential can still be imported (it is valid): its status goes with it
    assert client.post("/credentials", content=issued.token, headers=auth(tokens["supplier"])).status_code == 200


def test_forged_and_foreign_credentials_are_refused_with_the_verdicts_reasons(
    client: TestClient, platform: Platform, tokens: dict[str, str]
) -> None:
    issued = recognise(platform)
    supplier = auth(tokens["supplier"])
    stranger = dev_account("stranger")
    by_stranger = sign(platform, issued.recognition_id, issued.terms, stranger.private_key, stranger.address)
    header, payload, signature = issued.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["greenRecognition"]["level"] = "NATIONAL"
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    cases = {
        "hello": ["malformed"],
        f"{header}.{edited}.{signature}": ["bad_signature", "claims_mismatch"],
        by_stranger: ["issuer_mismatch", "issuer_not_certifier"],
    }
    for token, reasons in cases.items():
        refused = client.post("/credentials", content=token, headers=supplier)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"].endswith("/credential-refused") and problem["reasons"] == reasons
        assert problem["verdict"]["valid"] is False and problem["detail"].startswith("the credential is not valid")
        verdict = client.post("/credentials/verify", content=token, headers=VC_JWT)
        assert verdict.status_code == 200 and verdict.json()["reasons"] == reasons
    # the issuer's own key, but an evidence hash the chain does not hold
    tampered = recognise(platform, evidence_hash=evidence_hash(b"another report"))
    refused = client.post("/credentials", content=tampered.token, headers=supplier).json()
    assert refused["reasons"] == ["claims_mismatch"] and refused["verdict"]["mismatchedFields"] == ["evidence_hash"]
    # a genuine credential, but another organisation's
    foreign = client.post("/credentials", content=issued.token, headers=auth(tokens["manufacturer"]))
    assert foreign.status_code == 422 and foreign.json()["reasons"] == ["other_organisation"]
    assert f"about organisation {SUPPLIER}, not about {MANUFACTURER}" in foreign.json()["detail"]
    assert client.get("/credentials", params={"organisation": SUPPLIER}).json() == {"credentials": []}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("post", "/credentials", {"content": "x", "headers": VC_JWT}, 401, "unauthorized"),
        ("post", "/credentials/verify", {"content": "x", "headers": {"Content-Type": "application/json"}}, 415, None),
        ("post", "/credentials/verify", {"content": "x" * 70_000, "headers": VC_JWT}, 413, "limit-exceeded"),
        ("get", "/credentials", {}, 400, "invalid-parameter"),
        ("get", "/credentials?organisation=12345", {}, 400, "invalid-input"),
        ("get", "/credentials?recognition=0", {}, 422, "invalid-request"),
        ("get", "/credentials/ABC", {}, 400, "invalid-parameter"),
        ("get", "/credentials/" + "0" * 64, {}, 404, "not-found"),
    ],
)
def test_bad_requests_are_problems(
    client: TestClient, method: str, path: str, kwargs: dict[str, object], status: int, code: str | None
) -> None:
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    if code is not None:
        assert response.json()["type"].endswith("/" + code)
    if code == "limit-exceeded":
        assert response.json()["title"] == "Document exceeds a limit"


def test_the_regulator_does_not_import_credentials(client: TestClient, tokens: dict[str, str]) -> None:
    response = client.post("/credentials", content="x", headers=auth(tokens["regulator"]))
    assert response.status_code == 403


def test_an_empty_body_is_a_malformed_credential(client: TestClient) -> None:
    verdict = client.post("/credentials/verify", content=b"").json()
    assert (verdict["valid"], verdict["reason"], verdict["status"]) == (False, "malformed", "unknown")


def test_the_openapi_document_describes_the_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    post = paths["/credentials"]["post"]
    assert set(post["requestBody"]["content"]) == {"application/vc+jwt", "application/jwt", "text/plain"}
    assert {"201", "200", "401", "413", "415", "422"} <= set(post["responses"])
    assert paths["/credentials/verify"]["post"]["summary"] == "Verify any credential against the chain"
    assert "application/vc+jwt" in paths["/credentials/{digest}"]["get"]["responses"]["200"]["content"]
    example = post["requestBody"]["content"]["application/vc+jwt"]["example"]
    assert example.count(".") == 2 and example.startswith("eyJ")
