"""Released starts: a job remembers how many of its starts were given back to the queue by a
worker stopping cleanly, so that `attempts` counts every start (docs/api.md) while the retry
limit (COMMISSION_JOB_MAX_ATTEMPTS) still counts only the starts that ended without an answer.

Existing jobs have released none: their `attempts` already left released starts out.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("released_starts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    # As 0002 counted them: a released start was taken off `attempts`.
    jobs = sa.table("jobs", sa.column("attempts", sa.Integer()), sa.column("released_starts", sa.Integer()))
    op.get_bind().execute(sa.update(jobs).values(attempts=jobs.c.attempts - jobs.c.released_starts))
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("released_starts")
