"""stored identifiers re-keyed by identifier_node (one encoding of Digital Link values)

Until 0003 an identifier was stored as ``canonical_dl`` gave it, or as written where it gave nothing: a lot or serial
with a percent escape or a character such as ``/`` or ``!`` kept the form (and host) each event wrote it in, so its
events did not meet in traces and its QR link found none of them. ``supplychain.gs1.identifier_node`` gives them one
form; this re-keys the identifiers and the events' places (``biz_location``, ``read_point``) it changes. Only values
that can change are read: those holding ``%``, ``"``, ``<``, ``>`` or a sub-delimiter that ``canonical_dl`` refuses,
and Digital Links on other hosts.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from supplychain.gs1 import identifier_node

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT = sa.table("event", sa.column("biz_location", sa.String), sa.column("read_point", sa.String))
_TABLE = sa.table(
    "event_identifier",
    sa.column("event_id", sa.Integer),
    sa.column("identifier", sa.String),
    sa.column("role", sa.String),
)


def _may_change(column: sa.ColumnClause[str]) -> sa.ColumnElement[bool]:
    return sa.or_(
        *(column.contains(c, autoescape=True) for c in '%"<>!()*+,'),
        sa.and_(column.like("http%"), ~column.like("https://id.gs1.org/%")),
    )


def _changes(bind: sa.Connection, column: sa.ColumnClause[str]) -> list[tuple[str, str]]:
    values = bind.execute(sa.select(column).where(_may_change(column)).distinct()).scalars()
    return [(old, new) for old in values if old is not None and (new := identifier_node(old)) != old]


def upgrade() -> None:
    """Re-key the identifiers and places whose node is not the form stored."""
    bind = op.get_bind()
    identifier = _TABLE.c.identifier
    for old, new in _changes(bind, identifier):
        rows = bind.execute(sa.select(_TABLE.c.event_id, _TABLE.c.role).where(identifier == old)).all()
        taken = {tuple(r) for r in bind.execute(sa.select(_TABLE.c.event_id, _TABLE.c.role).where(identifier == new))}
        bind.execute(_TABLE.delete().where(identifier == old))
        moved = [{"event_id": e, "identifier": new, "role": r} for e, r in rows if (e, r) not in taken]
        if moved:
            bind.execute(_TABLE.insert(), moved)
    for column in (_EVENT.c.biz_location, _EVENT.c.read_point):
        for old, new in _changes(bind, column):
            bind.execute(_EVENT.update().where(column == old).values({column.name: new}))


def downgrade() -> None:
    """Nothing to undo: the forms the events wrote are still in their stored documents (a re-capture would find
    them), and 0002's schema reads either form."""
