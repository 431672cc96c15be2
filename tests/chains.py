"""Chains for the tests: the in-process chain, and Hardhat and anvil nodes that the tests start themselves.

One node per engine per test process (``session`` scope); each test runs inside a snapshot that is reverted after it,
so tests never see each other's transactions. The platform's tests share one in-process chain per test process with
the registry and the cast on it (:class:`CastChain`): each starts from its snapshot, as if on a new chain.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chain.accounts import dev_account
from chain.connection import TESTER_URL, Chain, connect
from chain.deploy import Deployment, deploy_registry
from chain.devchain import HARDHAT_DIR, NodeProcess, start_node, stop_node
from chain.registry import ROLE_ANCHORER, ROLE_REGISTRAR, Registry, RegistryWriter
from supplychain.registry import BusinessRole
from supplychain.signing import SigningKey

ENGINES = ("tester", "hardhat", "anvil")

MANUFACTURER = "6901234000016"
SUPPLIER = "91320200MA1MX7K3GD"
RETAILER = "6901234000030"
#: The GS1 Company Prefixes the cast holds (the GTINs of the tests' products fall under them).
PREFIXES = {
    MANUFACTURER: ("6901234", "4012345", "0614141", "9780345", "1234567", "952123"),
    SUPPLIER: ("6923456", "6902222", "6903333", "6907777"),
}


def node_modules_ready() -> bool:
    """Whether ``npm ci`` has run in hardhat-local (``make test`` does it)."""
    return (HARDHAT_DIR / "node_modules" / ".bin" / "hardhat").exists() and shutil.which("node") is not None


@dataclass
class Node:
    """A chain for the tests, and how to reach it."""

    engine: str
    url: str
    process: NodeProcess | None = None


def start(engine: str, tmp: Path) -> Iterator[Node]:
    """Start ``engine`` (nothing to start for the in-process chain) and stop it afterwards."""
    if engine == "tester":
        yield Node(engine, TESTER_URL)
        return
    if not node_modules_ready():
        pytest.fail(f"{HARDHAT_DIR}/node_modules is missing: run `make test` (it runs `npm ci`)")
    record, process = start_node(engine, log_path=tmp / f"{engine}.log")  # type: ignore[arg-type]
    try:
        yield Node(engine, record.url, record)
    finally:
        stop_node(record.pid, process=process)


@dataclass
class Deployed:
    """A registry deployed with the standard cast: certifiers at each level, the anchorer, three organisations."""

    chain: Chain
    deployment: Deployment
    registry: Registry

    def writer(self, role: str) -> RegistryWriter:
        """A writer for the dev account playing ``role`` (fresh: it reads its nonce from the node)."""
        return self.registry.as_signer(dev_account(role).account, receipt_timeout=20.0)


def deploy_cast(url: str) -> Deployed:
    """Deploy a registry and register the cast of the tests, without company prefixes (the registry's own behaviour
    suites assign and revoke them; the platform's tests call :func:`cast`, which assigns :data:`PREFIXES`)."""
    chain = connect(url)
    regulator = dev_account("regulator").account
    deployment = deploy_registry(chain, regulator)
    registry = Registry(chain, deployment)
    cast(registry.as_signer(regulator), prefixes=False)
    return Deployed(chain, deployment, registry)


def cast(regulator: RegistryWriter, *, prefixes: bool = True) -> None:
    """Register the cast of the tests from the regulator's writer: certifiers at each level, the anchorer, three
    organisations (the manufacturer, the supplier, the retailer) and, with ``prefixes``, the GS1 registrar and the
    company prefixes of :data:`PREFIXES`."""
    regulator.register_certifier(dev_account("city-certifier").address, 1)
    regulator.register_certifier(dev_account("provincial-certifier").address, 2)
    regulator.register_certifier(dev_account("national-certifier").address, 3)
    if not regulator.registry.has_role(ROLE_ANCHORER, dev_account("anchorer").address):
        regulator.grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
    regulator.register_organisation(MANUFACTURER, BusinessRole.MANUFACTURER)
    regulator.register_organisation(SUPPLIER, BusinessRole.SUPPLIER | BusinessRole.MANUFACTURER)
    regulator.register_organisation(RETAILER, BusinessRole.RETAILER)
    if not prefixes:
        return
    registrar = dev_account("gs1-registrar")
    if not regulator.registry.has_role(ROLE_REGISTRAR, registrar.address):
        regulator.register_registrar(registrar.address)
    gs1 = regulator.registry.as_signer(registrar.account)
    now = regulator.registry.chain.block_timestamp()
    for org_id, held in PREFIXES.items():
        for prefix in held:
            if regulator.registry.prefix_holder_at(prefix, now) != org_id:
                gs1.assign_prefix(prefix, org_id)


def cast_keys() -> dict[str, SigningKey]:
    """The signing keys the platform's tests register for the manufacturer, the supplier and the retailer."""
    return {org: SigningKey.from_private_bytes(bytes([i + 1]) * 32) for i, org in enumerate(ORGANISATIONS)}


#: The cast's organisations, in the order their keys are registered.
ORGANISATIONS = (MANUFACTURER, SUPPLIER, RETAILER)


@dataclass
class CastChain:
    """An in-process chain with the registry deployed and the whole cast registered (:func:`cast`, prefixes
    included), and a snapshot of it: the same blocks, transactions and addresses as a platform that deploys the
    registry on a new in-process chain and registers the cast there, made once instead of once per test (deploying
    and registering take 20-odd transactions, ~1.5 s).

    A second snapshot, made the first time a test asks for it, also holds the cast's signing keys
    (:func:`cast_keys`), registered by the regulator just after the cast: three transactions fewer for each test
    that signs events (~0.2 s each time).
    """

    chain: Chain
    deployment: Deployment
    snapshot: Any
    keyed: Any = None

    @classmethod
    def deploy(cls) -> CastChain:
        """A new in-process chain with the registry deployed by the regulator, as the platform deploys it."""
        chain = connect(TESTER_URL)
        regulator = dev_account("regulator").account
        deployment = deploy_registry(chain, regulator)
        cast(Registry(chain, deployment).as_signer(regulator))
        return cls(chain, deployment, chain.snapshot())

    def fresh(self, record: Path, *, keys: bool = False) -> Chain:
        """The chain back at the snapshot (every later transaction and time travel undone; the next block is mined at
        the wall clock's time, as on a new chain) and the registry's deployment record written at ``record``, where a
        platform finds it (``Settings.deployment_path``) instead of deploying. With ``keys``: at the snapshot that
        also holds the cast's signing keys."""
        self.chain.revert(self.snapshot)
        if keys:
            if self.keyed is None:
                regulator = Registry(self.chain, self.deployment).as_signer(dev_account("regulator").account)
                for org, key in cast_keys().items():
                    regulator.add_key(org, key.public_key_bytes)
                self.keyed = self.chain.snapshot()
            else:
                self.chain.revert(self.keyed)
        self.deployment.save(record)
        return self.chain
