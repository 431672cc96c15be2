"""The consumer pages as a browser gets them: the product page, its refusals (never issued, recalled, invalid) and
the scan page, with the HTTP responses the resolver sends (headers, the scan stored after the page is sent).

The facts come from :mod:`backend.services.product_page` (which knows nothing of HTML; the import goes one way, from
here to there). This module turns them into view models (frozen dataclasses of plain text, numbers, times and the
supply tree's coordinates) and renders those with the templates ``product.html``, ``refusal.html`` and ``scan.html``
of ``backend/pages/templates`` (:mod:`backend.pages.templating`: autoescape, bidi controls shown as ``\\u202E``, the
one layout and stylesheet). zh-CN first, English with ``?lang=en``.

Words: the templates hold the fixed words; the words that depend on data (a business step, a recognition, an
organisation's name, a check that failed, the supply tree's labels, which must be measured to fit) are chosen and
translated here, from the same catalogue (:func:`supplychain.i18n.translations`) and the vocabulary of
:mod:`supplychain.vocabulary`. The product page has no script; the scan page loads only files the platform serves
itself.
"""

from __future__ import annotations

import dataclasses
import logging
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from functools import cache
from typing import Any, Final
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col
from starlette.background import BackgroundTask

from backend.core.errors import ProblemError
from backend.models import IssuedCode
from backend.pages.filters import when
from backend.pages.templating import render
from backend.services.custody import (
    MAX_EVENT_IDENTIFIERS,
    MAX_LISTED_SUMMARIES,
    OUTSIDE_CUSTODY,
    TOO_MANY_IDENTIFIERS,
    counts_of,
)
from backend.services.damage import met_in
from backend.services.issuance import REGULATOR
from backend.services.platform import Platform, now_ms
from backend.services.product_page import (
    AnchorDepth,
    OrgLabel,
    ProductFacts,
    ResolvedCode,
    block_origin_of,
    count_scans,
    org_label,
    origin_of,
    page_lang,
    product_facts,
    registry_state,
    scan_salt,
    store_scan,
)
from backend.services.scans import Checked, ScanStats
from supplychain.green import covers, location_of
from supplychain.i18n import Lang, translations
from supplychain.registry import Grade, RecognitionState, RecognitionStatus
from supplychain.trace import IdentifierKind, TraceNode, gtin_of, identifier_kind
from supplychain.verify import EventVerdict, VerdictStatus
from supplychain.vocabulary import CHECKS, KINDS, LEVELS, REASONS, STAGES, STATUSES, UNITS, step

__all__ = [
    "CSP_PAGE",
    "ProductView",
    "item_label",
    "product_page_response",
    "product_view",
    "refusal_page_response",
    "render_product_page",
    "render_refusal_page",
    "render_scan_page",
    "share_percent",
]

CSP_PAGE: Final = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)
"""The product page runs no script at all."""

log = logging.getLogger(__name__)
_MAX_TREE_ROWS: Final = 60
_SIGNATURE_CHECKS: Final = frozenset(
    {"envelope", "event", "event_hash", "signature", "key", "organisation", "role", "clock"}
)
_ANCHOR_CHECKS: Final = frozenset({"proof", "anchor", "chronology"})

Words = Callable[[str], str]


@cache
def _words(lang: Lang) -> Words:
    """The catalogue's ``gettext`` of ``lang`` (a message without values; ``%`` them after)."""
    return translations(lang).gettext


@cache
def _context_words(lang: Lang) -> Callable[[str, str], str]:
    catalogue = translations(lang)
    return lambda context, message: str(catalogue.pgettext(context, message))


# --- values ---


def share_percent(value: Fraction | None) -> str | None:
    """A share as a percentage with at most one decimal (``None`` stays ``None``)."""
    if value is None:
        return None
    tenths = round(value * 1000)
    return f"{tenths // 10}%" if tenths % 10 == 0 else f"{tenths / 10:.1f}%"


def _number(value: float | Fraction | None) -> str:
    if value is None:
        return "?"
    if isinstance(value, Fraction) and value.denominator != 1:
        return f"{float(value):.4g}"
    return f"{float(value):g}" if not float(value).is_integer() else str(int(value))


def _unit(uom: str | None, lang: Lang) -> str:
    word = UNITS.get(uom)
    return _words(lang)(word) if word else (uom or "")


