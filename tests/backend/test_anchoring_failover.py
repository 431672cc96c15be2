"""Three anchoring workers on one PostgreSQL database and one anvil node, the lease holder SIGKILLed at random points
of its cycle while an organisation captures over HTTP: another worker takes over each time, every accepted event is
anchored exactly once, and the registry's ``verifyEvent`` accepts each proof.

Processes as deployed: ``supplychain serve --no-worker`` (one host's HTTP servers) and three ``supplychain worker``
processes, each with its own data folder (three hosts), all on one PostgreSQL server that the tests start from
Debian's package (the ``postgres`` fixture, :mod:`backend.core.devdb`). The lease lasts 2 s here
(``SUPPLYCHAIN_ANCHOR_LEASE_SECONDS``) so that takeovers come quickly; each kill waits until every worker's loop runs
(standbys are long-running in a deployment: a restarted process takes seconds to import on a loaded machine). The
failover times are printed, not asserted (``-s`` shows them).
``SC_FAILOVER_KILLS`` sets how many leaders are killed (default 4).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from backend.core.config import Settings
from backend.core.db import make_engine
from backend.core.devdb import DevPostgres
from backend.services.lease import LeaseStatus, lease_status
from backend.services.platform import Platform
from chain.accounts import dev_account
from chain.connection import connect
from chain.deploy import Deployment
from chain.registry import ROLE_ANCHORER, Registry
from supplychain.merkle import hash_id_to_bytes32
from supplychain.registry import BusinessRole
from tests.backend.served import KEY, ORG, Capturer, serve, wait_for
from tests.chains import Node, start

pytestmark = [pytest.mark.anvil, pytest.mark.xdist_group("postgres")]

LEASE_SECONDS = "2"
KILLS = int(os.environ.get("SC_FAILOVER_KILLS", "4"))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start("anvil", tmp_path_factory.mktemp("failover-chain"))


class Worker:
    """One ``supplychain worker`` process: a host of its own (data folder) on the shared database and chain."""

    def __init__(self, tmp: Path, n: int, environment: dict[str, str]) -> None:
        self.log = tmp / f"worker-{n}.log"
        data = tmp / f"host-{n}"
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "worker"],
                env={**environment, "SUPPLYCHAIN_DATA_DIR": str(data)},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def running(self) -> bool:
        """Whether its worker loop runs (the process imported its code and opened the database: a warm standby)."""
        assert self.process.poll() is None, self.log.read_text(errors="replace")[-2000:]
        return "anchoring worker running" in self.log.read_text(errors="replace")

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def lease(engine: Engine) -> LeaseStatus | None:
    with engine.connect() as connection:
        return lease_status(connection)


def holder_pid(status: LeaseStatus | None) -> int | None:
    """The process id in a live lease's holder name (``host:pid:tag``)."""
    return int(status.holder.split(":")[1]) if status is not None and status.live else None


def register(registry: Registry) -> None:
    regulator = registry.as_signer(dev_account("regulator").account)
    if not registry.has_role(ROLE_ANCHORER, dev_account("anchorer").address):
        regulator.grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
    regulator.register_organisation(ORG, BusinessRole.MANUFACTURER)
    regulator.add_key(ORG, KEY.public_key_bytes)
    from chain.devchain import dev_prefix

    dev_prefix(registry, "6901234", ORG)


