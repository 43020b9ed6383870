"""Jobs: solve, check and sweep through the API; waiting, cancelling, downloads, limits."""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from optimiser.io import read_document
from optimiser.runs import run_job as run_job_directly
from tests.api.helpers import OPERATOR, TINY, Service, create_scenario, run_job, service_settings


@pytest.fixture(scope="module")
def tiny() -> dict:
    return read_document(TINY)


def test_solve_gives_the_same_optimum_as_the_cli(client: TestClient, commissioner: dict, tiny: dict) -> None:
    scenario_id = create_scenario(client, commissioner, tiny)
    job = run_job(client, commissioner, scenario_id)
    assert job["status"] == "succeeded", job
    assert job["attempts"] == 1
    expected = run_job_directly("solve", tiny).result
    assert job["result"]["status"] == "optimal"
    assert job["result"]["deliverable"] is True
    assert job["result"]["objective_value"] == pytest.approx(expected["objective_value"], rel=1e-6)
    assert {table["name"] for table in job["tables"]} == set(run_job_directly("solve", tiny).tables)


def test_undeliverable_is_a_succeeded_job(client: TestClient, commissioner: dict, tiny: dict) -> None:
    scenario_id = create_scenario(client, commissioner, tiny)
    job = run_job(client, commissioner, scenario_id, overrides={"budget_gbp": 1})
    assert job["status"] == "succeeded"
    assert job["result"]["deliverable"] is False
    assert job["overrides"] == {"budget_gbp": 1}


def test_check_explains_an_undeliverable_spec(client: TestClient, commissioner: dict, tiny: dict) -> None:
    scenario_id = create_scenario(client, commissioner, tiny)
    job = run_job(client, commissioner, scenario_id, kind="check", overrides={"budget_gbp": 1})
    assert job["status"] == "succeeded", job
    assert job["result"]["deliverable"] is False
    expected = run_job_directly("check", tiny, {"budget_gbp": 1}).result
    assert job["result"]["conflict"]["rules"] == expected["conflict"]["rules"]
    assert job["result"]["conflict"]["sentences"] == expected["conflict"]["sentences"]


def test_sweep_runs_over_a_budget_range(client: TestClient, commissioner: dict, tiny: dict) -> None:
    scenario_id = create_scenario(client, commissioner, tiny)
    job = run_job(client, commissioner, scenario_id, kind="sweep", overrides={"budget": "10000:60000:3"})
    assert job["status"] == "succeeded", job
    # The API's points are the engine's for the same range: each budget, verdict and frontier value.
    expected = run_job_directly("sweep", tiny, {"budget": "10000:60000:3"}).result["points"]
    points = job["result"]["points"]
    assert [point["budget_gbp"] for point in points] == [10_000, 35_000, 60_000]
    assert [point["deliverable"] for point in points] == [point["deliverable"] for point in expected]
    assert [sorted(point) for point in points] == [sorted(point) for point in expected]
    for point, engine in zip(points, expected, strict=True):
        for column, value in engine.items():
            if isinstance(value, float):
                assert point[column] == pytest.approx(value, rel=1e-9), (point["budget_gbp"], column)
            else:  # a status, a verdict, or None where the budget has no plan
                assert point[column] == value, (point["budget_gbp"], column)
    assert any(point["deliverable"] for point in points) and not all(point["deliverable"] for point in points)


def test_sensitivity_override(client: TestClient, commissioner: dict, tiny: dict) -> None:
    scenario_id = create_scenario(client, commissioner, tiny)
    job = run_job(client, commissioner, scenario_id, overrides={"sensitivity": True})
    assert job["status"] == "succeeded"
    assert "sensitivity" in job["result"]


