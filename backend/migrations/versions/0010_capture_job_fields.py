"""capture.error_behaviour and capture.finished_at: the REST binding's capture-job fields

The EPCIS 2.0 REST binding lists capture jobs (``GET /capture``) with the ``GS1-Capture-Error-Behaviour`` they ran
under and when they finished. Both are columns, so that a page of jobs is read without the jobs' stored outcomes
(megabytes for a bulk capture), through a new index on (org_id, received_at, id). Jobs stored before 0010 keep NULL:
the listing derives what it can (``rollback`` when the job rolled back, else ``proceed``, the platform's default
until then; finished when received).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two nullable columns (in place, no table copy) and the index of an organisation's jobs by time."""
    op.add_column("capture", sa.Column("error_behaviour", sa.String(length=8), nullable=True))
    op.add_column("capture", sa.Column("finished_at", sa.BigInteger(), nullable=True))
    op.create_index("ix_capture_org_received", "capture", ["org_id", "received_at", "id"], unique=False)


def downgrade() -> None:
    """Drop them (``ALTER TABLE ... DROP COLUMN``, in place on SQLite 3.35+ and PostgreSQL)."""
    op.drop_index("ix_capture_org_received", table_name="capture")
    op.drop_column("capture", "finished_at")
    op.drop_column("capture", "error_behaviour")
