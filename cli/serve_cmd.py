"""``supplychain serve``, ``supplychain worker`` and ``supplychain tokens``: run and administer the platform."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer

from backend.core.config import Settings
from cli.chain_cmd import DataDir
from cli.common import _, console, fail, ngettext, reported

app = typer.Typer()
tokens_app = typer.Typer(
    epilog="Example: supplychain tokens create --regulator --label audit",
    help="API tokens of organisations and of the regulator.",
    no_args_is_help=True,
)


def load_settings(data: Path | None = None, **overrides: object) -> Settings:
    """Settings from the environment (and SUPPLYCHAIN_CONFIG), with command-line overrides."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data is not None:
        values["data_dir"] = data
    try:
        return Settings(**values)  # type: ignore[arg-type]
    except ValueError as exc:
        fail(_("invalid settings: {reason}", reason=exc))


@app.command("serve", epilog="Example: supplychain serve --port 8000 --processes 2")
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Run the anchoring worker as a supervised process (--no-worker: run `supplychain worker` apart).",
        ),
    ] = True,
    processes: Annotated[
        int,
        typer.Option("--processes", min=1, max=64, help="HTTP server processes sharing the port."),
    ] = 1,
    data: DataDir = None,
) -> None:
    """Run the platform's HTTP service (settings from SUPPLYCHAIN_* variables or the SUPPLYCHAIN_CONFIG file).

    The server processes and the anchoring worker are children of this process, which restarts any that dies
    and stops them all on SIGTERM or Ctrl-C. Slow clients are cut off: SUPPLYCHAIN_HEADER_TIMEOUT_SECONDS,
    SUPPLYCHAIN_BODY_TIMEOUT_SECONDS, SUPPLYCHAIN_KEEP_ALIVE_TIMEOUT_SECONDS.
    """
    from backend.supervisor import Supervisor

    settings = load_settings(data, host=host, port=port, run_worker=worker)
    supervisor = Supervisor(settings, processes=processes, worker=worker)
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    with reported():
        supervisor.start()
    values = {"url": f"http://{settings.host}:{supervisor.port}", "data": settings.data_dir.resolve()}
    if worker:
        serving = ngettext(
            "serving on {url} (data {data}, {count} server process, anchoring worker)",
            "serving on {url} (data {data}, {count} server processes, anchoring worker)",
            processes,
            **values,
        )
    else:
        serving = ngettext(
            "serving on {url} (data {data}, {count} server process; run `supplychain worker` for the anchoring)",
            "serving on {url} (data {data}, {count} server processes; run `supplychain worker` for the anchoring)",
            processes,
            **values,
        )
    console.print(serving)
    supervisor.run(stop)


@app.command("worker", epilog="Example: supplychain worker --data-dir data")
def worker_command(data: DataDir = None) -> None:
    """Run the anchoring worker as its own process (beside `supplychain serve --no-worker`)."""
    from backend.supervisor import run_anchoring_worker

    settings = load_settings(data)
    with reported():
        run_anchoring_worker(settings, announce=lambda: console.print(_("anchoring worker running; Ctrl-C to stop")))


@tokens_app.command("create", epilog="Example: supplychain tokens create --org 6901234000016 --label erp")
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
        fail(_("give either --org ID or --regulator"))
    with reported():
        org_id = parse_org_id(org) if org else None
        platform = Platform.open(load_settings(data))
        token = platform.issue_token(org_id=org_id, role="regulator" if regulator else "organisation", label=label)
        platform.close()
    typer.echo(token)


logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
