"""One home for the tests' real server: the installed `commission serve` in a subprocess.

`Server` starts it on a free port, in a process group of its own (a signal to the group reaches the
service, its job workers and their runs alike), waits until it is ready (or fails with the tail of its
log), stops it with SIGTERM to the group (SIGKILL if it has not ended in 30 s), makes keys in its
database as `commission keys create` makes them and reads its database. `running_server` gives one
on SQLite or on a fresh PostgreSQL schema of its own (skipped only where PostgreSQL is unreachable).

A test that needs something else (its own readiness, its own output handling) subclasses `Server`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import IO, Any, TypeVar

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from api import crud
from api.db import create_db_engine, create_session_factory, upgrade_database
from api.orm import Role
from tests.console import console_script

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("COMMISSION_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
LOG_TAIL = 3000


def commission() -> str:
    """The path of the installed `commission` console script (next to this interpreter)."""
    return console_script()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`commission serve --workers N` on ``database_url``, run (as its `commission` commands are) from
    ``cwd``, its output appended to ``directory``/server.log.

    ``settings`` are variables added to this interpreter's environment for the service and its commands
    (COMMISSION_LOG_LEVEL is WARNING unless given)."""

    startup_timeout_s: float = 60
    stop_timeout_s: float = 30
    poll_s: float = 0.2

    def __init__(
        self, database_url: str, directory: Path, *, workers: int = 1, cwd: Path = REPO, **settings: str
    ) -> None:
        self.database_url = database_url
        self.directory = directory
        self.workers = workers
        self.port = free_port()
        self.log = directory / "server.log"
        self.cwd = cwd
        self.environment = {
            **os.environ,
            "COMMISSION_DATABASE_URL": database_url,
            "COMMISSION_LOG_LEVEL": "WARNING",
            **settings,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server was not started"
        return self.process.pid

    def launch(self, arguments: list[str]) -> subprocess.Popen[bytes]:
        """The service's process, in a session (so a process group) of its own, its output in the log."""
        with self.log.open("ab") as log:
            return self.popen(arguments, log, log)

    def popen(self, arguments: list[str], stdout: IO[bytes] | int, stderr: IO[bytes] | int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            arguments, cwd=self.cwd, env=self.environment, stdout=stdout, stderr=stderr, start_new_session=True
        )

    def ready(self) -> bool:
        """Whether the started service is ready: /readyz answers 200."""
        try:
            return httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def output(self) -> str:
        """The end of what the service wrote, for a failure's message."""
        return self.log.read_text(errors="replace")[-LOG_TAIL:] if self.log.exists() else ""

    def start(self) -> None:
        """Start the service and wait until it is ready; stopped again, with its log, if it is not."""
        self.process = self.launch(
            [commission(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        )
        deadline = time.monotonic() + self.startup_timeout_s
        while True:
            if self.process.poll() is not None:
                self.kill()
                raise AssertionError(f"the server ended as it started ({self.process.returncode}):\n{self.output()}")
            if self.ready():
                return
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"the server did not start in {self.startup_timeout_s:g} s:\n{self.output()}")
            time.sleep(self.poll_s)

    def stop(self) -> None:
        """SIGTERM to the whole group (SIGKILL after 30 s), whatever is left of it; a worker a test
        stopped (SIGSTOP) is continued first, to take the signal."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGCONT)
            os.killpg(self.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            self.process.communicate(timeout=self.stop_timeout_s)
        self.kill()

    def kill(self) -> None:
        """SIGKILL to the whole group, as the out-of-memory killer would."""
        if self.process is None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        self.process.communicate()

    def command(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """The installed `commission` script run on this server's database."""
        return subprocess.run(
            [commission(), *arguments], cwd=self.cwd, env=self.environment, capture_output=True, text=True, timeout=120
        )

    def key(self, organisation: str = "icb", role: str = "commissioner") -> str:
        """A new API key (the organisation is created if new), made in the service's database as
        `commission keys create` makes it: migrations first (a test may make its keys before the server
        starts), then `crud.create_key`. In this process, not through the command: each test needs
        several keys, and the command's own start costs more than a second each time; the installed
        command itself is tested in tests/api/test_cli.py and tests/api/test_database_url_errors.py."""
        upgrade_database(self.database_url)
        engine = create_db_engine(self.database_url)
        try:
            with create_session_factory(engine)() as session:
                _key, token = crud.create_key(
                    session, crud.get_or_create_organisation(session, organisation), Role(role), None
                )
        finally:
            engine.dispose()
        return token

    def headers(self, organisation: str = "icb", role: str = "commissioner") -> dict[str, str]:
        return {"X-API-Key": self.key(organisation, role)}

    def sql(self, statement: str, **parameters: Any) -> list[Any]:
        """Rows of one SQL statement on the service's database (committed)."""
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(statement), parameters)
                return list(result.all()) if result.returns_rows else []
        finally:
            engine.dispose()


S = TypeVar("S", bound=Server)


def postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except SQLAlchemyError:
        return False
    return True


def new_schema(prefix: str) -> str:
    """A new, empty schema on the test PostgreSQL server."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return schema


def drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A fresh schema on the test PostgreSQL server, dropped afterwards; the test is skipped where
    PostgreSQL is unreachable."""
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL is unreachable at {POSTGRES_URL}")
    schema = new_schema(prefix)
    try:
        yield schema
    finally:
        drop_schema(schema)


def schema_url(schema: str, options: str = "") -> str:
    """The test PostgreSQL server's URL with ``schema`` first on the search path (and any other
    server ``options``, e.g. ``-cdefault_transaction_read_only=on``)."""
    searched = f"-csearch_path={schema} {options}".strip()
    url = make_url(POSTGRES_URL).update_query_dict({"options": searched})
    return url.render_as_string(hide_password=False)


def serving(server: S) -> Iterator[S]:
    """``server`` started, for a fixture to yield from; stopped afterwards."""
    try:
        server.start()
        yield server
    finally:
        server.stop()


def running_server(backend: str, directory: Path, *, workers: int = 1, **settings: str) -> Iterator[Server]:
    """A started server on ``backend``'s database: SQLite in ``directory``, or a fresh PostgreSQL schema
    (skipped where PostgreSQL is unreachable); stopped (and its schema dropped) afterwards."""
    settings = {"COMMISSION_JOB_POLL_INTERVAL_S": "0.1", **settings}  # jobs taken up at once
    with ExitStack() as stack:
        if backend == "postgres":
            database_url = schema_url(stack.enter_context(postgres_schema("server")))
        else:
            database_url = f"sqlite:///{directory / 'service.db'}"
        yield from serving(Server(database_url, directory, workers=workers, cwd=REPO, **settings))
