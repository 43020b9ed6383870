"""The API names bad input as `commission validate` does: rows as the sheet numbers them,
values as the user wrote them, a JSON key given twice; unknown ids are 404 and a PDF is
asked only of a check (audit M4, L1, L2, L5, L6)."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from typing import Any

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy import update

from api.orm import Job, JobStatus, Role
from api.schemas import EXAMPLE_ID
from models.schema import AMOUNT_FORMS
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
    # One pass: the uncalculated formula is named beside the other problem, not before it.
    assert response.json()["detail"] == [
        problem("practices", 3, "list_size", "must be a number (got 'abc')"),
        problem(
            "practices",
            1,
            "weighted_list_size",
            "is a formula with no saved value; open the workbook in Excel and save it",
        ),
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


def test_a_number_too_large_for_a_float_and_an_object_are_quoted_as_sent(
    client: TestClient, commissioner: dict, tmp_path: Any
) -> None:
    """Audit3 10: no Python repr of an object, and 1e999 quoted as sent, not as 'inf'."""
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    overrides = '{"budget_gbp": {"a": 1}, "time_limit_s": 1e999}'
    body = f'{{"scenario_id": "{scenario_id}", "kind": "check", "overrides": {overrides}}}'
    response = client.post("/jobs", content=body, headers={**commissioner, **JSON})
    assert response.status_code == 422
    messages = {item["column"]: item["message"] for item in response.json()["detail"]}
    assert messages == {
        "body.overrides.budget_gbp": f'budget_gbp: expected {AMOUNT_FORMS} (got {{"a": 1}})',
        "body.overrides.time_limit_s": "time_limit_s: must be a number of seconds greater than 0 and at most 86,400 "
        "(got 1e999)",
    }

    settings = json.dumps(read_document(TINY)["settings"]).replace("50000.0", "1e999")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for csv_file in TINY.glob("*.csv"):
            zipped.write(csv_file, csv_file.name)
        zipped.writestr("settings.json", settings)
    response = client.post("/scenarios/upload", files={"file": ("tiny.zip", archive.getvalue())}, headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"] == [problem("settings", None, "budget_gbp", "must be a finite number (got 1e999)")]


def test_a_json_key_given_twice_is_422_naming_it(client: TestClient, commissioner: dict) -> None:
    body = json.dumps(read_document(TINY)).replace('"settings": {', '"settings": {"budget_gbp": 1, ', 1)
    response = client.post(
        "/scenarios", content=body.encode(), headers={**commissioner, "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        problem("settings", None, "budget_gbp", "is given more than once (1, then 50000); give it once")
    ]


JSON = {"Content-Type": "application/json"}


def test_a_key_given_twice_in_a_job_or_key_body_is_422_naming_it(service: Service) -> None:
    """Audit N2: read by the JSON reader of scenario documents, never silently the last value
    (which ran a solve when a check was asked for twice, and made an admin key)."""
    client = service.client
    organisation = f"org-{uuid.uuid4().hex[:10]}"
    commissioner, admin = service.key(organisation, Role.COMMISSIONER), service.key(organisation, Role.ADMIN)
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    twice = {
        "/jobs": (
            commissioner,
            f'{{"scenario_id": "{scenario_id}", "kind": "check", "overrides": {{"budget_gbp": 1, "budget_gbp": 50000}}}}',
            problem(  # named by the override, as every problem with one (verify 5, N6)
                "request",
                None,
                "body.overrides.budget_gbp",
                "budget_gbp: is given more than once (1, then 50000); give it once",
            ),
        ),
        "/jobs?wait=1": (
            commissioner,
            f'{{"scenario_id": "{scenario_id}", "kind": "check", "kind": "solve"}}',
            problem("request", None, "body.kind", "is given more than once ('check', then 'solve'); give it once"),
        ),
        "/keys": (
            admin,
            '{"role": "negotiator", "role": "admin", "label": "x"}',
            problem("request", None, "body.role", "is given more than once ('negotiator', then 'admin'); give it once"),
        ),
    }
    for path, (headers, body, expected) in twice.items():
        response = client.post(path, content=body, headers={**headers, **JSON})
        assert (response.status_code, response.json()) == (422, {"detail": [expected]}), path
    assert client.get("/jobs", headers=commissioner).json()["total"] == 0
    assert [key["role"] for key in client.get("/keys", headers=admin).json()] == ["commissioner", "admin"]


def test_every_json_body_refuses_a_key_given_twice(client: TestClient, commissioner: dict) -> None:
    """Every operation taking JSON, including any added later, reads it with the one JSON reader."""
    operations = [
        (path.replace("{scenario_id}", EXAMPLE_ID), method)
        for path, item in client.get("/openapi.json").json()["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]
    assert {("/jobs", "post"), ("/keys", "post"), ("/scenarios", "post")} <= set(operations)
    for path, method in operations:
        response = client.request(method, path, content='{"x": 1, "x": 2}', headers={**commissioner, **JSON})
        assert response.status_code == 422, (path, response.text)
        assert "is given more than once" in response.text, (path, response.text)


def test_an_id_in_capitals_names_the_same_job_and_scenario(client: TestClient, commissioner: dict) -> None:
    """Audit N9: ids are hexadecimal, so case does not matter (docs/api.md); an upper-case id was a 422."""
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    job = client.post("/jobs", json={"scenario_id": scenario_id.upper(), "kind": "solve"}, headers=commissioner)
    assert job.status_code == 202, job.text
    job_id = job.json()["id"]
    assert job.json()["scenario_id"] == scenario_id
    for path in (f"/jobs/{job_id.upper()}", f"/jobs/{job_id.upper()}?wait=0"):
        response = client.get(path, headers=commissioner)
        assert (response.status_code, response.json()["id"]) == (200, job_id), path
    listed = client.get(f"/jobs?scenario_id={scenario_id.upper()}", headers=commissioner).json()
    assert [item["id"] for item in listed["items"]] == [job_id]
    response = client.get(f"/scenarios/{scenario_id.upper()}", headers=commissioner)
    assert (response.status_code, response.json()["id"]) == (200, scenario_id)
    unknown = "01A2B3C4-D5E6-7F80-9A1B-2C3D4E5F6A7B"  # well formed, version 7, names nothing
    response = client.get(f"/jobs/{unknown}", headers=commissioner)
    assert (response.status_code, response.json()) == (404, {"detail": f"job {unknown.lower()} not found"})
    not_ours = "ABCDEF00-0000-4000-8000-000000000000"  # a UUID in capitals, but not of the version the service issues
    response = client.get(f"/jobs/{not_ours}", headers=commissioner)
    assert (response.status_code, response.json()) == (404, {"detail": f"job {not_ours} not found"})
    response = client.get("/jobs/NOT-AN-ID", headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["message"].endswith("(got 'NOT-AN-ID')")  # quoted as written


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
        (JobStatus.RUNNING, "its PDF report is ready once it finishes"),
        # Failed with its verdict (not for want of one: tests/api/test_no_verdict_job.py).
        # The words of every result download refused (tests/api/test_workbook_not_ready.py).
        (
            JobStatus.FAILED,
            "only a job that finished with a result (succeeded, or failed with no answer in time) has a PDF report",
        ),
    ):
        with client.app.state.sessions() as session:  # type: ignore[attr-defined]
            session.execute(update(Job).where(Job.public_id == check["id"]).values(status=status))
            session.commit()
        response = client.get(f"/reports/jobs/{check['id']}.pdf", headers=commissioner)
        assert (response.status_code, response.json()) == (409, {"detail": f"check {check['id']} is {status}: {why}"})


def test_an_uploaded_staff_table_without_a_header_row_is_422_naming_staff(
    client: TestClient, commissioner: dict, tmp_path: Any
) -> None:
    """Audit 5 F4: read as 'no existing staff', it silently made every post a new hire."""
    workbook = tiny_workbook(tmp_path)
    staff = workbook["staff"]
    staff.delete_rows(1, staff.max_row)
    response = upload(client, commissioner, workbook)
    assert response.status_code == 422, response.text
    [named] = response.json()["detail"]
    assert (named["table"], named["row"], named["column"]) == ("staff", None, None)
    assert named["message"].startswith("the sheet is empty (no header row)")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        for file in TINY.iterdir():
            handle.writestr(file.name, b"" if file.name == "staff.csv" else file.read_bytes())
    response = client.post("/scenarios/upload", files={"file": ("spec.zip", archive.getvalue())}, headers=commissioner)
    assert response.status_code == 422, response.text
    assert [p["table"] for p in response.json()["detail"]] == ["staff"]


def test_an_unreadable_rate_is_explained_with_rates(client: TestClient, commissioner: dict) -> None:
    """Audit 9, A13: a rate of about £35.50 is not explained with budgets' examples (4.7m, 250k)."""
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    job = {"scenario_id": scenario_id, "kind": "check", "overrides": {"offer_rate_gbp_per_weighted_patient": "abc"}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422
    [reported] = response.json()["detail"]
    assert reported["message"] == (
        "offer_rate_gbp_per_weighted_patient: expected a number of £ per weighted patient such as 35.50, £35.50 "
        "or 125 (got 'abc')"
    )
