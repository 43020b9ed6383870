"""Audit 11 #11: the API refuses a standards fraction written as money in the shared words (HTTP 422)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import create_scenario


@pytest.mark.parametrize("text", ["£0.5", "0.0005k"])
def test_the_api_refuses_a_standards_fraction_written_as_money(
    client: TestClient, commissioner: dict, text: str
) -> None:
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": "check", "overrides": {"standards_fraction": text}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {
            "table": "request",
            "row": None,
            "column": "body.overrides.standards_fraction",
            "message": "standards_fraction: must be a number between 0 and 1 such as 0.9, "
            f"not an amount of money (got '{text}')",
        }
    ]


def test_the_api_still_takes_a_standards_fraction_written_as_a_number(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": "check", "overrides": {"standards_fraction": "0.5"}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 202, response.text
    assert response.json()["overrides"] == {"standards_fraction": 0.5}