def _org_text(orgs: Mapping[str, OrgLabel], org_id: str | None, lang: Lang) -> str:
    """An organisation's name, else its id with what the id is."""
    _ = _words(lang)
    if not org_id:
        return _("Maker unknown")
    label = orgs.get(org_id)
    name = label.name(lang) if label is not None else None
    if name:
        return name
    if len(org_id) == 18:
        return _("Unified social credit code %(id)s") % {"id": org_id}
    return f"GLN {org_id}"


def _gln_of(location: str | None) -> str | None:
    if location and location.startswith("https://id.gs1.org/414/"):
        return location.removeprefix("https://id.gs1.org/414/").split("/", 1)[0]
    return None


def _place_text(facts: ProductFacts, location: str | None) -> str:
    """A place: the organisation whose GLN it is, the recognised facility it is, else its GLN or URI."""
    lang = facts.lang
    if location is None:
        return "—"
    gln = _gln_of(location)
    if gln is None:
        return location
    if gln in facts.orgs and facts.orgs[gln].name(lang):
        return _org_text(facts.orgs, gln, lang)
    holder = facts.facilities.get(gln)
    if holder is not None:
        return _words(lang)("%(org)s · site (GLN %(gln)s)") % {"org": _org_text(facts.orgs, holder, lang), "gln": gln}
    return f"GLN {gln}"


def item_label(node: str, lang: Lang, name: str | None = None) -> str:
    """A trace node for people: ``商品 06923456000209 · 批次 XC-1`` / ``GTIN ... · lot XC-1``, a serial, a unit."""
    _, pgettext = _words(lang), _context_words(lang)
    kind = identifier_kind(node)
    gtin = gtin_of(node)
    what = name or (pgettext("item", "GTIN %(gtin)s") % {"gtin": gtin} if gtin else None)
    if kind is IdentifierKind.LOT:
        lot = unquote(node.rsplit("/10/", 1)[-1])  # a node escapes what a URI must (2026%2F11: lot 2026/11)
        return _("%(item)s · lot %(lot)s") % {"item": what, "lot": lot}
    if kind is IdentifierKind.SERIAL:
        serial = unquote(node.rsplit("/21/", 1)[-1])
        return _("%(item)s · serial %(serial)s") % {"item": what, "serial": serial}
    if kind is IdentifierKind.CLASS:
        return str(what)
    if kind is IdentifierKind.CONTAINER:
        return _("logistic unit %(sscc)s") % {"sscc": node.rsplit("/00/", 1)[-1]}
    return node


def _step_text(biz_step: str | None, lang: Lang) -> str:
    if biz_step is None:
        return "—"
    word = step(biz_step)
    return _words(lang)(word) if word else biz_step


def _recognition_text(r: RecognitionState, lang: Lang) -> str:
    _ = _words(lang)
    terms = r.terms
    level = LEVELS.get(terms.level)
    grade = f" {terms.grade.name.replace('_PLUS', '+')}" if terms.grade is not Grade.NONE else ""
    return _("%(kind)s (%(level)s%(grade)s)") % {
        "kind": _(KINDS[terms.kind]),
        "level": _(level) if level else "?",
        "grade": grade,
    }


def _failure_words(codes: Iterable[str | None], lang: Lang) -> str:
    _ = _words(lang)
    words = [_(CHECKS[c]) if c in CHECKS else str(c) for c in codes]
    return _context_words(lang)("list", "; ").join(dict.fromkeys(words))


def _checked_by(checked: Checked, lang: Lang) -> str:
    _ = _words(lang)
    return _("The regulator") if checked.by == REGULATOR else _("The organisation that issued it")


def _count(scans: ScanStats) -> str:
    return f"{scans.scans}+" if scans.capped else str(scans.scans)


# --- view models ---


@dataclass(frozen=True, slots=True)
class RecallView:
    """The recall banner: why, when (ms), by whom (``None``: the regulator)."""

    reason: str
    at: int
    by: str | None


@dataclass(frozen=True, slots=True)
class VerdictView:
    """The verdict banner.

    Attributes:
        kind: ``none`` (no trace), ``chain`` (unreachable), ``verified``, ``pending``, ``failed``.
        style: ``ok``, ``warn``, ``bad`` or ``none`` (the banner's colour).
        status: Its ``data-status``: the verdict's status, else the style.
        records: Events checked; organisations: who signed them; waiting: events not anchored yet.
        problems: What failed (or is unproven), in words.
        stale_minutes: How old the chain data is, when older than two minutes.
        truncated: The event bound cut the walk short.
        depth: How deep the anchors are ("anchored, N confirmations" or "final"), when any event is anchored.
    """

    kind: str
    style: str
    status: str
    records: int = 0
    organisations: int = 0
    waiting: int = 0
    problems: str = ""
    stale_minutes: int | None = None
    truncated: bool = False
    depth: AnchorDepth | None = None


