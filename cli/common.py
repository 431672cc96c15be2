"""What the commands share: the data folder, error reporting, the console."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console

from chain.errors import ChainError
from supplychain.errors import TraceError

__all__ = ["console", "data_dir", "fail", "reported"]

console = Console(highlight=False)


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
