"""Product master data over HTTP: publishing as the GTIN's owner, versions, refusals, anchoring and the bundle.

On the in-process chain with the standard cast; the GS1 registrar assigns the maker prefix 6901234 and the supplier
6923456 (:mod:`tests.backend.prefixes`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import col, select

from backend.models import Batch, MasterData
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from supplychain.gs1 import gs1_check_digit
from supplychain.masterdata import ProductMasterData, build_product, sign_master_data
from supplychain.merkle import verify_proof
from supplychain.signing import SigningKey
from supplychain.verify import ProofBundle, VerdictStatus, verify_bundle
from tests.backend.documents import GTIN, object_event, signed_document
from tests.backend.prefixes import hold_prefixes
from tests.backend.test_capture import post
from tests.backend.test_qr import bearer, problem
from tests.chains import MANUFACTURER, SUPPLIER

PATH = f"/products/{GTIN}/master-data"
SUPPLIER_GTIN = "06923456000209"
NAMES = {"zh-CN": "绿源 充电模块", "en": "Charging module"}


@pytest.fixture
def owned(platform: Platform, keys: dict[str, SigningKey]) -> dict[str, SigningKey]:
    """The cast's keys, and the maker and the supplier holding their prefixes."""
    hold_prefixes(platform)
    return keys


def now(platform: Platform) -> int:
    return platform.registry.registry.chain.block_timestamp()


def data(platform: Platform, **changes: Any) -> ProductMasterData:
    fields: dict[str, Any] = {"gtin": GTIN, "names": NAMES, "version": 1, "valid_from": now(platform)}
    return ProductMasterData(**(fields | changes))


def signed(key: SigningKey, org: str, product: ProductMasterData) -> dict[str, Any]:
    return sign_master_data(key, org, build_product(product))


def publish(client: TestClient, tokens: dict[str, str], who: str, body: Any, path: str = PATH) -> Response:
    content = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return client.post(path, content=content, headers={**bearer(tokens, who), "Content-Type": "application/json"})


def test_the_owner_publishes_versions(
    client: TestClient, platform: Platform, tokens: dict[str, str], owned: dict[str, SigningKey]
) -> None:
    first = signed(owned[MANUFACTURER], MANUFACTURER, data(platform, brand={"zh-CN": "绿源"}, country="CN"))
    answer = publish(client, tokens, "manufacturer", first)
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"{PATH}?version=1"
    body = answer.json()
    assert body["names"] == NAMES and body["organisationId"] == MANUFACTURER and body["version"] == 1
    assert body["brand"] == {"zh-CN": "绿源"} and body["countryOfOrigin"] == "CN" and body["validNow"]
    assert body["signed"] == first and body["anchor"] == {"status": "pending"}
    # the same document again: the stored one, not a second version
    again = publish(client, tokens, "manufacturer", first)
    assert again.status_code == 200 and again.json()["documentHash"] == body["documentHash"]
    second = signed(owned[MANUFACTURER], MANUFACTURER, data(platform, version=2, names={"zh-CN": "绿源 充电模块 7kW"}))
    assert publish(client, tokens, "manufacturer", second).status_code == 201
    current = client.get(PATH).json()  # public
    assert current["version"] == current["latestVersion"] == 2 and current["names"] == {"zh-CN": "绿源 充电模块 7kW"}
    old = client.get(PATH, params={"version": "1"}).json()
    assert old["version"] == 1 and old["latestVersion"] == 2 and old["names"] == NAMES
    assert client.get(f"/products/{GTIN[1:]}/master-data").json()["version"] == 2  # a GTIN-13 is the same product
    # a version not above the latest, or published before it
    stale = signed(owned[MANUFACTURER], MANUFACTURER, data(platform, version=2, names={"en": "Other"}))
    conflict = problem(publish(client, tokens, "manufacturer", stale), 409)
    assert str(conflict["type"]).endswith("/version-conflict")
    assert conflict["latestVersion"] == 2 and "publish version 3 or later" in str(conflict["detail"])
    later = signed(owned[MANUFACTURER], MANUFACTURER, data(platform, version=3, valid_from=now(platform) + 100))
    assert publish(client, tokens, "manufacturer", later).status_code == 201
    earlier = signed(owned[MANUFACTURER], MANUFACTURER, data(platform, version=4, valid_from=now(platform) + 50))
    assert str(problem(publish(client, tokens, "manufacturer", earlier), 409)["type"]).endswith("/version-conflict")


