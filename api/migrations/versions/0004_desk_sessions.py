"""Desk sessions kept on the server: signing out deletes the session's row, so a copy of its
cookie no longer signs anyone in (audit 12 #3), and a session unused for the idle timeout ends.

Sessions signed before this revision carry no row and end: their users sign in again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desk_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("nonce_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("key_id", sa.Integer(), sa.ForeignKey("api_keys.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_desk_sessions_key_id", "desk_sessions", ["key_id"])


def downgrade() -> None:
    op.drop_index("ix_desk_sessions_key_id", table_name="desk_sessions")
    op.drop_table("desk_sessions")
