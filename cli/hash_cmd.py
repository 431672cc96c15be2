"""``supplychain hash FILE...``: the CBV 2.0 Event Hash IDs of the events in EPCIS documents."""

from __future__ import annotations

from pathlib import Path

import typer

from cli.common import error
from supplychain.errors import TraceError
from supplychain.eventhash import hash_document

__all__ = ["app", "hash_command"]

app = typer.Typer()


@app.command("hash", epilog="Example: supplychain hash events.jsonld events.xml")
def hash_command(
    files: list[Path] = typer.Argument(  # noqa: B008
        ...,
        help="EPCIS 2.0 documents, query documents or bare events, JSON-LD or XML (told apart by content). "
        "A document's repository-x ignoreFields leaves those extension fields out, as capture does.",
    ),
    prehash: bool = typer.Option(
        False, "--prehash", "-p", help="Print the canonical pre-hash strings instead of the Event Hash IDs."
    ),
) -> None:
    """Print one line per event, in document order: its Event Hash ID (ni:///sha-256;...?ver=CBV2.0).

    Files that cannot be read or hashed are reported on stderr as ``error: <file>: <reason>``; the others are
    still processed, and the exit code is then 1.
    """
    failed = False
    for path in files:
        try:
            lines = hash_document(path.read_bytes(), prehash=prehash)
        except OSError as exc:
            error(f"{path}: {exc.strerror or exc}")
            failed = True
            continue
        except TraceError as exc:
            error(f"{path}: {exc}")
            failed = True
            continue
        for line in lines:
            typer.echo(line)
    if failed:
        raise typer.Exit(code=1)
