"""The command line as a user runs it: chain up/status/down, the demo, the chain benchmarks."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chain.devchain import free_port, is_alive, read_record
from cli.demo import DEMO_PASSPHRASE
from supplychain.signing import decrypt_private_key

CLI = [sys.executable, "-m", "cli"]
ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


def test_chain_up_status_down(tmp_path: Path) -> None:
    data, port = str(tmp_path), str(free_port())
    up = run("chain", "up", "--engine", "anvil", "--port", port, "--data-dir", data)
    assert up.returncode == 0, up.stderr
    assert f"started anvil at http://127.0.0.1:{port}" in up.stdout
    assert "registry deployed at 0x" in up.stdout
    record = read_record(tmp_path / "chain" / "node.json")
    assert record is not None and is_alive(record.pid)
    try:
        again = run("chain", "up", "--engine", "anvil", "--port", port, "--data-dir", data)
        assert "already running" in again.stdout and "registry found at" in again.stdout
        status = run("chain", "status", "--data-dir", data)
        assert status.returncode == 0, status.stderr
        assert "chain: id 31337" in status.stdout and "0 roots anchored" in status.stdout
    finally:
        down = run("chain", "down", "--data-dir", data)
    assert down.returncode == 0 and f"stopped anvil (pid {record.pid})" in down.stdout
    assert not is_alive(record.pid)
    after = run("chain", "status", "--data-dir", data)
    assert after.returncode == 1 and "no dev chain is running" in after.stderr
    assert run("chain", "down", "--data-dir", data).returncode == 1


def test_chain_up_refuses_an_unknown_engine(tmp_path: Path) -> None:
    result = run("chain", "up", "--engine", "ganache", "--data-dir", str(tmp_path))
    assert result.returncode == 1
    assert "unknown engine 'ganache'; use one of: hardhat, anvil" in result.stderr


def test_status_against_a_node_without_the_registry(tmp_path: Path) -> None:
    result = run("chain", "status", "--rpc", f"http://127.0.0.1:{free_port()}", "--data-dir", str(tmp_path))
    assert result.returncode == 1 and "cannot be reached" in result.stderr


def test_demo_sets_up_once_and_a_second_run_adds_nothing(tmp_path: Path) -> None:
    data, port, http = str(tmp_path), str(free_port()), str(free_port())
    first = run("demo", "--once", "--engine", "anvil", "--port", port, "--http-port", http, "--data-dir", data)
    assert first.returncode == 0, first.stderr
    for expected in (
        "registry deployed at",
        "+ organisation 6901234000016 绿源汽车制造有限公司 (manufacturer)",
        "+ organisation 91320200MA1MX7K3GD",
        "+ recognition #1: green factory (provincial) for 91320200MA1MX7K3GD",
        "+ recognition #2: green supply-chain enterprise (national) for 6901234000016",
        f"platform serving at http://127.0.0.1:{http}",
        "retailer     retail_selling  ACCEPTED",
        f"http://127.0.0.1:{http}/01/06901234000108/10/LY-20261121/21/0001",
        "stopped anvil",
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
    second = run("demo", "--once", "--engine", "anvil", "--port", port, "--http-port", http, "--data-dir", data)
    assert second.returncode == 0, second.stderr
    assert "registry found at" in second.stdout  # anvil kept its state in the data folder
    assert "  + " not in second.stdout
    assert "demo events already posted" in second.stdout


@pytest.mark.parametrize("args", [["bench", "chain", "--engine", "tester", "-n", "3"], ["bench", "gas"]])
def test_benchmarks_print_their_figures(args: list[str]) -> None:
    result = run(*args)
    assert result.returncode == 0, result.stderr
    if args[1] == "gas":
        rows = ("issueRecognition", "anchorRoot (later, 10,000 leaves)", "gas per event at 10,000 leaves")
        for name in (*rows, "assignPrefix (12 digits)", "delegateGtins (a range)", "revokeDelegation"):
            assert name in result.stdout
    else:
        assert "tx/s one after another" in result.stdout


def test_a_second_demo_on_a_fresh_hardhat_node_restores_the_registry(tmp_path: Path) -> None:
    data, port, http = str(tmp_path), str(free_port()), str(free_port())
    first = run("demo", "--once", "--engine", "hardhat", "--port", port, "--http-port", http, "--data-dir", data)
    assert first.returncode == 0, first.stderr
    times_before = journal_times(tmp_path / "supplychain.db")
    second = run("demo", "--once", "--engine", "hardhat", "--port", port, "--http-port", http, "--data-dir", data)
    assert second.returncode == 0, second.stderr
    out = second.stdout.replace("\n", " ")
    assert "registry restored from the platform's journal" in out  # the Hardhat node started empty again
    assert "  + " not in second.stdout  # organisations, keys and recognitions came back by replay
    assert "demo events already posted" in out
    # the node was started before the journal's first block, so every transaction was mined at its original time
    times_after = journal_times(tmp_path / "supplychain.db")  # (and maybe an anchor of events left pending)
    assert {tx: times_after[tx] for tx in times_before} == times_before
    assert len(times_before) > 10
    assert None not in times_before.values()


def journal_times(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as db:
        return dict(db.execute("SELECT tx_hash, block_time FROM registry_tx").fetchall())


def test_bench_capture_prints_its_figures_in_one_and_in_several_processes() -> None:
    args = ["--bulk", "300", "--rounds", "1", "--seconds", "1", "--processes", "2", "--clients", "2"]
    result = run("bench", "capture", *args, timeout=300)
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert "bulk capture 1: 300 events in" in out
    assert "event → anchored: p50" in out
    assert "2 clients x 300 events, 2 server processes: 600 in" in out
    assert "aggregate bulk capture:" in out
