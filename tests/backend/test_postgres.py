"""The platform on PostgreSQL: the same migrations, capture, anchoring, queries and bundles as on SQLite.

A throwaway PostgreSQL server (Debian's ``postgresql`` package; ``make test`` installs it where it is missing) is
started in a temporary folder for the test process (the ``postgres`` fixture, :mod:`backend.core.devdb`), listening on
a Unix socket only; each test makes its own database on it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from backend.api.app import create_app
from backend.core.config import Settings
from backend.core.db import make_engine, migrate
from backend.core.devdb import DevPostgres
from backend.services.anchoring import AnchoringWorker
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.connection import TESTER_URL
from supplychain.signing import SigningKey
from supplychain.verify import ProofBundle, VerdictStatus, verify_bundle
from tests.backend import documents
from tests.chains import MANUFACTURER, cast

pytestmark = pytest.mark.xdist_group("postgres")


def test_models_and_migrations_agree_on_postgresql(postgres: DevPostgres) -> None:
    engine = make_engine(postgres.create_database())
    migrate(engine)
    migrate(engine)
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    engine.dispose()
    assert diff == []


def test_capture_anchor_query_and_verify_on_postgresql(postgres: DevPostgres, tmp_path: Path) -> None:
    settings = Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=postgres.create_database(),
        rpc_url=TESTER_URL,
        run_worker=False,
        capture_workers=0,
    )
    platform = Platform.open(settings)
    try:
        registry = platform.registry.registry
        regulator = registry.as_signer(dev_account("regulator").account)
        cast(regulator)
        key = SigningKey.from_private_bytes(b"\x42" * 32)
        regulator.add_key(MANUFACTURER, key.public_key_bytes)
        platform.registry.refresh(force=True)
        documents.NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 500
        token = platform.issue_token(org_id=MANUFACTURER, role="organisation")
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",
        }
        events = [documents.object_event(f"PG{i}") for i in range(3)]
        with TestClient(create_app(platform=platform)) as client:
            body = client.post("/capture", content=documents.signed_document(key, events), headers=headers).json()
            assert (body["acceptedCount"], body["rejectedCount"]) == (3, 0)
            again = client.post("/capture", content=documents.signed_document(key, events), headers=headers).json()
            assert again["duplicateCount"] == 3  # one statement decides duplicates on PostgreSQL too
            assert AnchoringWorker(platform).run_once(force=True) == 3
            detail = client.get(f"/events/{body['events'][0]['eventHashId']}").json()
            assert detail["anchor"]["blockNumber"] > 0
            assert detail["receivedAt"] is not None  # milliseconds since the epoch fit the column (BIGINT)
            listed = client.get("/events", params={"EQ_bizStep": "commissioning"}).json()
            assert len(listed["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 3
            link = f"https://id.gs1.org/01/{documents.GTIN}/21/PG1"
            bundle = ProofBundle.from_json(client.get("/bundles", params={"id": link}).json())
            view = platform.registry
            verdict = verify_bundle(
                bundle, view.refresh(force=True), chain_id=view.chain_id, registry_address=view.deployment.address
            )
            assert verdict.status == VerdictStatus.VERIFIED
            issued = client.post(
                "/qr/issue",
                json={"gtin": documents.GTIN, "lot": "PGLOT", "serials": ["PG1", "PG2"]},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert issued.status_code == 201, issued.text
    finally:
        platform.close()


def test_the_anchoring_lease_has_one_holder_under_a_race_on_postgresql(postgres: DevPostgres) -> None:
    """Eight hosts race for an expired lease, five times: each time exactly one wins; the epoch rises by one when the
    lease changes hands (a holder that wins its own expired lease back keeps it); a holder that lost the lease cannot
    write (its fenced transaction rolls back)."""
    import threading

    from sqlalchemy import text

    from backend.services.lease import Lease, LeaseLostError, lease_status

    engine = make_engine(postgres.create_database())
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE work (what TEXT)"))
    hosts = [Lease(engine, holder=f"host-{i}", ttl_seconds=30) for i in range(8)]
    previous: tuple[str, int] = ("", 0)
    for round_ in range(1, 6):
        gate, won = threading.Barrier(len(hosts)), []

        def race(lease: Lease, gate: threading.Barrier, won: list[Lease]) -> None:
            gate.wait()
            if lease.acquire():
                won.append(lease)

        threads = [threading.Thread(target=race, args=(h, gate, won)) for h in hosts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(won) == 1, [w.holder for w in won]
        epoch = previous[1] if won[0].holder == previous[0] else previous[1] + 1
        assert won[0].epoch == epoch
        previous = (won[0].holder, epoch)
        with engine.connect() as connection:
            status = lease_status(connection)
        assert status is not None and status.holder == won[0].holder and status.epoch == epoch
        with engine.begin() as connection:
            won[0].fence(connection)
            connection.execute(text("INSERT INTO work VALUES (:w)"), {"w": f"round {round_}"})
        with engine.begin() as connection:  # the winner stops renewing and its lease runs out
            connection.execute(text("UPDATE worker_lease SET expires_ms = 0"))
    loser = won[0]
    taker = Lease(engine, holder="taker", ttl_seconds=5)
    assert taker.acquire() and taker.epoch == previous[1] + 1

    def late_write() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO work VALUES ('late')"))
            loser.fence(connection)

    with pytest.raises(LeaseLostError):
        late_write()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM work")).scalar_one() == 5
    engine.dispose()


def test_hosts_starting_together_share_one_receipt_key_on_postgresql(postgres: DevPostgres, tmp_path: Path) -> None:
    """Four hosts with their own data folders start at once on one database: migrations take turns, and all four
    sign with the one key the first stored."""
    import threading

    url = postgres.create_database()
    opened: list[Platform] = []
    gate = threading.Barrier(4)

    def start(i: int) -> None:
        gate.wait()
        settings = Settings(
            environment="test",
            data_dir=tmp_path / f"host-{i}",
            database_url=url,
            rpc_url=TESTER_URL,
            run_worker=False,
            capture_workers=0,
        )
        opened.append(Platform.open(settings))

    threads = [threading.Thread(target=start, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert len(opened) == 4
        assert len({p.receipt_key.public_key_bytes for p in opened}) == 1
        assert len({p.session_key for p in opened}) == 1
    finally:
        for p in opened:
            p.engine.dispose()


def test_a_throwaway_server_stops_and_leaves_nothing_behind() -> None:
    """``backend.core.devdb`` (the tests' and ``bench capture --database postgresql``'s server): after writes, its
    stop waits for the server's shutdown, then its folder is gone."""
    import psycopg

    from backend.core.devdb import start_postgres

    server = start_postgres()
    url = server.create_database()
    engine = make_engine(url)
    migrate(engine)  # some writes for the shutdown's checkpoint
    engine.dispose()
    server.stop()
    assert server.process.poll() is not None
    assert not server.root.exists()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host=str(server.root), port=server.port, user=server.user, dbname="postgres", connect_timeout=2)