@dataclass(frozen=True, slots=True)
class ClonedView:
    """The copied-code banner: confirmed by someone (``who``, ``at`` ms) or spread over many address blocks."""

    confirmed: bool
    who: str = ""
    at: int | None = None
    days: int = 0
    active: int = 0
    blocks: int = 0
    scans: str = ""
    places: int = 0
    first_at: int | None = None


@dataclass(frozen=True, slots=True)
class LapseView:
    """A supplier's recognition that changed: before (``before``) or after (``after``) it supplied the input."""

    lapsed: str
    supplier: str
    kind: str
    level: str
    since: str
    status: str
    reason: str
    item: str


@dataclass(frozen=True, slots=True)
class DamagedView:
    """A stored record that does not read: table, key, column."""

    table: str
    key: str
    column: str


@dataclass(frozen=True, slots=True)
class ScanRule:
    """The copied-code hint's rule, with its thresholds."""

    days: int
    blocks: int
    per_day: int
    min_days: int


@dataclass(frozen=True, slots=True)
class AuthenticityView:
    """The anti-counterfeit card: who issued the code and when (ms), how it was looked up."""

    issued_by: str
    issued_at: int
    scans: ScanStats | None
    count: str
    first_now: bool
    lot_code: bool
    cleared_by: str | None
    cleared_at: int | None
    rule: ScanRule | None


@dataclass(frozen=True, slots=True)
class StepView:
    """A step of the journey."""

    stage: str
    stage_text: str
    biz_step: str
    step: str
    at: datetime
    by: str
    place: str
    via: str | None


@dataclass(frozen=True, slots=True)
class Badge:
    """A recognition badge of the supply tree, placed: ``state`` ``ok`` | ``lapsed`` | ``no``."""

    text: str
    state: str
    x: int
    y: int
    width: int


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A row of the supply tree, placed: marker, title and subtitle, badges, the line to its parent (SVG path)."""

    kind: str
    state: str
    title: str
    subtitle: str
    x: int
    y: int
    marker_y: int
    badges: tuple[Badge, ...]
    joint: str | None


@dataclass(frozen=True, slots=True)
class SupplyTree:
    """The upstream tree as the template draws it (an inline SVG)."""

    width: int
    height: int
    nodes: tuple[TreeNode, ...]


@dataclass(frozen=True, slots=True)
class GreenView:
    """The green share: ``None`` fields when it cannot be computed (``reachable``: the chain could be read)."""

    reachable: bool
    percent: str | None = None
    width: float = 0.0
    green: str = ""
    total: str = ""
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Chip:
    """A check's outcome: ``style`` ``ok`` | ``bad`` | ``warn`` | ``none``."""

    style: str
    text: str


