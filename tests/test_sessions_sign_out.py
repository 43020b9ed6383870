"""Audit 12 #3: signing out of the desk ends the session on the server, and an unused session
ends after COMMISSION_DESK_IDLE_TIMEOUT_S. A real server (`commission serve`, the installed
script) on SQLite and on PostgreSQL (a schema of its own), driven over HTTP as a browser does.

The fixtures here (a server, keys, a scenario) serve tests/test_sessions_erasure.py too.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from optimiser.io import read_document

REPO = Path(__file__).resolve().parents[1]
COMMISSION = str(Path(sys.executable).with_name("commission"))
POSTGRES_URL = os.environ.get("COMMISSION_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
STARTUP_TIMEOUT_S = 60
IDLE_TIMEOUT_S = 3.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`commission serve` with one worker, in its own process group, and its database."""

    def __init__(self, database_url: str, directory: Path, **settings: str) -> None:
        self.database_url = database_url
        self.port = free_port()
        self.log = directory / "server.log"
        self.environment = {
            **os.environ,
            "COMMISSION_DATABASE_URL": database_url,
            "COMMISSION_JOB_POLL_INTERVAL_S": "0.1",
            "COMMISSION_LOG_LEVEL": "WARNING",
            **settings,
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [COMMISSION, "serve", "--port", str(self.port), "--workers", "1"],
                cwd=REPO,
                env=self.environment,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def command(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """The installed `commission` script run on this server's database."""
        return subprocess.run(
            [COMMISSION, *arguments], cwd=REPO, env=self.environment, capture_output=True, text=True, timeout=120
        )

    def key(self, organisation: str, role: str = "commissioner") -> str:
        created = self.command("keys", "create", "--org", organisation, "--role", role)
        assert created.returncode == 0, created.stderr
        return created.stdout.strip()

    def sql(self, statement: str, **parameters: Any) -> list[Any]:
        """Rows of one SQL statement on the service's database (committed)."""
        engine = create_engine(self.database_url)
        try:
            with engine.begin() as connection:
                result = connection.execute(text(statement), parameters)
                return list(result.all()) if result.returns_rows else []
        finally:
            engine.dispose()


def postgres_schema_url() -> Callable[[], str] | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except SQLAlchemyError:
        return None

    def new_schema() -> str:
        schema = f"sessions_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
        return schema

    return new_schema


def drop_schema(schema: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def running_server(backend: str, directory: Path, **settings: str) -> Iterator[Server]:
    """A started server on ``backend``'s database, stopped (and its schema dropped) afterwards."""
    schema = None
    if backend == "postgres":
        new_schema = postgres_schema_url()
        if new_schema is None:
            pytest.skip(f"PostgreSQL is unreachable at {POSTGRES_URL}")
        schema = new_schema()
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        database_url = url.render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{directory / 'service.db'}"
    server = Server(database_url, directory, **settings)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        if schema is not None:
            drop_schema(schema)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per backend for the module: each test is an organisation of its own on it."""
    directory = tmp_path_factory.mktemp("sessions")
    yield from running_server(request.param, directory, COMMISSION_DESK_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S))


# The id of the organisation named :organisation, for counting one test's rows on a shared server.
ORGANISATION = "(select id from organisations where name = :organisation)"


def desk_sessions_of(server: Server, organisation: str) -> int:
    return int(
        server.sql(
            "select count(*) from desk_sessions where key_id in"
            f" (select id from api_keys where organisation_id = {ORGANISATION})",
            organisation=organisation,
        )[0][0]
    )


def create_scenario(server: Server, api: dict[str, str], name: str) -> str:
    """The tiny hand-solved scenario, stored under ``name``; its public id."""
    response = httpx.post(
        f"{server.url}/scenarios", params={"name": name}, json=read_document(REPO / "data" / "tiny"), headers=api
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def signed_in(server: Server, key: str) -> httpx.Client:
    """A browser of its own, signed in to the desk with ``key``."""
    browser = httpx.Client(base_url=server.url, timeout=60)
    response = browser.post("/desk/sign-in", data={"api_key": key}, headers={"Origin": server.url})
    assert response.status_code == 303, response.text
    assert "desk_session" in browser.cookies
    return browser


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def is_signed_in(server: Server, cookie: str) -> bool:
    """Whether the home page, asked for with only this cookie, is a signed-in page."""
    page = httpx.get(f"{server.url}/", cookies={"desk_session": cookie}, timeout=60)
    assert page.status_code == 200
    return "Signed in for" in page.text


def test_a_copied_cookie_is_refused_after_sign_out(server: Server) -> None:
    organisation = f"org-{uuid.uuid4().hex[:8]}"
    key = server.key(organisation)
    api = {"Authorization": f"Bearer {key}"}
    scenario = create_scenario(server, api, "tiny")
    browser = signed_in(server, key)
    other_browser = signed_in(server, key)  # the same key, signed in elsewhere
    copied = browser.cookies["desk_session"]
    home = browser.get("/")
    assert "Signed in for" in home.text
    csrf = csrf_of(home.text)

    signed_out = browser.post("/desk/sign-out", data={"csrf": csrf}, headers={"Origin": server.url})
    assert signed_out.status_code == 303

    # The copy of the cookie, with its CSRF token, no longer reads or changes anything.
    assert not is_signed_in(server, copied)
    for path in ("/desk/check", "/desk/compare"):
        page = httpx.get(f"{server.url}{path}", cookies={"desk_session": copied}, follow_redirects=False)
        assert (page.status_code, page.headers.get("location")) == (303, "/"), path
    submitted = httpx.post(
        f"{server.url}/desk/check",
        cookies={"desk_session": copied},
        headers={"Origin": server.url},
        data={"csrf": csrf, "source": "stored", "scenario": scenario, "offer_kind": "pooled", "offer_amount": "25000"},
        follow_redirects=False,
    )
    assert (submitted.status_code, submitted.headers.get("location")) == (303, "/")
    assert httpx.get(f"{server.url}/jobs", headers=api).json()["total"] == 0, "a job was submitted after sign-out"
    # Only that session ended: the key's other session is still signed in.
    assert "Signed in for" in other_browser.get("/").text
    assert desk_sessions_of(server, organisation) == 1


def test_an_unused_session_ends_after_the_idle_timeout(server: Server) -> None:
    organisation = f"org-{uuid.uuid4().hex[:8]}"
    key = server.key(organisation)
    cookie = signed_in(server, key).cookies["desk_session"]
    # Used more often than the timeout, it stays open for longer than the timeout.
    used_since = time.monotonic()
    while time.monotonic() - used_since < 2 * IDLE_TIMEOUT_S:
        assert is_signed_in(server, cookie)
        time.sleep(IDLE_TIMEOUT_S / 3)
    time.sleep(IDLE_TIMEOUT_S + 1)
    assert not is_signed_in(server, cookie)
    page = httpx.get(f"{server.url}/desk/check", cookies={"desk_session": cookie}, follow_redirects=False)
    assert (page.status_code, page.headers.get("location")) == (303, "/")
    assert desk_sessions_of(server, organisation) == 0, "the ended session's row was kept"
