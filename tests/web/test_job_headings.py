"""A job page without a check's verdict names the job's kind in its heading (audit 9, A11):
a failed sweep is "The sweep failed", never "The check failed"."""

from __future__ import annotations

import re
from typing import Any

import pytest

from api.orm import JobKind, JobStatus
from optimiser.deliverability.wording import JOB_CANCELLED_UNANSWERED
from tests.web.conftest import Desk, tenant

# What each kind needs to be submitted: a sweep its range.
OVERRIDES: dict[JobKind, dict[str, Any]] = {
    JobKind.CHECK: {},
    JobKind.SOLVE: {},
    JobKind.SWEEP: {"budget": "10000:50000:3"},
}


@pytest.mark.parametrize("kind", list(JobKind))
@pytest.mark.parametrize(
    ("state", "heading"), [(JobStatus.FAILED, "The {kind} failed"), (JobStatus.CANCELLED, "The {kind} was cancelled")]
)
def test_a_job_that_ended_without_a_result_is_headed_by_its_kind(
    desk: Desk, kind: JobKind, state: JobStatus, heading: str
) -> None:
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    job_id = desk.job(token, desk.scenario(token), state, kind=kind, overrides=OVERRIDES[kind], error="killed")
    page = client.get(f"/desk/jobs/{job_id}").text
    expected = heading.format(kind=kind)
    assert re.search(r"<h1>(.*?)</h1>", page).group(1) == expected  # type: ignore[union-attr]
    assert re.search(r"<title>(.*?)</title>", page).group(1).startswith(expected)  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", list(JobKind))
def test_only_a_cancelled_check_says_nothing_was_concluded_about_the_offer(desk: Desk, kind: JobKind) -> None:
    """A cancelled sweep or solve says what it left undone, and offers no "Check it again": only a
    check concludes about an offer."""
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    job_id = desk.job(token, desk.scenario(token), JobStatus.CANCELLED, kind=kind, overrides=OVERRIDES[kind])
    page = client.get(f"/desk/jobs/{job_id}").text
    assert f"cancelled on request. {JOB_CANCELLED_UNANSWERED[kind]}</p>" in page
    assert ("Nothing was concluded about the offer" in page) == (kind == JobKind.CHECK)
    assert ("Check it again" in page) == (kind == JobKind.CHECK)
