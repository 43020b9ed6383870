"""Audit 13 #1 and #8, through `commission serve` (the installed script) in a subprocess.

#1: a job worker killed with SIGKILL (as the out-of-memory killer does) was never replaced: its job
stayed "running" and new jobs "queued" for ever, nothing was logged, /readyz stayed 200, and its run
solved on as an orphan and then printed a plain-text traceback into the JSON log. Now the API's
supervisor logs the death as an ERROR, starts another worker and requeues the job; /readyz is 503
while no worker is alive; the run dies with its worker. Jobs whose lease ran out are requeued by the
supervisor too, so a worker that stops working (SIGSTOP here) does not hold its job for ever.

#8: a SIGKILL of the API process was taken by its workers as a clean stop (the job given back
"released", not held against COMMISSION_JOB_MAX_ATTEMPTS). Now only the API's message is a clean stop.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from api.orm import Job, JobTable
from models.synthetic import generate_scenario
from optimiser.io import read_document
from tests.servers import REPO, Server

PROC = Path("/proc")
METRICS_TOKEN = "workers-test-metrics-token"

# Kill processes and wait for them on the clock: run while no other test runs (tests/conftest.py).
pytestmark = [
    pytest.mark.alone,
    pytest.mark.slow,
    pytest.mark.skipif(not PROC.is_dir(), reason="finds the service's processes through /proc"),
]


class Served(Server):
    """`commission serve` run from ``folder``, logging JSON there, taken as started once it answers and
    all its workers are up (not by /readyz, which a test needs to be 503)."""

    startup_timeout_s = 90

    def __init__(self, folder: Path, database_url: str, workers: int, **environment: str) -> None:
        super().__init__(
            database_url,
            folder,
            workers=workers,
            cwd=folder,
            PYTHONPATH=str(REPO),
            COMMISSION_JOB_LEASE_S="2",
            COMMISSION_JOB_POLL_INTERVAL_S="0.1",
            COMMISSION_LOG_LEVEL="INFO",
            COMMISSION_METRICS_TOKEN=METRICS_TOKEN,
            **environment,
        )

    def commission(self, *arguments: str) -> str:
        done = self.command(*arguments)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def ready(self) -> bool:
        try:
            httpx.get(f"{self.url}/healthz", timeout=1)
        except httpx.TransportError:
            return False
        return self.workers == 0 or len(self.workers_now()) == self.workers

    def workers_now(self) -> list[int]:
        """The API's job worker processes (not its resource tracker)."""
        return [pid for pid in children(self.pid) if b"spawn_main" in cmdline(pid)]

    def get(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", headers=headers, timeout=60, **kwargs)

    def metrics(self) -> dict[str, float]:
        text = self.get("/metrics", {"Authorization": f"Bearer {METRICS_TOKEN}"}).text
        return {
            name: float(value)
            for name, value in (line.rsplit(" ", 1) for line in text.splitlines() if line and line[0] != "#")
        }

    def log_lines(self) -> list[str]:
        return self.log.read_text().splitlines()


def _stat(pid: int) -> list[str]:
    try:
        return (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the process is gone
        return []


def children(pid: int) -> list[int]:
    return [
        int(path.parent.name) for path in PROC.glob("[0-9]*/stat") if _stat(int(path.parent.name))[1:2] == [str(pid)]
    ]


def cmdline(pid: int) -> bytes:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return b""


def running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    state = _stat(pid)[:1]
    return bool(state) and state != ["Z"]


def threads(pid: int) -> int:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return 0
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("Threads:")))


