"""The benchmarks of a served platform as a user runs them, with tiny values: ``supplychain bench anchoring`` (anvil
mining a block a second, a confirmation depth) and ``supplychain bench capture --database postgresql`` (N hosts on a
throwaway PostgreSQL server). They check what is printed, never how fast: speed is what the commands report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

CLI = [sys.executable, "-m", "cli"]
ROOT = Path(__file__).resolve().parent.parent
LATENCY = r"p50 ([\d,]+) ms, p99 ([\d,]+) ms"


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.mark.anvil
@pytest.mark.slow
def test_bench_anchoring_prints_the_latencies_to_anchored_and_to_final_and_what_it_saw() -> None:
    result = run("bench", "anchoring", "--seconds", "3", "--rate", "5", "--confirmations", "2")
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert "anvil mining a block every 1 s; confirmations 2; batch interval 1.0 s; 5 events/s over HTTP for 3 s" in out
    seen = re.search(r"events: ([\d,]+) captured, ([\d,]+) anchored in ([\d,]+) batches, ([\d,]+) final; "
                     r"reorgs (\d+), fee bumps (\d+)", out)  # fmt: skip
    assert seen is not None, out
    captured, anchored, batches, final = (number(g) for g in seen.groups()[:4])
    assert captured == anchored == final > 0 and 1 <= batches <= captured
    for what in ("anchored", "final"):
        found = re.search(rf"event → {what}: {LATENCY}", out)
        assert found is not None, out
        assert number(found.group(1)) <= number(found.group(2))  # p50 <= p99
    assert "not final" not in out


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["anchoring", "--block-time", "0"], "Invalid value for '--block-time'"),
        (["anchoring", "--confirmations", "-1"], "Invalid value for '--confirmations'"),
        (["anchoring", "--seconds", "0.5"], "Invalid value for '--seconds'"),
        (["capture", "--database", "mysql"], "'mysql': expected sqlite or postgresql"),
    ],
)
def test_bad_options_are_refused_before_anything_starts(args: list[str], complaint: str) -> None:
    result = CliRunner().invoke(app, ["bench", *args])  # in this process: a refusal needs no interpreter's start
    assert result.exit_code == 2
    assert complaint in " ".join(result.stderr.split()), result.stderr  # rich may break the line


@pytest.mark.anvil
@pytest.mark.slow
def test_bench_capture_on_postgresql_prints_the_aggregate_of_several_hosts() -> None:
    args = ["--database", "postgresql", "--bulk", "300", "--rounds", "1", "--seconds", "1"]
    result = run("bench", "capture", *args, "--processes", "2", "--clients", "2")
    assert result.returncode == 0, result.stderr + result.stdout
    out = result.stdout
    assert out.count("database: PostgreSQL, a throwaway server") == 2  # the in-process run's, the hosts'
    assert "bulk capture 1: 300 events in" in out
    assert "event → anchored: p50" in out
    assert "2 clients x 300 events, 2 server processes on 2 hosts: 600 in" in out
    assert re.search(r"aggregate bulk capture: [\d,]+ events/s \(median of 1; 2 server processes on 2 hosts, "
                     r"PostgreSQL\)", out), out  # fmt: skip
