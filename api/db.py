"""Database engine, sessions and migrations: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.settings import Settings

MIGRATIONS_DIRECTORY = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_MIGRATION_LOCK = 7_366_235_001
# Per process: a few connections kept open, more opened under load and closed after. With
# up to 40 server threads (the default thread pool) no request waits for a connection, and
# long-polls hold none while they wait. A request that still cannot get one in 10 s fails.
POOL: dict[str, Any] = {"pool_size": 5, "max_overflow": 45, "pool_timeout": 10}


# /readyz's own engine: one connection of its own, so readiness never waits for the pool.
READINESS_POOL: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 10}


SUPPORTED_URLS = "sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
POSTGRES_URL = "postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
# The check below gives up on a server that does not answer rather than wait for TCP's own timeout.
CHECK_CONNECT_TIMEOUT_S = 10


class DatabaseUnusable(Exception):
    """The database URL names no database the service can use; the message says why, in one line,
    without the URL's password."""


class ServiceUnusable(Exception):
    """The service cannot start with its settings: the message names the COMMISSION_* variable and
    what is wrong with it, in one line, never a secret or the database URL's password."""


def service_settings() -> Settings:
    """The service's settings, with its database checked. Every way of starting the service or
    opening its database starts here (``commission serve`` and the other commands, and an ASGI
    server calling ``api.main.create_app``), so a bad COMMISSION_* variable or a wrong or
    unreachable database is one line naming the variable, never a stack trace."""
    from pydantic import ValidationError

    try:
        settings = Settings()
    except ValidationError as error:
        # Each problem without its input: COMMISSION_METRICS_TOKEN is a secret.
        raise ServiceUnusable(
            "; ".join(f"COMMISSION_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        ) from None
    try:
        check_database(settings.database_url)
    except DatabaseUnusable as error:
        raise ServiceUnusable(f"COMMISSION_DATABASE_URL: {error}") from None
    return settings


def check_database(database_url: str) -> None:
    """Raise DatabaseUnusable unless `database_url` is a URL of a supported database that answers.

    Every command that opens the service's database checks it first (api/cli.py), so a wrong or
    unreachable database is one line, not a driver's stack trace. SQLite creates a missing file,
    as the service would, but not a missing folder.
    """
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        raise DatabaseUnusable(f"not a database URL: use {SUPPORTED_URLS}") from None
    backend = url.get_backend_name()
    if backend == "postgres":
        raise DatabaseUnusable(f"{url.drivername}:// is not a supported URL: use {POSTGRES_URL}")
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnusable(f"{url.drivername}:// is not supported: the service runs on {SUPPORTED_URLS}")
    try:
        dialect = url.get_dialect()
        dialect.import_dbapi()
    except NoSuchModuleError:
        raise DatabaseUnusable(f"{url.drivername}:// names no driver SQLAlchemy knows: use {SUPPORTED_URLS}") from None
    except ImportError as error:
        raise DatabaseUnusable(
            f"{url.drivername}:// needs the Python package {error.name or 'of its driver'}, which is not installed:"
            f" use {SUPPORTED_URLS}"
        ) from None
    if dialect.is_async:
        raise DatabaseUnusable(
            f"{url.drivername}:// is an asyncio driver, which the service cannot use: use {SUPPORTED_URLS}"
        )
    if backend == "sqlite":
        _check_sqlite_path(url)
        where = f"open the SQLite file {url.database}"
        engine = create_db_engine(database_url, {})  # with the service's own settings (WAL needs a writable file)
    else:
        where = f"connect to {url.host}:{url.port or 5432}" if url.host else "connect to the local PostgreSQL socket"
        timeout = {} if "connect_timeout" in url.query else {"connect_timeout": CHECK_CONNECT_TIMEOUT_S}
        engine = create_engine(url, connect_args=timeout)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except DBAPIError as error:
        reason = _hide_password(_first_line_of_reason(error.orig or error), url)
        raise DatabaseUnusable(f"cannot {where} ({reason})") from None
    finally:
        engine.dispose()


def _check_sqlite_path(url: URL) -> None:
    if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory":
        raise DatabaseUnusable(
            "an in-memory SQLite database is not supported (each of the service's processes would have its own):"
            " use sqlite:///PATH"
        )
    if url.query.get("uri"):
        return  # an SQLite URI (file:PATH?...): its path is the driver's to read
    folder = Path(str(url.database)).parent
    if not folder.is_dir():
        raise DatabaseUnusable(f"cannot open the SQLite file {url.database}: the folder {folder} does not exist")


def _first_line_of_reason(error: BaseException) -> str:
    """The driver's reason in its own words: `Connection refused`, not the lines of advice after it."""
    line = (str(error).strip().splitlines() or [type(error).__name__])[0]
    reason = line.rsplit("failed: ", 1)[-1].strip()  # psycopg: "connection to server at ... failed: WHY"
    reason = reason.removeprefix("FATAL:").strip()
    if len(reason) > 1 and reason[0].isupper() and reason[1].islower():
        reason = reason[0].lower() + reason[1:]
    return reason or type(error).__name__


def _hide_password(message: str, url: URL) -> str:
    return message.replace(url.password, "***") if url.password else message


def create_db_engine(
    database_url: str, pool: dict[str, Any] | None = None, *, idle_in_transaction_s: int | None = None
) -> Engine:
    """An engine for `database_url`; SQLite gets WAL, a busy timeout and write-ahead locking.

    ``idle_in_transaction_s`` (PostgreSQL): the server ends a session whose transaction has waited
    this long for its next statement, releasing the rows it locked (a job worker's engine)."""
    pool = POOL if pool is None else pool
    if database_url.startswith("sqlite"):
        _create_private_sqlite_file(make_url(database_url))
        engine = create_engine(database_url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_immediate)
        return engine
    engine = create_engine(database_url, pool_pre_ping=True, **pool)
    if idle_in_transaction_s is not None:
        event.listen(engine, "connect", functools.partial(_end_idle_transactions, seconds=idle_in_transaction_s))
    return engine


def _end_idle_transactions(dbapi_connection: Any, _record: Any, seconds: int) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SET that opens no transaction of its own
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET idle_in_transaction_session_timeout = {seconds * 1000}")
    cursor.close()
    dbapi_connection.autocommit = autocommit


def _create_private_sqlite_file(url: URL) -> None:
    """Create a missing SQLite file readable by its owner only (0600): it holds scenarios, results and
    key hashes. SQLite gives its -wal and -shm files the mode of the database file. An existing file
    keeps the mode it has; a missing folder is left to the driver (and check_database) to report."""
    if url.database in (None, "", ":memory:") or url.query.get("mode") == "memory" or url.query.get("uri"):
        return
    # OSError: it exists, or cannot be made here; the driver says why when it opens it.
    with contextlib.suppress(OSError):
        os.close(os.open(str(url.database), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


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


def database_problem(engine: Engine, min_free_bytes: int) -> str | None:
    """Why the service cannot use its database now, or None: it is unreachable, or it cannot be
    written (/readyz). Nothing is written and no lock is taken, so the check is as quick as a query:
    PostgreSQL says in the same query whether it is read-only (a standby, or read-only transactions);
    SQLite's file must be writable, on a disk with `min_free_bytes` free (SQLite writes nothing to
    disk until a commit, so a write rolled back would not find a full disk, and it would wait for
    the write lock behind any job storing its result)."""
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                standby, read_only = connection.execute(
                    text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
                ).one()
            else:
                connection.execute(text("SELECT 1"))
                standby, read_only = False, "off"
    except (SQLAlchemyError, OSError):
        return "the database is unreachable"
    if standby:
        return "the database is a read-only standby"
    if read_only == "on":
        return "the database is read-only (transaction_read_only is on)"
    if engine.dialect.name == "sqlite" and not engine.url.query.get("uri"):
        return _sqlite_file_problem(Path(str(engine.url.database)), min_free_bytes)
    return None


def _sqlite_file_problem(path: Path, min_free_bytes: int) -> str | None:
    if not os.access(path, os.W_OK):  # a read-only file, or a file system mounted read-only
        return "the database file cannot be written"
    disk = os.statvfs(path.parent)
    free = disk.f_bavail * disk.f_frsize
    if free < min_free_bytes:
        return f"the database's disk is full ({free:,} bytes free, less than the largest request, {min_free_bytes:,})"
    return None


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migration_engine(database_url: str) -> Engine:
    """The engine migrations run on (`commission db upgrade`, the API's start, `alembic -c
    api/alembic.ini`). On SQLite it does not enforce foreign keys: a batch migration recreates a
    table (copy, drop, rename), and dropping a table that another table's rows refer to fails, so
    with them enforced `alembic downgrade 0002` failed on any database holding a job."""
    engine = create_db_engine(database_url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _do_not_enforce_foreign_keys)
    return engine


def _do_not_enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA foreign_keys=OFF")  # after _configure_sqlite_connection's ON


def upgrade_database(database_url: str) -> None:
    """Apply every Alembic migration not yet applied (safe to run from several processes)."""
    engine = migration_engine(database_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({POSTGRES_MIGRATION_LOCK})"))
            config = alembic_config(database_url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()
