"""A dev chain reset under the platform (a restarted Hardhat node): detected, the registry restored from the journal
of its signed transactions, the anchors re-made; every stored event verifies again, and capture goes on."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import col, select

from backend.api.app import create_app
from backend.core.config import Settings
from backend.models import Batch, Event
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from backend.services.registry_view import journal_start
from chain.accounts import dev_account
from chain.devchain import free_port, start_node, stop_node
from chain.errors import ChainConnectionError
from supplychain.merkle import hash_id_to_bytes32
from supplychain.signing import SigningKey
from supplychain.verify import ProofBundle, VerdictStatus, verify_bundle
from tests.backend import documents
from tests.chains import MANUFACTURER, SUPPLIER, cast

KEY = SigningKey.from_private_bytes(b"\x31" * 32)
PREFIX = "6901234"


def open_platform(
    tmp_path: Path, rpc_url: str, *, prefixes: bool = True, rpc_attempts: int = 6
) -> tuple[Platform, dict[str, str]]:
    """The platform on ``rpc_url`` with the cast registered (with its company prefixes unless the test assigns them),
    the manufacturer's key, and its request headers."""
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        rpc_url=rpc_url,
        run_worker=False,
        registry_refresh_seconds=0,
        rpc_attempts=rpc_attempts,
    )
    platform = Platform.open(settings)
    registry = platform.registry.registry
    regulator = registry.as_signer(dev_account("regulator").account)
    cast(regulator, prefixes=prefixes)
    regulator.add_key(MANUFACTURER, KEY.public_key_bytes)
    platform.registry.refresh(force=True)
    token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
    documents.NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 1000
    return platform, {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/ld+json",
        "Prefer": "return=representation",
    }


def test_a_restarted_hardhat_node_is_restored_and_every_event_verifies_again(tmp_path: Path) -> None:
    port = free_port()
    node, process = start_node("hardhat", port=port, log_path=tmp_path / "hardhat.log")
    platform, headers = open_platform(tmp_path, node.url, prefixes=False)  # assigned below, to be journaled
    try:
        registry = platform.registry.registry
        # a GS1 registrar's work (its own signed transactions) is journaled and replayed like the regulator's
        registry.as_signer(dev_account("regulator").account).register_registrar(dev_account("gs1-registrar").address)
        registrar = registry.as_signer(dev_account("gs1-registrar").account)
        assigned_at = registrar.assign_prefix(PREFIX, MANUFACTURER).events[0].timestamp
        registrar.delegate_gtins(documents.GTIN, SUPPLIER, request_hash=b"\x5a" * 32)
        platform.registry.refresh(force=True)
        documents.NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 1000  # the maker owns the GTIN by then
        worker = AnchoringWorker(platform)
        with TestClient(create_app(platform=platform)) as client:
            for batch in range(2):
                events = [documents.object_event(f"Z{batch}-{i}") for i in range(5)]
                body = client.post("/capture", content=documents.signed_document(KEY, events), headers=headers)
                assert body.json()["acceptedCount"] == 5
                assert worker.run_once(force=True) == 5
            with platform.session() as session:
                before = {b.root: (b.block_time, b.sequence) for b in session.exec(select(Batch)).all()}
            key_from = registry.key_info(KEY.public_key_bytes).valid_from
            stop_node(node.pid, process=process)
            genesis = journal_start(platform.engine)
            assert genesis is not None and genesis < key_from
            # empty again; started, as `supplychain chain up` starts it, before the journal's first block
            node, process = start_node("hardhat", port=port, log_path=tmp_path / "hardhat.log", genesis_time=genesis)
            assert worker.run_once(force=True) == 0  # notices the reset, restores, re-makes the anchors
            view = platform.registry
            assert view.restored_at is not None
            assert view.deployment.genesis_hash == view.registry.chain.genesis_now()  # the new chain's
            registry = view.registry
            with platform.session() as session:
                batches = {b.id: b for b in session.exec(select(Batch)).all()}
                stored = list(session.exec(select(Event).order_by(col(Event.id))).all())
            # the same roots, sequences and block times as before: replayed at their original times
            assert {b.root: (b.block_time, b.sequence) for b in batches.values()} == before
            assert [(b.status, b.remade_at is not None) for b in batches.values()] == [("anchored", True)] * 2
            assert registry.key_info(KEY.public_key_bytes).valid_from == key_from
            assert registry.chain.block_timestamp() >= time.time() - 5  # the chain's clock is back at now
            view.refresh(force=True)
            for serial in ("Z0-0", "Z1-4"):  # the proof bundle of a product captured before the reset verifies
                response = client.get("/bundles", params={"id": f"https://id.gs1.org/01/{documents.GTIN}/21/{serial}"})
                assert response.status_code == 200, response.text
                bundle = ProofBundle.from_json(response.json())
                verdict = verify_bundle(
                    bundle, view.mirror, chain_id=view.chain_id, registry_address=view.deployment.address
                )
                assert verdict.status == VerdictStatus.VERIFIED, verdict.to_json()
            for event in stored:
                batch = batches[event.batch_id]
                proof = [bytes.fromhex(p[2:]) for p in json.loads(event.proof or "[]")]
                assert registry.verify_event(bytes.fromhex(batch.root[2:]), proof, hash_id_to_bytes32(event.hash_id))
            assert registry.organisation(MANUFACTURER).roles  # the regulator's work is back, signed by the regulator
            assert registry.is_key_valid_at(KEY.public_key_bytes, MANUFACTURER, registry.chain.block_timestamp())
            assert registry.prefix_holder_at(PREFIX, assigned_at) == MANUFACTURER  # and the registrar's
            assert registry.is_delegate_at(documents.GTIN, SUPPLIER, registry.chain.block_timestamp())
            assert view.mirror.gtin_owner_at(documents.GTIN, assigned_at) == MANUFACTURER
            documents.NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 1000
            later = client.post(
                "/capture", content=documents.signed_document(KEY, [documents.object_event("after")]), headers=headers
            )
            assert later.json()["acceptedCount"] == 1  # capture goes on, against the restored registry
            assert worker.run_once(force=True) == 1
            assert registry.anchor_count() == 3
    finally:
        platform.close()
        stop_node(node.pid, process=process)


def test_while_the_node_is_down_capture_goes_on_and_anchoring_waits(tmp_path: Path) -> None:
    port, state = free_port(), tmp_path / "anvil-state.json"
    node, process = start_node("anvil", port=port, state_path=state, log_path=tmp_path / "anvil.log")
    platform, headers = open_platform(tmp_path, node.url, rpc_attempts=1)  # one try each: no ~6 s backoff per request
    try:
        worker = AnchoringWorker(platform)
        with TestClient(create_app(platform=platform)) as client:
            stop_node(node.pid, process=process)  # the node goes away (anvil saves its state)
            body = client.post(
                "/capture", content=documents.signed_document(KEY, [documents.object_event("down")]), headers=headers
            )
            assert body.json()["acceptedCount"] == 1  # checked against the registry as last seen
            try:
                worker.run_once(force=True)
            except ChainConnectionError:
                pass
            else:
                raise AssertionError("anchoring should have failed while the node is down")
            with platform.session() as session:  # the batch is written down, its transaction not yet mined
                assert [b.status for b in session.exec(select(Batch)).all()] in (["prepared"], ["sent"])
            node, process = start_node("anvil", port=port, state_path=state, log_path=tmp_path / "anvil.log")
            assert worker.run_once(force=True) == 1  # back: anchored, same chain, nothing restored
            assert platform.registry.restored_at is None
    finally:
        platform.close()
        stop_node(node.pid, process=process)
