"""product master data: versions of a GTIN's signed gs1:Product, anchored with the events

A GTIN's owner publishes its product's master data (name, brand, net content...), signed with its key
(``POST /products/{gtin}/master-data``); each version is a row, anchored in the same Merkle batches as events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the master data table."""
    op.create_table(
        "master_data",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=90), nullable=False),
        sa.Column("document_hash", sqlmodel.sql.sqltypes.AutoString(length=66), nullable=False),
        sa.Column("envelope", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("valid_from", sa.BigInteger(), nullable=False),
        sa.Column("valid_until", sa.BigInteger(), nullable=True),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("leaf_index", sa.Integer(), nullable=True),
        sa.Column("proof", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["batch.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_hash"),
    )
    with op.batch_alter_table("master_data", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_master_data_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_master_data_org_id"), ["org_id"], unique=False)
        batch_op.create_index("ux_master_data_gtin_version", ["gtin", "version"], unique=True)


def downgrade() -> None:
    """Drop the master data table."""
    with op.batch_alter_table("master_data", schema=None) as batch_op:
        batch_op.drop_index("ux_master_data_gtin_version")
        batch_op.drop_index(batch_op.f("ix_master_data_org_id"))
        batch_op.drop_index(batch_op.f("ix_master_data_batch_id"))
    op.drop_table("master_data")
