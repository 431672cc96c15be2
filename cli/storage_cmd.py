"""``supplychain check-storage``: sweep the store for damaged rows that no request meets by itself."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cli.chain_cmd import DataDir
from cli.common import _, ngettext, reported
from cli.serve_cmd import load_settings

app = typer.Typer()


@app.command("check-storage", epilog="Example: supplychain check-storage --data-dir data --json")
def check_storage_command(
    data: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per damaged row.")] = False,
) -> None:
    """Sweep the store for damaged rows no request meets by itself; exit code 1 when there is any.

    Issued codes and scans whose GTIN, lot, serial or time do not read, identifier rows naming no stored event,
    events naming no stored batch, batches of an unknown status (see backend.services.storage_check). Prints each
    (table, key, column: reason) and how many; exit code 1 when there is any, 0 when there is none. The events' own
    columns are checked by the regulator's export and audit.
    """
    from backend.services.platform import Platform
    from backend.services.storage_check import check_storage

    with reported():
        platform = Platform.open(load_settings(data, run_worker=False))
        try:
            with platform.session() as session:
                found = 0
                for damaged in check_storage(session):
                    found += 1
                    if as_json:
                        typer.echo(json.dumps(damaged.to_json(), ensure_ascii=False))
                    else:
                        typer.echo(f"{damaged.table} {damaged.key} {damaged.column}: {damaged.reason}")
        finally:
            platform.close()
    if not as_json:
        typer.echo(
            ngettext("{count} damaged row", "{count} damaged rows", found) if found else _("no damaged row found")
        )
    raise typer.Exit(1 if found else 0)
