"""copied-code hint: address blocks of scans, a serial's latest scans from one index, issuers' copy checks

Until 0007 six look-ups from six /24 networks flagged a serial as possibly copied for good. The hint now needs look-ups
from many address blocks (/16, /32) spread over several days (:mod:`backend.services.scans`): each scan also stores a
salted hash of its client's block (``scan.block``; NULL for scans stored before, which count as networks only). A
serial's scans of the last days are read newest first from ``ix_scan_serial`` alone, however many it has. The issuer
of a serial, or the regulator, records in ``copy_check`` that its code was copied (the hint is confirmed) or that it
checked it (earlier scans count no more).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the scans' block and index, and the copy checks' table."""
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("block", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.create_index("ix_scan_serial", ["gtin", "serial", "scanned_at", "origin", "block"], unique=False)
    op.create_table(
        "copy_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("checked_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("copy_check", schema=None) as batch_op:
        batch_op.create_index("ix_copy_check_code", ["gtin", "serial", "checked_at"], unique=False)


def downgrade() -> None:
    """Drop the copy checks, the scans' block and its index (the schema of 0004)."""
    with op.batch_alter_table("copy_check", schema=None) as batch_op:
        batch_op.drop_index("ix_copy_check_code")
    op.drop_table("copy_check")
    with op.batch_alter_table("scan", schema=None) as batch_op:
        batch_op.drop_index("ix_scan_serial")
        batch_op.drop_column("block")