def test_the_lease_holder_killed_at_random_points_another_takes_over_and_each_event_is_anchored_once(
    node: Node, postgres: DevPostgres, tmp_path: Path
) -> None:
    url = postgres.create_database()
    shared = {
        "SUPPLYCHAIN_DATABASE_URL": url,
        "SUPPLYCHAIN_BATCH_INTERVAL_SECONDS": "0.3",
        "SUPPLYCHAIN_ANCHOR_LEASE_SECONDS": LEASE_SECONDS,
        "SUPPLYCHAIN_LOG_LEVEL": "INFO",
    }
    options = {k.removeprefix("SUPPLYCHAIN_").lower(): v for k, v in shared.items()}
    with serve(tmp_path, node.url, "--no-worker", **options) as served:
        record = served.data / "deployment.json"
        registry = Registry(connect(node.url), Deployment.load(record))
        register(registry)
        admin = Platform.open(
            Settings(environment="test", data_dir=tmp_path / "admin", database_url=url, rpc_url=node.url)
        )
        token = admin.issue_token(org_id=ORG, role="organisation")
        admin.close()
        environment = {
            **os.environ,
            **shared,
            "SUPPLYCHAIN_RPC_URL": node.url,
            "SUPPLYCHAIN_ENVIRONMENT": "test",
            "SUPPLYCHAIN_DEPLOYMENT_FILE": str(record),
        }
        engine = make_engine(url)
        workers = [Worker(tmp_path, n, environment) for n in range(3)]
        started = len(workers)
        failovers: list[float] = []
        resumed: list[float] = []
        rng = random.Random(16)
        try:

            def first_holder() -> bool:
                for worker in workers:
                    assert worker.process.poll() is None, worker.log.read_text(errors="replace")[-2000:]
                return holder_pid(lease(engine)) is not None

            wait_for(first_holder, 90, "a worker takes the anchoring lease")
            with Capturer(served, token, "F", pause=0.1) as load:
                for kill in range(KILLS):
                    wait_for(lambda: len(load.accepted) > 0, 60, "captures are accepted")
                    # standbys are long-running in a deployment: the one restarted after the last kill is up first
                    wait_for(lambda: all(w.running for w in workers), 120, "every worker runs")
                    time.sleep(rng.uniform(0.2, 1.5))  # a random point of the holder's cycle
                    status = lease(engine)
                    leader = holder_pid(status)
                    assert status is not None and leader is not None
                    (victim,) = [w for w in workers if w.pid == leader]
                    os.kill(leader, signal.SIGKILL)
                    killed_at, killed_ms = time.monotonic(), time.time_ns() // 1_000_000
                    victim.process.wait(10)

                    def taken_over(old: int = status.epoch, dead: int = leader) -> bool:
                        now = lease(engine)
                        return now is not None and now.epoch > old and holder_pid(now) not in (None, dead)

                    wait_for(taken_over, 60, f"another worker takes over from {leader} (kill {kill + 1})")
                    failovers.append(time.monotonic() - killed_at)

                    def anchored_again(since: int = killed_ms) -> bool:
                        with engine.connect() as connection:
                            query = text("SELECT count(*) FROM batch WHERE status = 'anchored' AND anchored_at > :t")
                            return bool(connection.execute(query, {"t": since}).scalar())

                    wait_for(anchored_again, 60, f"the new holder anchors (kill {kill + 1})")
                    resumed.append(time.monotonic() - killed_at)
                    workers.remove(victim)
                    workers.append(Worker(tmp_path, started, environment))  # the host's supervisor restarts it
                    started += 1
            accepted = load.accepted
            assert load.failures == []

            def all_anchored() -> bool:
                with engine.connect() as connection:
                    pending = connection.execute(text("SELECT count(*) FROM event WHERE batch_id IS NULL")).scalar()
                    open_ = connection.execute(text("SELECT count(*) FROM batch WHERE status <> 'anchored'")).scalar()
                return pending == 0 and open_ == 0

            wait_for(all_anchored, 120, "every accepted event is anchored")
            with engine.connect() as connection:
                events = connection.execute(
                    text(
                        "SELECT e.hash_id, e.proof, b.root FROM event e JOIN batch b ON b.id = e.batch_id "
                        "WHERE b.status = 'anchored'"
                    )
                ).all()
                batch_count = connection.execute(text("SELECT count(*) FROM batch")).scalar_one()
        finally:
            for worker in workers:
                worker.stop()
            engine.dispose()
    hashes = [hash_id for hash_id, _, _ in events]
    lost = set(accepted) - set(hashes)
    duplicated = len(hashes) - len(set(hashes))
    print(
        f"\n{KILLS} leader kills, {len(accepted)} events accepted over HTTP in {batch_count} batches; failover "
        f"(kill to the next holder's lease): {', '.join(f'{s:.2f}' for s in failovers)} s, max {max(failovers):.2f} s; "
        f"kill to the next anchor: {', '.join(f'{s:.2f}' for s in resumed)} s, max {max(resumed):.2f} s; "
        f"lost {len(lost)}, duplicated {duplicated}"
    )
    assert len(accepted) > 0 and not lost and duplicated == 0
    assert registry.anchor_count() == batch_count  # one anchor per batch: no root anchored twice, no stray anchor
    for hash_id, proof, root in events:
        assert registry.verify_event(
            bytes.fromhex(root[2:]), [bytes.fromhex(p[2:]) for p in json.loads(proof)], hash_id_to_bytes32(hash_id)
        ), hash_id
