"""The journey of an identifier: its own events and those of the containers it travelled in, in time order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from supplychain.epcis import Action
from supplychain.trace._index import TraceIndex
from supplychain.trace._model import Sighting, TraceProblem, node_id

__all__ = ["Containment", "Journey", "journey", "last_seen"]

_EMPTIED = "EMPTIED"


@dataclass(frozen=True, slots=True)
class Containment:
    """A stay of an identifier inside a parent (a case, a pallet, an associated asset).

    Attributes:
        child: What was inside (the identifier or a container it was in).
        parent: The container.
        start: When it was put in (packing ``ADD``, or first ``OBSERVE``).
        end: When it was taken out (``DELETE`` naming it, or emptying the parent); ``None``: still inside.
        packed_by: The event that put it in.
        unpacked_by: The event that took it out, if any.
    """

    child: str
    parent: str
    start: datetime
    end: datetime | None
    packed_by: str
    unpacked_by: str | None


@dataclass(frozen=True, slots=True)
class Journey:
    """An identifier's events in time order, each with bizStep, stage, location and organisation.

    Attributes:
        identifier: The node.
        steps: Events naming it, and events naming a container while it was inside (``via`` set), by time.
        containments: Its stays in containers, and theirs in outer containers, clipped to its own stay.
        problems: ``unpacked_never_packed`` (a missing link), ``cycle`` (containers inside each other),
            ``unknown_identifier``.
    """

    identifier: str
    steps: tuple[Sighting, ...]
    containments: tuple[Containment, ...]
    problems: tuple[TraceProblem, ...]

    @property
    def organisations(self) -> tuple[str, ...]:
        """Organisations along the way, in order of first appearance."""
        return tuple(dict.fromkeys(s.organisation_id for s in self.steps))


def _containments(index: TraceIndex, child: str) -> tuple[list[Containment], list[TraceProblem]]:
    """Every stay of ``child`` in a parent, from its packing and unpacking events."""
    packings = index.packings(child)
    timeline: list[tuple[datetime, int, str, str, str]] = []
    for p in packings:
        timeline.append((p.event_time, index.sort_key(index.events[p.hash_id])[1], p.action.value, p.parent, p.hash_id))
    for parent in dict.fromkeys(p.parent for p in packings):
        for u in index.unpackings_of_all(parent):
            timeline.append((u.event_time, index.sort_key(index.events[u.hash_id])[1], _EMPTIED, parent, u.hash_id))
    timeline.sort()
    stays: list[Containment] = []
    problems: list[TraceProblem] = []
    inside: dict[str, tuple[datetime, str]] = {}
    for t, _, action, parent, hash_id in timeline:
        if action not in (Action.DELETE.value, _EMPTIED):
            inside.setdefault(parent, (t, hash_id))
        elif parent in inside:
            start, packed_by = inside.pop(parent)
            stays.append(Containment(child, parent, start, t, packed_by, hash_id))
        elif action == Action.DELETE.value:
            problems.append(
                TraceProblem("unpacked_never_packed", child, f"taken out of {parent} without being put in", hash_id)
            )
    stays += [Containment(child, parent, start, None, packed_by, None) for parent, (start, packed_by) in inside.items()]
    stays.sort(key=lambda c: c.start)
    return stays, problems


def journey(index: TraceIndex, identifier: str) -> Journey:
    """The journey of ``identifier`` (a serial, a lot, a container), through the containers it was packed in.

    A container's events count for the identifier from the moment it was put in to the moment it was taken out
    (both included), clipped to the enclosing stays for a container inside a container.
    """
    start = node_id(identifier)
    problems: list[TraceProblem] = []
    if not index.has_node(start):
        problems.append(TraceProblem("unknown_identifier", start, "no event in the set mentions it"))
    steps = {r.hash_id: Sighting.of(start, r) for r in index.mentions(start)}
    stays: list[Containment] = []
    pending: list[tuple[str, datetime | None, datetime | None, tuple[str, ...]]] = [(start, None, None, (start,))]
    while pending:
        node, low, high, path = pending.pop()
        found, troubles = _containments(index, node)
        problems += troubles
        for stay in found:
            begin = stay.start if low is None else max(stay.start, low)
            end = stay.end if high is None else (high if stay.end is None else min(stay.end, high))
            if end is not None and begin > end:
                continue
            if stay.parent in path:
                problems.append(
                    TraceProblem(
                        "cycle",
                        stay.parent,
                        f"{node} is inside {stay.parent}, which contains it",
                        stay.packed_by,
                    )
                )
                continue
            stays.append(Containment(node, stay.parent, begin, end, stay.packed_by, stay.unpacked_by))
            for record in index.mentions(stay.parent):
                t = record.event.event_time
                if begin <= t and (end is None or t <= end) and record.hash_id not in steps:
                    steps[record.hash_id] = Sighting.of(start, record, via=stay.parent)
            pending.append((stay.parent, begin, end, (*path, stay.parent)))
    ordered = sorted(steps.values(), key=lambda s: index.sort_key(index.events[s.hash_id]))
    return Journey(start, tuple(ordered), tuple(stays), tuple(problems))


def last_seen(index: TraceIndex, identifier: str) -> Sighting | None:
    """The latest step of the identifier's journey that states a location (``None`` if none does)."""
    for step in reversed(journey(index, identifier).steps):
        if step.location:
            return step
    return None
