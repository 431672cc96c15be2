"""``supplychain bench attack``: a few seconds of the hostile loop against a platform it starts (anvil, ``supplychain
serve`` on 127.0.0.1); the report's figures, and its refusal of any address but loopback."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from benchmarks.attack import KINDS, _forged_page_tokens, _Monitor, _Service
from chain.devchain import free_port
from cli.main import app

_FIELDS = {
    "seconds", "clients", "requests", "requests_by_kind", "statuses", "statuses_by_kind", "server_errors",
    "server_error_examples", "alive", "pid_unchanged", "health_answering", "lost_processes", "orphans", "rss_mib",
    "rss_samples", "capture", "slow_clients", "probe", "restarts", "ok",
}  # fmt: skip


@pytest.mark.anvil
@pytest.mark.slow
def test_a_short_attack_counts_every_kind_and_samples_the_servers_memory() -> None:
    args = ["attack", "--minutes", "0.05", "--clients", "3", "--probe-max-mib", "0.0625", "--probe-depth", "16"]
    result = CliRunner().invoke(app, ["bench", *args, "--json"])
    assert result.exit_code in (0, 1), result.output
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(report) == _FIELDS
    # the exit code says what the report says: 1 on any 5xx or dead process
    failed = report["server_errors"] > 0 or not report["alive"] or bool(report["lost_processes"])
    failed = failed or any(bool(p["body_failure"] or p["nesting_failure"]) for p in report["probe"])
    assert report["ok"] is not failed and result.exit_code == (1 if failed else 0)
    # issue 11: hostile input never takes the platform down
    assert not failed, (report["server_error_examples"], report["lost_processes"], report["probe"])
    assert report["alive"] and report["ok"] and result.exit_code == 0
    examples = report["server_error_examples"]
    assert bool(examples) is (report["server_errors"] > 0) and len(examples) <= 10
    assert all(e["status"] >= 500 and e["kind"] in KINDS for e in examples)
    # every kind was sent and counted, each request once, in the histograms too
    by_kind = report["requests_by_kind"]
    assert set(by_kind) == set(KINDS) and all(count > 0 for count in by_kind.values())
    assert sum(by_kind.values()) == report["requests"] == sum(report["statuses"].values())
    assert {k: sum(v.values()) for k, v in report["statuses_by_kind"].items()} == by_kind
    assert any(s.startswith("4") for s in report["statuses"])  # hostile requests were answered, and refused
    # the server's process tree was measured before, during and after
    rss = report["rss_mib"]
    assert rss["before"] > 50 and rss["max"] >= rss["before"] and len(report["rss_samples"]) >= 2
    assert rss["after"] > 0 or not report["alive"]
    assert report["slow_clients"]["opened"] >= 16 or not report["alive"]
    capture = report["capture"]
    assert capture["events_accepted"] <= capture["events_sent"]
    assert capture["events_accepted"] > 0 or not report["alive"]  # valid captures went through while it lived
    # each JSON route of /openapi.json (and each JSON media type /capture announces) was probed
    probed = {(p["route"], p["content_type"]) for p in report["probe"]}
    assert {
        ("POST /capture", "application/json"),
        ("POST /capture", "application/ld+json"),
        ("POST /capture", "application/vnd.supplychain.signed-events+json"),
        ("POST /qr/issue", "application/json"),
        ("POST /recalls", "application/json"),
        ("POST /registry/transactions/prepare", "application/json"),
    } <= probed
    for row in report["probe"]:
        assert row["largest_body"] == 64 * 1024 and not row["body_failure"]
        assert row["deepest_nesting"] == 16 and not row["nesting_failure"]


@pytest.mark.parametrize(
    "option",
    [["--platform", "http://10.0.0.1:8000"], ["--platform", "http://example.com"], ["--rpc", "http://0.0.0.0:8545"]],
)
def test_it_attacks_nothing_but_loopback(option: list[str]) -> None:
    result = CliRunner().invoke(app, ["bench", "attack", "--minutes", "0.1", *option])
    assert result.exit_code == 1
    assert "must be on loopback (http://127.0.0.1:PORT)" in result.output


def test_an_unknown_kind_is_refused_before_anything_starts() -> None:
    result = CliRunner().invoke(app, ["bench", "attack", "--kind", "json_bomb", "--kind", "teardrop"])
    assert result.exit_code == 1
    assert "unknown kinds ['teardrop']: choose among json_bomb, oversized," in result.output


def test_the_monitor_finds_a_taken_servers_processes_and_sees_them_die(tmp_path: Path) -> None:
    """A platform taken by URL: its process found from its listening socket, its tree's RSS, and its death noticed
    (what makes the command exit 1 once the platform no longer dies of the loop's requests)."""
    port = free_port()
    child = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    server = subprocess.Popen(
        [sys.executable, "-c", child + f"import http.server as h; h.test(h.SimpleHTTPRequestHandler, port={port}, "
         "bind='127.0.0.1')"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(url + "/", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the test server did not start"
                time.sleep(0.1)
        service = _Service(tmp_path, platform_url=url, rpc=None)
        service.start()
        assert service.pid == server.pid and service.alive()
        monitor = _Monitor(service, period=1.0)
        monitor.sample()
        assert monitor.samples[0]["processes"] == 2 and monitor.samples[0]["mib"] > 5
        done = threading.Event()
        watcher = threading.Thread(target=monitor.run, args=(done,))
        watcher.start()
        time.sleep(1.5)
        assert not monitor.dead.is_set()
        server.kill()
        server.wait(5)
        assert monitor.dead.wait(5) and not service.alive()
        done.set()
        watcher.join()
        assert [entry.split()[0] for entry in monitor.lost()] == [str(server.pid)]  # its child lives on
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # its child too


def test_page_tokens_are_forged_whatever_their_form() -> None:
    real = base64.urlsafe_b64encode(b'{"after":5,"q":"ac67ec8737bdcc56"}').decode().rstrip("=")
    forged = _forged_page_tokens(real)
    texts = [base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)) for t in forged[3:]]
    assert b'{"after":9223372036854775808,"q":"ac67ec8737bdcc56"}' in texts and len(texts) == 7
    assert real not in forged and len(set(forged)) == len(forged)
    signed = "v2.eyJhZnRlciI6NX0.c2lnbmF0dXJl"  # once tokens are signed: tampered with only
    assert _forged_page_tokens(signed) == [signed[:-1] + "A", signed + "9" * 30, signed[: len(signed) // 2]]
