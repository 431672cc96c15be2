"""A manufacturer's suppliers, found in its own events, with the rule "prefer recognised green factories".

How suppliers are found (the manufacturer's own signed events are the evidence):

1. **Inputs it consumed**: every input listed by a TransformationEvent the manufacturer signed.
2. **Goods it received**: every item named by an event it signed with bizStep ``receiving`` or ``accepting``
   (EPCs, classes in quantity lists, the parent); a logistic unit (SSCC) stands for the items packed in it
   (recursively).

The supplier of an item is its maker: the organisation of the earliest event that commissioned or produced it
(:func:`~supplychain.green.supply_of`'s rule); items the manufacturer made itself are not supplies, and items no
event in the set made are listed apart (``unknown_origin``). One record per item: the first receipt, else the first
consumption, is when the manufacturer took it; it was supplied at the supplier's last shipping event for it up to
then, else at its production. It is green when the supplier held, at that time, a green-factory or green-product
recognition in force covering it (:func:`~supplychain.green.green_recognitions_at`).

The preference rule (优先纳入绿色工厂为合格供应商), as an order of the list:

* ``preferred``: holds now a green-factory or green-product recognition in force;
* ``review``: does not, but held one that was in force when it supplied, or one that is now suspended, revoked or
  expired (the leader should review it);
* ``not_recognised``: neither.

Within a tier: higher level first (national, provincial, city), then higher grade, then more green supplies,
then the organisation id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

from supplychain.epcis import AggregationEvent, AssociationEvent, ObjectEvent, TransactionEvent
from supplychain.green._recognition import (
    GREEN_KINDS,
    green_recognitions_at,
    location_of,
    maker_of,
    seconds,
    supply_of,
)
from supplychain.green._standing import DAY, Standing, change_at, days_until, passes_in_a_row, standing_at
from supplychain.registry import RecognitionState, RegistryMirror
from supplychain.trace import IdentifierKind, Relation, TraceIndex, Transformation, identifier_kind, node_id

__all__ = [
    "RECEIVING_STEPS",
    "QualifiedSupplier",
    "RecognitionStanding",
    "SupplierList",
    "SupplyRecord",
    "qualified_suppliers",
    "supplies_to",
    "transformations_in",
]

RECEIVING_STEPS = frozenset({"receiving", "accepting"})
"""bizSteps of the events that show goods taken in."""

_ZERO = Fraction(0)
_TIERS = ("preferred", "review", "not_recognised")


@dataclass(frozen=True, slots=True)
class SupplyRecord:
    """One item a supplier supplied to the manufacturer.

    Attributes:
        identifier: The item (node).
        supplier: Its maker.
        quantity: The quantity received (else consumed), ``None`` when not stated.
        uom: Its unit (``None``: a count).
        taken_at: When the manufacturer received it, else first consumed it (seconds).
        supplied_at: When the supplier supplied it (seconds).
        basis: ``shipping`` or ``production``.
        supplied_by: The event that shows the supply.
        received_in: The manufacturer's receiving event, if any.
        consumed_in: The manufacturer's transformation events that consumed it.
        recognitions: The supplier's green recognitions in force then that cover it.
    """

    identifier: str
    supplier: str
    quantity: Fraction | None
    uom: str | None
    taken_at: int
    supplied_at: int
    basis: str
    supplied_by: str
    received_in: str | None
    consumed_in: tuple[str, ...]
    recognitions: tuple[int, ...]

    @property
    def green(self) -> bool:
        """Supplied by a supplier green then."""
        return bool(self.recognitions)


@dataclass
class _Taken:
    node: str
    received: tuple[str, datetime, Fraction | None, str | None] | None = None
    consumed: list[tuple[str, datetime, Fraction | None, str | None]] | None = None


def _fraction(value: float | None) -> Fraction | None:
    if value is None:
        return None
    return Fraction(value) if isinstance(value, int) else Fraction(str(value))


def transformations_in(index: TraceIndex) -> list[Transformation]:
    """Every transformation of the index, each once (all events of one transformationID together)."""
    found: dict[str, Transformation] = {}
    for node in sorted(index.nodes):
        for transformation in index.transformations_using(node):
            found.setdefault(transformation.key, transformation)
    return list(found.values())


def _contents(
    index: TraceIndex, node: str, quantity: float | None, uom: str | None, seen: set[str]
) -> list[tuple[str, float | None, str | None]]:
    """A received item, or the items packed in a logistic unit (recursively)."""
    if identifier_kind(node) is not IdentifierKind.CONTAINER or node in seen:
        return [(node, quantity, uom)]
    seen.add(node)
    packed = [e for e in index.backward_edges(node) if e.relation in (Relation.AGGREGATION, Relation.ASSOCIATION)]
    if not packed:
        return [(node, quantity, uom)]
    items: list[tuple[str, float | None, str | None]] = []
    for edge in packed:
        items += _contents(index, edge.node, edge.quantity, edge.uom, seen)
    return items


def _received(index: TraceIndex, manufacturer: str) -> Iterable[tuple[str, str, datetime, float | None, str | None]]:
    """(item, event, time, quantity, unit) of every item the manufacturer's receiving events name."""
    for record in index.events.values():
        event = record.event
        if record.organisation_id != manufacturer or event.biz_step not in RECEIVING_STEPS:
            continue
        named: list[tuple[str, float | None, str | None]] = []
        if isinstance(event, ObjectEvent | TransactionEvent):
            named += [(node_id(e), 1, None) for e in event.epc_list]
            named += [(node_id(q.epc_class), q.quantity, q.uom) for q in event.quantity_list]
        if isinstance(event, AggregationEvent | AssociationEvent):
            named += [(node_id(e), 1, None) for e in event.child_epcs]
            named += [(node_id(q.epc_class), q.quantity, q.uom) for q in event.child_quantity_list]
        if isinstance(event, AggregationEvent | AssociationEvent | TransactionEvent) and event.parent_id:
            named.append((node_id(event.parent_id), 1, None))
        seen: set[str] = set()
        for node, quantity, uom in named:
            for item, q, u in _contents(index, node, quantity, uom, seen):
                yield item, record.hash_id, event.event_time, q, u


