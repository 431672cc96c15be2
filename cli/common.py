"""What the commands share: the data folder, error reporting, the console."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from chain.errors import ChainError
from supplychain.errors import TraceError

__all__ = ["LOG_WIDTH", "console", "data_dir", "fail", "reported"]

LOG_WIDTH = 240
"""Columns rich lays tables out in when stdout is not a terminal and ``COLUMNS`` is unset (rich's default there, 80,
would fold URLs, addresses and keys in a log; a table is only as wide as its content)."""

console = Console(
    highlight=False,
    soft_wrap=True,  # a line is never broken by rich: in a terminal it wraps as the terminal does, whole in a log
    width=None if sys.stdout.isatty() or os.environ.get("COLUMNS") else LOG_WIDTH,
)
"""The commands' console: long lines, URLs and hashes are printed whole, ready to copy from a terminal or a log."""


def data_dir(override: Path | None = None) -> Path:
    """The data folder: ``override``, else ``SUPPLYCHAIN_DATA_DIR``, else ``./data``."""
    return (override or Path(os.environ.get("SUPPLYCHAIN_DATA_DIR", "data"))).resolve()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn the project's errors into ``error: ...`` on stderr and exit code 1 (no traceback for expected failures)."""
    try:
        yield
    except (ChainError, TraceError, ValueError, OSError) as exc:
        fail(f"{type(exc).__name__}: {exc}")
