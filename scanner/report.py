"""The terminal report (rich), in Chinese or English, and the JSON one.

The report opens with the verdict in plain words, then the warnings, what was trusted (chain, registry), the
product's name as its owner signed it in its master data (and whose signature it carries) and, per
event, its type, business step, time and organisation with a mark per check: content intact, signature, key valid,
organisation allowed, anchored in block N at time T, and the green recognitions in force at the event time. A failed
check is explained in words, with the core's detail beside it. Last, the events the bundle only references
(``summarised``: outside the product's chain of custody, or listing too many identifiers): how many and why, and
each listed one with what was checked of it (signature, key, anchor) and what the platform says of the rest.
Everything that came from the bundle is escaped before it is printed (it is not trusted, and could hold rich
markup).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape

from scanner.errors import ScannerInputError
from scanner.messages import Lang, has, text
from scanner.scan import ScanResult
from supplychain.eventhash import short_hash_id
from supplychain.verify import Check, EventVerdict, MasterDataVerdict, Verdict, VerdictStatus

__all__ = ["error_json", "print_error", "print_report", "reasons", "render_json"]

_SEPARATOR = {"zh": "；", "en": "; "}
_UNPINNED = "registry_not_pinned"
_GAPS = frozenset({"received_not_shipped", "sold_without_receipt", "origin_missing", "event_not_shown"})
_MARKS = {True: "[green]✓[/]", False: "[bold red]✗[/]", None: "[yellow]…[/]"}
_STATUS_STYLE = {
    VerdictStatus.VERIFIED: ("✓", "bold green"),
    VerdictStatus.FAILED: ("✗", "bold red"),
    VerdictStatus.INCOMPLETE: ("…", "bold yellow"),
}


def _reason(lang: Lang, check: Check) -> str:
    key = f"reason.{check.code}"
    return text(lang, key) if check.code is not None and has(lang, key) else check.detail


def reasons(result: ScanResult, lang: Lang, *, skip: frozenset[str] = frozenset()) -> str:
    """The failed (or, when none failed, pending) checks in words, each once, with the events concerned (bar the
    codes in ``skip``): each by its place in the story and its Event Hash ID's short form (``2 [3f9a1c2b7d0e]``),
    the name the audit gives it too."""
    verdict = result.verdict
    wanted: bool | None = False if verdict.status is VerdictStatus.FAILED else None
    where: dict[str, list[tuple[int, str]]] = {}
    words: dict[str, str] = {}
    for check in verdict.checks:
        if check.passed is wanted and check.code not in skip:
            words.setdefault(check.code or check.name, _reason(lang, check))
            where.setdefault(check.code or check.name, [])
    places = story_places(verdict)
    for event in verdict.events:
        for check in event.checks:
            if check.passed is wanted:
                words.setdefault(check.code or check.name, _reason(lang, check))
                where.setdefault(check.code or check.name, []).append((places[event.index], event.hash_id or ""))
    for check in verdict.master_data.checks if verdict.master_data is not None else ():
        if check.passed is wanted:
            words.setdefault(check.code or check.name, _reason(lang, check))
            where.setdefault(check.code or check.name, [])
    parts = []
    for code, said in words.items():
        events = sorted(set(where[code]))
        if events and len(events) < len(verdict.events):
            # its place in the story and its Event Hash ID's short form, as the regulator's audit names it
            named = [f"{n} [{short_hash_id(h)}]" if h else str(n) for n, h in events[:8]]
            shown = ", ".join(named) + ("…" if len(events) > 8 else "")
            said += f"（事件 {shown}）" if lang == "zh" else f" (event {shown})"  # noqa: PLW2901
        parts.append(said)
    return _SEPARATOR[lang].join(parts)


def _time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _biz_step(step: str | None) -> str:
    if step is None:
        return "–"
    return step.rsplit("BizStep-", 1)[-1].rsplit(":", 1)[-1]


def _event_type(envelope: Mapping[str, Any]) -> str:
    event = envelope.get("event")
    kind = event.get("type") if isinstance(event, Mapping) else None
    return kind if isinstance(kind, str) else "?"


def _combined(checks: Mapping[str, Check], *names: str) -> bool | None:
    found = [checks[n].passed for n in names if n in checks]
    if not found:
        return None
    if any(p is False for p in found):
        return False
    return None if any(p is None for p in found) else True


def story_order(verdict: Verdict) -> list[EventVerdict]:
    """The bundle's events in the order they happened (event time; unreadable ones last, then by their place in the
    bundle): the story is told in time order whatever order the platform lists the events in."""
    last = datetime.max.replace(tzinfo=UTC)
    return sorted(verdict.events, key=lambda e: (e.event_time or last, e.index))


def story_places(verdict: Verdict) -> dict[int, int]:
    """Bundle index -> place in the story (1, 2, ...; :func:`story_order`)."""
    return {event.index: place for place, event in enumerate(story_order(verdict), start=1)}


def _event_lines(result: ScanResult, event: EventVerdict, lang: Lang, place: int) -> list[str]:
    checks = {c.name: c for c in event.checks}
    envelope = result.source.bundle.events[event.index].envelope
    when = "–" if event.event_time is None else event.event_time.isoformat()
    head = " · ".join(
        escape(v) for v in (_event_type(envelope), _biz_step(event.biz_step), when, event.organisation_id or "–")
    )
    lines = [f"[bold]{place}.[/] {head}"]
    marks = []
    for label, names in (
        ("label.content", ("event", "event_hash")),
        ("label.signature", ("signature",)),
        ("label.key", ("key",)),
        ("label.organisation", ("organisation", "role", "owner")),
    ):
        if any(n in checks for n in names):
            marks.append(f"{_MARKS[_combined(checks, *names)]} {text(lang, label)}")
    anchored = _combined(checks, "proof", "anchor", "chronology")
    seen = result.anchors.get(event.index)
    if anchored is True and seen is not None:
        where = text(lang, "label.anchored", block=seen.block_number, time=_time(seen.timestamp))
        marks.append(f"{_MARKS[True]} {where}")
    elif "chain" not in checks and "registry" not in checks:
        marks.append(f"{_MARKS[anchored]} {text(lang, 'label.not_anchored')}")
    if marks:
        lines.append("   " + "  ".join(marks))
    if event.green is not None:
        if event.green.recognitions:
            shown = []
            for r in event.green.recognitions:
                kind, level = text(lang, f"kind.{r.kind.name}"), text(lang, f"level.{r.level.name}")
                name = text(lang, "label.recognition_item", kind=kind, level=level, id=r.recognition_id)
                if r.in_force_now is not None:
                    name += " " + text(lang, "label.still_in_force" if r.in_force_now else "label.lapsed_since")
                shown.append(escape(name))
            lines.append("   " + text(lang, "label.recognitions") + text(lang, "label.list_separator").join(shown))
        else:
            lines.append(f"   [dim]{text(lang, 'label.no_recognition')}[/]")
    for check in event.checks:
        if check.passed is not True:
            style = "red" if check.passed is False else "yellow"
            reason, detail = escape(_reason(lang, check)), escape(check.detail)
            lines.append(f"   [{style}]{_MARKS[check.passed]} {reason}[/] [dim]— {detail}[/]")
    return lines


def _master_data_lines(master: MasterDataVerdict, lang: Lang) -> list[str]:
    """The product's name as its owner signed it, whose signature it carries, and its checks."""
    name = master.name(lang) or "–"
    said = text(lang, "label.signed_by", name=name, org=master.organisation_id or "–", version=master.version or "–")
    lines = [f"[bold]{text(lang, 'label.name')}[/]  {_MARKS[_status_mark(master.status)]} {escape(said)}"]
    if master.recognition is not None:
        item = text(lang, "label.green_product", id=master.recognition)
        now = master.recognition_in_force_now
        if now is not None:
            item += " " + text(lang, "label.still_in_force" if now else "label.lapsed_since")
        lines.append("   " + escape(item))
    for check in master.checks:
        if check.passed is not True:
            style = "red" if check.passed is False else "yellow"
            reason, detail = escape(_reason(lang, check)), escape(check.detail)
            lines.append(f"   [{style}]{_MARKS[check.passed]} {reason}[/] [dim]— {detail}[/]")
    return lines


