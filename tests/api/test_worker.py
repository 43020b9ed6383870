"""Job leases: claiming, renewal, requeueing and the exactly-once result write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from api import worker
from api.db import create_db_engine, create_session_factory, upgrade_database
from api.orm import Job, JobStatus, JobTable, Organisation, Scenario, ScenarioVersion, utc_now
from api.worker import (
    claim_next_job,
    died_attempts_summary,
    finish_job,
    release_job,
    renew_lease,
    requeue_expired_jobs,
    requeue_job,
)
from optimiser.execution import RunDied
from tests.api.helpers import example_document

LEASE_S = 30.0


def queue_jobs(sessions: sessionmaker[Session], count: int) -> list[int]:
    with sessions() as session:
        organisation = Organisation(name="worker-tests")
        scenario = Scenario(organisation=organisation, name="s")
        version = ScenarioVersion(scenario=scenario, number=1, document=example_document(), scenario_hash="0" * 64)
        session.add(version)
        session.flush()
        jobs = [
            Job(
                organisation_id=organisation.id,
                scenario_version_id=version.id,
                kind="solve",
                overrides={},
                status=JobStatus.QUEUED,
                request_sha256="0" * 64,
            )
            for _ in range(count)
        ]
        session.add_all(jobs)
        session.commit()
        return [job.id for job in jobs]


def job_row(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as session:
        return session.get_one(Job, job_id)


def expire_lease(sessions: sessionmaker[Session], job_id: int) -> None:
    with sessions() as session:
        session.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=utc_now() - timedelta(seconds=1)))
        session.commit()


def test_a_job_is_claimed_once_and_finished_once(sessions: sessionmaker[Session]) -> None:
    [job_id] = queue_jobs(sessions, 1)
    with sessions() as session:
        claimed = claim_next_job(session, LEASE_S)
        assert claimed is not None
        assert claimed.document == example_document()
        assert claim_next_job(session, LEASE_S) is None
    running = job_row(sessions, job_id)
    assert (running.status, running.attempts) == (JobStatus.RUNNING, 1)
    assert running.lease_expires_at is not None and running.lease_expires_at > utc_now()

    with sessions() as session:
        assert renew_lease(session, job_id, claimed.lease_token, LEASE_S)
        assert not finish_job(session, job_id, "someone-else", status=JobStatus.SUCCEEDED, duration_s=1.0)
        table = pd.DataFrame({"practice_id": ["P1"], "spend": [float("nan")]})
        assert finish_job(
            session,
            job_id,
            claimed.lease_token,
            status=JobStatus.SUCCEEDED,
            duration_s=1.0,
            result={"status": "optimal", "objective_value": float("inf")},
            tables={"spend": table},
        )
        assert not finish_job(session, job_id, claimed.lease_token, status=JobStatus.FAILED, duration_s=1.0)
        assert not renew_lease(session, job_id, claimed.lease_token, LEASE_S)
        stored = session.scalars(select(JobTable).where(JobTable.job_id == job_id)).all()
        assert [(t.name, t.columns, t.rows) for t in stored] == [("spend", ["practice_id", "spend"], [["P1", None]])]
    finished = job_row(sessions, job_id)
    assert finished.status == JobStatus.SUCCEEDED
    assert finished.result == {"status": "optimal", "objective_value": None}


def test_a_cancelled_job_keeps_no_result(sessions: sessionmaker[Session]) -> None:
    [job_id] = queue_jobs(sessions, 1)
    with sessions() as session:
        claimed = claim_next_job(session, LEASE_S)
        assert claimed is not None
        session.execute(update(Job).where(Job.id == job_id).values(status=JobStatus.CANCELLED))
        session.commit()
        assert not renew_lease(session, job_id, claimed.lease_token, LEASE_S)
        assert not finish_job(session, job_id, claimed.lease_token, status=JobStatus.SUCCEEDED, duration_s=1.0)
    assert job_row(sessions, job_id).status == JobStatus.CANCELLED


def test_an_expired_lease_is_requeued_and_the_old_worker_cannot_finish(sessions: sessionmaker[Session]) -> None:
    [job_id] = queue_jobs(sessions, 1)
    with sessions() as session:
        first = claim_next_job(session, LEASE_S)
        assert first is not None
        assert requeue_expired_jobs(session, max_attempts=3) == 0
    expire_lease(sessions, job_id)
    with sessions() as session:
        assert requeue_expired_jobs(session, max_attempts=3) == 1
        assert job_row(sessions, job_id).status == JobStatus.QUEUED
        second = claim_next_job(session, LEASE_S)
        assert second is not None
        assert not finish_job(session, job_id, first.lease_token, status=JobStatus.SUCCEEDED, duration_s=1.0)
        assert finish_job(session, job_id, second.lease_token, status=JobStatus.SUCCEEDED, duration_s=1.0)
    assert job_row(sessions, job_id).attempts == 2


def test_a_job_whose_worker_keeps_dying_fails(sessions: sessionmaker[Session]) -> None:
    [job_id] = queue_jobs(sessions, 1)
    for _ in range(2):
        with sessions() as session:
            assert claim_next_job(session, LEASE_S) is not None
        expire_lease(sessions, job_id)
        with sessions() as session:
            requeue_expired_jobs(session, max_attempts=2)
    failed = job_row(sessions, job_id)
    assert failed.status == JobStatus.FAILED
    assert failed.error == "the job's worker stopped 2 times before it finished"


def test_a_job_whose_run_died_is_requeued_noting_how_each_attempt_ended(sessions: sessionmaker[Session]) -> None:
    [job_id] = queue_jobs(sessions, 1)
    killed, exited = str(RunDied(-9)), str(RunDied(1))
    assert killed == "the run's process was killed by signal 9 (out of memory?)"
    with sessions() as session:
        first = claim_next_job(session, LEASE_S)
        assert first is not None and (first.attempts, first.error) == (1, None)
        assert requeue_job(session, job_id, first.lease_token, died_attempts_summary(killed, 1, first.error))
        assert not requeue_job(session, job_id, first.lease_token, "again")  # no longer its worker's
    requeued = job_row(sessions, job_id)
    assert (requeued.status, requeued.attempts, requeued.lease_token) == (JobStatus.QUEUED, 1, None)
    with sessions() as session:
        second = claim_next_job(session, LEASE_S)
    assert second is not None and second.attempts == 2
    assert second.error == f"{killed} in attempt 1"
    assert died_attempts_summary(killed, 2, second.error) == f"{killed} in each of 2 attempts"
    assert died_attempts_summary(exited, 2, second.error) == (
        f"the run's process exited with code 1 without an answer in attempt 2; before that, {killed} in attempt 1"
    )
    # an attempt whose worker died in between (the lease path records nothing) is not counted as killed
    assert (
        died_attempts_summary(killed, 3, second.error) == f"{killed} in attempt 3; before that, {killed} in attempt 1"
    )


def test_a_stopping_worker_releases_its_job(sessions: sessionmaker[Session]) -> None:
    [job_id] = queue_jobs(sessions, 1)
    with sessions() as session:
        claimed = claim_next_job(session, LEASE_S)
        assert claimed is not None
        release_job(session, job_id, claimed.lease_token)
    released = job_row(sessions, job_id)
    # the start still counts (docs/api.md: `attempts` counts the starts), noted as released
    assert (released.status, released.attempts, released.released_starts, released.lease_token) == (
        JobStatus.QUEUED,
        1,
        1,
        None,
    )


def test_concurrent_claims_never_share_a_job(migrated_database: str, sessions: sessionmaker[Session]) -> None:
    job_ids = queue_jobs(sessions, 12)
    claims: list[int] = []
    lock = threading.Lock()

    def claim_all() -> None:
        engine = create_db_engine(migrated_database)
        own_sessions = create_session_factory(engine)
        while True:
            with own_sessions() as session:
                claimed = claim_next_job(session, LEASE_S)
            if claimed is None:
                with own_sessions() as session:
                    queued = session.scalar(select(Job.id).where(Job.status == JobStatus.QUEUED).limit(1))
                if queued is None:
                    break
                continue
            with lock:
                claims.append(claimed.id)
        engine.dispose()

    threads = [threading.Thread(target=claim_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claims) == sorted(job_ids)


@pytest.mark.postgres
def test_a_job_row_locked_by_a_stopped_worker_does_not_stop_the_requeue(
    new_postgres_url: Callable[[], str],
) -> None:
    """A worker stopped in the middle of a write to its job (SIGSTOP, a process stuck in I/O) keeps that
    row locked on PostgreSQL. The supervisor's requeue waited for the lock, for ever, in the thread that
    also replaces dead workers; now it passes over a locked job and requeues the rest, and the locked
    job once its lock is gone."""
    url = new_postgres_url()
    upgrade_database(url)
    engine = create_db_engine(url)
    sessions = create_session_factory(engine)
    try:
        stuck, other = queue_jobs(sessions, 2)
        for _ in (stuck, other):
            with sessions() as session:
                assert claim_next_job(session, LEASE_S) is not None
        expire_lease(sessions, stuck)
        expire_lease(sessions, other)
        with sessions() as holder:
            holder.execute(update(Job).where(Job.id == stuck).values(lease_expires_at=Job.lease_expires_at))
            requeued: list[int] = []
            supervisor = threading.Thread(target=lambda: requeued.append(requeue_in_own_session(sessions)))
            supervisor.start()
            supervisor.join(timeout=10)
            held = supervisor.is_alive()
            holder.rollback()  # the stopped worker goes on (or dies): its lock is gone
            supervisor.join()
        assert not held, "the requeue waited for the locked job"
        assert requeued == [1]
        assert (job_row(sessions, stuck).status, job_row(sessions, other).status) == (
            JobStatus.RUNNING,
            JobStatus.QUEUED,
        )
        assert requeue_in_own_session(sessions) == 1
        assert job_row(sessions, stuck).status == JobStatus.QUEUED
    finally:
        engine.dispose()


def requeue_in_own_session(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return requeue_expired_jobs(session, max_attempts=3)


@pytest.mark.postgres
def test_a_workers_transaction_left_waiting_is_ended_and_its_job_requeued(
    new_postgres_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker stopped in the middle of a write for good: PostgreSQL ends its session after
    WORKER_IDLE_IN_TRANSACTION_S (1 s here), its lock goes with it, and the job is requeued."""
    monkeypatch.setattr(worker, "WORKER_IDLE_IN_TRANSACTION_S", 1)
    url = new_postgres_url()
    upgrade_database(url)
    engine, stalled_engine = create_db_engine(url), worker.worker_engine(url)
    sessions, stalled_sessions = create_session_factory(engine), create_session_factory(stalled_engine)
    try:
        [job_id] = queue_jobs(sessions, 1)
        with stalled_sessions() as stalled:
            assert claim_next_job(stalled, LEASE_S) is not None
            expire_lease(sessions, job_id)
            stalled.execute(update(Job).where(Job.id == job_id).values(lease_expires_at=Job.lease_expires_at))
            assert requeue_in_own_session(sessions) == 0  # locked: passed over
            time.sleep(2)
            assert requeue_in_own_session(sessions) == 1
            with pytest.raises(DBAPIError, match="idle-in-transaction timeout"):  # the session was ended
                stalled.execute(select(Job.id))
        assert job_row(sessions, job_id).status == JobStatus.QUEUED
    finally:
        engine.dispose()
        stalled_engine.dispose()
