"""The platform for the service tests: a SQLite file in a temporary folder, the in-process chain with the registry
and the standard cast (tests.chains), and an HTTP client on the application.

What every test would make alike is made once per test process and copied or rewound for each test: the migrated
database with the registry's transactions journaled (a copy per test), the chain with the registry and the cast
(:class:`tests.chains.CastChain`, reverted to its snapshot per test; a test that asks for the cast's signing keys gets
the snapshot that holds them) and the registry's mirror as read there (each platform starts from a copy). Each test
still opens its own :class:`Platform` on its own SQLite file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.api.app import create_app
from backend.core.config import Settings
from backend.core.db import make_engine, migrate
from backend.core.devdb import DevDatabaseError, DevPostgres, start_postgres
from backend.services.platform import Platform
from backend.services.registry_view import RegistryView
from chain.accounts import dev_account
from chain.connection import TESTER_URL
from supplychain.registry import RegistryMirror
from supplychain.signing import SigningKey
from tests.backend.documents import NOW_MS
from tests.chains import MANUFACTURER, RETAILER, SUPPLIER, CastChain, cast, cast_keys


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


@pytest.fixture(scope="session")
def cast_chain() -> CastChain:
    """This test process's in-process chain with the registry and the cast (each platform test reverts it)."""
    return CastChain.deploy()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database at the latest schema, made once per test process (migrating a new file takes
    ~0.4 s; test_migrations.py and the tests that open their own platforms still migrate from nothing)."""
    path = tmp_path_factory.mktemp("migrated") / "supplychain.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[DevPostgres]:
    """A throwaway PostgreSQL server (Debian's package; ``make test`` installs it where it is missing) for this test
    process, started when a test first asks for it; each test makes its own database on it
    (:meth:`DevPostgres.create_database`). Mark such tests ``xdist_group("postgres")``: one server for all of them."""
    try:
        server = start_postgres()
    except DevDatabaseError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


@dataclass(frozen=True)
class Journaled:
    """A migrated database with the registry's transactions on a :class:`CastChain` snapshot journaled, and the
    registry as a platform reads it there (its mirror, and the first block after the snapshot)."""

    database: Path
    seen: tuple[RegistryMirror, int]


@pytest.fixture(scope="session")
def journaled_databases(
    cast_chain: CastChain, migrated_database: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[bool], Journaled]:
    """What a platform's first look at a :class:`CastChain` snapshot (with or without the cast's keys) reads and
    writes, made once per test process and snapshot by the platform's own registry view: the registry's
    transactions journaled (``registry_tx``) in a copy of the migrated database, and the mirror. A platform opened on
    a copy of the database, from that mirror (``Platform.open(seen=...)``), neither reads the registry's history
    again nor journals it (~60 ms a test)."""
    made: dict[bool, Journaled] = {}

    def journaled(keys: bool) -> Journaled:
        if keys not in made:
            folder = tmp_path_factory.mktemp("journaled")
            path = folder / "supplychain.db"
            with closing(sqlite3.connect(migrated_database)) as source, closing(sqlite3.connect(path)) as db:
                source.backup(db)
            engine = make_engine(f"sqlite:///{path}")
            settings = Settings(environment="test", data_dir=folder, rpc_url=TESTER_URL)
            chain = cast_chain.fresh(settings.deployment_path, keys=keys)
            view = RegistryView(
                TESTER_URL, settings.deployment_path, settings.anchorer_private_key, engine, max_age=0, chain=chain
            )
            view.refresh(force=True)
            engine.dispose()
            made[keys] = Journaled(path, (view.mirror, view.next_block))
        return made[keys]

    return journaled


@pytest.fixture
def platform(settings: Settings, request: pytest.FixtureRequest) -> Iterator[Platform]:
    """The platform on the in-process chain with the registry deployed and the cast registered (see tests.chains), on
    a new SQLite file: the chain is this process's :func:`cast_chain` reverted to its snapshot, so no transaction of
    an earlier test is on it, and the platform finds the registry through its deployment record, as after a restart.

    A test that points ``settings`` at a node of its own (anvil, Hardhat) or at another database gets the platform
    deploying the registry there and the cast registered on it, as the platform does on a new chain.
    """
    if settings.rpc_url != TESTER_URL or settings.database_url is not None:
        opened = Platform.open(settings)
        cast(opened.registry.registry.as_signer(dev_account("regulator").account))
    else:
        cast_chain: CastChain = request.getfixturevalue("cast_chain")
        keys = "keys" in request.fixturenames  # the chain with the cast's keys registered already (see keys)
        journaled: Journaled = request.getfixturevalue("journaled_databases")(keys)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(journaled.database)) as source, closing(sqlite3.connect(_db_file(settings))) as db:
            source.backup(db)
        chain = cast_chain.fresh(settings.deployment_path, keys=keys)
        opened = Platform.open(settings, chain=chain, seen=journaled.seen)
    opened.registry.refresh(force=True)
    yield opened
    opened.close()


def _db_file(settings: Settings) -> Path:
    prefix = "sqlite:///"
    assert settings.database.startswith(prefix), settings.database
    return Path(settings.database.removeprefix(prefix))


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
    """A registered signing key for each organisation of the cast, registered by the regulator just before the test
    (on the in-process chain, the platform fixture reverted it to a snapshot holding them: :class:`CastChain`).

    The chain's latest block is then as recent as right after registering them: the snapshot's blocks may be minutes
    old, while the next block is mined at the wall clock's time (a test's "latest block + 30 s" would be in the past
    of its next transaction), so a block is mined at the wall clock's time when they are behind it.
    """
    registry = platform.registry.registry
    regulator = registry.as_signer(dev_account("regulator").account)
    out = cast_keys()
    now = registry.chain.block_timestamp()
    missing = [(o, k) for o, k in out.items() if not platform.registry.mirror.key_valid_at(k.public_key_bytes, o, now)]
    for org, key in missing:
        regulator.add_key(org, key.public_key_bytes)
    if not missing and registry.chain.block_timestamp() < time.time():
        registry.chain.mine()  # at the wall clock's time
    platform.registry.refresh(force=True)
    NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 500
    return out
