"""Confirmation depth: with ``confirmations = 3`` a batch is anchored when its receipt is in and final once its block
has three confirmations; ``GET /events/{id}``, the proof bundle and the product page's facts say which. Real SQLite
file, real HTTP (TestClient), the in-process chain (blocks mined by the test). Reorgs and fee bumps on anvil:
tests/backend/test_anchoring_chain.py."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from backend.core.config import Settings
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from backend.services.product_page import anchor_depth, load_trace, registry_state
from supplychain.signing import SigningKey
from tests.backend.documents import GTIN
from tests.backend.test_anchoring import assert_all_anchored_once, batches, capture
from tests.chains import MANUFACTURER


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"confirmations": 3})


def anchor_of(client: TestClient, hash_id: str) -> dict[str, object]:
    answer = client.get(f"/events/{quote(hash_id, safe='')}")
    assert answer.status_code == 200, answer.text
    anchor: dict[str, object] = answer.json()["anchor"]
    return anchor


def bundle_anchor(client: TestClient, serial: str) -> dict[str, object]:
    answer = client.get("/bundles", params={"id": f"https://id.gs1.org/01/{GTIN}/21/{serial}"})
    assert answer.status_code == 200, answer.text
    (event,) = answer.json()["events"]
    anchor: dict[str, object] = event["anchor"]
    return anchor


def test_an_anchor_is_final_after_the_confirmation_depth(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2, prefix="D")
    worker = AnchoringWorker(platform)
    assert worker.run_once(force=True) == 2
    (batch,) = batches(platform)
    assert (batch.status, batch.confirmations, batch.final_at) == ("anchored", 1, None)
    assert batch.block_hash is not None and batch.block_hash.startswith("0x")
    shown = anchor_of(client, hashes[0])
    assert (shown["status"], shown["confirmations"], shown["final"]) == ("anchored", 1, False)
    in_bundle = bundle_anchor(client, "D0")
    assert (in_bundle["confirmations"], in_bundle["final"]) == (1, False)
    with platform.session() as session:
        depth = anchor_depth(load_trace(session, f"https://id.gs1.org/01/{GTIN}/21/D0", registry_state(platform)))
    assert depth is not None and (depth.anchored, depth.final, depth.confirmations, depth.all_final) == (1, 0, 1, False)

    ready = client.get("/ready").json()["checks"]["anchoring"]
    assert (ready["notFinalBatches"], ready["leastConfirmations"]) == (1, 1)
    metrics = client.get("/metrics").text
    assert "supplychain_batches_not_final 1.0" in metrics and "supplychain_anchor_least_confirmations 1.0" in metrics

    chain = platform.registry.registry.chain
    chain.mine()
    assert worker.run_once() == 0
    assert batches(platform)[0].confirmations == 2 and batches(platform)[0].final_at is None
    chain.mine()
    worker.run_once()
    (batch,) = batches(platform)
    assert batch.confirmations == 3 and batch.final_at is not None
    shown = anchor_of(client, hashes[1])
    assert (shown["confirmations"], shown["final"]) == (3, True)
    assert bundle_anchor(client, "D1")["final"] is True
    ready = client.get("/ready").json()["checks"]["anchoring"]
    assert (ready["notFinalBatches"], ready["leastConfirmations"]) == (0, None)
    with platform.session() as session:
        depth = anchor_depth(load_trace(session, f"https://id.gs1.org/01/{GTIN}/21/D1", registry_state(platform)))
    assert depth is not None and depth.all_final and depth.confirmations is None
    chain.mine()
    worker.run_once()
    assert batches(platform)[0].confirmations == 3  # final: no longer counted
    assert_all_anchored_once(platform, hashes)


def test_without_a_depth_the_receipt_makes_an_anchor_final(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    platform.settings = platform.settings.model_copy(update={"confirmations": 0})  # the default, as `make run` has
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 1, prefix="Z")
    assert AnchoringWorker(platform).run_once(force=True) == 1
    shown = anchor_of(client, hashes[0])
    assert (shown["confirmations"], shown["final"]) == (1, True)
    assert bundle_anchor(client, "Z0")["final"] is True
