"""Audit 7, A6 and A7: a query parameter an operation does not take is refused naming those it
takes (on every operation, `/healthz` included); `GET /jobs` filters by `kind`; cancelling a
cancelled job returns it unchanged, one that succeeded or failed is a 409."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.main import create_app
from api.orm import Job, JobStatus, utc_now
from api.schemas import EXAMPLE_ID
from tests.api.conftest import BACKENDS, database_url
from tests.api.helpers import Service, create_scenario, service_settings


@pytest.fixture(scope="module", params=BACKENDS)
def idle_service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """An app with no workers, on each backend: jobs stay queued until a test runs them."""
    settings = service_settings(database_url(request, request.param, tmp_path_factory), workers=0)
    with TestClient(create_app(settings)) as client:
        yield Service(client=client, settings=settings)


def submit(service: Service, headers: dict[str, str], scenario_id: str, kind: str) -> dict[str, Any]:
    response = service.client.post("/jobs", json={"scenario_id": scenario_id, "kind": kind}, headers=headers)
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] == "queued"
    return job


def finish(service: Service, job_id: str, status: JobStatus) -> None:
    """Mark the job finished with `status`, as a worker's result write does (no solve: only the state matters)."""
    sessions = service.client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        session.execute(
            update(Job).where(Job.public_id == job_id).values(status=status, finished_at=utc_now(), duration_s=0.1)
        )
        session.commit()


def operations(client: TestClient) -> list[tuple[str, str, list[str]]]:
    """Every operation of the OpenAPI document, a path to call it by, and its query parameters."""
    return [
        (
            re.sub(r"\{\w+\}", lambda m: EXAMPLE_ID if m[0].endswith("_id}") else "1", path),
            method,
            [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"],
        )
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method, operation in item.items()
    ]


def test_every_operation_refuses_a_query_parameter_it_does_not_take_naming_those_it_does(
    idle_service: Service,
) -> None:
    client, headers = idle_service.client, idle_service.tenant()
    every = operations(client)
    assert ("/jobs", "get", ["offset", "limit", "status", "scenario_id", "kind"]) in every
    assert ("/healthz", "get", []) in every
    for path, method, names in every:
        response = client.request(method, f"{path}?colour=red&colour=blue", headers=headers)
        assert response.status_code == 422, (method, path, response.text)
        [problem] = [p for p in response.json()["detail"] if p["column"] == "query.colour"]
        assert problem["table"] == "request" and problem["row"] is None
        match = re.fullmatch(
            r"unknown query parameter 'colour' \((?:known: (.*)|this operation takes none)\)", problem["message"]
        )
        assert match is not None, problem
        assert (match[1].split(", ") if match[1] else []) == names, (method, path, problem)
    # a known parameter given as well is still read; the unknown one is named alongside its problems
    response = client.get("/jobs?limit=1000&kind=solve&filter=x", headers=headers)
    assert response.status_code == 422
    assert [p["column"] for p in response.json()["detail"]] == ["query.filter"]
    # without a query string, liveness is still answered before routing; with one, it is routed
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/healthz?").json() == {"status": "ok"}


def test_jobs_are_listed_by_kind(idle_service: Service) -> None:
    client, headers = idle_service.client, idle_service.tenant()
    scenario_id = create_scenario(client, headers)
    solve = submit(idle_service, headers, scenario_id, "solve")
    check = submit(idle_service, headers, scenario_id, "check")
    checks = client.get("/jobs?kind=check", headers=headers).json()
    assert ([job["id"] for job in checks["items"]], checks["total"]) == ([check["id"]], 1)
    solves = client.get(f"/jobs?kind=solve&status=queued&scenario_id={scenario_id}", headers=headers).json()
    assert ([job["id"] for job in solves["items"]], solves["total"]) == ([solve["id"]], 1)
    assert client.get("/jobs?kind=sweep", headers=headers).json()["total"] == 0
    assert client.get("/jobs", headers=headers).json()["total"] == 2
    wrong = client.get("/jobs?kind=solves", headers=headers)
    assert wrong.status_code == 422
    [problem] = wrong.json()["detail"]
    assert problem["column"] == "query.kind" and "'solve', 'check' or 'sweep'" in problem["message"]


def test_a_repeated_cancel_returns_the_cancelled_job_unchanged(idle_service: Service) -> None:
    client, headers = idle_service.client, idle_service.tenant()
    job = submit(idle_service, headers, create_scenario(client, headers), "solve")
    first = client.post(f"/jobs/{job['id']}/cancel", headers=headers)
    assert first.status_code == 200, first.text
    assert (first.json()["status"], first.json()["error"]) == ("cancelled", "cancelled on request")
    again = client.post(f"/jobs/{job['id']}/cancel", headers=headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # not cancelled a second time: the same finish time


@pytest.mark.parametrize("status", [JobStatus.SUCCEEDED, JobStatus.FAILED])
def test_cancelling_a_job_that_succeeded_or_failed_is_a_conflict(idle_service: Service, status: JobStatus) -> None:
    client, headers = idle_service.client, idle_service.tenant()
    job = submit(idle_service, headers, create_scenario(client, headers), "solve")
    finish(idle_service, job["id"], status)
    response = client.post(f"/jobs/{job['id']}/cancel", headers=headers)
    assert response.status_code == 409, response.text
    assert response.json() == {"detail": f"job {job['id']} has already finished ({status})"}
    assert client.get(f"/jobs/{job['id']}", headers=headers).json()["status"] == status
