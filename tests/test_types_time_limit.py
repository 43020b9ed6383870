"""The service's own limit on a solver time limit (COMMISSION_MAX_TIME_LIMIT_S) is one check with one
message on every path that takes a time limit: a scenario's settings (JSON body, upload, new version,
the desk's check form) and a job's overrides (solve, check, sweep). Each answers 422 and names the
field where the time limit was given. Real requests to the app."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import crud
from api.main import create_app
from api.orm import Role
from tests.api.helpers import example_document, service_settings
from tests.api.test_scenarios import scenario_workbook, scenario_zip
from tests.web.conftest import csrf_of

# The tests' service allows 120 s (tests/api/helpers.py).
TOO_LONG = "must be at most 120 s on this service (got 400)"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    # No workers: a job accepted stays queued, and every refusal here comes before one runs.
    settings = service_settings(f"sqlite:///{tmp_path_factory.mktemp('db') / 'api.db'}", workers=0)
    assert settings.max_time_limit_s == 120
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client


def api_key(client: TestClient) -> str:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        organisation = crud.get_or_create_organisation(session, "time-limits")
        _key, token = crud.create_key(session, organisation, Role.COMMISSIONER, None)
    return token


@pytest.fixture(scope="module")
def headers(client: TestClient) -> dict[str, str]:
    return {"X-API-Key": api_key(client)}


SETTINGS_PROBLEM = {"table": "settings", "row": None, "column": "time_limit_s", "message": TOO_LONG}


@pytest.mark.parametrize("given", [400, "400"])
def test_a_scenario_sent_as_json_with_too_long_a_time_limit(
    client: TestClient, headers: dict[str, str], given: Any
) -> None:
    response = client.post("/scenarios", json=example_document(time_limit_s=given), headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [SETTINGS_PROBLEM]


@pytest.mark.parametrize(("name", "encode"), [("scenario.zip", scenario_zip), ("scenario.xlsx", scenario_workbook)])
def test_a_scenario_uploaded_with_too_long_a_time_limit(
    client: TestClient, headers: dict[str, str], name: str, encode: Any
) -> None:
    upload = (name, encode(example_document(time_limit_s=400)))
    response = client.post("/scenarios/upload", files={"file": upload}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [SETTINGS_PROBLEM]


def test_a_new_version_with_too_long_a_time_limit(client: TestClient, headers: dict[str, str]) -> None:
    created = client.post("/scenarios", json=example_document(time_limit_s=120), headers=headers)
    assert created.status_code == 201, created.text  # at the limit: accepted
    scenario_id = created.json()["id"]
    response = client.post(
        f"/scenarios/{scenario_id}/versions", json=example_document(time_limit_s=400), headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [SETTINGS_PROBLEM]


@pytest.mark.parametrize(("kind", "overrides"), [("solve", {}), ("check", {}), ("sweep", {"budget": "10k:50k:3"})])
def test_a_job_with_too_long_a_time_limit(
    client: TestClient, headers: dict[str, str], kind: str, overrides: dict[str, Any]
) -> None:
    created = client.post("/scenarios", json=example_document(), headers=headers)
    assert created.status_code == 201, created.text
    job = {"scenario_id": created.json()["id"], "kind": kind, "overrides": {**overrides, "time_limit_s": 400}}
    response = client.post("/jobs", json=job, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {
            "table": "request",
            "row": None,
            "column": "body.overrides.time_limit_s",
            "message": f"time_limit_s: {TOO_LONG}",
        }
    ]
    # At the limit, the same job is accepted.
    job["overrides"]["time_limit_s"] = 120
    assert client.post("/jobs", json=job, headers=headers).status_code == 202


def test_the_desk_check_form_with_too_long_a_time_limit(client: TestClient) -> None:
    desk = TestClient(client.app, raise_server_exceptions=False, base_url="http://testserver")
    signed_in = desk.post("/desk/sign-in", data={"api_key": api_key(client)}, follow_redirects=False)
    assert signed_in.status_code == 303, signed_in.text
    csrf = csrf_of(desk.get("/desk/check").text)
    document = json.dumps(example_document(time_limit_s=400)).encode()
    response = desk.post(
        "/desk/check",
        data={"csrf": csrf, "source": "upload", "name": "too long", "offer_kind": "scenario"},
        files={"file": ("scenario.json", document, "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 422, response.text
    # The page's problems table: table, row, column, problem.
    rows = [
        [html.unescape(cell) for cell in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(<td>.*?)</tr>", response.text)
    ]
    assert rows == [["settings", "", "time_limit_s", TOO_LONG]]
