"""The ``supplychain`` command: the composition root of the project's command line.

It sits above every package (``backend``, ``chain``, ``scanner``, ``supplychain``) and only wires their commands
together, grouped as their users look for them in ``--help``; each command imports what it needs. The benchmarks
(``supplychain bench …``) import the ``benchmarks`` package only when one runs.
"""

from __future__ import annotations

import logging

import typer

from backend.core.logs import configure_logging
from cli import (
    audit_cmd,
    authority_cmd,
    bench_cmd,
    chain_cmd,
    credential_cmd,
    demo,
    green_cmd,
    hash_cmd,
    keys_cmd,
    prefix_cmd,  # noqa: F401 - registers the GS1 registrars' commands on authority_cmd.app
    serve_cmd,
    storage_cmd,
    validate_cmd,
)

PLATFORM = "Run the platform"
DOCUMENTS = "Sign and check documents"
AUTHORITIES = "Authorities and recognitions"
OPERATIONS = "Operate and audit"
MEASURE = "Measure"

app = typer.Typer(
    name="supplychain",
    help=(
        "Blockchain-anchored traceability for green supply chains: GS1 EPCIS 2.0 events, Event Hash IDs, "
        "Merkle batches anchored on an Ethereum registry, green recognitions."
    ),
    epilog="Example: supplychain demo --http-port 8000",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _commands(commands: typer.Typer, panel: str) -> None:
    """Register ``commands`` at the top level, under ``panel`` in ``--help``."""
    for command in commands.registered_commands:
        command.rich_help_panel = panel
        app.registered_commands.append(command)


_commands(demo.app, PLATFORM)
_commands(serve_cmd.app, PLATFORM)
app.add_typer(chain_cmd.app, name="chain", rich_help_panel=PLATFORM)
app.add_typer(serve_cmd.tokens_app, name="tokens", rich_help_panel=PLATFORM)
app.add_typer(keys_cmd.app, name="keys", rich_help_panel=DOCUMENTS)
_commands(hash_cmd.app, DOCUMENTS)
_commands(validate_cmd.app, DOCUMENTS)
app.add_typer(
    authority_cmd.app,
    name="authority",
    help="Authorities' actions on chain, from their own accounts.",
    rich_help_panel=AUTHORITIES,
)
app.add_typer(
    credential_cmd.app,
    name="credential",
    help="Verifiable credentials of green recognitions.",
    rich_help_panel=AUTHORITIES,
)
app.add_typer(
    green_cmd.app,
    name="green",
    help="Green supply-chain views: qualified suppliers, green share, impact.",
    rich_help_panel=AUTHORITIES,
)
_commands(audit_cmd.app, OPERATIONS)
_commands(storage_cmd.app, OPERATIONS)
app.add_typer(bench_cmd.app, name="bench", rich_help_panel=MEASURE)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what the chain layer does.")) -> None:
    """Blockchain-anchored traceability for green supply chains."""
    configure_logging(logging.DEBUG if verbose else None)
