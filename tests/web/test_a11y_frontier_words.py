"""The desk's frontier says what its sweep varied (audit 12, small): "From budget sweep job 7." was
written under an offer-rate frontier too. A per-weighted-patient check's page is served by the app, its
frontier sweep (drawn with the page's button, as the desk does) finished with a real offer-rate sweep's result."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from api.orm import Job, JobStatus
from api.serialise import json_safe
from optimiser.deliverability import wording
from optimiser.runs import JobOutcome, run_job
from tests.web.conftest import Desk, csrf_of, tenant, tiny_document

WORDS = wording.TEMPLATE_WORDS


def frontier_page(desk: Desk, check: JobOutcome, overrides: dict[str, Any], sweep: dict[str, Any]) -> str:
    """The check's page once the frontier sweep its button submitted has finished with ``sweep``."""
    token = desk.key(tenant(), "negotiator")
    scenario_id = desk.scenario(token)
    job_id = desk.job(token, scenario_id, JobStatus.SUCCEEDED, check, overrides=overrides)
    client = desk.signed_in(token)
    drawn = client.post(
        f"/desk/jobs/{job_id}/frontier", data={"csrf": csrf_of(client.get(f"/desk/jobs/{job_id}").text)}
    )
    assert drawn.status_code == 200 and 'data-wait-job="' in drawn.text, drawn.text  # followed the 303
    sweep_id = drawn.text.split('data-wait-job="', 1)[1].split('"', 1)[0]
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.execute(
            update(Job).where(Job.public_id == sweep_id).values(status=JobStatus.SUCCEEDED, result=json_safe(sweep))
        )
        session.commit()
    page = client.get(f"/desk/jobs/{job_id}").text
    assert "svg" in page and sweep_id in page
    return page.replace(sweep_id, "{id}")


def test_an_offer_rate_frontier_says_it_is_from_an_offer_rate_sweep(desk: Desk, runs: dict[str, Any]) -> None:
    rate = {"offer_rate_gbp_per_weighted_patient": 3.1}
    sweep = run_job("sweep", tiny_document(budget_gbp=20000), {"offer_rate": "0:6:4"}).result
    assert sweep["sweep"] == "offer_rate"
    page = frontier_page(desk, runs["per_practice"], rate, sweep)
    assert WORDS["frontier_from_job"].format(swept="offer-rate", id="{id}") in page
    assert WORDS["frontier_points_caption"].format(swept="offer-rate", id="{id}") in page
    assert "budget sweep" not in page


def test_a_budget_frontier_says_it_is_from_a_budget_sweep(desk: Desk, runs: dict[str, Any]) -> None:
    page = frontier_page(desk, runs["undeliverable"], {"budget_gbp": 20000}, runs["sweep"].result)
    assert WORDS["frontier_from_job"].format(swept="budget", id="{id}") in page
    assert WORDS["frontier_points_caption"].format(swept="budget", id="{id}") in page
    assert "offer-rate sweep" not in page
