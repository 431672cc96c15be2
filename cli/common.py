"""What the commands share: the data folder, error reporting, the console."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from chain.errors import ChainError
from supplychain.errors import TraceError

if TYPE_CHECKING:
    from chain.registry import Registry

__all__ = ["console", "data_dir", "dev_prefix", "fail", "reported"]

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


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, *, seconds: float = 120) -> None:
    """Wait until the service at ``url`` started as ``process`` answers ``/ready`` (its log's end in the error)."""
    import httpx  # only the benchmarks that start a service need it

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


def dev_prefix(registry: Registry, prefix: str, org_id: str) -> list[str]:
    """On a dev chain: make the ``gs1-registrar`` dev account a GS1 registrar (from the regulator's dev account) and
    assign ``prefix`` to ``org_id``, where not done yet, so that the organisation may commission its GTINs. Returns
    one line per change made."""
    from chain.accounts import dev_account
    from chain.registry import ROLE_REGISTRAR

    done = []
    registrar = dev_account("gs1-registrar")
    if not registry.has_role(ROLE_REGISTRAR, registrar.address):
        registry.as_signer(dev_account("regulator").account).register_registrar(registrar.address)
        done.append(f"GS1 registrar {registrar.address}")
    if registry.prefix_holder_at(prefix, registry.chain.block_timestamp()) != org_id:
        registry.as_signer(registrar.account).assign_prefix(prefix, org_id)
        done.append(f"GS1 Company Prefix {prefix} for {org_id}")
    return done
