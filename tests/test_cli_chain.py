"""The command line as a user runs it: chain up/status/down, the demo, the chain benchmarks.

What must run as its own process does (``chain up`` leaves its node running after it exits; the demo starts nodes,
servers and workers and stops them); the refusals, ``status``, ``down`` and the in-process benchmarks run the same
commands in this process (:class:`typer.testing.CliRunner`), without paying an interpreter's start each time.

The demo's runs in one data folder, as a user meets them (each run costs a node, a server process and a worker
process): the first run (on Hardhat, as `make run`) sets everything up; a run on a node that starts empty (anvil with
no saved state) takes the registry back from the platform's journal; the next anvil run finds it all in anvil's saved
state and adds nothing.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from chain.devchain import free_port, is_alive, read_record
from cli.demo import DEMO_PASSPHRASE
from cli.main import app
from supplychain.signing import decrypt_private_key

CLI = [sys.executable, "-m", "cli"]
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``supplychain ARGS`` as its own process."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


def invoke(*args: str) -> Result:
    """``supplychain ARGS`` in this process (the same command; its output and exit code)."""
    return CliRunner().invoke(app, list(args))


def test_chain_up_status_down(tmp_path: Path) -> None:
    data, port = str(tmp_path), str(free_port())
    up = run("chain", "up", "--engine", "anvil", "--port", port, "--data-dir", data)  # the node outlives the command
    assert up.returncode == 0, up.stderr
    assert f"started anvil at http://127.0.0.1:{port}" in up.stdout
    assert "registry deployed at 0x" in up.stdout
    record = read_record(tmp_path / "chain" / "node.json")
    assert record is not None and is_alive(record.pid)
    try:
        again = invoke("chain", "up", "--engine", "anvil", "--port", port, "--data-dir", data)
        assert "already running" in again.stdout and "registry found at" in again.stdout
        status = invoke("chain", "status", "--data-dir", data)
        assert status.exit_code == 0, status.output
        assert "chain: id 31337" in status.stdout and "0 roots anchored" in status.stdout
    finally:
        down = invoke("chain", "down", "--data-dir", data)
    assert down.exit_code == 0 and f"stopped anvil (pid {record.pid})" in down.stdout
    assert not is_alive(record.pid)
    after = invoke("chain", "status", "--data-dir", data)
    assert after.exit_code == 1 and "no dev chain is running" in after.stderr
    assert invoke("chain", "down", "--data-dir", data).exit_code == 1


def test_chain_up_refuses_an_unknown_engine(tmp_path: Path) -> None:
    result = invoke("chain", "up", "--engine", "ganache", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "unknown engine 'ganache'; use one of: hardhat, anvil" in result.stderr
    assert not (tmp_path / "chain").exists()  # refused before anything started


def test_status_against_a_node_without_the_registry(tmp_path: Path) -> None:
    result = invoke("chain", "status", "--rpc", f"http://127.0.0.1:{free_port()}", "--data-dir", str(tmp_path))
    assert result.exit_code == 1 and "cannot be reached" in result.stderr


def _first_demo_run(tmp_path: Path, port: str, http: str) -> None:
    """The demo's first run (Hardhat, as `make run`; --once): it deploys, registers, posts, issues the codes and waits
    for the anchors."""
    data = str(tmp_path)
    first = run("demo", "--once", "--engine", "hardhat", "--port", port, "--http-port", http, "--data-dir", data)
    assert first.returncode == 0, first.stderr
    for expected in (
        "registry deployed at",
        "+ organisation 6901234000016 绿源汽车制造有限公司 (manufacturer)",
        "+ organisation 91320200MA1MX7K3GD",
        "+ recognition #1: green factory (provincial) for 91320200MA1MX7K3GD",
        "+ recognition #2: green supply-chain management enterprise (national) for 6901234000016",
        f"platform serving at http://127.0.0.1:{http}",
        "retailer     retail_selling  ACCEPTED",
        f"http://127.0.0.1:{http}/01/06901234000108/10/LY-20261121/21/0001",
        "stopped hardhat",
    ):
        assert expected in first.stdout
    assert first.stdout.count("ACCEPTED") == 11
    qr = sorted(p.name for p in (tmp_path / "qr").iterdir())
    assert len(qr) == 12 and "labels.html" in qr and "codes.zip" in qr
    assert sorted(p.name for p in (tmp_path / "keys").iterdir()) == [
        "6901234000016.key",
        "6901234000023.key",
        "6901234000030.key",
        "91320200MA1MX7K3GD.key",
        "platform-receipts.key",
    ]
    assert "every demo event is anchored" in first.stdout
    with sqlite3.connect(tmp_path / "supplychain.db") as db:  # each event is older than the block anchoring it
        times = db.execute(
            "SELECT e.event_time, b.block_time FROM event e JOIN batch b ON b.id = e.batch_id "
            "WHERE b.status = 'anchored'"
        ).fetchall()
    assert len(times) == 11 and all(event_ms <= block_s * 1000 for event_ms, block_s in times)
    key = decrypt_private_key((tmp_path / "keys" / "6901234000016.key").read_bytes(), DEMO_PASSPHRASE)
    assert f"signing key {key.key_id} for 6901234000016" in first.stdout.replace("\n", "")


@pytest.mark.slow
def test_the_demo_sets_up_once_a_fresh_node_gets_the_registry_back_and_anvil_keeps_it(tmp_path: Path) -> None:
    data, port, http = str(tmp_path), str(free_port()), str(free_port())
    _first_demo_run(tmp_path, port, http)
    times_before = journal_times(tmp_path / "supplychain.db")
    # the Hardhat node is gone; anvil, started with no saved state, starts empty: the registry comes back from the
    # platform's journal
    second = run("demo", "--once", "--engine", "anvil", "--port", port, "--http-port", http, "--data-dir", data)
    assert second.returncode == 0, second.stderr
    out = second.stdout.replace("\n", " ")
    assert "registry restored from the platform's journal" in out
    assert "  + " not in second.stdout  # organisations, keys and recognitions came back by replay
    assert "demo events already posted" in out
    # the node was started before the journal's first block, so every transaction was mined at its original time
    times_after = journal_times(tmp_path / "supplychain.db")  # (and maybe an anchor of events left pending)
    assert {tx: times_after[tx] for tx in times_before} == times_before
    assert len(times_before) > 10
    assert None not in times_before.values()
    third = run("demo", "--once", "--engine", "anvil", "--port", port, "--http-port", http, "--data-dir", data)
    assert third.returncode == 0, third.stderr
    assert "registry found at" in third.stdout  # anvil kept its state in the data folder
    assert "  + " not in third.stdout
    assert "demo events already posted" in third.stdout


@pytest.mark.parametrize("args", [["bench", "chain", "--engine", "tester", "-n", "3"], ["bench", "gas"]])
def test_benchmarks_print_their_figures(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    if args[1] == "gas":
        rows = ("issueRecognition", "anchorRoot (later, 10,000 leaves)", "gas per event at 10,000 leaves")
        for name in (*rows, "assignPrefix (12 digits)", "delegateGtins (a range)", "revokeDelegation"):
            assert name in result.stdout
    else:
        assert "tx/s one after another" in result.stdout


def journal_times(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT tx_hash, block_time FROM registry_tx").fetchall())


@pytest.mark.slow
def test_bench_capture_prints_its_figures_in_one_and_in_several_processes() -> None:
    args = ["--bulk", "300", "--rounds", "1", "--seconds", "1", "--processes", "2", "--clients", "2"]
    result = run("bench", "capture", *args, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert "bulk capture 1: 300 events in" in out
    assert "event → anchored: p50" in out
    assert "2 clients x 300 events, 2 server processes: 600 in" in out
    assert "aggregate bulk capture:" in out
