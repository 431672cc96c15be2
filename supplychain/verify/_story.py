"""The story a bundle tells, checked as a whole: every event once, each one part of the product's story, nothing
happening to an item before it existed, no hand-over or sale without the step before it, no missing link (gaps
leave the verdict incomplete, contradictions fail it).

Each event of a bundle can be genuine (signed, anchored) while the story they make is not: a sale dated before the
product was made, an event of a sibling serial shown as the product's, an event listed twice, a link of the chain
of custody left out. These checks read only the bundle's readable events (rebuilt into a
:class:`~supplychain.trace.TraceIndex`) and its summarised references; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from supplychain.trace import HANDOVER_CLOSES, HANDOVER_OPENS, BackwardTrace, Journey, TraceIndex, node_id
from supplychain.verify._bundle import ProofBundle
from supplychain.verify._verdict import Check

__all__ = ["RECEIPT_TOLERANCE", "receipt_check", "story_checks"]

RECEIPT_TOLERANCE = 300
"""Seconds a platform's receipt time may precede the event time (the platform's default clock skew for events
dated ahead of their receipt), and follow the anchoring (clocks of the platform and the chain apart)."""

_SELLING = frozenset({"retail_selling"})


def receipt_check(receipt_time: int, event_time: datetime, anchored_at: int | None) -> Check:
    """Whether the platform's receipt time fits the event: not long before the event happened
    (``received_before_event``), not after the event's batch was anchored (``received_after_anchor``)."""
    happened = event_time.timestamp()
    if receipt_time + RECEIPT_TOLERANCE < happened:
        detail = f"received at {receipt_time}, {int(happened) - receipt_time} s before the event time"
        return Check("receipt", False, detail, "received_before_event")
    if anchored_at is not None and receipt_time > anchored_at + RECEIPT_TOLERANCE:
        detail = f"received at {receipt_time}, after its anchoring at {anchored_at}"
        return Check("receipt", False, detail, "received_after_anchor")
    return Check("receipt", True, f"received at {receipt_time}, between the event and its anchoring")


def _where(positions: dict[str, int], hash_id: str) -> str:
    return f"event {positions[hash_id] + 1} ({hash_id})"


def _duplicates(bundle: ProofBundle, hashes: Sequence[str | None]) -> list[Check]:
    seen: dict[str, list[int]] = {}
    for i, hash_id in enumerate(hashes):
        if hash_id is not None:
            seen.setdefault(hash_id, []).append(i + 1)
    referenced = {r.hash_id for r in bundle.summarised}
    checks = []
    for hash_id, where in seen.items():
        if len(where) > 1:
            shown = ", ".join(map(str, where))
            checks.append(Check("duplicates", False, f"{hash_id} is listed {len(where)} times (events {shown})",
                                "duplicate_event"))  # fmt: skip
        elif hash_id in referenced:
            detail = f"{hash_id} is listed in full (event {where[0]}) and summarised by reference"
            checks.append(Check("duplicates", False, detail, "duplicate_event"))
    return checks or [Check("duplicates", True, "every event is listed once")]


def _story_nodes(back: BackwardTrace, trip: Journey) -> tuple[set[str], set[str]]:
    """The nodes of the product's story (itself, what went into it, the containers it travelled in) and the events
    its backward trace and journey rest on."""
    nodes = {n.identifier for n in back.nodes()} | {c.parent for c in trip.containments}
    events = set(back.event_ids) | {s.hash_id for s in trip.steps}
    events |= {h for c in trip.containments for h in (c.packed_by, c.unpacked_by) if h}
    return nodes, events


def _unrelated(index: TraceIndex, positions: dict[str, int], nodes: set[str], events: set[str]) -> list[Check]:
    related = set(events)
    for node in nodes:
        related |= {r.hash_id for r in index.mentions(node)}
    return [
        Check("story", False, f"{_where(positions, h)} names nothing of the product's story", "unrelated_event")
        for h in positions
        if h not in related
    ] or [Check("story", True, "every event is part of the product's story")]


def _before_origin(index: TraceIndex, positions: dict[str, int], product: str, back: BackwardTrace) -> list[Check]:
    """Events using an item before any event created it: the product's own steps, and each link of its trace."""
    checks = []

    def created(node: str) -> datetime | None:
        origins = index.origins(node)
        return min(o.event_time for o in origins) if origins else None

    made = created(product)
    uses: list[tuple[str, str]] = []
    if made is not None:
        uses += [(product, r.hash_id) for r in index.mentions(product)]
    uses += [(n.identifier, n.via) for n in back.nodes() if n.via is not None]
    for node, hash_id in dict.fromkeys(uses):
        start = created(node)
        when = index.events[hash_id].event.event_time
        if start is not None and when < start:
            detail = f"{_where(positions, hash_id)} at {when.isoformat()} names {node}, created at {start.isoformat()}"
            checks.append(Check("chronology", False, detail, "event_before_origin"))
    return checks or [Check("chronology", True, "nothing happens to an item before it was created")]


