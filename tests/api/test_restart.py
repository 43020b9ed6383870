"""A real server (uvicorn in a subprocess) killed with SIGKILL mid-solve and restarted:
the acknowledged job still finishes, once, with the right answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from api.orm import Job, JobTable
from models.synthetic import generate_scenario
from optimiser.runs import run_job
from tests.servers import Server

# Kills a server mid-solve and waits for it on the clock: it runs while no other test runs
# (marked alone: see tests/conftest.py).
pytestmark = pytest.mark.alone


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """Not started: the test starts it, kills it (SIGKILL to its group, workers too) and starts it again."""
    server = Server(
        f"sqlite:///{tmp_path / 'service.db'}",
        tmp_path,
        COMMISSION_JOB_LEASE_S="2",
        COMMISSION_JOB_POLL_INTERVAL_S="0.1",
    )
    yield server
    server.stop()


@pytest.mark.slow
def test_a_job_survives_sigkill_mid_solve(server: Server) -> None:
    headers = server.headers("icb", "commissioner")
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
