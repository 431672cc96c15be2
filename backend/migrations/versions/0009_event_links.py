"""event_link: per-identifier story links committed in the anchoring batches

From 0009 the anchoring worker commits, beside each event's leaf, one link per identifier the event names
(:mod:`supplychain.links`): a hash chain through every event naming the identifier, anchored, so that a proof bundle
(version 2) that leaves out an event of a product's story is caught by the scanner. Batches anchored before have no
links (they cannot be added to an anchored tree): an identifier's chain starts at its first event anchored after the
upgrade, and a verifier says the events before it are not covered.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the link table."""
    op.create_table(
        "event_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identifier", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("previous_event_id", sa.Integer(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("proof", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"]),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"]),
        sa.ForeignKeyConstraint(["previous_event_id"], ["event.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event_link", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_link_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_link_event_id"), ["event_id"], unique=False)
        batch_op.create_index("ix_event_link_identifier", ["identifier", "id"], unique=False)


def downgrade() -> None:
    """Drop the link table (bundles are then version 1 again: completeness not proven)."""
    with op.batch_alter_table("event_link", schema=None) as batch_op:
        batch_op.drop_index("ix_event_link_identifier")
        batch_op.drop_index(batch_op.f("ix_event_link_event_id"))
        batch_op.drop_index(batch_op.f("ix_event_link_batch_id"))
    op.drop_table("event_link")
