"""Audit 11 #9: an exception no handler answers is logged with its traceback and the request id,
and answered 500 in the API's error shape (or the desk's error page), in plain words, no trace."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.deps import get_session
from api.logs import JsonFormatter
from optimiser.deliverability.wording import unexpected_error_sentence

SECRET = "a database password in an exception message"


def broken_session() -> Iterator[None]:
    raise RuntimeError(SECRET)
    yield  # pragma: no cover - a generator dependency, as get_session is


@pytest.fixture
def broken(client: TestClient) -> Iterator[io.StringIO]:
    """Every route that opens a session fails unexpectedly; the log lines written meanwhile."""
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("api.main").addHandler(handler)
    client.app.dependency_overrides[get_session] = broken_session  # type: ignore[attr-defined]
    try:
        yield lines
    finally:
        client.app.dependency_overrides.pop(get_session)  # type: ignore[attr-defined]
        logging.getLogger("api.main").removeHandler(handler)


def test_an_unexpected_failure_is_a_json_500_naming_the_request_id(
    client: TestClient, commissioner: dict, broken: io.StringIO
) -> None:
    response = client.get("/scenarios", headers={**commissioner, "X-Request-ID": "req-audit11-9"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-request-id"] == "req-audit11-9"
    assert response.json() == {"detail": unexpected_error_sentence("req-audit11-9")}
    assert "req-audit11-9" in response.json()["detail"]
    assert SECRET not in response.text and "Traceback" not in response.text
    [entry] = [json.loads(line) for line in broken.getvalue().splitlines()]
    assert entry["level"] == "ERROR" and entry["request_id"] == "req-audit11-9"
    assert entry["path"] == "/scenarios"
    assert "Traceback" in entry["exception"] and SECRET in entry["exception"]


def test_an_unexpected_failure_on_a_desk_page_is_the_desks_error_page(client: TestClient, broken: io.StringIO) -> None:
    response = client.get("/", headers={"X-Request-ID": "req-desk-9"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>Something went wrong</h1>" in response.text
    assert unexpected_error_sentence("req-desk-9") in response.text
    assert SECRET not in response.text and "Traceback" not in response.text
    assert "req-desk-9" in broken.getvalue()


def test_the_service_still_answers_after_an_unexpected_failure(client: TestClient, commissioner: dict) -> None:
    assert client.get("/scenarios", headers=commissioner).status_code == 200