def _status_mark(status: VerdictStatus) -> bool | None:
    return {VerdictStatus.VERIFIED: True, VerdictStatus.FAILED: False}.get(status)


def _summarised_lines(result: ScanResult, lang: Lang) -> list[str]:
    """The events the bundle names by reference only: how many, why, and each listed one with its checks."""
    verdict = result.verdict
    if not verdict.summarised and not verdict.summarised_counts:
        return []
    lines = [f"\n[bold]{text(lang, 'label.summarised')}[/]"]
    for reason, count in sorted(verdict.summarised_counts.items()):
        lines.append("[yellow]! [/]" + escape(text(lang, f"label.summarised.{reason}", count=count)))
    if verdict.summarised:
        lines.append(f"[dim]{escape(text(lang, 'label.summarised_checks'))}[/]")
    for r in verdict.summarised:
        checks = {c.name: c for c in r.checks}
        marks = [f"{_MARKS[_combined(checks, 'signature', 'key')]} {text(lang, 'label.signature')}"]
        anchored = _combined(checks, "proof", "anchor")
        marks.append(f"{_MARKS[anchored]} {text(lang, 'label.not_anchored')}")
        head = text(
            lang,
            "label.summarised_item",
            type=r.event_type,
            step=_biz_step(r.biz_step),
            time=_time(r.event_time),
            org=r.organisation_id,
            count=f"{r.identifier_count:,}",
        )
        lines.append(f"[bold]{r.index + 1}.[/] {escape(head)}  " + "  ".join(marks))
        lines.append(f"   [dim]{escape(r.hash_id)}[/]")
        for check in r.checks:
            if check.passed is not True:
                style = "red" if check.passed is False else "yellow"
                reason, detail = escape(_reason(lang, check)), escape(check.detail)
                lines.append(f"   [{style}]{_MARKS[check.passed]} {reason}[/] [dim]— {detail}[/]")
    unlisted = sum(verdict.summarised_counts.values()) - len(verdict.summarised)
    if unlisted > 0:
        lines.append(f"[dim]{escape(text(lang, 'label.summarised_more', count=unlisted))}[/]")
    return lines


