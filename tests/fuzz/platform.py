"""The platform the fuzzer attacks: ``supplychain serve`` as its own process (HTTP server and anchoring worker) on an
anvil node, with the standard cast, a few signed events, QR codes, a recall and a green recognition, and the three
credentials the fuzzer takes turns with: none, an organisation's token and the regulator's token.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from chain.accounts import dev_account
from chain.connection import connect
from chain.deploy import Deployment
from chain.devchain import free_port, stop_node
from chain.registry import Registry
from supplychain.registry import Level
from supplychain.signing import SigningKey
from tests.backend import documents
from tests.backend.green_chain import terms
from tests.chains import MANUFACTURER, SUPPLIER, cast

ROOT = Path(__file__).resolve().parents[2]
KEY = SigningKey.from_private_bytes(b"\x5a" * 32)
LOT = "FUZZ1"
RECALLED = "RECALLED1"


@dataclass
class Service:
    """``supplychain serve`` in a child process of its own session (so that it and its children stop together)."""

    data: Path
    rpc: str
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.data / "serve.log"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SUPPLYCHAIN_RPC_URL": self.rpc,
            "SUPPLYCHAIN_DATA_DIR": str(self.data),
            "SUPPLYCHAIN_BATCH_INTERVAL_SECONDS": "0.3",
            "SUPPLYCHAIN_ENVIRONMENT": "development",
            "SUPPLYCHAIN_PUBLIC_BASE_URL": "https://qr.example.cn",
            "SUPPLYCHAIN_CAPTURE_WORKERS": "1",
            "SUPPLYCHAIN_LOG_LEVEL": "WARNING",
        }

    def start(self) -> None:
        """Start the service and wait until it is ready (database and chain)."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cli", "serve", "--port", str(self.port)],
                cwd=ROOT,
                env=self.env(),
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
            if self.process.poll() is not None:
                pytest.fail(f"`supplychain serve` exited with {self.process.returncode}:\n{self.tail()}")
            time.sleep(0.2)
        pytest.fail(f"`supplychain serve` did not become ready in 60 s:\n{self.tail()}")

    def alive(self) -> bool:
        """Whether the server process is still running."""
        return self.process is not None and self.process.poll() is None

    def tail(self, chars: int = 4000) -> str:
        """The end of the service's log."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    def stop(self) -> None:
        """Stop the service's process group: SIGTERM, then SIGKILL; then whatever of the group outlived its leader
        (the signing pool's children, when the fuzzer found the server dead)."""
        if self.process is None:
            return
        if self.alive():
            stop_node(self.process.pid, process=self.process)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)  # the group id is the leader's pid (start_new_session)

    def cli(self, *args: str) -> str:
        """Run ``supplychain ARGS`` against the service's data folder and return what it printed."""
        out = subprocess.run(
            [sys.executable, "-m", "cli", *args],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return out.stdout.strip()


@dataclass
class Platform:
    """The running service and the credentials the fuzzer uses."""

    service: Service
    tokens: dict[str, str | None]
    seeded: dict[str, Any]


def seed(service: Service) -> Platform:
    """Register the cast and the manufacturer's key, then give the operations something to find."""
    registry = Registry(connect(service.rpc), Deployment.load(service.data / "deployment.json"))
    regulator = registry.as_signer(dev_account("regulator").account)
    cast(regulator)
    regulator.add_key(MANUFACTURER, KEY.public_key_bytes)
    now = registry.chain.block_timestamp()
    recognition, _ = registry.as_signer(dev_account("provincial-certifier").account).issue_recognition(
        terms(SUPPLIER, Level.PROVINCIAL, now, now + 1000 * 86_400)
    )
    with ThreadPoolExecutor(2) as pool:  # two CLI processes at once: each takes seconds to import the platform
        organisation = pool.submit(service.cli, "tokens", "create", "--org", MANUFACTURER)
        regulator_token = pool.submit(service.cli, "tokens", "create", "--regulator")
        tokens: dict[str, str | None] = {
            "anonymous": None,
            "organisation": organisation.result(),
            "regulator": regulator_token.result(),
        }
    org = {"Authorization": f"Bearer {tokens['organisation']}"}
    documents.NOW_MS[0] = registry.chain.block_timestamp() * 1000 + 1000
    events = [documents.object_event(f"F{n}") for n in range(4)]
    with httpx.Client(base_url=service.url, timeout=30) as client:
        captured = client.post(
            "/capture",
            content=documents.signed_document(KEY, events),
            headers={**org, "Content-Type": "application/ld+json", "Prefer": "return=representation"},
        )
        assert captured.status_code == 200 and captured.json()["acceptedCount"] == len(events), captured.text
        issued = client.post(
            "/qr/issue", json={"gtin": documents.GTIN, "lot": LOT, "serials": ["F0", "F1"]}, headers=org
        )
        assert issued.status_code < 300, issued.text
        issued = client.post(
            "/qr/issue", json={"gtin": documents.GTIN, "lot": RECALLED, "serials": ["R0"]}, headers=org
        )
        assert issued.status_code < 300, issued.text
        recalled = client.post(
            "/recalls", json={"gtin": documents.GTIN, "lot": RECALLED, "reason": "fuzz fixture"}, headers=org
        )
        assert recalled.status_code < 300, recalled.text
    hashes = [e["eventHashId"] for e in captured.json()["events"]]
    return Platform(
        service,
        tokens,
        {"eventHashIds": hashes, "recognition": recognition, "gtin": documents.GTIN, "lot": LOT, "org": MANUFACTURER},
    )


def dump(platform: Platform) -> str:
    """What was seeded, for failure messages."""
    return json.dumps(platform.seeded, indent=1)
