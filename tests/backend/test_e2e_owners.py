"""Who may speak for a product, end to end: `supplychain serve` as its own process on a real Hardhat node, over HTTP.

A rival organisation tries what a tester did before GTIN ownership was on chain (issue 12): issue codes of the maker's
GTIN, recall its lot, commission its serial under a name of its own. Then the maker delegates the GTIN to a contract
manufacturer on chain, which may speak for it at once (the platform reads the chain again rather than refuse on a
mirror read before the delegation was mined), until the delegation is revoked.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.core.config import Settings
from chain.accounts import dev_account
from chain.connection import connect
from chain.deploy import Deployment
from chain.registry import Registry
from supplychain.registry import ReasonCode
from supplychain.signing import SigningKey
from tests.backend import documents
from tests.backend.test_e2e import Service
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, Node, cast, start

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("e2e-owners")]

GTIN = "06901234009910"  # the maker's (company prefix 6901234)
KEYS = {org: SigningKey.from_private_bytes(bytes([0x60 + n]) * 32) for n, org in enumerate((MANUFACTURER, SUPPLIER))}
RIVAL_NAME = "山寨充电模块 / a rival's name"


@pytest.fixture(scope="module")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start("hardhat", Path(tmp_path_factory.mktemp("hardhat-owners")))


def commissioning(serial: str, at_ms: int, name: str | None = None) -> dict[str, Any]:
    event = documents.object_event(serial, at_ms=at_ms, epcList=[f"https://id.gs1.org/01/{GTIN}/10/L1/21/{serial}"])
    if name is not None:
        event["ilmd"] = {"cbvmda:lotNumber": "L1", "cbvmda:productName": name}
    return event


def test_a_rival_cannot_squat_recall_or_rename_and_a_delegate_can_make(hardhat: Node, tmp_path: Path) -> None:
    service = Service(tmp_path, hardhat.url)
    service.start()
    try:
        registry = Registry(connect(hardhat.url), Deployment.load(tmp_path / "deployment.json"))
        regulator = registry.as_signer(dev_account("regulator").account)
        cast(regulator)
        for org, key in KEYS.items():
            regulator.add_key(org, key.public_key_bytes)
        made = {org: service.cli("tokens", "create", "--org", org) for org in KEYS.keys() | {RETAILER}}
        tokens = {org: {"Authorization": f"Bearer {token}"} for org, token in made.items()}
        with httpx.Client(base_url=service.url, timeout=30) as client:

            def capture(org: str, events: list[dict[str, Any]]) -> dict[str, Any]:
                headers = {**tokens[org], "Content-Type": "application/ld+json", "Prefer": "return=representation"}
                response = client.post(
                    "/capture", content=documents.signed_document(KEYS[org], events), headers=headers
                )
                assert response.status_code == 200, response.text
                outcome: dict[str, Any] = response.json()["events"][0]
                return outcome

            now_ms = registry.chain.block_timestamp() * 1000 + 1000
            # squatting: refused, and the owner keeps its product
            squat = client.post("/qr/issue", json={"gtin": GTIN, "lot": "L1"}, headers=tokens[RETAILER])
            assert squat.status_code == 403 and squat.json()["type"].endswith("/not-gtin-owner")
            assert squat.headers["content-type"].startswith("application/problem+json")
            own = client.post(
                "/qr/issue", json={"gtin": GTIN, "lot": "L1", "serials": ["1"]}, headers=tokens[MANUFACTURER]
            )
            assert own.status_code == 201, own.text
            # a false recall: refused, the code still resolves
            recall = {"gtin": GTIN, "lot": "L1", "reason": "false"}
            assert client.post("/recalls", json=recall, headers=tokens[RETAILER]).status_code == 403
            assert client.get(f"/01/{GTIN}/10/L1/21/1", headers={"Accept": "application/json"}).status_code == 200
            # renaming: the maker made serial 1; the supplier's commissioning of it under its own name is refused
            first = capture(MANUFACTURER, [commissioning("1", now_ms)])
            assert first["status"] == "ACCEPTED", first
            renamed = capture(SUPPLIER, [commissioning("1", now_ms + 1, RIVAL_NAME)])
            assert (renamed["status"], renamed["reason"]) == ("REJECTED", "not_gtin_owner")
            page = client.get(f"/01/{GTIN}/10/L1/21/1", headers={"Accept": "text/html"})
            assert page.status_code == 200 and RIVAL_NAME not in page.text and "山寨" not in page.text
            # contract manufacturing: the registrar files the maker's delegation; the supplier may make it at once
            registrar = registry.as_signer(dev_account("gs1-registrar").account)
            request = hashlib.sha256(b"OEM contract: Xicheng makes 06901234009910 for Lvyuan").digest()
            delegation, _ = registrar.delegate_gtins(GTIN, SUPPLIER, request_hash=request)
            after_ms = registry.chain.block_timestamp() * 1000 + 1000
            made = capture(SUPPLIER, [commissioning("2", after_ms)])
            assert made["status"] == "ACCEPTED", made
            issued = client.post(
                "/qr/issue", json={"gtin": GTIN, "lot": "L1", "serials": ["2"]}, headers=tokens[SUPPLIER]
            )
            assert issued.status_code == 201, issued.text
            registrar.revoke_delegation(delegation, ReasonCode.CONTRACT_ENDED)
            # an acceptance is not looked at again: a revocation counts once the mirror is as old as the settings
            # allow (REGISTRY_REFRESH_SECONDS, 2 s), as for a revoked key
            time.sleep(Settings().registry_refresh_seconds + 0.5)
            ended_ms = registry.chain.block_timestamp() * 1000 + 1000
            ended = capture(SUPPLIER, [commissioning("3", ended_ms)])
            assert (ended["status"], ended["reason"]) == ("REJECTED", "not_gtin_owner")
    finally:
        service.stop()
