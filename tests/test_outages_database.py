"""Audit 13 #2: a database that cannot serve a request (unreachable, lost, full) is an outage,
not a bug: 503 with Retry-After in plain words, logged as a WARNING without a traceback; a bug
stays a 500."""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from api.db import create_db_engine
from api.main import DATABASE_RETRY_AFTER_S, create_app
from api.orm import Role
from optimiser.deliverability.wording import database_unavailable_sentence
from tests.api.helpers import Service, service_settings

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    settings = service_settings(
        f"sqlite:///{tmp_path / 'api.db'}", workers=0, max_request_bytes=1_000_000, max_table_rows=10_000
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """The catch-all's log lines, as JSON."""
    from api.logs import JsonFormatter

    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("api.main")
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


def refused_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lose_the_database(client: TestClient) -> None:
    """The database goes away: every new connection is refused."""
    state: Any = client.app.state  # type: ignore[attr-defined]
    state.engine.dispose()
    gone = create_db_engine(f"postgresql+psycopg://commission@127.0.0.1:{refused_port()}/gone?connect_timeout=3")
    state.sessions.configure(bind=gone)


def fill_the_database(client: TestClient) -> None:
    """SQLite's file may not grow by a page more: every write that needs one is SQLITE_FULL."""
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with engine.connect() as connection:
        pages = connection.execute(text("PRAGMA page_count")).scalar_one()

    @event.listens_for(engine, "connect")
    def _no_more_pages(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()


def assert_answered_unavailable(response: Any, request_id: str, log: io.StringIO) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(DATABASE_RETRY_AFTER_S)
    assert response.headers["x-request-id"] == request_id
    entries = [json.loads(line) for line in log.getvalue().splitlines()]
    [entry] = [entry for entry in entries if entry.get("request_id") == request_id]
    assert entry["level"] == "WARNING" and entry["message"].startswith("database unavailable answering")
    assert "exception" not in entry  # no traceback: an outage, not a bug
    assert "Traceback" not in response.text


def test_an_unreachable_database_is_a_503_with_retry_after(service: Service, log: io.StringIO) -> None:
    key = service.tenant(Role.COMMISSIONER)
    assert service.client.get("/scenarios", headers=key).status_code == 200
    lose_the_database(service.client)

    response = service.client.get("/scenarios", headers={**key, "X-Request-ID": "req-db-gone"})

    assert_answered_unavailable(response, "req-db-gone", log)
    assert response.json() == {"detail": database_unavailable_sentence(DATABASE_RETRY_AFTER_S, "req-db-gone")}
    assert "connection refused" in log.getvalue().lower()


def test_a_desk_page_with_its_database_gone_is_the_desks_unavailable_page(service: Service, log: io.StringIO) -> None:
    key = service.tenant(Role.COMMISSIONER)["X-API-Key"]
    origin = {"Origin": "http://testserver"}
    signed_in = service.client.post("/desk/sign-in", data={"api_key": key}, headers=origin, follow_redirects=False)
    assert signed_in.status_code == 303
    lose_the_database(service.client)

    response = service.client.get("/", headers={"X-Request-ID": "req-desk-db-gone"})

    assert_answered_unavailable(response, "req-desk-db-gone", log)
    assert response.headers["content-type"].startswith("text/html")
    assert "The service is unavailable just now" in response.text
    assert "try again in" in response.text


def test_a_full_sqlite_database_is_a_503_and_stores_nothing(service: Service, log: io.StringIO) -> None:
    key = service.tenant(Role.COMMISSIONER)
    fill_the_database(service.client)

    document = json.loads((REPO / "data" / "example_icb.json").read_text())  # 365 KB: new pages needed
    response = service.client.post(
        "/scenarios?name=full", json=document, headers={**key, "X-Request-ID": "req-disk-full"}
    )

    assert_answered_unavailable(response, "req-disk-full", log)
    assert "database or disk is full" in log.getvalue()
    listed = service.client.get("/scenarios", headers=key)  # reads still work, and nothing was stored
    assert listed.status_code == 200 and listed.json()["total"] == 0


def test_a_bug_in_the_sql_is_still_a_500(service: Service, log: io.StringIO) -> None:
    """SQLite reports a missing table as an OperationalError too: a bug, not an outage."""
    key = service.tenant(Role.COMMISSIONER)
    engine = service.client.app.state.engine  # type: ignore[attr-defined]
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE scenarios"))

    response = service.client.get("/scenarios", headers={**key, "X-Request-ID": "req-no-table"})

    assert response.status_code == 500, response.text
    [entry] = [json.loads(line) for line in log.getvalue().splitlines()]
    assert entry["level"] == "ERROR" and "Traceback" in entry["exception"]
