"""Public ids: scenarios, jobs and keys get a random, time-ordered UUID (v7) that the API
shows instead of the sequential row id, so no organisation can count another's rows; and
scenarios remember what their Idempotency-Key created, so a reuse with a different
document is refused.

Existing rows are given ids here, so databases made by 0001 upgrade in place.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from api.ids import new_public_id

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("scenarios", "jobs", "api_keys")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("public_id", sa.String(36), nullable=True))
        rows = sa.table(table, sa.column("id", sa.Integer()), sa.column("public_id", sa.String(36)))
        connection = op.get_bind()
        for (row_id,) in connection.execute(sa.select(rows.c.id).order_by(rows.c.id)).all():
            connection.execute(sa.update(rows).where(rows.c.id == row_id).values(public_id=new_public_id()))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("public_id", existing_type=sa.String(36), nullable=False)
            batch.create_unique_constraint(f"uq_{table}_public_id", ["public_id"])
    with op.batch_alter_table("scenarios") as batch:
        batch.add_column(sa.Column("request_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("scenarios") as batch:
        batch.drop_column("request_sha256")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"uq_{table}_public_id", type_="unique")
            batch.drop_column("public_id")
