"""What the benchmarks share: their console and waiting for a service they started."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

__all__ = ["console", "wait_ready"]

console = Console(
    highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 240
)
"""Progress and figures on stdout: lines are never broken by rich, and when stdout is not a terminal (a log) tables get
240 columns rather than rich's 80, so figures, URLs and hashes stay whole on their lines."""


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, *, seconds: float = 120) -> None:
    """Wait until the service at ``url`` started as ``process`` answers ``/ready`` (its log's end in the error)."""
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url + "/ready", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise RuntimeError("the service did not start: " + log.read_text()[-2000:])
        time.sleep(0.3)
