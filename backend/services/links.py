"""The story links of an identifier as a proof bundle (version 2) gives them: read from ``event_link``, bounded.

The anchoring worker commits one link per event and identifier it names (:mod:`supplychain.links`,
:mod:`backend.services.anchoring`); a product's bundle gives the chain of the product's identifier, oldest first,
each link with the Event Hash IDs of its event and of the one before it, its Merkle proof against the root of
its batch, and its event's signer (organisation, key, signature of the Event Hash ID: a verifier tells another
organisation's sighting the bundle summarised from an event of the story left out). Only links of anchored batches
are given (batches are anchored in order, so they are a prefix of the chain). At most :data:`MAX_BUNDLE_LINKS` are
given: the newest ones, ``omitted`` counting the older ones left out (a verifier then says the events before them are
not covered). The cost is two index range reads on
``(identifier, id)``, whatever the store holds.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from backend.models import Batch, Event, EventLink, table_of
from supplychain.verify import IdentifierLinks, LinkEntry

__all__ = ["MAX_BUNDLE_LINKS", "identifier_links"]

MAX_BUNDLE_LINKS = 1_000
"""Links of one identifier a bundle gives at most (the newest); the older ones are counted in ``omitted``."""

_EL = table_of(EventLink)
_BA = table_of(Batch)
_EV = table_of(Event)


def identifier_links(session: Session, identifier: str, *, limit: int = MAX_BUNDLE_LINKS) -> IdentifierLinks:
    """The anchored chain of ``identifier`` (canonical), at most the newest ``limit`` links. A link whose stored
    proof does not read (damaged storage) is left out: the verifier then sees the gap, as it should."""
    anchored = (_EL.c.identifier == identifier) & (_BA.c.status == "anchored")
    total = session.execute(
        select(func.count()).select_from(_EL.join(_BA, _BA.c.id == _EL.c.batch_id)).where(anchored)
    ).scalar_one()
    before = aliased(_EV)
    rows = session.execute(
        select(_EV.c.hash_id, before.c.hash_id, _BA.c.root, _EL.c.proof, _EV.c.org_id, _EV.c.key_id, _EV.c.signature)
        .select_from(_EL.join(_BA, _BA.c.id == _EL.c.batch_id).join(_EV, _EV.c.id == _EL.c.event_id))
        .outerjoin(before, before.c.id == _EL.c.previous_event_id)
        .where(anchored)
        .order_by(_EL.c.id.desc())
        .limit(limit)
    ).all()
    chain = []
    for hash_id, previous, root, stored, org, key_id, signature in reversed(rows):
        proof = bytes(stored) if isinstance(stored, bytes | memoryview) else None  # a driver may give a memoryview
        if proof is None or len(proof) % 32 or not isinstance(root, str) or len(root) != 66:
            continue
        nodes = tuple(proof[i : i + 32] for i in range(0, len(proof), 32))
        chain.append(LinkEntry(hash_id, previous, bytes.fromhex(root[2:]), nodes, (org, key_id, signature)))
    return IdentifierLinks(identifier, tuple(chain), total - len(rows))