@dataclass(frozen=True, slots=True)
class CheckedStep:
    """An event of the verification, with its chips (``step`` ``None``: an unreadable record)."""

    status: str
    hash_id: str
    step: str | None
    by: str
    at: datetime | None
    chips: tuple[Chip, ...]


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An event left out of the trace, with its signer, what it is and its check."""

    reason: str
    by: str
    step: str
    at: int
    identifiers: str
    digest: str
    chip: Chip | None


@dataclass(frozen=True, slots=True)
class SummarisedView:
    """The events left out: how many by reason, the first listed, how many more."""

    outside: int
    too_big: int
    limit: str
    items: tuple[LeftOut, ...]
    more: int


@dataclass(frozen=True)
class ProductView:
    """Everything the product page shows, as the template ``product.html`` presents it."""

    name: str
    gtin: str
    lot: str | None
    serial: str | None
    recalled: bool
    product_name: str | None
    name_note: str
    made_at: datetime | None
    maker: str
    signed_by: str | None
    signed_version: int | None
    recall: RecallView | None
    verdict: VerdictView
    cloned: ClonedView | None
    lapses: tuple[LapseView, ...]
    damaged: tuple[DamagedView, ...]
    damaged_count: int
    authenticity: AuthenticityView
    journey: tuple[StepView, ...]
    tree: SupplyTree | None
    tree_rows: int
    tree_left_out: int
    green: GreenView | None
    verification: tuple[CheckedStep, ...] | None
    summarised: SummarisedView | None
    bundle_href: str | None
    bundle_name: str
    command: str
    chain_id: int | None
    registry: str | None
    trace_href: str | None
    links_href: str
    uri: str


def _recall(facts: ProductFacts) -> RecallView | None:
    recall = facts.code.recall
    if recall is None:
        return None
    by = None if recall.org_id == "regulator" else _org_text(facts.orgs, recall.org_id, facts.lang)
    return RecallView(recall.reason, recall.recalled_at, by)


def _verdict(facts: ProductFacts) -> VerdictView:
    view = _verdict_of(facts)
    return dataclasses.replace(view, depth=facts.anchor_depth) if view.kind in ("verified", "pending") else view


def _verdict_of(facts: ProductFacts) -> VerdictView:
    lang, verdict = facts.lang, facts.verdict
    stale = int(facts.registry.age // 60) if facts.registry is not None and facts.registry.age > 120 else None
    truncated = bool(facts.trace and facts.trace.truncated)
    if facts.trace is None:
        return VerdictView("none", "none", "none", stale_minutes=stale, truncated=truncated)
    if verdict is None:
        return VerdictView("chain", "warn", "warn", stale_minutes=stale, truncated=truncated)
    status = verdict.status.value
    if verdict.status is VerdictStatus.VERIFIED:
        orgs = len({e.organisation_id for e in verdict.events})
        return VerdictView("verified", "ok", status, len(verdict.events), orgs, 0, "", stale, truncated)
    if verdict.status is VerdictStatus.INCOMPLETE:
        waiting = sum(1 for e in verdict.events if any(c.code == "not_anchored" for c in e.checks))
        unproven = (
            "" if waiting else _failure_words((c.code or c.name for c in verdict.checks if c.passed is None), lang)
        )
        return VerdictView(
            "pending", "warn", status, waiting=waiting, problems=unproven, stale_minutes=stale, truncated=truncated
        )
    problems = _failure_words(verdict.failures, lang)
    return VerdictView("failed", "bad", status, problems=problems, stale_minutes=stale, truncated=truncated)


def _cloned(facts: ProductFacts) -> ClonedView | None:
    scans, lang = facts.scans, facts.lang
    if scans is None or not scans.suspicious:
        return None
    if scans.confirmed and scans.checked is not None:
        return ClonedView(True, who=_checked_by(scans.checked, lang), at=scans.checked.at)
    return ClonedView(
        False,
        days=scans.window_days,
        active=scans.days,
        blocks=scans.blocks,
        scans=_count(scans),
        places=scans.places,
        first_at=scans.first_at,
    )


def _lapses(facts: ProductFacts) -> tuple[LapseView, ...]:
    lang = facts.lang
    _ = _words(lang)
    found = []
    for n in facts.notices:
        terms = n.recognition.terms
        level, reason = LEVELS.get(terms.level), REASONS.get(n.change.reason)  # type: ignore[call-overload]
        found.append(
            LapseView(
                lapsed=n.lapsed,
                supplier=_org_text(facts.orgs, n.supplier, lang),
                kind=_(KINDS[terms.kind]),
                level=_(level) if level else "?",
                since=when(n.change.timestamp)[:10],
                status=_(STATUSES[n.change.status]),
                reason=_(reason) if reason else str(n.change.reason),
                item=item_label(n.input, lang),
            )
        )
    return tuple(found)


def _authenticity(facts: ProductFacts) -> AuthenticityView:
    lang, code, scans = facts.lang, facts.code, facts.scans
    cleared = scans is not None and scans.cleared and scans.checked is not None
    checked = scans.checked if scans is not None and cleared else None
    rule = None
    if scans is not None and scans.serial:
        rule = ScanRule(scans.window_days, scans.warn_blocks, scans.day_blocks, scans.min_days)
    return AuthenticityView(
        issued_by=_org_text(facts.orgs, code.row.org_id, lang),
        issued_at=code.row.created_at,
        scans=scans,
        count=_count(scans) if scans is not None else "",
        first_now=bool(scans is not None and scans.alone),
        lot_code=bool(scans is not None and not scans.serial),
        cleared_by=_checked_by(checked, lang) if checked is not None else None,
        cleared_at=checked.at if checked is not None else None,
        rule=rule,
    )


def _journey(facts: ProductFacts) -> tuple[StepView, ...]:
    lang = facts.lang
    _ = _words(lang)
    steps = facts.trace.journey.steps if facts.trace else ()
    return tuple(
        StepView(
            stage=s.stage.value,
            stage_text=_(STAGES[s.stage]),
            biz_step=s.biz_step or "",
            step=_step_text(s.biz_step, lang),
            at=s.event_time,
            by=_org_text(facts.orgs, s.organisation_id, lang),
            place=_place_text(facts, s.location),
            via=_("inside logistic unit %(id)s") % {"id": item_label(s.via, lang)} if s.via else None,
        )
        for s in steps
    )


# --- the supply tree: its rows, then their places ---


@dataclass(frozen=True, slots=True)
class _Row:
    depth: int
    title: str
    subtitle: str
    badges: tuple[tuple[str, str], ...]  # (text, state)
    state: str  # product | green | not_green | rolled_up | unknown | container | other
    kind: str


def _width(text: str, size: float) -> float:
    """A rough rendered width: CJK and full-width characters are square, the rest about half as wide."""
    return sum(size if ord(ch) > 0x2E7F else size * 0.55 for ch in text)


def _fit(text: str, size: float, room: float) -> str:
    if _width(text, size) <= room:
        return text
    while text and _width(text + "…", size) > room:
        text = text[:-1]
    return text + "…"


def _layout(rows: Sequence[_Row], *, width: int = 360) -> SupplyTree:
    """Where each row goes: indented by depth, its badges wrapped, joined to its parent; texts fitted."""
    indent, pad = 16, 6
    nodes: list[TreeNode] = []
    y: float = pad
    stack: list[tuple[int, float]] = []  # (depth, marker y) of the open ancestors
    for row in rows:
        x = pad + row.depth * indent
        marker_y = y + 9
        while stack and stack[-1][0] >= row.depth:
            stack.pop()
        joint = None
        if stack:
            px = pad + stack[-1][0] * indent + 6
            joint = f"M{px} {stack[-1][1] + 6:.0f}V{marker_y:.0f}H{x + 1}"
        stack.append((row.depth, marker_y))
        room = width - x - 20
        badges: list[Badge] = []
        bx, by = x + 16.0, y + 36.0
        for text, state in row.badges:
            label = _fit(text, 10, room)
            w = _width(label, 10) + 12
            if bx + w > width - 2 and bx > x + 16:
                bx, by = x + 16.0, by + 19
            badges.append(Badge(label, state, round(bx), round(by), round(w)))
            bx += w + 5
        nodes.append(
            TreeNode(
                kind=row.kind,
                state=row.state,
                title=_fit(row.title, 12.5, room),
                subtitle=_fit(row.subtitle, 11, room),
                x=x,
                y=round(y),
                marker_y=round(marker_y),
                badges=tuple(badges),
                joint=joint,
            )
        )
        y = ((by + 19) if row.badges else (y + 36)) + 6
    return SupplyTree(width, round(max(y, 20)), tuple(nodes))


def _badges(facts: ProductFacts, node: TraceNode, maker: str | None, at: int | None) -> tuple[tuple[str, str], ...]:
    """The maker's recognitions covering the node, as they stood at ``at`` (issued by then), and now."""
    registry = facts.registry
    if registry is None or maker is None or at is None or facts.trace is None:
        return ()
    lang = facts.lang
    _ = _words(lang)
    origin = next((o for o in node.origins if o.how != "packed"), None)
    where = location_of(facts.trace.index, origin) if origin is not None else None
    out = []
    for r in registry.mirror.recognitions_of(maker):
        if r.issued_at > at or not covers(r, node.identifier, where):
            continue
        text = _recognition_text(r, lang)
        if r.in_force_at(at):
            if r.status is RecognitionStatus.ACTIVE:  # never suspended or revoked since (expiry is no lapse)
                out.append((f"{text} ✓", "ok"))
            else:
                now = _(STATUSES[r.status])
                out.append((_("%(recognition)s ✓ now %(status)s") % {"recognition": text, "status": now}, "lapsed"))
        else:
            then = r.status_at(at)
            if then is not None and then is not RecognitionStatus.ACTIVE:
                status = _(STATUSES[then])
            elif at < r.terms.valid_from:
                status = _("not yet valid")
            else:
                status = _("expired")
            out.append((f"{text} ✗ {status}", "no"))
    return tuple(out)


