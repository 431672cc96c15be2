"""The platform as deployed, for the process tests: ``supplychain serve`` (a supervisor and its server and worker
processes) on an anvil node, reached over real HTTP, and its processes read from ``/proc``."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.common import wait_ready
from chain.connection import connect
from chain.devchain import dev_prefix, free_port
from supplychain.signing import SigningKey
from tests.backend.documents import object_event, signed_document

#: The organisation the process tests capture for, and its signing key.
ORG = "6901234000016"
KEY = SigningKey.from_private_bytes(hashlib.sha256(b"served test key").digest())


def parent_of(pid: int) -> int | None:
    """The parent pid of a live process (None if it is gone or a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    state, ppid = stat.rsplit(")", 1)[1].split()[:2]
    return None if state in ("Z", "X") else int(ppid)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a process that still runs (a zombie does not)."""
    return parent_of(pid) is not None


def children(pid: int) -> list[int]:
    """The live children of ``pid``."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_of(int(entry.name)) == pid:
            out.append(int(entry.name))
    return sorted(out)


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``."""
    found, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            found.append(child)
            todo.append(child)
    return found


def comm(pid: int) -> str:
    """The process's name (``sc-server-1``, ``sc-anchoring``, ``sc-signing`` for the platform's)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def wait_for(predicate: Callable[[], object], seconds: float, what: str) -> None:
    """Poll ``predicate()`` every 0.1 s until it is true; fail after ``seconds`` naming ``what``."""
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {seconds} s: {what}")
        time.sleep(0.1)


@dataclass
class Served:
    """A running ``supplychain serve``."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    data: Path
    rpc: str

    def child(self, name: str) -> int | None:
        """The pid of the supervisor's child named ``name`` (``sc-server-1``, ``sc-anchoring``)."""
        return next((p for p in children(self.process.pid) if comm(p) == name), None)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def serve(tmp: Path, rpc: str, *args: str, **env: str) -> Iterator[Served]:
    """``supplychain serve --port P *args`` with ``SUPPLYCHAIN_<KEY>=value`` for each of ``env``; on exit, SIGTERM and
    a check that the supervisor stopped every process it started."""
    port = free_port()
    data = tmp / "data"
    variables = {
        **os.environ,
        "SUPPLYCHAIN_RPC_URL": rpc,
        "SUPPLYCHAIN_DATA_DIR": str(data),
        "SUPPLYCHAIN_ENVIRONMENT": "test",
        **{f"SUPPLYCHAIN_{k.upper()}": v for k, v in env.items()},
    }
    log = tmp / "serve.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "cli", "serve", "--port", str(port), *args],
            env=variables,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(f"http://127.0.0.1:{port}", process, log, data, rpc)
    try:
        wait_ready(served.url, process, log, seconds=90)
        yield served
    finally:
        below = descendants(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        wait_for(lambda: not any(alive(p) for p in below), 10, f"the processes {below} end with the supervisor")


def register(served: Served) -> str:
    """Let the platform's anchorer anchor, register :data:`ORG` and :data:`KEY` on the served registry; returns an
    API token of the organisation."""
    from backend.core.config import Settings
    from backend.services.platform import Platform
    from chain.accounts import dev_account
    from chain.connection import connect
    from chain.deploy import Deployment
    from chain.registry import ROLE_ANCHORER, Registry
    from supplychain.registry import BusinessRole

    registry = Registry(connect(served.rpc), Deployment.load(served.data / "deployment.json"))
    regulator = registry.as_signer(dev_account("regulator").account)
    if not registry.has_role(ROLE_ANCHORER, dev_account("anchorer").address):
        regulator.grant_role(ROLE_ANCHORER, dev_account("anchorer").address)
    if not registry.is_registered(ORG):
        regulator.register_organisation(ORG, BusinessRole.MANUFACTURER)
        regulator.add_key(ORG, KEY.public_key_bytes)
    dev_prefix(registry, "6901234", ORG)  # the tests commission its GTINs
    platform = Platform.open(Settings(data_dir=served.data, rpc_url=served.rpc, environment="test"))
    try:
        return platform.issue_token(org_id=ORG, role="organisation")
    finally:
        platform.close()


class Capturer:
    """Posts signed documents of five events each (their EPCs tagged ``tag``), one after the other, in a thread, a
    ``pause`` between them; keeps what was accepted, when, and every failure (a refused post, a broken connection)."""

    def __init__(self, served: Served, token: str, tag: str, *, pause: float = 0.05) -> None:
        self.url = served.url + "/capture"
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/ld+json",
            "Prefer": "return=representation",
        }
        self.tag = tag
        self.pause = pause
        self.at_ms = connect(served.rpc).block_timestamp() * 1000 + 1000
        self.accepted: list[str] = []
        self.answered_at: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Capturer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        n = 0
        with httpx.Client(timeout=20) as client:
            while not self._stop.is_set():
                events = [object_event(f"{self.tag}{n}-{i}", at_ms=self.at_ms) for i in range(5)]
                n += 1
                try:
                    answer = client.post(self.url, content=signed_document(KEY, events), headers=self.headers)
                except httpx.HTTPError as exc:  # the server process was killed under the request: try the next
                    self.failures.append(repr(exc))
                    time.sleep(0.1)
                    continue
                if answer.status_code != 200:
                    self.failures.append(f"{answer.status_code} {answer.text[:300]}")
                    continue
                self.accepted += [e["eventHashId"] for e in answer.json()["events"] if e["status"] == "ACCEPTED"]
                self.answered_at.append(time.monotonic())
                self._stop.wait(self.pause)

    def answers_after(self, moment: float) -> int:
        return sum(1 for t in self.answered_at if t > moment)
