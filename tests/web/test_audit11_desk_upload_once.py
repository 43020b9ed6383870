"""Audit 11 #10: the desk stores an uploaded scenario with its check job in one transaction. A job
refused (or a failure between the two) used to leave the scenario stored, and the user's retry of
the same upload stored a second copy."""

from __future__ import annotations

import html
import json
from typing import Any

import pytest

from api import crud
from models.scenario import Problem, ScenarioInvalid
from tests.web.conftest import Desk, csrf_of, tenant, tiny_document


def upload_check(client: Any) -> Any:
    csrf = csrf_of(client.get("/desk/check").text)
    return client.post(
        "/desk/check",
        data={"csrf": csrf, "source": "upload", "name": "tiny upload", "offer_kind": "scenario"},
        files={"file": ("tiny.json", json.dumps(tiny_document()).encode(), "application/json")},
        follow_redirects=False,
    )


def stored_scenarios(desk: Desk, token: str) -> list[Any]:
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        scenarios, total = crud.list_scenarios(session, desk.principal(token), 0, 100)
        assert total == len(scenarios)
        return [view.scenario.public_id for view in scenarios]


def refused(*_args: Any, **_kwargs: Any) -> Any:
    raise ScenarioInvalid([Problem("overrides", None, "time_limit_s", "refused by this service")])


def failed(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("the process failed between storing the scenario and its job")


@pytest.mark.parametrize(("failure", "status_code"), [(refused, 422), (failed, 500)])
def test_a_retried_upload_after_a_refused_job_stores_one_scenario(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, failure: Any, status_code: int
) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    with monkeypatch.context() as patched:
        patched.setattr(crud, "submit_job", failure)
        first = upload_check(client)
    assert first.status_code == status_code, first.text
    if status_code == 422:
        assert "refused by this service" in html.unescape(first.text)
    assert stored_scenarios(desk, token) == []  # nothing kept of an upload whose job was not stored

    retry = upload_check(client)
    assert retry.status_code == 303, retry.text
    [scenario_id] = stored_scenarios(desk, token)
    job_id = retry.headers["location"].rsplit("/", 1)[1]
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        [view], _ = crud.list_scenarios(session, desk.principal(token), 0, 100)
        assert view.scenario.public_id == scenario_id and view.scenario.name == "tiny upload"
        jobs, _ = crud.list_jobs(session, desk.principal(token), 0, 100, None, None)
        assert [(job.public_id, job.version.scenario.public_id) for job in jobs] == [(job_id, scenario_id)]
