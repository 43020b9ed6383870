"""A job without an answer fails, as a batch run and the command line do (one input, one answer).

A check whose time limit passed without a verdict, a solve stopped at its time limit without a
solution and a sweep with points without one used to end as `succeeded` jobs, where
`commission batch` counts the same run failed and `commission check` / `solve` exit 3. Now
the API's job is `failed` with batch's words (one rule, `optimiser.runs.run_failed`), and
everything the run produced stays downloadable as the command line writes it: the result
JSON, the tables and workbook, and the check's NO ANSWER IN TIME PDF report. The desk shows
such a check's answer and report link under the reason it failed.

Run through the service with its real workers (a per-test app: the scenario below has more
rows than the shared test service allows), and against the installed console script.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.orm import Role
from models.synthetic import generate_scenario
from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.runs import NO_SOLUTION_IN_TIME, run_failed
from tests.api.conftest import BACKENDS, database_url
from tests.api.helpers import TINY, Service, create_scenario, run_job, service_settings
from tests.console import console_script
from tests.require import require_or_skip

# A 40-practice MIP (whole half-FTE hiring) with a time limit far too short to find a solution, as
# tests/test_batch_no_answer.py runs it through `commission batch`.
NO_TIME = {"time_limit_s": 0.001}
SWEEP = {**NO_TIME, "budget": "1m:2m:2"}


def mip_document() -> dict[str, Any]:
    return generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)


@pytest.fixture(scope="module", params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    settings = service_settings(database_url(request, request.param, tmp_path_factory), max_table_rows=1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


@pytest.fixture(scope="module")
def jobs(service: Service) -> dict[str, Any]:
    """The three runs without an answer, and two with one, as finished jobs of one organisation."""
    client = service.client
    headers = service.tenant(Role.COMMISSIONER)
    mip = create_scenario(client, headers, mip_document())
    tiny = create_scenario(client, headers, read_document(TINY))
    return {
        "headers": headers,
        "check": run_job(client, headers, mip, "check", overrides=NO_TIME),
        "solve": run_job(client, headers, mip, "solve", overrides=NO_TIME),
        "sweep": run_job(client, headers, mip, "sweep", overrides=SWEEP),
        "check_answered": run_job(client, headers, tiny, "check"),
        "sweep_answered": run_job(client, headers, tiny, "sweep", overrides={"budget": "20k:60k:3"}),
    }


def test_the_runs_really_had_no_answer(jobs: dict[str, Any]) -> None:
    """The premise (else the tests below would test nothing)."""
    check, solve, sweep = (jobs[kind]["result"] for kind in ("check", "solve", "sweep"))
    assert (check["kind"], check["status"], check["deliverable"]) == ("check", "time_limit", None)
    assert (solve["kind"], solve["status"], solve["has_solution"]) == ("solve", "time_limit", False)
    assert sweep["kind"] == "sweep" and len(sweep["points"]) == 2
    assert all(point["status"] == "time_limit" and point.get("value") is None for point in sweep["points"])


def test_a_job_without_an_answer_fails_with_batchs_words(jobs: dict[str, Any]) -> None:
    check, solve, sweep = (jobs[kind] for kind in ("check", "solve", "sweep"))
    assert [job["status"] for job in (check, solve, sweep)] == ["failed"] * 3
    # The check's own sentence, as `commission check` prints it under NO ANSWER IN TIME.
    assert check["error"] == check["result"]["summary"] == wording.no_answer_summary(check["result"]["message"])
    assert check["error"].startswith("No answer in time")
    assert solve["error"] == NO_SOLUTION_IN_TIME
    assert sweep["error"] == f"{NO_SOLUTION_IN_TIME} at 2 of 2 points (budget_gbp 1000000, 2000000)"
    for job in (check, solve, sweep):
        assert job["error"] == run_failed(job["result"])  # the one rule batch applies (optimiser/batch.py)


def test_a_job_with_its_answer_still_succeeds(jobs: dict[str, Any]) -> None:
    """The rule fails only runs without an answer: an undeliverable verdict is an answer."""
    for name in ("check_answered", "sweep_answered"):
        assert (jobs[name]["status"], jobs[name]["error"]) == ("succeeded", None), name
    assert jobs["check_answered"]["result"]["deliverable"] is not None


def test_failed_jobs_are_listed_as_failed(service: Service, jobs: dict[str, Any]) -> None:
    listed = service.client.get("/jobs?status=failed&limit=100", headers=jobs["headers"])
    assert listed.status_code == 200
    failed = {item["id"]: item["error"] for item in listed.json()["items"]}
    for kind in ("check", "solve", "sweep"):
        assert failed[jobs[kind]["id"]] == jobs[kind]["error"], kind


def test_the_no_answer_report_and_tables_stay_downloadable(
    service: Service, jobs: dict[str, Any], tmp_path: Path
) -> None:
    client, headers = service.client, jobs["headers"]
    check, sweep = jobs["check"], jobs["sweep"]
    pdf = client.get(f"/reports/jobs/{check['id']}.pdf", headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    workbook = client.get(f"/jobs/{check['id']}/workbook", headers=headers)
    assert workbook.status_code == 200
    summary = dict(openpyxl.load_workbook(io.BytesIO(workbook.content))["summary"].values)
    assert (summary["kind"], summary["status"]) == ("check", "time_limit")  # the verdict, not a blank sheet
    assert [table["name"] for table in sweep["tables"]] == ["sweep_budget"]
    for fmt in ("csv", "xlsx"):
        table = client.get(f"/jobs/{sweep['id']}/tables/sweep_budget?format={fmt}", headers=headers)
        assert table.status_code == 200, fmt
    # The report reads as the command line's for the same input: NO ANSWER IN TIME and the check's sentence.
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    scenario = tmp_path / "mip.json"
    scenario.write_text(json.dumps(mip_document()))
    cli = subprocess.run(
        [console_script(), "report", str(scenario), "--time-limit", "0.001", "--out", str(tmp_path / "cli.pdf")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert cli.returncode == 3, cli.stderr  # written, with no answer within the time limit
    (tmp_path / "api.pdf").write_bytes(pdf.content)
    for name in ("cli.pdf", "api.pdf"):
        words = pdf_words(tmp_path / name)
        assert wording.VERDICT_NO_ANSWER_IN_TIME in words, name
        # The verdict's sentence: the first of the check's summary (the job's error), as the report shows it.
        assert check["error"].split(". ")[0] + "." in words, name


def test_the_solve_workbook_is_the_command_lines(service: Service, jobs: dict[str, Any], tmp_path: Path) -> None:
    """`commission solve --out` writes results.xlsx (exit 3: no solution in time); the failed job's
    workbook holds the same cells."""
    scenario = tmp_path / "mip.json"
    scenario.write_text(json.dumps(mip_document()))
    out = tmp_path / "out"
    cli = subprocess.run(
        [console_script(), "solve", str(scenario), "--time-limit", "0.001", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert cli.returncode == 3, cli.stderr
    workbook = service.client.get(f"/jobs/{jobs['solve']['id']}/workbook", headers=jobs["headers"])
    assert workbook.status_code == 200
    api_sheets = openpyxl.load_workbook(io.BytesIO(workbook.content))
    cli_sheets = openpyxl.load_workbook(out / "results.xlsx")
    assert api_sheets.sheetnames == cli_sheets.sheetnames
    for name in cli_sheets.sheetnames:
        # Everything but the scenario's hash (the CLI's document comes from a file, the API's from JSON).
        rows = [row for row in cli_sheets[name].values if row[0] != "scenario_hash"]
        assert [row for row in api_sheets[name].values if row[0] != "scenario_hash"] == rows, name
        assert ("status", "time_limit") in rows, name


def test_the_desk_shows_why_it_failed_and_the_answer_and_report(service: Service, jobs: dict[str, Any]) -> None:
    token = jobs["headers"]["X-API-Key"]
    desk = TestClient(service.client.app, raise_server_exceptions=False, base_url="http://testserver")
    assert desk.post("/desk/sign-in", data={"api_key": token}, follow_redirects=False).status_code == 303
    check = jobs["check"]
    page = desk.get(f"/desk/jobs/{check['id']}")
    assert page.status_code == 200
    html = page.text
    assert 'id="why-failed"' in html and "Why it failed:" in html
    assert wording.VERDICT_NO_ANSWER_IN_TIME in html  # the verdict, as for a succeeded check
    assert f'href="/desk/jobs/{check["id"]}/report.pdf"' in html
    report = desk.get(f"/desk/jobs/{check['id']}/report.pdf")
    assert report.status_code == 200 and report.content.startswith(b"%PDF")
    # It can be compared with another check, as a check with no answer always could (docs/desk.md).
    compared = service.client.get(
        f"/reports/compare?a={check['id']}&b={jobs['check_answered']['id']}", headers=jobs["headers"]
    )
    assert compared.status_code == 200, compared.text
    home = desk.get("/")
    assert f'href="/desk/jobs/{check["id"]}"' in home.text


def pdf_words(path: Path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())
