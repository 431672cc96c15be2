"""GET /bundles: proof bundles that the independent verifier accepts against the chain."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from backend.api.routes.bundles import TRUNCATED_HEADER
from backend.models import Event, EventLink, table_of
from backend.services.links import identifier_links
from backend.services.platform import Platform
from supplychain.trace import node_id
from supplychain.verify import ProofBundle, Verdict, VerdictStatus, verify_bundle
from tests.backend.storing import Product, anchor, green_product

JOURNEY = ["make A", "pack C1", "ship C1", "receive C1", "unpack C1", "sell A-1"]
UPSTREAM = ["commission R1"]


@pytest.fixture
def product(platform: Platform) -> Product:
    return green_product(platform)


def fetch(client: TestClient, path: str, **params: str) -> ProofBundle:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers[TRUNCATED_HEADER] == "false"
    body: dict[str, Any] = response.json()
    return ProofBundle.from_json(body)


def verify(platform: Platform, bundle: ProofBundle) -> Verdict:
    view = platform.registry
    view.refresh(force=True)
    return verify_bundle(bundle, view.mirror, chain_id=view.chain_id, registry_address=view.deployment.address)


def test_bundle_of_anchored_events_verifies_against_the_chain(
    client: TestClient, platform: Platform, product: Product
) -> None:
    anchor(platform, [product.hash(n) for n in ["commission R1", "ship R1", "receive R1", "make A", "make B"]])
    anchor(platform, [product.hash(n) for n in ["pack C1", "ship C1", "receive C1", "unpack C1", "sell A-1"]])
    bundle = fetch(client, "/bundles", id=product.ids["A-1"])
    assert bundle.product == node_id(product.ids["A-1"])
    assert bundle.chain_id == platform.registry.chain_id
    assert bundle.registry_address == platform.registry.deployment.address
    hashes = [e.envelope["eventHashId"] for e in bundle.events]
    assert sorted(hashes) == sorted(product.hash(n) for n in UPSTREAM + JOURNEY)
    assert hashes[0] == product.hash("commission R1")  # by event time
    assert all(e.anchored and e.receipt_time is not None for e in bundle.events)
    verdict = verify(platform, bundle)
    assert verdict.status is VerdictStatus.VERIFIED, verdict.to_json()
    assert len(verdict.events) == len(UPSTREAM + JOURNEY)
    # the Digital Link path form answers the same bundle
    link = node_id(product.ids["A-1"]).removeprefix("https://id.gs1.org")
    assert fetch(client, "/bundles" + link) == bundle


def test_the_bundle_gives_the_products_story_links_and_a_dropped_event_shows(
    client: TestClient, platform: Platform, product: Product
) -> None:
    anchor(platform, [product.hash(n) for n in ["commission R1", "ship R1", "receive R1", "make A", "make B"]])
    anchor(platform, [product.hash(n) for n in ["pack C1", "ship C1", "receive C1", "unpack C1", "sell A-1"]])
    body = client.get("/bundles", params={"id": product.ids["A-1"]}).json()
    assert body["version"] == 2
    bundle = ProofBundle.from_json(body)
    assert bundle.links is not None
    (links,) = bundle.links
    assert links.identifier == node_id(product.ids["A-1"]) and links.omitted == 0
    # every event naming A-1 (its making, its case's packing and unpacking, its sale), in anchoring order
    assert [e.hash_id for e in links.chain] == [product.hash(n) for n in ["make A", "pack C1", "unpack C1", "sell A-1"]]
    assert [e.previous for e in links.chain] == [None] + [e.hash_id for e in links.chain[:-1]]
    # a platform leaving the unpacking out, with its link, is caught by the scanner's check
    gone = product.hash("unpack C1")
    body["events"] = [e for e in body["events"] if e["envelope"]["eventHashId"] != gone]
    body["links"][0]["chain"] = [e for e in body["links"][0]["chain"] if e["eventHashId"] != gone]
    verdict = verify(platform, ProofBundle.from_json(body))
    assert "event_dropped" in verdict.failures
    assert any(gone in c.detail for c in verdict.checks if c.code == "event_dropped")


def test_a_long_chain_gives_its_newest_links_and_counts_the_others(platform: Platform, product: Product) -> None:
    anchor(platform, [product.hash(n) for n in ["commission R1", "ship R1", "receive R1", "make A", "make B"]])
    anchor(platform, [product.hash(n) for n in ["pack C1", "ship C1", "receive C1", "unpack C1", "sell A-1"]])
    node = node_id(product.ids["A-1"])
    with platform.session() as session:
        whole = identifier_links(session, node)
        newest = identifier_links(session, node, limit=2)
        damaged_before = len(whole.chain)
        session.execute(update(table_of(EventLink)).where(table_of(EventLink).c.identifier == node).values(proof=b"x"))
        damaged = identifier_links(session, node)
    assert [e.hash_id for e in newest.chain] == [e.hash_id for e in whole.chain[-2:]] and newest.omitted == 2
    assert whole.omitted == 0 and all(e.signer is not None for e in whole.chain)
    # a stored proof that does not read is left out: the verifier sees the gap instead of a false proof
    assert damaged_before == 4 and damaged.chain == () and damaged.omitted == 0


def test_pending_events_make_the_bundle_incomplete_not_failed(
    client: TestClient, platform: Platform, product: Product
) -> None:
    anchor(platform, [product.hash(n) for n in ["commission R1", "make A", "pack C1"]])
    bundle = fetch(client, "/bundles", id=product.ids["A-1"])
    pending = {e.envelope["eventHashId"] for e in bundle.events if not e.anchored}
    assert pending == {product.hash(n) for n in ["ship C1", "receive C1", "unpack C1", "sell A-1"]}
    assert all(e.proof is None and e.root is None and e.anchor is None for e in bundle.events if not e.anchored)
    verdict = verify(platform, bundle)
    assert verdict.status is VerdictStatus.INCOMPLETE, verdict.to_json()
    assert verdict.failures == ()
    not_anchored = {e.hash_id for e in verdict.events if any(c.code == "not_anchored" for c in e.checks)}
    assert not_anchored == pending


def test_a_lot_has_a_bundle_too(client: TestClient, platform: Platform, product: Product) -> None:
    anchor(platform, [product.hash(n) for n in product.env])
    bundle = fetch(client, "/bundles", id=product.ids["R1"])
    assert bundle.product == node_id(product.ids["R1"])
    assert {e.envelope["eventHashId"] for e in bundle.events} == {
        product.hash(n) for n in ["commission R1", "ship R1", "receive R1", "make A", "make B"]
    }
    assert verify(platform, bundle).status is VerdictStatus.VERIFIED


def test_a_stored_event_altered_after_capture_fails_verification(
    client: TestClient, platform: Platform, product: Product
) -> None:
    anchor(platform, [product.hash(n) for n in product.env])
    forged = dict(product.env["sell A-1"]["event"], eventTimeZoneOffset="+09:00")
    with platform.session() as session:
        session.execute(
            update(table_of(Event))
            .where(table_of(Event).c.hash_id == product.hash("sell A-1"))
            .values(document=json.dumps(forged))
        )
        session.commit()
    verdict = verify(platform, fetch(client, "/bundles", id=product.ids["A-1"]))
    assert verdict.status is VerdictStatus.FAILED
    assert "hash_mismatch" in verdict.failures


def test_unknown_products_are_404_and_bad_ids_400(client: TestClient, product: Product) -> None:
    response = client.get("/bundles", params={"id": "https://example.com/01/06901234400014/21/NOPE"})
    assert response.status_code == 404
    assert response.json()["identifier"] == "https://id.gs1.org/01/06901234400014/21/NOPE"
    assert client.get("/bundles/01/06901234400014/21/NOPE").status_code == 404
    bad = client.get("/bundles", params={"id": "A-1"})
    assert bad.status_code == 400 and bad.json()["parameter"] == "id"
