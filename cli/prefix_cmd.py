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
    DEFAULT_PASSPHRASE_ENV,
    AsJson,
    DataDir,
    DevAccount,
    KeyEnv,
    KeyFile,
    KeySource,
    OrganisationId,
    PassphraseEnv,
    PlatformUrl,
    Reason,
    RegistryAddress,
    Rpc,
    Target,
    Token,
    _digest,
    _organisation_call,
    _reported,
    _run,
    app,
)
from supplychain.registry import gtin14

__all__: list[str] = []

Prefix = Annotated[str, typer.Argument(help="The GS1 Company Prefix: 4 to 12 digits (leading zeros count).")]
Registrar = Annotated[str, typer.Argument(help="The registrar's account address.")]


@app.command("register-registrar")
def register_registrar(  # noqa: PLR0917 - typer options
    address: Registrar,
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Make an account a GS1 registrar, which assigns company prefixes (the regulator)."""
    _run(
        "registerRegistrar",
        {"registrar": address},
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
        as_json=as_json,
    )


@app.command("remove-registrar")
def remove_registrar(  # noqa: PLR0917 - typer options
    address: Registrar,
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Remove a GS1 registrar; the prefixes and delegations it recorded stay (the regulator)."""
    _run(
        "removeRegistrar",
        {"registrar": address},
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
        as_json=as_json,
    )


@app.command("assign-prefix")
def assign_prefix(  # noqa: PLR0917 - typer options
    prefix: Prefix,
    organisation: OrganisationId,
    valid_until: Annotated[
        str | None,
        typer.Option("--valid-until", help="End of the licence: ISO date or time, or seconds (default: open)."),
    ] = None,
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
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
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
        as_json=as_json,
    )


@app.command("transfer-prefix")
def transfer_prefix(  # noqa: PLR0917 - typer options
    prefix: Prefix,
    organisation: Annotated[str, typer.Argument(help="The new holder: a GLN (13 digits) or a USCC (18 characters).")],
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Transfer a live prefix to another organisation (a GS1 registrar).

    The current holding ends and the new one starts in this block, with the same end of licence.
    """
    _run(
        "transferPrefix",
        {"prefix": prefix, "to": organisation},
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
        as_json=as_json,
    )


@app.command("renew-prefix")
def renew_prefix(  # noqa: PLR0917 - typer options
    prefix: Prefix,
    valid_until: Annotated[
        str | None, typer.Option("--valid-until", help="New end of the licence: ISO date or time, or seconds (open).")
    ] = None,
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
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
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
        as_json=as_json,
    )


@app.command("revoke-prefix")
def revoke_prefix(  # noqa: PLR0917 - typer options
    prefix: Prefix,
    reason: Reason,
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Revoke a live prefix from this block on, e.g. --reason licence-lapsed (a GS1 registrar)."""
    target, key = (
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
    )
    _organisation_call("revokePrefix", {"prefix": prefix, "reason": reason}, target, key, as_json=as_json)


@app.command("delegate-gtin")
def delegate_gtin(  # noqa: PLR0917 - typer options
    gtin: Annotated[str, typer.Argument(help="The GTIN (8, 12, 13 or 14 digits), or the first of a range.")],
    delegate: Annotated[str, typer.Argument(help="The contract manufacturer: a GLN or a USCC.")],
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
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """File an owner's delegation of a GTIN or a range to a contract manufacturer, 代工 (a GS1 registrar).

    A range lies within one prefix and covers every indicator digit. The registrar files it on the owner's signed
    request (its SHA-256 goes on chain); it counts while the owner holds the prefix.
    """
    with _reported():
        if (request is None) == (request_hash is None):
            raise ValueError("give the owner's signed request: exactly one of --request FILE and --request-hash")
        digest = _digest(request, "request") if request is not None else request_hash
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
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
        as_json=as_json,
    )


@app.command("revoke-delegation")
def revoke_delegation(  # noqa: PLR0917 - typer options
    delegation_id: Annotated[int, typer.Argument(help="The delegation's id (printed when it was filed).")],
    reason: Reason = "contract-ended",
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    key_file: KeyFile = None,
    passphrase_env: PassphraseEnv = DEFAULT_PASSPHRASE_ENV,
    dev_account: DevAccount = None,
    key_env: KeyEnv = None,
    platform: PlatformUrl = None,
    token: Token = None,
    as_json: AsJson = False,
) -> None:
    """Revoke a GTIN delegation from this block on (a GS1 registrar)."""
    target, key = (
        Target(rpc, registry, data, platform, token),
        KeySource(key_file, passphrase_env, dev_account, key_env),
    )
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


@app.command("prefix")
def show_prefix(
    prefix: Prefix,
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Show a GS1 Company Prefix as on chain: its holder now and every holding (read from the node)."""
    with _reported():
        reg = Target(rpc, registry, data).open(dev=False)
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


@app.command("gtin")
def show_gtin(  # noqa: PLR0917 - typer options
    gtin: Annotated[str, typer.Argument(help="The GTIN (8, 12, 13 or 14 digits).")],
    at: Annotated[str | None, typer.Option("--at", help="As at this time: ISO date or time, or seconds (now).")] = None,
    rpc: Rpc = None,
    registry: RegistryAddress = None,
    data: DataDir = None,
    as_json: AsJson = False,
) -> None:
    """Show who owned a GTIN at a time, by which company prefix, and whom it was delegated to (read from the node)."""
    with _reported():
        reg = Target(rpc, registry, data).open(dev=False)
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
