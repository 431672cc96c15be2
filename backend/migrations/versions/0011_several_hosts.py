"""worker_lease, platform_secret: several hosts on one database

Until 0011 every host that ran the anchoring worker on one PostgreSQL database batched the same pending events. A
lease row names the one holder and an epoch that rises at each hand-over; the worker's writes check the epoch in their
own transaction (``backend.services.lease``), so a worker that lost its lease cannot write.

Each host also kept its own receipt-signing key in its data folder, so receipts and sessions of one host did not
verify on another. The key now lives in ``platform_secret``: the first host to start after 0011 stores the key of its
data folder, and every host uses the stored one.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the leases' and the secrets' tables (empty: the first worker and the first host fill them)."""
    op.create_table(
        "worker_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("acquired_ms", sa.BigInteger(), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "platform_secret",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    """Drop both tables (workers then run unfenced, and each host signs with its data folder's key: one host only)."""
    op.drop_table("platform_secret")
    op.drop_table("worker_lease")
