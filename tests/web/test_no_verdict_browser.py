"""A check with no answer in time, on the desk in Chromium against a real `commission serve`.

Its job is `failed` (as batch counts it and `commission check` exits 3 for it:
tests/api/test_no_verdict_job.py), yet it ran to its end: the desk lists it as failed, and its
page says why it failed above the answer, NO ANSWER IN TIME, with the PDF report to download.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models.synthetic import generate_scenario
from optimiser.deliverability import wording
from tests.conftest import BROWSER
from tests.web.test_browser import (  # noqa: F401 (fixtures)
    Server,
    browser,
    page,
    pdf_text,
    scan,
    sign_in,
    start_server,
)

pytestmark = [BROWSER]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("no-verdict-desk"), workers=1)


def test_a_failed_check_with_no_answer_shows_its_answer_and_report(
    page: Any,  # noqa: F811 (the fixture imported above)
    server: Server,
    tmp_path: Any,
) -> None:
    key = server.key("icb-no-verdict", "commissioner")
    # A 40-practice MIP (whole half-FTE hiring) with a time limit far too short for a verdict.
    document = generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)
    scenario = server.api("POST", "/scenarios?name=mip", key, document)
    job = server.api(
        "POST",
        "/jobs?wait=60",
        key,
        {"scenario_id": scenario["id"], "kind": "check", "overrides": {"time_limit_s": 0.001}},
    )
    assert (job["status"], job["result"]["deliverable"]) == ("failed", None), job
    assert job["error"].startswith("No answer in time")

    sign_in(page, server, key)
    row = page.locator("tr", has=page.locator(f'a[href="/desk/jobs/{job["id"]}"]'))
    assert "failed" in row.inner_text()
    row.get_by_role("link").click()
    page.wait_for_url(f"**/desk/jobs/{job['id']}")
    why = page.locator("#why-failed")
    assert why.inner_text().startswith("Why it failed: No answer in time"), why.inner_text()
    assert wording.VERDICT_NO_ANSWER_IN_TIME in page.locator("#verdict").inner_text()
    scan(page, "no-verdict-result")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF report").click()
    path = tmp_path / "report.pdf"
    download.value.save_as(path)
    assert wording.VERDICT_NO_ANSWER_IN_TIME in pdf_text(path)