def _row_time_and_state(facts: ProductFacts, n: TraceNode) -> tuple[int | None, str]:
    """When the node's maker supplied it (else made it), and how it counts in the green share."""
    share = facts.inputs.get(n.identifier)
    at: int | None = None
    if share is not None and share.supplied_at is not None:
        at = share.supplied_at
    else:
        made = next((o for o in n.origins if o.how != "packed"), None)
        at = int(made.event_time.timestamp()) if made is not None else None
    if n.depth == 0:
        state = "product"
    elif n.kind is IdentifierKind.CONTAINER:
        state = "container"
    elif share is not None:
        state = {"green": "green", "not_green": "not_green", "rolled_up": "rolled_up"}.get(share.status, "unknown")
    else:
        state = "other" if n.makers else "unknown"
    return at, state


def _tree_rows(facts: ProductFacts) -> tuple[list[_Row], int]:
    """The tree's rows (at most :data:`_MAX_TREE_ROWS`) and how many were left out."""
    trace, lang = facts.trace, facts.lang
    if trace is None:
        return [], 0
    _ = _words(lang)
    rows: list[_Row] = []
    nodes = list(trace.backward.nodes())
    for n in nodes[:_MAX_TREE_ROWS]:
        title = item_label(n.identifier, lang, facts.names.get(n.identifier))
        title += _("(as above)") if n.repeated else _("(cycle)") if n.cycle else ""
        at, state = _row_time_and_state(facts, n)
        subtitle = ", ".join(_org_text(facts.orgs, m, lang) for m in n.makers) or _("Maker unknown")
        if n.depth and n.quantity is not None:
            subtitle = f"{_number(n.quantity)} {_unit(n.uom, lang)} · {subtitle}"
        elif not n.depth:
            subtitle = _("This product") + f" · {subtitle}"
        if at is not None and n.depth:
            subtitle += f" · {when(at)[:10]}"
        maker = n.makers[0] if n.makers else None
        badges = () if n.repeated or n.cycle else _badges(facts, n, maker, at)
        rows.append(_Row(n.depth, title, subtitle, badges, state, n.kind.value))
    return rows, max(len(nodes) - _MAX_TREE_ROWS, 0)