def _custody(index: TraceIndex, positions: dict[str, int], product: str, trip: Journey) -> list[Check]:
    """In the product's journey: each receipt follows a shipment by another organisation; a sale by anyone but its
    maker follows that organisation's receipt."""
    makers = {o.organisation_id for o in index.origins(product)}
    shipping: set[str] = set()  # organisations whose shipment of it is open
    received_by: set[str] = set()
    checks = []
    for step in trip.steps:
        org, biz_step = step.organisation_id, step.biz_step
        if biz_step in HANDOVER_CLOSES:
            if not shipping - {org}:
                detail = f"{_where(positions, step.hash_id)}: {org} received it, but nobody else had shipped it"
                checks.append(Check("custody", None, detail, "received_not_shipped"))
            shipping &= {org}
            received_by.add(org)
        elif biz_step in HANDOVER_OPENS:
            shipping.add(org)
        elif biz_step in _SELLING and org not in makers and org not in received_by:
            detail = f"{_where(positions, step.hash_id)}: {org} sold it without having received it"
            checks.append(Check("custody", None, detail, "sold_without_receipt"))
    return checks or [Check("custody", True, "every hand-over of the product has both ends")]


def _links(positions: dict[str, int], back: BackwardTrace, trip: Journey, summarised: int) -> list[Check]:
    """Missing links of the trace: an item nobody created, something taken out of a container it was never put in.
    A missing origin is not a failure when the bundle summarises events that name too many identifiers (one of them
    may be it)."""
    problems = [p for p in back.problems if p.code == "missing_origin"]
    problems += [p for p in trip.problems if p.code == "unpacked_never_packed"]
    checks = []
    for p in problems:
        where = "" if p.hash_id is None else f" ({_where(positions, p.hash_id)})"
        if p.code == "missing_origin":
            detail = f"no event of the bundle created {p.identifier}{where}"
            if summarised:
                checks.append(Check("origins", True, detail + f": it may be one of the {summarised} summarised"))
            else:
                checks.append(Check("origins", None, detail, "origin_missing"))
        else:
            detail = f"{p.identifier} was taken out of a container it was never put in{where}"
            checks.append(Check("origins", False, detail, "unpacked_never_packed"))
    return checks or [Check("origins", True, "every item of the story was created by an event of the bundle")]


def story_checks(bundle: ProofBundle, hashes: Sequence[str | None], index: TraceIndex) -> list[Check]:
    """The bundle-level checks of the story its events tell (see the module docstring), in order: ``duplicates``
    (``duplicate_event``: listed twice, or in full and by reference), then when the product is named: ``story``
    (``unrelated_event``: an event naming nothing of the product's story, e.g. a sibling serial's sale), ``chronology``
    (``event_before_origin``: the product, or an input, used before any event created it), ``custody``
    (``received_not_shipped``, ``sold_without_receipt``, over the product's journey) and ``origins``
    (``origin_missing``, ``unpacked_never_packed``: a missing link).

    A gap (``received_not_shipped``, ``sold_without_receipt``, ``origin_missing``) is a check not made
    (``passed=None``): the signed record may really have it (a raw material bought off the platform, a receipt
    never recorded) or an event may have been left out; either way the story is not fully verified. Contradictions
    (the other codes) fail.

    Args:
        bundle: The bundle.
        hashes: The claimed Event Hash ID of each of its events (``None``: unreadable envelope), in bundle order.
        index: The trace index of its readable events.
    """
    checks = _duplicates(bundle, hashes)
    product = node_id(bundle.product)
    if not index.has_node(product):
        return checks
    positions: dict[str, int] = {}
    for i, hash_id in enumerate(hashes):
        if hash_id is not None and hash_id in index.events:
            positions.setdefault(hash_id, i)
    back, trip = index.backward(product), index.journey(product)
    nodes, events = _story_nodes(back, trip)
    checks += _unrelated(index, positions, nodes, events)
    checks += _before_origin(index, positions, product, back)
    checks += _custody(index, positions, product, trip)
    checks += _links(positions, back, trip, bundle.summarised_counts.get("too_many_identifiers", 0))
    return checks
