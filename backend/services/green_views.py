"""The green supply-chain leader's view and the authorities' view, over the stored events and the registry mirror.

The rules are pure functions of :mod:`supplychain.green` over a :class:`~supplychain.trace.TraceIndex` and the
:class:`~supplychain.registry.RegistryMirror`; :mod:`backend.services.green_loading` loads the stored events each
view needs (bounded: every answer says when the bound cut it short: ``truncated``), and this module turns the
results into JSON (the pages of :mod:`backend.services.green_pages` are drawn from the same JSON). Times in answers
are RFC 3339 UTC; quantities are numbers, shares also exact fractions (``shareExact``). The lapse notices of a
product (the Digital Link answers) rest on its backward trace (:class:`~backend.services.tracing.SubgraphLoader`).

The answers' words for people are catalogue messages (English; the Chinese of ``levelZh``, ``kindZh``, the rule and
each supplier's ``explanation`` from ``supplychain/locale``), the domain's words from :mod:`supplychain.vocabulary`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

from sqlmodel import Session

from backend.core.errors import P_, NotFoundError
from backend.services.green_loading import EventSet, event_ids, holder_events, organisation_events
from backend.services.platform import Platform
from backend.services.queries import EV, BadParameterError
from backend.services.tracing import SubgraphLoader
from chain.errors import ChainError
from supplychain.errors import Gs1ValueError
from supplychain.green import (
    GREEN_KINDS,
    SAMPLE_ALGORITHM,
    CheckState,
    GreenReport,
    GreenShare,
    InputShare,
    LapseImpact,
    Region,
    SpotCheckStanding,
    Standing,
    SupplierList,
    SupplyRecord,
    change_at,
    draw_sample,
    green_report,
    green_share,
    lapse_impact,
    lapse_notices,
    listed_units,
    maker_of,
    passes_in_a_row,
    qualified_suppliers,
    region_of,
    spot_check_standings,
    standing_at,
)
from supplychain.gs1 import parse_org_id
from supplychain.i18n import N_, translations
from supplychain.registry import Grade, Level, ReasonCode, RecognitionKind, RecognitionState, RegistryMirror
from supplychain.trace import Sighting, identifier_kind, node_id
from supplychain.vocabulary import KINDS, LEVELS

__all__ = [
    "KIND_ZH",
    "LEVEL_ZH",
    "SAMPLE_DESCRIPTION",
    "chain_now",
    "check_organisation",
    "impact_json",
    "iso",
    "product_lapses",
    "recognition_json",
    "recognitions_json",
    "report_json",
    "sample_json",
    "spot_checks_json",
    "suppliers_json",
]


def _zh(message: str) -> str:
    """A message in Chinese, from the catalogue (the JSON answers carry some words in both languages)."""
    return translations("zh-CN").gettext(message)


LEVEL_ZH = {level: _zh(word) for level, word in LEVELS.items()}
"""The Chinese name of each level (``levelZh``), the vocabulary's word from the catalogue."""
KIND_ZH = {kind: _zh(word) for kind, word in KINDS.items()}
"""The Chinese name of each kind (``kindZh``), likewise."""
_GRADES = {Grade.B: "B", Grade.A: "A", Grade.A_PLUS: "A+"}
SAMPLE_DESCRIPTION = (
    "Eligible: every recognition in force at `at` and not exempt from spot checks then (state due or checked), "
    "narrowed by kind, level and region. Rank each eligible recognition by the lowercase hex SHA-256 of the UTF-8 "
    'text "{seed}:{recognitionId}" (the id in decimal); sort ascending (ties by id); the sample is the first '
    "`size`. Anyone can re-derive it: replay the registry's logs up to `at`, take the eligible ids, rank them."
)


# --- the time, organisations ---


def chain_now(platform: Platform) -> int:
    """Now, in seconds: the chain's latest block time when it is ahead of the wall clock (a dev chain may be)."""
    return platform.registry.now()


def iso(t: int | None) -> str | None:
    """Seconds since the epoch as RFC 3339 UTC (``None`` stays ``None``)."""
    return None if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_organisation(session: Session, mirror: RegistryMirror, org_id: str, parameter: str) -> str:
    """A well-formed organisation id the registry or the store knows.

    Raises:
        BadParameterError: Not a GLN or USCC (says why).
        NotFoundError: Neither registered on chain nor the signer of any stored event.
    """
    try:
        parse_org_id(org_id)
    except Gs1ValueError as exc:
        raise BadParameterError(parameter, str(exc)) from None
    if org_id not in mirror.organisations and not event_ids(session, EV.c.org_id == org_id)[:1]:
        raise NotFoundError(
            P_(
                "organisation {organisation} is not registered on chain and signed no stored event", organisation=org_id
            ),
            organisation=org_id,
        )
    return org_id


