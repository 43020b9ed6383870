"""The API's workbook of a result without tables states its verdict, as the CLI's does (audit 7, A10;
tests/test_workbook_without_tables.py)."""

from __future__ import annotations

import io

import openpyxl
from fastapi.testclient import TestClient

from optimiser.io import read_document
from tests.api.helpers import TINY, create_scenario, run_job
from tests.test_workbook_without_tables import verdict


def test_the_api_workbook_of_an_infeasible_solve_states_the_same_verdict(
    client: TestClient, commissioner: dict[str, str]
) -> None:
    document = read_document(TINY)
    document["settings"]["budget_gbp"] = 1
    scenario_id = create_scenario(client, commissioner, document)
    job = run_job(client, commissioner, scenario_id)
    assert job["result"]["status"] == "infeasible"
    response = client.get(f"/jobs/{job['id']}/workbook", headers=commissioner)
    assert response.status_code == 200
    stated = verdict(openpyxl.load_workbook(io.BytesIO(response.content)))
    assert (stated["status"], stated["deliverable"], stated["message"]) == (
        "infeasible",
        False,
        job["result"]["message"],
    )
