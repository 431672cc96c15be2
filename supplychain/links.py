"""Per-identifier story links: anchored commitments that make a dropped event detectable (proof bundle version 2).

Each event an anchoring batch holds is one leaf of its Merkle tree (the 32-byte digest of its Event Hash ID). Beside
it the batch commits, for every item identifier the event names (:func:`item_identifiers`), one *link*::

    link = sha256(LINK_DOMAIN || identifier (UTF-8) || previous || digest)

``digest`` is the event's own leaf value; ``previous`` is the digest of the event that named the same identifier
just before it, in anchoring order (batches in the order they are anchored, events in the order the batch lists
them), or 32 zero bytes for the first. The link is one more ``bytes32`` leaf of the same tree: a link can never be
taken for an event (the domain prefix makes a SHA-256 preimage that no Event Hash ID has) nor a link of one identifier
for another's (the identifier is inside, and ``previous`` and ``digest`` have a fixed length, so the encoding reads
back one way only).

The links of one identifier therefore form a hash chain through every event naming it, each link anchored: a proof
bundle (:mod:`supplychain.verify`) that shows an identifier's events with their links shows whether one is missing,
because the next link names it as ``previous``. What a link cannot show: that the platform computed the links
honestly when it anchored them (the regulator's audit recomputes every link from the exported events,
:func:`check_chain`), and events after the newest link shown.

Identifiers are canonical (:func:`supplychain.gs1.identifier_node`: the constrained GS1 Digital Link where there is
one); an event naming one twice (an EPC URI and its Digital Link) links it once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from supplychain.epcis import (
    AggregationEvent,
    AssociationEvent,
    Event,
    ObjectEvent,
    TransactionEvent,
    TransformationEvent,
)
from supplychain.gs1 import identifier_node

__all__ = [
    "LINK_DOMAIN",
    "ZERO_DIGEST",
    "ItemLink",
    "LinkBreak",
    "LinkChain",
    "check_chain",
    "document_identifiers",
    "item_identifiers",
    "link_value",
]

LINK_DOMAIN = b"supplychain:item-link:v1\x00"
"""The prefix of every link's SHA-256 input (domain separation from Event Hash IDs and master data hashes)."""
ZERO_DIGEST = bytes(32)
"""``previous`` of an identifier's first link."""


@lru_cache(maxsize=65_536)
def _canonical(identifier: str) -> str:
    """:func:`~supplychain.gs1.identifier_node`, remembered: an item is named by several events in a row (the audit
    reads a million)."""
    return identifier_node(identifier)


def item_identifiers(event: Event) -> tuple[str, ...]:
    """The canonical identifiers an event names, sorted: its EPCs (``epcList``, ``parentID``, ``childEPCs``, input and
    output EPCs) and the classes of its quantity lists. Not the lots its ILMD names (derived, not named)."""
    named: list[str] = []
    if isinstance(event, ObjectEvent | TransactionEvent):
        named += event.epc_list
        named += [q.epc_class for q in event.quantity_list]
    if isinstance(event, AggregationEvent | AssociationEvent | TransactionEvent) and event.parent_id:
        named.append(event.parent_id)
    if isinstance(event, AggregationEvent | AssociationEvent):
        named += event.child_epcs
        named += [q.epc_class for q in event.child_quantity_list]
    if isinstance(event, TransformationEvent):
        named += event.input_epc_list + event.output_epc_list
        named += [q.epc_class for q in (*event.input_quantity_list, *event.output_quantity_list)]
    return tuple(sorted({_canonical(i) for i in named}))


_EPC_LISTS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QUANTITY_LISTS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def document_identifiers(document: Mapping[str, object]) -> tuple[str, ...]:
    """:func:`item_identifiers` of an event's JSON-LD as stored, without parsing it into an event (the audit reads
    a million): the same identifiers for every event the capture accepted. Entries that are not strings are
    skipped (the event's other checks say what is wrong with such a document)."""
    named: list[object] = [document.get("parentID")]
    for key in _EPC_LISTS:
        found = document.get(key)
        named += found if isinstance(found, list) else []
    for key in _QUANTITY_LISTS:
        found = document.get(key)
        named += [q.get("epcClass") for q in found if isinstance(q, Mapping)] if isinstance(found, list) else []
    return tuple(sorted({_canonical(i) for i in named if isinstance(i, str) and i}))


