"""Transactions on real nodes: nonces under a burst, threads sharing an account, receipts that do not come,
re-sending the same bytes, a node that restarts, and history replayed in pages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.accounts import dev_account
from chain.connection import connect
from chain.deploy import check_deployment, ensure_registry
from chain.devchain import free_port, start_node, stop_node
from chain.errors import ChainConnectionError, ChainResetError, RegistryConflictError, TransactionTimeoutError
from chain.history import replay
from chain.registry import ANCHOR_GAS, ROLE_ANCHORER, Registry
from supplychain.registry import ReasonCode
from supplychain.registry import events as ev
from tests.chains import SUPPLIER, Deployed, Node, deploy_cast, start


@pytest.fixture(scope="module", params=["hardhat", "anvil"])
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start(request.param, Path(tmp_path_factory.mktemp(request.param)))


@pytest.fixture(scope="module")
def deployed(node: Node) -> Deployed:
    return deploy_cast(node.url)


def root(i: int) -> bytes:
    return (10**9 + i).to_bytes(32, "big")


def test_a_burst_of_pipelined_transactions_uses_consecutive_nonces(deployed: Deployed) -> None:
    anchorer = deployed.writer("anchorer")
    start_count = deployed.registry.anchor_count()
    pending = [anchorer.submit("anchorRoot", root(i), 10, gas=ANCHOR_GAS) for i in range(60)]
    nonces = [p.nonce for p in pending]
    assert nonces == list(range(nonces[0], nonces[0] + 60))
    results = [anchorer.wait(p) for p in pending]
    sequences = [r.events[0].sequence for r in results]  # type: ignore[union-attr]
    assert sequences == list(range(start_count + 1, start_count + 61))
    assert deployed.registry.anchor_count() == start_count + 60


def test_threads_sharing_one_account_never_collide(deployed: Deployed) -> None:
    anchorer = deployed.writer("anchorer")
    errors: list[BaseException] = []

    def work(base: int) -> None:
        try:
            for i in range(8):
                anchorer.anchor_root(root(1000 + base * 100 + i), 1)
        except BaseException as exc:
            errors.append(exc)

    before = deployed.registry.anchor_count()
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert deployed.registry.anchor_count() == before + 32


def test_a_receipt_that_does_not_come_times_out_and_can_be_awaited_later(deployed: Deployed) -> None:
    chain = deployed.chain
    anchorer = deployed.writer("anchorer")
    chain.rpc("evm_setAutomine", False)
    try:
        pending = anchorer.submit("anchorRoot", root(5000), 1, gas=ANCHOR_GAS)
        with pytest.raises(TransactionTimeoutError) as info:
            anchorer.tx.wait(pending, timeout=0.5)
        assert info.value.tx_hash == pending.tx_hash
        chain.mine()
    finally:
        chain.rpc("evm_setAutomine", True)
    assert anchorer.wait(pending).receipt.status == 1  # the same transaction, found later


def test_sending_the_same_bytes_again_makes_no_second_transaction(deployed: Deployed) -> None:
    anchorer = deployed.writer("anchorer")
    pending = anchorer.submit("anchorRoot", root(6000), 1, gas=ANCHOR_GAS)
    anchorer.wait(pending)
    nonce = deployed.chain.w3.eth.get_transaction_count(anchorer.address)
    anchorer.tx._broadcast(pending)  # a retry after a lost answer sends the very same signed bytes
    assert deployed.chain.w3.eth.get_transaction_count(anchorer.address) == nonce
    with pytest.raises(RegistryConflictError):
        anchorer.anchor_root(root(6000), 1)  # a new logical transaction for the same root is refused on chain


def test_history_in_small_pages_equals_history_in_one(deployed: Deployed) -> None:
    regulator = deployed.writer("regulator")
    regulator.add_key(SUPPLIER, b"\x51" * 32)
    regulator.revoke_key(b"\x51" * 32, ReasonCode.KEY_COMPROMISED)
    registry = deployed.registry
    start = deployed.deployment.block_number
    whole = list(replay(deployed.chain, registry.contract, from_block=start, page_size=10_000))
    paged = list(replay(deployed.chain, registry.contract, from_block=start, page_size=3))
    assert whole == paged
    assert [type(e) for e in whole[-2:]] == [ev.KeyAdded, ev.KeyRevoked]
    assert [e.position for e in whole] == sorted(e.position for e in whole)
    end = whole[-1].position.block_number
    assert list(registry.history(from_block=end, to_block=end)) == [whole[-1]]


def test_anvil_restart_with_state_loses_nothing_and_a_send_waits_for_it(tmp_path: Path) -> None:
    port, state, log = free_port(), tmp_path / "state.json", tmp_path / "anvil.log"
    record, process = start_node("anvil", port=port, state_path=state, log_path=log)
    try:
        chain = connect(record.url)
        deployment, _ = ensure_registry(chain, tmp_path / "deployment.json", dev_account("regulator").account)
        registry = Registry(chain, deployment)
        registry.as_signer(dev_account("regulator").account).grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
        anchorer = registry.as_signer(dev_account("anchorer").account, send_retry_window=30.0)
        anchorer.anchor_root(root(1), 1)
    finally:
        stop_node(record.pid, process=process)  # SIGTERM: anvil writes its state
    results: list[object] = []
    sender = threading.Thread(target=lambda: results.append(anchorer.anchor_root(root(2), 1)))
    sender.start()  # the node is down: the send keeps retrying the same signed bytes
    time.sleep(1.5)
    assert sender.is_alive()
    record, process = start_node("anvil", port=port, state_path=state, log_path=log)
    try:
        sender.join(timeout=40)
        assert not sender.is_alive() and len(results) == 1
        again = connect(record.url)
        check_deployment(again, deployment)  # same chain, same registry
        assert Registry(again, deployment).anchor_count() == 2
    finally:
        stop_node(record.pid, process=process)


def test_a_restarted_hardhat_node_is_a_reset_chain(tmp_path: Path) -> None:
    port = free_port()
    record, process = start_node("hardhat", port=port, log_path=tmp_path / "hh.log")
    try:
        deployment, _ = ensure_registry(connect(record.url), tmp_path / "d.json", dev_account("regulator").account)
    finally:
        stop_node(record.pid, process=process)
    with pytest.raises(ChainConnectionError):
        connect(record.url, attempts=1)
    record, process = start_node("hardhat", port=port, log_path=tmp_path / "hh.log")
    try:
        with pytest.raises(ChainResetError):
            check_deployment(connect(record.url), deployment)
    finally:
        stop_node(record.pid, process=process)
