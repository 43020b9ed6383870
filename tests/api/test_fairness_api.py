"""Fair shares through the API: the objective override and the distribution in the result (docs/fairness.md)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from optimiser.io import read_document
from optimiser.runs import run_job as run_job_directly
from tests.api.helpers import TINY, create_scenario, run_job


def test_max_min_coverage_and_the_distribution(client: TestClient, commissioner: dict) -> None:
    tiny = read_document(TINY)
    tiny["practices"][0]["prior_funding_gbp"] = 10_000
    tiny["practices"][0]["imd_score"] = 35.0
    tiny["practices"][1]["imd_score"] = 12.5
    scenario_id = create_scenario(client, commissioner, tiny)
    job = run_job(client, commissioner, scenario_id, overrides={"objective": "max_min_coverage"})
    assert job["status"] == "succeeded", job
    expected = run_job_directly("solve", tiny, {"objective": "max_min_coverage"}).result
    assert job["result"]["objective"] == "max_min_coverage"
    assert job["result"]["objective_value"] == pytest.approx(expected["objective_value"], rel=1e-6)
    distribution = job["result"]["kpis"]["distribution"]
    assert distribution["coverage"]["min"] == pytest.approx(expected["objective_value"], rel=1e-6)
    assert distribution["prior_funding"]["practices_with_prior"] == 1
    assert [row["imd_quintile"] for row in distribution["by_imd_quintile"]] == [1, 3]
    practices = next(t for t in job["tables"] if t["name"] == "practices")
    assert {"coverage", "change_gbp", "imd_quintile"} <= set(practices["columns"])


def test_unknown_objective_is_422(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    response = client.post(
        "/jobs",
        json={"scenario_id": scenario_id, "kind": "solve", "overrides": {"objective": "fairest"}},
        headers=commissioner,
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {
            "table": "request",
            "row": None,
            "column": "body.overrides.objective",
            "message": "objective: must be one of min_cost, max_value, max_min_coverage (got 'fairest')",
        }
    ]
