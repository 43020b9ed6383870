"""Stopping the installed `commission serve` (Ctrl+C to the terminal's process group, or SIGTERM to it
as `systemctl stop` sends it) prints no traceback, every log line stays JSON without terminal colours,
the service ends as the signal does (130 or 143 in a shell), and a job running is given back to the queue."""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.logs import JsonFormatter
from models.synthetic import generate_scenario
from tests.console import console_script

STARTUP_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
ANSI_ESCAPE = "\x1b"
# As docs/api.md gives them: SIGTERM ends the service by that signal (143 in a shell), Ctrl+C with 130.
ENDS_WITH = {signal.SIGINT: 130, signal.SIGTERM: -signal.SIGTERM}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    def __init__(self, tmp_path: Path, workers: int) -> None:
        self.database = tmp_path / "service.db"
        self.environment = {
            **os.environ,
            "COMMISSION_DATABASE_URL": f"sqlite:///{self.database}",
            "COMMISSION_JOB_POLL_INTERVAL_S": "0.1",
            "COMMISSION_LOG_LEVEL": "INFO",
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.process: subprocess.Popen[bytes] | None = None

    def key(self) -> str:
        created = subprocess.run(
            [console_script(), "keys", "create", "--org", "icb", "--role", "commissioner"],
            env=self.environment,
            capture_output=True,
            text=True,
            check=True,
        )
        return created.stdout.strip()

    def start(self) -> None:
        # Its own session, as a terminal's job is its own process group: a signal to the group
        # reaches the service, its job workers and their runs alike, as Ctrl+C does.
        self.process = subprocess.Popen(
            [console_script(), "serve", "--port", str(self.port), "--workers", str(self.workers)],
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.communicate()
            try:
                httpx.get(f"{self.url}/healthz", timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise AssertionError("the service did not start")

    def stop(self, signum: signal.Signals) -> tuple[int, str, str]:
        assert self.process is not None
        os.killpg(self.process.pid, signum)
        try:
            out, err = self.process.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        return self.process.returncode, out.decode(), err.decode()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()


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
        returncode, out, err = served.stop(signum)
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
        returncode, out, err = served.stop(signum)
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
