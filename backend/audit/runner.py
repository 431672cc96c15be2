"""``run_audit``: replay the registry from the chain, stream the platform's export, check, report, remember.

The order of the reads is what makes the judgments sound while the platform keeps working:

1. the platform's export status (the last event and batch ids now): the export is read up to them;
2. the chain head ``B`` and the registry's history up to it: every event stored before step 1 was checked by the
   platform against the chain as it stood then, so keys, roles and recognitions are all in this mirror;
3. the batches, then the events, from the first: what an earlier run audited is compared with its seal (one SHA-256
   per record: edits, deletions and insertions since are found, see :mod:`supplychain.audit._seal`), the rest is
   checked in worker processes;
4. the chain head ``B'`` and the history up to it: an event whose root was anchored meanwhile is settled with it,
   and a batch the platform lists as anchored must be on chain by now;
5. the batches stored after step 1: a root anchored by ``B`` whose batch came after step 1 is judged next time.

Roots anchored up to ``B`` are reconciled with the export (all their events were stored before step 1). The state file
keeps the registry's history, the cursors and the auditor's state (:class:`supplychain.audit.Auditor`), so the next run
reads only the blocks and batches that came after and checks in full only the events that came after (the others are
compared with their seals); a chain with another genesis (a reset dev chain) or another registry starts over.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from backend.audit.client import PlatformClient
from backend.audit.errors import AuditStateFileError, AuditUnavailableError
from backend.audit.html import render_html
from backend.audit.pool import ChunkChecker
from backend.audit.report import AuditReport
from backend.audit.worker import Chunk, line_id
from chain.attach import attach_registry, block_hash
from chain.connection import Chain, connect
from chain.errors import ChainError, DeploymentError
from chain.registry import Registry
from supplychain.audit import (
    Auditor,
    AuditParameters,
    AuditStateError,
    history_from_json,
    history_to_json,
    record_print,
    spot_check_sample,
)
from supplychain.registry import AnchorState, RegistryMirror
from supplychain.registry import events as ev

__all__ = ["AuditOptions", "check_stream", "load_state", "run_audit", "save_state"]

log = logging.getLogger(__name__)
STATE_TYPE = "SupplychainAuditState"


@dataclass(frozen=True)
class AuditOptions:
    """How to audit (the defaults match the platform's own defaults).

    Attributes:
        deadline_seconds: The anchoring deadline the platform promises (its ``anchor_deadline_seconds``).
        window_seconds: Sightings of a serial at two places closer than this are impossible (unless the later one is
            a recorded arrival).
        clock_tolerance_seconds: How far two organisations' clocks may disagree when two sightings are ordered.
        workers: Processes for the per-event checks (0: in this process).
        anchorers: The platform's anchoring accounts (default: those that anchored the roots it exports).
        sample_size: Recognitions drawn for spot checks.
        seed: The draw's seed (default: the hash of the audited head block).
        from_block: The registry's creation block, when known (skips its search).
        page_size: Records per export page (a page is what one worker checks at a time; 2,000 keeps the pages in
            flight small).
        max_findings_per_code: Findings of one code kept in detail.
        fresh: Ignore an existing state file and start over.
    """

    deadline_seconds: int = 300
    window_seconds: int = 60
    clock_tolerance_seconds: int = 5
    workers: int = 0
    anchorers: tuple[str, ...] = ()
    sample_size: int = 5
    seed: str | None = None
    from_block: int | None = None
    page_size: int = 2000
    max_findings_per_code: int = 1000
    fresh: bool = False

    def parameters(self) -> AuditParameters:
        """The auditor's parameters."""
        return AuditParameters(
            deadline_seconds=self.deadline_seconds,
            window_seconds=self.window_seconds,
            clock_tolerance_seconds=self.clock_tolerance_seconds,
            anchorers=frozenset(a.lower() for a in self.anchorers),
            max_findings_per_code=self.max_findings_per_code,
        )


def load_state(path: Path) -> dict[str, Any] | None:
    """The state saved at ``path`` (``None`` when there is none).

    Raises:
        AuditStateFileError: It cannot be read or is not an audit state.
    """
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise AuditStateFileError(
            f"cannot read the audit state {path}: {exc} (remove it, or run with --fresh)"
        ) from exc
    if not isinstance(data, dict) or data.get("type") != STATE_TYPE:
        raise AuditStateFileError(f"{path} is not an audit state file (remove it, or run with --fresh)")
    return data


def save_state(path: Path, data: dict[str, Any]) -> None:
    """Write the state atomically (a crash leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(orjson.dumps(data))
        f.flush()
        os.fsync(f.fileno())
    Path(tmp).replace(path)


def check_stream(
    auditor: Auditor, checker: ChunkChecker, pages: Iterable[bytes], anchors: dict[bytes, AnchorState]
) -> None:
    """Check the export's pages of event records (read from the first): each record's print goes to
    :meth:`Auditor.served` (what earlier runs audited is compared with its seal there), then new events are checked
    in full, events an earlier run left unsettled for anchoring only; each result goes to ``auditor``."""

    def chunks() -> Iterator[Chunk]:
        for page in pages:
            group: list[bytes] = []
            mode = False
            for line in page.split(b"\n"):
                if not line:
                    continue
                event_id = line_id(line)
                wanted = "full" if event_id is None else auditor.served(event_id, record_print(line))
                if wanted is None:
                    continue
                anchoring = wanted == "anchoring"
                if group and anchoring != mode:
                    yield b"\n".join(group), mode
                    group = []
                mode = anchoring
                group.append(line)
            if group:
                yield b"\n".join(group), mode

    for results in checker.map(chunks()):
        for checked in results:
            auditor.add_event(checked, anchors)


@dataclass
class _Chain:
    chain: Chain
    registry: Registry
    info: dict[str, Any]
    history: list[ev.RegistryEvent] = field(default_factory=list)
    mirror: RegistryMirror = field(default_factory=RegistryMirror)
    read: int = 0

    def read_to(self, start: int, head: int) -> None:
        new = list(self.registry.history(from_block=start, to_block=head)) if start <= head else []
        self.mirror.apply_all(new)
        self.history += new
        self.read += len(new)


def _connect(rpc_url: str, address: str, from_block: int | None, saved: dict[str, Any]) -> _Chain:
    """The chain and the registry on it; the creation block is taken from the saved state of the same chain."""
    try:
        chain = connect(rpc_url, attempts=2)
    except ChainError as exc:
        raise AuditUnavailableError(f"the node at {rpc_url} cannot be reached: {exc}") from exc
    same = saved.get("genesisHash") == chain.genesis_hash and str(saved.get("registry", "")).lower() == address.lower()
    if from_block is None and same and isinstance(saved.get("deploymentBlock"), int):
        from_block = saved["deploymentBlock"]
    try:
        deployment = attach_registry(chain, address, from_block=from_block)
    except (DeploymentError, ChainError) as exc:
        raise AuditUnavailableError(f"no registry to audit: {exc}") from exc
    info = {
        "chainId": chain.chain_id,
        "genesisHash": chain.genesis_hash,
        "registry": deployment.address,
        "deploymentBlock": deployment.block_number,
        "rpc": rpc_url,
    }
    return _Chain(chain, Registry(chain, deployment, check=False), info)


@dataclass
class _Start:
    auditor: Auditor
    from_block: int
    continued: bool
    notes: list[str]


def _resume(
    state: dict[str, Any] | None, link: _Chain, platform_url: str, options: AuditOptions, path: Path | None
) -> _Start:
    """Where this run starts: from the saved state when it is of this chain, registry and platform, else over."""
    fresh = _Start(Auditor(options.parameters()), link.info["deploymentBlock"], False, [])
    if state is None:
        return fresh
    saved = state.get("chain", {})
    keys = ("chainId", "genesisHash", "registry")
    if {k: saved.get(k) for k in keys} != {k: link.info[k] for k in keys}:
        fresh.notes.append(
            f"the chain or the registry is not the one of the saved state (genesis {saved.get('genesisHash')}, "
            f"now {link.info['genesisHash']}): a reset dev chain, or another deployment; starting over"
        )
        return fresh
    if state.get("platform") != platform_url:
        fresh.notes.append(f"the saved state is of the platform at {state.get('platform')}: starting over")
        return fresh
    try:
        link.history = history_from_json(state["history"])
        link.mirror.apply_all(link.history)
        auditor = Auditor.from_json(state["auditor"], options.parameters())
        from_block = int(state["lastBlock"]) + 1
    except (AuditStateError, KeyError, TypeError, ValueError) as exc:
        raise AuditStateFileError(f"the audit state {path} cannot be used: {exc} (run with --fresh)") from exc
    note = (
        f"continued from block {from_block}, after event {auditor.last_event_id} and batch {auditor.last_batch_id} "
        f"(state {path})"
    )
    return _Start(auditor, from_block, True, [note])


@dataclass
class _Read:
    head: int
    final: int
    seed: str
    at: int
    check_seconds: float


def _read(link: _Chain, client: PlatformClient, start: _Start, options: AuditOptions) -> _Read:
    """Steps 1 to 5 of the module docstring."""
    auditor = start.auditor
    status = client.status()
    try:
        head = link.chain.block_number()
        link.read_to(start.from_block, head)
    except ChainError as exc:
        raise AuditUnavailableError(f"the node failed while the registry was read: {exc}") from exc
    for page in client.pages("/export/batches", after=auditor.resume_batch_after, until=status["lastBatchId"]):
        for line in page.splitlines():
            auditor.add_batch(orjson.loads(line))
    if "lastMasterDataId" in status:  # a platform with product master data: read it all (it is small)
        for page in client.pages("/export/master-data", after=0, until=int(status["lastMasterDataId"])):
            for line in page.splitlines():
                auditor.add_master_data(orjson.loads(line), link.mirror)
    check_started = time.perf_counter()
    with ChunkChecker(link.mirror, options.workers) as checker:  # its workers start before the pages' thread
        pages = client.pages("/export/events", after=0, until=status["lastEventId"], limit=options.page_size)
        check_stream(auditor, checker, pages, link.mirror.anchors)
    check_seconds = time.perf_counter() - check_started
    later_roots = {
        str(orjson.loads(line)["root"])
        for page in client.pages("/export/batches", after=int(status["lastBatchId"]), until=None)
        for line in page.splitlines()
    }
    try:
        final = link.chain.block_number()
        link.read_to(head + 1, final)
        seed = options.seed or block_hash(link.chain, head)
        at = link.chain.block_timestamp(head)
    except ChainError as exc:
        raise AuditUnavailableError(f"the node failed while the registry was read: {exc}") from exc
    auditor.finish(link.mirror, judged_block=head, now_ms=time.time_ns() // 1_000_000, later_roots=later_roots)
    return _Read(head, final, seed, at, check_seconds)


def _sample(mirror: RegistryMirror, *, seed: str, size: int, at: int) -> list[dict[str, Any]]:
    return [
        {
            "recognitionId": r.recognition_id,
            "holder": r.terms.holder,
            "kind": r.terms.kind.name.lower(),
            "kindZh": r.terms.kind.label_zh,
            "level": r.terms.level.name.lower(),
            "issuer": r.issuer,
        }
        for r in spot_check_sample(mirror, seed=seed, size=size, at=at)
    ]


def _timeline(auditor: Auditor, mirror: RegistryMirror) -> dict[str, Any]:
    bucket = auditor.bucket_ms
    anchors: dict[int, int] = {}
    for root, anchor in mirror.anchors.items():
        if "0x" + root.hex() in auditor.batches:
            key = anchor.anchored_at * 1000 // bucket
            anchors[key] = anchors.get(key, 0) + 1
    return {
        "bucketMs": bucket,
        "events": [[k * bucket, n] for k, n in sorted(auditor.timeline.items())],
        "anchors": [[k * bucket, n] for k, n in sorted(anchors.items())],
    }


def run_audit(
    *,
    rpc_url: str,
    registry: str,
    platform_url: str,
    token: str,
    state_path: Path | None = None,
    out_dir: Path | None = None,
    options: AuditOptions | None = None,
    lang: str = "zh-CN",
) -> AuditReport:
    """Audit the platform at ``platform_url`` against the registry at ``registry`` on the chain at ``rpc_url``.

    Args:
        rpc_url: The chain's JSON-RPC URL.
        registry: The registry's address.
        platform_url: The platform's base URL.
        token: A regulator's API token of the platform.
        state_path: Where the state of the audit is kept between runs (``None``: start over, keep nothing).
        out_dir: Where to write ``audit-report.json`` and ``audit-report.html`` (``None``: nowhere).
        options: See :class:`AuditOptions`.
        lang: The HTML report's language (``zh-CN`` or ``en``).

    Raises:
        AuditError: The audit could not run (node or platform unreachable, token refused, state unreadable).
    """
    options = options or AuditOptions()
    started = time.perf_counter()
    state = None if state_path is None or options.fresh else load_state(state_path)
    link = _connect(rpc_url, registry, options.from_block, (state or {}).get("chain", {}))
    start = _resume(state, link, platform_url, options, state_path)
    client = PlatformClient(platform_url, token)
    try:
        read = _read(link, client, start, options)
    finally:
        client.close()
    auditor = start.auditor
    report = AuditReport(
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        platform=platform_url,
        chain=link.info,
        blocks={"fromBlock": start.from_block, "judgedBlock": read.head, "toBlock": read.final},
        continued=start.continued,
        notes=start.notes,
        parameters={
            "deadlineSeconds": options.deadline_seconds,
            "windowSeconds": options.window_seconds,
            "clockToleranceSeconds": options.clock_tolerance_seconds,
            "workers": options.workers,
            "anchorers": list(options.anchorers),
            "sampleSize": options.sample_size,
        },
        events_checked=auditor.events_checked,
        events_rechecked=auditor.events_rechecked,
        events_compared=auditor.seals.compared,
        events_total=auditor.events_total,
        batches_read=auditor.batches_read,
        roots_judged=auditor.roots_judged,
        registry_events=link.read,
        wall_seconds=time.perf_counter() - started,
        check_seconds=read.check_seconds,
        findings=auditor.findings,
        counts=dict(auditor.counts),
        by_organisation={org: dict(c) for org, c in auditor.by_organisation.items()},
        organisations=dict(auditor.organisations),
        sample=_sample(link.mirror, seed=read.seed, size=options.sample_size, at=read.at),
        seed=read.seed,
        seed_source="given" if options.seed else f"hash of block {read.head}, the head audited",
        timeline=_timeline(auditor, link.mirror),
    )
    if state_path is not None:
        save_state(
            state_path,
            {
                "type": STATE_TYPE,
                "version": 1,
                "savedAt": report.generated_at,
                "chain": link.info,
                "platform": platform_url,
                "lastBlock": read.final,
                "judgedBlock": read.head,
                "history": history_to_json(link.history),
                "auditor": auditor.to_json(),
                "lastRun": report.to_json()["summary"],
            },
        )
    if out_dir is not None:
        write_reports(report, out_dir, lang=lang)
    log.info("audit: %s events checked, %s findings", report.events_checked, sum(report.counts.values()))
    return report


def write_reports(report: AuditReport, out_dir: Path, *, lang: str = "zh-CN") -> tuple[Path, Path]:
    """Write ``audit-report.json`` and ``audit-report.html`` into ``out_dir``; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, html_path = out_dir / "audit-report.json", out_dir / "audit-report.html"
    json_path.write_bytes(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2))
    html_path.write_text(render_html(report, lang), encoding="utf-8")
    return json_path, html_path
