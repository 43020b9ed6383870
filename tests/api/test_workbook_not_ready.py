"""A job's workbook and tables are downloads of its result: until it has one they are a 409 in
words, as its PDF report is, never an empty workbook (audit 8, A9).

`GET /jobs/{id}/workbook` answered 200 with an empty `Results` sheet for a queued, running or
cancelled job, a download that read as a finished job that found nothing; the tables route said
the job "has no table" for a table it would have once finished. A job that failed for want of an
answer in time keeps its result, tables and workbook (tests/api/test_no_verdict_job.py).
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.main import create_app
from api.orm import Job, JobStatus, Role
from optimiser.io import read_document
from tests.api.conftest import BACKENDS, database_url
from tests.api.helpers import TINY, Service, create_scenario, run_job, service_settings

WAITING = "ready once it finishes"
ENDED = "only a job that finished with a result (succeeded, or failed with no answer in time) has"


def set_status(client: TestClient, job_id: str, status: JobStatus) -> None:
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.execute(update(Job).where(Job.public_id == job_id).values(status=status))
        session.commit()


def refused(client: TestClient, headers: dict[str, str], job_id: str, table: str) -> dict[str, tuple[int, str]]:
    """What the workbook and the table routes answer, each as (status code, detail)."""
    answers = {}
    for name, path in (
        ("workbook", f"/jobs/{job_id}/workbook"),
        ("table", f"/jobs/{job_id}/tables/{table}"),
        ("table xlsx", f"/jobs/{job_id}/tables/{table}?format=xlsx"),
    ):
        response = client.get(path, headers=headers)
        answers[name] = (response.status_code, response.json().get("detail") if response.status_code != 200 else "")
    return answers


def test_a_finished_job_has_its_workbook_and_one_without_a_result_is_409(
    client: TestClient, commissioner: dict[str, str]
) -> None:
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    job = run_job(client, commissioner, scenario_id, kind="check")
    assert job["status"] == "succeeded" and job["tables"], job
    table = job["tables"][0]["name"]
    # Succeeded: the workbook holds the result's tables (the premise: the 409s below are not for every job).
    workbook = client.get(f"/jobs/{job['id']}/workbook", headers=commissioner)
    assert workbook.status_code == 200
    assert table in openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames
    assert client.get(f"/jobs/{job['id']}/tables/{table}", headers=commissioner).status_code == 200
    # A table a finished job does not have is still not found.
    missing = client.get(f"/jobs/{job['id']}/tables/nothing", headers=commissioner)
    assert (missing.status_code, missing.json()) == (404, {"detail": f"job {job['id']} has no table 'nothing'"})
    # Ended without a result, yet holding tables (so the refusal is by the job's state, not for want
    # of rows). Queued and running are below, in an app without workers (here one would run it).
    for status in (
        JobStatus.CANCELLED,
        # Failed with its verdict, so not for want of an answer: as a failed invalid scenario.
        JobStatus.FAILED,
    ):
        why = (ENDED + " a workbook", ENDED + " result tables")
        set_status(client, job["id"], status)
        start = f"check {job['id']} is {status}: "
        assert refused(client, commissioner, job["id"], table) == {
            "workbook": (409, start + why[0]),
            "table": (409, start + why[1]),
            "table xlsx": (409, start + why[1]),
        }, status
    set_status(client, job["id"], JobStatus.SUCCEEDED)
    assert client.get(f"/jobs/{job['id']}/workbook", headers=commissioner).status_code == 200


@pytest.fixture(scope="module", params=BACKENDS)
def idle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The app with no workers: a job submitted stays queued until cancelled."""
    settings = service_settings(database_url(request, request.param, tmp_path_factory), workers=0)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


def test_a_job_just_submitted_and_then_cancelled_has_no_workbook(idle: Service) -> None:
    """The audit's steps: POST /jobs, then at once GET its workbook (queued; then running); then cancel it."""
    client, headers = idle.client, idle.tenant(Role.COMMISSIONER)
    scenario_id = create_scenario(client, headers, read_document(TINY))
    submitted = client.post("/jobs", json={"scenario_id": scenario_id, "kind": "solve"}, headers=headers)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["id"]
    assert submitted.json()["status"] == "queued"
    assert refused(client, headers, job_id, "practices") == {
        "workbook": (409, f"solve {job_id} is queued: its workbook is {WAITING}"),
        "table": (409, f"solve {job_id} is queued: its tables are {WAITING}"),
        "table xlsx": (409, f"solve {job_id} is queued: its tables are {WAITING}"),
    }
    set_status(client, job_id, JobStatus.RUNNING)  # no worker here to take it back or finish it
    assert refused(client, headers, job_id, "practices") == {
        "workbook": (409, f"solve {job_id} is running: its workbook is {WAITING}"),
        "table": (409, f"solve {job_id} is running: its tables are {WAITING}"),
        "table xlsx": (409, f"solve {job_id} is running: its tables are {WAITING}"),
    }
    cancelled = client.post(f"/jobs/{job_id}/cancel", headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert refused(client, headers, job_id, "practices") == {
        "workbook": (409, f"solve {job_id} is cancelled: {ENDED} a workbook"),
        "table": (409, f"solve {job_id} is cancelled: {ENDED} result tables"),
        "table xlsx": (409, f"solve {job_id} is cancelled: {ENDED} result tables"),
    }
    # Another organisation is told nothing of the job: 404, as for every job route.
    other = idle.tenant(Role.COMMISSIONER)
    assert client.get(f"/jobs/{job_id}/workbook", headers=other).status_code == 404
