"""A lower bound reads "must be at least N" wherever the API gives it: a request's parameter as a
scenario's figure (it read "must be 0 or more" beside a scenario's "must be at least 0")."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import example_document


def messages(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [problem["message"] for problem in response.json()["detail"]]


def test_a_parameter_and_a_scenario_word_a_lower_bound_alike(client: TestClient, commissioner: dict) -> None:
    scenario = messages(client.post("/scenarios", json=example_document(budget_gbp=-5), headers=commissioner))
    parameter = messages(client.get("/scenarios?offset=-1", headers=commissioner))
    assert scenario == ["must be at least 0 (got -5)"]
    assert parameter == ["must be at least 0 (got '-1')"]
