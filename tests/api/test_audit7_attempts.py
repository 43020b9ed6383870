"""Audit 7, A8: `attempts` counts every start of a job (docs/api.md), a start given back to the
queue by a worker stopping cleanly included, while COMMISSION_JOB_MAX_ATTEMPTS still counts only
the starts whose worker or run's process died."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from api.db import alembic_config, create_db_engine, create_session_factory
from api.main import create_app
from api.orm import Job, JobStatus, Organisation, Scenario, ScenarioVersion, utc_now
from api.worker import ClaimedJob, claim_next_job, release_job, requeue_expired_jobs
from models.synthetic import generate_scenario
from tests.api.conftest import BACKENDS, database_url
from tests.api.helpers import Service, example_document, service_settings

LEASE_S = 30.0


def queue_job(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        version = ScenarioVersion(
            scenario=Scenario(organisation=Organisation(name="attempts"), name="s"),
            number=1,
            document=example_document(),
            scenario_hash="0" * 64,
        )
        session.add(version)
        session.flush()
        job = Job(
            organisation_id=version.scenario.organisation_id,
            scenario_version_id=version.id,
            kind="solve",
            overrides={},
            status=JobStatus.QUEUED,
            request_sha256="0" * 64,
        )
        session.add(job)
        session.commit()
        return job.id


def claim(sessions: sessionmaker[Session]) -> ClaimedJob:
    with sessions() as session:
        claimed = claim_next_job(session, LEASE_S)
    assert claimed is not None
    return claimed


def die(sessions: sessionmaker[Session], job_id: int, max_attempts: int) -> Job:
    """The job's worker dies: its lease expires and the requeueing sweep finds it."""
    with sessions() as session:
        session.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=utc_now() - timedelta(seconds=1)))
        session.commit()
        assert requeue_expired_jobs(session, max_attempts) == 1
        return session.get_one(Job, job_id)


def test_a_released_start_counts_in_attempts_but_not_against_the_limit(sessions: sessionmaker[Session]) -> None:
    job_id = queue_job(sessions)
    first = claim(sessions)
    assert (first.attempts, first.attempt) == (1, 1)
    with sessions() as session:
        release_job(session, job_id, first.lease_token)  # the service stopped cleanly
        released = session.get_one(Job, job_id)
        assert (released.status, released.attempts, released.released_starts) == (JobStatus.QUEUED, 1, 1)
    second = claim(sessions)
    assert (second.attempts, second.attempt) == (2, 1)
    # with a limit of 2, one death after a released start is the first counted attempt: requeued
    after_one_death = die(sessions, job_id, max_attempts=2)
    assert (after_one_death.status, after_one_death.attempts) == (JobStatus.QUEUED, 2)
    third = claim(sessions)
    assert (third.attempts, third.attempt) == (3, 2)
    after_two_deaths = die(sessions, job_id, max_attempts=2)
    assert (after_two_deaths.status, after_two_deaths.attempts) == (JobStatus.FAILED, 3)
    assert after_two_deaths.error == "the job's worker stopped 2 times before it finished"


@pytest.mark.parametrize("backend", BACKENDS)
def test_jobs_of_a_database_before_released_starts_upgrade_and_downgrade(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    url = database_url(request, backend, tmp_path_factory)
    engine = create_db_engine(url)
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0002")
    job_id = 1
    with engine.begin() as connection:
        for statement in (
            "INSERT INTO organisations (id, name, created_at) VALUES (1, 'old', CURRENT_TIMESTAMP)",
            "INSERT INTO scenarios (id, public_id, organisation_id, name, created_at) "
            "VALUES (1, '0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e', 1, 's', CURRENT_TIMESTAMP)",
            "INSERT INTO scenario_versions (id, scenario_id, number, document, scenario_hash, created_at) "
            "VALUES (1, 1, 1, '{}', 'h', CURRENT_TIMESTAMP)",
            "INSERT INTO jobs (id, public_id, organisation_id, scenario_version_id, kind, overrides, status, "
            "request_sha256, attempts, created_at) VALUES (1, '0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2f', 1, 1, "
            "'solve', '{}', 'queued', 'h', 2, CURRENT_TIMESTAMP)",
        ):
            connection.execute(text(statement))
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    sessions = create_session_factory(engine)
    with sessions() as session:
        upgraded = session.get_one(Job, job_id)
        assert (upgraded.attempts, upgraded.released_starts) == (2, 0)
        session.execute(update(Job).where(Job.id == job_id).values(attempts=3, released_starts=1))
        session.commit()
    with engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        # 0002 took a released start off `attempts`
        assert connection.scalar(text("SELECT attempts FROM jobs WHERE id = :id"), {"id": job_id}) == 2
    engine.dispose()


def app_service(url: str) -> contextlib.AbstractContextManager[TestClient]:
    settings = service_settings(url, workers=1, max_request_bytes=50_000_000, max_table_rows=100_000)
    return TestClient(create_app(settings))


def wait_for(client: TestClient, headers: dict[str, str], job_id: str, statuses: set[str]) -> dict:
    # `?wait=` holds the request until the job finishes: waiting to see it running, it would miss it.
    query = "" if "running" in statuses else "?wait=5"
    deadline = time.monotonic() + 300
    while (job := client.get(f"/jobs/{job_id}{query}", headers=headers).json())["status"] not in statuses:
        assert time.monotonic() < deadline, job
        time.sleep(0.05)
    return dict(job)


@pytest.mark.slow
def test_a_job_running_when_the_service_stops_cleanly_keeps_its_start(tmp_path: Path) -> None:
    """The audit's steps: a job running when the service is stopped (its workers give the job
    back) and started again runs to the end, its `attempts` counting both starts."""
    url = f"sqlite:///{tmp_path / 'service.db'}"
    document = generate_scenario(n_practices=2000, n_pcns=200)  # a solve of seconds: stopped mid-run
    with app_service(url) as client:
        headers = Service(client=client, settings=client.app.state.settings).tenant()  # type: ignore[attr-defined]
        scenario = client.post("/scenarios", json=document, headers=headers)
        assert scenario.status_code == 201, scenario.text[:500]
        submitted = client.post("/jobs", json={"scenario_id": scenario.json()["id"], "kind": "solve"}, headers=headers)
        job_id = submitted.json()["id"]
        running = wait_for(client, headers, job_id, {"running", "succeeded", "failed"})
        assert (running["status"], running["attempts"]) == ("running", 1), running
    engine = create_engine(url)
    with engine.connect() as connection:
        row = connection.execute(
            select(Job.status, Job.attempts, Job.released_starts).where(Job.public_id == job_id)
        ).one()
    engine.dispose()
    assert tuple(row) == ("queued", 1, 1), "stopped too late: the job had finished"
    with app_service(url) as client:
        queued = client.get(f"/jobs/{job_id}", headers=headers).json()
        assert (queued["status"], queued["attempts"]) in {("queued", 1), ("running", 2)}
        finished = wait_for(client, headers, job_id, {"succeeded", "failed", "cancelled"})
    assert (finished["status"], finished["attempts"], finished["error"]) == ("succeeded", 2, None), finished
