"""A congested chain on a real anvil node (automine off, the base fee raised): a transaction priced too low stays
pending, its replacement at the same nonce with bumped fees is mined once, the fee ceiling holds, and a transaction
the node dropped is sent again as the same bytes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.accounts import dev_account
from chain.connection import Chain, connect
from chain.devchain import start_node, stop_node
from chain.errors import ErrorDecoder, FeeCeilingError, TransactionTimeoutError
from chain.tx import MIN_BUMP, PendingTransaction, Transactor

pytestmark = pytest.mark.anvil

GWEI = 10**9
RECIPIENT = "0x000000000000000000000000000000000000dEaD"


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Chain]:
    node, process = start_node("anvil", log_path=tmp_path / "anvil.log")
    try:
        chain = connect(node.url)
        chain.rpc("evm_setAutomine", False)  # blocks only when the test mines one
        yield chain
    finally:
        stop_node(node.pid, process=process)


def transactor(chain: Chain) -> Transactor:
    return Transactor(chain, dev_account("anchorer").account, ErrorDecoder([]), receipt_timeout=0.5)


def send_cheap(chain: Chain, tx: Transactor) -> PendingTransaction:
    pending = tx.send(RECIPIENT, b"", gas=21_000, action="a transfer")
    fee_cap = int(pending.call["maxFeePerGas"])
    chain.rpc("anvil_setNextBlockBaseFeePerGas", hex(fee_cap * 4))  # the market moves above what it offered
    chain.mine()
    with pytest.raises(TransactionTimeoutError):
        tx.wait(pending, timeout=0.2)
    return pending


def test_a_transaction_priced_too_low_is_replaced_at_the_same_nonce_and_mined_once(chain: Chain) -> None:
    tx = transactor(chain)
    pending = send_cheap(chain, tx)
    bumped = tx.replacement(pending, ceiling_wei=1000 * GWEI)
    assert bumped.nonce == pending.nonce and bumped.tx_hash != pending.tx_hash
    assert bumped.call["to"] == pending.call["to"] and bumped.call["data"] == pending.call["data"]
    assert int(bumped.call["maxFeePerGas"]) >= int(pending.call["maxFeePerGas"]) * MIN_BUMP
    assert int(bumped.call["maxPriorityFeePerGas"]) >= int(pending.call["maxPriorityFeePerGas"]) * MIN_BUMP
    base = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    assert int(bumped.call["maxFeePerGas"]) >= 2 * base  # what the chain asks now, not only 12.5 % more
    tx.broadcast(bumped)
    chain.mine()
    receipt = tx.wait_any([pending, bumped], timeout=5)
    assert receipt.tx_hash == bumped.tx_hash and receipt.status == 1
    assert tx.nonce_used(pending.nonce)
    with pytest.raises(TransactionTimeoutError):
        tx.wait(pending, timeout=0.1)  # the first version can never be mined now: its nonce is used
    assert not tx.dropped(pending)  # forgotten, but its nonce is used: nothing to send again
    balance = chain.w3.eth.get_transaction_count(tx.address, "latest")
    assert balance == pending.nonce + 1  # one transaction, not two


def test_the_fee_ceiling_holds(chain: Chain) -> None:
    tx = transactor(chain)
    pending = send_cheap(chain, tx)
    cap = int(pending.call["maxFeePerGas"])
    with pytest.raises(FeeCeilingError, match=rf"needs a fee cap of at least \d+ wei, above the ceiling of {cap} wei"):
        tx.replacement(pending, ceiling_wei=cap)
    capped = tx.replacement(pending, ceiling_wei=cap * 2)  # the chain asks more than the ceiling: capped
    assert int(capped.call["maxFeePerGas"]) == cap * 2
    with pytest.raises(ValueError, match=r"at least 1\.125x"):
        tx.replacement(pending, ceiling_wei=cap * 10, bump=1.05)


def test_a_dropped_transaction_is_sent_again_as_the_same_bytes(chain: Chain) -> None:
    tx = transactor(chain)
    pending = tx.send(RECIPIENT, b"", gas=21_000, action="a transfer")
    assert not tx.dropped(pending)
    chain.rpc("anvil_dropTransaction", pending.tx_hash)  # evicted from the pool
    assert tx.dropped(pending)
    tx.broadcast(pending)
    chain.mine()
    receipt = tx.wait_any([pending], timeout=5)
    assert receipt.tx_hash == pending.tx_hash


def test_wait_any_wants_versions_of_one_transaction(chain: Chain) -> None:
    tx = transactor(chain)
    first = tx.send(RECIPIENT, b"", gas=21_000, action="a transfer")
    second = tx.send(RECIPIENT, b"", gas=21_000, action="a transfer")
    with pytest.raises(ValueError, match="one nonce"):
        tx.wait_any([first, second])
    with pytest.raises(ValueError, match="one nonce"):
        tx.wait_any([])
    with pytest.raises(TransactionTimeoutError, match="none of 1 versions at nonce"):
        tx.wait_any([second], timeout=0.1)


def test_a_legacy_priced_transaction_is_replaced_by_gas_price(chain: Chain) -> None:
    tx = transactor(chain)
    nonce = chain.w3.eth.get_transaction_count(tx.address, "pending")
    price = 2 * int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    call = {"to": RECIPIENT, "data": b"", "gas": 21_000, "chainId": chain.chain_id, "gasPrice": price}
    signed = tx.account.sign_transaction({**call, "nonce": nonce})
    legacy = PendingTransaction("0x" + bytes(signed.hash).hex(), bytes(signed.raw_transaction), nonce, "legacy", call)
    tx.broadcast(legacy)
    chain.rpc("anvil_setNextBlockBaseFeePerGas", hex(50 * GWEI))
    chain.mine()
    with pytest.raises(TransactionTimeoutError):
        tx.wait(legacy, timeout=0.1)
    bumped = tx.replacement(legacy, ceiling_wei=10_000 * GWEI)
    assert set(bumped.call) == set(call) and int(bumped.call["gasPrice"]) >= 100 * GWEI  # twice the base fee at least
    tx.broadcast(bumped)
    chain.mine()
    assert tx.wait_any([legacy, bumped], timeout=5).tx_hash == bumped.tx_hash


def test_block_hashes_and_the_tip_show_a_reorganisation(chain: Chain) -> None:
    tx = transactor(chain)
    chain.mine()
    number, before = chain.tip()
    assert chain.block_hash(number) == before and chain.block_hash(number + 5) is None  # no such block yet
    tx.send(RECIPIENT, b"", gas=21_000, action="a transfer")
    chain.mine()
    holding = chain.tip()
    chain.rpc("anvil_reorg", 1, [])  # the block holding it replaced by an empty one, at the same height
    assert chain.tip()[0] == holding[0] and chain.tip()[1] != holding[1]
    assert chain.block_hash(holding[0]) != holding[1] and chain.block_hash(number) == before
    assert chain.w3.eth.get_block(number + 1)["transactions"] == []
