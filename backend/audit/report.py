"""The audit's report: what was read, what was found, the spot-check draw; as JSON for machines (the page for
people: :mod:`backend.audit.html`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from supplychain.audit import CODES, Finding, Severity
from supplychain.i18n import translations

__all__ = ["AuditReport", "blocks_text"]


def blocks_text(blocks: dict[str, int], lang: str = "en") -> str:
    """The blocks a run read, for people, in ``lang`` (``en`` or ``zh-CN``, from the catalogue): ``blocks 17 to 20
    (roots judged up to block 19)``; a continued run that found no new block says so (``no new block since block
    16``) rather than a range running backwards."""
    first, judged, last = blocks["fromBlock"], blocks["judgedBlock"], blocks["toBlock"]
    words = translations("zh-CN" if lang == "zh-CN" else "en")
    if first > last:
        return words.gettext("no new block since block %(last)s") % {"last": last}
    if first < last:
        text = words.gettext("blocks %(first)s to %(last)s") % {"first": first, "last": last}
    else:
        text = words.gettext("block %(first)s") % {"first": first}
    if judged == last:
        return text
    return words.gettext("%(blocks)s (roots judged up to block %(judged)s)") % {"blocks": text, "judged": judged}


@dataclass
class AuditReport:
    """One audit run.

    Attributes:
        generated_at: When the run ended (RFC 3339, UTC).
        platform: The platform's URL.
        chain: ``chainId``, ``genesisHash``, ``registry``, ``deploymentBlock``, ``rpc``.
        blocks: ``fromBlock`` (first block read this run), ``judgedBlock`` (the head before the export),
            ``toBlock`` (the head after it).
        continued: Whether the run went on from a previous run's state.
        notes: What the run says about itself (continued from where, chain reset, ...).
        parameters: ``deadlineSeconds``, ``windowSeconds``, ``clockToleranceSeconds``, ``workers``, ``anchorers``.
        events_checked: Events checked for the first time this run.
        events_rechecked: Events seen by an earlier run, not anchored then, checked again.
        events_total: Events checked over every run so far.
        batches_read: Batch records read this run.
        roots_judged: Anchored roots whose leaves were reconciled this run.
        registry_events: Registry events read from the chain this run.
        wall_seconds: Wall time of the run.
        check_seconds: Time spent streaming and checking the events.
        findings: The findings kept in detail (at most ``max_findings_per_code`` of each code).
        counts: Every finding's count, by code.
        by_organisation: Finding counts by organisation (``platform`` for the platform's own records) and severity.
        organisations: Events per organisation, over every run.
        sample: The recognitions drawn for spot checks.
        seed: The draw's seed; ``seed_source`` says where it comes from.
        timeline: ``bucketMs``, ``events`` and ``anchors`` as ``[bucket start (ms), count]`` pairs.
        events_compared: Events audited by an earlier run whose records were compared with their seals this run.
    """

    generated_at: str
    platform: str
    chain: dict[str, Any]
    blocks: dict[str, int]
    continued: bool
    notes: list[str]
    parameters: dict[str, Any]
    events_checked: int
    events_rechecked: int
    events_total: int
    batches_read: int
    roots_judged: int
    registry_events: int
    wall_seconds: float
    check_seconds: float
    findings: list[Finding]
    counts: dict[str, int]
    by_organisation: dict[str, dict[str, int]]
    organisations: dict[str, int]
    sample: list[dict[str, Any]]
    seed: str
    seed_source: str
    timeline: dict[str, Any] = field(default_factory=dict)
    events_compared: int = 0

    @property
    def by_severity(self) -> dict[str, int]:
        """Finding counts by severity (every severity present, most serious first)."""
        totals: Counter[str] = Counter()
        for code, count in self.counts.items():
            totals[CODES[code][0].value] += count
        return {s.value: totals[s.value] for s in Severity}

    @property
    def serious(self) -> bool:
        """Whether anything critical or high was found."""
        return any(self.by_severity[s.value] for s in Severity if s.serious)

    @property
    def exit_code(self) -> int:
        """0: nothing critical or high; 1: serious findings."""
        return 1 if self.serious else 0

    @property
    def events_per_second(self) -> float:
        """Events checked (first time and again) per second of wall time."""
        return (self.events_checked + self.events_rechecked) / self.wall_seconds if self.wall_seconds else 0.0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON data."""
        return {
            "type": "SupplychainAuditReport",
            "version": 1,
            "generatedAt": self.generated_at,
            "verdict": "fail" if self.serious else "pass",
            "exitCode": self.exit_code,
            "platform": self.platform,
            "chain": self.chain,
            "blocks": self.blocks,
            "continued": self.continued,
            "notes": self.notes,
            "parameters": self.parameters,
            "summary": {
                "eventsChecked": self.events_checked,
                "eventsRechecked": self.events_rechecked,
                "eventsCompared": self.events_compared,
                "eventsTotal": self.events_total,
                "batchesRead": self.batches_read,
                "rootsJudged": self.roots_judged,
                "registryEvents": self.registry_events,
                "wallSeconds": round(self.wall_seconds, 3),
                "checkSeconds": round(self.check_seconds, 3),
                "eventsPerSecond": round(self.events_per_second, 1),
                "findings": sum(self.counts.values()),
                "bySeverity": self.by_severity,
                "byCode": dict(sorted(self.counts.items())),
                "byOrganisation": self.by_organisation,
            },
            "organisations": self.organisations,
            "findings": [f.to_json() for f in sorted(self.findings, key=lambda f: (f.severity.rank, f.code))],
            "spotCheckSample": {"seed": self.seed, "seedSource": self.seed_source, "drawn": self.sample},
            "timeline": self.timeline,
        }
