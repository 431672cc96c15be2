"""The registry behaviour suite runs against the in-process chain, a real Hardhat node and a real anvil node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.registry import RegistryWriter
from tests.chains import ENGINES, Deployed, Node, deploy_cast, start


@pytest.fixture(scope="session", params=ENGINES)
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """One chain per engine for the whole session."""
    yield from start(request.param, Path(tmp_path_factory.mktemp(request.param)))


@pytest.fixture(scope="session")
def deployed(node: Node) -> Deployed:
    """The registry with the standard cast, deployed once per chain."""
    return deploy_cast(node.url)


@pytest.fixture(autouse=True)
def isolated(deployed: Deployed) -> Iterator[None]:
    """Revert the chain to its state before the test (snapshot/revert, like Hardhat's loadFixture)."""
    snapshot = deployed.chain.snapshot()
    yield
    deployed.chain.revert(snapshot)


@pytest.fixture
def regulator(deployed: Deployed) -> RegistryWriter:
    return deployed.writer("regulator")


@pytest.fixture
def certifier(deployed: Deployed) -> RegistryWriter:
    """The provincial certifier (level 2)."""
    return deployed.writer("provincial-certifier")


@pytest.fixture
def national_certifier(deployed: Deployed) -> RegistryWriter:
    return deployed.writer("national-certifier")


@pytest.fixture
def anchorer(deployed: Deployed) -> RegistryWriter:
    return deployed.writer("anchorer")


@pytest.fixture
def stranger(deployed: Deployed) -> RegistryWriter:
    return deployed.writer("stranger")
