"""An offer-rate sweep stored by an older version reads under today's names.

Before the eighth session an offer-rate sweep's result said ``"sweep": "budget"`` and its table was
``sweep_budget``; new ones say ``offer_rate`` and ``sweep_offer_rate``. A job stored then is read
back by the API (the job, its table, its workbook) as a new one is, and the desk draws its frontier
over offer rates; what was stored is left as it was (nothing rewritten behind the user's back).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from html import escape
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api import crud
from api.main import create_app
from api.orm import Job, JobKind, JobStatus, JobTable, utc_now
from api.schemas import JobIn, Overrides
from api.serialise import frame_to_stored, json_safe
from api.settings import Settings
from optimiser.deliverability.wording import REPORT_CHART as LABELS
from optimiser.io import result_csv_bytes
from optimiser.runs import JobOutcome, run_job
from tests.web.conftest import Desk, tenant, tiny_document

RATES = "2:8:4"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The app with no workers: each job is stored as a test writes it."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('old_sweep') / 'desk.db'}",
        workers=0,
        max_sweep_points=11,
        log_level="WARNING",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Desk(client)


@pytest.fixture(scope="module")
def runs() -> dict[str, JobOutcome]:
    short = tiny_document(budget_gbp=20000)
    return {
        "rates": run_job("sweep", short, {"offer_rate": RATES}),
        "budgets": run_job("sweep", short, {"budget": "0:50000:6"}),
        "check": run_job("check", short, {"offer_rate_gbp_per_weighted_patient": 3.1}),
    }


def as_stored_before(outcome: JobOutcome) -> JobOutcome:
    """An offer-rate sweep as the version before stored it: "sweep": "budget", table sweep_budget."""
    assert outcome.result["sweep"] == "offer_rate" and list(outcome.tables) == ["sweep_offer_rate"]
    return JobOutcome({**outcome.result, "sweep": "budget"}, {"sweep_budget": outcome.tables["sweep_offer_rate"]})


def store(
    desk: Desk, token: str, scenario_id: str, kind: JobKind, outcome: JobOutcome, overrides: dict[str, Any], key: str
) -> str:
    """A finished job holding ``outcome`` exactly as given, as a worker of some version stored it."""
    settings: Settings = desk.client.app.state.settings  # type: ignore[attr-defined]
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        request = JobIn(scenario_id=scenario_id, kind=kind, overrides=Overrides(**overrides))
        job = crud.submit_job(session, desk.principal(token), request, key, settings)
        job.status, job.attempts = JobStatus.SUCCEEDED, 1
        job.started_at = job.finished_at = utc_now()
        job.duration_s = 1.0
        job.result = json_safe(outcome.result)
        for position, (name, frame) in enumerate(outcome.tables.items()):
            columns, rows = frame_to_stored(frame)
            session.add(
                JobTable(job_id=job.id, name=name, position=position, columns=columns, row_count=len(rows), rows=rows)
            )
        session.commit()
        return job.public_id


def stored(desk: Desk, job_id: str) -> tuple[Any, list[str]]:
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        job = session.scalar(select(Job).where(Job.public_id == job_id))
        assert job is not None
        return job.result, [table.name for table in job.tables]


def read_back(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    """Everything the API gives of a sweep job: the job, its table (CSV, workbook) and its workbook."""
    job = client.get(f"/jobs/{job_id}", headers=headers)
    assert job.status_code == 200, job.text
    body = job.json()
    [table] = body["tables"]
    csv = client.get(f"/jobs/{job_id}/tables/{table['name']}", headers=headers)
    xlsx = client.get(f"/jobs/{job_id}/tables/{table['name']}?format=xlsx", headers=headers)
    workbook = client.get(f"/jobs/{job_id}/workbook", headers=headers)
    assert csv.status_code == xlsx.status_code == workbook.status_code == 200
    return {
        "result": body["result"],
        "tables": body["tables"],
        "csv": csv.content,
        "csv_file": csv.headers["content-disposition"].replace(job_id, "ID"),
        "table_sheets": openpyxl.load_workbook(io.BytesIO(xlsx.content)).sheetnames,
        "workbook_sheets": openpyxl.load_workbook(io.BytesIO(workbook.content)).sheetnames,
    }


def test_an_old_offer_rate_sweep_reads_as_a_new_one_and_stays_as_stored(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    headers = {"X-API-Key": token}
    scenario_id = desk.scenario(token, tiny_document(budget_gbp=20000))
    new = store(desk, token, scenario_id, JobKind.SWEEP, runs["rates"], {"offer_rate": RATES}, "new")
    old = store(desk, token, scenario_id, JobKind.SWEEP, as_stored_before(runs["rates"]), {"offer_rate": RATES}, "old")

    now, before = read_back(desk.client, headers, new), read_back(desk.client, headers, old)
    assert before == now
    assert before["result"]["sweep"] == "offer_rate"
    assert [t["name"] for t in before["tables"]] == ["sweep_offer_rate"]
    assert before["csv"] == result_csv_bytes(runs["rates"].tables["sweep_offer_rate"])
    assert before["csv_file"] == 'attachment; filename="job-ID-sweep_offer_rate.csv"'
    assert before["table_sheets"] == before["workbook_sheets"] == ["sweep_offer_rate"]
    # A link to the table by the name it was stored under still answers.
    by_old_name = desk.client.get(f"/jobs/{old}/tables/sweep_budget", headers=headers)
    assert by_old_name.status_code == 200 and by_old_name.content == before["csv"]

    # Read, never rewritten: the stored job keeps what its version wrote.
    result, tables = stored(desk, old)
    assert result["sweep"] == "budget" and tables == ["sweep_budget"]
    assert {k: v for k, v in result.items() if k != "sweep"} == {
        k: v for k, v in json_safe(runs["rates"].result).items() if k != "sweep"
    }


def test_a_budget_sweep_keeps_its_name(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    headers = {"X-API-Key": token}
    scenario_id = desk.scenario(token, tiny_document(budget_gbp=20000))
    job_id = store(desk, token, scenario_id, JobKind.SWEEP, runs["budgets"], {"budget": "0:50000:6"}, "budgets")
    read = read_back(desk.client, headers, job_id)
    assert read["result"]["sweep"] == "budget" and read["result"]["x"] == "budget_gbp"
    assert read["table_sheets"] == read["workbook_sheets"] == ["sweep_budget"]
    assert desk.client.get(f"/jobs/{job_id}/tables/sweep_offer_rate", headers=headers).status_code == 404


def test_the_desk_draws_an_old_offer_rate_frontier_over_offer_rates(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    pages: list[str] = []
    for outcome in (runs["rates"], as_stored_before(runs["rates"])):
        scenario_id = desk.scenario(token, tiny_document(budget_gbp=20000))
        overrides = {"offer_rate_gbp_per_weighted_patient": 3.1}
        check_id = store(desk, token, scenario_id, JobKind.CHECK, runs["check"], overrides, f"check-{len(pages)}")
        # The frontier the desk found for this check (its key), as a worker of each version stored it.
        store(desk, token, scenario_id, JobKind.SWEEP, outcome, {"offer_rate": RATES}, f"desk-frontier-{check_id}")
        response = client.get(f"/desk/jobs/{check_id}")
        assert response.status_code == 200
        pages.append(response.text.replace(check_id, "CHECK"))
    for text in pages:
        assert escape(LABELS["offer_axis"]) in text
        assert escape(LABELS["budget_axis"]) not in text
    svg = [text[text.index("<svg") : text.index("</svg>")] for text in pages]
    assert svg[0] == svg[1]
