"""A wait that ends before the job does returns the job as it is then, not as it was (audit 9, A7).

The job is a check of the example ICB at £4.7m (an undeliverable offer: its conflict search and
levers take seconds), so a short wait ends while it is still running.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import Service, create_scenario, run_job, service_settings

ICB = json.loads((Path(__file__).resolve().parents[2] / "data" / "example_icb.json").read_text(encoding="utf-8"))
SLOW_CHECK = {"kind": "check", "overrides": {"budget_gbp": "4.7m"}}


@pytest.fixture(scope="module")
def icb_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """An app that takes the example ICB (larger than the other API tests' limits allow)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('wait') / 'wait.db'}"
    settings = service_settings(url, workers=1, max_request_bytes=1_000_000, max_table_rows=5_000)
    with TestClient(create_app(settings)) as client:
        service = Service(client=client, settings=settings)
        # One job first, so the worker is up and idle when a test submits (a worker's first run
        # starts its process: seconds on a busy machine).
        headers = service.tenant()
        run_job(client, headers, create_scenario(client, headers))
        yield service


def test_a_submit_whose_wait_ends_first_shows_the_job_started(icb_service: Service) -> None:
    client = icb_service.client
    headers = icb_service.tenant()
    scenario_id = create_scenario(client, headers, ICB)
    posted = client.post("/jobs?wait=2", json={"scenario_id": scenario_id, **SLOW_CHECK}, headers=headers)
    job = posted.json()
    # An idle worker polls every 0.1 s: two seconds in, the job has started (it may even have finished).
    assert job["status"] in ("running", "succeeded"), job
    assert job["started_at"] is not None
    assert posted.status_code == (202 if job["status"] == "running" else 200)
    run_job_to_end(client, headers, job["id"])


def test_a_get_whose_wait_ends_first_shows_the_job_started(icb_service: Service) -> None:
    client = icb_service.client
    headers = icb_service.tenant()
    scenario_id = create_scenario(client, headers, ICB)
    queued = client.post("/jobs", json={"scenario_id": scenario_id, **SLOW_CHECK}, headers=headers).json()
    assert queued["status"] == "queued"
    job = client.get(f"/jobs/{queued['id']}?wait=2", headers=headers).json()
    assert job["status"] in ("running", "succeeded"), job
    assert job["started_at"] is not None
    run_job_to_end(client, headers, job["id"])


def run_job_to_end(client: TestClient, headers: dict[str, str], job_id: str) -> None:
    """Leave no job running into the next test (one worker)."""
    for _ in range(5):
        job = client.get(f"/jobs/{job_id}?wait=60", headers=headers).json()
        if job["status"] == "succeeded":
            return
    raise AssertionError(job)
