"""The green share of a product's inputs, rolled up through multi-level transformations.

The rule (a contract with the consumer page and the audit; change it only with a new rule version):

1. The inputs of an identifier are the inputs of every transformation that lists it as an output (all events
   of one ``transformationID`` together). A serial that no transformation made but that was commissioned in a
   lot (ILMD ``lotNumber``) takes the share of that lot. Anything else has no share (problem
   ``not_transformed``).
2. Each input counts with its quantity: a ``quantityList`` element's quantity and unit, 1 (no unit) per EPC.
3. Units are never mixed. The share is computed in one unit: the unit of the most inputs (ties: the one met
   first). Inputs in other units, and inputs without a quantity, are listed as ``incomparable`` and left out
   of both sides of the ratio.
4. Its supplier is the organisation of the earliest event that commissioned or produced it. It was supplied at
   the time of that supplier's last shipping event for it (naming it or a container holding it) at or before
   the consuming event, else at the time of the event that made it (see :func:`~supplychain.green.supply_of`).
5. A raw input (made by no transformation) is green when its supplier held, at the time it supplied, a
   green-factory or green-product recognition in force covering it (:func:`~supplychain.green.covers`): it
   contributes its whole quantity; otherwise nothing.
6. An intermediate input (itself made by a transformation) contributes ``quantity x its own share`` (computed
   by the same rule, recursively). With ``require_maker_green=True`` it contributes that only when its maker
   was also green when it supplied it, else nothing.
7. Conservative on the unknown: an input whose maker is not in the set (``missing_origin``), that lies on a
   cycle (``cycle``), or whose own share is undefined, counts in the total but contributes nothing.

Share = green quantity / total quantity (an exact :class:`~fractions.Fraction` in [0, 1]); ``None`` when there
is nothing comparable to divide.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction

from supplychain.green._recognition import green_recognitions_at, location_of, maker_of, seconds, supply_of
from supplychain.registry import RegistryMirror
from supplychain.trace import Consumption, Relation, TraceIndex, TraceProblem, node_id

__all__ = ["GreenShare", "InputShare", "green_share"]


@dataclass(frozen=True, slots=True)
class InputShare:
    """One input of one transformation and what it contributes.

    Attributes:
        identifier: The input (node).
        hash_id: The event that consumed it.
        quantity: Its quantity (``None`` when not stated).
        uom: Its unit (``None``: a count).
        supplier: Its maker, ``None`` when no event in the set made it.
        supplied_at: When the supplier supplied it (seconds), if known.
        supplied_by: The event that shows it (shipping or production).
        basis: ``shipping`` or ``production``.
        recognitions: Ids of the supplier's green recognitions in force then covering it.
        status: ``green``, ``not_green``, ``rolled_up`` (an intermediate: its own share applies),
            ``unknown_origin``, ``cycle``, ``unknown_share`` or ``incomparable``.
        green_quantity: What it contributes to the green side.
        rolled_up: The intermediate's own share, with its own breakdown.
    """

    identifier: str
    hash_id: str
    quantity: Fraction | None
    uom: str | None
    supplier: str | None
    supplied_at: int | None
    supplied_by: str | None
    basis: str | None
    recognitions: tuple[int, ...]
    status: str
    green_quantity: Fraction
    rolled_up: GreenShare | None = None


@dataclass(frozen=True, slots=True)
class GreenShare:
    """The green share of an identifier's inputs (see the module docstring for the rule).

    Attributes:
        identifier: The node asked about.
        share: Green quantity / total quantity in ``unit``; ``None`` when nothing is comparable.
        unit: The unit compared (``None``: counted items, or no input).
        green_quantity: Sum of the green contributions.
        total_quantity: Sum of the comparable quantities.
        inputs: The inputs counted.
        incomparable: Inputs left out: another unit, or no quantity.
        problems: ``not_transformed``, ``missing_origin``, ``cycle``.
        lot: The lot whose share a serial took, if it did.
    """

    identifier: str
    share: Fraction | None
    unit: str | None
    green_quantity: Fraction
    total_quantity: Fraction
    inputs: tuple[InputShare, ...]
    incomparable: tuple[InputShare, ...]
    problems: tuple[TraceProblem, ...]
    lot: str | None = None


_ZERO = Fraction(0)


def _fraction(value: int | float | None) -> Fraction | None:
    if value is None:
        return None
    return Fraction(value) if isinstance(value, int) else Fraction(str(value))


class _Calculator:
    def __init__(self, index: TraceIndex, mirror: RegistryMirror, require_maker_green: bool) -> None:
        self.index = index
        self.mirror = mirror
        self.require_maker_green = require_maker_green
        self.memo: dict[str, GreenShare] = {}
        self.active: set[str] = set()

    def share(self, node: str) -> GreenShare:
        done = self.memo.get(node)
        if done is None:
            self.active.add(node)
            done = self._compute(node)
            self.active.discard(node)
            self.memo[node] = done
        return done

    def _compute(self, node: str) -> GreenShare:
        transformations = self.index.transformations_making(node)
        if not transformations:
            lots = [e.node for e in self.index.backward_edges(node) if e.relation is Relation.LOT]
            if lots and lots[0] not in self.active:
                return dataclasses.replace(self.share(lots[0]), identifier=node, lot=lots[0])
            problem = TraceProblem("not_transformed", node, "no transformation in the set produced it")
            return GreenShare(node, None, None, _ZERO, _ZERO, (), (), (problem,))
        problems: list[TraceProblem] = []
        items = [self._input(c, problems) for t in transformations for c in t.inputs]
        units = Counter(i.uom for i in items if i.quantity is not None)
        unit = max(units, key=lambda u: (units[u], -list(units).index(u))) if units else None
        counted: list[InputShare] = []
        left_out: list[InputShare] = []
        for i in items:
            if i.quantity is not None and i.uom == unit:
                counted.append(i)
            else:
                left_out.append(dataclasses.replace(i, status="incomparable", green_quantity=_ZERO))
        total = sum((i.quantity or _ZERO for i in counted), _ZERO)
        green = sum((i.green_quantity for i in counted), _ZERO)
        share = green / total if total else None
        return GreenShare(node, share, unit, green, total, tuple(counted), tuple(left_out), tuple(problems))

    def _input(self, item: Consumption, problems: list[TraceProblem]) -> InputShare:
        quantity = _fraction(item.quantity)
        origin = maker_of(self.index, item.node)
        if origin is None:
            problems.append(
                TraceProblem("missing_origin", item.node, "no event in the set made this input", item.hash_id)
            )
            return InputShare(
                item.node,
                item.hash_id,
                quantity,
                item.uom,
                None,
                None,
                None,
                None,
                (),
                "unknown_origin",
                _ZERO,
            )
        supply = supply_of(self.index, item.node, origin, item.event_time)
        at = seconds(supply.time)
        found = green_recognitions_at(
            self.mirror, origin.organisation_id, at, item.node, location_of(self.index, origin)
        )
        recognitions = tuple(r.recognition_id for r in found)
        base = InputShare(
            item.node,
            item.hash_id,
            quantity,
            item.uom,
            origin.organisation_id,
            at,
            supply.hash_id,
            supply.basis,
            recognitions,
            "green" if recognitions else "not_green",
            quantity if recognitions and quantity is not None else _ZERO,
        )
        if not self.index.transformations_making(item.node):
            return base
        if item.node in self.active:
            problems.append(
                TraceProblem("cycle", item.node, "this input is made, directly or not, of the product", item.hash_id)
            )
            return dataclasses.replace(base, status="cycle", green_quantity=_ZERO)
        sub = self.share(item.node)
        if sub.share is None:
            return dataclasses.replace(base, status="unknown_share", green_quantity=_ZERO, rolled_up=sub)
        if self.require_maker_green and not recognitions:
            return dataclasses.replace(base, green_quantity=_ZERO, rolled_up=sub)
        weight = quantity * sub.share if quantity is not None else _ZERO
        return dataclasses.replace(base, status="rolled_up", green_quantity=weight, rolled_up=sub)


def green_share(
    index: TraceIndex, mirror: RegistryMirror, identifier: str, *, require_maker_green: bool = False
) -> GreenShare:
    """The green share of ``identifier``'s inputs, by quantity, rolled up (rule in the module docstring).

    Args:
        index: The trace graph.
        mirror: The registry as replayed from the chain (recognitions as they stood at each supply).
        identifier: A lot or serial, in any spelling.
        require_maker_green: Count an intermediate input only when its maker was green too.
    """
    return _Calculator(index, mirror, require_maker_green).share(node_id(identifier))
