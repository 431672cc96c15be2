"""``supplychain serve``, ``supplychain worker`` and ``supplychain tokens``: run and administer the platform."""

from __future__ import annotations

import json
import logging
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from backend.core.config import Settings
from cli.chain_cmd import DataDir
from cli.common import _, console, fail, ngettext, pgettext, reported

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


@tokens_app.command("list", epilog="Example: supplychain tokens list --json")
def list_tokens(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (one object per token).")] = False,
    data: DataDir = None,
) -> None:
    """List the API tokens: id, organisation or regulator, label, when created and revoked (never the tokens
    themselves: only their hashes are stored)."""
    from backend.services.platform import Platform

    with reported():
        platform = Platform.open(load_settings(data))
        try:
            rows = platform.tokens()
        finally:
            platform.close()
    listed = [
        {
            "id": t.id,
            "organisation": t.org_id,
            "role": t.role,
            "label": t.label,
            "createdAt": _when(t.created_at),
            "revokedAt": _when(t.revoked_at),
        }
        for t in rows
    ]
    if as_json:
        typer.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    if not listed:
        console.print(_("no tokens yet: create one with supplychain tokens create"))
        return
    table = Table(box=None, pad_edge=False)
    for header in (
        pgettext("token", "id"),
        pgettext("token", "for"),
        pgettext("token", "label"),
        pgettext("token", "created"),
        pgettext("token", "revoked"),
    ):
        table.add_column(header, no_wrap=True)
    for t in rows:
        table.add_row(
            str(t.id),
            t.org_id or _("the regulator"),
            escape(t.label),
            _when(t.created_at),
            _when(t.revoked_at) or "–",
        )
    console.print(table)


@tokens_app.command("revoke", epilog="Example: supplychain tokens revoke 3")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id (supplychain tokens list).", min=1, max=2**62)],
    data: DataDir = None,
) -> None:
    """Revoke an API token at once: its requests are refused from now on (401), and so are browser sessions signed
    in with it. Revoking a revoked token changes nothing."""
    from backend.services.platform import Platform

    with reported():
        platform = Platform.open(load_settings(data))
        try:
            already = next((t.revoked_at for t in platform.tokens() if t.id == token_id), None)
            token = platform.revoke_token(token_id)
        finally:
            platform.close()
    if token is None:
        fail(_("there is no token {id}: supplychain tokens list shows them", id=token_id))
    who = token.org_id or _("the regulator")
    if already is not None:
        console.print(_("token {id} ({who}) was already revoked at {when}", id=token_id, who=who, when=_when(already)))
    else:
        console.print(_("revoked token {id} ({who})", id=token_id, who=who))


def _when(ms: int | None) -> str | None:
    """A stored time (ms since the epoch) as ISO 8601 UTC, to the second."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
