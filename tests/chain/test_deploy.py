"""Deployment records, and telling the registry's chain from another chain or a reset one."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from chain.accounts import dev_account
from chain.connection import TESTER_URL, connect
from chain.deploy import Deployment, check_deployment, deploy_registry, ensure_registry
from chain.errors import ChainMismatchError, ChainResetError, DeploymentError


@pytest.fixture(scope="module")
def tester_deployment() -> tuple[object, Deployment]:
    chain = connect(TESTER_URL)
    return chain, deploy_registry(chain, dev_account("regulator").account)


def test_record_round_trip(tmp_path: Path, tester_deployment: tuple[object, Deployment]) -> None:
    _, deployment = tester_deployment
    path = tmp_path / "sub" / "deployment.json"
    deployment.save(path)
    assert Deployment.load(path) == deployment
    assert json.loads(path.read_text())["address"] == deployment.address
    assert deployment.regulator == dev_account("regulator").address


def test_bad_records(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="deploy the registry first"):
        Deployment.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(DeploymentError, match="is not JSON"):
        Deployment.load(bad)
    bad.write_text("[1, 2]")
    with pytest.raises(DeploymentError, match="JSON object"):
        Deployment.load(bad)
    bad.write_text('{"address": "0x1"}')
    with pytest.raises(DeploymentError, match="not a deployment record"):
        Deployment.load(bad)


def test_check_deployment(tester_deployment: tuple[object, Deployment]) -> None:
    chain, deployment = tester_deployment
    check_deployment(chain, deployment)  # type: ignore[arg-type]
    with pytest.raises(ChainMismatchError, match="is chain"):
        check_deployment(chain, dataclasses.replace(deployment, chain_id=1))  # type: ignore[arg-type]
    with pytest.raises(ChainResetError, match="the chain was reset"):
        check_deployment(chain, dataclasses.replace(deployment, genesis_hash="0x" + "00" * 32))  # type: ignore[arg-type]
    with pytest.raises(ChainResetError, match="no code"):
        check_deployment(chain, dataclasses.replace(deployment, address="0x" + "12" * 20))  # type: ignore[arg-type]
    regulator = dev_account("regulator").address
    with pytest.raises(ChainMismatchError, match="not this version"):  # an account, or another contract
        check_deployment(chain, dataclasses.replace(deployment, address=_some_other_contract(chain)))  # type: ignore[arg-type]
    assert regulator


def _some_other_contract(chain: object) -> str:
    from chain.errors import ErrorDecoder
    from chain.tx import Transactor

    tx = Transactor(chain, dev_account("stranger").account, ErrorDecoder([]))  # type: ignore[arg-type]
    # creation code that deploys the 1-byte runtime code 0x00 (STOP)
    receipt = tx.transact(
        None, bytes.fromhex("600160_0c_60_00_39_6001_6000_f3_00".replace("_", "")), gas=100_000, action="deploy"
    )
    assert receipt.contract_address
    return receipt.contract_address


def test_ensure_registry_keeps_the_old_record_of_a_reset_chain(tmp_path: Path) -> None:
    record = tmp_path / "deployment.json"
    first_chain = connect(TESTER_URL)
    first, created = ensure_registry(first_chain, record, dev_account("regulator").account)
    assert created
    again, created = ensure_registry(first_chain, record, dev_account("regulator").account)
    assert (again, created) == (first, False)
    second_chain = connect(TESTER_URL)  # a new in-process chain: empty, as a dev chain after a restart
    second, created = ensure_registry(second_chain, record, dev_account("regulator").account)
    assert created  # the in-process genesis is deterministic; the missing code tells the reset
    backups = list(tmp_path.glob("deployment.json.*.old"))
    assert len(backups) == 1
    assert Deployment.load(backups[0]) == first
    assert Deployment.load(record) == second
