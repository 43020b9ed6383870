"""Many simultaneous submissions all finish with the optimum the CLI finds."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from optimiser.io import read_document
from optimiser.runs import run_job
from tests.api.helpers import TINY, Service, create_scenario

SUBMISSIONS = 24
BUDGETS = (40_000, 45_000, 50_000, 60_000)


@pytest.mark.slow
def test_simultaneous_submissions_all_reach_the_cli_optimum(service: Service) -> None:
    client = service.client
    headers = service.tenant()
    tiny = read_document(TINY)
    scenario_id = create_scenario(client, headers, tiny)
    expected = {budget: run_job("solve", tiny, {"budget_gbp": budget}).result["objective_value"] for budget in BUDGETS}

    def submit(number: int) -> tuple[str, int]:
        budget = BUDGETS[number % len(BUDGETS)]
        body = {"scenario_id": scenario_id, "kind": "solve", "overrides": {"budget_gbp": budget}}
        response = client.post("/jobs", json=body, headers={**headers, "Idempotency-Key": f"burst-{number}"})
        assert response.status_code in (200, 202), response.text
        return str(response.json()["id"]), budget

    with ThreadPoolExecutor(SUBMISSIONS) as pool:
        submitted = list(pool.map(submit, range(SUBMISSIONS)))
    assert len({job_id for job_id, _ in submitted}) == SUBMISSIONS

    for job_id, budget in submitted:
        job = client.get(f"/jobs/{job_id}?wait=60", headers=headers).json()
        assert job["status"] == "succeeded", job
        assert job["attempts"] == 1
        assert job["result"]["objective_value"] == pytest.approx(expected[budget], rel=1e-6)
