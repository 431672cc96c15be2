"""End to end over real HTTP: `supplychain serve` as its own process, a real Hardhat node, a SQLite file.

The service is killed with SIGKILL while events arrive and batches are anchored, and started again: every accepted
event ends up anchored exactly once, with a proof the registry itself accepts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, col, create_engine, select
from typer.testing import CliRunner

from backend.models import Batch, Event
from chain.accounts import dev_account
from chain.connection import connect
from chain.deploy import Deployment
from chain.devchain import free_port, stop_node
from chain.registry import Registry
from cli.main import app
from supplychain.merkle import hash_id_to_bytes32
from supplychain.signing import SigningKey
from tests.backend import documents
from tests.chains import MANUFACTURER, Node, cast, start

ROOT = Path(__file__).resolve().parents[2]
KEY = SigningKey.from_private_bytes(b"\x42" * 32)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    yield from start("hardhat", Path(tmp_path_factory.mktemp("hardhat")))


class Service:
    """`supplychain serve` in a child process."""

    def __init__(self, data: Path, rpc: str, *args: str) -> None:
        self.data, self.port, self.args = data, free_port(), args
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "SUPPLYCHAIN_RPC_URL": rpc,
            "SUPPLYCHAIN_DATA_DIR": str(data),
            "SUPPLYCHAIN_BATCH_INTERVAL_SECONDS": "0.3",
            "SUPPLYCHAIN_ENVIRONMENT": "development",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with (self.data / "serve.log").open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "serve", "--port", str(self.port), *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/ready", timeout=5).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, (self.data / "serve.log").read_text()
            time.sleep(0.2)
        pytest.fail("the service did not become ready:\n" + (self.data / "serve.log").read_text()[-3000:])

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_node(self.process.pid, process=self.process)  # SIGTERM to the group, then SIGKILL

    def cli(self, *args: str) -> str:
        """``supplychain ARGS`` with the service's settings, as its operator runs it beside the service (the same
        command, in this process: an interpreter's start is seconds on a busy machine; not thread-safe)."""
        result = CliRunner().invoke(app, list(args), env=self.env)
        assert result.exit_code == 0, result.output
        return result.stdout.strip()


def rows(data: Path) -> tuple[list[Event], list[Batch]]:
    engine = create_engine(f"sqlite:///{data / 'supplychain.db'}")
    with Session(engine) as session:
        events = list(session.exec(select(Event).order_by(col(Event.id))).all())
        batches = list(session.exec(select(Batch).order_by(col(Batch.id))).all())
    engine.dispose()
    return events, batches


def wait_anchored(data: Path, count: int, timeout: float = 60) -> tuple[list[Event], list[Batch]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events, batches = rows(data)
        if (
            len(events) == count
            and all(e.batch_id is not None for e in events)
            and all(b.status == "anchored" for b in batches)
        ):
            return events, batches
        time.sleep(0.2)
    pytest.fail(f"not all of {count} events anchored: {rows(data)[1]}")


def test_capture_and_anchor_over_http_surviving_sigkill(hardhat: Node, tmp_path: Path) -> None:
    service = Service(tmp_path, hardhat.url)
    service.start()
    try:
        registry = Registry(connect(hardhat.url), Deployment.load(tmp_path / "deployment.json"))
        regulator = registry.as_signer(dev_account("regulator").account)
        cast(regulator)
        regulator.add_key(MANUFACTURER, KEY.public_key_bytes)
        token = service.cli("tokens", "create", "--org", MANUFACTURER)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",
        }
        documents.NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 1000
        accepted: list[str] = []
        for round_ in range(2):  # each round ends with a SIGKILL of every process (restarts take seconds each)
            for i in range(3):
                events = [documents.object_event(f"K{round_}-{i}-{n}") for n in range(20)]
                response = httpx.post(
                    service.url + "/capture",
                    content=documents.signed_document(KEY, events),
                    headers=headers,
                    timeout=30,
                )
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["acceptedCount"] == 20, json.dumps(body["events"][:2])
                accepted += [e["eventHashId"] for e in body["events"]]
                time.sleep(0.15)
            service.kill()  # no goodbye: whatever the worker was doing is cut off
            service.start()
        events, batches = wait_anchored(tmp_path, len(accepted))
    finally:
        service.stop()
    assert sorted(e.hash_id for e in events) == sorted(accepted)  # nothing lost, nothing twice
    assert registry.anchor_count() == len(batches)  # every batch anchored exactly once
    assert sorted(b.sequence for b in batches) == list(range(1, len(batches) + 1))  # type: ignore[type-var]
    by_id = {b.id: b for b in batches}
    for event in events[:: max(1, len(events) // 20)]:
        batch = by_id[event.batch_id]
        proof = [bytes.fromhex(p[2:]) for p in json.loads(event.proof or "[]")]
        assert registry.verify_event(bytes.fromhex(batch.root[2:]), proof, hash_id_to_bytes32(event.hash_id))


def test_several_server_processes_share_the_port_beside_one_anchoring_worker(hardhat: Node, tmp_path: Path) -> None:
    service = Service(tmp_path, hardhat.url, "--processes", "2", "--no-worker")
    service.start()
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker"],
        cwd=ROOT,
        env=service.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        assert service.process is not None
        children = subprocess.run(["pgrep", "-P", str(service.process.pid)], capture_output=True, text=True)
        assert len(children.stdout.split()) >= 2  # the server processes under the supervisor
        registry = Registry(connect(hardhat.url), Deployment.load(tmp_path / "deployment.json"))
        regulator = registry.as_signer(dev_account("regulator").account)
        if not registry.is_registered(MANUFACTURER):
            cast(regulator)
        regulator.add_key(MANUFACTURER, KEY.public_key_bytes)
        token = service.cli("tokens", "create", "--org", MANUFACTURER)
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",
        }
        documents.NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 1000
        bodies = [
            documents.signed_document(KEY, [documents.object_event(f"P{c}-{n}") for n in range(30)]) for c in range(6)
        ]

        def post(body: bytes) -> list[str]:
            response = httpx.post(service.url + "/capture", content=body, headers=headers, timeout=60)
            assert response.status_code == 200, response.text
            return [e["eventHashId"] for e in response.json()["events"] if e["status"] == "ACCEPTED"]

        with ThreadPoolExecutor(3) as pool:
            accepted = [h for hashes in pool.map(post, bodies) for h in hashes]
        assert len(accepted) == 180
        events, batches = wait_anchored(tmp_path, len(accepted))
    finally:
        stop_node(worker.pid, process=worker)
        service.stop()
    assert sorted(e.hash_id for e in events) == sorted(accepted)
    # the one worker anchored each event once, with the story link of its serial
    assert sum(b.leaf_count for b in batches) == 2 * 180
