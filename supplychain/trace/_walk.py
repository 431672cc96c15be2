"""Backward and forward traces: depth-first walks of the index that build a tree and never loop."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from supplychain.trace._index import TraceIndex
from supplychain.trace._model import (
    Edge,
    IdentifierKind,
    Sighting,
    TraceNode,
    TraceProblem,
    identifier_kind,
    node_id,
)

__all__ = ["BackwardTrace", "ForwardTrace", "backward_trace", "forward_trace"]


@dataclass(slots=True)
class _Frame:
    identifier: str
    depth: int
    edge: Edge | None
    edges: Iterator[Edge]
    children: list[TraceNode] = field(default_factory=list)


def _walk(
    index: TraceIndex, start: str, edges_of: Callable[[str], tuple[Edge, ...]], check_origins: bool
) -> tuple[TraceNode, list[TraceProblem]]:
    """Walk depth first from ``start`` (iteratively: no recursion limit), building a node tree."""
    problems: list[TraceProblem] = []
    if not index.has_node(start):
        problems.append(TraceProblem("unknown_identifier", start, "no event in the set mentions it"))

    def node(
        identifier: str, depth: int, edge: Edge | None, children: tuple[TraceNode, ...], **flags: bool
    ) -> TraceNode:
        return TraceNode(
            identifier=identifier,
            depth=depth,
            relation=edge.relation if edge else None,
            via=edge.hash_id if edge else None,
            quantity=edge.quantity if edge else None,
            uom=edge.uom if edge else None,
            origins=index.origins(identifier),
            children=children,
            **flags,
        )

    stack = [_Frame(start, 0, None, iter(edges_of(start)))]
    on_path = {start}
    expanded = {start}
    root: TraceNode | None = None
    while stack:
        frame = stack[-1]
        edge = next(frame.edges, None)
        if edge is None:
            stack.pop()
            on_path.discard(frame.identifier)
            done = node(frame.identifier, frame.depth, frame.edge, tuple(frame.children))
            if check_origins and not done.origins and index.has_node(start):
                problems.append(
                    TraceProblem(
                        "missing_origin",
                        frame.identifier,
                        "no event in the set commissioned, produced or packed it",
                        frame.edge.hash_id if frame.edge else None,
                    )
                )
            if stack:
                stack[-1].children.append(done)
            else:
                root = done
            continue
        other = edge.node
        if other in on_path:
            problems.append(
                TraceProblem(
                    "cycle",
                    other,
                    f"{frame.identifier} links back to {other}, already on the path from {start}",
                    edge.hash_id,
                )
            )
            frame.children.append(node(other, frame.depth + 1, edge, (), cycle=True))
        elif other in expanded:
            frame.children.append(node(other, frame.depth + 1, edge, (), repeated=True))
        else:
            expanded.add(other)
            on_path.add(other)
            stack.append(_Frame(other, frame.depth + 1, edge, iter(edges_of(other))))
    if root is None:
        raise AssertionError("unreachable: the walk always finishes its root frame")
    return root, problems


def _unique(values: Iterator[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


@dataclass(frozen=True, slots=True)
class BackwardTrace:
    """Everything that went into an identifier (来源可查询): the tree, and what could not be followed.

    Attributes:
        identifier: The traced node.
        root: Its tree: children are inputs (``transformation``), packed contents (``aggregation`` /
            ``association``) and, for a serial, its lot (``lot``), down to raw material.
        problems: Cycles, missing origins (a missing link), an unknown identifier.
    """

    identifier: str
    root: TraceNode
    problems: tuple[TraceProblem, ...]

    def nodes(self) -> Iterator[TraceNode]:
        """Every node of the tree, depth first."""
        return self.root.walk()

    @property
    def depth(self) -> int:
        """The longest path from the identifier to something it was made of."""
        return max(n.depth for n in self.nodes())

    @property
    def suppliers(self) -> dict[str, tuple[str, ...]]:
        """Each upstream identifier (expanded once) -> organisations that made it."""
        return {n.identifier: n.makers for n in self.nodes() if n.depth and not (n.repeated or n.cycle)}

    @property
    def raw_materials(self) -> tuple[str, ...]:
        """Upstream identifiers made of nothing in the set (leaves that are neither repeats nor cycles)."""
        leaves = (n.identifier for n in self.nodes() if n.depth and not (n.children or n.repeated or n.cycle))
        return _unique(leaves)

    @property
    def event_ids(self) -> tuple[str, ...]:
        """Events the trace rests on: the links and the origins of every node."""
        found: list[str] = []
        for n in self.nodes():
            if n.via:
                found.append(n.via)
            found += [o.hash_id for o in n.origins]
        return _unique(iter(found))


@dataclass(frozen=True, slots=True)
class ForwardTrace:
    """Where an identifier went (去向可追踪): a recall list.

    Attributes:
        identifier: The traced node (typically an input lot).
        root: The tree: children are outputs made from it (``transformation``), containers it was packed into
            (``aggregation`` / ``association``) and, for a lot, the serials commissioned in it (``lot``).
        sightings: Every event naming the identifier or anything it reached, in time order.
        problems: Cycles and an unknown identifier.
    """

    identifier: str
    root: TraceNode
    sightings: tuple[Sighting, ...]
    problems: tuple[TraceProblem, ...]

    @property
    def reached(self) -> tuple[str, ...]:
        """Every identifier reached (the traced one excluded), depth-first order."""
        return _unique(n.identifier for n in self.root.walk() if n.depth)

    def _of_kind(self, kind: IdentifierKind) -> tuple[str, ...]:
        return tuple(i for i in self.reached if identifier_kind(i) is kind)

    @property
    def lots(self) -> tuple[str, ...]:
        """Lots reached."""
        return self._of_kind(IdentifierKind.LOT)

    @property
    def serials(self) -> tuple[str, ...]:
        """Serialised items reached."""
        return self._of_kind(IdentifierKind.SERIAL)

    @property
    def containers(self) -> tuple[str, ...]:
        """Logistic units (SSCC) reached."""
        return self._of_kind(IdentifierKind.CONTAINER)

    @property
    def locations(self) -> tuple[str, ...]:
        """Business locations and read points of every sighting."""
        return _unique(loc for s in self.sightings for loc in (s.biz_location, s.read_point) if loc)

    @property
    def organisations(self) -> tuple[str, ...]:
        """Organisations that signed a sighting."""
        return _unique(s.organisation_id for s in self.sightings)

    @property
    def event_ids(self) -> tuple[str, ...]:
        """The events that show it."""
        return _unique(s.hash_id for s in self.sightings)


def backward_trace(index: TraceIndex, identifier: str) -> BackwardTrace:
    """Trace ``identifier`` (any spelling: EPC URI or Digital Link) back to its raw materials.

    Every identifier reached without an origin in the set is a ``missing_origin`` problem (a missing link).
    """
    start = node_id(identifier)
    root, problems = _walk(index, start, index.backward_edges, check_origins=True)
    return BackwardTrace(start, root, tuple(problems))


def forward_trace(index: TraceIndex, identifier: str) -> ForwardTrace:
    """Trace ``identifier`` forward to every output, container and serial it reached, with their events."""
    start = node_id(identifier)
    root, problems = _walk(index, start, index.forward_edges, check_origins=False)
    sightings = [Sighting.of(n, e) for n in _unique(x.identifier for x in root.walk()) for e in index.mentions(n)]
    sightings.sort(key=lambda s: (s.event_time, index.sort_key(index.events[s.hash_id])[1], s.identifier))
    return ForwardTrace(start, root, tuple(sightings), tuple(problems))
