"""Every malformed request is answered in the product's words, in one naming (audit 4 F20, F25):
a body FastAPI could not read ("There was an error parsing the body"), a query or path parameter
out of range ("Input should be less than or equal to 100"), and an override refused by a
limit of this service, named as the request's schema names a bad override."""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.orm import Role
from api.schemas import EXAMPLE_ID
from tests.api.helpers import Service, create_scenario, service_settings


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
        ("/jobs?limit=0", "query.limit", "must be at least 1 (got '0')"),
        ("/scenarios?offset=-1", "query.offset", "must be at least 0 (got '-1')"),
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
    assert response.json()["detail"] == [problem("path.number", "must be at least 1 (got '0')")]
    response = client.post(
        "/jobs", json={"scenario_id": scenario_id, "kind": "check", "version": 0}, headers=commissioner
    )
    assert response.json()["detail"] == [problem("body.version", "must be at least 1 (got 0)")]


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


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (True, "must be a whole number (got true)"),
        ("1", "must be a whole number (got '1')"),
        (1.5, "must be a whole number (got 1.5)"),
    ],
)
def test_a_version_is_a_whole_number_not_true_or_text(
    client: TestClient, commissioner: dict, version: Any, message: str
) -> None:
    """Audit 5 F7: `"version": true` and `"version": "1"` were taken as version 1."""
    scenario_id = create_scenario(client, commissioner)
    response = client.post(
        "/jobs", json={"scenario_id": scenario_id, "kind": "check", "version": version}, headers=commissioner
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [problem("body.version", message)]


def test_a_whole_number_written_with_a_point_is_a_version(service: Service, commissioner: dict) -> None:
    """JSON's 1.0 is the number 1, as the scenario validator reads whole numbers."""
    client = service.client
    scenario_id = create_scenario(client, commissioner)
    response = client.post(
        "/jobs", json={"scenario_id": scenario_id, "kind": "check", "version": 1.0}, headers=commissioner
    )
    assert response.status_code in (200, 202), response.text
    assert response.json()["version"] == 1


@pytest.mark.parametrize(
    ("path", "body", "column", "message"),
    [
        ("/jobs", [], "body", "must be an object (got [])"),
        ("/jobs", "check", "body", "must be an object (got 'check')"),
        ("/jobs", {"kind": "check", "overrides": []}, "body.overrides", "must be an object (got [])"),
        (
            "/jobs",
            {"kind": "check", "colour": "red"},
            "body.colour",
            "unknown field 'colour' (known: scenario_id, version, kind, overrides)",
        ),
        ("/keys", [], "body", "must be an object (got [])"),
        (
            "/keys",
            {"role": "admin", "organisation": "x"},
            "body.organisation",
            "unknown field 'organisation' (known: role, label)",
        ),
        (
            "/keys",
            {"role": "admin", "label": "a\nb"},
            "body.label",
            "must not contain control characters such as NUL or newline (got 'a<line break>b')",
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_named_in_the_products_words(
    service: Service, path: str, body: Any, column: str, message: str
) -> None:
    """Audit 5 F9: "Input should be a valid dictionary or object to extract fields from" and
    "Extra inputs are not permitted" were pydantic's words."""
    client = service.client
    headers = service.tenant(Role.ADMIN) if path == "/keys" else service.tenant()
    if isinstance(body, dict) and "kind" in body:
        body = {"scenario_id": create_scenario(client, headers), **body}
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert problem(column, message) in response.json()["detail"]


@pytest.mark.parametrize("wait", ["nan", "inf", "-inf", "1e400"])
def test_a_wait_that_is_not_a_number_is_refused_as_such(client: TestClient, commissioner: dict, wait: str) -> None:
    """Audit 5 F9: `?wait=nan` was told it must be at most 3600."""
    scenario_id = create_scenario(client, commissioner)
    response = client.post(
        f"/jobs?wait={wait}", json={"scenario_id": scenario_id, "kind": "check"}, headers=commissioner
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [problem("query.wait", f"must be a number (got '{wait}')")]
    response = client.get(f"/jobs/{'0' * 8}-0000-7000-8000-{'0' * 12}?wait={wait}", headers=commissioner)
    assert response.json()["detail"] == [problem("query.wait", f"must be a number (got '{wait}')")]


def test_a_wait_longer_than_the_services_longest_is_cut_to_it(tmp_path: Path) -> None:
    """docs/api.md: COMMISSION_MAX_WAIT_S is the longest a request's ?wait= holds the connection;
    a longer wait is accepted and cut to it (here, with no worker, the job never finishes)."""
    settings = service_settings(f"sqlite:///{tmp_path / 'api.db'}", workers=0, max_wait_s=0.5)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        commissioner = Service(client=client, settings=settings).tenant()
        scenario_id = create_scenario(client, commissioner)
        started = time.monotonic()
        response = client.post(
            "/jobs?wait=100000", json={"scenario_id": scenario_id, "kind": "check"}, headers=commissioner
        )
        assert response.status_code == 202, response.text
        response = client.get(f"/jobs/{response.json()['id']}?wait=100000", headers=commissioner)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "queued"
        assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("weight", "quoted"),
    [
        ("true", "must be a number ≥ 0 (got true)"),
        ("1e999", "is too large (got 1e999)"),
        ('"1"', "must be a number ≥ 0 (got '1')"),
    ],
)
def test_a_bad_weight_is_quoted_as_json_wrote_it(
    client: TestClient, commissioner: dict, weight: str, quoted: str
) -> None:
    """Verify 5, N5: JSON's true was quoted as Python's "(got True)"."""
    scenario_id = create_scenario(client, commissioner)
    body = f'{{"scenario_id": "{scenario_id}", "kind": "check", "overrides": {{"weights": {{"budget": {weight}}}}}}}'
    response = post_json_text(client, "/jobs", body, commissioner)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [problem("body.overrides.weights", f"weights: weight 'budget' {quoted}")]


def test_a_body_sent_as_another_type_than_json_is_refused_in_words(service: Service) -> None:
    """Verify 5, N5: a JSON body sent as text/plain was quoted back as a Python bytes repr."""
    client = service.client
    organisation = f"org-{uuid.uuid4().hex[:10]}"
    commissioner, admin = service.key(organisation, Role.COMMISSIONER), service.key(organisation, Role.ADMIN)
    scenario_id = create_scenario(client, commissioner)
    sent = [
        ("/jobs", commissioner, json.dumps({"scenario_id": scenario_id, "kind": "check"})),
        ("/keys", admin, json.dumps({"role": "negotiator"})),
    ]
    for path, headers, body in sent:
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = client.post(path, content=body, headers={**headers, "Content-Type": content_type})
            assert response.status_code == 422, response.text
            assert response.json()["detail"] == [
                problem("body", "the body must be JSON (Content-Type: application/json)")
            ], (path, content_type)
        accepted = client.post(
            path, content=body, headers={**headers, "Content-Type": "application/json; charset=utf-8"}
        )
        assert accepted.status_code in (200, 201, 202), accepted.text
    assert client.get("/jobs", headers=commissioner).json()["total"] == 1  # only the JSON one


def test_an_override_given_twice_is_named_by_the_override(client: TestClient, commissioner: dict) -> None:
    """Verify 5, N6: docs/api.md names every problem with an override body.overrides.NAME, its
    message starting with NAME."""
    scenario_id = create_scenario(client, commissioner)
    start = f'{{"scenario_id": "{scenario_id}", "kind": "check", "overrides": '
    twice = {
        '{"standards_fraction": 0.8, "standards_fraction": 0.9}}': problem(
            "body.overrides.standards_fraction",
            "standards_fraction: is given more than once (0.8, then 0.9); give it once",
        ),
        '{"weights": {"budget": 1, "budget": 2}}}': problem(
            "body.overrides.weights", "weights: 'budget' is given more than once (1, then 2); give it once"
        ),
    }
    for overrides, expected in twice.items():
        response = post_json_text(client, "/jobs", start + overrides, commissioner)
        assert (response.status_code, response.json()) == (422, {"detail": [expected]}), overrides
    assert client.get(f"/jobs?scenario_id={scenario_id}", headers=commissioner).json()["total"] == 0


def test_a_query_parameter_given_twice_is_refused_naming_it(client: TestClient, commissioner: dict) -> None:
    """Verify 5, N6: `POST /jobs?wait=30&wait=5` silently took one of the two waits."""
    scenario_id = create_scenario(client, commissioner)
    response = client.post(
        "/jobs?wait=30&wait=5", json={"scenario_id": scenario_id, "kind": "check"}, headers=commissioner
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        problem("query.wait", "is given more than once ('30', then '5'); give it once")
    ]
    assert client.get(f"/jobs?scenario_id={scenario_id}", headers=commissioner).json()["total"] == 0
    # a parameter the operation does not take is refused as unknown, once however often it is given
    unknown = client.get("/jobs?colour=red&colour=blue", headers=commissioner)
    assert unknown.status_code == 422, unknown.text
    assert [p["column"] for p in unknown.json()["detail"]] == ["query.colour"]


def test_every_query_parameter_of_the_api_refuses_being_given_twice(client: TestClient, commissioner: dict) -> None:
    """Every operation's query parameters, including any added later, are read one way."""
    operations = [
        (re.sub(r"\{\w+\}", lambda m: EXAMPLE_ID if m[0].endswith("_id}") else "1", path), method, parameter["name"])
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
    ]
    assert {("/jobs", "post", "wait"), ("/jobs", "get", "limit")} <= {(p, m, n) for p, m, n in operations}
    for path, method, name in operations:
        response = client.request(method, f"{path}?{name}=1&{name}=2", headers=commissioner)
        assert response.status_code == 422, (path, method, name, response.text)
        assert (
            problem(f"query.{name}", "is given more than once ('1', then '2'); give it once")
            in (response.json()["detail"])
        ), (path, method, name)


def test_an_empty_name_is_refused_in_the_products_words(client: TestClient, commissioner: dict) -> None:
    """Audit 9, A13: "must not be empty", never pydantic's "must be at least 1 characters"."""
    response = client.post("/scenarios?name=", json={}, headers=commissioner)
    assert response.status_code == 422, response.text
    assert problem("query.name", "must not be empty (got '')") in response.json()["detail"], response.json()
