"""Job workers: processes that claim queued jobs from the database under a lease and run
each one in a child process with a hard wall-clock limit.

Every state change is a guarded UPDATE, so a job completes exactly once: a worker writes
its result only while it still holds the job's lease, and a job whose worker died (its
lease expired) is put back in the queue for another worker.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
import threading
import time
import types
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.db import create_db_engine, create_session_factory
from api.logs import configure_logging
from api.orm import Job, JobStatus, JobTable, ScenarioVersion, utc_now
from api.serialise import frame_to_stored, json_safe
from api.settings import Settings
from models.scenario import ScenarioInvalid
from optimiser.execution import (
    Executor,
    RunCancelled,
    RunDied,
    RunError,
    make_executor,
    run_with_time_limit,
    start_process_server,
)
from optimiser.runs import run_failed

if TYPE_CHECKING:
    from optimiser.runs import JobOutcome

logger = logging.getLogger(__name__)

STOP_GRACE_S = 10.0
WATCH_INTERVAL_S = 0.5
DATABASE_RETRY_S = 5.0
# A worker that dies sooner than this after starting is restarted after a growing delay.
HEALTHY_LIFE_S = 60.0
RESTART_DELAY_MAX_S = 60.0
# The supervisor's one connection, to requeue jobs whose lease ran out.
SUPERVISOR_POOL: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 10}


@dataclass(frozen=True)
class ClaimedJob:
    id: int  # the row: how the worker's queries find it
    public_id: str  # the id the API returned, as every log line about the job names it
    lease_token: str
    kind: str
    overrides: dict[str, Any]
    document: dict[str, Any]
    attempts: int  # its starts, this one included
    released_starts: int  # of them, those given back to the queue by a worker stopping cleanly
    error: str | None  # how its earlier attempts ended, if a run's process died in them

    @property
    def attempt(self) -> int:
        """Which attempt this start is, as the retry limit counts them: starts given back by a
        worker stopping cleanly are not attempts."""
        return self.attempts - self.released_starts

    def log_fields(self, **more: Any) -> dict[str, Any]:
        """A log record's context: ``job_id`` the public id the API and the desk show (docs/api.md:
        never a row number), ``job_row`` the row, for an operator reading the database."""
        return {"job_id": self.public_id, "job_row": self.id, **more}


def counted_attempts() -> Any:
    """A job's attempts as COMMISSION_JOB_MAX_ATTEMPTS counts them, in SQL: its starts but those
    given back to the queue by a worker stopping cleanly."""
    return Job.attempts - Job.released_starts


# A worker's transactions are short (a claim, a lease renewed, a result stored). One left waiting
# this long is a worker stopped in the middle of a write (SIGSTOP, stuck in I/O): PostgreSQL ends
# its session, so the rows it locked are free and its job is requeued (docs/reliability.md).
WORKER_IDLE_IN_TRANSACTION_S = 60


def worker_engine(database_url: str) -> Engine:
    """A job worker's engine: the service's, with stalled transactions ended on PostgreSQL."""
    return create_db_engine(database_url, idle_in_transaction_s=WORKER_IDLE_IN_TRANSACTION_S)


def claim_next_job(session: Session, lease_s: float) -> ClaimedJob | None:
    """Take the oldest queued job, if any, under a new lease."""
    candidate = session.scalar(
        select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.id).limit(1).with_for_update(skip_locked=True)
    )
    if candidate is None:
        session.commit()
        return None
    now = utc_now()
    lease_token = uuid.uuid4().hex
    claimed = session.connection().execute(
        update(Job)
        .where(Job.id == candidate, Job.status == JobStatus.QUEUED)
        .values(
            status=JobStatus.RUNNING,
            lease_token=lease_token,
            lease_expires_at=now + timedelta(seconds=lease_s),
            heartbeat_at=now,
            started_at=now,
            attempts=Job.attempts + 1,
        )
    )
    session.commit()
    if claimed.rowcount != 1:
        return None
    job = session.get_one(Job, candidate)
    document = session.scalar(select(ScenarioVersion.document).where(ScenarioVersion.id == job.scenario_version_id))
    session.commit()
    return ClaimedJob(
        id=job.id,
        public_id=job.public_id,
        lease_token=lease_token,
        kind=str(job.kind),
        overrides=dict(job.overrides),
        document=dict(document or {}),
        attempts=job.attempts,
        released_starts=job.released_starts,
        error=job.error,
    )


def _holding_lease(job_id: int, lease_token: str) -> Any:
    return (Job.id == job_id) & (Job.lease_token == lease_token) & (Job.status == JobStatus.RUNNING)


def renew_lease(session: Session, job_id: int, lease_token: str, lease_s: float) -> bool:
    """Extend the lease; False if the job was cancelled or taken over meanwhile."""
    now = utc_now()
    renewed = session.connection().execute(
        update(Job)
        .where(_holding_lease(job_id, lease_token))
        .values(heartbeat_at=now, lease_expires_at=now + timedelta(seconds=lease_s))
    )
    session.commit()
    return renewed.rowcount == 1


def release_job(session: Session, job_id: int, lease_token: str) -> None:
    """Put an unfinished job back in the queue (its worker is stopping). The start still counts
    in `attempts` (every start does) but, noted as released, not against the retry limit."""
    session.connection().execute(
        update(Job)
        .where(_holding_lease(job_id, lease_token))
        .values(
            status=JobStatus.QUEUED,
            lease_token=None,
            lease_expires_at=None,
            started_at=None,
            released_starts=Job.released_starts + 1,
        )
    )
    session.commit()


def abandon_job(session: Session, job_id: int, lease_token: str, max_attempts: int) -> None:
    """Give up a job as a worker that dies would (its API went away without asking it to stop):
    the lease is ended now, so the job is requeued, this start counted against `max_attempts`, or
    failed at that limit, at once rather than when the lease would have run out."""
    session.connection().execute(
        update(Job).where(_holding_lease(job_id, lease_token)).values(lease_expires_at=utc_now() - timedelta(seconds=1))
    )
    session.commit()
    # This worker's supervisor, in the API, is gone with it: the one requeue a worker does itself.
    requeue_expired_jobs(session, max_attempts, job_id)


def requeue_job(session: Session, job_id: int, lease_token: str, error: str) -> bool:
    """Put a job whose attempt ended without an answer back in the queue (the attempt counts),
    noting how it ended; True if this worker still held it."""
    requeued = session.connection().execute(
        update(Job)
        .where(_holding_lease(job_id, lease_token))
        .values(status=JobStatus.QUEUED, lease_token=None, lease_expires_at=None, started_at=None, error=error)
    )
    session.commit()
    return requeued.rowcount == 1


def died_attempts_summary(how: str, attempt: int, earlier: str | None) -> str:
    """How the attempts of a job whose run's process died have ended, up to `attempt`:
    "… killed by signal 9 (out of memory?) in each of 3 attempts", or each way in turn when
    they differ (`earlier` is this summary as it stood before this attempt)."""

    def every_attempt(count: int) -> str:
        return f"{how} in attempt 1" if count == 1 else f"{how} in each of {count} attempts"

    if attempt == 1 or earlier == every_attempt(attempt - 1):
        return every_attempt(attempt)
    return f"{how} in attempt {attempt}" + (f"; before that, {earlier}" if earlier else "")


def finish_job(
    session: Session,
    job_id: int,
    lease_token: str,
    *,
    status: JobStatus,
    duration_s: float,
    result: dict[str, Any] | None = None,
    tables: dict[str, Any] | None = None,
    error: str | None = None,
) -> bool:
    """Record the outcome, only if this worker still holds the job; True if recorded.

    The result and tables are converted before the transaction begins, so it holds the job's row (on
    SQLite, the write lock) only while it writes, and never waits on Python between its statements
    (a job worker's connections end a transaction idle for WORKER_IDLE_IN_TRANSACTION_S)."""
    stored_result = json_safe(result) if result is not None else None
    stored_tables = [(str(name), *frame_to_stored(frame)) for name, frame in (tables or {}).items()]
    finished = session.connection().execute(
        update(Job)
        .where(_holding_lease(job_id, lease_token))
        .values(
            status=status,
            result=stored_result,
            error=error,
            finished_at=utc_now(),
            duration_s=duration_s,
            lease_expires_at=None,
        )
    )
    if finished.rowcount != 1:
        session.rollback()
        return False
    for position, (name, columns, rows) in enumerate(stored_tables):
        session.add(
            JobTable(job_id=job_id, name=name, position=position, columns=columns, row_count=len(rows), rows=rows)
        )
    session.commit()
    return True


def requeue_expired_jobs(session: Session, max_attempts: int, job_id: int | None = None) -> int:
    """Requeue running jobs whose worker stopped renewing the lease (only the job `job_id`, if
    given); fail those that have been started `max_attempts` times (starts released by a worker
    stopping cleanly left out). Returns how many jobs were requeued or failed.

    A job whose row another transaction holds locked is passed over until the next call: on
    PostgreSQL a worker stopped in the middle of a write to its job keeps the row locked, and the
    supervisor, which calls this in the thread that also replaces dead workers, must not wait for it.
    (SQLite has no row locks: there its one write lock is taken at BEGIN, within the busy timeout.)"""
    now = utc_now()
    expired = (Job.status == JobStatus.RUNNING) & (Job.lease_expires_at < now)
    if job_id is not None:
        expired &= Job.id == job_id
    unlocked = select(Job.id).where(expired).with_for_update(skip_locked=True)
    expired &= Job.id.in_(session.scalars(unlocked).all())
    failed = (
        session.connection()
        .execute(
            update(Job)
            .where(expired, counted_attempts() >= max_attempts)
            .values(
                status=JobStatus.FAILED,
                error=f"the job's worker stopped {max_attempts} times before it finished",
                finished_at=now,
                lease_token=None,
                lease_expires_at=None,
            )
            .returning(Job.public_id)
        )
        .scalars()
        .all()
    )
    requeued = (
        session.connection()
        .execute(
            update(Job)
            .where(expired)
            .values(status=JobStatus.QUEUED, lease_token=None, lease_expires_at=None, started_at=None)
            .returning(Job.public_id)
        )
        .scalars()
        .all()
    )
    session.commit()
    count = len(failed) + len(requeued)
    if count:
        # Named by their public ids, as every log line about a job is (``ClaimedJob.log_fields``).
        logger.warning(
            "requeued or failed jobs whose worker stopped",
            extra={"jobs": count, "failed_job_ids": sorted(failed), "requeued_job_ids": sorted(requeued)},
        )
    return count


class WorkerStop:
    """Set when a worker is to stop. `asked` when the API asked for it (a message on the stop pipe)
    or SIGTERM came: a clean stop, the job in hand given back to the queue without counting as an
    attempt. The API's end of the pipe closing without that message means the API died (SIGKILL,
    out of memory): a death, and the job in hand counts as an attempt, as when a worker dies."""

    def __init__(self) -> None:
        self.asked = False
        self._event = threading.Event()

    def ask(self) -> None:
        self.asked = True
        self._event.set()

    def abandon(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        return self._event.wait(timeout)


class Heartbeat:
    """Renews a running job's lease, and asks the run to stop if the job was cancelled or
    taken over, or the worker is stopping."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        claimed: ClaimedJob,
        settings: Settings,
        stopping: WorkerStop,
    ) -> None:
        self.cancel = threading.Event()
        self.worker_stopping = False
        self._done = threading.Event()
        self._sessions = sessions
        self._claimed = claimed
        self._settings = settings
        self._stopping = stopping
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{claimed.id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._done.set()
        self._thread.join()

    @property
    def stop_asked(self) -> bool:
        return self._stopping.asked

    def _beat(self) -> None:
        renew_every = self._settings.job_lease_s / 3
        next_renewal = time.monotonic() + renew_every
        while not self._done.wait(min(renew_every, WATCH_INTERVAL_S)):
            if self._stopping.is_set():
                self.worker_stopping = True
                self.cancel.set()
                return
            if time.monotonic() < next_renewal:
                continue
            next_renewal = time.monotonic() + renew_every
            try:
                with self._sessions() as session:
                    held = renew_lease(session, self._claimed.id, self._claimed.lease_token, self._settings.job_lease_s)
            except SQLAlchemyError:
                logger.exception("renewing a job's lease failed; retrying", extra=self._claimed.log_fields())
                continue
            if not held:
                self.cancel.set()
                return


def run_claimed_job(
    sessions: sessionmaker[Session],
    claimed: ClaimedJob,
    settings: Settings,
    heartbeat: Heartbeat,
    executor: Executor | None,
) -> None:
    """Run the job and record how it ended (unless it was cancelled or taken over)."""
    started = time.monotonic()
    outcome: dict[str, Any]
    try:
        run = _run(claimed, settings, heartbeat.cancel, executor)
        # A run without an answer (a check without a verdict, a solve or a sweep's point stopped at
        # its time limit without a solution) failed, in batch's words; what it found is kept.
        reason = run_failed(run.result)
        outcome = {
            "status": JobStatus.FAILED if reason else JobStatus.SUCCEEDED,
            "result": run.result,
            "tables": run.tables,
            "error": reason,
        }
    except ScenarioInvalid as invalid:
        outcome = {
            "status": JobStatus.FAILED,
            "error": "the scenario is invalid: " + "; ".join(str(p) for p in invalid.problems),
            "result": {
                "status": "invalid",
                "problems": [problem.as_dict() for problem in invalid.problems],
            },
        }
    except RunCancelled:
        if heartbeat.worker_stopping and heartbeat.stop_asked:
            with sessions() as session:
                release_job(session, claimed.id, claimed.lease_token)
            logger.info("released a job back to the queue", extra=claimed.log_fields())
        elif heartbeat.worker_stopping:
            with sessions() as session:
                abandon_job(session, claimed.id, claimed.lease_token, settings.job_max_attempts)
            logger.warning(
                "the API process went away without stopping its workers: the job's start counts as an attempt",
                extra=claimed.log_fields(),
            )
        return
    except RunDied as died:
        # Killed (e.g. out of memory) or exited: as when its worker dies, the job runs again,
        # up to COMMISSION_JOB_MAX_ATTEMPTS starts.
        summary = died_attempts_summary(str(died), claimed.attempt, claimed.error)
        if claimed.attempt < settings.job_max_attempts:
            with sessions() as session:
                requeue_job(session, claimed.id, claimed.lease_token, summary)
            logger.warning("requeued a job whose run's process died", extra=claimed.log_fields(error=summary))
            return
        outcome = {"status": JobStatus.FAILED, "error": summary}
    except RunError as error:
        outcome = {"status": JobStatus.FAILED, "error": str(error)}
    except Exception as error:  # e.g. a Dask cluster's own errors: fail the job, keep the worker
        logger.exception("a job's run failed unexpectedly", extra=claimed.log_fields())
        outcome = {"status": JobStatus.FAILED, "error": f"the run failed: {type(error).__name__}: {error}"}
    duration_s = time.monotonic() - started
    with sessions() as session:
        recorded = finish_job(session, claimed.id, claimed.lease_token, duration_s=duration_s, **outcome)
    logger.info(
        "job finished" if recorded else "job result discarded: the job was cancelled or taken over",
        extra=claimed.log_fields(status=str(outcome["status"]), duration_s=round(duration_s, 3)),
    )


def _run(claimed: ClaimedJob, settings: Settings, cancel: threading.Event, executor: Executor | None) -> JobOutcome:
    arguments = (claimed.kind, claimed.document, claimed.overrides, settings.job_time_limit_s)
    if executor is None:
        return run_with_time_limit(*arguments, cancel=cancel)
    future = executor.submit(run_with_time_limit, *arguments)
    while not cancel.wait(WATCH_INTERVAL_S):
        if future.done():
            outcome: JobOutcome = future.result()
            return outcome
    future.cancel()
    raise RunCancelled()


def work(settings: Settings, stop_signal: Connection, started: Connection | None = None) -> None:
    """A worker process: claim and run jobs until the API asks it to stop (a message on
    `stop_signal`) or SIGTERM arrives, and a job running then goes back to the queue; or until the
    API dies (`stop_signal` closes without the message), and the job running counts as an attempt.
    A word on `started` tells the API that the process has its signal handlers (its imports done)."""
    stopping = WorkerStop()
    # SIGINT and SIGTERM are blocked from this process's start (``WorkerPool._start_worker``) until
    # its handlers are in place: a Ctrl+C to the terminal's process group is ignored (it reaches the
    # API, which stops us), a SIGTERM that came while it started stops it cleanly, neither a traceback.
    if signal.SIGTERM in signal.sigpending():
        stopping.ask()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Ignored (and blocked) while the fork server starts, below, so that it and every run it forks
    # ignore a SIGTERM sent to the whole process group (`systemctl stop`, `kill -TERM -PGID`): this
    # worker ends its run itself and gives the job back, rather than the run dying and its job
    # failing ("EOFError") or counting a start. Linux keeps a blocked signal pending even while it
    # is ignored, so a SIGTERM meanwhile reaches the handler set below.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if started is not None:
        with suppress(OSError):
            started.send(True)
        started.close()
    threading.Thread(target=_stop_when_told, args=(stop_signal, stopping), daemon=True).start()
    # Every run's process would otherwise re-run the API's main script (seconds of imports)
    # before starting; runs need nothing from it.
    sys.modules["__main__"] = types.ModuleType("__main__")
    configure_logging(settings.log_level)
    if stopping.wait(0):  # told to stop while it started (the service stopped at once): nothing to give back
        return
    engine = worker_engine(settings.database_url)
    sessions = create_session_factory(engine)
    if settings.dask_address:
        executor: Executor | None = make_executor(dask_address=settings.dask_address)
    else:
        executor = None
        start_process_server()
    signal.signal(signal.SIGTERM, lambda *_: stopping.ask())
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    # Jobs whose lease ran out are requeued by the pool's supervisor (``WorkerPool._supervise``), not
    # here: it runs whenever a worker does (every worker is started by a pool), and without a live
    # worker too. A worker requeues only when it can no longer count on a supervisor: its API died
    # (``abandon_job``). One owner: one query every lease/2 per service, not one per worker as well.
    try:
        while not stopping.is_set():
            try:
                with sessions() as session:
                    claimed = claim_next_job(session, settings.job_lease_s)
                if claimed is None:
                    stopping.wait(settings.job_poll_interval_s)
                    continue
                logger.info("job started", extra=claimed.log_fields(kind=claimed.kind))
                with Heartbeat(sessions, claimed, settings, stopping) as heartbeat:
                    run_claimed_job(sessions, claimed, settings, heartbeat, executor)
            except SQLAlchemyError:
                # The database is unreachable or busy; a job in hand is requeued when its lease expires.
                logger.exception("a worker's database work failed; retrying")
                stopping.wait(DATABASE_RETRY_S)
    finally:
        if executor is not None:
            executor.shutdown()
        engine.dispose()


STOP_MESSAGE = "stop"
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _stop_when_told(stop_signal: Connection, stopping: WorkerStop) -> None:
    """Wait for the API's word to stop; its end of the pipe closing without it means it died."""
    try:
        stop_signal.recv()
    except (EOFError, OSError):
        stopping.abandon()
    else:
        stopping.ask()


@dataclass
class WorkerSlot:
    """One of the pool's workers: the process now in the slot, and how its predecessors ended."""

    name: str
    process: multiprocessing.process.BaseProcess
    stop_sender: Connection  # the API's end of this worker's stop pipe
    started: Connection  # readable once the worker has started (or died)
    started_at: float
    early_deaths: int = 0  # deaths in a row, each within HEALTHY_LIFE_S of its start
    restart_at: float | None = None  # when a dead worker's replacement is due


class WorkerPool:
    """The job worker processes started alongside the API, and the supervisor thread that watches
    them: a worker that dies (killed by the out-of-memory killer, a crash) is logged as an ERROR and
    replaced, and jobs whose lease ran out are requeued, even when no worker is alive. The supervisor
    is the one owner of that requeueing; the workers do not repeat it (see `work`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.deaths = 0  # workers that died while the pool ran: commission_worker_deaths_total
        self._context = multiprocessing.get_context("spawn")
        self._slots: list[WorkerSlot] = []
        self._lock = threading.Lock()  # one thread at a time asks a process whether it lives (and reaps it)
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    @property
    def configured(self) -> int:
        return self.settings.workers

    def start(self) -> None:
        self._stopping.clear()
        self._slots = [self._start_worker(f"commission-worker-{number}") for number in range(self.configured)]
        if self._slots:
            self._supervisor = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)
            self._supervisor.start()

    def alive(self) -> int:
        """How many workers are alive now."""
        with self._lock:
            return sum(slot.process.is_alive() for slot in self._slots)

    def stop(self) -> None:
        """Tell every worker to stop (running jobs go back to the queue) and wait for them."""
        self._stopping.set()
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None
        for slot in self._slots:
            with suppress(OSError):  # a worker that died has no one to read it
                slot.stop_sender.send(STOP_MESSAGE)
            slot.stop_sender.close()
            if not slot.started.poll():
                # Still importing (seconds, on a busy machine), so it holds no job: not worth waiting for.
                slot.process.kill()
            slot.started.close()
        deadline = time.monotonic() + STOP_GRACE_S
        for slot in self._slots:
            slot.process.join(max(0.0, deadline - time.monotonic()))
            if slot.process.is_alive():
                slot.process.kill()
                slot.process.join()

    def _start_worker(self, name: str) -> WorkerSlot:
        stop_signal, stop_sender = self._context.Pipe(duplex=False)
        started_receiver, started = self._context.Pipe(duplex=False)
        process = self._context.Process(target=work, args=(self.settings, stop_signal, started), name=name)
        # The new process starts with SIGINT and SIGTERM blocked (a process inherits the signal mask of
        # the thread that starts it), until `work` has its own handlers: a Ctrl+C to the terminal's
        # whole process group while it is still importing (seconds) would print a KeyboardInterrupt
        # traceback (or "Fatal Python error") into the service's log. Multiprocessing's resource
        # tracker is started first: starting it (with the first process) unblocks both signals again.
        resource_tracker.ensure_running()
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        stop_signal.close()  # the worker's ends: it holds the only copies now
        started.close()
        return WorkerSlot(
            name=name, process=process, stop_sender=stop_sender, started=started_receiver, started_at=time.monotonic()
        )

    def _supervise(self) -> None:
        engine = create_db_engine(self.settings.database_url, SUPERVISOR_POOL)
        sessions = create_session_factory(engine)
        next_requeue = 0.0
        try:
            while not self._stopping.wait(WATCH_INTERVAL_S):
                for index, slot in enumerate(self._slots):
                    self._slots[index] = self._look_after(slot)
                if time.monotonic() >= next_requeue:
                    next_requeue = time.monotonic() + self.settings.job_lease_s / 2
                    try:
                        with sessions() as session:
                            requeue_expired_jobs(session, self.settings.job_max_attempts)
                    except SQLAlchemyError:
                        logger.exception("requeuing jobs whose worker stopped failed; retrying")
        finally:
            engine.dispose()

    def _look_after(self, slot: WorkerSlot) -> WorkerSlot:
        """The slot as it should be now: its worker noted as dead (once), or replaced when due."""
        with self._lock:
            alive = slot.process.is_alive()
        if alive:
            return slot
        now = time.monotonic()
        if slot.restart_at is None:
            self.deaths += 1
            early = now - slot.started_at < HEALTHY_LIFE_S
            slot.early_deaths = slot.early_deaths + 1 if early else 0
            # A worker that keeps dying as it starts is restarted less and less often (2, 4 … 60 s).
            delay = min(RESTART_DELAY_MAX_S, 2.0**slot.early_deaths) if slot.early_deaths else 0.0
            slot.restart_at = now + delay
            slot.stop_sender.close()
            logger.error(
                "job worker %s (pid %s) %s; starting another in %g s",
                slot.name,
                slot.process.pid,
                how_the_worker_ended(slot.process.exitcode),
                delay,
                extra={
                    "worker": slot.name,
                    "pid": slot.process.pid,
                    "exit_code": slot.process.exitcode,
                    "restart_in_s": delay,
                },
            )
        if now < slot.restart_at:
            return slot
        replacement = self._start_worker(slot.name)
        replacement.early_deaths = slot.early_deaths
        logger.warning(
            "started job worker %s (pid %s) in place of one that died",
            slot.name,
            replacement.process.pid,
            extra={"worker": slot.name, "pid": replacement.process.pid},
        )
        return replacement


def how_the_worker_ended(exitcode: int | None) -> str:
    """How a worker's process ended, from its exit code: "was killed by signal 9 (SIGKILL)"."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "an unknown signal"
        return f"was killed by signal {-exitcode} ({name})"
    return f"exited with code {exitcode}"
