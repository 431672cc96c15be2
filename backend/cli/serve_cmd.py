"""``supplychain serve``, ``supplychain worker`` and ``supplychain tokens``: run and administer the platform."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from backend.cli.chain_cmd import DataDir
from backend.cli.common import console, fail, reported
from backend.core.config import Settings

app = typer.Typer()
tokens_app = typer.Typer(help="API tokens of organisations and of the regulator.", no_args_is_help=True)


def load_settings(data: Path | None = None, **overrides: object) -> Settings:
    """Settings from the environment (and SUPPLYCHAIN_CONFIG), with command-line overrides."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data is not None:
        values["data_dir"] = data
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        fail(f"invalid settings: {exc}")


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Run the anchoring worker in this process.")
    ] = True,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            min=1,
            max=64,
            help="HTTP server processes sharing the port (more than 1 needs --no-worker and `supplychain worker`).",
        ),
    ] = 1,
    data: DataDir = None,
) -> None:
    """Run the platform's HTTP service (settings from SUPPLYCHAIN_* variables or the SUPPLYCHAIN_CONFIG file)."""
    import uvicorn

    from backend.api.app import create_app

    settings = load_settings(data, host=host, port=port, run_worker=worker)
    if processes > 1 and worker:
        fail("--processes above 1 needs --no-worker: run the one anchoring worker as `supplychain worker`")
    console.print(
        f"serving on http://{settings.host}:{settings.port} (data {settings.data_dir.resolve()}"
        + (f", {processes} processes)" if processes > 1 else ")")
    )
    if processes == 1:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level="warning",
            access_log=False,
            forwarded_allow_ips=settings.forwarded_allow_ips,
        )
        return
    from backend.services.platform import Platform

    with reported():  # migrate the database and make the receipt key once, before the processes race to
        Platform.open(settings).close()
    # each process builds its own app from the environment: hand the command-line overrides over through it
    os.environ["SUPPLYCHAIN_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["SUPPLYCHAIN_RUN_WORKER"] = "false"
    # the cores are shared: each server process gets its share of signing processes (measured best on 2 cores)
    os.environ.setdefault("SUPPLYCHAIN_CAPTURE_WORKERS", str(max(1, (os.cpu_count() or 1) // processes)))
    uvicorn.run(
        "backend.api.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=processes,
        log_level="warning",
        access_log=False,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@app.command("worker")
def worker_command(data: DataDir = None) -> None:
    """Run the anchoring worker as its own process (start the service with --no-worker then)."""
    from backend.services.anchoring import AnchoringWorker
    from backend.services.platform import Platform

    settings = load_settings(data)
    with reported():
        platform = Platform.open(settings)
        worker = AnchoringWorker(platform)
        stop = threading.Event()

        def handler(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        worker.start()
        console.print("anchoring worker running; Ctrl-C to stop")
        stop.wait()
        worker.stop()
        platform.close()


@tokens_app.command("create")
def create_token(
    org: Annotated[str | None, typer.Option("--org", help="The organisation (GLN or USCC) the token acts for.")] = None,
    regulator: Annotated[bool, typer.Option("--regulator", help="A token for the regulator's routes.")] = False,
    label: Annotated[str, typer.Option(help="A note to tell tokens apart.")] = "",
    data: DataDir = None,
) -> None:
    """Create an API token and print it once (only its hash is stored)."""
    from backend.services.platform import Platform
    from supplychain.gs1 import parse_org_id

    if regulator == (org is not None):
        fail("give either --org ID or --regulator")
    with reported():
        org_id = parse_org_id(org) if org else None
        platform = Platform.open(load_settings(data))
        token = platform.issue_token(org_id=org_id, role="regulator" if regulator else "organisation", label=label)
        platform.close()
    typer.echo(token)


logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
