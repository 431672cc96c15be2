"""The records of the trace graph: stored events, identifiers, links, tree nodes, journey steps, problems."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from supplychain.epcis import Event, parse_event
from supplychain.gs1 import identifier_node
from supplychain.signing import parse_envelope

__all__ = [
    "IdentifierKind",
    "Origin",
    "Relation",
    "Sighting",
    "Stage",
    "TraceNode",
    "TraceProblem",
    "TracedEvent",
    "identifier_kind",
    "node_id",
    "stage_of",
]

_DL = "https://id.gs1.org/"


def node_id(identifier: str) -> str:
    """The graph node of an identifier: its constrained canonical GS1 Digital Link, else the identifier
    (:func:`supplychain.gs1.identifier_node`: one encoding of every value, so ``/10/2026%2F11`` on any host and the
    lot class URN ``...2026%2F11`` are one node).

    ``urn:epc:id:sgtin:4012345.011111.1`` and ``https://example.com/01/04012345111118/21/1`` are the same node
    (``https://id.gs1.org/01/04012345111118/21/1``); a lot class ``urn:epc:class:lgtin:...`` becomes
    ``.../01/{GTIN}/10/{lot}``; a Digital Link holding both a lot and a serial is the serial.
    """
    return identifier_node(identifier)


class IdentifierKind(StrEnum):
    """What a graph node identifies, read from its canonical Digital Link."""

    SERIAL = "serial"  # a trade item instance: /01/{GTIN}/21/{serial}
    LOT = "lot"  # a lot (batch) of a trade item: /01/{GTIN}/10/{lot}
    CLASS = "class"  # a trade item class without lot: /01/{GTIN}
    CONTAINER = "container"  # a logistic unit: /00/{SSCC}
    OTHER = "other"  # anything else (GRAI, GIAI, a URI outside GS1...)


def identifier_kind(node: str) -> IdentifierKind:
    """Classify a node (as returned by :func:`node_id`)."""
    if node.startswith(_DL + "00/"):
        return IdentifierKind.CONTAINER
    if node.startswith(_DL + "01/"):
        rest = node[len(_DL) + 3 + 14 :]
        if rest.startswith("/21/"):
            return IdentifierKind.SERIAL
        if rest.startswith("/10/"):
            return IdentifierKind.LOT
        if not rest:
            return IdentifierKind.CLASS
    return IdentifierKind.OTHER


def gtin_of(node: str) -> str | None:
    """The 14-digit GTIN of a trade item node (serial, lot or class), else ``None``."""
    if node.startswith(_DL + "01/"):
        return node[len(_DL) + 3 : len(_DL) + 3 + 14]
    return None


class Stage(StrEnum):
    """Where in the product's life an event belongs, from its bizStep (see :func:`stage_of`)."""

    PRODUCTION = "production"
    LOGISTICS = "logistics"
    RETAIL = "retail"
    OTHER = "other"


_PRODUCTION = frozenset(
    {
        "commissioning", "decommissioning", "creating_class_instance", "encoding", "assembling",
        "disassembling", "installing", "removing", "replacing", "repairing", "sampling", "killing",
        "packing", "repackaging",
    }
)  # fmt: skip
_LOGISTICS = frozenset(
    {
        "shipping", "void_shipping", "receiving", "accepting", "staging_outbound", "picking", "loading",
        "unloading", "consigning", "collecting", "departing", "arriving", "transporting", "storing",
        "unpacking", "holding", "reserving",
    }
)  # fmt: skip
_RETAIL = frozenset({"retail_selling", "stocking", "dispensing", "entering_exiting"})


def stage_of(biz_step: str | None) -> Stage:
    """Classify a (short CBV) bizStep.

    production: making, changing and packing goods (commissioning, assembling, packing, repairing, ...);
    logistics: moving, handing over and keeping them (shipping, receiving, transporting, storing,
    unpacking, ...);
    retail: at the shop (retail_selling, stocking, dispensing, entering_exiting); other: observing and
    housekeeping (inspecting, sensor_reporting, stock_taking, ...), a user-vocabulary bizStep, or none.
    """
    if biz_step in _PRODUCTION:
        return Stage.PRODUCTION
    if biz_step in _LOGISTICS:
        return Stage.LOGISTICS
    if biz_step in _RETAIL:
        return Stage.RETAIL
    return Stage.OTHER


@dataclass(frozen=True, slots=True)
class TracedEvent:
    """A stored event as the trace graph sees it: its Event Hash ID, its signer's organisation, the event.

    Attributes:
        hash_id: The Event Hash ID (identifies the event; two records with one hash are one event).
        organisation_id: GLN or USCC of the signer.
        event: The parsed EPCIS event.
    """

    hash_id: str
    organisation_id: str
    event: Event

    @classmethod
    def from_envelope(cls, envelope: Mapping[str, Any]) -> TracedEvent:
        """Read a signed envelope's JSON form (its shape only: ``supplychain.verify`` checks signatures).

        Raises:
            EnvelopeFormatError: The envelope is malformed.
            EpcisValidationError: Its event is not a valid EPCIS 2.0 event.
        """
        parsed = parse_envelope(envelope)
        return cls(parsed.event_hash_id, parsed.organisation_id, parse_event(parsed.event))


class Relation(StrEnum):
    """How two nodes of the graph are linked (the event type that shows it)."""

    TRANSFORMATION = "transformation"  # input consumed, output produced (TransformationEvent)
    AGGREGATION = "aggregation"  # child packed into parent (AggregationEvent ADD / OBSERVE)
    ASSOCIATION = "association"  # child associated with parent (AssociationEvent ADD / OBSERVE)
    LOT = "lot"  # a serial commissioned as part of a lot (ILMD ``lotNumber``)


@dataclass(frozen=True, slots=True)
class Origin:
    """An event that created an identifier.

    Attributes:
        hash_id: The event.
        organisation_id: Who signed it: the maker, for ``commissioned`` and ``transformed``.
        event_time: When.
        how: ``commissioned`` (ObjectEvent ADD), ``transformed`` (a TransformationEvent output) or ``packed``
            (the parent of an AggregationEvent / AssociationEvent ADD: a logistic unit is made by packing it).
    """

    hash_id: str
    organisation_id: str
    event_time: datetime
    how: str


@dataclass(frozen=True, slots=True)
class Edge:
    """One link as seen from a node: the node at the other end, how, which event shows it, what quantity.

    ``quantity`` / ``uom`` are those of the *other* node in the event (an input's consumed quantity in a
    backward edge, an output's produced quantity in a forward one); an EPC counts 1 with no unit.
    """

    node: str
    relation: Relation
    hash_id: str
    quantity: int | float | None
    uom: str | None


@dataclass(frozen=True, slots=True)
class TraceProblem:
    """Something the trace could not follow, reported instead of raised or looped on.

    Attributes:
        code: ``cycle`` (the graph links an identifier back to itself), ``missing_origin`` (no event in
            the set created it: a missing link), ``unknown_identifier`` (no event mentions it),
            ``unpacked_never_packed`` (taken out of a parent it was never put in), ``not_transformed``
            (green share of something no transformation made).
        identifier: The node concerned.
        detail: What happened, for people.
        hash_id: The event concerned, when there is one.
    """

    code: str
    identifier: str
    detail: str
    hash_id: str | None = None


@dataclass(frozen=True, slots=True)
class TraceNode:
    """One node of a backward or forward trace tree.

    A DAG is returned as a tree in depth-first order: an identifier is expanded the first time it is met;
    later meetings are leaves with ``repeated`` set (their subtree is the first one), and a link back to an
    identifier on the current path is a leaf with ``cycle`` set (and a ``cycle`` problem).

    Attributes:
        identifier: The node (canonical Digital Link or the identifier as written).
        depth: Distance from the traced identifier (0 for itself) along this path.
        relation: How it is linked to its parent node; ``None`` at the root.
        via: The event showing that link; ``None`` at the root.
        quantity: Quantity of this node in that event (consumed input / produced output); 1 for an EPC.
        uom: Its unit (UN/ECE Rec. 20), ``None`` for a count.
        origins: Events that created it (see :class:`Origin`), oldest first.
        children: Nodes linked to it in the trace's direction.
        repeated: Already expanded elsewhere in the tree.
        cycle: Links back to an ancestor.
    """

    identifier: str
    depth: int
    relation: Relation | None
    via: str | None
    quantity: int | float | None
    uom: str | None
    origins: tuple[Origin, ...]
    children: tuple[TraceNode, ...]
    repeated: bool = False
    cycle: bool = False

    @property
    def kind(self) -> IdentifierKind:
        """What the node identifies."""
        return identifier_kind(self.identifier)

    @property
    def makers(self) -> tuple[str, ...]:
        """Organisations that commissioned or transformed it (else those that packed it: a logistic unit)."""
        made = [o.organisation_id for o in self.origins if o.how != "packed"] or [
            o.organisation_id for o in self.origins
        ]
        return tuple(dict.fromkeys(made))

    def walk(self) -> Iterator[TraceNode]:
        """This node and all below it, depth first (pre-order)."""
        stack: list[TraceNode] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))


