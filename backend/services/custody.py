"""Which stored events a product's page, proof bundle, trace and green views read: bounded whatever others post.

Any registered organisation can sign events naming someone else's serial, as many as it likes and each listing up
to 100,000 EPCs. What such events may cost a view of that serial is bounded here, before any document is read:

1. **Look** (:meth:`Selection.look`): for each traced item, the ``event_identifier`` rows naming it, at most
   :data:`MAX_MENTIONS` per role, the first captured first (so that many observations never hide the event that
   made the item or the case it was packed in; beyond, the answer says ``truncated``), and the indexed columns of
   those events (signer, type, time, bizStep, anchor, and ``identifier_count``, stored at capture), never their
   documents.
2. **Custody** (:func:`supplychain.trace.custody`): from those columns alone, the organisations that speak for the
   items: their makers and the organisations they were handed to. Events of anyone else are ``outside_custody``.
3. **Size**: an event of a custodian naming more than :data:`MAX_EVENT_IDENTIFIERS` identifiers is
   ``too_many_identifiers``: it is never parsed, and the walk does not go through it.

Only the remaining events are read, parsed and followed (at most the walk's ``max_events``). The others are
*summarised*: counted by reason, and the first :data:`MAX_LISTED_SUMMARIES` (those naming the product itself first,
then the biggest, then by time) are listed by reference in the proof bundle (Event Hash ID, signer, key, signature,
Merkle proof and anchor: a verifier checks those; what the platform says of the rest, such as the event time, is
its word) and on the product page, with a link to ``GET /events/{hash}``.

So a view reads at most ``MAX_MENTIONS`` index rows and event rows per traced item and role, plus the custody
events' documents, each of at most ``MAX_EVENT_IDENTIFIERS`` identifiers, whatever other organisations post.

Trade-off: a custodian's own event naming more than ``MAX_EVENT_IDENTIFIERS`` identifiers (commissioning 5,000
serials at once) is summarised too: the page shows its reference and the trace does not go through it. Events
listing few items (one per case or pallet, as EPCIS allows) keep everything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, literal, select
from sqlmodel import Session

from backend.services.damage import Damaged, dangling_links, event_damage, stored_anchor
from backend.services.queries import EI, EV, batches_of
from supplychain.trace import Custody, Mention, custody
from supplychain.verify import EventReference

__all__ = [
    "MAX_EVENT_IDENTIFIERS",
    "MAX_LISTED_SUMMARIES",
    "MAX_MENTIONS",
    "OUTSIDE_CUSTODY",
    "ROLES",
    "TOO_MANY_IDENTIFIERS",
    "Selection",
    "Summary",
    "counts_of",
    "is_origin",
    "references",
]

MAX_EVENT_IDENTIFIERS = 1_000
"""An event naming more identifiers than this is never read for a page, a bundle or a green view: referenced only."""
MAX_MENTIONS = 1_000
"""Events naming one traced item in one role that a view looks at (the first captured); beyond, it says
``truncated`` (and goes on with those)."""
MAX_LISTED_SUMMARIES = 20
"""Summarised events listed (by reference) in a bundle or on a page; all are counted."""
OUTSIDE_CUSTODY = "outside_custody"
TOO_MANY_IDENTIFIERS = "too_many_identifiers"
_CHUNK = 500
ROLES = ("child", "class", "epc", "input", "input_class", "lot", "output", "output_class", "parent")
"""Every role of ``event_identifier`` (backend.services.capture.event_identifiers)."""
_ORIGIN_ROLES = frozenset({"output", "output_class", "lot"})
_COMMISSIONED_ROLES = frozenset({"epc", "class"})
_META_COLUMNS = (
    "id", "hash_id", "org_id", "key_id", "signature", "event_type", "event_time", "biz_step", "biz_location",
    "read_point", "received_at", "capture_id", "batch_id", "leaf_index", "proof",
)  # fmt: skip


_LOOK_ANY = (
    select(EI.c.event_id, EI.c.role).where(EI.c.identifier == bindparam("node")).limit(bindparam("cap"))
)  # built once: a view looks up a few dozen items
_LOOK_IN = (
    select(EI.c.event_id, EI.c.role)
    .where(EI.c.identifier == bindparam("node"), EI.c.role.in_(bindparam("roles", expanding=True)))
    .limit(bindparam("cap"))
)


def _identifier_count() -> Any:
    """The stored count, else (an event stored without it) its identifier rows counted up to one more than the
    bound: enough to tell, and never more work than that."""
    bounded = select(literal(1)).where(EI.c.event_id == EV.c.id).correlate(EV).limit(MAX_EVENT_IDENTIFIERS + 1)
    counted = bounded.subquery()
    return func.coalesce(EV.c.identifier_count, select(func.count()).select_from(counted).scalar_subquery())


def is_origin(role: str, event_type: str, biz_step: str | None) -> bool:
    """Whether an event that names an item in ``role`` creates it: a transformation's output, the lot its maker's
    ILMD names, or an ObjectEvent commissioning it."""
    return role in _ORIGIN_ROLES or (
        role in _COMMISSIONED_ROLES and event_type == "ObjectEvent" and biz_step == "commissioning"
    )


@dataclass(frozen=True, slots=True)
class Summary:
    """An event left out of a view: its stored columns (no document) and why.

    Attributes:
        row: Its ``event`` columns (``identifier_count`` included).
        reason: :data:`OUTSIDE_CUSTODY` or :data:`TOO_MANY_IDENTIFIERS`.
        direct: Whether it names the item the view is about (not only something traced from it).
    """

    row: Row[Any]
    reason: str
    direct: bool


class Selection:
    """The events naming some traced items, as columns, and which of them count (see the module docstring).

    Attributes:
        rows: Stored columns (no document) of every event looked at, by row id.
        truncated: An item was named by more than ``max_mentions`` events in one role; only the first captured were
            looked at.
        custody: The chain of custody over everything looked at (custodians only ever join).
    """

    def __init__(
        self,
        session: Session,
        *,
        seeds: Iterable[str] = (),
        max_identifiers: int = MAX_EVENT_IDENTIFIERS,
        max_mentions: int = MAX_MENTIONS,
    ) -> None:
        self.session = session
        self.max_identifiers = max_identifiers
        self.max_mentions = max_mentions
        self.rows: dict[int, Row[Any]] = {}
        self.truncated = False
        self.custody = Custody(tuple(dict.fromkeys(seeds)))
        self._mentions: list[Mention] = []
        self._named: dict[str, set[int]] = {}
        self._by_org: dict[str, list[int]] = {}
        self.damaged: list[Damaged] = []

    def look(self, nodes: Mapping[str, Sequence[str] | None]) -> None:
        """Look at the events naming each node (in those roles, or any when ``None``), then update the custody."""
        ids: dict[int, list[tuple[str, str]]] = {}
        for node, roles in nodes.items():
            for event_id, role in self._mentions_of(node, roles):
                ids.setdefault(event_id, []).append((node, role))
        new = sorted(set(ids) - self.rows.keys())
        columns = [EV.c[name] for name in _META_COLUMNS] + [_identifier_count().label("identifier_count")]
        returned: set[int] = set()
        for start in range(0, len(new), _CHUNK):
            stmt = select(*columns).where(EV.c.id.in_(new[start : start + _CHUNK]))
            for row in self.session.execute(stmt):
                returned.add(row.id)
                damaged = event_damage(self.session, row)
                if damaged is not None:  # left out, and reported: the rest of the story is still read
                    self.damaged.append(damaged)
                    continue
                self.rows[row.id] = row
                self._by_org.setdefault(row.org_id, []).append(row.id)
        for event_id in set(new) - returned:  # rows naming an event that is not stored: reported, left out
            self.damaged += dangling_links(self.session, event_id, ids[event_id])
        for event_id, named in ids.items():
            looked = self.rows.get(event_id)
            if looked is None:  # damaged: left out
                continue
            for node, role in named:
                self._named.setdefault(node, set()).add(event_id)
                origin = is_origin(role, looked.event_type, looked.biz_step)
                self._mentions.append(
                    Mention(event_id, node, looked.org_id, looked.event_time, looked.biz_step, origin)
                )
        if ids:
            self.custody = custody(self._mentions, seeds=self.custody.custodians)

    def _mentions_of(self, node: str, roles: Sequence[str] | None) -> list[tuple[int, str]]:
        """(event, role) of at most ``max_mentions`` events per role naming ``node``, the first captured first. One
        query in the common case; per role when there are more, so that many events naming an item in one role
        (observations) never hide those naming it in another (the one that made it, the case it was packed in)."""
        cap = self.max_mentions
        if roles is None:
            rows = self.session.execute(_LOOK_ANY, {"node": node, "cap": cap + 1}).all()
        else:
            rows = self.session.execute(_LOOK_IN, {"node": node, "roles": list(roles), "cap": cap + 1}).all()
        if len(rows) <= cap:
            return [(e, r) for e, r in rows]
        out: list[tuple[int, str]] = []
        for role in roles if roles is not None else ROLES:
            rows = self.session.execute(_LOOK_IN, {"node": node, "roles": [role], "cap": cap + 1}).all()
            self.truncated |= len(rows) > cap
            out += [(e, role) for e, _ in rows[:cap]]
        return out

    def reason(self, event_id: int) -> str | None:
        """Why an event looked at is left out (``None``: it counts and may be read)."""
        row = self.rows[event_id]
        if not self.custody.admits(row.org_id):
            return OUTSIDE_CUSTODY
        if row.identifier_count > self.max_identifiers:
            return TOO_MANY_IDENTIFIERS
        return None

    def admitted(self) -> list[int]:
        """Row ids of the events that count and are small enough to read, in storage order."""
        ids = (i for org in self.custody.custodians for i in self._by_org.get(org, ()))
        return sorted(i for i in ids if self.rows[i].identifier_count <= self.max_identifiers)

    def summaries(self, about: Iterable[str], *, loaded: Iterable[int] = ()) -> list[Summary]:
        """The events left out (not in ``loaded``): those naming a node of ``about`` first, then the biggest, then by
        time."""
        direct = set().union(*(self._named.get(n, set()) for n in about))
        skip = set(loaded)
        out = [
            Summary(self.rows[i], reason, i in direct)
            for i in self.rows
            if i not in skip and (reason := self.reason(i)) is not None
        ]
        out.sort(key=lambda s: (not s.direct, -s.row.identifier_count, s.row.event_time, s.row.id))
        return out


def counts_of(summaries: Iterable[Summary]) -> dict[str, int]:
    """How many were left out, by reason."""
    counts: dict[str, int] = {}
    for s in summaries:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    return dict(sorted(counts.items()))


def references(
    session: Session, summaries: Sequence[Summary], *, limit: int = MAX_LISTED_SUMMARIES
) -> list[EventReference]:
    """The first ``limit`` summaries as proof-bundle references, with their Merkle proofs and anchors."""
    listed = summaries[:limit]
    batches = batches_of(session, [s.row for s in listed])
    out: list[EventReference] = []
    for s in listed:
        r = s.row
        batch = batches.get(r.batch_id) if r.batch_id is not None else None
        proof = root = claim = None
        if batch is not None and batch.status == "anchored" and r.proof is not None:
            anchor = stored_anchor(session, r, batch)
            if anchor is not None:
                proof, root, claim = anchor
        out.append(
            EventReference(
                hash_id=r.hash_id,
                organisation_id=r.org_id,
                key_id=r.key_id,
                signature=r.signature,
                reason=s.reason,
                event_type=r.event_type,
                event_time=r.event_time // 1000,
                biz_step=r.biz_step,
                identifier_count=r.identifier_count,
                proof=proof,
                root=root,
                anchor=claim,
            )
        )
    return out