def _headline(result: ScanResult, lang: Lang) -> tuple[str, str, str]:
    """The verdict's mark, style and sentence: an unpinned registry says "not verified" whatever else passed."""
    verdict = result.verdict
    status = verdict.status
    mark, style = _STATUS_STYLE[status]
    if status is VerdictStatus.VERIFIED:
        return mark, style, text(lang, "verdict.verified", count=len(verdict.events))
    if status is VerdictStatus.INCOMPLETE and any(c.code == _UNPINNED for c in verdict.checks):
        rest = reasons(result, lang, skip=frozenset({_UNPINNED})) or text(lang, "verdict.rest_passed")
        return "!", "bold red", text(lang, "verdict.unpinned", reasons=rest)
    if status is VerdictStatus.INCOMPLETE and _GAPS.intersection(verdict.pending):
        return mark, style, text(lang, "verdict.gaps", reasons=reasons(result, lang))
    return mark, style, text(lang, f"verdict.{status.value}", reasons=reasons(result, lang))


def print_report(result: ScanResult, lang: Lang, console: Console) -> None:
    """Print the readable report of ``result`` in ``lang``."""
    verdict = result.verdict
    mark, style, headline = _headline(result, lang)
    out = console.print
    out(f"[{style}]{mark} {escape(headline)}[/]", soft_wrap=True)
    for notice in result.notices:
        notice_style = "bold red" if notice.code == "recalled" else "yellow"
        out(f"[{notice_style}]! {text(lang, 'label.warning')}{escape(notice.message(lang))}[/]", soft_wrap=True)
    out(
        "[dim]"
        + escape(text(lang, "verdict.trusts", chain_id=result.chain_id, registry=result.registry, rpc=result.rpc))
        + "[/]",
        soft_wrap=True,
    )
    source = result.source
    rows = [
        ("label.product", verdict.product),
        ("label.source", text(lang, f"label.source.{source.kind}", input=source.input, uri=source.uri)),
        (
            "label.chain",
            text(lang, "label.chain_value", rpc=result.rpc, chain_id=result.chain_id, block=result.latest_block),
        ),
        ("label.registry", result.registry),
    ]
    for label, value in rows:
        out(f"[bold]{text(lang, label)}[/]  {escape(value)}", soft_wrap=True)
    if verdict.master_data is not None:
        for line in _master_data_lines(verdict.master_data, lang):
            out(line, soft_wrap=True)
    for check in verdict.checks:
        if check.passed is not True:
            style = "red" if check.passed is False else "yellow"
            reason = escape(_reason(lang, check))
            out(f"[{style}]{_MARKS[check.passed]} {reason}[/] [dim]— {escape(check.detail)}[/]", soft_wrap=True)
    if verdict.events:
        out(f"\n[bold]{text(lang, 'label.events')} ({len(verdict.events)})[/]")
    places = story_places(verdict)
    for event in story_order(verdict):
        for line in _event_lines(result, event, lang, places[event.index]):
            out(line, soft_wrap=True)
    for line in _summarised_lines(result, lang):
        out(line, soft_wrap=True)
    t = result.timings
    timing = text(
        lang,
        "label.timing",
        source_ms=f"{t.source_ms:.0f}",
        chain_ms=f"{t.chain_ms:.0f}",
        verify_ms=f"{t.verify_ms:.0f}",
    )
    out(f"\n[dim]{timing}[/]", soft_wrap=True)


def render_json(result: ScanResult) -> str:
    """The JSON report (see :meth:`scanner.scan.ScanResult.to_json`)."""
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2)


def error_json(error: ScannerInputError) -> str:
    """``{"status": "unusable", "error": {"code", "message", "params"}}``."""
    return json.dumps({"status": "unusable", "error": error.to_json()}, ensure_ascii=False, indent=2)


def print_error(error: ScannerInputError, lang: Lang, console: Console) -> None:
    """``错误：…`` / ``error: …`` on the error console."""
    lead = "错误" if lang == "zh" else "error"
    sep = "：" if lang == "zh" else ": "
    console.print(f"[bold red]{lead}[/]{sep}{escape(error.message(lang))}", soft_wrap=True)
