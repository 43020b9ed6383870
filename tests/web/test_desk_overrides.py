"""The desk reads the offer through the same check as the CLI, the API and batches, and its
standards box is a percentage: a fraction typed into it is refused, not checked as under 1%."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from api.orm import JobStatus
from tests.web.conftest import Desk, csrf_of, tenant, tiny_document


def post_offer(desk: Desk, token: str, **fields: str) -> Any:
    client = desk.signed_in(token)
    csrf = csrf_of(client.get("/desk/check").text)
    return client.post(
        "/desk/check",
        data={"csrf": csrf, "source": "upload", **fields},
        files={"file": ("tiny.json", json.dumps(tiny_document()).encode(), "application/json")},
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"offer_kind": "pooled", "offer_amount": "12,50,00"},
            "Amount offered: expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '12,50,00') (budget_gbp)",
        ),
        (
            {"offer_kind": "pooled", "offer_amount": "-5"},
            "Amount offered: must not be negative (got '-5') (budget_gbp)",
        ),
        (
            {"offer_kind": "scenario", "standards_percent": "0.9"},
            "Minimum standards, %: enter a percentage such as 90, not a fraction (got '0.9'; for 90% enter 90) "
            "(standards_fraction)",
        ),
        (
            {"offer_kind": "scenario", "standards_percent": "1"},
            "Minimum standards, %: enter a percentage such as 90, not a fraction (got '1'; for 90% enter 90) "
            "(standards_fraction)",
        ),
        (
            {"offer_kind": "scenario", "standards_percent": "150"},
            "Minimum standards, %: enter a percentage between 0 and 100 (got '150') (standards_fraction)",
        ),
    ],
)
def test_a_bad_offer_is_refused_beside_the_offer_in_the_shared_words(
    desk: Desk, fields: dict[str, str], message: str
) -> None:
    response = post_offer(desk, desk.key(tenant(), "negotiator"), **fields)
    assert response.status_code == 422, response.text
    assert f"<li>{message}</li>" in html.unescape(response.text)


@pytest.mark.parametrize(
    ("fields", "overrides"),
    [
        ({"offer_kind": "pooled", "offer_amount": "£1,250,000"}, {"budget_gbp": 1_250_000.0}),
        ({"offer_kind": "pooled", "offer_amount": "4 700 000"}, {"budget_gbp": 4_700_000.0}),
        ({"offer_kind": "scenario", "standards_percent": "90"}, {"standards_fraction": 0.9}),
        ({"offer_kind": "scenario", "standards_percent": "92.5%"}, {"standards_fraction": 0.925}),
        ({"offer_kind": "scenario", "standards_percent": "0"}, {"standards_fraction": 0.0}),
    ],
)
def test_a_good_offer_makes_the_job_the_api_would(desk: Desk, fields: dict[str, str], overrides: dict) -> None:
    token = desk.key(tenant(), "negotiator")
    response = post_offer(desk, token, **fields)
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].rsplit("/", 1)[1]
    client = desk.signed_in(token)
    assert client.get(f"/jobs/{job_id}", headers={"X-API-Key": token}).json()["overrides"] == overrides


def test_the_verdict_says_at_what_level_the_standards_were_checked(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    scaled = desk.job(
        token, scenario_id, JobStatus.SUCCEEDED, runs["deliverable"], overrides={"standards_fraction": 0.9}
    )
    verdict = " ".join(html.unescape(re.sub(r"<[^>]+>", "", client.get(f"/desk/jobs/{scaled}").text)).split())
    assert "Standards checked: every minimum standard at 90% of its level, not as written in the scenario." in verdict
    as_written = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["deliverable"])
    assert "Standards checked" not in client.get(f"/desk/jobs/{as_written}").text