def test_the_renaming_hole_is_closed_for_master_data(
    client: TestClient, platform: Platform, tokens: dict[str, str], owned: dict[str, SigningKey]
) -> None:
    # the supplier signs a name of its choosing for the maker's GTIN, with its own registered key
    forged = signed(owned[SUPPLIER], SUPPLIER, data(platform, names={"zh-CN": "冒名产品"}))
    body = problem(publish(client, tokens, "supplier", forged), 403)
    assert body["type"] == "https://supplychain.dev/problems/not-gtin-owner"
    assert (body["gtin"], body["owner"], body["organisation"]) == (GTIN, MANUFACTURER, SUPPLIER)
    detail = str(body["detail"])
    assert GTIN in detail and MANUFACTURER in detail and SUPPLIER in detail and "company prefix 6901234" in detail
    assert client.get(PATH).status_code == 404  # nothing stored
    # a GTIN under nobody's prefix: nobody may publish it
    nobody = "0699999900001" + gs1_check_digit("0699999900001")
    lone = signed(owned[MANUFACTURER], MANUFACTURER, data(platform, gtin=nobody))
    refused = problem(publish(client, tokens, "manufacturer", lone, f"/products/{nobody}/master-data"), 403)
    assert refused["owner"] is None and "nobody holds its company prefix" in str(refused["detail"])
    # the supplier may publish its own product
    own = signed(owned[SUPPLIER], SUPPLIER, data(platform, gtin=SUPPLIER_GTIN, names={"zh-CN": "锡城 磷酸铁锂电芯"}))
    assert publish(client, tokens, "supplier", own, f"/products/{SUPPLIER_GTIN}/master-data").status_code == 201


def test_signature_key_and_organisation_refusals(
    client: TestClient, platform: Platform, tokens: dict[str, str], owned: dict[str, SigningKey]
) -> None:
    key = owned[MANUFACTURER]
    good = signed(key, MANUFACTURER, data(platform))
    bad_signature = dict(good, signature=signed(key, MANUFACTURER, data(platform, version=5))["signature"])
    assert problem(publish(client, tokens, "manufacturer", bad_signature), 422)["type"].endswith("/bad-signature")
    tampered = json.loads(json.dumps(good))
    tampered["document"]["gs1:productName"][0]["@value"] = "改过的名字"
    body = problem(publish(client, tokens, "manufacturer", tampered), 422)
    assert str(body["type"]).endswith("/bad-signature") and "documentHash" in str(body["detail"])
    unknown = signed(SigningKey.from_private_bytes(b"\x5a" * 32), MANUFACTURER, data(platform))
    body = problem(publish(client, tokens, "manufacturer", unknown), 422)
    assert str(body["type"]).endswith("/unknown-key") and "is not registered" in str(body["detail"])
    foreign = signed(owned[SUPPLIER], MANUFACTURER, data(platform))
    assert str(problem(publish(client, tokens, "manufacturer", foreign), 422)["type"]).endswith(
        "/key-of-another-organisation"
    )
    early = signed(key, MANUFACTURER, data(platform, valid_from=now(platform) - 30 * 86400))
    assert str(problem(publish(client, tokens, "manufacturer", early), 422)["type"]).endswith("/key-not-valid")
    future = signed(key, MANUFACTURER, data(platform, valid_from=now(platform) + 3600))
    body = problem(publish(client, tokens, "manufacturer", future), 422)
    assert str(body["type"]).endswith("/valid-from-in-future") and body["field"] == "document.sc:validFrom"
    cited = signed(key, MANUFACTURER, data(platform, green_product_recognition=42))
    assert str(problem(publish(client, tokens, "manufacturer", cited), 422)["type"]).endswith("/recognition-not-held")
    # the manufacturer's token cannot post what the supplier signed, even for the supplier's own product
    other = signed(owned[SUPPLIER], SUPPLIER, data(platform, gtin=SUPPLIER_GTIN))
    body = problem(publish(client, tokens, "manufacturer", other, f"/products/{SUPPLIER_GTIN}/master-data"), 403)
    assert str(body["type"]).endswith("/not-your-organisation")
    assert str(problem(publish(client, tokens, "regulator", good), 403)["type"]).endswith("/forbidden")
    assert client.post(PATH, json=good).status_code == 401
    assert client.get(PATH).status_code == 404


