"""Database engine, sessions and migrations: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIRECTORY = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_MIGRATION_LOCK = 7_366_235_001
# Per process: a few connections kept open, more opened under load and closed after. With
# up to 40 server threads (the default thread pool) no request waits for a connection, and
# long-polls hold none while they wait. A request that still cannot get one in 10 s fails.
POOL: dict[str, Any] = {"pool_size": 5, "max_overflow": 45, "pool_timeout": 10}


# /readyz's own engine: one connection of its own, so readiness never waits for the pool.
READINESS_POOL: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 10}


def create_db_engine(database_url: str, pool: dict[str, Any] | None = None) -> Engine:
    """An engine for `database_url`; SQLite gets WAL, a busy timeout and write-ahead locking."""
    pool = POOL if pool is None else pool
    if database_url.startswith("sqlite"):
        engine = create_engine(database_url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    return create_engine(database_url, pool_pre_ping=True, **pool)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (below) rather than the driver's lazy BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # Take the write lock at the start of each transaction, so a transaction that reads
    # and then writes waits its turn instead of failing with "database is locked".
    # Read-only work (long-poll checks) reads a snapshot without the lock (WAL).
    if connection.get_execution_options().get("commission_read_only"):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def database_is_reachable(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError):
        return False
    return True


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str) -> None:
    """Apply every Alembic migration not yet applied (safe to run from several processes)."""
    engine = create_db_engine(database_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({POSTGRES_MIGRATION_LOCK})"))
            config = alembic_config(database_url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
