"""The platform for the service tests: a SQLite file in a temporary folder, the in-process chain with the registry
and the standard cast (tests.chains), and an HTTP client on the application."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.core.config import Settings
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.connection import TESTER_URL
from chain.registry import Registry
from supplychain.signing import SigningKey
from tests.backend.documents import NOW_MS
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        rpc_url=TESTER_URL,
        run_worker=False,
        public_base_url="https://qr.example.cn",
        batch_interval_seconds=0.2,
        capture_workers=0,  # in the request thread; tests/backend/test_capture_bulk.py runs the worker processes
    )


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    """The platform on a fresh in-process chain: registry deployed, cast registered (see tests.chains)."""
    opened = Platform.open(settings)
    registry: Registry = opened.registry.registry
    w = registry.as_signer(dev_account("regulator").account)
    from tests.chains import cast

    cast(w)
    opened.registry.refresh(force=True)
    yield opened
    opened.close()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform=platform)) as c:
        yield c


@pytest.fixture
def tokens(platform: Platform) -> dict[str, str]:
    """API tokens of the cast: manufacturer, supplier, retailer and the regulator."""
    return {
        "manufacturer": platform.issue_token(org_id=MANUFACTURER, role="organisation"),
        "supplier": platform.issue_token(org_id=SUPPLIER, role="organisation"),
        "retailer": platform.issue_token(org_id=RETAILER, role="organisation"),
        "regulator": platform.issue_token(org_id=None, role="regulator"),
    }


@pytest.fixture
def keys(platform: Platform) -> dict[str, SigningKey]:
    """A registered signing key for each organisation of the cast."""
    regulator = platform.registry.registry.as_signer(dev_account("regulator").account)
    out = {}
    for i, org in enumerate((MANUFACTURER, SUPPLIER, RETAILER)):
        key = SigningKey.from_private_bytes(bytes([i + 1]) * 32)
        regulator.add_key(org, key.public_key_bytes)
        out[org] = key
    platform.registry.refresh(force=True)
    NOW_MS[0] = platform.registry.registry.chain.block_timestamp() * 1000 + 500
    return out