def test_malformed_oversized_and_deep_bodies(
    client: TestClient, platform: Platform, tokens: dict[str, str], owned: dict[str, SigningKey]
) -> None:
    good = signed(owned[MANUFACTURER], MANUFACTURER, data(platform))
    cases: list[tuple[Any, int, str, str]] = [
        (b"{", 400, "invalid-master-data", "not JSON"),
        (b"[]", 400, "invalid-master-data", "expected a JSON object"),
        (b'{"a": 1, "a": 2}', 400, "invalid-master-data", "appears twice"),
        (dict(good, version=2), 400, "invalid-master-data", "unsupported version 2"),
        ({**good, "document": {**good["document"], "gs1:gtin": "06901234000109"}}, 400, "invalid-master-data", ""),
        (b"[" * 20 + b"]" * 20, 400, "invalid-master-data", "max_depth is 8, got 20"),
        (b"[" * 200 + b"]" * 200, 400, "json-too-deep", "200 deep"),
        (b" " * (64 * 1024 + 1), 413, "limit-exceeded", "at most 65536"),
        (b" " * (2 * 1024 * 1024), 413, "body-too-large", ""),
    ]
    for body, status, code, said in cases:
        answer = problem(publish(client, tokens, "manufacturer", body), status)
        assert str(answer["type"]).endswith("/" + code), (body[:30] if isinstance(body, bytes) else body, answer)
        assert said in str(answer["detail"]), answer
        if code == "limit-exceeded":
            assert answer["title"] == "Document exceeds a limit", answer
    field = problem(publish(client, tokens, "manufacturer", dict(good, version=2)), 400)["field"]
    assert field == "version"
    wrong_gtin = problem(publish(client, tokens, "manufacturer", good, "/products/06923456000209/master-data"), 400)
    assert str(wrong_gtin["type"]).endswith("/gtin-mismatch") and wrong_gtin["field"] == "document.gs1:gtin"
    text = client.post(PATH, content=b"x", headers={**bearer(tokens, "manufacturer"), "Content-Type": "text/plain"})
    assert str(problem(text, 415)["type"]).endswith("/unsupported-media-type")
    assert problem(client.get("/products/123/master-data"), 400)["parameter"] == "gtin"
    assert problem(client.get(PATH, params={"version": "x"}), 400)["parameter"] == "version"
    assert problem(client.get(PATH, params={"version": "0"}), 400)["parameter"] == "version"
    assert "no master data was published for GTIN" in str(problem(client.get(PATH), 404)["detail"])
    assert publish(client, tokens, "manufacturer", good).status_code == 201
    assert "no version 7" in str(problem(client.get(PATH, params={"version": "7"}), 404)["detail"])


def test_master_data_is_anchored_with_events_and_in_the_bundle(
    client: TestClient, platform: Platform, tokens: dict[str, str], owned: dict[str, SigningKey]
) -> None:
    key = owned[MANUFACTURER]
    made = post(client, tokens["manufacturer"], signed_document(key, [object_event("MD1")])).json()
    assert made["acceptedCount"] == 1
    envelope = signed(key, MANUFACTURER, data(platform))
    assert publish(client, tokens, "manufacturer", envelope).status_code == 201
    worker = AnchoringWorker(platform)
    assert worker.run_once(force=True) == 2  # one batch: the event and the master data
    with platform.session() as session:
        (batch,) = session.exec(select(Batch)).all()
        (row,) = session.exec(select(MasterData).order_by(col(MasterData.id))).all()
    assert (
        batch.status == "anchored" and batch.leaf_count == 3 and row.batch_id == batch.id
    )  # and the story link of its serial
    root = bytes.fromhex(batch.root[2:])
    proof = [bytes.fromhex(p[2:]) for p in json.loads(row.proof or "[]")]
    digest = bytes.fromhex(row.document_hash[2:])
    assert verify_proof(root, proof, digest)
    assert platform.registry.registry.verify_event(root, proof, digest)  # the registry's own check
    anchor = client.get(PATH).json()["anchor"]
    assert anchor["status"] == "anchored" and anchor["root"] == batch.root and anchor["sequence"] == batch.sequence
    # the bundle of a serial of the GTIN carries it, and it verifies against the chain
    node = f"https://id.gs1.org/01/{GTIN}/21/MD1"
    bundle = ProofBundle.from_json(client.get("/bundles", params={"id": node}).json())
    assert bundle.master_data is not None and bundle.master_data.signed == envelope
    mirror = platform.registry.refresh(force=True)
    deployment = platform.registry.deployment
    verdict = verify_bundle(bundle, mirror, chain_id=deployment.chain_id, registry_address=deployment.address)
    assert verdict.master_data is not None and verdict.master_data.status is VerdictStatus.VERIFIED
    assert verdict.master_data.organisation_id == MANUFACTURER and verdict.master_data.name("en") == "Charging module"
    assert verdict.status is VerdictStatus.VERIFIED, verdict.failures


def test_a_crash_after_preparing_anchors_master_data_once(
    client: TestClient, platform: Platform, tokens: dict[str, str], owned: dict[str, SigningKey]
) -> None:
    assert publish(client, tokens, "manufacturer", signed(owned[MANUFACTURER], MANUFACTURER, data(platform))).is_success
    worker = AnchoringWorker(platform)
    assert worker.hold()
    prepared = worker._prepare(force=True)  # the worker stops here: batch and proof written, nothing sent
    assert prepared is not None and prepared.leaf_count == 1
    assert AnchoringWorker(platform).run_once() == 1  # a new worker finishes it
    assert AnchoringWorker(platform).run_once(force=True) == 0  # and nothing is anchored twice
    with platform.session() as session:
        assert [b.status for b in session.exec(select(Batch)).all()] == ["anchored"]
    assert platform.registry.registry.anchor_count() == 1
