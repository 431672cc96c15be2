"""Deploying the registry, and the deployment record that says where it is.

The record (a small JSON file, by default ``data/deployment.json``) holds the address, the block, the chain id and
the chain's genesis hash, so that a later connection can tell "the registry is there" from "this is another chain"
or "the dev chain was restarted and the registry is gone".
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3

from chain.artifacts import load_artifact
from chain.connection import Chain
from chain.errors import ChainMismatchError, ChainResetError, DeploymentError, ErrorDecoder
from chain.tx import Transactor

__all__ = ["Deployment", "check_deployment", "deploy_registry", "ensure_registry"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Deployment:
    """Where the registry was deployed.

    Attributes:
        address: The registry's checksummed address.
        chain_id: The chain id at deployment.
        genesis_hash: The chain's block 0 hash at deployment.
        block_number: The block of the deployment transaction (history replays start there).
        tx_hash: The deployment transaction.
        deployer: The account that sent it.
        regulator: The account given the regulator's role.
        code_hash: keccak256 of the deployed code, ``0x``-prefixed.
    """

    address: str
    chain_id: int
    genesis_hash: str
    block_number: int
    tx_hash: str
    deployer: str
    regulator: str
    code_hash: str

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Deployment:
        """Read a record made by :meth:`to_json`.

        Raises:
            DeploymentError: a field is missing or has the wrong type.
        """
        try:
            return cls(
                address=Web3.to_checksum_address(str(data["address"])),
                chain_id=int(data["chain_id"]),
                genesis_hash=str(data["genesis_hash"]),
                block_number=int(data["block_number"]),
                tx_hash=str(data["tx_hash"]),
                deployer=str(data["deployer"]),
                regulator=str(data["regulator"]),
                code_hash=str(data["code_hash"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"not a deployment record: {exc!r}") from exc

    def save(self, path: Path) -> None:
        """Write the record atomically (a crash leaves the old file or the new one, never half of one)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        Path(tmp).replace(path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        """Read a record from ``path``.

        Raises:
            DeploymentError: no such file, or not a deployment record.
        """
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DeploymentError(f"no deployment record at {path}: deploy the registry first") from None
        except json.JSONDecodeError as exc:
            raise DeploymentError(f"{path} is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise DeploymentError(f"{path} does not hold a JSON object")
        return cls.from_json(data)


def deploy_registry(chain: Chain, deployer: LocalAccount, *, regulator: str | None = None) -> Deployment:
    """Deploy a new registry from ``deployer``, with ``regulator`` (default: the deployer) as its regulator."""
    artifact = load_artifact()
    regulator = Web3.to_checksum_address(regulator or deployer.address)
    contract = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    data = bytes.fromhex(contract.constructor(regulator).data_in_transaction[2:])
    tx = Transactor(chain, deployer, ErrorDecoder(artifact.abi))
    pending = tx.send(None, data, gas=6_000_000, action="deploying the registry")
    receipt = tx.wait(pending)
    if receipt.contract_address is None:
        raise DeploymentError(f"the deployment transaction {pending.tx_hash} created no contract")
    address = Web3.to_checksum_address(receipt.contract_address)
    code = chain.code_at(address)
    deployment = Deployment(
        address=address,
        chain_id=chain.chain_id,
        genesis_hash=chain.genesis_hash,
        block_number=receipt.block_number,
        tx_hash=pending.tx_hash,
        deployer=deployer.address,
        regulator=regulator,
        code_hash="0x" + keccak(code).hex(),
    )
    log.info("deployed the registry at %s in block %s", address, receipt.block_number)
    return deployment


def check_deployment(chain: Chain, deployment: Deployment) -> None:
    """Check that ``chain`` is the chain of ``deployment`` and that the registry's code is at its address.

    Raises:
        ChainMismatchError: another chain id, or other code at the address.
        ChainResetError: same chain id but another genesis block, or no code at the address (a restarted dev chain).
    """
    if chain.chain_id != deployment.chain_id:
        raise ChainMismatchError(
            f"the node at {chain.url} is chain {chain.chain_id}, "
            f"the registry was deployed on chain {deployment.chain_id}"
        )
    genesis = chain.genesis_now()
    if genesis != deployment.genesis_hash:
        raise ChainResetError(
            f"chain {chain.chain_id} at {chain.url} has genesis {genesis}, the registry was deployed on genesis "
            f"{deployment.genesis_hash}: the chain was reset"
        )
    code = chain.code_at(deployment.address)
    if not code:
        raise ChainResetError(f"no code at {deployment.address} on chain {chain.chain_id}: the chain was reset")
    expected = load_artifact().deployed_bytecode
    if code != expected:
        raise ChainMismatchError(
            f"the code at {deployment.address} is not this version of the registry "
            f"(keccak 0x{keccak(code).hex()}, expected 0x{keccak(expected).hex()})"
        )


def ensure_registry(
    chain: Chain, record: Path, deployer: LocalAccount, *, regulator: str | None = None
) -> tuple[Deployment, bool]:
    """The registry recorded at ``record`` if it is on ``chain``, else a new deployment (saved to ``record``).

    A record left from another chain, or from a dev chain that was reset, is kept beside the new one as
    ``<record>.<chain id>-<block>.old`` so that nothing the platform knew is lost.

    Returns:
        The deployment and whether it was made now.
    """
    if record.exists():
        old = Deployment.load(record)
        try:
            check_deployment(chain, old)
        except ChainMismatchError as exc:
            backup = record.with_name(f"{record.name}.{old.chain_id}-{old.block_number}.old")
            record.replace(backup)
            log.warning("%s; the old deployment record is kept as %s", exc, backup)
        else:
            return old, False
    deployment = deploy_registry(chain, deployer, regulator=regulator)
    deployment.save(record)
    return deployment, True
