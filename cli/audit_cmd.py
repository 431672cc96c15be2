"""``supplychain audit``: the regulator's audit of a platform against the chain; ``supplychain bench-audit``.

Exit codes of ``audit``: 0 nothing critical or high was found, 1 serious findings, 2 the audit could not run (node or
platform unreachable, token refused, state unreadable).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import console, fail

if TYPE_CHECKING:
    from supplychain.audit import Auditor
    from supplychain.registry import RegistryMirror

app = typer.Typer()

_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "info": "cyan"}
_SHOWN = 50


def _say(*parts: object, **options: Any) -> None:
    """Print without wrapping long lines (the summary is read by people and by scripts)."""
    console.print(*parts, soft_wrap=True, **options)


def _print_report(report: Any, written: tuple[Path, Path] | None) -> None:
    """The summary of an :class:`~backend.audit.AuditReport` on the console."""
    from backend.audit.report import blocks_text
    from supplychain.audit import Severity

    chain = report.chain
    _say(
        f"audit of {report.platform} against registry {chain['registry']} on chain {chain['chainId']} "
        f"({blocks_text(report.blocks)})"
    )
    for note in report.notes:
        _say(f"  note: {note}", markup=False)
    _say(
        f"events checked: {report.events_checked:,}"
        + (f" (+{report.events_rechecked:,} again)" if report.events_rechecked else "")
        + f" in {report.wall_seconds:.2f} s = {report.events_per_second:,.0f} events/s; "
        + (f"audited before, compared with their seals: {report.events_compared:,}; " if report.events_compared else "")
        + f"batches {report.batches_read:,}; roots reconciled {report.roots_judged:,}; "
        f"registry events {report.registry_events:,}"
    )
    severities = report.by_severity
    _say("findings: " + " · ".join(f"{s.value} {severities[s.value]}" for s in Severity))
    ordered = sorted(report.findings, key=lambda f: (f.severity.rank, f.organisation or "", f.code))
    for f in ordered[:_SHOWN]:
        style = _SEVERITY_STYLE[f.severity.value]
        _say(f"  [{style}]{f.severity.value:<8}[/{style}] {f.code:<36} {f.organisation or 'platform':<18}", end="")
        _say(f" {f.message}", markup=False)
    hidden = sum(report.counts.values()) - min(len(ordered), _SHOWN)
    if hidden > 0:
        _say(f"  ... and {hidden:,} more (see the JSON report)")
    if report.sample:
        drawn = ", ".join(f"#{s['recognitionId']} {s['holder']}" for s in report.sample)
        _say(f"spot-check sample (seed {report.seed}): {drawn}")
    if written is not None:
        _say(f"reports: {written[0]}, {written[1]}")
    verdict = "[bold red]FAIL[/bold red]: serious findings" if report.serious else "[green]PASS[/green]"
    _say(f"verdict: {verdict}")


@app.command("audit")
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
        fail(f"--lang must be one of {', '.join(LANGUAGES)}, got {lang!r}", 2)
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


def _pages(path: Path, size: int = 4 << 20) -> Iterator[bytes]:
    """The file in blocks of whole lines (about ``size`` bytes), as the export's pages come over HTTP."""
    with path.open("rb") as f:
        rest = b""
        while block := f.read(size):
            block = rest + block
            end = block.rfind(b"\n") + 1
            rest = block[end:]
            if end:
                yield block[:end]
        if rest:
            yield rest + b"\n"


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the workers, once the pool is shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bench_audit(
    *, events: int, workers: int, batch_size: int = 10_000, folder: Path | None = None, through_platform: bool = False
) -> dict[str, float]:
    """Build a synthetic store of ``events`` signed, anchored events, audit it, and return the figures (printed too).

    With ``through_platform``, the store is then also anchored on an anvil node, served by ``supplychain serve`` and
    audited end to end with ``run_audit`` (:mod:`cli.bench_audit_platform`)."""
    from backend.audit.pool import ChunkChecker, worker_context
    from backend.audit.runner import check_stream
    from backend.audit.synthetic import SyntheticStore, build_batch, synthetic_registry
    from supplychain.audit import Auditor

    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        store = SyntheticStore(Path(tmp), events, batch_size)
        started = time.perf_counter()
        batches: list[dict[str, Any]] = []
        with (
            store.events_path.open("wb") as out,
            ProcessPoolExecutor(max(workers, 1), mp_context=worker_context()) as pool,
        ):
            for lines, batch in pool.map(build_batch, store.batch_ranges()):
                out.write(b"\n".join(lines) + b"\n")
                batches.append(batch)
        built = time.perf_counter() - started
        _say(f"built {events:,} signed, anchored events in {len(batches):,} batches in {built:.1f} s")
        mirror = synthetic_registry(batches)
        rss_before = _peak_mb(resource.RUSAGE_SELF)
        cpu_before, started = _cpu_seconds(), time.perf_counter()
        auditor = Auditor()
        for batch in batches:
            auditor.add_batch(batch)
        with ChunkChecker(mirror, workers) as checker:
            check_stream(auditor, checker, _pages(store.events_path), mirror.anchors)
        auditor.finish(mirror, judged_block=2**62, now_ms=time.time_ns() // 1_000_000)
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        continued = _continued(auditor, mirror, store.events_path, workers)
        figures = {
            "events": float(auditor.events_checked),
            "findings": float(sum(auditor.counts.values())),
            "wall_seconds": wall,
            "events_per_second": auditor.events_checked / wall,
            "cpu_seconds": cpu,
            "cpu_us_per_event": cpu / max(auditor.events_checked, 1) * 1e6,
            "peak_rss_mb": _peak_mb(resource.RUSAGE_SELF),
            "peak_rss_mb_before_audit": rss_before,
            "peak_rss_mb_largest_worker": _peak_mb(resource.RUSAGE_CHILDREN),
            **continued,
        }
        _say(
            f"audit of {auditor.events_checked:,} events ({workers} worker processes): {wall:.1f} s = "
            f"{figures['events_per_second']:,.0f} events/s, {int(figures['findings'])} findings; CPU {cpu:.1f} s "
            f"({figures['cpu_us_per_event']:.0f} µs per event, all processes); peak RSS: this process "
            f"{figures['peak_rss_mb']:.0f} MB (before the audit {rss_before:.0f} MB), "
            f"largest worker {figures['peak_rss_mb_largest_worker']:.0f} MB"
        )
        _say(
            f"continued run over the same store (state {continued['state_mb']:.1f} MB, saved and read back in "
            f"{continued['state_seconds']:.1f} s): {int(continued['continued_compared']):,} audited events compared "
            f"with their seals in {continued['continued_seconds']:.1f} s "
            f"({continued['continued_us_per_event']:.1f} µs per event), "
            f"{int(continued['continued_findings'])} findings"
        )
        if through_platform:
            figures |= _through_platform(Path(tmp), store.events_path, batches, workers)
    return figures


def _continued(auditor: Auditor, mirror: RegistryMirror, events_path: Path, workers: int) -> dict[str, float]:
    """A continued run over the same store: the state saved and read back, every record compared with its seal."""
    import orjson

    from backend.audit.pool import ChunkChecker
    from backend.audit.runner import check_stream
    from supplychain.audit import Auditor as Continued

    started = time.perf_counter()
    state = orjson.dumps(auditor.to_json())
    again = Continued.from_json(orjson.loads(state))
    state_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with ChunkChecker(mirror, workers) as checker:
        check_stream(again, checker, _pages(events_path), mirror.anchors)
    again.finish(mirror, judged_block=2**62, now_ms=time.time_ns() // 1_000_000)
    seconds = time.perf_counter() - started
    return {
        "state_mb": len(state) / 1e6,
        "state_seconds": state_seconds,
        "continued_compared": float(again.seals.compared),
        "continued_findings": float(sum(again.counts.values())),
        "continued_seconds": seconds,
        "continued_us_per_event": seconds / max(again.seals.compared, 1) * 1e6,
    }


def _through_platform(folder: Path, events_path: Path, batches: list[dict[str, Any]], workers: int) -> dict[str, float]:
    from cli.bench_audit_platform import audit_through_platform

    figures = audit_through_platform(folder, events_path, batches, workers=workers)
    _say(
        "end to end (anvil, `supplychain serve`, export over HTTP, run_audit; "
        f"loaded in {figures.load_seconds:.1f} s): "
        f"{figures.events:,} events in {figures.wall_seconds:.1f} s = {figures.events_per_second:,.0f} events/s, "
        f"{figures.findings} findings; export streamed and checked in {figures.check_seconds:.1f} s; "
        f"the service's CPU {figures.server_cpu_seconds:.1f} s on the same cores"
    )
    _say(
        f"continued run (state {figures.state_bytes / 1e6:.1f} MB): {figures.continued_compared:,} audited events "
        f"compared with their seals in {figures.continued_wall_seconds:.1f} s, {figures.continued_findings} findings; "
        f"the service's CPU {figures.continued_server_cpu_seconds:.1f} s"
    )
    return {
        "platform_events": float(figures.events),
        "platform_findings": float(figures.findings),
        "platform_wall_seconds": figures.wall_seconds,
        "platform_events_per_second": figures.events_per_second,
        "platform_check_seconds": figures.check_seconds,
        "platform_server_cpu_seconds": figures.server_cpu_seconds,
        "platform_continued_wall_seconds": figures.continued_wall_seconds,
        "platform_continued_compared": float(figures.continued_compared),
        "platform_continued_findings": float(figures.continued_findings),
        "platform_continued_server_cpu_seconds": figures.continued_server_cpu_seconds,
        "platform_state_mb": figures.state_bytes / 1e6,
    }


@app.command("bench-audit")
def bench_audit_cmd(  # noqa: PLR0917 - typer options
    events: Annotated[int, typer.Option("-n", "--events", min=1, help="Events in the synthetic store.")] = 1_000_000,
    workers: Annotated[
        int | None, typer.Option("--workers", min=0, help="Processes for the checks (default: one per core).")
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Events per Merkle batch.")] = 10_000,
    folder: Annotated[Path | None, typer.Option("--dir", help="Where to write the store (a temporary folder).")] = None,
    through_platform: Annotated[
        bool,
        typer.Option(
            "--through-platform",
            help="Also anchor the store on an anvil node, serve it with `supplychain serve` and audit it end to end "
            "over HTTP (run_audit).",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """The audit's checks over a synthetic store of signed, anchored events (no chain): events/s, wall time, memory;
    with --through-platform, the whole audit against a real chain and the platform's service too."""
    figures = bench_audit(
        events=events,
        workers=(os.cpu_count() or 1) if workers is None else workers,
        batch_size=batch_size,
        folder=folder,
        through_platform=through_platform,
    )
    if as_json:
        sys.stdout.write(json.dumps(figures) + "\n")
