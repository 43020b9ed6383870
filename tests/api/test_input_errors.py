"""The API names bad input as `commission validate` does: rows as the sheet numbers them,
values as the user wrote them, a JSON key given twice; unknown ids are 404 and a PDF is
asked only of a check (audit M4, L1, L2, L5, L6)."""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.orm import Job, JobStatus
from optimiser.io import read_document, write_document_as_workbook
from tests.api.helpers import TINY, Service, create_scenario, run_job


def problem(table: str, row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"table": table, "row": row, "column": column, "message": message}


def tiny_workbook(tmp_path: Any) -> openpyxl.Workbook:
    path = tmp_path / "tiny.xlsx"
    write_document_as_workbook(read_document(TINY), path)
    return openpyxl.load_workbook(path)


def upload(client: TestClient, headers: dict[str, str], workbook: openpyxl.Workbook) -> Any:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return client.post("/scenarios/upload", files={"file": ("spec.xlsx", buffer.getvalue())}, headers=headers)


def test_an_upload_names_the_row_as_the_sheet_numbers_it(client: TestClient, commissioner: dict, tmp_path: Any) -> None:
    workbook = tiny_workbook(tmp_path)
    workbook["practices"].insert_rows(3)  # a blank row between the two practices
    workbook["practices"]["C4"] = "abc"  # list_size of the second practice
    workbook["practices"]["D2"] = "=6000*1.1"  # weighted_list_size of the first, never calculated
    response = upload(client, commissioner, workbook)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        problem(
            "practices",
            1,
            "weighted_list_size",
            "is a formula with no saved value; open the workbook in Excel and save it",
        )
    ]
    workbook["practices"]["D2"] = 6000
    response = upload(client, commissioner, workbook)
    assert response.status_code == 422
    assert response.json()["detail"] == [problem("practices", 3, "list_size", "must be a number (got 'abc')")]


def test_values_are_shown_as_json_gives_them(client: TestClient, commissioner: dict) -> None:
    document = read_document(TINY)
    document["practices"][0]["list_size"] = True
    response = client.post("/scenarios", json=document, headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"] == [problem("practices", 1, "list_size", "must be a number (got true)")]

    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    job = {"scenario_id": scenario_id, "kind": "solve", "overrides": {"budget_gbp": True}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422
    [reported] = response.json()["detail"]
    assert reported["column"] == "body.overrides.budget_gbp"
    assert not reported["message"].startswith("Value error"), reported


def test_a_json_key_given_twice_is_422_naming_it(client: TestClient, commissioner: dict) -> None:
    body = json.dumps(read_document(TINY)).replace('"settings": {', '"settings": {"budget_gbp": 1, ', 1)
    response = client.post(
        "/scenarios", content=body.encode(), headers={**commissioner, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        problem("settings", None, "budget_gbp", "is given more than once (1, then 50000.0); give it once")
    ]


def test_a_well_formed_unknown_id_is_404_and_a_malformed_one_422(client: TestClient, commissioner: dict) -> None:
    nil = "00000000-0000-0000-0000-000000000000"  # a UUID, but not a version-7 one as the service issues
    for path in (f"/jobs/{nil}", f"/jobs/{nil}/workbook", f"/reports/jobs/{nil}.pdf"):
        response = client.get(path, headers=commissioner)
        assert (response.status_code, response.json()) == (404, {"detail": f"job {nil} not found"}), path
    response = client.get(f"/scenarios/{nil}", headers=commissioner)
    assert (response.status_code, response.json()) == (404, {"detail": f"scenario {nil} not found"})
    assert client.get(f"/jobs/{nil}").status_code == 401  # no key: nothing is said about the id

    response = client.get("/jobs/not-an-id", headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"] == [
        problem(
            "request",
            None,
            "path.job_id",
            "must be an id such as 0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e (got 'not-an-id')",
        )
    ]


def test_only_a_succeeded_check_has_a_pdf(service: Service, commissioner: dict) -> None:
    client = service.client
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    solve = run_job(client, commissioner, scenario_id)
    response = client.get(f"/reports/jobs/{solve['id']}.pdf", headers=commissioner)
    assert (response.status_code, response.json()) == (
        409,
        {"detail": f"job {solve['id']} is a solve: only a check has a PDF report"},
    )
    check = run_job(client, commissioner, scenario_id, kind="check")
    for status, why in (
        (JobStatus.RUNNING, "its PDF report is ready once it succeeds"),
        (JobStatus.FAILED, "only a succeeded check has a PDF report"),
    ):
        with client.app.state.sessions() as session:  # type: ignore[attr-defined]
            session.execute(update(Job).where(Job.public_id == check["id"]).values(status=status))
            session.commit()
        response = client.get(f"/reports/jobs/{check['id']}.pdf", headers=commissioner)
        assert (response.status_code, response.json()) == (409, {"detail": f"check {check['id']} is {status}: {why}"})
