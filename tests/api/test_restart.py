"""A real server (uvicorn in a subprocess) killed with SIGKILL mid-solve and restarted:
the acknowledged job still finishes, once, with the right answer."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from api.orm import Job, JobTable
from models.synthetic import generate_scenario
from optimiser.runs import run_job

# Kills a server mid-solve and waits for it on the clock: it runs while no other test runs
# (marked alone: see tests/conftest.py).
pytestmark = pytest.mark.alone

REPO = Path(__file__).resolve().parents[2]
COMMISSION = [sys.executable, "-c", "from api.cli import main; main()"]
STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`commission serve` in its own process group, so SIGKILL takes its workers too."""

    def __init__(self, environment: dict[str, str], port: int, log: Path) -> None:
        self.environment, self.port, self.log = environment, port, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [*COMMISSION, "serve", "--port", str(self.port), "--workers", "1"],
                cwd=REPO,
                env=self.environment,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError(f"the server did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    environment = {
        **os.environ,
        "COMMISSION_DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "COMMISSION_JOB_LEASE_S": "2",
        "COMMISSION_JOB_POLL_INTERVAL_S": "0.1",
        "COMMISSION_LOG_LEVEL": "WARNING",
    }
    server = Server(environment, free_port(), tmp_path / "server.log")
    yield server
    server.stop()


@pytest.mark.slow
def test_a_job_survives_sigkill_mid_solve(server: Server) -> None:
    key = subprocess.run(
        [*COMMISSION, "keys", "create", "--org", "icb", "--role", "commissioner"],
        cwd=REPO,
        env=server.environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    headers = {"X-API-Key": key}
    document = generate_scenario(n_practices=400, n_pcns=50)

    server.start()
    scenario = httpx.post(f"{server.url}/scenarios", json=document, headers=headers, timeout=60)
    assert scenario.status_code == 201, scenario.text
    submitted = httpx.post(
        f"{server.url}/jobs", json={"scenario_id": scenario.json()["id"], "kind": "solve"}, headers=headers, timeout=30
    )
    assert submitted.status_code == 202
    job_id = submitted.json()["id"]
    deadline = time.monotonic() + 60
    while httpx.get(f"{server.url}/jobs/{job_id}", headers=headers).json()["status"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    server.kill()

    engine = create_engine(server.environment["COMMISSION_DATABASE_URL"])
    with engine.connect() as connection:
        assert connection.scalar(select(Job.status).where(Job.public_id == job_id)) == "running", "killed too late"

    expected = run_job("solve", document).result["objective_value"]
    server.start()
    finished = httpx.get(f"{server.url}/jobs/{job_id}?wait=30", headers=headers, timeout=60).json()
    if finished["status"] != "succeeded":
        finished = httpx.get(f"{server.url}/jobs/{job_id}?wait=30", headers=headers, timeout=60).json()
    assert finished["status"] == "succeeded", finished
    assert finished["attempts"] == 2
    assert finished["result"]["objective_value"] == pytest.approx(expected, rel=1e-6)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Job)) == 1
        tables = connection.scalar(select(func.count()).select_from(JobTable).join(Job).where(Job.public_id == job_id))
        assert tables == len(finished["tables"]) > 0
    engine.dispose()
