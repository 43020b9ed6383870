"""Health, readiness, request ids, structured logs and the request size limit."""

from __future__ import annotations

import json
import logging

from fastapi.testclient import TestClient

from api.logs import JsonFormatter, request_id_var
from api.main import create_app
from tests.api.helpers import Service, service_settings


def test_request_ids_are_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "not acceptable; " + "x" * 200})
    assert made.headers["x-request-id"].isalnum()
    assert len(made.headers["x-request-id"]) == 32


def test_log_lines_are_json_with_the_request_id() -> None:
    token = request_id_var.set("req-1")
    try:
        record = logging.LogRecord("api.worker", logging.INFO, __file__, 1, "job %s", (7,), None)
        record.job_id = 7
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "job 7"
    assert line["request_id"] == "req-1"
    assert line["job_id"] == 7
    assert line["level"] == "INFO"


def test_readyz_reports_an_unreachable_database() -> None:
    settings = service_settings(
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1", workers=0, migrate_on_start=False
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "detail": "the database is unreachable"}


def test_a_body_over_the_limit_is_413_even_without_a_length(service: Service, commissioner: dict) -> None:
    limit = service.settings.max_request_bytes

    def chunks():  # streamed, so no Content-Length header
        for _ in range(limit // 1000 + 2):
            yield b" " * 1000

    response = service.client.post(
        "/scenarios", content=chunks(), headers={**commissioner, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
