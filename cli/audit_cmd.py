"""``supplychain audit``: the regulator's audit of a platform against the chain.

Exit codes of ``audit``: 0 nothing critical or high was found, 1 serious findings, 2 the audit could not run (node or
platform unreachable, token refused, state unreadable).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import _, console, fail, locale_lang, pad, word
from supplychain.vocabulary import SEVERITIES

app = typer.Typer()

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "info": "cyan"}
_SHOWN = 50


def _say(*parts: object, **options: Any) -> None:
    """Print without wrapping long lines (the summary is read by people and by scripts)."""
    console.print(*parts, soft_wrap=True, **options)


def _print_report(report: Any, written: tuple[Path, Path] | None) -> None:
    """The summary of an :class:`~backend.audit.AuditReport` on the console, in the locale's language (codes,
    identifiers and each finding's own message as the audit wrote them)."""
    from backend.audit.report import blocks_text
    from supplychain.audit import Severity

    chain = report.chain
    _say(
        _(
            "audit of {platform} against registry {registry} on chain {chain} ({blocks})",
            platform=report.platform,
            registry=chain["registry"],
            chain=chain["chainId"],
            blocks=blocks_text(report.blocks, locale_lang()),
        )
    )
    for note in report.notes:
        _say("  " + _("note: {note}", note=note), markup=False)
    timing = {
        "checked": f"{report.events_checked:,}",
        "seconds": f"{report.wall_seconds:.2f}",
        "rate": f"{report.events_per_second:,.0f}",
    }
    if report.events_rechecked:
        checked = _(
            "events checked: {checked} (+{again} again) in {seconds} s = {rate} events/s",
            again=format(report.events_rechecked, ","),
            **timing,
        )
    else:
        checked = _("events checked: {checked} in {seconds} s = {rate} events/s", **timing)
    clauses = [checked]
    if report.events_compared:
        clauses.append(
            _("audited before, compared with their seals: {count}", count=format(report.events_compared, ","))
        )
    clauses.append(
        _(
            "batches {batches}; roots reconciled {roots}; registry events {events}",
            batches=format(report.batches_read, ","),
            roots=format(report.roots_judged, ","),
            events=format(report.registry_events, ","),
        )
    )
    _say(_("; ").join(clauses))
    severities = report.by_severity
    counts = " · ".join(f"{word(SEVERITIES[s.value])} {severities[s.value]}" for s in Severity)
    _say(_("findings: {counts}", counts=counts))
    ordered = sorted(report.findings, key=lambda f: (f.severity.rank, f.organisation or "", f.code))
    for f in ordered[:_SHOWN]:
        style = _SEVERITY_STYLE[f.severity.value]
        severity = pad(word(SEVERITIES[f.severity.value]), 8)
        _say(f"  [{style}]{severity}[/{style}] {f.code:<36} {pad(f.organisation or _('platform'), 18)}", end="")
        _say(f" {f.message}", markup=False)
    hidden = sum(report.counts.values()) - min(len(ordered), _SHOWN)
    if hidden > 0:
        _say("  " + _("... and {count} more (see the JSON report)", count=format(hidden, ",")))
    if report.sample:
        drawn = ", ".join(f"#{s['recognitionId']} {s['holder']}" for s in report.sample)
        _say(_("spot-check sample (seed {seed}): {drawn}", seed=report.seed, drawn=drawn))
    if written is not None:
        _say(_("reports: {json}, {html}", json=written[0], html=written[1]))
    if report.serious:
        _say(_("verdict: [bold red]FAIL[/bold red]: serious findings"))
    else:
        _say(_("verdict: [green]PASS[/green]"))


