"""The terminal report (rich), in Chinese (``zh-CN``) or English (``en``), and the JSON one.

The report opens with the verdict in plain words, then the warnings, what was trusted (chain, registry), the
product's name as its owner signed it in its master data (and whose signature it carries) and, per
event, its type, business step, time and organisation with a mark per check: content intact, signature, key valid,
organisation allowed, anchored in block N at time T, and the green recognitions in force at the event time. A failed
check is explained in words, with the core's detail beside it. Last, the events the bundle only references
(``summarised``: outside the product's chain of custody, or listing too many identifiers): how many and why, and
each listed one with what was checked of it (signature, key, anchor) and what the platform says of the rest.
Everything that came from the bundle is escaped before it is printed (it is not trusted, and could hold rich
markup), and its bidirectional controls and invisible characters are written out (``\u202e``) as the pages do
(:func:`supplychain.text.show_spoofing`), so that no value can reorder or hide what a line says.

The words come from the project's one catalogue (:mod:`supplychain.i18n`): messages are English in the code, each
function showing words takes ``_`` (and ``ngettext``) from the report language's translations, and values are
filled in after the translation. Recognition kinds and levels are the domain's words
(:mod:`supplychain.vocabulary`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from rich.console import Console
from rich.markup import escape as escape_markup

from scanner.errors import ScannerInputError
from scanner.messages import REASONS
from scanner.scan import ScanResult
from supplychain import vocabulary
from supplychain.eventhash import short_hash_id
from supplychain.i18n import N_, Lang, translations
from supplychain.text import show_spoofing
from supplychain.verify import Check, EventVerdict, MasterDataVerdict, Verdict, VerdictStatus

__all__ = ["error_json", "print_error", "print_report", "reasons", "render_json", "summarised_count"]

_UNPINNED = "registry_not_pinned"
_GAPS = frozenset({"received_not_shipped", "sold_without_receipt", "origin_missing", "event_not_shown"})
_MARKS = {True: "[green]✓[/]", False: "[bold red]✗[/]", None: "[yellow]…[/]"}
_SOURCES = {
    "image": N_("QR image {input} → {uri}"),
    "uri": N_("Digital Link {uri}"),
    "file": N_("bundle file {input}"),
}
_STATUS_STYLE = {
    VerdictStatus.VERIFIED: ("✓", "bold green"),
    VerdictStatus.FAILED: ("✗", "bold red"),
    VerdictStatus.INCOMPLETE: ("…", "bold yellow"),
}


def escape(text: str) -> str:
    """``text`` safe to print: rich markup escaped, spoofing characters written out."""
    return escape_markup(show_spoofing(text))


def _reason(lang: Lang, check: Check) -> str:
    """A failed or pending check in words (its detail when its code has none)."""
    message = REASONS.get(check.code or "")
    return check.detail if message is None else translations(lang).gettext(message)


def reasons(result: ScanResult, lang: Lang, *, skip: frozenset[str] = frozenset()) -> str:
    """The failed (or, when none failed, pending) checks in words, each once, with the events concerned (bar the
    codes in ``skip``): each by its place in the story and its Event Hash ID's short form (``2 [3f9a1c2b7d0e]``),
    the name the audit gives it too."""
    t = translations(lang)
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
            said = t.gettext("{reason} (event {events})").format(reason=said, events=shown)  # noqa: PLW2901
        parts.append(said)
    return str(t.pgettext("between the reasons of a verdict", "; ")).join(parts)


def _time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _biz_step(step: str | None, lang: Lang) -> str:
    """A business step in the domain's words (:func:`supplychain.vocabulary.step`), else its bare name."""
    if step is None:
        return "–"
    words = vocabulary.step(step)
    return translations(lang).gettext(words) if words else step.rsplit("BizStep-", 1)[-1].rsplit(":", 1)[-1]


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


def _standing(lang: Lang, recognition: str, in_force_now: bool | None) -> str:
    """A recognition, and whether it is still in force today (when that is known)."""
    _ = translations(lang).gettext
    if in_force_now is None:
        return recognition
    said = _("{recognition} still in force") if in_force_now else _("{recognition} no longer in force")
    return said.format(recognition=recognition)