def link_value(identifier: str, previous: bytes | None, digest: bytes) -> bytes:
    """``sha256(LINK_DOMAIN || identifier || previous || digest)``; ``previous=None`` is the first link (zeros)."""
    before = ZERO_DIGEST if previous is None else previous
    if len(before) != 32 or len(digest) != 32:
        raise ValueError("previous and digest are 32-byte event digests")
    return hashlib.sha256(LINK_DOMAIN + identifier.encode() + before + digest).digest()


@dataclass(frozen=True, slots=True)
class ItemLink:
    """One committed link.

    Attributes:
        identifier: The canonical identifier.
        digest: The event's 32-byte digest (its leaf value).
        previous: The digest of the identifier's event before it, ``None`` for its first.
        value: :func:`link_value` of the three: the leaf value committed in the batch.
    """

    identifier: str
    digest: bytes
    previous: bytes | None
    value: bytes


class LinkChain:
    """The newest digest per identifier, and the links of the events added after it, in order."""

    def __init__(self, last: Mapping[str, bytes] | None = None) -> None:
        """Start from the newest digest of each identifier already linked (none: every chain starts at zero)."""
        self.last: dict[str, bytes] = dict(last or {})

    def add(self, digest: bytes, identifiers: Iterable[str]) -> list[ItemLink]:
        """The links of the next event (its digest, its canonical identifiers), which becomes their newest."""
        links = []
        for identifier in dict.fromkeys(identifiers):
            previous = self.last.get(identifier)
            links.append(ItemLink(identifier, digest, previous, link_value(identifier, previous, digest)))
            self.last[identifier] = digest
        return links


@dataclass(frozen=True, slots=True)
class LinkBreak:
    """Where committed links and the events differ.

    Attributes:
        code: ``link_missing`` (an event names the identifier, no link commits it), ``link_wrong`` (a committed link
            that is not the one the events give: another ``previous``, a forged value, an event that does not name
            the identifier).
        identifier: The identifier.
        digest: The event concerned.
        detail: What was expected and found.
    """

    code: str
    identifier: str
    digest: bytes
    detail: str


def check_chain(
    events: Sequence[tuple[bytes, Sequence[str]]],
    committed: Mapping[tuple[str, bytes], tuple[bytes | None, bytes]],
    *,
    start: Mapping[str, bytes] | None = None,
) -> tuple[list[LinkBreak], dict[str, bytes]]:
    """Recompute the links of ``events`` (digest and identifiers, in anchoring order) and compare them with the
    ``committed`` ones (``(identifier, digest) -> (previous, value)``, as the platform exported them), continuing
    chains from ``start`` (the newest digest per identifier before these events).

    Returns:
        The breaks (a committed link never expected is ``link_wrong`` too), and the newest digest per identifier
        after these events (``start`` of the next call: the cost stays one pass over the events and links).
    """
    chain = LinkChain(start)
    breaks: list[LinkBreak] = []
    seen: set[tuple[str, bytes]] = set()
    for digest, identifiers in events:
        for link in chain.add(digest, identifiers):
            key = (link.identifier, digest)
            seen.add(key)
            found = committed.get(key)
            if found is None:
                breaks.append(LinkBreak("link_missing", link.identifier, digest, "no link commits this event"))
            elif found != (link.previous, link.value):
                was = "the first" if link.previous is None else f"after 0x{link.previous.hex()}"
                detail = f"the committed link is not the one its events give ({was})"
                breaks.append(LinkBreak("link_wrong", link.identifier, digest, detail))
    for identifier, digest in sorted(committed.keys() - seen):
        detail = "a link commits an event that does not name the identifier, or one not in these events"
        breaks.append(LinkBreak("link_wrong", identifier, digest, detail))
    return breaks, chain.last
