"""event.identifier_count: how many identifiers each event names, counted once

Until 0008 a product page, its proof bundle and the green views read and parsed every event naming the product, so
an event listing 100,000 EPCs, one of them someone else's serial, made that serial's page cost seconds and its
bundle megabytes. Capture now stores how many identifiers an event names (its ``event_identifier`` rows), and they
reference an event naming more than ``backend.services.custody.MAX_EVENT_IDENTIFIERS`` without reading its document.
This counts them for the events stored before (one pass over ``event_identifier``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EVENT = sa.table("event", sa.column("id", sa.Integer), sa.column("identifier_count", sa.Integer))
_LINKS = sa.table("event_identifier", sa.column("event_id", sa.Integer))


def upgrade() -> None:
    """Add the column and count the stored events' identifiers."""
    op.add_column("event", sa.Column("identifier_count", sa.Integer(), nullable=True))  # in place, no table copy
    counted = sa.select(sa.func.count()).select_from(_LINKS).where(_LINKS.c.event_id == _EVENT.c.id).scalar_subquery()
    op.get_bind().execute(_EVENT.update().values(identifier_count=counted))


def downgrade() -> None:
    """Drop the column (pages then read every event again): ``ALTER TABLE ... DROP COLUMN``, which SQLite 3.35+ and
    PostgreSQL do in place (a batch copy of ``event`` would break the foreign keys that point at it)."""
    op.drop_column("event", "identifier_count")
