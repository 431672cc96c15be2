"""``supplychain bench capture``: bulk capture rate over HTTP, event-to-anchor latency, gas per event.

It starts a dev chain (anvil or Hardhat) and the service (uvicorn, in this process) on a temporary data folder,
registers an organisation and its key, and then

1. posts bulk documents of signed events and times each from request to durable answer (events/s);
2. posts small documents at a steady pace for a while, with the anchoring worker running at its default interval,
   and reads from the database how long each event waited from receipt to its anchor being recorded (p50/p99);
3. reads the gas used by each anchoring transaction and divides by the batch size.

:func:`bench_capture_processes` times concurrent clients against N server processes beside one worker process, each
its own OS process as deployed. The database is SQLite in the data folder (one host: ``serve --processes N``) or, with
``database="postgresql"``, a throwaway PostgreSQL server (:mod:`backend.core.devdb`) shared by N hosts (``serve
--processes 1`` each, its own data folder, the clients spread over them as a load balancer would) and the worker.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Literal

import httpx
from sqlmodel import col, select

from benchmarks.common import console, wait_ready
from chain.devchain import dev_prefix

__all__ = ["DATABASES", "Database", "bench_capture", "bench_capture_processes"]

Database = Literal["sqlite", "postgresql"]
DATABASES: tuple[Database, ...] = ("sqlite", "postgresql")
_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@contextmanager
def _database_url(database: Database) -> Iterator[str | None]:
    """``None`` for SQLite (the platform's default, in its data folder), else a new database on a throwaway
    PostgreSQL server started for the run and stopped after it."""
    if database == "sqlite":
        yield None
        return
    from backend.core.devdb import throwaway_postgres

    with throwaway_postgres() as server:
        console.print(f"database: PostgreSQL, a throwaway server (socket in {server.root})")
        yield server.create_database()


def _events(count: int, start_ms: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "ObjectEvent",
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(start_ms / 1000)) + f".{i % 1000:03d}Z",
            "eventTimeZoneOffset": "+08:00",
            "epcList": [f"https://id.gs1.org/01/06901234000108/21/{tag}{i}"],
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "readPoint": {"id": "https://id.gs1.org/414/6901234000016/254/line1"},
            "bizLocation": {"id": "https://id.gs1.org/414/6901234000016"},
        }
        for i in range(count)
    ]


def _document(key: Any, events: list[dict[str, Any]]) -> bytes:
    from supplychain.signing import sign_document

    context = ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld", {"sc": "https://ns.supplychain.dev/epcis/"}]
    document = {
        "@context": context,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": {"eventList": events},
    }
    return json.dumps(sign_document(key, document)).encode()


def bench_capture(  # noqa: PLR0915 - the measurements one after the other, in one place
    *, engine: str = "anvil", bulk: int = 10_000, rounds: int = 3, seconds: float = 15.0, database: Database = "sqlite"
) -> dict[str, float]:
    """Run the three measurements and return the figures (also printed)."""
    import uvicorn

    from backend.api.app import create_app
    from backend.core.config import Settings
    from backend.models import Batch, Event
    from backend.services.platform import Platform
    from chain.accounts import dev_account
    from chain.devchain import start_node, stop_node
    from chain.registry import ROLE_ANCHORER
    from supplychain.registry import BusinessRole
    from supplychain.signing import SigningKey

    org = "6901234000016"
    key = SigningKey.from_private_bytes(hashlib.sha256(b"bench key").digest())
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, _database_url(database) as database_url:
        record, process = start_node(engine, log_path=Path(tmp) / "node.log")  # type: ignore[arg-type]
        server: uvicorn.Server | None = None
        thread: threading.Thread | None = None
        platform: Platform | None = None
        try:
            settings = Settings(data_dir=Path(tmp) / "data", rpc_url=record.url, port=0, database_url=database_url)
            platform = Platform.open(settings)
            registry = platform.registry.registry
            regulator = registry.as_signer(dev_account("regulator").account)
            if not registry.has_role(ROLE_ANCHORER, dev_account("anchorer").address):
                regulator.grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
            regulator.register_organisation(org, BusinessRole.MANUFACTURER)
            regulator.add_key(org, key.public_key_bytes)
            dev_prefix(registry, "6901234", org)  # the events commission its GTIN 06901234000108
            token = platform.issue_token(org_id=org, role="organisation")
            now_ms = registry.chain.block_timestamp() * 1000 + 1000
            server = uvicorn.Server(uvicorn.Config(create_app(platform=platform), port=0, log_level="warning"))
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            while not server.started:
                time.sleep(0.05)
            platform.signing_pool.warm_up()  # steady state: the signing processes start once, with the service
            port = server.servers[0].sockets[0].getsockname()[1]
            url = f"http://127.0.0.1:{port}/capture"
            headers = {
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/ld+json",
                "Prefer": "return=representation",
            }
            with httpx.Client(timeout=300) as client:
                rates = []
                for r in range(rounds):
                    body = _document(key, _events(bulk, now_ms, f"B{r}-"))
                    start = time.perf_counter()
                    answer = client.post(url, content=body, headers=headers)
                    elapsed = time.perf_counter() - start
                    accepted = answer.json()["acceptedCount"]
                    rates.append(accepted / elapsed)
                    console.print(
                        f"bulk capture {r + 1}: {accepted:,} events in {elapsed:.2f} s = {accepted / elapsed:,.0f}/s"
                    )
                figures["capture_events_per_s"] = statistics.median(rates)
                deadline = time.monotonic() + seconds
                steady = 0
                while time.monotonic() < deadline:
                    client.post(url, content=_document(key, _events(20, now_ms, f"L{steady}-")), headers=headers)
                    steady += 1
                    time.sleep(0.1)
            time.sleep(settings.batch_interval_seconds * 3 + 1)
            with platform.session() as session:
                batches = {b.id: b for b in session.exec(select(Batch)).all()}
                steady_events = session.exec(select(Event).where(col(Event.hash_id).is_not(None))).all()
            latencies = [
                batches[e.batch_id].anchored_at - e.received_at  # type: ignore[operator]
                for e in steady_events
                if e.batch_id in batches and batches[e.batch_id].anchored_at and "/21/L" in e.document
            ]
            latencies.sort()
            figures["anchor_latency_p50_ms"] = latencies[len(latencies) // 2]
            figures["anchor_latency_p99_ms"] = latencies[int(len(latencies) * 0.99) - 1]
            full = [b for b in batches.values() if b.leaf_count >= min(bulk, settings.batch_max_events) and b.tx_hash]
            if full:
                gas = registry.chain.gas_used(full[0].tx_hash)  # type: ignore[arg-type]
                figures["gas_per_event_full_batch"] = gas / full[0].leaf_count
                console.print(
                    f"gas: {gas:,} for a batch of {full[0].leaf_count:,} = {gas / full[0].leaf_count:.2f} per event"
                )
            console.print(
                f"event → anchored: p50 {figures['anchor_latency_p50_ms']:.0f} ms, "
                f"p99 {figures['anchor_latency_p99_ms']:.0f} ms over {len(latencies)} events "
                f"(batch interval {settings.batch_interval_seconds} s)"
            )
            console.print(f"bulk capture: {figures['capture_events_per_s']:,.0f} events/s (median of {rounds})")
        finally:
            if server is not None and thread is not None:
                server.should_exit = True
                thread.join(30)  # the service and its worker stop before the database does
            if platform is not None:
                platform.close()
            stop_node(record.pid, process=process)
    return figures


def _register(rpc: str, data: Path, org: str, public_key: bytes) -> Any:
    from chain.accounts import dev_account
    from chain.connection import connect
    from chain.deploy import Deployment
    from chain.registry import ROLE_ANCHORER, Registry
    from supplychain.registry import BusinessRole

    registry = Registry(connect(rpc), Deployment.load(data / "deployment.json"))
    regulator = registry.as_signer(dev_account("regulator").account)
    if not registry.has_role(ROLE_ANCHORER, dev_account("anchorer").address):  # the platform's worker anchors
        regulator.grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
    regulator.register_organisation(org, BusinessRole.MANUFACTURER)
    regulator.add_key(org, public_key)
    dev_prefix(registry, "6901234", org)  # the events commission its GTIN 06901234000108
    return registry


def bench_capture_processes(  # noqa: PLR0915 - the start of every process, then the timed rounds
    *,
    engine: str = "anvil",
    bulk: int = 10_000,
    rounds: int = 3,
    processes: int = 2,
    clients: int = 2,
    database: Database = "sqlite",
) -> float:
    """Aggregate bulk capture rate of ``clients`` concurrent submitters against N server processes beside one
    ``supplychain worker``, each its own OS process (as deployed), over real HTTP.

    On SQLite: one host, ``supplychain serve --processes N --no-worker``, the worker on its data folder. On
    PostgreSQL: N hosts, each ``supplychain serve --processes 1 --no-worker`` with its own data folder and port, and
    the worker with another, all on one database; client ``c`` posts to host ``c mod N``. The hosts share this
    machine's cores as one host's N processes do: each gets the same share of signing processes
    (``capture_workers``) that ``serve --processes N`` gives each of its server processes."""
    import os
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from chain.devchain import free_port, start_node, stop_node
    from supplychain.signing import SigningKey

    org = "6901234000016"
    key = SigningKey.from_private_bytes(hashlib.sha256(b"bench key").digest())
    cli = [sys.executable, "-m", "cli"]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        record, node = start_node(engine, log_path=folder / "node.log")  # type: ignore[arg-type]
        stack.callback(stop_node, record.pid, process=node)
        database_url = stack.enter_context(_database_url(database))
        shared = {**os.environ, "SUPPLYCHAIN_RPC_URL": record.url}
        hosts, per_host = (1, processes) if database_url is None else (processes, 1)
        if database_url is not None:
            shared["SUPPLYCHAIN_DATABASE_URL"] = database_url
            shared["SUPPLYCHAIN_CAPTURE_WORKERS"] = str(max(1, (os.cpu_count() or 1) // processes))

        def start(args: list[str], data: Path, log: Path) -> subprocess.Popen[bytes]:
            environment = {**shared, "SUPPLYCHAIN_DATA_DIR": str(data)}
            if data != folder / "host-0":  # the first host deployed the registry
                environment["SUPPLYCHAIN_DEPLOYMENT_FILE"] = str(folder / "host-0" / "deployment.json")
            with log.open("ab") as out:
                process = subprocess.Popen(  # noqa: S603 - our own command
                    [*cli, *args], env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
                )
            stack.callback(stop_node, process.pid, process=process)
            return process

        urls: list[str] = []
        for h in range(hosts):
            port = free_port()
            log = folder / f"serve-{h}.log"
            serve = start(
                ["serve", "--port", str(port), "--processes", str(per_host), "--no-worker"], folder / f"host-{h}", log
            )
            urls.append(f"http://127.0.0.1:{port}")
            wait_ready(urls[-1], serve, log)  # one after the other: the first migrates and deploys
        start(["worker"], folder / ("host-0" if database_url is None else "worker"), folder / "worker.log")
        registry = _register(record.url, folder / "host-0", org, key.public_key_bytes)
        token = subprocess.run(  # noqa: S603 - our own command
            [*cli, "tokens", "create", "--org", org],
            env={**shared, "SUPPLYCHAIN_DATA_DIR": str(folder / "host-0")},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        now_ms = registry.chain.block_timestamp() * 1000 + 1000
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",
        }
        time.sleep(3)  # the servers' signing processes start in the background

        def post(job: tuple[str, bytes]) -> int:
            with httpx.Client(timeout=300) as client:
                answer = client.post(job[0] + "/capture", content=job[1], headers=headers)
                answer.raise_for_status()
                accepted: int = answer.json()["acceptedCount"]
                return accepted

        where = f"{processes} server process{'es' if processes > 1 else ''}"
        where += "" if database_url is None else f" on {hosts} host{'s' if hosts > 1 else ''}"
        rates = []
        for r in range(rounds):
            jobs = [(urls[c % hosts], _document(key, _events(bulk, now_ms, f"M{r}-{c}-"))) for c in range(clients)]
            begin = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                accepted = sum(pool.map(post, jobs))
            elapsed = time.perf_counter() - begin
            rates.append(accepted / elapsed)
            console.print(
                f"{clients} clients x {bulk:,} events, {where}: {accepted:,} in {elapsed:.2f} s = "
                f"{accepted / elapsed:,.0f}/s"
            )
        rate = statistics.median(rates)
        console.print(f"aggregate bulk capture: {rate:,.0f} events/s (median of {rounds}; {where}, {_NAMES[database]})")
        return rate
