"""The trace graph: product genealogy over EPCIS events, indexed once and walked per query.

Build a :class:`TraceIndex` from the stored events (:class:`TracedEvent`: Event Hash ID, signing organisation,
parsed event), then ask it:

* :meth:`TraceIndex.backward` - what went into a serial or lot (来源可查询): a tree through transformations,
  packing / association and lot membership, down to raw material, with who made each node;
* :meth:`TraceIndex.forward` - where an input lot went (去向可追踪, a recall list): every output, container
  and serial it reached, with every event, location and organisation that shows it;
* :meth:`TraceIndex.journey` - the events of an item and of the containers it travelled in, by time, each
  classified production / logistics / retail (:func:`stage_of`).

Identifiers are graph nodes once normalised by :func:`node_id` (the constrained canonical GS1 Digital Link),
so an EPC URN and its Digital Link are one node. Cycles and missing links are reported in each result's
``problems`` (:class:`TraceProblem`), never looped on. :func:`custody` tells which organisations speak for the
traced items (their chain of custody), so that what others post naming them can be left out. Pure: no I/O.
"""

from supplychain.trace._custody import HANDOVER_CLOSES, HANDOVER_OPENS, Custody, Mention, custody
from supplychain.trace._index import Consumption, Packing, TraceIndex, Transformation, lots_of
from supplychain.trace._journey import Containment, Journey, journey, last_seen
from supplychain.trace._model import (
    Edge,
    IdentifierKind,
    Origin,
    Relation,
    Sighting,
    Stage,
    TracedEvent,
    TraceNode,
    TraceProblem,
    gtin_of,
    identifier_kind,
    node_id,
    stage_of,
)
from supplychain.trace._walk import BackwardTrace, ForwardTrace, backward_trace, forward_trace

__all__ = [
    "HANDOVER_CLOSES",
    "HANDOVER_OPENS",
    "BackwardTrace",
    "Consumption",
    "Containment",
    "Custody",
    "Edge",
    "ForwardTrace",
    "IdentifierKind",
    "Journey",
    "Mention",
    "Origin",
    "Packing",
    "Relation",
    "Sighting",
    "Stage",
    "TraceIndex",
    "TraceNode",
    "TraceProblem",
    "TracedEvent",
    "Transformation",
    "backward_trace",
    "custody",
    "forward_trace",
    "gtin_of",
    "identifier_kind",
    "journey",
    "last_seen",
    "lots_of",
    "node_id",
    "stage_of",
]
