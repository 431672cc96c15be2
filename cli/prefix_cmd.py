"""``supplychain authority`` commands of GS1 registrars: company prefixes and GTIN delegations.

The regulator makes an account a GS1 registrar (``register-registrar``); the registrar (in China the Article Numbering
Center, 中国物品编码中心) then assigns, transfers, renews and revokes GS1 Company Prefixes and files the GTIN
delegations a prefix holder asks for (``delegate-gtin``: the holder's signed request stays with the parties, its
SHA-256 goes on chain). Like every authority action: from the authority's own key, to the node or through
``--platform``'s relay. The commands are registered on :data:`cli.authority_cmd.app`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from chain.authority import parse_time
from cli.authority_cmd import (
    AsJson,
    KeySource,
    NodeTarget,
    OrganisationId,
    Reason,
    Target,
    _digest,
    _organisation_call,
    _reported,
    _run,
    app,
    shared_options,
)
from cli.common import _
from supplychain.i18n import N_
from supplychain.registry import gtin14

__all__: list[str] = []

Prefix = Annotated[str, typer.Argument(help="The GS1 Company Prefix: 4 to 12 digits (leading zeros count).")]
Registrar = Annotated[str, typer.Argument(help="The registrar's account address.")]


@app.command(
    "register-registrar",
    epilog=(
        "Example: supplychain authority register-registrar 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 "
        "--key-file regulator.json"
    ),
)
@shared_options
def register_registrar(
    address: Registrar,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Make an account a GS1 registrar, which assigns company prefixes (the regulator)."""
    _run(
        "registerRegistrar",
        {"registrar": address},
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "remove-registrar",
    epilog=(
        "Example: supplychain authority remove-registrar 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 "
        "--key-file regulator.json"
    ),
)
@shared_options
def remove_registrar(
    address: Registrar,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Remove a GS1 registrar; the prefixes and delegations it recorded stay (the regulator)."""
    _run(
        "removeRegistrar",
        {"registrar": address},
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "assign-prefix",
    epilog=(
        "Example: supplychain authority assign-prefix 6901234 6901234000016 --valid-until 2031-01-01 "
        "--key-file registrar.json"
    ),
)
@shared_options
def assign_prefix(
    prefix: Prefix,
    organisation: OrganisationId,
    valid_until: Annotated[
        str | None,
        typer.Option("--valid-until", help="End of the licence: ISO date or time, or seconds (default: open)."),
    ] = None,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Assign a GS1 Company Prefix to an organisation from this block on (a GS1 registrar).

    It must not overlap a live prefix: none may start with it, and it may not start with one.
    """
    args: dict[str, Any] = {"prefix": prefix, "organisation": organisation}
    if valid_until is not None:
        args["validUntil"] = valid_until
    _run(
        "assignPrefix",
        args,
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "transfer-prefix",
    epilog="Example: supplychain authority transfer-prefix 6901234 6901234000023 --key-file registrar.json",
)
@shared_options
def transfer_prefix(
    prefix: Prefix,
    organisation: Annotated[str, typer.Argument(help="The new holder: a GLN (13 digits) or a USCC (18 characters).")],
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Transfer a live prefix to another organisation (a GS1 registrar).

    The current holding ends and the new one starts in this block, with the same end of licence.
    """
    _run(
        "transferPrefix",
        {"prefix": prefix, "to": organisation},
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "renew-prefix",
    epilog="Example: supplychain authority renew-prefix 6901234 --valid-until 2036-01-01 --key-file registrar.json",
)
@shared_options
def renew_prefix(
    prefix: Prefix,
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help="New end of the licence: ISO date or time, or seconds (open).")
    ] = None,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Renew a live prefix's licence, even a lapsed one (a GS1 registrar).

    A new holding of the same organisation starts in this block; a lapse before it stays in the history.
    """
    args: dict[str, Any] = {"prefix": prefix}
    if valid_until is not None:
        args["validUntil"] = valid_until
    _run(
        "renewPrefix",
        args,
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "revoke-prefix",
    epilog="Example: supplychain authority revoke-prefix 6901234 --reason licence-lapsed --key-file registrar.json",
)
@shared_options
def revoke_prefix(
    prefix: Prefix,
    reason: Reason,
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Revoke a live prefix from this block on, e.g. --reason licence-lapsed (a GS1 registrar)."""
    _organisation_call("revokePrefix", {"prefix": prefix, "reason": reason}, target, key, as_json=as_json)


@app.command(
    "delegate-gtin",
    epilog=(
        "Example: supplychain authority delegate-gtin 06901234000108 91320200MA1MX7K3GD --request request.pdf "
        "--key-file registrar.json"
    ),
)
@shared_options
def delegate_gtin(
    gtin: Annotated[str, typer.Argument(help="The GTIN (8, 12, 13 or 14 digits), or the first of a range.")],
    delegate: Annotated[str, typer.Argument(help="The contract manufacturer: a GLN or a USCC.")],
    *,
    last_gtin: Annotated[
        str | None, typer.Option("--last-gtin", help="Last GTIN of the range (same prefix; default: just GTIN).")
    ] = None,
    request: Annotated[
        Path | None, typer.Option("--request", help="The owner's signed request: its SHA-256 goes on chain.")
    ] = None,
    request_hash: Annotated[
        str | None, typer.Option("--request-hash", help="The request's SHA-256 (0x + 64 hex), instead of --request.")
    ] = None,
    valid_from: Annotated[
        str, typer.Option("--valid-from", help="Start: 'now', or a later ISO date or time, or seconds.")
    ] = "now",
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help="End (exclusive): ISO date or time, or seconds (default: open).")
    ] = None,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """File an owner's delegation of a GTIN or a range to a contract manufacturer, 代工 (a GS1 registrar).

    A range lies within one prefix and covers every indicator digit. The registrar files it on the owner's signed
    request (its SHA-256 goes on chain); it counts while the owner holds the prefix.
    """
    with _reported():
        if (request is None) == (request_hash is None):
            raise ValueError(_("give the owner's signed request: exactly one of --request FILE and --request-hash"))
        digest = _digest(request, N_("request")) if request is not None else request_hash
    args: dict[str, Any] = {"gtin": gtin, "delegate": delegate, "requestHash": digest}
    if last_gtin is not None:
        args["lastGtin"] = last_gtin
    if valid_from != "now":
        args["validFrom"] = valid_from
    if valid_until is not None:
        args["validUntil"] = valid_until
    _run(
        "delegateGtins",
        args,
        target,
        key,
        as_json=as_json,
    )


@app.command(
    "revoke-delegation",
    epilog="Example: supplychain authority revoke-delegation 1 --reason contract-ended --key-file registrar.json",
)
@shared_options
def revoke_delegation(
    delegation_id: Annotated[int, typer.Argument(help="The delegation's id (printed when it was filed).")],
    reason: Reason = "contract-ended",
    *,
    target: Target,
    key: KeySource,
    as_json: AsJson = False,
) -> None:
    """Revoke a GTIN delegation from this block on (a GS1 registrar)."""
    _organisation_call("revokeDelegation", {"id": delegation_id, "reason": reason}, target, key, as_json=as_json)


def _print_record(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(record, ensure_ascii=False, indent=2))
        return
    for name, value in record.items():
        if isinstance(value, list):
            typer.echo(f"{name}:")
            for item in value:
                typer.echo("  " + " ".join(f"{k}={v}" for k, v in item.items()))
        else:
            typer.echo(f"{name}: {value}")


@app.command("prefix", epilog="Example: supplychain authority prefix 6901234 --json")
@shared_options
def show_prefix(
    prefix: Prefix,
    *,
    node: NodeTarget,
    as_json: AsJson = False,
) -> None:
    """Show a GS1 Company Prefix as on chain: its holder now and every holding (read from the node)."""
    with _reported():
        reg = node.open(dev=False)
        holdings = reg.prefix_history(prefix)
        now = reg.chain.block_timestamp()
        record: dict[str, Any] = {
            "prefix": prefix,
            "asOf": now,
            "holder": reg.prefix_holder_at(prefix, now),
            "holdings": [
                {"orgId": h.org_id, "validFrom": h.valid_from, "validUntil": h.valid_until, "endedAt": h.ended_at}
                for h in holdings
            ],
        }
    _print_record(record, as_json)


@app.command("gtin", epilog="Example: supplychain authority gtin 06901234000108 --at 2026-06-01")
@shared_options
def show_gtin(
    gtin: Annotated[str, typer.Argument(help="The GTIN (8, 12, 13 or 14 digits).")],
    at: Annotated[str | None, typer.Option("--at", help="As at this time: ISO date or time, or seconds (now).")] = None,
    *,
    node: NodeTarget,
    as_json: AsJson = False,
) -> None:
    """Show who owned a GTIN at a time, by which company prefix, and whom it was delegated to (read from the node)."""
    with _reported():
        reg = node.open(dev=False)
        when = parse_time(at) if at is not None else reg.chain.block_timestamp()
        owner = reg.gtin_owner_at(gtin, when)
        record: dict[str, Any] = {
            "gtin": gtin14(gtin),
            "asOf": when,
            "owner": owner.org_id if owner else None,
            "companyPrefix": owner.prefix if owner else None,
            "delegates": reg.mirror().delegates_at(gtin, when) if owner else [],
        }
    _print_record(record, as_json)
