"""batch: block hash, confirmations, finality, reorgs and fee-bumped versions of its transaction

Until 0012 the worker called a batch anchored, and final, as soon as its transaction's receipt came in. On a real
network a block can be reorganised away and a transaction priced too low stays pending. A batch now records the hash
of the block holding its anchor (a reorg is seen when the receipt's block changes or vanishes), the confirmations the
worker last counted and when it became final (``confirmations`` setting), how often it was re-anchored after a reorg,
when its transaction was last sent, and the earlier versions of that transaction replaced at the same nonce with
higher fees (JSON: any of them may still be mined).

Batches anchored before 0012 were final by the rules they were anchored under: ``final_at`` is their ``anchored_at``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the columns; batches anchored already are final."""
    with op.batch_alter_table("batch") as batch:
        batch.add_column(sa.Column("block_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=True))
        batch.add_column(sa.Column("confirmations", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("final_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("reorgs", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("sent_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("earlier_txs", sa.Text(), nullable=True))
    op.execute("UPDATE batch SET final_at = anchored_at WHERE status = 'anchored'")


def downgrade() -> None:
    """Drop the columns (every anchored batch reads as final again, and a replaced transaction is forgotten)."""
    with op.batch_alter_table("batch") as batch:
        for column in ("earlier_txs", "sent_at", "reorgs", "final_at", "confirmations", "block_hash"):
            batch.drop_column(column)