@app.command(
    "audit",
    epilog=(
        "Example: supplychain audit --registry 0x5FbDB2315678afecb367f032d93F642f64180aa3 "
        '--platform http://127.0.0.1:8000 --token "$REGULATOR_TOKEN" --out data/audit'
    ),
)
def audit(  # noqa: PLR0917 - typer options
    registry: Annotated[str, typer.Option("--registry", help="The registry's address on the chain.")],
    token: Annotated[
        str,
        typer.Option("--token", envvar="SUPPLYCHAIN_AUDIT_TOKEN", help="A regulator's API token of the platform."),
    ],
    rpc: Annotated[
        str | None, typer.Option("--rpc", help="The chain's JSON-RPC URL (default SUPPLYCHAIN_RPC_URL).")
    ] = None,
    platform: Annotated[str, typer.Option("--platform", help="The platform's base URL.")] = "http://127.0.0.1:8000",
    state: Annotated[
        Path | None, typer.Option("--state", help="State file (default: audit-state.json in --out, else here).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write audit-report.json and .html here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the JSON report instead of the summary.")] = False,
    deadline_seconds: Annotated[
        int, typer.Option("--deadline-seconds", min=1, help="The anchoring deadline the platform promises.")
    ] = 300,
    window_seconds: Annotated[
        int,
        typer.Option(
            "--window-seconds",
            min=1,
            help="A serial at two places closer than this is impossible, unless the later sighting is a recorded "
            "arrival there (receiving, accepting, arriving, unpacking).",
        ),
    ] = 60,
    clock_tolerance_seconds: Annotated[
        int,
        typer.Option(
            "--clock-tolerance-seconds",
            min=0,
            help="How far two organisations' clocks may disagree when two sightings of a serial are ordered.",
        ),
    ] = 5,
    workers: Annotated[
        int | None, typer.Option("--workers", min=0, help="Processes for the checks (default: one per core; 0: none).")
    ] = None,
    anchorer: Annotated[
        list[str] | None, typer.Option("--anchorer", help="The platform's anchoring account (repeatable).")
    ] = None,
    sample: Annotated[int, typer.Option("--sample", min=0, help="Recognitions to draw for spot checks.")] = 5,
    seed: Annotated[
        str | None, typer.Option("--seed", help="The draw's seed (default: the head block's hash).")
    ] = None,
    from_block: Annotated[
        int | None, typer.Option("--from-block", min=0, help="The registry's creation block (skips its search).")
    ] = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Ignore the state file and start over.")] = False,
    lang: Annotated[str, typer.Option("--lang", help="The HTML report's language: zh-CN or en.")] = "zh-CN",
) -> None:
    """Replay the registry from the chain, stream the platform's export, check every record, report.

    With a state file from an earlier run, only new events are checked in full; every event audited before is
    compared with the seal the earlier run kept (edited, deleted or inserted since: a critical finding).

    Exit code 0: nothing critical or high; 1: serious findings; 2: the audit could not run.
    """
    from backend.audit import AuditError, AuditOptions, run_audit, write_reports
    from backend.audit.html import LANGUAGES
    from chain.connection import default_rpc_url

    if lang not in LANGUAGES:
        fail(_("--lang must be one of {langs}, got {lang}", langs=", ".join(LANGUAGES), lang=repr(lang)), 2)
    options = AuditOptions(
        deadline_seconds=deadline_seconds,
        window_seconds=window_seconds,
        clock_tolerance_seconds=clock_tolerance_seconds,
        workers=(os.cpu_count() or 1) if workers is None else workers,
        anchorers=tuple(anchorer or ()),
        sample_size=sample,
        seed=seed,
        from_block=from_block,
        fresh=fresh,
    )
    state_path = state or (out or Path.cwd()) / "audit-state.json"
    try:
        report = run_audit(
            rpc_url=rpc or default_rpc_url(),
            registry=registry,
            platform_url=platform,
            token=token,
            state_path=state_path,
            options=options,
        )
    except AuditError as exc:
        fail(str(exc), exc.exit_code)
    written = write_reports(report, out, lang=lang) if out is not None else None
    if as_json:
        typer.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_report(report, written)
    raise typer.Exit(report.exit_code)