# --- JSON pieces ---


def _number(value: Fraction | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value.denominator == 1 else round(float(value), 6)


def _share(value: Fraction | None) -> dict[str, Any]:
    return {
        "share": None if value is None else round(float(value), 4),
        "shareExact": None if value is None else f"{value.numerator}/{value.denominator}",
    }


def region_json(region: Region) -> dict[str, Any]:
    """A holder's region."""
    return {
        "division": region.division,
        "province": region.province,
        "nameZh": region.name_zh,
        "nameEn": region.name_en,
    }


def _reason(code: int) -> str:
    try:
        return ReasonCode(code).name.lower()
    except ValueError:
        return f"reason_{code}"


def recognition_json(r: RecognitionState, t: int) -> dict[str, Any]:
    """A recognition as on chain, with its standing at ``t``, status history and spot-check record."""
    terms = r.terms
    standing = standing_at(r, t)
    change = change_at(r, t)
    exempt = next((end for start, end in r.exemptions if start <= t < end), None)
    return {
        "recognitionId": r.recognition_id,
        "holder": terms.holder,
        "holderRegion": region_json(region_of(terms.holder)),
        "kind": terms.kind.name.lower(),
        "kindZh": KIND_ZH[terms.kind],
        "level": terms.level.name.lower(),
        "levelZh": LEVEL_ZH[terms.level],
        "grade": _GRADES.get(terms.grade),
        "scope": terms.scope.name.lower(),
        "subject": terms.subject or None,
        "standard": terms.standard_ref,
        "validFrom": iso(terms.valid_from),
        "validUntil": iso(terms.valid_until),
        "evidenceHash": "0x" + terms.evidence_hash.hex(),
        "issuer": r.issuer,
        "issuedAt": iso(r.issued_at),
        "green": terms.kind in GREEN_KINDS,
        "status": standing.value,
        "statusChangedAt": iso(change.timestamp) if change else None,
        "changes": [
            {"at": iso(c.timestamp), "status": c.status.name.lower(), "reason": _reason(c.reason), "by": c.by}
            for c in r.changes
            if c.timestamp <= t
        ],
        "spotChecks": [
            {"at": iso(c.timestamp), "passed": c.passed, "reportHash": "0x" + c.report_hash.hex()}
            for c in r.spot_checks
            if c.timestamp <= t
        ],
        "passesInARow": passes_in_a_row(r, t),
        "exemptUntil": iso(exempt),
    }


def _supply_json(s: SupplyRecord, cited: Mapping[str, tuple[int | None, str | None]]) -> dict[str, Any]:
    rec, status = cited.get(s.supplied_by, (None, None))
    return {
        "identifier": s.identifier,
        "kind": identifier_kind(s.identifier).value,
        "supplier": s.supplier,
        "quantity": _number(s.quantity),
        "uom": s.uom,
        "takenAt": iso(s.taken_at),
        "suppliedAt": iso(s.supplied_at),
        "basis": s.basis,
        "suppliedBy": s.supplied_by,
        "receivedIn": s.received_in,
        "consumedIn": list(s.consumed_in),
        "green": s.green,
        "recognitions": list(s.recognitions),
        "citedRecognition": None if rec is None else {"recognitionId": rec, "statusAtCapture": status},
    }


def _cited(
    events: EventSet, mirror: RegistryMirror, hash_ids: Iterable[str]
) -> dict[str, tuple[int | None, str | None]]:
    """The recognition each event's signed document cites (``sc:recognition``) and its status at the event time from
    the registry's history: the one derivation the audit makes too (``EventChecker``: the stored ``recognition_id``
    and ``recognition_status`` columns are only compared with it, ``column_mismatch``), so a store edit of those
    columns changes nothing shown here. The events are those the view loaded (each supply's event is)."""
    found: dict[str, tuple[int | None, str | None]] = {}
    for hash_id in dict.fromkeys(hash_ids):
        claim = events.citations.get(hash_id)
        if claim is None:
            continue
        cited, org, at_ms = claim
        if not isinstance(cited, int):  # capture refuses a citation naming no recognition
            continue
        found[hash_id] = (cited, None if at_ms is None else mirror.citation_status(cited, org, at_ms // 1000))
    return found


PREFERENCE_TEXT = {
    "preferred": N_("Preferred: holds a green-factory or green-product recognition in force"),
    "review": N_(
        "Review: its green recognition is suspended, revoked or expired, or was in force only when it supplied"
    ),
    "not_recognised": N_("Not recognised: holds no green-factory or green-product recognition"),
}
"""Why a supplier is where the rule puts it (English; ``explanation`` gives it in both languages)."""
_RULE_TEXT = N_(
    "Prefer recognised green factories as qualified suppliers: suppliers holding a green-factory or green-product "
    "recognition in force come first (national, provincial, city), suppliers whose recognition lapsed are marked "
    "for review, the others come last."
)
RULE = {
    "code": "prefer-recognised-green-factories",
    "zh": _zh(_RULE_TEXT),
    "en": _RULE_TEXT,
    "tiers": list(PREFERENCE_TEXT),
}
HOW_FOUND = (
    "Suppliers are the makers (the organisation that commissioned or produced the item) of the inputs of the "
    "organisation's transformation events and of the items its receiving events name (a logistic unit stands for what "
    "was packed in it). An item was supplied at its maker's last shipping event for it before the organisation took "
    "it, else at its production; it is green when the maker then held a green-factory or green-product recognition "
    "in force covering it."
)


def suppliers_json(
    session: Session, mirror: RegistryMirror, org_id: str, now: int, *, warn_days: int = 90
) -> dict[str, Any]:
    """``GET /organisations/{org}/suppliers``: the qualified-supplier list (see ``qualified_suppliers``)."""
    events, index = organisation_events(session, org_id)
    found: SupplierList = qualified_suppliers(index, mirror, org_id, now, warn_days=warn_days)
    cited = _cited(events, mirror, (s.supplied_by for q in found.suppliers for s in q.supplies))
    suppliers = []
    for rank, q in enumerate(found.suppliers, start=1):
        org = mirror.organisations.get(q.org_id)
        explanation = PREFERENCE_TEXT[q.preference]
        suppliers.append(
            {
                "rank": rank,
                "organisationId": q.org_id,
                "registered": q.registered,
                "roles": org.roles.names() if org else [],
                "region": region_json(region_of(q.org_id)),
                "preference": q.preference,
                "preferred": q.preferred,
                "explanation": {"zh": _zh(explanation), "en": explanation},
                "recognitions": [
                    {
                        **recognition_json(r.recognition, now),
                        "statusSince": iso(r.since),
                        "statusAtLastSupply": r.at_last_supply.value if r.at_last_supply else None,
                        "expiresInDays": r.expires_in_days,
                        "warnings": list(r.warnings),
                    }
                    for r in q.recognitions
                ],
                "supplies": [_supply_json(s, cited) for s in q.supplies],
                "supplyCount": len(q.supplies),
                "greenSupplies": q.green_supplies,
                "lastSuppliedAt": iso(q.last_supplied_at),
                "warnings": list(q.warnings),
            }
        )
    return {
        "organisation": org_id,
        "at": iso(now),
        "warnDays": warn_days,
        "rule": RULE,
        "howFound": HOW_FOUND,
        "suppliers": suppliers,
        "unknownOrigin": list(found.unknown_origin),
        **events.limits_json(),
    }


def _input_json(i: InputShare) -> dict[str, Any]:
    return {
        "identifier": i.identifier,
        "quantity": _number(i.quantity),
        "uom": i.uom,
        "supplier": i.supplier,
        "suppliedAt": iso(i.supplied_at),
        "suppliedBy": i.supplied_by,
        "basis": i.basis,
        "recognitions": list(i.recognitions),
        "status": i.status,
        "greenQuantity": _number(i.green_quantity),
        "rolledUp": None if i.rolled_up is None else share_json(i.rolled_up),
    }


def share_json(share: GreenShare) -> dict[str, Any]:
    """A green share with its breakdown, all levels down."""
    return {
        "identifier": share.identifier,
        **_share(share.share),
        "unit": share.unit,
        "greenQuantity": _number(share.green_quantity),
        "totalQuantity": _number(share.total_quantity),
        "lot": share.lot,
        "inputs": [_input_json(i) for i in share.inputs],
        "incomparable": [_input_json(i) for i in share.incomparable],
        "problems": [{"code": p.code, "identifier": p.identifier, "detail": p.detail} for p in share.problems],
    }


GREEN_SHARE_RULE = N_(
    "Green share = quantity of inputs from suppliers that held a green-factory or green-product recognition in force "
    "when they supplied them / total quantity of comparable inputs (one unit; other units left out). An input made "
    "by a transformation counts with its own share, rolled up through every level."
)


def report_json(
    session: Session, mirror: RegistryMirror, org_id: str, *, start: int, end: int, now: int
) -> dict[str, Any]:
    """``GET /reports/green-supply-chain``: the report of ``org_id`` for ``[start, end)`` (seconds)."""
    events, index = organisation_events(session, org_id, start=start, end=end)
    report: GreenReport = green_report(index, mirror, org_id, start, end)
    cited = _cited(events, mirror, (s.supplied_by for s in report.inputs))
    return {
        "organisation": org_id,
        "from": iso(start),
        "to": iso(end),
        "at": iso(now),
        "rule": GREEN_SHARE_RULE,
        "lots": [
            {
                "identifier": lot.identifier,
                "kind": identifier_kind(lot.identifier).value,
                "madeAt": iso(lot.made_at),
                "madeIn": lot.made_in,
                **share_json(lot.share),
            }
            for lot in report.lots
        ],
        "totals": [
            {
                "unit": t.unit,
                **_share(t.share),
                "greenQuantity": _number(t.green_quantity),
                "totalQuantity": _number(t.total_quantity),
                "lots": t.lots,
            }
            for t in report.totals
        ],
        "inputs": [_supply_json(s, cited) for s in report.inputs],
        "suppliers": list(report.suppliers),
        "lapses": [
            {
                "recognitionId": lapse.recognition.recognition_id,
                "holder": lapse.recognition.terms.holder,
                "kind": lapse.recognition.terms.kind.name.lower(),
                "kindZh": KIND_ZH[lapse.recognition.terms.kind],
                "level": lapse.recognition.terms.level.name.lower(),
                "status": lapse.standing.value,
                "at": iso(lapse.at),
                "reason": _reason(lapse.change.reason) if lapse.change else None,
                "by": lapse.change.by if lapse.change else None,
                "statusNow": standing_at(lapse.recognition, now).value,
            }
            for lapse in report.lapses
        ],
        "unknownOrigin": list(report.unknown_origin),
        **events.limits_json(),
    }


# --- impact and lapse notices ---


def _sighting_json(s: Sighting | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "eventHashId": s.hash_id,
        "organisationId": s.organisation_id,
        "eventTime": iso(int(s.event_time.timestamp())),
        "bizStep": s.biz_step,
        "stage": s.stage.value,
        "location": s.location,
        "via": s.via,
    }


def impact_json(
    session: Session, mirror: RegistryMirror, recognition_id: int, now: int, *, organisation: str | None = None
) -> dict[str, Any]:
    """``GET /recognitions/{id}/impact``: what the lapse of a recognition touches (see ``lapse_impact``).

    Raises:
        NotFoundError: No such recognition on chain.
    """
    recognition = mirror.recognitions.get(recognition_id)
    if recognition is None:
        raise NotFoundError(
            P_(
                "recognition {recognition} was never issued (the registry holds {count})",
                recognition=recognition_id,
                count=len(mirror.recognitions),
            ),
            recognitionId=recognition_id,
        )
    holder = recognition.terms.holder
    lapse = recognition.lapsed_at()
    events, index = holder_events(session, mirror, recognition_id, load=lapse is not None and lapse <= now)
    impact: LapseImpact = lapse_impact(index, mirror, recognition_id)
    lapsed_now = impact.lapsed_at is not None and impact.lapsed_at <= now
    items: list[dict[str, Any]] = []
    for i in impact.items:
        maker = maker_of(index, i.identifier)
        made_by = maker.organisation_id if maker else None
        seen_by = i.last_seen.organisation_id if i.last_seen else None
        if organisation is None or organisation in (made_by, seen_by):
            items.append(
                {
                    "identifier": i.identifier,
                    "kind": i.kind.value,
                    "fromInput": i.from_input,
                    "madeBy": made_by,
                    "lastSeen": _sighting_json(i.last_seen),
                }
            )
    return {
        "recognitionId": recognition_id,
        "holder": holder,
        "recognition": recognition_json(recognition, now),
        "lapsedAt": iso(impact.lapsed_at),
        "lapsed": lapsed_now,
        "organisation": organisation,
        "supplied": [
            {
                "identifier": s.identifier,
                "suppliedAt": iso(s.supplied_at),
                "basis": s.basis,
                "suppliedBy": s.supplied_by,
                "consumedIn": s.consumed_in,
            }
            for s in impact.supplied
        ],
        "lots": [i["identifier"] for i in items if i["kind"] == "lot"],
        "serials": [i["identifier"] for i in items if i["kind"] == "serial"],
        "items": items,
        "problems": [{"code": p.code, "identifier": p.identifier, "detail": p.detail} for p in impact.problems],
        **events.limits_json(),
    }


def product_lapses(session: Session, platform: Platform, identifier: str) -> list[dict[str, Any]] | None:
    """The lapse notices of a product for the Digital Link answers; ``None`` when the registry cannot be read.

    Each notice: an input (any level) whose maker's green recognition covering it is now suspended or revoked,
    and whether that happened ``after`` the input was supplied (it still counts as green) or ``before``.
    """
    start = node_id(identifier)
    try:
        mirror = platform.registry.refresh(wait=False)
    except ChainError:
        return None
    if platform.registry.refreshed_at == 0:  # never read: nothing to say either way
        return None
    loader = SubgraphLoader(session)
    loader.backward(start)
    index = loader.index()
    if not index.has_node(start):
        return []
    notices = lapse_notices(index, mirror, green_share(index, mirror, start))
    return [
        {
            "recognitionId": n.recognition.recognition_id,
            "holder": n.supplier,
            "kind": n.recognition.terms.kind.name.lower(),
            "kindZh": KIND_ZH[n.recognition.terms.kind],
            "level": n.recognition.terms.level.name.lower(),
            "status": n.change.status.name.lower(),
            "since": iso(n.change.timestamp),
            "reason": _reason(n.change.reason),
            "input": n.input,
            "suppliedAt": iso(n.supplied_at),
            "lapsed": n.lapsed,
            "countedGreen": n.counted_green,
        }
        for n in notices
    ]


# --- the authorities' view ---


def recognitions_json(
    mirror: RegistryMirror,
    t: int,
    *,
    kind: RecognitionKind | None,
    level: Level | None,
    region: str | None,
    standing: Standing | None,
) -> dict[str, Any]:
    """``GET /recognitions``: the published list at ``t``."""
    units = listed_units(mirror, t, kind=kind, level=level, region=region, standing=standing)
    return {
        "at": iso(t),
        "filters": {
            "kind": kind.name.lower() if kind else None,
            "level": level.name.lower() if level else None,
            "region": region,
            "status": standing.value if standing else "all",
        },
        "count": len(units),
        "recognitions": [recognition_json(u.recognition, t) for u in units],
    }


SPOT_CHECK_RULE = (
    "due: in force, not exempt, and never spot-checked or last checked 365 days or more ago; exempt: inside an "
    "exemption the registry granted (three passes in a row exempt a recognition for five years; a failure ends it); "
    "checked: in force, not exempt, checked within the last 365 days; not_in_force: suspended, revoked, expired or "
    "not yet valid."
)


def _spot_json(s: SpotCheckStanding, t: int) -> dict[str, Any]:
    last = s.last_check
    return {
        **recognition_json(s.recognition, t),
        "state": s.state.value,
        "checks": s.checks,
        "lastCheck": None if last is None else {"at": iso(last.timestamp), "passed": last.passed},
        "dueSince": iso(s.due_since),
    }


def spot_checks_json(
    mirror: RegistryMirror, t: int, states: frozenset[CheckState] | None, label: str
) -> dict[str, Any]:
    """``GET /spot-checks``: recognitions by spot-check state at ``t``."""
    found = spot_check_standings(mirror, t, states=states)
    return {
        "at": iso(t),
        "state": label,
        "rule": SPOT_CHECK_RULE,
        "count": len(found),
        "spotChecks": [_spot_json(s, t) for s in found],
    }


def sample_json(
    mirror: RegistryMirror,
    t: int,
    seed: str,
    size: int,
    *,
    kind: RecognitionKind | None,
    level: Level | None,
    region: str | None,
) -> dict[str, Any]:
    """``GET /spot-checks/sample``: a seeded sample anyone can re-derive (see :data:`SAMPLE_DESCRIPTION`)."""
    sample = draw_sample(mirror, t, seed, size, kind=kind, level=level, region=region)
    return {
        "seed": seed,
        "size": size,
        "at": iso(t),
        "atUnix": t,
        "algorithm": {"name": SAMPLE_ALGORITHM, "description": SAMPLE_DESCRIPTION},
        "filters": {
            "kind": kind.name.lower() if kind else None,
            "level": level.name.lower() if level else None,
            "region": region,
        },
        "eligible": list(sample.eligible),
        "eligibleCount": len(sample.eligible),
        "drawn": [{"rank": d.rank, **recognition_json(mirror.recognitions[d.recognition_id], t)} for d in sample.drawn],
    }
