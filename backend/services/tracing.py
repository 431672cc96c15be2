"""Trace queries and proof bundles over the stored events, without ever loading the whole store.

A trace needs only the events around one product. :class:`SubgraphLoader` walks ``event_identifier`` from the
traced identifier outwards and parses only the events it reaches (at most ``max_events``, else the result says
``truncated``); a :class:`~supplychain.trace.TraceIndex` over that subset answers the query. For the product's
story (backward trace, journey, proof bundle, product page) it reads only what :mod:`backend.services.custody`
selects: the events of the product's chain of custody that name at most ``MAX_EVENT_IDENTIFIERS`` identifiers;
the others are *summarised* (counted, and listed by reference in the bundle), so what other organisations post
costs a bounded amount. The forward trace (a recall list) reads every event it reaches, as before. The walk repeats
until the query's answer names no identifier whose events are still unloaded:

* backward: every event naming the product itself; for each upstream node, only the events that can create it
  or list what went into it (roles ``epc``, ``class``, ``parent``, ``output``, ``output_class``, ``lot``), never
  the events that *used* it, so a raw material lot used by a million products costs nothing;
* journey: every event of the product and of each container it was in;
* forward (recall list): every event of every node reached.

Each round first follows the stored links alone (``event_identifier`` rows of the events just loaded: e.g. the
inputs of an event that outputs a traced node), which needs no index; the index is rebuilt only when those guesses
run out, and the query's real answer decides whether another round is needed (lots from ILMD, transformation IDs).
Parsed events are kept per process (LRU of 20,000): a stored event never changes.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session

from backend.core.errors import P_, NotFoundError
from backend.services.capture import event_identifiers
from backend.services.custody import (
    MAX_EVENT_IDENTIFIERS,
    MAX_LISTED_SUMMARIES,
    MAX_MENTIONS,
    Selection,
    Summary,
    counts_of,
    references,
)
from backend.services.damage import Damaged, event_damage, identifier_problem, met_in, report, stored_anchor
from backend.services.links import identifier_links
from backend.services.masterdata import bundle_master_data
from backend.services.queries import EI, EV, anchor_json, batches_of, envelope_of, iso_ms, normalise_identifier
from supplychain.epcis import Event, parse_event
from supplychain.trace import (
    BackwardTrace,
    ForwardTrace,
    Journey,
    Sighting,
    TracedEvent,
    TraceIndex,
    TraceNode,
    TraceProblem,
    identifier_kind,
    node_id,
)
from supplychain.verify import BundleEvent, ProofBundle, product_gtin

__all__ = [
    "MAX_EVENTS",
    "MAX_EVENT_IDENTIFIERS",
    "MAX_LISTED_SUMMARIES",
    "MAX_MENTIONS",
    "UPSTREAM_ROLES",
    "BundleResult",
    "SubgraphLoader",
    "backward_json",
    "bundle_of",
    "forward_json",
    "journey_json",
    "proof_bundle",
    "resolve_identifier",
]

MAX_EVENTS = 5000
UPSTREAM_ROLES = ("epc", "class", "parent", "output", "output_class", "lot")
_CHUNK = 500
_ALL = "all"
_UP = "upstream"
_LOADED_COLUMNS = (
    "id", "hash_id", "org_id", "key_id", "signature", "event_type", "event_time", "biz_step", "biz_location",
    "read_point", "received_at", "capture_id", "document", "batch_id", "leaf_index", "proof",
)  # fmt: skip


def _chunks(values: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


@dataclass(frozen=True)
class _Rule:
    """How a walk guesses its next identifiers from stored links: in an event where an identifier it walks has a
    ``trigger`` role, the identifiers with a ``follow`` role come next (loaded in ``scope``)."""

    trigger: frozenset[str]
    follow: frozenset[str]
    scope: str


_BACKWARD = _Rule(frozenset({"output", "output_class", "parent"}), frozenset({"input", "input_class", "child"}), _UP)
_JOURNEY = _Rule(frozenset({"child"}), frozenset({"parent"}), _ALL)
_FORWARD = _Rule(frozenset({"input", "input_class", "child"}), frozenset({"output", "output_class", "parent"}), _ALL)
_PARSED: OrderedDict[str, Event] = OrderedDict()
_PARSED_MAX = 20_000
_PARSED_LOCK = threading.Lock()


def _parsed(document: str) -> Event:
    """The parsed event of a stored document; stored events never change, so parses are kept (LRU, per process)."""
    with _PARSED_LOCK:
        event = _PARSED.get(document)
        if event is not None:
            _PARSED.move_to_end(document)
            return event
    event = parse_event(json.loads(document))
    with _PARSED_LOCK:
        _PARSED[document] = event
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return event


_LINKS: OrderedDict[str, frozenset[tuple[str, str]]] = OrderedDict()
_LINKS_LOCK = threading.Lock()


def _derived_links(document: str, event: Event) -> frozenset[tuple[str, str]]:
    """The identifier rows a stored event's signed document gives (``capture.event_identifiers``), kept per process
    like the parsed events (LRU of 20,000): a stored event never changes."""
    with _LINKS_LOCK:
        found = _LINKS.get(document)
        if found is not None:
            _LINKS.move_to_end(document)
            return found
    found = frozenset(event_identifiers(event))
    with _LINKS_LOCK:
        _LINKS[document] = found
        if len(_LINKS) > _PARSED_MAX:
            _LINKS.popitem(last=False)
    return found


def resolve_identifier(session: Session, identifier: str, parameter: str = "id") -> str:
    """The graph node of an identifier the store has seen.

    Raises:
        BadParameterError: Not an EPC URN or Digital Link (nor any URI).
        NotFoundError: No stored event names it.
    """
    node = node_id(normalise_identifier(identifier, parameter))
    seen = session.execute(select(EI.c.event_id).where(EI.c.identifier == node).limit(1)).first()
    if seen is None:
        raise NotFoundError(P_("no stored event names {identifier}", identifier=node), identifier=node)

    return node


class SubgraphLoader:
    """Loads the events around some identifiers on demand, remembering what it loaded (see the module docstring).

    Attributes:
        rows: Stored rows of the loaded events (their columns; documents apart), by Event Hash ID.
        full: ``max_events`` were loaded: the walk stopped there.
        selection: What was looked at and who the custodians are (``None`` for the unbounded forward walk).
        damaged: Events met whose stored columns or document do not read (left out; see
            :mod:`backend.services.damage`), and anchors that do not read (the event kept, without its proof).
    """

    def __init__(
        self, session: Session, *, max_events: int = MAX_EVENTS, custody: bool = True, max_mentions: int = MAX_MENTIONS
    ) -> None:
        self.session = session
        self.max_events = max_events
        self.rows: dict[str, Row[Any]] = {}
        self.full = False
        self.selection = Selection(session, max_mentions=max_mentions) if custody else None
        self._documents: dict[str, str] = {}
        self._links: dict[int, list[tuple[str, str]]] = {}
        self._records: list[TracedEvent] = []
        self._ids: set[int] = set()
        self._expanded: dict[str, str] = {}
        self._started: list[str] = []
        self._summaries: list[Summary] | None = None
        self._index: TraceIndex | None = None
        self.damaged: list[Damaged] = []

    @property
    def truncated(self) -> bool:
        """Some events were left out by a bound: ``max_events``, or an item named by more events than were looked
        at (``MAX_MENTIONS`` per role); not by the custody."""
        return self.full or (self.selection is not None and self.selection.truncated)

    def _missing(self, wanted: dict[str, str]) -> dict[str, str]:
        """The nodes of ``wanted`` whose events (in that scope) are not loaded yet."""
        return {n: s for n, s in wanted.items() if self._expanded.get(n) not in (_ALL, s)}

    def _candidates(self, groups: dict[str, list[str]]) -> list[int]:
        """Row ids of the events to read for these nodes (the custody's selection, else every event naming one)."""
        if self.selection is not None:
            self.selection.look(
                {n: None if scope == _ALL else UPSTREAM_ROLES for scope in groups for n in groups[scope]}
            )
            return [i for i in self.selection.admitted() if i not in self._ids]
        new: list[int] = []
        for scope, nodes in groups.items():
            for chunk in _chunks(nodes):
                stmt = select(EI.c.event_id).where(EI.c.identifier.in_(chunk))
                if scope == _UP:
                    stmt = stmt.where(EI.c.role.in_(UPSTREAM_ROLES))
                new += [i for (i,) in self.session.execute(stmt) if i not in self._ids]
        return new

    def load(self, wanted: dict[str, str]) -> list[int]:
        """Load the events naming each node (``"all"`` roles or ``"upstream"`` ones); returns the new events' ids."""
        groups: dict[str, list[str]] = {_ALL: [], _UP: []}
        for node, scope in self._missing(wanted).items():
            groups[scope].append(node)
            self._expanded[node] = scope
        fresh = sorted(set(self._candidates(groups)))
        self._summaries = None
        room = self.max_events - len(self._ids)
        if len(fresh) > room:
            self.full = True
            fresh = fresh[: max(room, 0)]
        if not fresh:
            return []
        known = self.selection.rows if self.selection is not None else {}  # their columns, read already
        columns = [EV.c.id, EV.c.document] if known else [EV.c[name] for name in _LOADED_COLUMNS]
        loaded: list[tuple[Row[Any], str]] = []
        for chunk in _chunks(fresh):
            for row in self.session.execute(select(*columns).where(EV.c.id.in_(chunk))):
                loaded.append((known.get(row.id, row), row.document))
            links = select(EI.c.event_id, EI.c.identifier, EI.c.role).where(EI.c.event_id.in_(chunk))
            for event_id, identifier, role in self.session.execute(links):
                self._links.setdefault(event_id, []).append((identifier, role))
        loaded.sort(key=lambda r: r[0].id)
        for event_id in set(fresh) - {row.id for row, _ in loaded}:  # named by rows, not stored: left out
            self._ids.add(event_id)
            self.damaged.append(
                report(self.session, "event_identifier", f"event row {event_id}", "event_id", "names no stored event")
            )
        for row, document in loaded:
            self._ids.add(row.id)
            event = self._readable(row, document)
            if event is None:
                continue
            self._check_links(row, document, event)
            self.rows[row.hash_id] = row
            self._documents[row.hash_id] = document
            self._records.append(TracedEvent(row.hash_id, row.org_id, event))
        self._index = None
        return fresh

    def _readable(self, row: Row[Any], document: str) -> Event | None:
        """The parsed event of a loaded row, or ``None`` when its columns or document do not read (reported in
        :attr:`damaged` and to the platform: the walk goes on without it)."""
        damaged = event_damage(self.session, row)
        if damaged is None:
            try:
                return _parsed(document)
            except (ValueError, TypeError, KeyError, AttributeError) as exc:  # not JSON, or not an EPCIS event
                damaged = report(self.session, "event", row.hash_id, "document", f"not a readable event: {exc}")
        self.damaged.append(damaged)
        return None

    def _check_links(self, row: Row[Any], document: str, event: Event) -> None:
        """Report a loaded event whose stored identifier rows (or their count) are not what its signed document
        names: the event is kept (its signed data is whole), but what it names may not find it."""
        derived = _derived_links(document, event)
        problem = identifier_problem(set(self._links.get(row.id, ())), derived)
        if problem is not None:
            self.damaged.append(report(self.session, "event_identifier", row.hash_id, "identifier", problem))
        count = getattr(row, "identifier_count", None)
        if count is not None and count != len(derived):
            reason = f"{count!r:.20}, while the signed document names {len(derived)} identifiers"
            self.damaged.append(report(self.session, "event", row.hash_id, "identifier_count", reason))

    @property
    def all_damaged(self) -> list[Damaged]:
        """Every damaged record met: events the walk could not read, and (:meth:`note`) anchors."""
        looked = self.selection.damaged if self.selection is not None else []
        return list({(d.table, d.key, d.column): d for d in looked + self.damaged}.values())

    def _prefetch(self, wanted: dict[str, str], rule: _Rule) -> None:
        """Load ``wanted``, then follow ``rule`` over the identifier links of each new event (no index rebuilds)."""
        frontier = wanted
        while frontier and not self.full:
            follow: dict[str, str] = {}
            for event_id in self.load(frontier):
                links = self._links.get(event_id, [])
                if any(role in rule.trigger and self._expanded.get(i) for i, role in links):
                    follow.update({i: rule.scope for i, role in links if role in rule.follow})
            frontier = self._missing(follow)

    def index(self) -> TraceIndex:
        """The trace index over what is loaded (rebuilt only after new events)."""
        if self._index is None:
            self._index = TraceIndex.build(self._records)
        return self._index

    def document(self, hash_id: str) -> dict[str, Any]:
        """A loaded event's JSON-LD as received."""
        return dict(json.loads(self._documents[hash_id]))

    def summaries(self) -> list[Summary]:
        """The events looked at and left out (outside the custody, or naming too many identifiers), those naming a
        walk's start first (see :meth:`backend.services.custody.Selection.summaries`)."""
        if self.selection is None:
            return []
        if self._summaries is None:  # until the next load
            self._summaries = self.selection.summaries(self._started, loaded=self._ids)
        return self._summaries

    def settle(self, start: str, ask: Callable[[TraceIndex], dict[str, str]], rule: _Rule) -> TraceIndex:
        """Load ``start``'s events and follow ``rule``; then whatever ``ask`` names from the index, until nothing new.

        ``rule`` guesses the next identifiers from the stored links alone (cheap); ``ask`` reads the real answer
        from a trace index over what is loaded, and decides when the walk is complete.
        """
        self._started.append(start)
        self._summaries = None
        wanted = {start: _ALL}
        while True:
            self._prefetch(wanted, rule)
            index = self.index()
            wanted = {} if self.full else self._missing(ask(index))
            if not wanted:
                return index

    # --- the three walks ---

    def backward(self, start: str) -> BackwardTrace:
        """The backward trace of ``start`` over the events it needs.

        For the product's story (custody), the journey is walked too: custody passes with the containers an item
        travelled in, so the product's chain of custody (and what is left out) is the same whichever walk is asked.
        """

        def ask(index: TraceIndex) -> dict[str, str]:
            trace = index.backward(start)
            return {n.identifier: _UP for n in trace.nodes() if n.depth and not (n.repeated or n.cycle)}

        index = self.settle(start, ask, _BACKWARD)
        if self.selection is not None:
            self.journey(start)
            index = self.index()
        return index.backward(start)

    def journey(self, start: str) -> Journey:
        """The journey of ``start`` over its events and its containers'."""

        def ask(index: TraceIndex) -> dict[str, str]:
            return {c.parent: _ALL for c in index.journey(start).containments}

        return self.settle(start, ask, _JOURNEY).journey(start)

    def forward(self, start: str) -> ForwardTrace:
        """The forward trace (recall list) of ``start`` over every event of every node it reached."""

        def ask(index: TraceIndex) -> dict[str, str]:
            return {n.identifier: _ALL for n in index.forward(start).root.walk() if not (n.repeated or n.cycle)}

        return self.settle(start, ask, _FORWARD).forward(start)

    # --- JSON ---

    def events_json(self, hash_ids: Iterable[str]) -> list[dict[str, Any]]:
        """Summaries of loaded events (hash, signer, time, type, bizStep, location, anchor), in time order."""
        rows = [self.rows[h] for h in dict.fromkeys(hash_ids) if h in self.rows]
        rows.sort(key=lambda r: (r.event_time, r.id))
        batches = batches_of(self.session, rows)
        return [
            {
                "eventHashId": r.hash_id,
                "organisationId": r.org_id,
                "eventType": r.event_type,
                "eventTime": iso_ms(r.event_time),
                "bizStep": r.biz_step,
                "bizLocation": r.biz_location,
                "readPoint": r.read_point,
                "anchor": anchor_json(r, batches.get(r.batch_id) if r.batch_id is not None else None),
            }
            for r in rows
        ]

    def limits_json(self) -> dict[str, Any]:
        """How much was loaded, whether a bound cut it short, and (for the product's story) its chain of custody and
        how many events were left out, by reason."""
        out: dict[str, Any] = {
            "eventsLoaded": len(self._ids),
            "maxEvents": self.max_events,
            "truncated": self.truncated,
        }
        if self.selection is not None:
            out["custody"] = list(self.selection.custody.custodians)
            out["summarised"] = counts_of(self.summaries())
        if damaged := self.all_damaged:  # left out: their stored record does not read (backend.services.damage)
            out["damaged"] = [d.to_json() for d in damaged]
        return out


def _time(t: datetime) -> str:
    """RFC 3339 UTC with milliseconds, as in the event summaries."""
    return iso_ms(int(t.timestamp() * 1000)) or ""


def _problems(problems: Iterable[TraceProblem]) -> list[dict[str, Any]]:
    return [
        {"code": p.code, "identifier": p.identifier, "detail": p.detail, "eventHashId": p.hash_id} for p in problems
    ]


def _node_json(root: TraceNode) -> dict[str, Any]:
    """A trace tree as nested JSON (built iteratively: no recursion limit)."""

    def one(n: TraceNode) -> dict[str, Any]:
        return {
            "identifier": n.identifier,
            "kind": n.kind.value,
            "depth": n.depth,
            "relation": n.relation.value if n.relation else None,
            "via": n.via,
            "quantity": n.quantity,
            "uom": n.uom,
            "makers": list(n.makers),
            "origins": [
                {
                    "eventHashId": o.hash_id,
                    "organisationId": o.organisation_id,
                    "eventTime": _time(o.event_time),
                    "how": o.how,
                }
                for o in n.origins
            ],
            "repeated": n.repeated,
            "cycle": n.cycle,
            "children": [],
        }

    top = one(root)
    stack = [(root, top)]
    while stack:
        node, out = stack.pop()
        for child in node.children:
            converted = one(child)
            out["children"].append(converted)
            stack.append((child, converted))
    return top


def _sighting(s: Sighting) -> dict[str, Any]:
    return {
        "identifier": s.identifier,
        "eventHashId": s.hash_id,
        "organisationId": s.organisation_id,
        "eventTime": _time(s.event_time),
        "eventType": s.event_type,
        "bizStep": s.biz_step,
        "stage": s.stage.value,
        "location": s.location,
        "readPoint": s.read_point,
        "bizLocation": s.biz_location,
        "via": s.via,
    }


def backward_json(loader: SubgraphLoader, start: str) -> dict[str, Any]:
    """``GET /trace/backward``: the tree, suppliers, raw materials, problems, and every event it rests on."""
    trace = loader.backward(start)
    return {
        "identifier": trace.identifier,
        "kind": identifier_kind(trace.identifier).value,
        "depth": trace.depth,
        "root": _node_json(trace.root),
        "suppliers": {k: list(v) for k, v in trace.suppliers.items()},
        "rawMaterials": list(trace.raw_materials),
        "problems": _problems(trace.problems),
        "events": loader.events_json(trace.event_ids),
        **loader.limits_json(),
    }


def forward_json(loader: SubgraphLoader, start: str) -> dict[str, Any]:
    """``GET /trace/forward``: the recall list (lots, serials, containers reached), sightings and events."""
    trace = loader.forward(start)
    return {
        "identifier": trace.identifier,
        "kind": identifier_kind(trace.identifier).value,
        "root": _node_json(trace.root),
        "reached": {"lots": list(trace.lots), "serials": list(trace.serials), "containers": list(trace.containers)},
        "locations": list(trace.locations),
        "organisations": list(trace.organisations),
        "sightings": [_sighting(s) for s in trace.sightings],
        "problems": _problems(trace.problems),
        "events": loader.events_json(trace.event_ids),
        **loader.limits_json(),
    }


def journey_json(loader: SubgraphLoader, start: str) -> dict[str, Any]:
    """``GET /trace/journey``: the steps by time (with stage and location), the containers, and the events."""
    trip = loader.journey(start)
    return {
        "identifier": trip.identifier,
        "kind": identifier_kind(trip.identifier).value,
        "steps": [_sighting(s) for s in trip.steps],
        "containments": [
            {
                "child": c.child,
                "parent": c.parent,
                "start": _time(c.start),
                "end": _time(c.end) if c.end else None,
                "packedBy": c.packed_by,
                "unpackedBy": c.unpacked_by,
            }
            for c in trip.containments
        ],
        "organisations": list(trip.organisations),
        "problems": _problems(trip.problems),
        "events": loader.events_json(s.hash_id for s in trip.steps),
        **loader.limits_json(),
    }


@dataclass(frozen=True)
class BundleResult:
    """A proof bundle, whether the event bound cut it short, and the damaged records it had to leave out (events
    whose stored document or columns do not read) or give as not anchored (a proof or batch that does not read)."""

    bundle: ProofBundle
    truncated: bool
    damaged: tuple[Damaged, ...] = ()


def proof_bundle(
    session: Session,
    identifier: str,
    *,
    chain_id: int,
    registry_address: str,
    max_events: int = MAX_EVENTS,
) -> BundleResult:
    """The proof bundle (version 2) of a product: every event of its backward trace and its journey, the current
    master data of its GTIN when its owner published some (with its proof once anchored), and the story links of the
    product's identifier (:func:`backend.services.links.identifier_links`), which show a verifier whether an anchored
    event of it was left out.

    Each event carries its signed envelope, and once anchored its Merkle proof (leaves are
    :func:`~supplychain.merkle.hash_id_to_bytes32` of the Event Hash IDs), root and anchor; pending events carry
    ``null`` for all three (a verifier reports them as not yet anchored). Events outside the product's chain of
    custody, or naming more than ``MAX_EVENT_IDENTIFIERS`` identifiers, are ``summarised``: counted by reason, the
    first ``MAX_LISTED_SUMMARIES`` listed by reference (:mod:`backend.services.custody`).

    Raises:
        BadParameterError: ``identifier`` is no URI.
        NotFoundError: No stored event names it.
    """
    start = resolve_identifier(session, identifier)
    loader = SubgraphLoader(session, max_events=max_events)
    trace = loader.backward(start)
    trip = loader.journey(start)
    bundle = bundle_of(session, loader, start, trace, trip, chain_id=chain_id, registry_address=registry_address)
    damaged = {(d.table, d.key, d.column): d for d in (*loader.all_damaged, *met_in(session))}  # batches too
    return BundleResult(bundle, loader.truncated, tuple(damaged.values()))


def bundle_of(
    session: Session,
    loader: SubgraphLoader,
    node: str,
    backward: BackwardTrace,
    journey: Journey,
    *,
    chain_id: int,
    registry_address: str,
) -> ProofBundle:
    """The proof bundle of ``node`` from what ``loader`` loaded for its backward trace and its journey (the events
    of both, in time order, with their proofs and anchors; see :func:`proof_bundle`)."""
    wanted = list(backward.event_ids) + [s.hash_id for s in journey.steps]
    wanted += [h for c in journey.containments for h in (c.packed_by, c.unpacked_by) if h]
    rows = [loader.rows[h] for h in dict.fromkeys(wanted) if h in loader.rows]
    rows.sort(key=lambda r: (r.event_time, r.id))
    batches = batches_of(session, rows)
    events: list[BundleEvent] = []
    for row in rows:
        batch = batches.get(row.batch_id) if row.batch_id is not None else None
        envelope = envelope_of(row, loader.document(row.hash_id))
        receipt_time = row.received_at // 1000
        anchor = None
        if batch is not None and batch.status == "anchored" and row.proof is not None:
            anchor = stored_anchor(session, row, batch)  # None when damaged: given as not anchored, and reported
            if anchor is None:
                loader.damaged.append(Damaged("event", row.hash_id, "anchor", "its proof or batch does not read"))
        if anchor is None:
            events.append(BundleEvent(envelope, None, None, None, receipt_time))
            continue
        proof, root, claim = anchor
        events.append(BundleEvent(envelope, proof, root, claim, receipt_time))
    master_data = bundle_master_data(session, product_gtin(node))  # the product's name, signed by its owner
    left_out = loader.summaries()  # by reference only: outside the custody, or naming too many identifiers
    listed = tuple(references(session, left_out))
    links = (identifier_links(session, node),)  # the product's chain: a dropped event of it shows as a gap
    return ProofBundle(chain_id, registry_address, node, tuple(events), master_data, listed, counts_of(left_out), links)
