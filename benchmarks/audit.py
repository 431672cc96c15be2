"""The audit's checks over a synthetic store of signed, anchored events (``supplychain bench audit``).

:func:`bench_audit` builds the store of :mod:`benchmarks.synthetic` in worker processes, audits it as
``supplychain audit`` does (the checks of :mod:`backend.audit` in worker processes, the export read in pages), then
runs the audit again from its saved state (a continued run); with ``through_platform``, the store is also anchored
on an anvil node, served by ``supplychain serve`` and audited end to end (:mod:`benchmarks.audit_platform`).
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.common import console

if TYPE_CHECKING:
    from supplychain.audit import Auditor
    from supplychain.registry import RegistryMirror

__all__ = ["bench_audit"]


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
    audited end to end with ``run_audit`` (:mod:`benchmarks.audit_platform`)."""
    from backend.audit.pool import ChunkChecker, worker_context
    from backend.audit.runner import check_stream
    from benchmarks.synthetic import SyntheticStore, build_batch, synthetic_registry
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
        console.print(f"built {events:,} signed, anchored events in {len(batches):,} batches in {built:.1f} s")
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
        console.print(
            f"audit of {auditor.events_checked:,} events ({workers} worker processes): {wall:.1f} s = "
            f"{figures['events_per_second']:,.0f} events/s, {int(figures['findings'])} findings; CPU {cpu:.1f} s "
            f"({figures['cpu_us_per_event']:.0f} µs per event, all processes); peak RSS: this process "
            f"{figures['peak_rss_mb']:.0f} MB (before the audit {rss_before:.0f} MB), "
            f"largest worker {figures['peak_rss_mb_largest_worker']:.0f} MB"
        )
        console.print(
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
    from benchmarks.audit_platform import audit_through_platform

    figures = audit_through_platform(folder, events_path, batches, workers=workers)
    console.print(
        "end to end (anvil, `supplychain serve`, export over HTTP, run_audit; "
        f"loaded in {figures.load_seconds:.1f} s): "
        f"{figures.events:,} events in {figures.wall_seconds:.1f} s = {figures.events_per_second:,.0f} events/s, "
        f"{figures.findings} findings; export streamed and checked in {figures.check_seconds:.1f} s; "
        f"the service's CPU {figures.server_cpu_seconds:.1f} s on the same cores"
    )
    console.print(
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
