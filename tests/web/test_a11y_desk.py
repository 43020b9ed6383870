"""The desk for a screen-reader user (audit 12, #5 and #9), in Chromium against a real `commission serve`.

#5: a refused offer amount or standards percentage was shown above the form but not tied to its box:
the box now has ``aria-invalid="true"`` and its ``aria-describedby`` names the message, on the check
form and on the compare form, as the upload box's already did.

#9: the progress page's live region was rewritten every 2 s ("Running for 12 s."), and a page reloaded
itself when its job or its frontier sweep finished, moving the reader to the top. The live region now
changes only when the status does, and a finished job shows a link to follow in it instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from optimiser.deliverability import wording
from tests.conftest import BROWSER
from tests.web.conftest import tiny_document
from tests.web.test_browser import (  # noqa: F401 (fixtures)
    Server,
    browser,
    draw_frontier,
    page,
    sign_in,
    start_server,
)

pytestmark = [BROWSER]

WORDS = wording.TEMPLATE_WORDS


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No workers: a submitted job stays queued (the forms and a scripted progress page)."""
    yield from start_server(tmp_path_factory.mktemp("a11y-idle"), workers=0)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One worker: a check and its frontier sweep run to their end."""
    yield from start_server(tmp_path_factory.mktemp("a11y-desk"), workers=1)


def described_by(tab: Any, box: str) -> list[str]:
    """The texts of the elements ``box``'s aria-describedby names, in order."""
    ids = (tab.locator(f"#{box}").get_attribute("aria-describedby") or "").split()
    return [" ".join(tab.locator(f"#{name}").inner_text().split()) for name in ids]


def test_the_check_form_ties_each_offer_problem_to_its_box(
    page: Any,  # noqa: F811 (the fixture imported above)
    idle_server: Server,
) -> None:
    sign_in(page, idle_server, idle_server.key("lmc-a11y-check", "negotiator"))
    page.goto(idle_server.url + "/desk/check")
    page.get_by_label(WORDS["a_pooled_budget"]).check()
    page.locator("#offer_amount").fill("lots")
    page.locator("#standards_percent").fill("0.9")
    page.get_by_role("button", name=WORDS["check_the_offer"]).click()
    page.get_by_role("alert").filter(has_text=WORDS["check_the_offer_problem"]).wait_for()

    assert page.locator("#offer_amount").get_attribute("aria-invalid") == "true"
    amount = described_by(page, "offer_amount")
    assert amount[0] == WORDS["amount_hint"]
    assert len(amount) == 2 and amount[1].startswith("Amount offered:") and "(got 'lots')" in amount[1], amount
    assert page.locator("#standards_percent").get_attribute("aria-invalid") == "true"
    standards = described_by(page, "standards_percent")
    assert standards[0] == WORDS["standards_hint"]
    assert len(standards) == 2 and standards[1].startswith("Minimum standards, %: enter a percentage"), standards
    # Each message in the summary leads to its box.
    page.get_by_role("link", name=amount[1]).click()
    assert page.evaluate("document.activeElement.id") == "offer_amount"

    # Only the box at fault is marked: a good amount, a bad percentage.
    page.locator("#offer_amount").fill("20k")
    page.get_by_role("button", name=WORDS["check_the_offer"]).click()
    page.get_by_role("alert").filter(has_text=WORDS["check_the_offer_problem"]).wait_for()
    assert page.locator("#offer_amount").get_attribute("aria-invalid") is None
    assert described_by(page, "offer_amount") == [WORDS["amount_hint"]]
    assert page.locator("#standards_percent").get_attribute("aria-invalid") == "true"


def test_the_compare_form_ties_each_offer_problem_to_its_box(
    page: Any,  # noqa: F811 (the fixture imported above)
    idle_server: Server,
) -> None:
    key = idle_server.key("lmc-a11y-compare", "negotiator")
    first = idle_server.api("POST", "/scenarios?name=first", key, tiny_document(budget_gbp=20000))
    second = idle_server.api("POST", "/scenarios?name=second", key, tiny_document(budget_gbp=50000))
    sign_in(page, idle_server, key)
    page.goto(idle_server.url + "/desk/compare")
    page.locator("#scenario_a").select_option(f"{first['id']}:1")
    page.locator("#scenario_b").select_option(f"{second['id']}:1")
    page.locator("#offer_a").fill("30k")
    page.locator("#offer_b").fill("lots")
    page.get_by_role("button", name=WORDS["check_both"]).click()
    page.get_by_role("alert").wait_for()

    assert page.locator("#offer_b").get_attribute("aria-invalid") == "true"
    offer_b = described_by(page, "offer_b")
    assert len(offer_b) == 1 and offer_b[0].startswith("Offer B: Amount offered:") and "lots" in offer_b[0], offer_b
    assert page.locator("#offer_a").get_attribute("aria-invalid") is None
    assert page.locator("#offer_a").get_attribute("aria-describedby") is None
    for box in ("scenario_a", "scenario_b"):
        assert page.locator(f"#{box}").get_attribute("aria-invalid") is None