def _green(facts: ProductFacts) -> GreenView | None:
    share = facts.share
    if facts.trace is None:
        return None
    if share is None:
        return GreenView(reachable=False)
    if share.share is None:
        return GreenView(reachable=True)
    return GreenView(
        reachable=True,
        percent=share_percent(share.share) or "0%",
        width=round(float(share.share * 100), 1),
        green=_number(share.green_quantity),
        total=_number(share.total_quantity),
        unit=_unit(share.unit, facts.lang),
    )


def _chips(facts: ProductFacts, e: EventVerdict) -> tuple[Chip, ...]:
    lang = facts.lang
    _ = _words(lang)
    chips: list[Chip] = []
    signature = [c for c in e.checks if c.name in _SIGNATURE_CHECKS]
    bad = [c for c in signature if c.passed is False]
    if bad:
        chips.append(Chip("bad", _failure_words((c.code or c.name for c in bad), lang)))
    elif signature:
        chips.append(Chip("ok", _("Signature valid")))
    anchoring = [c for c in e.checks if c.name in _ANCHOR_CHECKS]
    bad = [c for c in anchoring if c.passed is False]
    if bad:
        chips.append(Chip("bad", _failure_words((c.code or c.name for c in bad), lang)))
    elif any(c.passed is None for c in anchoring):
        chips.append(Chip("warn", _("Waiting to be anchored")))
    elif anchoring and facts.trace is not None and facts.trace.bundle is not None:
        claim = facts.trace.bundle.events[e.index].anchor
        if claim is not None:
            anchored = _("Anchored in block #%(block)s at %(time)s")
            chips.append(
                Chip("ok", anchored % {"block": claim.block_number, "time": when(claim.timestamp, seconds=True)})
            )
    foreign = [c for c in e.checks if c.name in ("chain", "registry") and c.passed is False]
    if foreign:
        chips.append(Chip("bad", _failure_words((c.code or c.name for c in foreign), lang)))
    held = e.green.recognitions if e.green is not None else ()
    if held and facts.registry is not None:
        for info in held:
            state = facts.registry.mirror.recognitions.get(info.recognition_id)
            what = _recognition_text(state, lang) if state is not None else info.kind.name
            in_force = _("Recognition in force then: %(what)s") % {"what": what}
            if state is not None and state.status is not RecognitionStatus.ACTIVE:
                chips.append(Chip("warn", in_force + _(" (no longer in force)")))
            else:
                chips.append(Chip("ok", in_force))
    elif e.green is not None:
        chips.append(Chip("none", _("No green recognition")))
    return tuple(chips)


def _verification(facts: ProductFacts) -> tuple[CheckedStep, ...] | None:
    lang, verdict = facts.lang, facts.verdict
    if verdict is None:
        return None
    ordered = sorted(
        verdict.events, key=lambda e: (e.event_time is None, e.event_time or datetime.min.replace(tzinfo=UTC))
    )
    return tuple(
        CheckedStep(
            status=e.status.value,
            hash_id=e.hash_id or "",
            step=_step_text(e.biz_step, lang) if e.event_time is not None else None,
            by=_org_text(facts.orgs, e.organisation_id, lang),
            at=e.event_time,
            chips=_chips(facts, e),
        )
        for e in ordered
    )


