"""Hostile input over real HTTP: a server process (tests.backend.edge_server: everything `supplychain serve` imports)
fed 200,000 ``[`` on every route that takes a body, with and without a token, stays up and answers 4xx problems."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.routing import APIRoute

from backend.api.app import create_app
from backend.api.limits import RECURSION_LIMIT
from backend.api.routes.capture import MEDIA_TYPES
from backend.core.config import Settings
from chain.devchain import free_port
from tests.backend.documents import GTIN

BRACKETS = b"[" * 200_000
JSON_TYPES = ["application/json", "application/ld+json", "application/json; charset=utf-8", None]


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    tokens: dict[str, str]
    recursion_limit: int

    def alive(self) -> bool:
        """The process runs and answers."""
        return self.process.poll() is None and httpx.get(self.url + "/health", timeout=10).status_code == 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = free_port()
    data = tmp_path_factory.mktemp("edge")
    command = [sys.executable, "-m", "tests.backend.edge_server", str(data), str(port)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        started = json.loads(process.stdout.readline() or b"{}")
        assert "tokens" in started, "the server did not start"
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/health", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the server does not answer"
                time.sleep(0.1)
        yield Server(process, url, started["tokens"], started["recursionLimit"])
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _routes_with_bodies() -> list[tuple[str, str]]:
    """(method, path) of every route that may take a body, found by walking the application's routes."""

    def walk(routes: list[object]) -> Iterator[APIRoute]:
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                yield from walk(inner.routes)
            elif isinstance(route, APIRoute):
                yield route

    app = create_app(Settings(environment="test"))
    return sorted(
        (method, route.path)
        for route in walk(list(app.routes))
        for method in route.methods
        if method in ("POST", "PUT", "PATCH", "DELETE")
    )


ROUTES = _routes_with_bodies()


def test_the_routes_with_bodies_are_found() -> None:
    paths = {path for _, path in ROUTES}
    assert {
        "/capture",
        "/registry/transactions/prepare",
        "/registry/transactions",
        "/recalls",
        "/qr/issue",
        "/credentials",
        "/credentials/verify",
    } <= paths


def test_the_server_runs_with_a_sane_recursion_limit(server: Server) -> None:
    assert server.recursion_limit == RECURSION_LIMIT


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_deep_brackets_are_refused_on_every_route(server: Server, method: str, path: str) -> None:
    media_types = JSON_TYPES + (MEDIA_TYPES if path == "/capture" else [])
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for token in (None, server.tokens["organisation"], server.tokens["regulator"]):
            for media_type in media_types:
                headers = {"Authorization": f"Bearer {token}"} if token else {}
                if media_type:
                    headers["Content-Type"] = media_type
                try:
                    answer = client.request(method, path, content=BRACKETS, headers=headers)
                except httpx.TransportError as exc:
                    pytest.fail(f"{method} {path} ({media_type}, token: {bool(token)}): no answer ({exc!r})")
                what = f"{method} {path} ({media_type}, token: {bool(token)}): {answer.status_code} {answer.text[:200]}"
                assert 400 <= answer.status_code < 500, what
                assert answer.headers["content-type"] == "application/problem+json", what
                assert answer.json()["detail"], what
    assert server.alive()


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.parametrize("path", ["/qr/bulk.zip", "/qr/labels"])
def test_bulk_codes_stop_being_made_when_the_client_goes_away(server: Server, path: str) -> None:
    headers = {"Authorization": f"Bearer {server.tokens['organisation']}"}
    lot = "GONE-" + path.removeprefix("/qr/")
    first = 1 if path.endswith("zip") else 20_001  # a serial is issued once per GTIN
    body = {"gtin": GTIN, "lot": lot, "serialStart": first, "serialEnd": first + 9_999}
    with httpx.Client(base_url=server.url, timeout=60, headers=headers) as client:
        assert client.post("/qr/issue", json=body).status_code == 201
        params = {"gtin": GTIN, "lot": lot, "limit": 10_000, "format": "png", "scale": 20}
        with client.stream("GET", path, params=params) as answer:
            assert answer.status_code == 200 and answer.headers["X-Code-Count"] == "10000"
            next(answer.iter_raw())  # the first chunk: making has started (10,000 codes take many seconds)
    # the server finishes the chunk in hand (~256 KB of images), then goes idle; making all 10,000 takes >20 s CPU
    start = _cpu_seconds(server.process.pid)
    deadline, quiet = time.monotonic() + 15, 0
    while quiet < 2:
        assert time.monotonic() < deadline, "still making codes for a client that went away"
        before = _cpu_seconds(server.process.pid)
        time.sleep(0.5)
        quiet = quiet + 1 if _cpu_seconds(server.process.pid) - before < 0.05 else 0
    assert _cpu_seconds(server.process.pid) - start < 3.0
    assert server.alive()
