"""The trace index: events read once into adjacency lists, so that every query is a graph walk."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from supplychain.epcis import (
    Action,
    AggregationEvent,
    AssociationEvent,
    Event,
    ObjectEvent,
    QuantityElement,
    TransformationEvent,
)
from supplychain.trace._model import (
    Edge,
    IdentifierKind,
    Origin,
    Relation,
    Sighting,
    TracedEvent,
    gtin_of,
    identifier_kind,
    node_id,
)

if TYPE_CHECKING:
    from supplychain.trace._journey import Journey
    from supplychain.trace._walk import BackwardTrace, ForwardTrace

__all__ = ["Consumption", "Packing", "TraceIndex", "Transformation"]

Number = int | float


@dataclass(frozen=True, slots=True)
class Consumption:
    """One input (or output) of a transformation: the node, its quantity and the event that lists it."""

    node: str
    quantity: Number | None
    uom: str | None
    hash_id: str
    event_time: datetime
    organisation_id: str


@dataclass(frozen=True, slots=True)
class Transformation:
    """A transformation: one TransformationEvent, or all events sharing one ``transformationID``.

    Every input of a transformation went into every output (EPCIS 2.0 §7.4.6).
    """

    key: str
    hash_ids: tuple[str, ...]
    inputs: tuple[Consumption, ...]
    outputs: tuple[Consumption, ...]


@dataclass(frozen=True, slots=True)
class Packing:
    """A child put into (``ADD``, ``OBSERVE``) or taken out of (``DELETE``) a parent.

    ``child`` is ``None`` for a ``DELETE`` that lists no children: it empties the parent.
    """

    parent: str
    child: str | None
    action: Action
    hash_id: str
    event_time: datetime


def _elements(
    epcs: Iterable[str], quantities: Iterable[QuantityElement]
) -> list[tuple[str, Number | None, str | None]]:
    items: list[tuple[str, Number | None, str | None]] = [(node_id(e), 1, None) for e in epcs]
    items += [(node_id(q.epc_class), q.quantity, q.uom) for q in quantities]
    return items


def _lot_number(ilmd: Mapping[str, Any] | None) -> str | None:
    """The ILMD ``lotNumber`` (any prefix: ``cbvmda:lotNumber``, a full URI) when it is a non-empty string."""
    for key, value in (ilmd or {}).items():
        local = key.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1]
        if local == "lotNumber" and isinstance(value, str) and value:
            return value
    return None


def lots_of(epcs: Iterable[str], ilmd: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Lot node (``/01/{GTIN}/10/{lot}``) -> its serials among ``epcs``, when the ILMD names a lot (one per GTIN)."""
    lot = _lot_number(ilmd)
    found: dict[str, list[str]] = {}
    if lot is None:
        return found
    for epc in epcs:
        serial = node_id(epc)
        gtin = gtin_of(serial)
        if gtin is not None and identifier_kind(serial) is IdentifierKind.SERIAL:
            found.setdefault(node_id(f"https://id.gs1.org/01/{gtin}/10/{quote(lot, safe='')}"), []).append(serial)
    return found


