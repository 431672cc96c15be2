"""gtin claims: GTINs owned by first use, listed for the regulator

Until 0005 a GTIN belonged on the platform to the first organisation that issued a code for it: nothing on chain said
who owned which GS1 Company Prefix. Now the registry does, and issuing, recalling and commissioning need the GTIN's
owner (or its delegate). The claims made by first use are not kept silently: each (GTIN, organisation) that issued
codes becomes a ``PENDING`` row of ``gtin_claim`` with its first issue time and how many codes and recalls it made,
for the regulator to confirm or strike (``GET /gtin-claims``, ``POST /gtin-claims/{id}``). The codes stay as they
were until the regulator strikes a claim.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the claims' table and list every first-use claim of the codes issued so far."""
    op.create_table(
        "gtin_claim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("org_id", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("first_issued_at", sa.BigInteger(), nullable=False),
        sa.Column("codes", sa.BigInteger(), nullable=False),
        sa.Column("recalls", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("decided_at", sa.BigInteger(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("gtin", "org_id", name="ux_gtin_claim_gtin_org"),
    )
    with op.batch_alter_table("gtin_claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_gtin_claim_status"), ["status"], unique=False)
    op.execute(
        "INSERT INTO gtin_claim (gtin, org_id, first_issued_at, codes, recalls, status, note) "
        "SELECT c.gtin, c.org_id, MIN(c.created_at), COUNT(*), "
        "(SELECT COUNT(*) FROM recall r WHERE r.gtin = c.gtin AND r.org_id = c.org_id), 'PENDING', '' "
        "FROM issued_code c GROUP BY c.gtin, c.org_id ORDER BY MIN(c.created_at), c.gtin"
    )


def downgrade() -> None:
    """Drop the claims' table (the decisions are lost; the codes and recalls are untouched)."""
    with op.batch_alter_table("gtin_claim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gtin_claim_status"))
    op.drop_table("gtin_claim")