@dataclass(frozen=True, slots=True)
class Sighting:
    """An event in which an identifier was seen, directly or inside a container.

    Attributes:
        identifier: The node the event is shown for.
        hash_id: The event.
        organisation_id: Who signed it.
        event_time: When it happened.
        event_type: ``ObjectEvent``, ``AggregationEvent``...
        biz_step: Short CBV bizStep (or a URI), if any.
        stage: production / logistics / retail / other, from the bizStep.
        read_point: Where it was observed (normalised like identifiers), if stated.
        biz_location: Where the goods were afterwards (normalised), if stated.
        via: The container the identifier was in when the event names only the container; ``None`` if named.
    """

    identifier: str
    hash_id: str
    organisation_id: str
    event_time: datetime
    event_type: str
    biz_step: str | None
    stage: Stage
    read_point: str | None
    biz_location: str | None
    via: str | None = None

    @property
    def location(self) -> str | None:
        """The business location, else the read point."""
        return self.biz_location or self.read_point

    @classmethod
    def of(cls, identifier: str, record: TracedEvent, via: str | None = None) -> Sighting:
        """The sighting of ``identifier`` in ``record``."""
        event = record.event
        return cls(
            identifier=identifier,
            hash_id=record.hash_id,
            organisation_id=record.organisation_id,
            event_time=event.event_time,
            event_type=event.type_name,
            biz_step=event.biz_step,
            stage=stage_of(event.biz_step),
            read_point=node_id(event.read_point.id) if event.read_point else None,
            biz_location=node_id(event.biz_location.id) if event.biz_location else None,
            via=via,
        )
