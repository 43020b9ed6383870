"""Stopping the installed `commission serve` (Ctrl+C to the terminal's process group, or SIGTERM to it
as `systemctl stop` sends it) prints no traceback, every log line stays JSON without terminal colours,
the service ends as the signal does (130 or 143 in a shell), and a job running is given back to the queue."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import time
from contextlib import suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.logs import JsonFormatter
from models.synthetic import generate_scenario
from tests.servers import Server

STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
ANSI_ESCAPE = "\x1b"
# As docs/api.md gives them: SIGTERM ends the service by that signal (143 in a shell), Ctrl+C with 130.
ENDS_WITH = {signal.SIGINT: 130, signal.SIGTERM: -signal.SIGTERM}


class Served(Server):
    """The service with its stdout and stderr kept apart for the test to read, stopped by the test's
    signal to its process group (as a terminal's Ctrl+C reaches the service, its job workers and their
    runs alike), and taken as started as soon as it answers at all: its workers may still be importing."""

    poll_s = 0.05

    def __init__(self, tmp_path: Path, workers: int) -> None:
        self.database = tmp_path / "service.db"
        super().__init__(
            f"sqlite:///{self.database}",
            tmp_path,
            workers=workers,
            COMMISSION_JOB_POLL_INTERVAL_S="0.1",
            COMMISSION_LOG_LEVEL="INFO",
        )
        self.written: tuple[str, str] | None = None

    def launch(self, arguments: list[str]) -> subprocess.Popen[bytes]:
        return self.popen(arguments, subprocess.PIPE, subprocess.PIPE)

    def ready(self) -> bool:
        try:
            httpx.get(f"{self.url}/healthz", timeout=1)
        except httpx.TransportError:
            return False
        return True

    def output(self) -> str:
        return "\n".join(self.written or ())

    def stop_by(self, signum: signal.Signals) -> tuple[int, str, str]:
        assert self.process is not None
        os.killpg(self.process.pid, signum)
        try:
            out, err = self.process.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        self.written = (out.decode(), err.decode())
        return self.process.returncode, *self.written

    def kill(self) -> None:
        if self.process is None or self.written is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        out, err = self.process.communicate()
        self.written = (out.decode(), err.decode())


def assert_clean_stop(returncode: int, out: str, err: str, signum: signal.Signals) -> list[dict[str, Any]]:
    """No traceback anywhere, every stderr line one JSON object without colours, the documented exit."""
    for stream in (out, err):
        assert "Traceback" not in stream, stream[-4000:]
        assert "Fatal Python error" not in stream, stream[-4000:]
        assert "KeyboardInterrupt" not in stream, stream[-4000:]
    lines = [json.loads(line) for line in err.splitlines()]  # a line that is not JSON fails here
    assert all(isinstance(line, dict) for line in lines)
    for line in lines:
        assert "color_message" not in line, line
        assert not any(isinstance(value, str) and ANSI_ESCAPE in value for value in line.values()), line
    assert any(line["message"].startswith("Started server process [") for line in lines), err
    assert returncode == ENDS_WITH[signum], err[-4000:]
    return lines


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_as_the_service_starts_prints_no_traceback(tmp_path: Path, signum: signal.Signals) -> None:
    """At once after it answers: its two job workers are still importing (seconds), the moment a
    Ctrl+C used to print a KeyboardInterrupt traceback (or "Fatal Python error") from each."""
    served = Served(tmp_path, workers=2)
    served.start()
    try:
        started = time.monotonic()
        returncode, out, err = served.stop_by(signum)
    finally:
        served.kill()
    lines = assert_clean_stop(returncode, out, err, signum)
    assert lines[-1]["message"].startswith("Finished server process"), lines[-1]
    # Workers still importing hold no job: the service does not wait out their grace period.
    assert time.monotonic() - started < 8, err[-4000:]


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_mid_solve_gives_the_job_back_without_a_traceback(tmp_path: Path, signum: signal.Signals) -> None:
    """The signal reaches the run's process too; the job goes back to the queue, its start not
    counted as an attempt (not failed with "EOFError", nor counted because its run died)."""
    served = Served(tmp_path, workers=1)
    headers = {"X-API-Key": served.key()}
    served.start()
    try:
        document = generate_scenario(n_practices=400, n_pcns=50)
        scenario = httpx.post(f"{served.url}/scenarios", json=document, headers=headers, timeout=60)
        assert scenario.status_code == 201, scenario.text
        submitted = httpx.post(
            f"{served.url}/jobs", json={"scenario_id": scenario.json()["id"], "kind": "solve"}, headers=headers
        )
        assert submitted.status_code == 202, submitted.text
        job_id = submitted.json()["id"]
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while httpx.get(f"{served.url}/jobs/{job_id}", headers=headers).json()["status"] == "queued":
            assert time.monotonic() < deadline, "the job never started"
            time.sleep(0.05)
        time.sleep(0.3)  # its run's process started, mid-solve
        returncode, out, err = served.stop_by(signum)
    finally:
        served.kill()
    lines = assert_clean_stop(returncode, out, err, signum)
    with sqlite3.connect(served.database) as connection:
        status, attempts, released, error = connection.execute(
            "SELECT status, attempts, released_starts, error FROM jobs WHERE public_id = ?", (job_id,)
        ).fetchone()
    assert (status, attempts, released, error) == ("queued", 1, 1, None), err[-4000:]
    assert any(line["message"] == "released a job back to the queue" for line in lines)


def test_a_coloured_uvicorn_record_is_one_plain_json_line() -> None:
    """uvicorn puts a coloured copy of some messages in `color_message`: never written."""
    record = logging.LogRecord("uvicorn.error", logging.INFO, __file__, 1, "Started server process [%d]", (42,), None)
    record.color_message = "Started server process [\x1b[36m%d\x1b[0m]"
    record.note = "\x1b[1mbold\x1b[0m words"
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "Started server process [42]"
    assert "color_message" not in line
    assert line["note"] == "bold words"
