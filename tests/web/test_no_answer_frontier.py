"""A check that ended with no answer in time has nothing to draw a frontier for: its page offers no
button to draw one, asking to draw one anyway (the desk's form, the API's route) is refused with the
reason, and no budget sweep is submitted, which would only have taken a worker. Viewing a check never
submits one (audit 12, #10); a check with a verdict gets its sweep when its button is pressed."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import select

from api.orm import Job, JobKind, JobStatus
from models.synthetic import generate_scenario
from optimiser.deliverability import wording
from optimiser.runs import JobOutcome, run_job
from tests.web.conftest import Desk, csrf_of, tenant


@pytest.fixture(scope="module")
def no_answer() -> tuple[dict[str, Any], JobOutcome]:
    """A 40-practice MIP (whole half-FTE hiring) checked with a time limit far too short for a verdict."""
    document = generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)
    outcome = run_job("check", document, {"time_limit_s": 0.001})
    assert outcome.result["deliverable"] is None, outcome.result
    return document, outcome


def sweeps(desk: Desk) -> list[str]:
    """The idempotency keys of every sweep job in the app (a test's own organisation has only its own)."""
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return [str(key) for key in session.scalars(select(Job.idempotency_key).where(Job.kind == JobKind.SWEEP))]


def test_a_check_with_no_answer_offers_no_frontier_and_refuses_to_draw_one(
    desk: Desk, no_answer: tuple[dict[str, Any], JobOutcome], runs: dict[str, Any]
) -> None:
    document, outcome = no_answer
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token, document, name="mip")
    check = desk.job(token, scenario_id, JobStatus.FAILED, outcome, error=outcome.result["summary"])
    before = sweeps(desk)
    page = client.get(f"/desk/jobs/{check}")
    assert page.status_code == 200
    assert sweeps(desk) == before
    assert wording.VERDICT_NO_ANSWER_IN_TIME in page.text
    assert f'<p id="frontier-note" >{wording.NO_FRONTIER_NO_ANSWER}</p>' in page.text
    assert 'id="draw-frontier"' not in page.text
    # Neither PDF submits one, and asking to draw it is refused with the reason.
    for pdf in (
        client.get(f"/desk/jobs/{check}/report.pdf"),
        client.get(f"/reports/jobs/{check}.pdf", headers={"X-API-Key": token}),
    ):
        assert pdf.status_code in (200, 503), pdf.text  # 503: no PDF libraries on this machine
    refused = client.post(f"/desk/jobs/{check}/frontier", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 409 and wording.NO_FRONTIER_NO_ANSWER in html.unescape(refused.text)
    api = client.post(f"/reports/jobs/{check}/frontier", headers={"X-API-Key": token})
    assert api.status_code == 409 and api.json()["detail"] == wording.NO_FRONTIER_NO_ANSWER
    assert sweeps(desk) == before

    # A check with a verdict, viewed the same way, gets no sweep either; its button draws one.
    answered = desk.job(token, desk.scenario(token), JobStatus.SUCCEEDED, runs["undeliverable"])
    shown = client.get(f"/desk/jobs/{answered}")
    assert shown.status_code == 200 and 'id="draw-frontier"' in shown.text
    assert sweeps(desk) == before
    drawn = client.post(f"/desk/jobs/{answered}/frontier", data={"csrf": csrf_of(shown.text)})
    assert drawn.status_code == 200 and "data-wait-job" in drawn.text  # the 303 followed to the page
    assert sweeps(desk) == [*before, f"desk-frontier-{answered}"]
