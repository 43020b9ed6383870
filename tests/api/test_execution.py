"""The execution layer: fresh processes, hard time limits, cancellation, executors."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import struct
import threading
from contextlib import suppress
from multiprocessing.connection import Connection

import pytest

from models.scenario import ScenarioInvalid
from optimiser.execution import (
    RunCancelled,
    RunDied,
    RunTimedOut,
    _await_answer,
    _run_job_in_child,
    make_executor,
    run_with_time_limit,
)
from optimiser.io import read_document
from optimiser.runs import run_job
from tests.api.helpers import TINY


@pytest.fixture(scope="module")
def tiny() -> dict:
    return read_document(TINY)


def test_a_run_in_a_fresh_process_matches_a_direct_run(tiny: dict) -> None:
    outcome = run_with_time_limit("solve", tiny, {"budget_gbp": 45_000}, 60)
    direct = run_job("solve", tiny, {"budget_gbp": 45_000})
    assert outcome.result["objective_value"] == pytest.approx(direct.result["objective_value"], rel=1e-9)
    assert set(outcome.tables) == set(direct.tables)


def test_a_run_past_its_limit_is_killed(tiny: dict) -> None:
    with pytest.raises(RunTimedOut, match=r"hard limit of 0\.01 s"):
        run_with_time_limit("solve", tiny, None, 0.01)


def test_a_cancelled_run_stops(tiny: dict) -> None:
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(RunCancelled):
        run_with_time_limit("solve", tiny, None, 60, cancel=cancel)


def test_a_died_run_says_how_and_survives_pickling() -> None:
    """A run on a Dask cluster raises the same error in its caller (its worker requeues the job).
    Killing a real run is tested through the service, tests/api/test_run_deaths.py."""
    died = pickle.loads(pickle.dumps(RunDied(-int(signal.SIGSEGV))))
    assert (type(died), died.exitcode) == (RunDied, -int(signal.SIGSEGV))
    assert str(died) == "the run's process was killed by signal 11 (SIGSEGV)"


def test_bad_input_raises_scenario_invalid_from_the_child(tiny: dict) -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        run_with_time_limit("solve", tiny, {"standards_fraction": 7}, 60)
    assert raised.value.problems[0].column == "standards_fraction"


def test_the_local_pool_runs_jobs(tiny: dict) -> None:
    executor = make_executor(workers=2)
    try:
        futures = [executor.submit(run_with_time_limit, "solve", tiny, None, 60) for _ in range(3)]
        values = {round(future.result(timeout=120).result["objective_value"], 6) for future in futures}
    finally:
        executor.shutdown()
    assert values == {round(run_job("solve", tiny).result["objective_value"], 6)}


def test_a_dask_cluster_runs_jobs(tiny: dict) -> None:
    import distributed  # in the lock (dask[distributed]): never skipped

    with distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        executor = make_executor(dask_address=cluster.scheduler_address)
        try:
            outcome = executor.submit(run_with_time_limit, "solve", tiny, None, 60).result(timeout=120)
        finally:
            executor.shutdown()
    assert outcome.result["objective_value"] == pytest.approx(run_job("solve", tiny).result["objective_value"])


def cut_off_mid_message() -> tuple[Connection, int]:
    """A connection whose peer died while sending: the length of a 4 MB message, then 64 KB of it,
    then the end of the pipe (a job worker killed while handing its run the document, or a run
    killed while sending its answer back)."""
    reader, writer = multiprocessing.Pipe()
    message = struct.pack("!i", 4_000_000) + b"x" * 65_536
    with suppress(BlockingIOError):
        os.write(writer.fileno(), message)
    writer.close()
    never_ready, _ = os.pipe()  # a run's sentinel that has not ended
    return reader, never_ready


def test_a_run_whose_caller_died_mid_handover_ends_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    """Read as a broken pipe, not raised: the run's process printed a traceback into the service's
    log ("Process commission-check:" ... "OSError: got end of file during message")."""
    reader, _sentinel = cut_off_mid_message()
    _run_job_in_child(reader, 86_400, os.getpid())  # the caller (this process) is alive: only the pipe ended
    assert capfd.readouterr().err == ""


def test_a_run_that_died_mid_answer_is_a_died_run() -> None:
    reader, sentinel = cut_off_mid_message()
    assert _await_answer(reader, sentinel, 60, None) == ("died", None)