def test_tables_download_as_csv_and_xlsx(client: TestClient, commissioner: dict, tiny: dict) -> None:
    scenario_id = create_scenario(client, commissioner, tiny)
    job = run_job(client, commissioner, scenario_id)
    expected = run_job_directly("solve", tiny).tables
    for table in job["tables"]:
        response = client.get(f"/jobs/{job['id']}/tables/{table['name']}", headers=commissioner)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        frame = pd.read_csv(io.StringIO(response.text))
        assert list(frame.columns) == table["columns"] == [str(c) for c in expected[table["name"]].columns]
        assert len(frame) == table["rows"] == len(expected[table["name"]])

    name = job["tables"][0]["name"]
    sheet = client.get(f"/jobs/{job['id']}/tables/{name}?format=xlsx", headers=commissioner)
    assert sheet.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(sheet.content)).sheetnames == [name[:31]]
    workbook = client.get(f"/jobs/{job['id']}/workbook", headers=commissioner)
    assert len(openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames) == len(job["tables"])
    assert client.get(f"/jobs/{job['id']}/tables/nope", headers=commissioner).status_code == 404
    assert client.get(f"/jobs/{job['id']}/tables/{name}?format=pdf", headers=commissioner).status_code == 422


def test_submit_answers_202_and_the_job_can_be_polled(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    response = client.post("/jobs", json={"scenario_id": scenario_id, "kind": "solve"}, headers=commissioner)
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert response.headers["location"] == f"/jobs/{job_id}"
    assert response.json()["status"] in {"queued", "running", "succeeded"}
    polled = client.get(f"/jobs/{job_id}?wait=60", headers=commissioner).json()
    assert polled["status"] == "succeeded"
    assert polled["version"] == 1


def test_jobs_run_on_a_chosen_version(client: TestClient, commissioner: dict, tiny: dict) -> None:
    scenario_id = create_scenario(client, commissioner, tiny)
    richer = {**tiny, "settings": {**tiny["settings"], "budget_gbp": 1}}
    client.post(f"/scenarios/{scenario_id}/versions", json=richer, headers=commissioner)
    assert run_job(client, commissioner, scenario_id, version=1)["result"]["deliverable"] is True
    latest = run_job(client, commissioner, scenario_id)
    assert latest["version"] == 2
    assert latest["result"]["deliverable"] is False
    missing = client.post(
        "/jobs", json={"scenario_id": scenario_id, "version": 9, "kind": "solve"}, headers=commissioner
    )
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("kind", "overrides", "column"),
    [
        ("solve", {"time_limit_s": 1_000}, "body.overrides.time_limit_s"),
        ("sweep", {}, "body.overrides"),
        ("sweep", {"budget": "1:2:500"}, "body.overrides.budget"),
        ("sweep", {"budget": "1:2:3", "standards": "0.5:1:3"}, "body.overrides"),
        ("solve", {"budget": "1:2:3"}, "body.overrides.budget"),
        ("check", {"sensitivity": True}, "body.overrides.sensitivity"),
    ],
)
def test_out_of_range_overrides_are_422(
    client: TestClient, commissioner: dict, kind: str, overrides: dict, column: str
) -> None:
    scenario_id = create_scenario(client, commissioner)
    response = client.post(
        "/jobs", json={"scenario_id": scenario_id, "kind": kind, "overrides": overrides}, headers=commissioner
    )
    assert response.status_code == 422, response.text
    # one naming for every override problem, whoever finds it (audit 4 F20)
    assert response.json()["detail"][0]["table"] == "request"
    assert response.json()["detail"][0]["column"] == column


