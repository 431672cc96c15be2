"""The audit report as one self-contained HTML page (the one stylesheet inlined, an inline SVG chart, no script):
Chinese by default, English on request.

:func:`report_view` turns an :class:`~backend.audit.report.AuditReport` into plain data and the template
``audit/report.html`` (extending the pages' one layout, without a language switch: the file is saved as it is)
presents it (:func:`backend.pages.templating.render`: autoescape, and the spoofing characters of findings'
messages, organisations and evidence shown). The words are catalogue messages; what each finding code means is its
English meaning in :data:`supplychain.audit.CODES`, the catalogue's message id (:func:`meaning`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from backend.audit.report import AuditReport, blocks_text
from backend.pages.templating import render
from supplychain.audit import CODES, Severity
from supplychain.i18n import LANGS, N_, Lang, translations
from supplychain.vocabulary import SEVERITIES, kind, level

__all__ = ["LANGUAGES", "meaning", "render_html", "report_view"]

LANGUAGES: Final = LANGS
"""The report's languages (``zh-CN``, ``en``)."""
_COLUMNS: Final = 60


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%MZ")


def meaning(code: str, lang: Lang) -> str:
    """What a finding code means, in the report's language (from the catalogue)."""
    return translations(lang).gettext(CODES[code][1])


def _chart(timeline: dict[str, Any]) -> dict[str, Any] | None:
    """Bars of events and anchors per time bucket (merged to at most 60 columns), as numbers the template draws."""
    events = [(int(a), int(b)) for a, b in timeline.get("events", [])]
    anchors = [(int(a), int(b)) for a, b in timeline.get("anchors", [])]
    points = events + anchors
    if not points:
        return None
    start = min(p[0] for p in points)
    end = max(p[0] for p in points) + int(timeline.get("bucketMs", 60_000))
    width = max((end - start) / _COLUMNS, 1.0)
    counts = [[0, 0] for _ in range(_COLUMNS)]
    for series, pairs in ((0, events), (1, anchors)):
        for at, n in pairs:
            counts[min(int((at - start) / width), _COLUMNS - 1)][series] += n
    top = [max(1, *(c[s] for c in counts)) for s in (0, 1)]
    w, h, left = 720, 180, 40
    bar = w / _COLUMNS
    bars: list[dict[str, str | int]] = []

    def add(series: str, n: int, top_n: int, x: float, width: float) -> None:
        height = h * n / top_n
        bars.append(
            {
                "series": series,
                "n": n,
                "x": f"{x:.1f}",
                "y": f"{h - height:.1f}",
                "width": f"{width:.1f}",
                "height": f"{height:.1f}",
            }
        )

    for i, (n_events, n_anchors) in enumerate(counts):
        x = left + i * bar
        if n_events:
            add("events", n_events, top[0], x + 1, bar * 0.55)
        if n_anchors:
            add("anchors", n_anchors, top[1], x + bar * 0.6, bar * 0.3)
    return {
        "viewbox": f"0 0 {w + left + 10} {h + 40}",
        "left": left,
        "right": left + w,
        "base": h,
        "bars": bars,
        "start": _when(start),
        "end": _when(end),
        "most": {"events": top[0], "anchors": top[1]},
    }


def report_view(report: AuditReport, lang: Lang) -> dict[str, Any]:
    """The view model of the report in ``lang``: plain data, words as catalogue messages."""
    chain, data = report.chain, report.to_json()
    size = report.parameters.get("sampleSize", len(report.sample))
    return {
        "facts": [
            (N_("Generated"), report.generated_at),
            (N_("Platform"), report.platform),
            (N_("Chain"), f"{chain.get('chainId')} · {chain.get('rpc')} · genesis {chain.get('genesisHash')}"),
            (N_("Registry"), f"{chain.get('registry')} (block {chain.get('deploymentBlock')})"),
            (N_("Blocks read"), blocks_text(report.blocks, lang)),
        ],
        "passed": not report.serious,
        "figures": [
            (N_("Events checked"), f"{report.events_checked:,}"),
            (N_("Events checked again"), f"{report.events_rechecked:,}"),
            (N_("Events checked, all runs"), f"{report.events_total:,}"),
            (N_("Rate (events/s)"), f"{report.events_per_second:,.0f}"),
            (N_("Wall time (s)"), f"{report.wall_seconds:.2f}"),
            (N_("Batch records"), f"{report.batches_read:,}"),
            (N_("On-chain roots reconciled"), f"{report.roots_judged:,}"),
            (N_("Registry events read"), f"{report.registry_events:,}"),
        ],
        "by_severity": [(s.value, f"{report.by_severity[s.value]:,}") for s in Severity],
        "notes": list(report.notes),
        "chart": _chart(report.timeline),
        "severities": [s.value for s in Severity],
        "severity_words": SEVERITIES,
        "by_organisation": [
            {"organisation": None if org == "platform" else org, "counts": [counts.get(s.value, 0) for s in Severity]}
            for org, counts in sorted(report.by_organisation.items())
        ],
        "findings": [
            {
                "severity": f["severity"],
                "code": f["code"],
                "organisation": f["organisation"] or None,
                "meaning": CODES[f["code"]][1],
                "message": f["message"],
                "evidence": [(k, str(v)) for k, v in f["evidence"].items()],
            }
            for f in data["findings"]
        ],
        "hidden": sum(report.counts.values()) - len(report.findings),
        "sample": {
            "size": size,
            "seed": report.seed,
            "seed_source": report.seed_source,
            "drawn": [
                {
                    "id": d["recognitionId"],
                    "holder": d["holder"],
                    "kind": {"code": d["kind"], "word": kind(d["kind"])},
                    "level": {"code": d["level"], "word": level(d["level"])},
                }
                for d in report.sample
            ],
        },
        "codes": [{"code": code, "severity": s.value, "meaning": m} for code, (s, m) in CODES.items()],
    }


def render_html(report: AuditReport, lang: str = "zh-CN") -> str:
    """The report as HTML in ``lang`` (``zh-CN`` or ``en``).

    Raises:
        ValueError: An unknown language.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; use one of {', '.join(LANGUAGES)}")
    chosen: Lang = "en" if lang == "en" else "zh-CN"
    return render("audit/report.html", chosen, report_view(report, chosen), switch=False)
