"""`make run` as a regulator meets it: the demo prints the exact `supplychain audit` command, and it runs clean.

The demo (`supplychain demo`, what `make run` starts) runs as its own process on anvil until stopped; the audit
command is taken from its output word for word and run as the regulator would.
"""

from __future__ import annotations

import json
import os
import queue
import re
import shlex
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from chain.accounts import dev_account
from chain.devchain import free_port

CLI = [sys.executable, "-m", "cli"]
ROOT = Path(__file__).resolve().parent.parent


def _read_until(process: subprocess.Popen[str], marker: str, seconds: float = 180) -> str:
    """The demo's output up to the line holding ``marker`` (read by a thread: a silent demo cannot hang the test)."""
    assert process.stdout is not None
    stream = process.stdout
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    out: list[str] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        out.append(line)
        if marker in line:
            return "".join(out)
    raise AssertionError("the demo did not get ready:\n" + "".join(out))


def _wait_anchored(database: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with sqlite3.connect(database) as db:
            pending = db.execute(
                "SELECT count(*) FROM event e LEFT JOIN batch b ON b.id = e.batch_id "
                "WHERE b.id IS NULL OR b.status != 'anchored'"
            ).fetchone()[0]
        if pending == 0:
            return
        time.sleep(0.5)
    raise AssertionError(f"{pending} demo events were not anchored")


@pytest.mark.slow
def test_the_demo_prints_its_audit_command_and_the_audit_runs_clean(tmp_path: Path) -> None:
    port, http = str(free_port()), str(free_port())
    env = {
        **os.environ,
        "COLUMNS": "80",
        "PYTHONUNBUFFERED": "1",
    }  # a narrow terminal must not break the command over lines
    demo = subprocess.Popen(
        [*CLI, "demo", "--engine", "anvil", "--port", port, "--http-port", http, "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        out = _read_until(demo, "serving: chain")
        lines = [line.strip() for line in out.splitlines() if line.strip().startswith("supplychain audit ")]
        assert len(lines) == 1, out
        words = shlex.split(lines[0])
        options = dict(zip(words[2::2], words[3::2], strict=True))
        token = (tmp_path / "demo-regulator-token").read_text(encoding="ascii").strip()
        assert options["--token"] == token and token.startswith("sc_")
        assert re.fullmatch(r"0x[0-9a-fA-F]{40}", options["--registry"])
        assert options["--rpc"] == f"http://127.0.0.1:{port}"
        assert options["--platform"] == f"http://127.0.0.1:{http}"
        assert options["--anchorer"] == dev_account("anchorer").address
        assert (tmp_path / "demo-regulator-token").stat().st_mode & 0o077 == 0
        _wait_anchored(tmp_path / "supplychain.db")
        audit = subprocess.run(
            [*CLI, *words[1:]], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env, check=False
        )
        assert audit.returncode == 0, audit.stdout + audit.stderr
        report = json.loads((Path(options["--out"]) / "audit-report.json").read_text(encoding="utf-8"))
        assert report["verdict"] == "pass"
        # the demo's steps are 0.1 s apart: the chronology rules fit real clocks, so a clean store gives no finding
        assert report["findings"] == [], report["findings"]
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait()
        time.sleep(0.5)  # the reader thread meets the end of the output
        if demo.stdout is not None:
            demo.stdout.close()
