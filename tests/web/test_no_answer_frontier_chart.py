"""A check with no answer in time whose frontier sweep was run anyway (before the desk stopped
submitting one, or by the API) shows no empty chart: the page says why there is no frontier
(audit 9, A15), where it drew empty axes under the full legend and caption."""

from __future__ import annotations

from sqlalchemy import update

from api.orm import Job, JobKind, JobStatus
from api.web.results import FRONTIER_KEY
from models.synthetic import generate_scenario
from optimiser.deliverability import wording
from optimiser.runs import run_job
from tests.web.conftest import Desk, tenant


def test_a_no_answer_checks_sweep_with_no_point_answered_draws_no_chart(desk: Desk) -> None:
    document = generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)
    check = run_job("check", document, {"time_limit_s": 0.001})
    sweep = run_job("sweep", document, {"budget": "0:400000:3", "time_limit_s": 0.001})
    assert check.result["deliverable"] is None, check.result
    assert all(p.get("value") is None and p.get("no_standards_value") is None for p in sweep.result["points"])
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token, document, name="mip")
    check_id = desk.job(token, scenario_id, JobStatus.FAILED, check, error=check.result["summary"])
    sweep_id = desk.job(
        token, scenario_id, JobStatus.FAILED, sweep, kind=JobKind.SWEEP, overrides={"budget": "0:400000:3"}
    )
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        key = FRONTIER_KEY.format(job_id=check_id)
        session.execute(update(Job).where(Job.public_id == sweep_id).values(idempotency_key=key))
        session.commit()
    page = client.get(f"/desk/jobs/{check_id}").text
    assert f'<p id="frontier-note" >{wording.NO_FRONTIER_NO_ANSWER}</p>' in page
    assert 'class="frontier"' not in page and "Solid vertical line" not in page
