"""The ``supplychain`` command: the composition root of the project's command line.

It sits above every package (``backend``, ``chain``, ``supplychain``) and only wires their commands together; each
command imports what it needs.
"""

from __future__ import annotations

import logging

import typer

from backend.core.logs import configure_logging
from cli import (
    audit_cmd,
    authority_cmd,
    bench_attack,
    bench_capture,
    bench_chain,
    bench_hash,
    bench_merkle,
    bench_page,
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

app = typer.Typer(
    name="supplychain",
    help=(
        "Blockchain-anchored traceability for green supply chains: GS1 EPCIS 2.0 events, Event Hash IDs, "
        "Merkle batches anchored on an Ethereum registry, green recognitions."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(chain_cmd.app, name="chain")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(authority_cmd.app, name="authority", help="Authorities' actions on chain, from their own accounts.")
app.add_typer(credential_cmd.app, name="credential", help="Verifiable credentials of green recognitions.")
app.add_typer(green_cmd.app, name="green", help="Green supply-chain views: qualified suppliers, green share, impact.")
app.add_typer(serve_cmd.tokens_app, name="tokens")
for module in (
    serve_cmd,
    hash_cmd,
    validate_cmd,
    demo,
    audit_cmd,
    bench_attack,
    bench_capture,
    bench_chain,
    bench_hash,
    bench_merkle,
    bench_page,
    storage_cmd,
):
    app.registered_commands.extend(module.app.registered_commands)


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log what the chain layer does.")) -> None:
    """Blockchain-anchored traceability for green supply chains."""
    configure_logging(logging.DEBUG if verbose else None)