def _summarised(facts: ProductFacts) -> SummarisedView | None:
    """The events left out (outside the chain of custody, or naming too many identifiers): counted by reason, the
    first listed with their signer, what the platform says of them and a link to each; their checks when verified."""
    trace, lang = facts.trace, facts.lang
    if trace is None or not trace.summaries:
        return None
    _ = _words(lang)
    counts = counts_of(trace.summaries)
    checked = {r.hash_id: r for r in facts.verdict.summarised} if facts.verdict is not None else {}
    items = []
    for s in trace.summaries[:MAX_LISTED_SUMMARIES]:
        r = s.row
        chip = None
        verdict = checked.get(r.hash_id)
        if verdict is not None:
            bad = [c.code or c.name for c in verdict.checks if c.passed is False]
            waiting = any(c.passed is None for c in verdict.checks)
            chip = Chip("bad", _failure_words(bad, lang)) if bad else Chip("ok", _("Signature and anchor valid"))
            chip = Chip("warn", _("Waiting to be anchored")) if waiting and not bad else chip
        items.append(
            LeftOut(
                reason=s.reason,
                by=_org_text(facts.orgs, r.org_id, lang),
                step=_step_text(r.biz_step, lang),
                at=r.event_time,
                identifiers=f"{r.identifier_count:,}",
                digest=r.hash_id.split(";", 1)[-1][:64],
                chip=chip,
            )
        )
    return SummarisedView(
        outside=counts.get(OUTSIDE_CUSTODY, 0),
        too_big=counts.get(TOO_MANY_IDENTIFIERS, 0),
        limit=f"{MAX_EVENT_IDENTIFIERS:,}",
        items=tuple(items),
        more=max(len(trace.summaries) - len(items), 0),
    )


def product_view(facts: ProductFacts) -> ProductView:
    """The view model of the product page of ``facts`` (:func:`backend.services.product_page.product_facts`)."""
    lang, code = facts.lang, facts.code
    _ = _words(lang)
    rows, left_out = _tree_rows(facts)
    if facts.name:
        note = _("The name comes from the product master data its GTIN's owner signed and anchored on chain.")
        note = note if facts.signed_name else _("The name comes from the maker's signed production record.")
    else:
        note = _("The platform does not know this product's name: it is shown by its GTIN.")
    signed = facts.signed_name
    command = f"scanner verify {shlex.quote(code.uri)}"
    if facts.registry is not None:  # the trust anchors pinned: the scanner never takes the registry from the bundle
        command += f" --registry {facts.registry.address} --chain-id {facts.registry.chain_id}"
    journey_id = quote(code.gs1_uri, safe="")
    return ProductView(
        name=facts.name or _("GTIN %(gtin)s") % {"gtin": code.key.gtin},
        gtin=code.key.gtin,
        lot=facts.lot,
        serial=code.key.serial,
        recalled=code.recall is not None,
        product_name=facts.name,
        name_note=note,
        made_at=facts.made_at,
        maker=_org_text(facts.orgs, facts.maker, lang),
        signed_by=_org_text(facts.orgs, signed.org_id, lang) if signed is not None else None,
        signed_version=signed.product.version if signed is not None else None,
        recall=_recall(facts),
        verdict=_verdict(facts),
        cloned=_cloned(facts),
        lapses=_lapses(facts),
        damaged=tuple(DamagedView(d.table, d.key, d.column) for d in facts.damaged[:20]),
        damaged_count=len(facts.damaged),
        authenticity=_authenticity(facts),
        journey=_journey(facts),
        tree=_layout(rows) if rows else None,
        tree_rows=len(rows),
        tree_left_out=left_out,
        green=_green(facts),
        verification=_verification(facts),
        summarised=_summarised(facts),
        bundle_href=f"/bundles?id={journey_id}" if facts.trace is not None else None,
        bundle_name=f"proof-bundle-{code.key.gtin}-{code.key.serial or code.lot or 'all'}.json",
        command=command,
        chain_id=facts.registry.chain_id if facts.registry is not None else None,
        registry=facts.registry.address if facts.registry is not None else None,
        trace_href=f"/trace/journey?id={journey_id}" if facts.trace is not None else None,
        links_href=f"{code.uri}?linkType=all",
        uri=code.uri,
    )


