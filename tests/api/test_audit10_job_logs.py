"""Audit 10 #6: every log line about a job names it by its public id, the id the API returned.

docs/api.md: "Scenarios, jobs and keys are named by public ids … never by row numbers", and logs
carry "context such as request_id, job_id". The worker used to log ``"job_id": 2`` (the row) for
the job the API returned as a UUID, so an operator asked about that UUID could not find it.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from api.logs import JsonFormatter
from api.orm import Job
from api.worker import claim_next_job, requeue_expired_jobs
from tests.api.helpers import example_document
from tests.api.test_worker import LEASE_S, expire_lease, queue_jobs
from tests.servers import Server

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    """`commission serve` (the installed script) logging at INFO to a file: its URL, a key, the log."""
    server = Server(
        f"sqlite:///{tmp_path / 'service.db'}",
        tmp_path,
        cwd=tmp_path,
        PYTHONPATH=str(REPO),
        COMMISSION_JOB_POLL_INTERVAL_S="0.1",
        COMMISSION_LOG_LEVEL="INFO",
    )
    headers = server.headers("icb", "commissioner")
    server.start()
    try:
        yield server.url, headers, server.log
    finally:
        server.stop()


def worker_records(log: Path) -> list[dict[str, object]]:
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("logger") == "api.worker"]


@pytest.mark.slow
def test_the_worker_logs_a_job_by_the_id_the_api_returned(served: tuple[str, dict[str, str], Path]) -> None:
    url, headers, log = served
    scenario = httpx.post(f"{url}/scenarios", json=example_document(), headers=headers, timeout=30)
    assert scenario.status_code == 201, scenario.text
    ids = []
    for _ in range(2):  # the second job's row is 2: a row number could not pass for the first's id
        submitted = httpx.post(
            f"{url}/jobs", json={"scenario_id": scenario.json()["id"], "kind": "check"}, headers=headers, timeout=30
        )
        assert submitted.status_code == 202, submitted.text
        ids.append(submitted.json()["id"])
    for job_id in ids:
        finished = httpx.get(f"{url}/jobs/{job_id}?wait=60", headers=headers, timeout=90).json()
        assert finished["status"] == "succeeded", finished
    deadline = time.monotonic() + 10  # the "job finished" line is written just after the result
    while sum(r["message"] == "job finished" for r in worker_records(log)) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)

    records = worker_records(log)
    for job_id in ids:
        about = [r for r in records if r.get("job_id") == job_id]
        assert [r["message"] for r in about] == ["job started", "job finished"], records
        started, done = about
        assert started["kind"] == "check" and done["status"] == "succeeded"
        assert isinstance(done["job_row"], int) and started["job_row"] == done["job_row"]
    # No line about a job names it any other way.
    assert all(r["job_id"] in ids for r in records if "job_id" in r), records
    assert str(uuid.UUID(ids[0])) == ids[0]


def test_expired_jobs_are_logged_by_their_public_ids(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    rows = queue_jobs(sessions, 2)
    with sessions() as session:
        public = dict(session.execute(select(Job.id, Job.public_id).where(Job.id.in_(rows))).all())
        for _ in rows:
            assert claim_next_job(session, LEASE_S) is not None
    for row in rows:
        expire_lease(sessions, row)
    with caplog.at_level(logging.WARNING, logger="api.worker"), sessions() as session:
        # Each has been started once: with a limit of 1 both fail, with a higher one both go back.
        assert requeue_expired_jobs(session, max_attempts=1) == 2
    (record,) = [r for r in caplog.records if r.getMessage() == "requeued or failed jobs whose worker stopped"]
    line = json.loads(JsonFormatter().format(record))
    assert line["failed_job_ids"] == sorted(public.values()) and line["requeued_job_ids"] == []
    assert line["jobs"] == 2