def _event_lines(result: ScanResult, event: EventVerdict, lang: Lang, place: int) -> list[str]:
    _ = translations(lang).gettext
    checks = {c.name: c for c in event.checks}
    envelope = result.source.bundle.events[event.index].envelope
    when = "–" if event.event_time is None else event.event_time.isoformat()
    head = " · ".join(
        escape(v) for v in (_event_type(envelope), _biz_step(event.biz_step, lang), when, event.organisation_id or "–")
    )
    lines = [f"[bold]{place}.[/] {head}"]
    marks = []
    for label, names in (
        (_("content intact"), ("event", "event_hash")),
        (_("signature"), ("signature",)),
        (_("key valid"), ("key",)),
        (translations(lang).pgettext("check", "organisation"), ("organisation", "role", "owner")),
    ):
        if any(n in checks for n in names):
            marks.append(f"{_MARKS[_combined(checks, *names)]} {label}")
    anchored = _combined(checks, "proof", "anchor", "chronology")
    seen = result.anchors.get(event.index)
    if anchored is True and seen is not None:
        where = _("anchored in block {block} at {time}").format(block=seen.block_number, time=_time(seen.timestamp))
        marks.append(f"{_MARKS[True]} {where}")
    elif "chain" not in checks and "registry" not in checks:
        marks.append(_MARKS[anchored] + " " + _("anchored"))
    if marks:
        lines.append("   " + "  ".join(marks))
    if event.green is not None:
        if event.green.recognitions:
            shown = []
            for r in event.green.recognitions:
                kind, level = _(vocabulary.KINDS[r.kind]), _(vocabulary.LEVELS[r.level])
                item = _("{kind} ({level}) #{id}").format(kind=kind, level=level, id=r.recognition_id)
                shown.append(escape(_standing(lang, item, r.in_force_now)))
            listed = str(translations(lang).pgettext("between the items of a list", ", ")).join(shown)
            lines.append("   " + _("green recognitions in force then: {recognitions}").format(recognitions=listed))
        else:
            lines.append("   [dim]" + _("no green recognition in force then") + "[/]")
    for check in event.checks:
        if check.passed is not True:
            style = "red" if check.passed is False else "yellow"
            reason, detail = escape(_reason(lang, check)), escape(check.detail)
            lines.append(f"   [{style}]{_MARKS[check.passed]} {reason}[/] [dim]— {detail}[/]")
    return lines