def started_run(worker: int, timeout_s: float = 60) -> int:
    """The worker's run process, once it is running the job (its fork server's child, with its watch
    thread started: past reading its arguments)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        runs = [run for server in children(worker) for run in children(server)]
        started = [run for run in runs if threads(run) >= 2]
        if started:
            return started[0]
        time.sleep(0.02)
    raise AssertionError("the worker started no run")


def wait_until(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def stop_between_writes(pid: int, database: Path, attempts: int = 50) -> None:
    """SIGSTOP ``pid`` at a moment it holds no write lock on the SQLite ``database``. A process stopped
    in the middle of a write holds SQLite's one write lock until it goes on or dies: no other process
    can write, the supervisor's requeue included (with PostgreSQL only its own rows stay locked)."""
    for _ in range(attempts):
        os.kill(pid, signal.SIGSTOP)
        probe = sqlite3.connect(database, isolation_level=None, timeout=1)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return
        except sqlite3.OperationalError:  # stopped mid-write: let it finish, stop it again
            os.kill(pid, signal.SIGCONT)
            time.sleep(0.05)
        finally:
            probe.close()
    raise AssertionError(f"pid {pid} held the database's write lock at each of {attempts} stops")


def finished(served: Served, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    for _ in range(6):
        job: dict[str, Any] = served.get(f"/jobs/{job_id}?wait=30", headers).json()
        if job["status"] in ("succeeded", "failed", "cancelled"):
            return job
    raise AssertionError(f"the job did not finish: {job}")


def submit(served: Served, headers: dict[str, str], document: dict[str, Any], kind: str) -> str:
    scenario = httpx.post(f"{served.url}/scenarios", json=document, headers=headers, timeout=120)
    assert scenario.status_code == 201, scenario.text[:500]
    job = httpx.post(
        f"{served.url}/jobs", json={"scenario_id": scenario.json()["id"], "kind": kind}, headers=headers, timeout=60
    )
    assert job.status_code == 202, job.text
    return str(job.json()["id"])


def tables_stored(database_url: str, job_id: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                select(func.count()).select_from(JobTable).join(Job).where(Job.public_id == job_id)
            ).scalar_one()
    finally:
        engine.dispose()


LONG_SOLVE = generate_scenario(n_practices=2000, n_pcns=200)  # seconds of solving: killed mid-run


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    server = Served(tmp_path, f"sqlite:///{tmp_path / 'service.db'}", workers=1)
    yield server
    server.stop()


def test_a_killed_worker_is_replaced_its_run_ends_and_its_job_finishes_once(served: Served) -> None:
    headers = served.headers()
    served.start()
    [worker] = served.workers_now()
    long_job = submit(served, headers, LONG_SOLVE, "solve")
    run = started_run(worker)
    queued_job = submit(served, headers, read_document(REPO / "data" / "tiny"), "check")  # behind it: one worker

    os.kill(worker, signal.SIGKILL)
    readiness: list[tuple[int, str]] = []
    while not [pid for pid in served.workers_now() if pid != worker and running(pid)]:
        answer = served.get("/readyz")
        readiness.append((answer.status_code, answer.json().get("detail", "")))
        assert len(readiness) < 600, "no worker replaced the one killed"
        time.sleep(0.1)
    # While none was alive (the replacement of a worker that died young waits 2 s), /readyz said so.
    assert (503, "no job worker is alive (COMMISSION_WORKERS is 1)") in readiness, readiness
    wait_until(lambda: not running(run), 10, "the killed worker's run went on as an orphan")
    wait_until(lambda: served.get("/readyz").status_code == 200, 60, "/readyz did not recover")

    first = finished(served, headers, long_job)
    assert (first["status"], first["attempts"], first["error"]) == ("succeeded", 2, None), first
    assert tables_stored(served.environment["COMMISSION_DATABASE_URL"], long_job) == len(first["tables"]) > 0
    second = finished(served, headers, queued_job)
    assert (second["status"], second["attempts"]) == ("succeeded", 1), second

    metrics = served.metrics()
    assert metrics["commission_workers_configured"] == 1
    assert metrics["commission_workers_alive"] == 1
    assert metrics["commission_worker_deaths_total"] == 1
    assert metrics["commission_oldest_queued_job_age_seconds"] == 0

    lines = served.log_lines()
    records = [json.loads(line) for line in lines]  # every line JSON: no orphan's traceback among them
    [death] = [record for record in records if record["level"] == "ERROR"]
    assert death["logger"] == "api.worker"
    assert (death["worker"], death["pid"], death["exit_code"]) == ("commission-worker-0", worker, -9)
    assert death["message"].startswith(
        f"job worker commission-worker-0 (pid {worker}) was killed by signal 9 (SIGKILL)"
    )
    finishes = [record for record in records if record["message"] == "job finished" and record["job_id"] == long_job]
    assert len(finishes) == 1


def test_a_job_whose_worker_stops_working_is_requeued_without_any_worker(served: Served) -> None:
    """The only worker frozen (SIGSTOP) with a job in hand: no worker can requeue it, the supervisor does."""
    headers = served.headers()
    served.start()
    [worker] = served.workers_now()
    job_id = submit(served, headers, LONG_SOLVE, "solve")
    started_run(worker)
    stop_between_writes(worker, served.directory / "service.db")
    try:
        wait_until(
            lambda: served.get(f"/jobs/{job_id}", headers).json()["status"] == "queued",
            30,
            "the frozen worker's job was not requeued",
        )
        assert served.metrics()["commission_oldest_queued_job_age_seconds"] > 0
    finally:
        os.kill(worker, signal.SIGCONT)
    job = finished(served, headers, job_id)
    assert (job["status"], job["attempts"], job["error"]) == ("succeeded", 2, None), job
    assert tables_stored(served.environment["COMMISSION_DATABASE_URL"], job_id) == len(job["tables"]) > 0


def test_a_sigkill_of_the_api_counts_against_the_attempts(tmp_path: Path) -> None:
    """With COMMISSION_JOB_MAX_ATTEMPTS=1, an API killed mid-job uses the job's one attempt: it fails,
    rather than going back to the queue as if the service had been stopped cleanly."""
    database_url = f"sqlite:///{tmp_path / 'service.db'}"
    served = Served(tmp_path, database_url, workers=1, COMMISSION_JOB_MAX_ATTEMPTS="1")
    try:
        headers = served.headers()
        served.start()
        [worker] = served.workers_now()
        job_id = submit(served, headers, LONG_SOLVE, "solve")
        run = started_run(worker)
        os.kill(served.pid, signal.SIGKILL)  # the API alone: its worker lives on, and sees it go
        wait_until(lambda: not running(worker) and not running(run), 30, "the worker or its run outlived the API")
    finally:
        served.stop()
    engine = create_engine(database_url)
    with engine.connect() as connection:
        row = connection.execute(
            select(Job.status, Job.attempts, Job.released_starts, Job.error).where(Job.public_id == job_id)
        ).one()
    engine.dispose()
    assert tuple(row) == ("failed", 1, 0, "the job's worker stopped 1 times before it finished")
    lines = [json.loads(line) for line in served.log_lines()]
    assert any(line["message"].startswith("the API process went away without stopping its workers") for line in lines)


def test_a_worker_killed_while_handing_its_run_the_job_leaves_no_traceback(served: Served) -> None:
    """Killed the moment its run's process appears, while the run reads a 4 MB document: the run
    ends quietly (before, the fork server's child printed an unpickling traceback into the log)."""
    headers = served.headers()
    served.start()
    [worker] = served.workers_now()
    submit(served, headers, generate_scenario(n_practices=3000, n_pcns=300), "check")
    deadline = time.monotonic() + 60
    while not (runs := [run for server in children(worker) for run in children(server)]):
        assert time.monotonic() < deadline, "the worker started no run"
        time.sleep(0.005)
    os.kill(worker, signal.SIGKILL)
    wait_until(lambda: not any(running(run) for run in runs), 10, "the killed worker's run went on")
    wait_until(lambda: len(served.workers_now()) == 1 and served.get("/readyz").status_code == 200, 60, "no new worker")
    lines = served.log_lines()
    assert [line for line in lines if not line.startswith("{")] == []
    assert [json.loads(line)["level"] for line in lines].count("ERROR") == 1  # the worker's death, and nothing else
