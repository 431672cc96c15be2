"""Properties of the trace walks on random graphs: they terminate, expand each node once, and find every cycle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from supplychain.epcis import TransformationEvent
from supplychain.trace import TracedEvent, TraceIndex

T = datetime(2024, 1, 1, tzinfo=UTC)

# a random directed graph on up to 12 nodes: each edge is one transformation input -> output
edges_strategy = st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=40)


def _index(edges: list[tuple[int, int]]) -> TraceIndex:
    records = [
        TracedEvent(
            f"h{i}",
            "org",
            TransformationEvent(
                event_time=T + timedelta(seconds=i),
                event_time_zone_offset="+00:00",
                input_epc_list=(f"urn:n:{a}",),
                output_epc_list=(f"urn:n:{b}",),
            ),
        )
        for i, (a, b) in enumerate(edges)
    ]
    return TraceIndex.build(records)


def _reachable(start: int, succ: dict[int, set[int]]) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in succ.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _has_cycle(nodes: set[int], succ: dict[int, set[int]]) -> bool:
    """Kahn's algorithm on the subgraph: a cycle leaves nodes with in-degree > 0."""
    indegree = {v: 0 for v in nodes}
    for v in nodes:
        for w in succ.get(v, ()):
            indegree[w] += 1
    ready = [v for v, d in indegree.items() if d == 0]
    removed = 0
    while ready:
        v = ready.pop()
        removed += 1
        for w in succ.get(v, ()):
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(w)
    return removed < len(nodes)


@settings(max_examples=200, deadline=None)
@given(edges=edges_strategy, start=st.integers(0, 11))
def test_walks_expand_every_reachable_node_once_and_report_cycles_iff_there_are_some(
    edges: list[tuple[int, int]], start: int
) -> None:
    index = _index(edges)
    forward_succ: dict[int, set[int]] = {}
    backward_succ: dict[int, set[int]] = {}
    for a, b in edges:
        forward_succ.setdefault(a, set()).add(b)
        backward_succ.setdefault(b, set()).add(a)
    for trace, succ in (
        (index.forward(f"urn:n:{start}"), forward_succ),
        (index.backward(f"urn:n:{start}"), backward_succ),
    ):
        expanded = [x.identifier for x in trace.root.walk() if not (x.repeated or x.cycle)]
        reachable = _reachable(start, succ)
        assert sorted(expanded) == sorted(f"urn:n:{v}" for v in reachable)
        has_cycle = _has_cycle(reachable, succ)
        assert any(p.code == "cycle" for p in trace.problems) == has_cycle
        assert all(x.depth <= len(reachable) for x in trace.root.walk())


@settings(max_examples=10, deadline=None)
@given(length=st.integers(1, 3000))
def test_a_very_long_chain_needs_no_recursion(length: int) -> None:
    index = _index([(i, i + 1) for i in range(length)])
    assert index.backward(f"urn:n:{length}").depth == length
    assert len(index.forward("urn:n:0").reached) == length
