"""An API job's result carries the figures that look like the wrong unit (audit 5, F31)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from optimiser.io import read_document
from tests.api.helpers import TINY, create_scenario, run_job


def test_a_job_result_carries_the_data_warnings(client: TestClient, commissioner: dict[str, str]) -> None:
    document = read_document(TINY)
    plain = run_job(client, commissioner, create_scenario(client, commissioner, document))
    assert plain["result"]["data_warnings"] == []
    document["roles"][0]["cost_per_fte_gbp"] = 95  # £95k typed in thousands
    job = run_job(client, commissioner, create_scenario(client, commissioner, document), kind="check")
    assert job["status"] == "succeeded", job
    [warning] = job["result"]["data_warnings"]
    assert (warning["table"], warning["row"], warning["column"]) == ("roles", 1, "cost_per_fte_gbp")
    assert "did you mean £95,000?" in warning["message"]
