"""What a lapsed recognition touches downstream: the products made with the holder's inputs supplied after it.

The rule: a recognition lapses at ``T`` (its suspension or revocation, or the end of its validity; or a time
the caller gives). An item the holder made (commissioned or produced; only items the recognition's scope
covers) is *affected* in a consumption when it was supplied to that transformation at or after ``T`` (supply
time as in the green share: the holder's last shipping event for it at or before the consumption, else its
production); every output of that transformation, and everything those outputs reached (forward trace:
outputs, lots, serials, the containers they were packed in), is impacted. An item the holder supplied at or
after ``T`` (its last shipping event, else its production) is impacted itself, even if not consumed yet. Each
impacted item comes with where it was last seen (the latest located step of its journey).
"""

from __future__ import annotations

from dataclasses import dataclass

from supplychain.errors import UnknownRecognitionError
from supplychain.green._recognition import covers, location_of, maker_of, seconds, supply_of
from supplychain.registry import RegistryMirror
from supplychain.trace import IdentifierKind, Sighting, TraceIndex, TraceProblem, identifier_kind

__all__ = ["ImpactedItem", "LapseImpact", "SuppliedInput", "lapse_impact"]


@dataclass(frozen=True, slots=True)
class SuppliedInput:
    """An item of the holder supplied at or after the lapse.

    Attributes:
        identifier: The item.
        supplied_at: When (seconds).
        basis: ``shipping`` or ``production``.
        supplied_by: The event that shows it.
        consumed_in: The transformation event that consumed it then; ``None`` for the item's own last supply.
    """

    identifier: str
    supplied_at: int
    basis: str
    supplied_by: str
    consumed_in: str | None


@dataclass(frozen=True, slots=True)
class ImpactedItem:
    """A downstream item made with an affected input, and where it is now.

    Attributes:
        identifier: The item.
        kind: serial, lot, container...
        from_input: The holder's item it descends from.
        last_seen: The latest located step of its journey, if any.
    """

    identifier: str
    kind: IdentifierKind
    from_input: str
    last_seen: Sighting | None


@dataclass(frozen=True, slots=True)
class LapseImpact:
    """The impact set of a lapsed recognition (rule in the module docstring).

    Attributes:
        recognition_id: The recognition.
        holder: Its holder.
        lapsed_at: ``T`` (seconds); ``None`` when it has not lapsed (then nothing is impacted).
        supplied: The holder's items supplied at or after ``T``.
        items: Everything impacted, each once.
        problems: Cycles met by the forward traces.
    """

    recognition_id: int
    holder: str
    lapsed_at: int | None
    supplied: tuple[SuppliedInput, ...]
    items: tuple[ImpactedItem, ...]
    problems: tuple[TraceProblem, ...]

    def _of_kind(self, kind: IdentifierKind) -> tuple[str, ...]:
        return tuple(i.identifier for i in self.items if i.kind is kind)

    @property
    def lots(self) -> tuple[str, ...]:
        """Impacted lots."""
        return self._of_kind(IdentifierKind.LOT)

    @property
    def serials(self) -> tuple[str, ...]:
        """Impacted serialised items."""
        return self._of_kind(IdentifierKind.SERIAL)


def lapse_impact(
    index: TraceIndex, mirror: RegistryMirror, recognition_id: int, *, at: int | None = None
) -> LapseImpact:
    """The downstream impact of recognition ``recognition_id`` lapsing.

    Args:
        index: The trace graph.
        mirror: The registry as replayed from the chain.
        recognition_id: The recognition.
        at: The lapse time ``T`` (seconds); default: when it last stopped being in force
            (``RecognitionState.lapsed_at``).

    Raises:
        UnknownRecognitionError: No such recognition in the mirror.
    """
    recognition = mirror.recognitions.get(recognition_id)
    if recognition is None:
        raise UnknownRecognitionError(recognition_id)
    holder = recognition.terms.holder
    lapse = recognition.lapsed_at() if at is None else at
    if lapse is None:
        return LapseImpact(recognition_id, holder, None, (), (), ())
    supplied: list[SuppliedInput] = []
    starts: dict[str, str] = {}  # output of an affected consumption -> the holder's item
    direct: list[str] = []  # the holder's items supplied at or after the lapse
    for node in index.made_by(holder):
        origin = maker_of(index, node)
        if (
            origin is None
            or origin.organisation_id != holder
            or not covers(recognition, node, location_of(index, origin))
        ):
            continue
        for transformation in index.transformations_using(node):
            for item in transformation.inputs:
                if item.node != node:
                    continue
                supply = supply_of(index, node, origin, item.event_time)
                if seconds(supply.time) >= lapse:
                    supplied.append(
                        SuppliedInput(node, seconds(supply.time), supply.basis, supply.hash_id, item.hash_id)
                    )
                    for output in transformation.outputs:
                        starts.setdefault(output.node, node)
        last = supply_of(index, node, origin, None)
        if seconds(last.time) >= lapse:
            supplied.append(SuppliedInput(node, seconds(last.time), last.basis, last.hash_id, None))
            direct.append(node)
    reached: dict[str, str] = {node: node for node in direct}
    problems: list[TraceProblem] = []
    for start, source in starts.items():
        trace = index.forward(start)
        problems += trace.problems
        for identifier in (start, *trace.reached):
            reached.setdefault(identifier, source)
    items = tuple(
        ImpactedItem(identifier, identifier_kind(identifier), source, index.last_seen(identifier))
        for identifier, source in reached.items()
    )
    return LapseImpact(recognition_id, holder, lapse, tuple(supplied), items, tuple(problems))