SOME_ID = "0193a1f2-6c4e-7d2a-9b1c-000000000000"


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "solve"},
        {"scenario_id": 1, "kind": "solve"},
        {"scenario_id": SOME_ID, "kind": "optimise"},
        {"scenario_id": SOME_ID, "kind": "solve", "overrides": {"budget_gbp": -1}},
        {"scenario_id": SOME_ID, "kind": "solve", "overrides": {"budget_gbp": True}},
        {"scenario_id": SOME_ID, "kind": "solve", "overrides": {"colour": "red"}},
        {"scenario_id": SOME_ID, "kind": "sweep", "overrides": {"budget": "lots"}},
        {"scenario_id": SOME_ID, "kind": "solve", "overrides": {"standards_fraction": 2}},
    ],
)
def test_malformed_job_requests_are_422(client: TestClient, commissioner: dict, body: dict) -> None:
    response = client.post("/jobs", json=body, headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["table"] == "request"


def test_idempotency_key_returns_the_same_job(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    headers = {**commissioner, "Idempotency-Key": f"solve-{scenario_id}"}
    body = {"scenario_id": scenario_id, "kind": "solve"}
    first = client.post("/jobs", json=body, headers=headers).json()
    again = client.post("/jobs", json=body, headers=headers).json()
    assert first["id"] == again["id"]
    different = client.post("/jobs", json={**body, "overrides": {"budget_gbp": 5}}, headers=headers)
    assert different.status_code == 409
    listed = client.get(f"/jobs?scenario_id={scenario_id}", headers=commissioner).json()
    assert listed["total"] == 1


def test_list_filters_jobs(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    job = run_job(client, commissioner, scenario_id)
    succeeded = client.get(f"/jobs?status=succeeded&scenario_id={scenario_id}", headers=commissioner).json()
    assert [j["id"] for j in succeeded["items"]] == [job["id"]]
    assert client.get(f"/jobs?status=queued&scenario_id={scenario_id}", headers=commissioner).json()["total"] == 0
    assert client.get("/jobs?status=bogus", headers=commissioner).status_code == 422


def test_a_finished_job_cannot_be_cancelled(client: TestClient, commissioner: dict) -> None:
    job = run_job(client, commissioner, create_scenario(client, commissioner))
    response = client.post(f"/jobs/{job['id']}/cancel", headers=commissioner)
    assert response.status_code == 409
    assert client.get(f"/jobs/{job['id']}", headers=commissioner).json()["status"] == "succeeded"


def test_metrics_count_jobs(client: TestClient, commissioner: dict) -> None:
    run_job(client, commissioner, create_scenario(client, commissioner))
    text = client.get("/metrics", headers=OPERATOR).text
    assert 'commission_jobs{status="succeeded"}' in text
    assert "commission_job_queue_depth" in text
    assert 'commission_job_duration_seconds_bucket{kind="solve",le="+Inf"}' in text
    assert client.get("/metrics").status_code == 401


@pytest.fixture(scope="module")
def idle_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """An app with no workers: jobs stay queued."""
    url = f"sqlite:///{tmp_path_factory.mktemp('idle') / 'idle.db'}"
    settings = service_settings(url, workers=0)
    with TestClient(create_app(settings)) as client:
        yield Service(client=client, settings=settings)


def test_cancel_a_queued_job(idle_service: Service) -> None:
    client = idle_service.client
    headers = idle_service.tenant()
    scenario_id = create_scenario(client, headers)
    job = client.post("/jobs?wait=0.3", json={"scenario_id": scenario_id, "kind": "solve"}, headers=headers)
    assert job.status_code == 202
    assert job.json()["status"] == "queued"
    cancelled = client.post(f"/jobs/{job.json()['id']}/cancel", headers=headers)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"/jobs/{job.json()['id']}/cancel", headers=headers).json()["status"] == "cancelled"
    assert "commission_job_queue_depth 0.0" in client.get("/metrics", headers=OPERATOR).text


@pytest.fixture(scope="module")
def strict_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """An app whose hard job limit no run can meet."""
    url = f"sqlite:///{tmp_path_factory.mktemp('strict') / 'strict.db'}"
    settings = service_settings(url, workers=1, job_time_limit_s=0.01)
    with TestClient(create_app(settings)) as client:
        yield Service(client=client, settings=settings)


def test_a_job_past_the_hard_limit_fails_clearly(strict_service: Service) -> None:
    client = strict_service.client
    headers = strict_service.tenant()
    job = run_job(client, headers, create_scenario(client, headers))
    assert job["status"] == "failed"
    assert "hard limit of 0.01 s" in job["error"]
    assert job["result"] is None
