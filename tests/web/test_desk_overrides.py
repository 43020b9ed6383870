"""The desk reads the offer through the same check as the CLI, the API and batches, and its
standards box is a percentage: a fraction typed into it is refused, not checked as under 1%."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from api.orm import JobStatus
from optimiser.runs import checked_override
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


def listed_problems(page: str) -> list[str]:
    """The offer's problems as the form lists them, each in its own item (linked to its box or not)."""
    return re.findall(r'<li id="offer-problem-\d+">(?:<a href="#\w+">)?(.*?)(?:</a>)?</li>', html.unescape(page))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"offer_kind": "pooled", "offer_amount": "12,50,00"},
            "Amount offered: expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '12,50,00')",
        ),
        (
            {"offer_kind": "rate", "offer_amount": "abc"},
            "Amount offered: expected a number of £ per weighted patient such as 35.50, £35.50 or 125 (got 'abc')",
        ),
        (
            {"offer_kind": "pooled", "offer_amount": "-5"},
            "Amount offered: must not be negative (got '-5')",
        ),
        (
            {"offer_kind": "scenario", "standards_percent": "0.9"},
            "Minimum standards, %: enter a percentage such as 90, not a fraction (got '0.9'; for 90% enter 90, "
            "for 1% enter 1%)",
        ),
        (
            {"offer_kind": "scenario", "standards_percent": "1"},
            "Minimum standards, %: enter a percentage such as 90, not a fraction (got '1'; for 90% enter 90, "
            "for 1% enter 1%)",
        ),
        (
            {"offer_kind": "scenario", "standards_percent": "£90"},
            "Minimum standards, %: enter a percentage such as 90, not an amount of money (got '£90')",
        ),
        (
            {"offer_kind": "scenario", "standards_percent": "150"},
            "Minimum standards, %: enter a percentage between 0 and 100 (got '150')",
        ),
    ],
)
def test_a_bad_offer_is_refused_beside_the_offer_in_the_shared_words(
    desk: Desk, fields: dict[str, str], message: str
) -> None:
    response = post_offer(desk, desk.key(tenant(), "negotiator"), **fields)
    assert response.status_code == 422, response.text
    assert message in listed_problems(response.text)


@pytest.mark.parametrize(
    ("fields", "overrides"),
    [
        ({"offer_kind": "pooled", "offer_amount": "£1,250,000"}, {"budget_gbp": 1_250_000.0}),
        ({"offer_kind": "pooled", "offer_amount": "4 700 000"}, {"budget_gbp": 4_700_000.0}),
        ({"offer_kind": "scenario", "standards_percent": "90"}, {"standards_fraction": 0.9}),
        ({"offer_kind": "scenario", "standards_percent": "92.5%"}, {"standards_fraction": 0.925}),
        ({"offer_kind": "scenario", "standards_percent": "0"}, {"standards_fraction": 0.0}),
        # With its percent sign a figure of 1 or less is a percentage, not a fraction.
        ({"offer_kind": "scenario", "standards_percent": "1%"}, {"standards_fraction": 0.01}),
        ({"offer_kind": "scenario", "standards_percent": "90%"}, {"standards_fraction": 0.9}),
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


def job_count(desk: Desk, token: str) -> int:
    return int(desk.client.get("/jobs", headers={"X-API-Key": token}).json()["total"])


def shared_message(column: str, text: str) -> str:
    """What the shared override check says of ``text`` (the words every entry point uses)."""
    try:
        checked_override(column, text)
    except ValueError as error:
        return str(error)
    raise AssertionError(f"{text!r} was accepted")


def compare_pooled_offers(desk: Desk, offers: dict[str, str]) -> tuple[str, Any, int, Any]:
    """A negotiator posts the compare form: two pooled offers on one stored scenario. Returns the
    key, the signed-in client, the job count before the post, and the response."""
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    csrf = csrf_of(client.get("/desk/compare").text)
    before = job_count(desk, token)
    response = client.post(
        "/desk/compare",
        data={
            "csrf": csrf,
            "scenario_a": f"{scenario_id}:1",
            "scenario_b": f"{scenario_id}:1",
            "offer_kind": "pooled",
            **offers,
        },
        follow_redirects=False,
    )
    return token, client, before, response


@pytest.mark.parametrize(
    ("offers", "problem"),
    [
        ({"offer_a": "20k", "offer_b": "1,0"}, f"Offer B: Amount offered: {shared_message('budget_gbp', '1,0')}"),
        ({"offer_a": "-5", "offer_b": "20k"}, f"Offer A: Amount offered: {shared_message('budget_gbp', '-5')}"),
    ],
    ids=["bad B", "bad A"],
)
def test_two_offers_are_both_checked_before_either_job_is_submitted(
    desk: Desk, offers: dict[str, str], problem: str
) -> None:
    token, _client, before, response = compare_pooled_offers(desk, offers)
    assert response.status_code == 422, response.text
    alert = re.search(r'<div class="problem" role="alert"><ul>(.*?)</ul>', html.unescape(response.text))
    assert alert is not None and listed_problems(alert.group(1)) == [problem]
    assert job_count(desk, token) == before


def test_two_good_offers_submit_two_checks(desk: Desk) -> None:
    token, client, before, response = compare_pooled_offers(desk, {"offer_a": "20k", "offer_b": "£50,000"})
    assert response.status_code == 303, response.text
    assert job_count(desk, token) == before + 2
    a, b = re.findall(r"[ab]=([0-9a-f-]{36})", response.headers["location"])
    overrides = [client.get(f"/jobs/{job}", headers={"X-API-Key": token}).json()["overrides"] for job in (a, b)]
    assert overrides == [{"budget_gbp": 20000.0}, {"budget_gbp": 50000.0}]