def render_product_page(facts: ProductFacts) -> str:
    """The product page of the facts gathered by :func:`backend.services.product_page.product_facts`."""
    return render("product.html", facts.lang, view=product_view(facts))


# --- refusals ---


@dataclass(frozen=True, slots=True)
class RefusalView:
    """A refused code's page: its status, the link as asked, who issued codes of its GTIN here (404), the problem."""

    status: int
    shown: str
    issuer: str | None
    detail: str
    detail_lang: str | None  # "en" when the detail stayed English on a page in another language (a core's words)


def render_refusal_page(exc: ProblemError, lang: Lang, *, issuer: OrgLabel | None = None, path: str = "") -> str:
    """A never-issued code (404: possible counterfeit, what to do), an invalid link (400), anything else."""
    uri = exc.extra.get("id")
    view = RefusalView(
        status=exc.status,
        shown=uri if isinstance(uri, str) else path,
        issuer=_org_text({issuer.org_id: issuer}, issuer.org_id, lang) if issuer is not None else None,
        detail=(detail := exc.detail_in(lang)),
        detail_lang="en" if lang != "en" and detail == exc.detail else None,
    )
    return render("refusal.html", lang, view=view)


# --- the scan page ---


def render_scan_page(lang: Lang, *, script: str, decoder: str, wasm: str) -> str:
    """The scan page: camera or photo, decoded in the browser by the platform's own copy of the decoder."""
    return render("scan.html", lang, script=script, decoder=decoder, wasm=wasm)


# --- the responses ---


def _page_headers(headers: Mapping[str, str], lang: Lang) -> dict[str, str]:
    return {
        **headers,
        "Content-Language": lang,
        "Content-Security-Policy": CSP_PAGE,
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


def _store_scan_later(platform: Platform, row: Mapping[str, Any]) -> None:
    """Store a scan after the page was sent (a write, and its fsync, are not on the page's path)."""
    try:
        with platform.session() as session:
            store_scan(session, row)
    except SQLAlchemyError:
        log.exception("a scan of GTIN %s could not be stored", row.get("gtin"))


def product_page_response(
    request: Request,
    session: Session,
    platform: Platform,
    code: ResolvedCode,
    headers: Mapping[str, str],
    *,
    status: int = 200,
) -> HTMLResponse:
    """The product page of an issued code (``status`` 410 with the recall banner for a recalled lot); a scan."""
    lang = page_lang(request)
    salt = scan_salt(platform.receipt_key.private_bytes())
    host = request.client.host if request.client else None
    scans, row = count_scans(
        session, code.key, code.lot, origin_of(host, salt), now_ms(), block=block_origin_of(host, salt)
    )
    registry = registry_state(platform)
    now = int(time.time()) + platform.settings.clock_skew_seconds  # the clock tolerance capture allowed
    facts = product_facts(session, code, registry=registry, lang=lang, now=now, scans=scans)
    if damaged := met_in(session):  # backend.services.damage: said on the page, the rest shown
        facts = dataclasses.replace(facts, damaged=damaged)
    return HTMLResponse(
        render_product_page(facts),
        status_code=status,
        headers=_page_headers(headers, lang),
        background=BackgroundTask(_store_scan_later, platform, row) if row is not None else None,
    )


def _issuer_of_gtin(session: Session, gtin: str) -> str | None:
    row = session.execute(select(col(IssuedCode.org_id)).where(col(IssuedCode.gtin) == gtin).limit(1)).first()
    return None if row is None else str(row[0])


def refusal_page_response(
    request: Request,
    session: Session,
    platform: Platform,
    *,
    exc: ProblemError,
    code: ResolvedCode | None,
    headers: Mapping[str, str],
) -> HTMLResponse:
    """The page of a refused code: a recalled lot (410) is its product page under the recall banner; a code never
    issued (404) warns of a possible counterfeit and says what to do; anything else says what is wrong."""
    if exc.status == 410 and code is not None:
        return product_page_response(request, session, platform, code, headers, status=410)
    lang = page_lang(request)
    issuer = None
    uri = exc.extra.get("id")
    if exc.status == 404 and isinstance(uri, str):
        gtin = uri.split("/01/", 1)[-1][:14] if "/01/" in uri else ""
        owner = _issuer_of_gtin(session, gtin) if gtin.isdigit() else None
        if owner is not None:
            registry = registry_state(platform)
            issuer = org_label(registry.mirror if registry is not None else None, owner)
    return HTMLResponse(
        render_refusal_page(exc, lang, issuer=issuer, path=request.url.path),
        status_code=exc.status,
        headers=_page_headers(headers, lang),
    )
