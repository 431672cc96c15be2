"""browser sessions: sign-ins that /logout can end

Until 0004 the sign-in cookie held the token's row id and an expiry under an HMAC, and nothing on the server: signing
out only asked the browser to forget the cookie, and a copy of it kept working for the rest of its eight hours. Each
sign-in is now a row (``browser_session``) that ``/logout`` ends; its cookie names the row. Cookies made before 0004
are refused (their browsers sign in again).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the sessions' table."""
    op.create_table(
        "browser_session",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("revoked_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["token_id"], ["api_token.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_browser_session_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_browser_session_token_id"), ["token_id"], unique=False)


def downgrade() -> None:
    """Drop the sessions' table (every browser signs in again)."""
    with op.batch_alter_table("browser_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_browser_session_token_id"))
        batch_op.drop_index(batch_op.f("ix_browser_session_expires_at"))
    op.drop_table("browser_session")
