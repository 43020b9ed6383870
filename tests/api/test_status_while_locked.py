"""A job's status is a read: on SQLite (the embedded default) `GET /jobs/{id}` answers while another
process holds the database's one write lock (a job storing a large result, a worker stopped in the
middle of a write). It took that lock itself, so it waited out the busy timeout (30 s) and answered
503 "database is locked" (seen when tests/test_workers_supervision.py froze its worker mid-write)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from optimiser.io import read_document
from tests.api.helpers import TINY, Service, create_scenario, sqlite_service


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    yield from sqlite_service(tmp_path)


def test_a_status_poll_answers_while_another_process_holds_the_write_lock(service: Service) -> None:
    client, headers = service.client, service.tenant()
    scenario_id = create_scenario(client, headers, read_document(TINY))
    submitted = client.post("/jobs", json={"scenario_id": scenario_id, "kind": "solve"}, headers=headers)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    finished = client.get(f"/jobs/{job_id}?wait=60", headers=headers).json()
    assert finished["status"] == "succeeded", finished

    database = make_url(service.settings.database_url).database
    assert database is not None
    writer = sqlite3.connect(database, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # the write lock, held as a writer in another process holds it
        answer = client.get(f"/jobs/{job_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        assert answer.json() == finished
    finally:
        writer.rollback()
        writer.close()
