"""The anchoring worker on a chain that behaves like a real one (anvil): a reorg drops the blocks holding anchors and
the batches are anchored again, their proofs still valid and the audit finding nothing; with automine off and the
base fee raised, a pending anchor is replaced at the same nonce with higher fees under the ceiling, and one the node
dropped is sent again. Real SQLite file, real HTTP, one anvil node for the module (a fresh registry per test), on a
chain id other than the dev chains' 31337."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from web3 import Web3

from backend.api.app import create_app
from backend.audit import AuditReport, run_audit
from backend.core.config import Settings
from backend.models import Batch
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from chain.connection import connect
from chain.errors import TransactionTimeoutError
from chain.tx import MIN_BUMP
from supplychain.signing import SigningKey
from tests.backend.test_anchoring import assert_all_anchored_once, batches, capture
from tests.chains import MANUFACTURER, Node, start

pytestmark = pytest.mark.anvil


CHAIN_ID = 20_261_206  # not a dev chain's: the registry and the worker work unchanged on another chain id


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    for running in start("anvil", tmp_path_factory.mktemp("anchoring-chain")):
        connect(running.url).rpc("anvil_setChainId", CHAIN_ID)
        yield running


@pytest.fixture
def settings(settings: Settings, node: Node) -> Settings:
    return settings.model_copy(
        update={"rpc_url": node.url, "confirmations": 3, "fee_bump_seconds": 0.3, "fee_ceiling_gwei": 10_000}
    )


@pytest.fixture
def automine(platform: Platform) -> Iterator[None]:
    yield
    platform.registry.registry.chain.rpc("evm_setAutomine", True)  # the node is the module's


def wait_for(predicate: Callable[[], object], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.05)


def the_batch(platform: Platform) -> Batch:
    (batch,) = batches(platform)
    return batch


class InThread:
    """``worker.run_once(force=True)`` in a thread, while the test plays the chain."""

    def __init__(self, worker: AnchoringWorker) -> None:
        self.result: int | BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(worker,), daemon=True)
        self.thread.start()

    def _run(self, worker: AnchoringWorker) -> None:
        try:
            self.result = worker.run_once(force=True)
        except BaseException as exc:  # handed to the test
            self.result = exc

    def join(self) -> int | BaseException | None:
        self.thread.join(60)
        return self.result


def audit(platform: Platform, token: str) -> AuditReport:
    """The regulator's audit over real HTTP and the node."""
    server = uvicorn.Server(
        uvicorn.Config(create_app(platform=platform), host="127.0.0.1", port=0, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "the audit's server starts")
    try:
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        return run_audit(
            rpc_url=platform.settings.rpc_url,
            registry=platform.registry.deployment.address,
            platform_url=url,
            token=token,
        )
    finally:
        server.should_exit = True
        thread.join(10)


def findings(report: AuditReport) -> list[dict[str, Any]]:
    return [f.to_json() for f in report.findings]


def test_a_reorg_dropping_anchors_has_them_anchored_again_with_their_proofs(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey]
) -> None:
    token, key = tokens["manufacturer"], keys[MANUFACTURER]
    worker = AnchoringWorker(platform)
    hashes = capture(client, token, key, 3, prefix="R")
    assert worker.run_once(force=True) == 3
    assert platform.registry.chain_id == CHAIN_ID and batches(platform)[0].chain_id == CHAIN_ID
    hashes += capture(client, token, key, 2, prefix="S")
    assert worker.run_once(force=True) == 2
    before = {b.id: b for b in batches(platform)}
    assert all(b.final_at is None and b.confirmations == 1 for b in before.values())
    chain = platform.registry.registry.chain
    head = chain.block_number()
    chain.rpc("anvil_reorg", 2, [])  # the two blocks holding the anchors are replaced by empty ones
    assert chain.block_number() == head
    assert not platform.registry.registry.is_anchored(bytes.fromhex(before[1].root[2:]))

    assert worker.run_once() == 5  # both batches found dropped and anchored again
    after = {b.id: b for b in batches(platform)}
    for batch_id, old in before.items():
        new = after[batch_id]
        assert (new.status, new.root, new.reorgs) == ("anchored", old.root, 1)
        assert new.tx_hash == old.tx_hash and new.nonce == old.nonce  # the same signed bytes, sent again
        assert new.block_number is not None and old.block_number is not None and new.block_number > old.block_number
        assert new.block_hash != old.block_hash and new.final_at is None
    assert_all_anchored_once(platform, hashes)  # one anchor each on the chain, every proof accepted by verifyEvent
    shown = client.get(f"/events/{hashes[0].split(';')[1].split('?')[0]}").json()["anchor"]
    assert (shown["blockNumber"], shown["final"]) == (after[1].block_number, False)

    for _ in range(3):
        chain.mine()
    worker.run_once()
    assert all(b.final_at is not None for b in batches(platform))
    report = audit(platform, tokens["regulator"])
    assert findings(report) == []


