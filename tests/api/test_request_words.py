"""Every malformed request is answered in the product's words, in one naming (audit 4 F20, F25):
a body FastAPI could not read ("There was an error parsing the body"), a query or path parameter
out of range ("Input should be less than or equal to 100"), and an override refused by a
limit of this service, named as the request's schema names a bad override."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.orm import Role
from tests.api.helpers import Service, create_scenario


def problem(column: str, message: str) -> dict[str, Any]:
    return {"table": "request", "row": None, "column": column, "message": message}


def post_json_text(client: TestClient, path: str, text: str | bytes, headers: dict) -> Any:
    return client.post(path, content=text, headers={**headers, "Content-Type": "application/json"})


def test_a_job_body_that_cannot_be_read_is_named_as_a_scenario_body_is(service: Service, commissioner: dict) -> None:
    client = service.client
    scenario_id = create_scenario(client, commissioner)
    # a 5,001-digit budget: more digits than Python turns into an integer
    digits = f'{{"scenario_id": "{scenario_id}", "kind": "check", "overrides": {{"budget_gbp": 1{"0" * 5000}}}}}'
    response = post_json_text(client, "/jobs", digits, commissioner)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        problem("body", "the request body is not valid JSON: a number has more than 4,300 digits")
    ]
    # nesting deeper than the reader goes (within the service's body size limit)
    depth = service.settings.max_request_bytes // 3
    weights = "[" * depth + "1" + "]" * depth
    deep = f'{{"scenario_id": "{scenario_id}", "kind": "check", "overrides": {{"weights": {weights}}}}}'
    response = post_json_text(client, "/jobs", deep, commissioner)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [problem("body", "the request body is nested too deeply to read")]
    # the same words as POST /scenarios gives the same nesting
    scenario = post_json_text(client, "/scenarios?name=deep", "[" * depth + "]" * depth, commissioner)
    assert scenario.status_code == 422, scenario.text
    assert [p["message"] for p in scenario.json()["detail"]] == ["the request body is nested too deeply to read"]


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/jobs",
            '{"kind": "check",',
            "the request body is not valid JSON: Expecting property name enclosed in double quotes at line 1, column 18",
        ),
        ("/jobs", b'{"kind": "\xff"}', "the request body is not UTF-8 text"),
        ("/keys", '{"role": "negotiator"', "the request body is not valid JSON: Expecting ',' delimiter at line 1,"),
    ],
)
def test_a_body_that_is_not_json_is_named_in_the_products_words(
    service: Service, path: str, body: str | bytes, message: str
) -> None:
    response = post_json_text(service.client, path, body, service.tenant(Role.ADMIN))
    assert response.status_code == 422, response.text
    [reported] = response.json()["detail"]
    assert (reported["table"], reported["column"]) == ("request", "body")
    assert reported["message"].startswith(message), reported


@pytest.mark.parametrize(
    ("path", "column", "message"),
    [
        ("/jobs?limit=1000", "query.limit", "must be at most 100 (got '1000')"),
        ("/jobs?limit=0", "query.limit", "must be 1 or more (got '0')"),
        ("/scenarios?offset=-1", "query.offset", "must be 0 or more (got '-1')"),
        ("/scenarios?limit=ten", "query.limit", "must be a whole number (got 'ten')"),
        ("/jobs?status=done", "query.status", "must be one of "),
    ],
)
def test_a_query_parameter_out_of_range_is_named_in_the_products_words(
    client: TestClient, commissioner: dict, path: str, column: str, message: str
) -> None:
    response = client.get(path, headers=commissioner)
    assert response.status_code == 422, response.text
    [reported] = response.json()["detail"]
    assert (reported["table"], reported["column"]) == ("request", column)
    assert reported["message"].startswith(message), reported
    assert "Input should" not in reported["message"]


def test_a_path_number_out_of_range_is_named_in_the_products_words(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    response = client.get(f"/scenarios/{scenario_id}/versions/0", headers=commissioner)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [problem("path.number", "must be 1 or more (got '0')")]
    response = client.post(
        "/jobs", json={"scenario_id": scenario_id, "kind": "check", "version": 0}, headers=commissioner
    )
    assert response.json()["detail"] == [problem("body.version", "must be 1 or more (got 0)")]


@pytest.mark.parametrize(
    ("kind", "overrides"),
    [
        ("solve", {"time_limit_s": 0}),  # the product's own bound: found by the request's schema
        ("solve", {"time_limit_s": 1_000}),  # this service's lower bound: found after it
        ("sweep", {"budget": "1m:2m:51"}),  # this service's cap on points
        ("check", {"sensitivity": True}),  # which overrides go with which kind
        ("check", {"budget": "1m:2m:3"}),
    ],
)
def test_every_override_problem_is_named_one_way(
    client: TestClient, commissioner: dict, kind: str, overrides: dict
) -> None:
    """Audit 4 F20: `table: request, column: body.overrides.time_limit_s` for one problem and
    `table: overrides, column: time_limit_s` for another of the same override."""
    scenario_id = create_scenario(client, commissioner)
    response = client.post(
        "/jobs", json={"scenario_id": scenario_id, "kind": kind, "overrides": overrides}, headers=commissioner
    )
    assert response.status_code == 422, response.text
    [name] = overrides
    [reported] = response.json()["detail"]
    assert (reported["table"], reported["column"]) == ("request", f"body.overrides.{name}")
    assert reported["message"].startswith(f"{name}: "), reported
