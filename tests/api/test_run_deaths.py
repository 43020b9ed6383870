"""A job whose run's process is killed (SIGKILL, as the out-of-memory killer sends) runs again,
as when its worker dies, and fails only after COMMISSION_JOB_MAX_ATTEMPTS starts, saying how
each attempt ended (audit 5 F8: it failed at once, "the run's process ended without an answer")."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from optimiser.io import read_document
from optimiser.runs import run_job as run_job_directly
from tests.api.helpers import TINY, Service, create_scenario, run_job, service_settings

PROC = Path("/proc")
MAX_ATTEMPTS = 2

pytestmark = pytest.mark.skipif(not PROC.is_dir(), reason="finds the run's process through /proc")


def _parents() -> dict[int, int]:
    """Every process's parent, read from /proc."""
    parents = {}
    for stat in PROC.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _is_fork_server(pid: int) -> bool:
    try:
        return b"forkserver" in (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return False


def runs_of_this_test() -> list[int]:
    """The run processes among this process's descendants: a job worker's fork server's children."""
    parents = _parents()
    descendants: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - descendants
        descendants |= frontier
    return [pid for pid in descendants if _is_fork_server(parents.get(pid, 0))]


class RunKiller:
    """Kills (SIGKILL) the first `count` run processes it sees, as soon as they start."""

    def __init__(self, count: int) -> None:
        self.killed: list[int] = []
        self._count = count
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._kill, daemon=True)

    def __enter__(self) -> RunKiller:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _kill(self) -> None:
        while len(self.killed) < self._count and not self._stop.wait(0.01):
            for pid in runs_of_this_test():
                if pid not in self.killed and len(self.killed) < self._count:
                    os.kill(pid, signal.SIGKILL)
                    self.killed.append(pid)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One job worker that starts a job at most MAX_ATTEMPTS times."""
    database = tmp_path_factory.mktemp("db") / "api.db"
    settings = service_settings(f"sqlite:///{database}", workers=1, job_max_attempts=MAX_ATTEMPTS)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


def test_a_job_whose_run_is_killed_runs_again_and_succeeds(service: Service) -> None:
    headers = service.tenant()
    scenario_id = create_scenario(service.client, headers, read_document(TINY))
    with RunKiller(count=1) as killer:
        job = run_job(service.client, headers, scenario_id, "check")
    assert len(killer.killed) == 1
    assert (job["status"], job["attempts"], job["error"]) == ("succeeded", 2, None), job
    # The answer of a run nobody killed: the same verdict, least cost and summary sentence.
    unkilled = run_job_directly("check", read_document(TINY)).result
    assert job["result"]["deliverable"] is unkilled["deliverable"] is True
    assert job["result"]["objective_value"] == pytest.approx(unkilled["objective_value"], rel=1e-9)
    assert job["result"]["summary"] == unkilled["summary"]


def test_a_job_whose_run_is_killed_every_time_fails_saying_how(service: Service) -> None:
    headers = service.tenant()
    scenario_id = create_scenario(service.client, headers, read_document(TINY))
    with RunKiller(count=MAX_ATTEMPTS) as killer:
        job = run_job(service.client, headers, scenario_id, "check")
    assert len(killer.killed) == MAX_ATTEMPTS
    assert (job["status"], job["attempts"]) == ("failed", MAX_ATTEMPTS), job
    assert job["error"] == "the run's process was killed by signal 9 (out of memory?) in each of 2 attempts"
    assert job["result"] is None