def _master_data_lines(master: MasterDataVerdict, lang: Lang) -> list[str]:
    """The product's name as its owner signed it, whose signature it carries, and its checks."""
    _ = translations(lang).gettext
    said = _("{name} — signed by {org} (the owner's product master data, version {version})").format(
        name=master.name(lang) or "–", org=master.organisation_id or "–", version=master.version or "–"
    )
    label = _("Product name")
    lines = [f"[bold]{label}[/]  {_MARKS[_status_mark(master.status)]} {escape(said)}"]
    if master.recognition is not None:
        item = _("green design product recognition #{id}").format(id=master.recognition)
        lines.append("   " + escape(_standing(lang, item, master.recognition_in_force_now)))
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
    words = translations(lang)
    _ = words.gettext
    verdict = result.verdict
    if not verdict.summarised and not verdict.summarised_counts:
        return []
    lines = ["\n[bold]" + _("Events left out") + "[/]"]
    for reason, count in sorted(verdict.summarised_counts.items()):
        lines.append("[yellow]! [/]" + escape(summarised_count(lang, reason, count)))
    if verdict.summarised:
        checked = _(
            "Only the signature, key and on-chain proof of these references were checked; their type, time and"
            " count are what the platform says"
        )
        lines.append(f"[dim]{escape(checked)}[/]")
    for r in verdict.summarised:
        checks = {c.name: c for c in r.checks}
        marks = [_MARKS[_combined(checks, "signature", "key")] + " " + _("signature")]
        marks.append(_MARKS[_combined(checks, "proof", "anchor")] + " " + _("anchored"))
        head = words.ngettext(
            "{type} · {step} · {time} (as the platform says) · {org} · {count} identifier",
            "{type} · {step} · {time} (as the platform says) · {org} · {count} identifiers",
            r.identifier_count,
        ).format(
            type=r.event_type,
            step=_biz_step(r.biz_step, lang),
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
        more = _("{count} more not listed").format(count=unlisted)
        lines.append(f"[dim]{escape(more)}[/]")
    return lines


def summarised_count(lang: Lang, reason: str, count: int) -> str:
    """How many events the bundle only references for ``reason`` (:data:`supplychain.verify.SUMMARY_REASONS`),
    and what that means."""
    words = translations(lang)
    if reason == "outside_custody":
        said = words.ngettext(
            "{count} event by an organisation outside this product's chain of custody: not part of its record, not"
            " in the verification above",
            "{count} events by organisations outside this product's chain of custody: not part of its record, not"
            " in the verification above",
            count,
        )
    elif reason == "too_many_identifiers":
        said = words.ngettext(
            "{count} event lists too many identifiers and is only referenced: its content was not checked",
            "{count} events list too many identifiers and are only referenced: their content was not checked",
            count,
        )
    else:  # a reason of a later core: shown by its name
        said = words.ngettext(
            "{count} event only referenced ({reason})", "{count} events only referenced ({reason})", count
        )
    return said.format(count=count, reason=reason)


def _headline(result: ScanResult, lang: Lang) -> tuple[str, str, str]:
    """The verdict's mark, style and sentence: an unpinned registry says "not verified" whatever else passed."""
    words = translations(lang)
    _ = words.gettext
    verdict = result.verdict
    status = verdict.status
    mark, style = _STATUS_STYLE[status]
    if status is VerdictStatus.VERIFIED:
        count = len(verdict.events)
        said = words.ngettext(
            "Verified: the content, signature, key, organisation and on-chain proof of its {count} event agree with"
            " the chain",
            "Verified: the content, signature, key, organisation and on-chain proof of all {count} events agree with"
            " the chain",
            count,
        )
        return mark, style, said.format(count=count)
    if status is VerdictStatus.INCOMPLETE and any(c.code == _UNPINNED for c in verdict.checks):
        rest = reasons(result, lang, skip=frozenset({_UNPINNED}))
        rest = rest or _("every other check agrees with the registry the bundle names")
        said = _("NOT VERIFIED: no trusted registry was pinned, so a forged registry cannot be ruled out; {reasons}")
        return "!", "bold red", said.format(reasons=rest)
    if status is VerdictStatus.INCOMPLETE and _GAPS.intersection(verdict.pending):
        said = _("Not fully verified: {reasons} (the story has gaps: an event may have been left out)")
        return mark, style, said.format(reasons=reasons(result, lang))
    if status is VerdictStatus.INCOMPLETE:
        said = _("Not fully verified yet: {reasons} (what was checked holds; the rest is not checked yet)")
        return mark, style, said.format(reasons=reasons(result, lang))
    return mark, style, _("FAILED: {reasons}").format(reasons=reasons(result, lang))


def print_report(result: ScanResult, lang: Lang, console: Console) -> None:
    """Print the readable report of ``result`` in ``lang``."""
    _ = translations(lang).gettext
    verdict = result.verdict
    mark, style, headline = _headline(result, lang)
    out = console.print
    out(f"[{style}]{mark} {escape(headline)}[/]", soft_wrap=True)
    for notice in result.notices:
        notice_style = "bold red" if notice.code == "recalled" else "yellow"
        warning = _("Warning: {message}").format(message=notice.message(lang))
        out(f"[{notice_style}]! {escape(warning)}[/]", soft_wrap=True)
    trusts = _("Trusting only the chain: chain {chain_id}, registry {registry} ({rpc})")
    out(
        "[dim]" + escape(trusts.format(chain_id=result.chain_id, registry=result.registry, rpc=result.rpc)) + "[/]",
        soft_wrap=True,
    )
    source = result.source
    rows = [
        (_("Product"), verdict.product),
        (_("Source"), _(_SOURCES[source.kind]).format(input=source.input, uri=source.uri)),
        (
            _("Chain"),
            _("{rpc} · chain {chain_id} · latest block {block}").format(
                rpc=result.rpc, chain_id=result.chain_id, block=result.latest_block
            ),
        ),
        (_("Registry"), result.registry),
    ]
    for label, value in rows:
        out(f"[bold]{label}[/]  {escape(value)}", soft_wrap=True)
    if verdict.master_data is not None:
        for line in _master_data_lines(verdict.master_data, lang):
            out(line, soft_wrap=True)
    for check in verdict.checks:
        if check.passed is not True:
            style = "red" if check.passed is False else "yellow"
            reason = escape(_reason(lang, check))
            out(f"[{style}]{_MARKS[check.passed]} {reason}[/] [dim]— {escape(check.detail)}[/]", soft_wrap=True)
    if verdict.events:
        events = _("Events ({count})").format(count=len(verdict.events))
        out(f"\n[bold]{events}[/]")
    places = story_places(verdict)
    for event in story_order(verdict):
        for line in _event_lines(result, event, lang, places[event.index]):
            out(line, soft_wrap=True)
    for line in _summarised_lines(result, lang):
        out(line, soft_wrap=True)
    t = result.timings
    timing = _("Time: fetch {source_ms} ms, chain {chain_ms} ms, verification {verify_ms} ms").format(
        source_ms=f"{t.source_ms:.0f}", chain_ms=f"{t.chain_ms:.0f}", verify_ms=f"{t.verify_ms:.0f}"
    )
    out(f"\n[dim]{timing}[/]", soft_wrap=True)


def render_json(result: ScanResult) -> str:
    """The JSON report (see :meth:`scanner.scan.ScanResult.to_json`)."""
    return json.dumps(result.to_json(), ensure_ascii=False, indent=2)


def error_json(error: ScannerInputError) -> str:
    """``{"status": "unusable", "error": {"code", "message", "params"}}``."""
    return json.dumps({"status": "unusable", "error": error.to_json()}, ensure_ascii=False, indent=2)


def print_error(error: ScannerInputError, lang: Lang, console: Console) -> None:
    """``错误：…`` / ``error: …`` on the error console (what comes before the message in bold red)."""
    lead, _, tail = translations(lang).gettext("error: {message}").partition("{message}")
    console.print(f"[bold red]{escape(lead)}[/]{escape(error.message(lang))}{escape(tail)}", soft_wrap=True)
