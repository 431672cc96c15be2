"""The green-supply-chain report of a manufacturer for a period: its lots' green shares, inputs and lapses.

* **Lots**: the outputs of the transformations the manufacturer signed in ``[start, end)`` (when a transformation
  outputs serials and their lot, the lot stands for them), each with its green share
  (:func:`~supplychain.green.green_share`: by quantity, from suppliers recognised when they supplied, rolled up
  through multi-level transformations).
* **Totals**: per unit, the lots' green and total input quantities added up (units are never mixed).
* **Inputs**: what suppliers supplied and the manufacturer took in during the period
  (:func:`~supplychain.green.supplies_to`).
* **Lapses**: the recognitions of those suppliers, and of every maker upstream of the lots, that were suspended,
  revoked or expired during the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from supplychain.green._qualified import SupplyRecord, supplies_to, transformations_in
from supplychain.green._recognition import seconds
from supplychain.green._share import GreenShare, green_share
from supplychain.green._standing import Standing
from supplychain.registry import RecognitionState, RecognitionStatus, RegistryMirror, StatusChange
from supplychain.trace import IdentifierKind, TraceIndex, gtin_of, identifier_kind

__all__ = ["GreenReport", "LotShare", "SupplierLapse", "UnitTotal", "green_report"]

_ZERO = Fraction(0)


@dataclass(frozen=True, slots=True)
class LotShare:
    """A lot (or serial, or class) the manufacturer made in the period, and its green share.

    Attributes:
        identifier: The output.
        made_at: When (seconds).
        made_in: The transformation event.
        share: Its green share, with the breakdown.
    """

    identifier: str
    made_at: int
    made_in: str
    share: GreenShare


@dataclass(frozen=True, slots=True)
class UnitTotal:
    """The lots of one unit together.

    Attributes:
        unit: The unit (``None``: counted items).
        green_quantity: Sum of the green input quantities.
        total_quantity: Sum of the comparable input quantities.
        lots: How many lots.
    """

    unit: str | None
    green_quantity: Fraction
    total_quantity: Fraction
    lots: int

    @property
    def share(self) -> Fraction | None:
        """Green / total, ``None`` when the total is zero."""
        return self.green_quantity / self.total_quantity if self.total_quantity else None


@dataclass(frozen=True, slots=True)
class SupplierLapse:
    """A supplier's recognition that stopped being in force during the period.

    Attributes:
        recognition: The recognition.
        standing: ``suspended``, ``revoked`` or ``expired``.
        at: When (seconds).
        change: The status change (``None`` for an expiry).
    """

    recognition: RecognitionState
    standing: Standing
    at: int
    change: StatusChange | None


@dataclass(frozen=True, slots=True)
class GreenReport:
    """The report (see the module docstring).

    Attributes:
        manufacturer: Whose report.
        start: Start of the period (seconds, inclusive).
        end: End of the period (seconds, exclusive).
        lots: Lots made in the period, by time.
        totals: Per unit.
        inputs: Supplies taken in during the period.
        suppliers: The suppliers of those inputs, then the makers of the lots' inputs all the way up.
        lapses: Their recognitions' lapses in the period, by time.
        unknown_origin: Items taken in whose maker no event in the set shows.
    """

    manufacturer: str
    start: int
    end: int
    lots: tuple[LotShare, ...]
    totals: tuple[UnitTotal, ...]
    inputs: tuple[SupplyRecord, ...]
    suppliers: tuple[str, ...]
    lapses: tuple[SupplierLapse, ...]
    unknown_origin: tuple[str, ...]


def _lots(index: TraceIndex, manufacturer: str, start: int, end: int) -> list[tuple[str, int, str]]:
    made: dict[str, tuple[str, int, str]] = {}
    for transformation in transformations_in(index):
        outputs = [
            o
            for o in transformation.outputs
            if o.organisation_id == manufacturer and start <= seconds(o.event_time) < end
        ]
        lot_gtins = {gtin_of(o.node) for o in outputs if identifier_kind(o.node) is IdentifierKind.LOT}
        for o in outputs:
            if identifier_kind(o.node) is IdentifierKind.SERIAL and gtin_of(o.node) in lot_gtins:
                continue
            made.setdefault(o.node, (o.node, seconds(o.event_time), o.hash_id))
    return sorted(made.values(), key=lambda m: (m[1], m[0]))


def _lapses(mirror: RegistryMirror, suppliers: tuple[str, ...], start: int, end: int) -> list[SupplierLapse]:
    found: list[SupplierLapse] = []
    lapsed = (RecognitionStatus.SUSPENDED, RecognitionStatus.REVOKED)
    for supplier in suppliers:
        for recognition in mirror.recognitions_of(supplier):
            for change in recognition.changes:
                if change.status in lapsed and start <= change.timestamp < end:
                    found.append(
                        SupplierLapse(recognition, Standing(change.status.name.lower()), change.timestamp, change)
                    )
            until = recognition.terms.valid_until
            if until is not None and start <= until < end and recognition.status_at(until) is RecognitionStatus.ACTIVE:
                found.append(SupplierLapse(recognition, Standing.EXPIRED, until, None))
    found.sort(key=lambda lapse: (lapse.at, lapse.recognition.recognition_id))
    return found


def _upstream(share: GreenShare) -> list[str]:
    """The makers of a share's inputs, and of their inputs, all the way up."""
    found: list[str] = []
    pending = [share]
    while pending:
        current = pending.pop()
        for item in (*current.inputs, *current.incomparable):
            if item.supplier:
                found.append(item.supplier)
            if item.rolled_up is not None:
                pending.append(item.rolled_up)
    return found


def green_report(index: TraceIndex, mirror: RegistryMirror, manufacturer: str, start: int, end: int) -> GreenReport:
    """The manufacturer's green-supply-chain report for ``[start, end)`` (seconds); see the module docstring.

    Args:
        index: The trace graph (the manufacturer's events of the period and what lies upstream of them).
        mirror: The registry as replayed from the chain.
        manufacturer: The leader.
        start: Start of the period (inclusive).
        end: End of the period (exclusive).
    """
    lots = [
        LotShare(node, t, hash_id, green_share(index, mirror, node))
        for node, t, hash_id in _lots(index, manufacturer, start, end)
    ]
    totals: dict[str | None, UnitTotal] = {}
    for lot in lots:
        share = lot.share
        if share.share is None:
            continue
        before = totals.get(share.unit, UnitTotal(share.unit, _ZERO, _ZERO, 0))
        totals[share.unit] = UnitTotal(
            share.unit,
            before.green_quantity + share.green_quantity,
            before.total_quantity + share.total_quantity,
            before.lots + 1,
        )
    supplies, unknown = supplies_to(index, mirror, manufacturer)
    inputs = tuple(s for s in supplies if start <= s.taken_at < end)
    named = [s.supplier for s in inputs]
    for lot in lots:
        named += _upstream(lot.share)
    suppliers = tuple(dict.fromkeys(s for s in named if s != manufacturer))
    return GreenReport(
        manufacturer,
        start,
        end,
        tuple(lots),
        tuple(totals.values()),
        inputs,
        suppliers,
        tuple(_lapses(mirror, suppliers, start, end)),
        unknown,
    )