def supplies_to(
    index: TraceIndex, mirror: RegistryMirror, manufacturer: str
) -> tuple[tuple[SupplyRecord, ...], tuple[str, ...]]:
    """What the manufacturer's suppliers supplied to it (rule in the module docstring).

    Returns:
        The supplies (by the time the manufacturer took them), and the items of unknown origin.
    """
    taken: dict[str, _Taken] = {}
    for node, hash_id, t, quantity, uom in _received(index, manufacturer):
        entry = taken.setdefault(node, _Taken(node))
        if entry.received is None:
            entry.received = (hash_id, t, _fraction(quantity), uom)
    for transformation in transformations_in(index):
        for item in transformation.inputs:
            if item.organisation_id == manufacturer:
                entry = taken.setdefault(item.node, _Taken(item.node))
                entry.consumed = (entry.consumed or []) + [
                    (item.hash_id, item.event_time, _fraction(item.quantity), item.uom)
                ]
    supplies: list[SupplyRecord] = []
    unknown: list[str] = []
    for entry in taken.values():
        origin = maker_of(index, entry.node)
        if origin is None:
            unknown.append(entry.node)
            continue
        if origin.organisation_id == manufacturer:
            continue
        consumed = sorted(entry.consumed or [], key=lambda c: c[1])
        first = entry.received or consumed[0]
        amount, uom = first[2], first[3]
        if entry.received is None and all(c[3] == uom and c[2] is not None for c in consumed):
            amount = sum((c[2] or _ZERO for c in consumed), _ZERO)
        supply = supply_of(index, entry.node, origin, first[1])
        at = seconds(supply.time)
        found = green_recognitions_at(mirror, origin.organisation_id, at, entry.node, location_of(index, origin))
        supplies.append(
            SupplyRecord(
                entry.node,
                origin.organisation_id,
                amount,
                uom,
                seconds(first[1]),
                at,
                supply.basis,
                supply.hash_id,
                entry.received[0] if entry.received else None,
                tuple(dict.fromkeys(c[0] for c in consumed)),
                tuple(r.recognition_id for r in found),
            )
        )
    supplies.sort(key=lambda s: (s.taken_at, s.identifier))
    return tuple(supplies), tuple(sorted(unknown))


@dataclass(frozen=True, slots=True)
class RecognitionStanding:
    """One recognition of a supplier, as it stands now and as it stood when the supplier last supplied.

    Attributes:
        recognition: The recognition as on chain.
        now: Its standing now.
        since: When that standing began (its status change, start or end of validity), if known.
        at_last_supply: Its standing when the supplier last supplied (``None``: no supply).
        expires_in_days: Days left of its validity while in force with an end date, else ``None``.
        passes_in_a_row: Spot checks passed in a row (see :func:`~supplychain.green.passes_in_a_row`).
        exempt_until: End of the spot-check exemption in effect now, if any.
        warnings: ``expires_soon``, ``suspended``, ``revoked``, ``expired``, ``lapsed_since_supply``,
            ``spot_check_failed`` (its last spot check failed).
    """

    recognition: RecognitionState
    now: Standing
    since: int | None
    at_last_supply: Standing | None
    expires_in_days: int | None
    passes_in_a_row: int
    exempt_until: int | None
    warnings: tuple[str, ...]

    @property
    def green(self) -> bool:
        """A green-factory or green-product recognition."""
        return self.recognition.terms.kind in GREEN_KINDS


def _since(recognition: RecognitionState, standing: Standing, t: int) -> int | None:
    if standing in (Standing.SUSPENDED, Standing.REVOKED):
        change = change_at(recognition, t)
        return change.timestamp if change else None
    if standing is Standing.EXPIRED:
        return recognition.terms.valid_until
    if standing is Standing.IN_FORCE:
        change = change_at(recognition, t)
        return max(recognition.terms.valid_from, change.timestamp if change else recognition.issued_at)
    return None


