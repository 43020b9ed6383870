"""Alembic environment: migrates the database given by the caller or by the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from api.db import migration_engine
from api.orm import Base
from api.settings import Settings


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        run_migrations(given)
        return
    url = context.config.get_main_option("sqlalchemy.url") or Settings().database_url
    engine = migration_engine(url)
    try:
        with engine.connect() as connection:
            run_migrations(connection)
    finally:
        engine.dispose()


run_online()