def test_a_pending_anchor_is_replaced_with_higher_fees_at_the_same_nonce(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey], automine: None
) -> None:
    chain = platform.registry.registry.chain
    chain.rpc("evm_setAutomine", False)
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 3, prefix="F")
    running = InThread(AnchoringWorker(platform))
    wait_for(lambda: batches(platform) and the_batch(platform).status == "sent", "the anchor is sent")
    first = the_batch(platform)
    cap = int(chain.w3.eth.get_transaction(first.tx_hash)["maxFeePerGas"])  # type: ignore[arg-type]
    chain.rpc("anvil_setNextBlockBaseFeePerGas", hex(cap * 4))  # the market moves above what it offered
    chain.mine()
    assert chain.w3.eth.get_block("latest")["transactions"] == []
    wait_for(lambda: the_batch(platform).earlier_txs is not None, "the worker replaces the pending anchor")
    bumped = the_batch(platform)
    assert bumped.nonce == first.nonce and bumped.tx_hash != first.tx_hash
    (flight,) = client.get("/ready").json()["checks"]["anchoring"]["inFlight"]
    assert (flight["txHash"], flight["nonce"], flight["replaced"]) == (bumped.tx_hash, first.nonce, 1)
    new_cap = int(chain.w3.eth.get_transaction(bumped.tx_hash)["maxFeePerGas"])  # type: ignore[arg-type]
    assert new_cap >= cap * MIN_BUMP and new_cap >= 2 * cap * 4  # at least what the chain asks now (2 x base fee)
    chain.mine()
    assert running.join() == 3
    done = the_batch(platform)
    assert (done.status, done.tx_hash, done.nonce) == ("anchored", bumped.tx_hash, first.nonce)
    assert [v["txHash"] for v in json.loads(done.earlier_txs or "[]")] == [first.tx_hash]
    assert chain.w3.eth.get_transaction_count(Web3.to_checksum_address(platform.registry.writer.address)) == (
        (first.nonce or 0) + 1
    )  # one transaction mined, not two
    assert_all_anchored_once(platform, hashes)


def test_the_fee_ceiling_holds_and_the_anchor_waits_under_it(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey], automine: None
) -> None:
    platform.settings = platform.settings.model_copy(update={"fee_ceiling_gwei": 0.000001})  # 1,000 wei: no bump fits
    chain = platform.registry.registry.chain
    chain.rpc("evm_setAutomine", False)
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2, prefix="C")
    platform.registry.writer.tx.receipt_timeout = 2.0
    worker = AnchoringWorker(platform)
    with pytest.raises(TransactionTimeoutError):
        worker.run_once(force=True)  # bumps refused by the ceiling: it waits, then the cycle ends
    waiting = the_batch(platform)
    assert (waiting.status, waiting.earlier_txs) == ("sent", None)
    chain.mine()  # the market lets it in as it is
    assert worker.run_once() == 2
    assert the_batch(platform).tx_hash == waiting.tx_hash
    assert_all_anchored_once(platform, hashes)


def test_an_anchor_the_node_dropped_is_sent_again_as_the_same_bytes(
    client: TestClient, platform: Platform, tokens: dict[str, str], keys: dict[str, SigningKey], automine: None
) -> None:
    platform.settings = platform.settings.model_copy(update={"fee_bump_seconds": 600})
    chain = platform.registry.registry.chain
    chain.rpc("evm_setAutomine", False)
    hashes = capture(client, tokens["manufacturer"], keys[MANUFACTURER], 2, prefix="P")
    running = InThread(AnchoringWorker(platform))
    wait_for(lambda: batches(platform) and the_batch(platform).status == "sent", "the anchor is sent")
    sent = the_batch(platform)
    chain.rpc("anvil_dropTransaction", sent.tx_hash)  # evicted from the pool

    def in_pool_again() -> bool:
        return bool(chain.rpc("eth_getTransactionByHash", sent.tx_hash))

    wait_for(in_pool_again, "the worker sends the dropped anchor again")
    chain.mine()
    assert running.join() == 2
    done = the_batch(platform)
    assert (done.tx_hash, done.earlier_txs) == (sent.tx_hash, None)
    assert_all_anchored_once(platform, hashes)