# Records what a live region says each time its content or a child's visibility changes.
WATCH_LIVE_REGION = """selector => {
  const region = document.querySelector(selector);
  window.spoken = [];
  const say = () => window.spoken.push(region.innerText.replace(/\\s+/g, " ").trim());
  new MutationObserver(say).observe(region, {subtree: true, childList: true, characterData: true, attributes: true});
}"""


def test_the_progress_page_announces_status_changes_only_and_does_not_reload(
    page: Any,  # noqa: F811 (the fixture imported above)
    idle_server: Server,
) -> None:
    """The page follows a job that is queued, runs for 6 s and finishes (its status answers scripted in
    the browser): the live region changes twice (running, finished with its link), the seconds five times
    outside it, and the page stays where it is until the link is followed."""
    key = idle_server.key("lmc-a11y-progress", "negotiator")
    scenario = idle_server.api("POST", "/scenarios?name=progress", key, tiny_document(budget_gbp=20000))
    job = idle_server.api("POST", "/jobs", key, {"scenario_id": scenario["id"], "kind": "check"})
    answers = [("queued", None), ("running", 1.0), ("running", 3.0), ("running", 5.0), ("running", 6.0)]
    answers += [("succeeded", 7.0)] * 10

    def status(route: Any) -> None:
        state, elapsed = answers.pop(0) if len(answers) > 1 else answers[0]
        body = {"status": state, "finished": state == "succeeded", "elapsed_s": elapsed}
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    sign_in(page, idle_server, key)
    page.route(f"**/desk/jobs/{job['id']}/status", status)
    page.goto(f"{idle_server.url}/desk/jobs/{job['id']}")
    page.evaluate(WATCH_LIVE_REGION, "#job-live")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    ready = page.get_by_role("link", name=WORDS["result_ready"])
    ready.wait_for(timeout=60_000)

    status_words = WORDS["status"]
    assert page.evaluate("window.spoken") == [
        f"{status_words} running",
        f"{status_words} succeeded {WORDS['result_ready']}",
    ]
    assert page.locator("#elapsed").inner_text() == WORDS["running_for"].format(seconds=7)
    assert page.locator("#elapsed").evaluate("p => p.closest('[aria-live], [role=status]')") is None
    page.wait_for_timeout(5000)  # polling has stopped: nothing more is said, and nothing reloads
    assert len(page.evaluate("window.spoken")) == 2
    assert navigations == []
    ready.click()  # the page loaded again, on request (its history entry replaced, then reloaded)
    page.wait_for_load_state()
    assert navigations and set(navigations) == {f"{idle_server.url}/desk/jobs/{job['id']}"}


def test_the_result_page_offers_the_frontier_when_it_is_drawn_and_does_not_reload(
    page: Any,  # noqa: F811 (the fixture imported above)
    server: Server,
) -> None:
    """The audit's second run: a finished check whose frontier sweep (submitted by the page's button,
    audit 12 #10) is not done yet; the page used to reload itself when the sweep finished."""
    key = server.key("lmc-a11y-frontier", "negotiator")
    scenario = server.api("POST", "/scenarios?name=frontier", key, tiny_document(budget_gbp=20000))
    job = server.api("POST", "/jobs", key, {"scenario_id": scenario["id"], "kind": "check"})
    sign_in(page, server, key)
    for _ in range(600):
        if server.api("GET", f"/jobs/{job['id']}", key)["status"] == "succeeded":
            break
        page.wait_for_timeout(200)
    url = f"{server.url}/desk/jobs/{job['id']}"
    page.goto(url)
    page.locator("#verdict").wait_for()
    assert page.locator("#frontier-note").get_attribute("data-wait-job") is None  # opening it drew nothing
    draw_frontier(page)  # posts, and comes back at the frontier's section
    assert page.locator("#frontier-note").get_attribute("data-wait-job")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)
    ready = page.get_by_role("link", name=WORDS["frontier_ready"])
    ready.wait_for(timeout=120_000)
    assert page.locator("#frontier-note").get_attribute("role") == "status"
    page.wait_for_timeout(3000)
    assert navigations == [] and page.locator("svg.frontier").count() == 0
    ready.click()
    page.locator("svg.frontier").wait_for()
    assert navigations and set(navigations) == {f"{url}#frontier-h"}
