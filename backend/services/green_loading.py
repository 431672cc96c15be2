"""Which stored events each green view needs, loaded into one trace index (bounded; the answer says when cut short).

* a manufacturer's supplier list and report: its transformation and receiving events (in the period, for the
  report), and everything upstream of what they name (makers, suppliers' shipping events, inputs' inputs), loaded
  in "upstream" roles only (never the other uses of an input);
* the impact of a recognition: every event naming what its holder made, the containers those travelled in, and
  every event of everything that reached downstream.

Each walk repeats until the rule's answer names no identifier whose events are still unloaded. Beyond the
organisation's own events, only those of the items' chain of custody naming few identifiers are read
(:mod:`backend.services.custody`); the others are counted in ``summarised``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from backend.services.custody import Selection, counts_of
from backend.services.damage import stored_document
from backend.services.queries import EI, EV
from backend.services.tracing import UPSTREAM_ROLES
from supplychain.epcis import parse_event
from supplychain.epcis.columns import indexed_columns
from supplychain.green import RECEIVING_STEPS, lapse_impact
from supplychain.registry import RegistryMirror
from supplychain.signing import cited_recognition
from supplychain.trace import TracedEvent, TraceIndex

__all__ = ["GREEN_MAX_EVENTS", "EventSet", "event_ids", "holder_events", "identifiers_of", "organisation_events"]

GREEN_MAX_EVENTS = 20_000
_CHUNK = 500
_ALL, _UP = "all", "upstream"


class EventSet:
    """Stored events loaded on demand into one trace index (at most ``max_events``).

    The organisation's own events are loaded as given (:meth:`add`); what :meth:`expand` reaches from them is what
    :class:`backend.services.custody.Selection` admits: events of the items' chain of custody (the organisation
    seeds it) naming at most ``MAX_EVENT_IDENTIFIERS`` identifiers. The rest is counted, never read, so what other
    organisations post about the same items costs a bounded amount.

    Attributes:
        records: The loaded events by row id.
        truncated: Some events were left out because ``max_events`` was reached (the walk stops; the answer also
            says ``truncated`` when an item was named by more events in one role than ``MAX_MENTIONS``).
        selection: What :meth:`expand` looked at, and the custody.
        damaged: How many events were left out because their stored record does not read (reported to the
            platform: :mod:`backend.services.damage`).
        citations: For each loaded event whose signed document cites a recognition (by Event Hash ID): the
            recognition (:func:`supplychain.signing.cited_recognition`), the signer and the event time (ms, as
            :func:`supplychain.epcis.columns.indexed_columns` derives it): read from the signed document, as the
            audit reads them, never from the stored ``recognition_*`` columns.
    """

    def __init__(self, session: Session, *, max_events: int = GREEN_MAX_EVENTS, seeds: Iterable[str] = ()) -> None:
        self.session = session
        self.max_events = max_events
        self.records: dict[int, TracedEvent] = {}
        self.truncated = False
        self.selection = Selection(session, seeds=seeds)
        self._expanded: dict[str, str] = {}
        self._index: TraceIndex | None = None
        self.damaged = 0  # events whose stored document or columns do not read (left out, reported)
        self.citations: dict[str, tuple[int | str, str, int | None]] = {}

    def add(self, ids: Iterable[int]) -> int:
        """Load these events (by row id); returns how many were new."""
        fresh = sorted(set(ids) - self.records.keys())
        room = self.max_events - len(self.records)
        if len(fresh) > room:
            self.truncated = True
            fresh = fresh[: max(room, 0)]
        for start in range(0, len(fresh), _CHUNK):
            chunk = fresh[start : start + _CHUNK]
            rows = self.session.execute(
                select(EV.c.id, EV.c.hash_id, EV.c.org_id, EV.c.event_time, EV.c.received_at, EV.c.document).where(
                    EV.c.id.in_(chunk)
                )
            )
            for row in rows:
                document = stored_document(self.session, row)
                if document is None:  # reported (backend.services.damage); the views go on without it
                    self.damaged += 1
                    continue
                self.records[row.id] = TracedEvent(row.hash_id, row.org_id, parse_event(document))
                cited = cited_recognition(document)
                if cited is not None:
                    self.citations[row.hash_id] = (cited, row.org_id, indexed_columns(document).event_time)
        if fresh:
            self._index = None
        return len(fresh)

    def expand(self, wanted: Mapping[str, str]) -> int:
        """Load the events naming each node that count (:class:`~backend.services.custody.Selection`): in any role
        (``"all"``) or in an upstream one; returns how many were new."""
        nodes: dict[str, Sequence[str] | None] = {}
        for node, scope in wanted.items():
            if self._expanded.get(node) not in (_ALL, scope):
                nodes[node] = None if scope == _ALL else UPSTREAM_ROLES
                self._expanded[node] = scope
        if not nodes:
            return 0
        self.selection.look(nodes)
        return self.add(self.selection.admitted())

    def index(self) -> TraceIndex:
        """The trace index over what is loaded (rebuilt only after new events)."""
        if self._index is None:
            self._index = TraceIndex.build(self.records[i] for i in sorted(self.records))
        return self._index

    def settle(self, ask: Callable[[TraceIndex], Mapping[str, str]]) -> TraceIndex:
        """Load what ``ask`` names from the index, again and again, until it names nothing new."""
        while not self.truncated and self.expand(ask(self.index())):
            pass
        return self.index()

    def limits_json(self) -> dict[str, Any]:
        """How much was loaded, whether a bound cut it short, and how many events naming what was walked were left
        out, by reason (``outside_custody``, ``too_many_identifiers``)."""
        left_out = self.selection.summaries((), loaded=self.records)
        return {
            "eventsLoaded": len(self.records),
            "maxEvents": self.max_events,
            "truncated": self.truncated or self.selection.truncated,
            "summarised": counts_of(left_out),
            **({"damaged": damaged} if (damaged := self.damaged + len(self.selection.damaged)) else {}),
        }


def event_ids(session: Session, *conditions: Any) -> list[int]:
    """Row ids of the stored events meeting every condition, in storage order."""
    return [i for (i,) in session.execute(select(EV.c.id).where(*conditions).order_by(EV.c.id))]


def identifiers_of(session: Session, ids: list[int]) -> list[str]:
    """Every identifier these events name (in any role), each once."""
    found: dict[str, None] = {}
    for start in range(0, len(ids), _CHUNK):
        stmt = select(EI.c.identifier).where(EI.c.event_id.in_(ids[start : start + _CHUNK]))
        found.update(dict.fromkeys(i for (i,) in session.execute(stmt)))
    return list(found)


def organisation_events(
    session: Session,
    org_id: str,
    *,
    start: int | None = None,
    end: int | None = None,
    max_events: int = GREEN_MAX_EVENTS,
) -> tuple[EventSet, TraceIndex]:
    """The manufacturer's transformation and receiving events (``[start, end)`` seconds) and all upstream of them."""
    conditions = [
        EV.c.org_id == org_id,
        or_(EV.c.event_type == "TransformationEvent", EV.c.biz_step.in_(sorted(RECEIVING_STEPS))),
    ]
    if start is not None and end is not None:
        conditions += [EV.c.event_time >= start * 1000, EV.c.event_time < end * 1000]
    ids = event_ids(session, *conditions)
    events = EventSet(session, max_events=max_events, seeds=[org_id])
    events.add(ids)
    starts = identifiers_of(session, ids)

    def ask(index: TraceIndex) -> dict[str, str]:
        wanted: dict[str, str] = {}
        for node in starts:
            for n in index.backward(node).nodes():
                if not (n.repeated or n.cycle):
                    wanted[n.identifier] = _UP
        return wanted

    return events, events.settle(ask)


def holder_events(
    session: Session, mirror: RegistryMirror, recognition_id: int, *, load: bool = True
) -> tuple[EventSet, TraceIndex]:
    """What the impact of a recognition needs: the holder's own commissioning and transforming events, every event
    naming what it made and the containers those were in, and every event of everything its lapse reached
    (nothing when ``load`` is false: a recognition still in force impacts nothing)."""
    if not load:
        events = EventSet(session)
        return events, events.index()
    holder = mirror.recognitions[recognition_id].terms.holder
    events = EventSet(session, seeds=[holder])
    kinds = EV.c.event_type.in_(("ObjectEvent", "TransformationEvent"))
    events.expand({n: _ALL for n in identifiers_of(session, event_ids(session, EV.c.org_id == holder, kinds))})

    def ask(index: TraceIndex) -> dict[str, str]:
        wanted = {n: _ALL for n in index.made_by(holder)}
        for n in index.made_by(holder):
            wanted.update({c.parent: _ALL for c in index.journey(n).containments})
        wanted.update({i.identifier: _ALL for i in lapse_impact(index, mirror, recognition_id).items})
        return wanted

    return events, events.settle(ask)
