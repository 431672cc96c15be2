"""The ``scanner`` command: verify a product's proof bundle against the chain, trusting nothing the platform says.

``scanner verify INPUT [--rpc URL] [--registry ADDRESS] [--chain-id N] [--trust-file PATH] [--json]
[--lang zh-CN|en]`` where INPUT is a photo of the QR code, its GS1 Digital Link, or a proof bundle file. The
registry to trust is pinned by ``--registry`` or a trusted registries file (:mod:`scanner.trust`), never taken on
the platform's word. Exit status: 0 only when everything verifies against a pinned registry; 1 when the
verification fails, some events are not anchored yet, or no registry was pinned; 2 when the input cannot be used
(unreadable image, no QR code, platform or node unreachable, not a bundle, a node on another chain than the pinned
one), with a message saying what and where, or when an option is wrong (an unknown ``--lang``...).

The report is in Chinese unless ``--lang`` (or ``SCANNER_LANG``) says ``en``; the project's language codes are
``zh-CN`` and ``en`` (``zh``, ``zh-Hans``, ``en-US``... are understood, :func:`supplychain.i18n.parse_lang`). The
``--json`` report is the same in every language (its ``message`` fields are English).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from scanner.errors import ScannerInputError
from supplychain.i18n import DEFAULT_LANG, LANGS, Lang, parse_lang

__all__ = ["DEFAULT_RPC_URL", "EXIT_FAILED", "EXIT_UNUSABLE", "EXIT_VERIFIED", "app"]

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
EXIT_VERIFIED, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2

app = typer.Typer(
    help="Independent verifier of product proof bundles: trusts the chain, not the platform (独立验证：只信任区块链).",
    no_args_is_help=True,
    add_completion=False,
)
_out = Console(highlight=False)
_err = Console(stderr=True, highlight=False)


def _language(value: str) -> Lang:
    """``--lang`` / ``SCANNER_LANG``: one of the project's languages, else a usage error (exit 2)."""
    lang = parse_lang(value)
    if lang is None:
        shown = value if len(value) <= 20 else value[:20] + "…"
        raise typer.BadParameter(f"{shown!r} is not a report language: {' or '.join(LANGS)} (zh also means zh-CN)")
    return lang


@app.callback()
def main() -> None:
    """Verify products against the chain (``scanner verify``); ``scanner bench`` times a 50-event bundle."""


@app.command()
def verify(  # noqa: PLR0917 - typer options
    target: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A photo of the QR code (PNG, JPEG), its GS1 Digital Link (https://…/01/…), or a proof bundle file.",
            show_default=False,
        ),
    ],
    rpc: Annotated[
        str, typer.Option("--rpc", envvar="SCANNER_RPC_URL", help="JSON-RPC URL of a node of the chain to trust.")
    ] = DEFAULT_RPC_URL,
    registry: Annotated[
        str | None,
        typer.Option(
            "--registry",
            envvar="SCANNER_REGISTRY",
            help=(
                "Address of the registry you trust (the regulator publishes it). Without it, nor an entry for the"
                " node's chain in the trust file, the verdict is 'not verified' and the exit status 1."
            ),
            show_default=False,
        ),
    ] = None,
    chain_id: Annotated[
        int | None,
        typer.Option(
            "--chain-id",
            envvar="SCANNER_CHAIN_ID",
            min=0,
            help="The chain the registry is on: the node (--rpc) must be on it, else nothing is verified (exit 2).",
            show_default=False,
        ),
    ] = None,
    trust_file: Annotated[
        Path | None,
        typer.Option(
            "--trust-file",
            envvar="SCANNER_TRUST_FILE",
            dir_okay=False,
            help=(
                "TOML file of trusted registries: an array of 'registry' tables (chain_id, address, name), one per"
                " chain; default: $XDG_CONFIG_HOME/supplychain/registries.toml (~/.config/...) when it exists."
            ),
            show_default=False,
        ),
    ] = None,
    from_block: Annotated[
        int, typer.Option("--from-block", min=0, help="Replay the registry's history from this block (its deployment).")
    ] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON (for machines).")] = False,
    lang: Annotated[
        Lang,
        typer.Option(
            "--lang",
            envvar="SCANNER_LANG",
            parser=_language,
            metavar="zh-CN|en",
            help="Report language: zh-CN (中文; zh also works) or en.",
        ),
    ] = DEFAULT_LANG,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds one HTTP or RPC request may take.")
    ] = 10.0,
) -> None:
    """Verify a product against the chain: every event's hash, signature, key, organisation and Merkle proof, and
    the story they tell (order, custody, duplicates, missing links), against the registry you pinned."""
    from scanner.report import error_json, print_error, print_report, render_json
    from scanner.scan import scan
    from scanner.trust import default_trust_file, load_trust_file

    try:
        trusted = load_trust_file(trust_file or default_trust_file(), explicit=trust_file is not None)
        result = scan(
            target,
            rpc=rpc,
            registry=registry,
            from_block=from_block,
            timeout=timeout,
            chain_id=chain_id,
            trusted=trusted,
        )
    except ScannerInputError as exc:
        if as_json:
            typer.echo(error_json(exc))
        print_error(exc, lang, _err)
        raise typer.Exit(EXIT_UNUSABLE) from None
    if as_json:
        typer.echo(render_json(result))
    else:
        print_report(result, lang, _out)
    raise typer.Exit(EXIT_VERIFIED if result.verified else EXIT_FAILED)


@app.command()
def bench(
    events: Annotated[int, typer.Option("--events", "-n", min=1, max=2000, help="Events in the bundle.")] = 50,
    rounds: Annotated[int, typer.Option("--rounds", min=1, help="Verifications timed (the median is shown).")] = 30,
    rpc: Annotated[
        str, typer.Option("--rpc", help="'tester' (in-process chain) or the URL of a dev node (Hardhat, anvil).")
    ] = "tester",
    keep: Annotated[
        Path | None, typer.Option("--keep", help="Also write the bundle to this file.", dir_okay=False)
    ] = None,
) -> None:
    """Time the verification of a bundle of EVENTS signed, anchored events: registry replay and verify_bundle.

    Deploys a fresh registry on the chain (the in-process one by default, or a dev node's: it uses the well-known
    development accounts), registers an organisation and its key, signs and anchors the events, then times
    the replay of the registry's history (chain round trips) and the core's verification (no I/O) apart.
    """
    from scanner.bench import run_bench
    from scanner.report import print_error

    try:
        run_bench(events=events, rounds=rounds, rpc=rpc, keep=keep, console=_out)
    except ScannerInputError as exc:
        print_error(exc, "en", _err)
        raise typer.Exit(EXIT_UNUSABLE) from None