class TraceIndex:
    """The product genealogy of a set of events, indexed once; queries walk it.

    Build with :meth:`build`; events with the same Event Hash ID are one event (the first record wins). Nodes
    are identifiers normalised by :func:`~supplychain.trace.node_id`. Links (see
    :class:`~supplychain.trace.Relation`): a TransformationEvent links each input to each output (all events
    of one ``transformationID`` together); an AggregationEvent / AssociationEvent ``ADD`` or ``OBSERVE``
    links each child to its parent (``DELETE`` only ends the containment, for journeys); a serial commissioned
    by an ObjectEvent ``ADD`` with an ILMD ``lotNumber`` is linked to its lot (``/01/{GTIN}/10/{lot}``: the
    lot's trace reaches its serials), and a TransformationEvent whose serial outputs carry an ILMD
    ``lotNumber`` also outputs that lot. Creation events (:class:`~supplychain.trace.Origin`): ObjectEvent
    ``ADD`` commissions its EPCs and classes (and the lot its ILMD names), a TransformationEvent makes its outputs,
    a packing ``ADD`` makes its parent. Events carrying an ``errorDeclaration`` are indexed like any other (their
    content is the original event's).
    """

    def __init__(self) -> None:
        """An empty index; use :meth:`build`."""
        self.events: dict[str, TracedEvent] = {}
        self._order: dict[str, int] = {}
        self._mentions: dict[str, list[str]] = {}
        self._origins: dict[str, list[Origin]] = {}
        self._back: dict[str, list[Edge]] = {}
        self._fwd: dict[str, list[Edge]] = {}
        self._edge_keys: set[tuple[str, str, Relation, bool]] = set()
        self._made_by: dict[str, list[Transformation]] = {}
        self._used_by: dict[str, list[Transformation]] = {}
        self._packings: dict[str, list[Packing]] = {}
        self._unpack_all: dict[str, list[Packing]] = {}
        self._by_maker: dict[str, dict[str, None]] = {}

    @classmethod
    def build(cls, events: Iterable[TracedEvent]) -> TraceIndex:
        """Index ``events`` (any order; they are taken in event-time order, ties in the order given)."""
        index = cls()
        for record in events:
            if record.hash_id not in index.events:
                index._order[record.hash_id] = len(index.events)
                index.events[record.hash_id] = record
        ordered = sorted(index.events.values(), key=index.sort_key)
        groups: dict[str, tuple[list[str], list[Consumption], list[Consumption]]] = {}
        for record in ordered:
            index._add(record, groups)
        for key, (hashes, inputs, outputs) in groups.items():
            index._add_transformation(Transformation(key, tuple(hashes), tuple(inputs), tuple(outputs)))
        return index

    def sort_key(self, record: TracedEvent) -> tuple[datetime, int]:
        """Time order of events, ties broken by the order they were given in."""
        return record.event.event_time, self._order[record.hash_id]

    # --- building ---

    def _mention(self, record: TracedEvent, nodes: Iterable[str]) -> None:
        for node in dict.fromkeys(nodes):
            self._mentions.setdefault(node, []).append(record.hash_id)

    def _origin(self, node: str, record: TracedEvent, how: str) -> None:
        origin = Origin(record.hash_id, record.organisation_id, record.event.event_time, how)
        self._origins.setdefault(node, []).append(origin)
        if how != "packed":
            self._by_maker.setdefault(record.organisation_id, {})[node] = None

    def _connect(
        self,
        source: tuple[str, Number | None, str | None],
        target: tuple[str, Number | None, str | None],
        relation: Relation,
        back_hash: str,
        fwd_hash: str,
    ) -> None:
        back = Edge(source[0], relation, back_hash, source[1], source[2])
        fwd = Edge(target[0], relation, fwd_hash, target[1], target[2])
        key = (source[0], target[0], relation, True)
        if key in self._edge_keys:
            return
        self._edge_keys.add(key)
        self._back.setdefault(target[0], []).append(back)
        self._fwd.setdefault(source[0], []).append(fwd)

    def _lot_links(self, record: TracedEvent, lots: Mapping[str, list[str]]) -> None:
        for lot_node, serials in lots.items():
            for serial in serials:
                self._connect((lot_node, None, None), (serial, 1, None), Relation.LOT, record.hash_id, record.hash_id)

    def _add(
        self, record: TracedEvent, groups: dict[str, tuple[list[str], list[Consumption], list[Consumption]]]
    ) -> None:
        event: Event = record.event
        if isinstance(event, TransformationEvent):
            inputs = _elements(event.input_epc_list, event.input_quantity_list)
            outputs = _elements(event.output_epc_list, event.output_quantity_list)
            lots = lots_of(event.output_epc_list, event.ilmd)
            self._mention(record, [n for n, _, _ in inputs + outputs] + list(lots))
            hashes, ins, outs = groups.setdefault(event.transformation_id or record.hash_id, ([], [], []))
            hashes.append(record.hash_id)
            t, org = event.event_time, record.organisation_id
            named = {n for n, _, _ in outputs}
            outputs += [(lot, None, None) for lot in lots if lot not in named]
            ins += [Consumption(n, q, u, record.hash_id, t, org) for n, q, u in inputs]
            outs += [Consumption(n, q, u, record.hash_id, t, org) for n, q, u in outputs]
            for node, _, _ in outputs:
                self._origin(node, record, "transformed")
        elif isinstance(event, AggregationEvent | AssociationEvent):
            children = _elements(event.child_epcs, event.child_quantity_list)
            parent = node_id(event.parent_id) if event.parent_id else None
            self._mention(record, ([parent] if parent else []) + [n for n, _, _ in children])
            if parent is not None:
                self._pack(record, event, parent, children)
        else:
            items = _elements(event.epc_list, event.quantity_list)
            parent = node_id(event.parent_id) if not isinstance(event, ObjectEvent) and event.parent_id else None
            lots = lots_of(event.epc_list, event.ilmd) if isinstance(event, ObjectEvent) else {}
            self._mention(record, ([parent] if parent else []) + [n for n, _, _ in items] + list(lots))
            if isinstance(event, ObjectEvent) and event.action is Action.ADD:
                for node in dict.fromkeys([n for n, _, _ in items] + list(lots)):  # a lot its ILMD names is made too
                    self._origin(node, record, "commissioned")
                self._lot_links(record, lots)

    def _pack(
        self,
        record: TracedEvent,
        event: AggregationEvent | AssociationEvent,
        parent: str,
        children: list[tuple[str, Number | None, str | None]],
    ) -> None:
        relation = Relation.AGGREGATION if isinstance(event, AggregationEvent) else Relation.ASSOCIATION
        t = event.event_time
        if event.action is Action.ADD:
            self._origin(parent, record, "packed")
        if event.action is Action.DELETE and not children:
            self._unpack_all.setdefault(parent, []).append(Packing(parent, None, event.action, record.hash_id, t))
        for child in children:
            self._packings.setdefault(child[0], []).append(Packing(parent, child[0], event.action, record.hash_id, t))
            if event.action is not Action.DELETE:
                self._connect(child, (parent, 1, None), relation, record.hash_id, record.hash_id)

    def _add_transformation(self, transformation: Transformation) -> None:
        for output in transformation.outputs:
            self._made_by.setdefault(output.node, []).append(transformation)
        for item in transformation.inputs:
            self._used_by.setdefault(item.node, []).append(transformation)
        for item in transformation.inputs:
            for output in transformation.outputs:
                self._connect(
                    (item.node, item.quantity, item.uom),
                    (output.node, output.quantity, output.uom),
                    Relation.TRANSFORMATION,
                    item.hash_id,
                    output.hash_id,
                )

    # --- lookups ---

    def __len__(self) -> int:
        """Number of distinct events."""
        return len(self.events)

    def has_node(self, node: str) -> bool:
        """Whether an event mentions ``node`` (already normalised)."""
        return node in self._mentions

    def __contains__(self, identifier: object) -> bool:
        """Whether an event mentions ``identifier`` (any spelling that normalises to a node)."""
        return isinstance(identifier, str) and node_id(identifier) in self._mentions

    @property
    def nodes(self) -> frozenset[str]:
        """Every identifier some event mentions."""
        return frozenset(self._mentions)

    def mentions(self, node: str) -> list[TracedEvent]:
        """Events naming ``node`` directly (in any list or as parent), in time order."""
        return [self.events[h] for h in self._mentions.get(node, ())]

    def origins(self, node: str) -> tuple[Origin, ...]:
        """Events that created ``node``, oldest first."""
        return tuple(self._origins.get(node, ()))

    def made_by(self, organisation_id: str) -> tuple[str, ...]:
        """Nodes the organisation commissioned or produced in a transformation, in time order."""
        return tuple(self._by_maker.get(organisation_id, ()))

    def backward_edges(self, node: str) -> tuple[Edge, ...]:
        """What went into ``node``: inputs, packed children, its lot."""
        return tuple(self._back.get(node, ()))

    def forward_edges(self, node: str) -> tuple[Edge, ...]:
        """What ``node`` went into: outputs, parents, the serials of a lot."""
        return tuple(self._fwd.get(node, ()))

    def transformations_making(self, node: str) -> tuple[Transformation, ...]:
        """Transformations with ``node`` among their outputs."""
        return tuple(self._made_by.get(node, ()))

    def transformations_using(self, node: str) -> tuple[Transformation, ...]:
        """Transformations with ``node`` among their inputs."""
        return tuple(self._used_by.get(node, ()))

    def packings(self, child: str) -> tuple[Packing, ...]:
        """Packing and unpacking events naming ``child``, in time order."""
        return tuple(self._packings.get(child, ()))

    def unpackings_of_all(self, parent: str) -> tuple[Packing, ...]:
        """``DELETE`` events that emptied ``parent`` (no children listed), in time order."""
        return tuple(self._unpack_all.get(parent, ()))

    # --- queries (see the modules that implement them) ---

    def backward(self, identifier: str) -> BackwardTrace:
        """Everything that went into ``identifier``; see :func:`supplychain.trace.backward_trace`."""
        from supplychain.trace._walk import backward_trace

        return backward_trace(self, identifier)

    def forward(self, identifier: str) -> ForwardTrace:
        """Everything ``identifier`` went into; see :func:`supplychain.trace.forward_trace`."""
        from supplychain.trace._walk import forward_trace

        return forward_trace(self, identifier)

    def journey(self, identifier: str) -> Journey:
        """The events of ``identifier`` and of its containers; see :func:`supplychain.trace.journey`."""
        from supplychain.trace._journey import journey

        return journey(self, identifier)

    def last_seen(self, identifier: str) -> Sighting | None:
        """Where ``identifier`` was last seen; see :func:`supplychain.trace.last_seen`."""
        from supplychain.trace._journey import last_seen

        return last_seen(self, identifier)