def _standing(recognition: RecognitionState, now: int, last_supply: int | None, warn_days: int) -> RecognitionStanding:
    standing = standing_at(recognition, now)
    then = standing_at(recognition, last_supply) if last_supply is not None else None
    until = recognition.terms.valid_until
    expires = days_until(now, until) if standing is Standing.IN_FORCE and until is not None else None
    warnings: list[str] = []
    if expires is not None and until is not None and until - now <= warn_days * DAY:
        warnings.append("expires_soon")
    if standing in (Standing.SUSPENDED, Standing.REVOKED, Standing.EXPIRED):
        warnings.append(standing.value)
        if then is Standing.IN_FORCE:
            warnings.append("lapsed_since_supply")
    checks = [c for c in recognition.spot_checks if c.timestamp <= now]
    if checks and not checks[-1].passed:
        warnings.append("spot_check_failed")
    exempt = next((end for start, end in recognition.exemptions if start <= now < end), None)
    return RecognitionStanding(
        recognition,
        standing,
        _since(recognition, standing, now),
        then,
        expires,
        passes_in_a_row(recognition, now),
        exempt,
        tuple(warnings),
    )


@dataclass(frozen=True, slots=True)
class QualifiedSupplier:
    """A supplier on the manufacturer's list, with its recognitions and supplies.

    Attributes:
        org_id: The supplier.
        registered: Whether the registry knows it.
        preference: ``preferred``, ``review`` or ``not_recognised`` (rule in the module docstring).
        recognitions: Its recognitions (every kind), oldest first.
        supplies: What it supplied.
        warnings: Its recognitions' warnings, each once.
    """

    org_id: str
    registered: bool
    preference: str
    recognitions: tuple[RecognitionStanding, ...]
    supplies: tuple[SupplyRecord, ...]
    warnings: tuple[str, ...]

    @property
    def preferred(self) -> bool:
        """Holds a green recognition in force now."""
        return self.preference == "preferred"

    @property
    def green_now(self) -> tuple[RecognitionStanding, ...]:
        """Its green-factory and green-product recognitions in force now."""
        return tuple(r for r in self.recognitions if r.green and r.now is Standing.IN_FORCE)

    @property
    def green_supplies(self) -> int:
        """How many of its supplies were green when supplied."""
        return sum(1 for s in self.supplies if s.green)

    @property
    def last_supplied_at(self) -> int:
        """When it last supplied."""
        return max(s.supplied_at for s in self.supplies)

    def sort_key(self) -> tuple[int, int, int, int, str]:
        """The list order: tier, then level, grade and green supplies (higher first), then the id."""
        best = self.green_now
        level = max((int(r.recognition.terms.level) for r in best), default=0)
        grade = max((int(r.recognition.terms.grade) for r in best), default=0)
        return _TIERS.index(self.preference), -level, -grade, -self.green_supplies, self.org_id


@dataclass(frozen=True, slots=True)
class SupplierList:
    """The qualified-supplier list of a manufacturer (合格供应商名录).

    Attributes:
        manufacturer: Whose list.
        at: The time "now" is (seconds).
        suppliers: In the order of the preference rule.
        unknown_origin: Items taken in whose maker no event in the set shows.
    """

    manufacturer: str
    at: int
    suppliers: tuple[QualifiedSupplier, ...]
    unknown_origin: tuple[str, ...]


def qualified_suppliers(
    index: TraceIndex, mirror: RegistryMirror, manufacturer: str, now: int, *, warn_days: int = 90
) -> SupplierList:
    """The manufacturer's suppliers, ordered by the preference rule (see the module docstring).

    Args:
        index: The trace graph (the manufacturer's events and what lies upstream of them).
        mirror: The registry as replayed from the chain.
        manufacturer: The leader.
        now: The time the list is drawn up at (seconds).
        warn_days: Warn of a recognition in force that ends within this many days.
    """
    supplies, unknown = supplies_to(index, mirror, manufacturer)
    by_supplier: dict[str, list[SupplyRecord]] = {}
    for supply in supplies:
        by_supplier.setdefault(supply.supplier, []).append(supply)
    suppliers: list[QualifiedSupplier] = []
    for org_id, records in by_supplier.items():
        last = max(s.supplied_at for s in records)
        standings = tuple(_standing(r, now, last, warn_days) for r in mirror.recognitions_of(org_id))
        green = [r for r in standings if r.green]
        if any(r.now is Standing.IN_FORCE for r in green):
            preference = "preferred"
        elif any(s.green for s in records) or any(r.now is not Standing.NOT_YET_VALID for r in green):
            preference = "review"
        else:
            preference = "not_recognised"
        warnings = tuple(dict.fromkeys(w for r in standings for w in r.warnings))
        registered = org_id in mirror.organisations
        suppliers.append(QualifiedSupplier(org_id, registered, preference, standings, tuple(records), warnings))
    suppliers.sort(key=QualifiedSupplier.sort_key)
    return SupplierList(manufacturer, now, tuple(suppliers), unknown)
