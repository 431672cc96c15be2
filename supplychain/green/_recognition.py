"""Recognitions held at a time, which of them make an input green, and when an input was supplied."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from supplychain.registry import Level, RecognitionKind, RecognitionState, RegistryMirror, Scope
from supplychain.trace import Origin, TraceIndex, gtin_of, node_id

__all__ = [
    "GREEN_KINDS",
    "Supply",
    "covers",
    "green_recognitions_at",
    "location_of",
    "maker_of",
    "recognised_at",
    "seconds",
    "supply_of",
]

GREEN_KINDS = frozenset({RecognitionKind.GREEN_FACTORY, RecognitionKind.GREEN_PRODUCT})
"""Recognitions that make an input green: green factory (绿色工厂) or green product (绿色设计产品)."""

_SITE = "https://id.gs1.org/414/"


def seconds(moment: datetime) -> int:
    """A timezone-aware time as whole seconds since the epoch (rounded down), as the registry counts time."""
    return math.floor(moment.timestamp())


def recognised_at(
    mirror: RegistryMirror,
    org_id: str,
    t: int,
    *,
    kind: RecognitionKind | None = None,
    min_level: Level | None = None,
) -> list[RecognitionState]:
    """The recognitions of ``org_id`` in force at ``t`` (seconds), oldest first.

    Args:
        mirror: The registry as replayed from the chain.
        org_id: The holder.
        t: The time asked about (a recognition is in force inside its validity period while active).
        kind: Only this kind.
        min_level: Only at this level or above (city < provincial < national).
    """
    return [
        r
        for r in mirror.recognitions_of(org_id)
        if r.in_force_at(t)
        and (kind is None or r.terms.kind == kind)
        and (min_level is None or r.terms.level >= min_level)
    ]


def covers(recognition: RecognitionState, node: str, location: str | None) -> bool:
    """Whether a recognition's scope covers an item made at ``location``.

    An enterprise-wide recognition covers everything its holder makes; a product one (scope ``PRODUCT``)
    covers the items of its GTIN (the subject, 13 or 14 digits); a facility one (scope ``FACILITY``) covers
    items whose producing event took place at its GLN (the event's bizLocation, else readPoint, is that GLN or
    one of its sub-locations).
    """
    terms = recognition.terms
    if terms.scope == Scope.PRODUCT:
        return gtin_of(node) == terms.subject.zfill(14)
    if terms.scope == Scope.FACILITY:
        site = _SITE + terms.subject
        return location is not None and (location == site or location.startswith(site + "/"))
    return True


def green_recognitions_at(
    mirror: RegistryMirror, org_id: str, t: int, node: str, location: str | None
) -> list[RecognitionState]:
    """The green-factory / green-product recognitions of ``org_id`` in force at ``t`` that cover ``node``."""
    return [r for r in recognised_at(mirror, org_id, t) if r.terms.kind in GREEN_KINDS and covers(r, node, location)]


@dataclass(frozen=True, slots=True)
class Supply:
    """When a supplier supplied an item, and the event that shows it.

    Attributes:
        time: The time.
        basis: ``shipping`` (the supplier's shipping event) or ``production`` (the event that made it).
        hash_id: That event.
    """

    time: datetime
    basis: str
    hash_id: str


def supply_of(index: TraceIndex, node: str, origin: Origin, before: datetime | None) -> Supply:
    """When ``origin``'s organisation supplied ``node``.

    "Supplied" is the time of the supplier's last shipping event (bizStep ``shipping``, posted by the
    supplier) that names the item or a container it was packed in, at or before ``before`` (the time it was
    consumed; ``None``: any time); without one, the time of the event that produced it (``origin``).
    """
    supplier = origin.organisation_id
    for step in reversed(index.journey(node).steps):
        if (
            step.organisation_id == supplier
            and step.biz_step == "shipping"
            and (before is None or step.event_time <= before)
        ):
            return Supply(step.event_time, "shipping", step.hash_id)
    return Supply(origin.event_time, "production", origin.hash_id)


def maker_of(index: TraceIndex, node: str) -> Origin | None:
    """The earliest commissioning or transforming event of ``node`` (its maker), if the set has one."""
    made = [o for o in index.origins(node) if o.how != "packed"]
    return made[0] if made else None


def location_of(index: TraceIndex, origin: Origin) -> str | None:
    """Where an origin event took place (bizLocation, else readPoint), normalised."""
    event = index.events[origin.hash_id].event
    where = event.biz_location or event.read_point
    return node_id(where.id) if where else None
