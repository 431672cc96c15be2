"""The chain of custody of traced items: which organisations speak for them (pure, no I/O).

A product page, its proof bundle and a green view tell what the product's custodians recorded, never what any other
organisation posts naming it: a registered organisation can sign an event listing someone else's serial, and
nothing it posts may change what the product's page says or how much it costs to show. Who counts is decided
from who recorded what and when (the indexed columns of the stored events: no document needs to be read):

* **makers**: the organisations whose events created a traced item (commissioned it, produced it in a
  transformation, or named it as the lot of the serials they made: ``origin`` mentions). Capture lets only a
  GTIN's owner, or its delegate then, create items of that GTIN;
* **seeds**: organisations the caller trusts from the start (a green view starts from one organisation's own
  events);
* **the organisations an item was handed to**: a custodian's :data:`HANDOVER_OPENS` event of an item (shipping,
  departing) opens a handover of that item; any other organisation recording that same item while the handover is
  open joins (a carrier, the receiver), and a :data:`HANDOVER_CLOSES` event (receiving, accepting) by an
  organisation other than the shipper closes it. Whatever is inside a container is handed over with it: custody is
  one set of organisations for everything a walk traced.

When nothing is created and nothing seeded (the store holds no origin of any traced item), the first organisation
to record one is its custodian. Known limit: an organisation recording an item while a handover of it is open (its
event time inside the window, which the signer chooses) is taken for a carrier; what it posts then still costs
only a bounded amount (the platform includes an event in full only when it names few identifiers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["HANDOVER_CLOSES", "HANDOVER_OPENS", "Custody", "Mention", "custody"]

HANDOVER_OPENS = frozenset({"shipping", "departing"})
"""bizSteps (CBV short form) by which a custodian hands an item over: a handover of it opens."""
HANDOVER_CLOSES = frozenset({"receiving", "accepting"})
"""bizSteps by which an organisation other than the shipper takes an item in: the handover closes."""


@dataclass(frozen=True, slots=True)
class Mention:
    """One event naming one traced item, as far as custody needs it.

    Attributes:
        event: The event's key (any id unique per event; breaks ties of equal times, smaller first).
        node: The item it names.
        organisation_id: Who signed the event.
        event_time: When it happened (any unit, the same for every mention).
        biz_step: Its bizStep in CBV short form, if any.
        origin: Whether the event creates the item (see the module docstring).
    """

    event: int
    node: str
    organisation_id: str
    event_time: int
    biz_step: str | None
    origin: bool = False


@dataclass(frozen=True, slots=True)
class Custody:
    """The organisations that speak for the traced items.

    Attributes:
        custodians: In the order they became custodians: seeds, makers (by their first creation), then the
            organisations items were handed to (by the time they joined).
    """

    custodians: tuple[str, ...]

    def admits(self, organisation_id: str) -> bool:
        """Whether ``organisation_id`` is a custodian (its events about the items count)."""
        return organisation_id in self.custodians


def custody(mentions: Iterable[Mention], *, seeds: Iterable[str] = ()) -> Custody:
    """The chain of custody of the items ``mentions`` name (see the module docstring).

    Args:
        mentions: Every known event naming a traced item, once per (event, item); any order.
        seeds: Organisations that are custodians from the start.
    """
    ordered = sorted(mentions, key=lambda m: (m.event_time, m.event))
    custodians = dict.fromkeys(seeds)
    custodians.update(dict.fromkeys(m.organisation_id for m in ordered if m.origin))
    if not custodians and ordered:
        custodians[ordered[0].organisation_id] = None
    shipper: dict[str, str] = {}  # item -> the custodian whose handover of it is open
    for m in ordered:
        if m.organisation_id in custodians:
            if m.biz_step in HANDOVER_OPENS:
                shipper[m.node] = m.organisation_id
            elif m.biz_step in HANDOVER_CLOSES and shipper.get(m.node, m.organisation_id) != m.organisation_id:
                del shipper[m.node]
        elif m.node in shipper:
            custodians[m.organisation_id] = None
            if m.biz_step in HANDOVER_CLOSES:
                del shipper[m.node]
    return Custody(tuple(custodians))
