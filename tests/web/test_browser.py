"""The desk in a real browser: headless Chromium from the system's package manager, driven
by Playwright, against a real `commission serve` subprocess on a temporary SQLite database.

Every page visited is scanned with axe-core (vendored, injected from disk) and must have no
serious or critical violation; a screenshot of each is saved under tests/web/artefacts/.
Skipped only where /usr/bin/chromium is missing and CI is unset (`.ci/run` installs it; tests/require.py).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright import sync_api as playwright_api

from optimiser.deliverability import wording
from optimiser.io import write_document_as_workbook
from optimiser.runs import run_job
from tests import servers
from tests.conftest import BROWSER
from tests.require import require_or_skip
from tests.web.conftest import ARTEFACTS, tiny_document

CHROMIUM = Path(os.environ.get("COMMISSION_TEST_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WORDS = wording.TEMPLATE_WORDS
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Browser tests run one at a time, beside the other tests (tests/conftest.py).
pytestmark = [BROWSER]


class Server(servers.Server):
    """The desk's server: a desk secret of its own and small limits; `api` calls its HTTP API."""

    def api(self, method: str, path: str, key: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("X-API-Key", key)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"null")


def start_server(directory: Path, workers: int) -> Iterator[Server]:
    """A started desk server on SQLite in ``directory`` with ``workers`` job workers, stopped afterwards."""
    yield from servers.serving(
        Server(
            f"sqlite:///{directory / 'desk.db'}",
            directory,
            workers=workers,
            COMMISSION_JOB_POLL_INTERVAL_S="0.2",
            COMMISSION_MAX_REQUEST_BYTES="1000000",
            COMMISSION_MAX_SWEEP_POINTS="11",
            COMMISSION_DESK_SECRET="browser-test-secret",
        )
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with one job worker."""
    yield from start_server(tmp_path_factory.mktemp("desk-server"), workers=1)


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with no workers: its jobs stay queued, to see the progress page."""
    yield from start_server(tmp_path_factory.mktemp("desk-idle"), workers=0)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_or_skip(CHROMIUM.exists(), f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # The page's Content-Security-Policy would refuse the accessibility scan's injected axe-core;
    # tests/test_outages_browser.py checks the pages under their policy.
    context = browser.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def undeliverable_workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-solved tiny scenario with £20,000 offered against a least cost of £37,000."""
    path = tmp_path_factory.mktemp("spec") / "tiny-undeliverable.xlsx"
    write_document_as_workbook(tiny_document(budget_gbp=20000), path)
    return path


def scan(page: Any, name: str) -> None:
    """Screenshot the page and check it with axe-core: no serious or critical violation."""
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(AXE))
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: " + "; ".join(bad)


def sign_in(page: Any, server: Server, key: str) -> None:
    page.goto(server.url + "/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your scenarios and checks").wait_for()


def when_ready(page: Any, selector: str, timeout: float = 90_000) -> None:
    """Wait for ``selector``. A page still waiting on its job (or its frontier sweep) does not reload
    itself when it finishes but shows a link in its live region (audit 12, #9): a reader follows it.
    A frontier is drawn only when asked (audit 12, #10): waiting for one on a page that offers its
    button presses it, as a reader who wants the chart does."""
    if selector == "svg.frontier":
        page.locator(f"{selector}, a.ready:visible, #draw-frontier button").first.wait_for(timeout=timeout)
        if page.locator(selector).count() == 0 and page.locator("#draw-frontier button").count():
            draw_frontier(page)
    page.locator(f"{selector}, a.ready:visible").first.wait_for(timeout=timeout)
    if page.locator(selector).count() == 0:
        page.locator("a.ready:visible").click()
        page.locator(selector).wait_for(timeout=timeout)


def draw_frontier(page: Any) -> None:
    """Press the result page's *Draw the budget frontier*: its form posts, the page comes back at the
    frontier's section, whose live region follows the sweep."""
    page.get_by_role("button", name=WORDS["draw_frontier"]).click()
    page.locator("#frontier-note[data-wait-job], svg.frontier").first.wait_for()
    assert page.url.endswith("#frontier-h"), page.url


def sweeps(server: Server, key: str) -> int:
    """How many sweep jobs the key's organisation has (read through the API, not the page)."""
    return int(server.api("GET", "/jobs?kind=sweep&limit=1", key)["total"])


def pdf_text(path: Path) -> str:
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(done.stdout.split())


def test_a_negotiator_checks_an_offer_gets_the_pdf_and_compares_a_revised_offer(
    page: Any, server: Server, undeliverable_workbook: Path, tmp_path: Path
) -> None:
    key = server.key("lmc-browser", "negotiator")
    page.goto(server.url + "/")
    scan(page, "01-sign-in")
    # Keyboard only: the skip link comes first, then the key field; Enter signs in.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "api_key"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus must be visible"
    page.keyboard.type(key)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Your scenarios and checks").wait_for()
    scan(page, "02-home")

    page.get_by_role("link", name="Check an offer").first.click()
    page.get_by_label("Workbook (.xlsx or .xlsm), zip of CSV files (.zip) or JSON (.json)").set_input_files(
        str(undeliverable_workbook)
    )
    page.get_by_label("Name for the scenario (optional)").fill("Tiny spec, first offer")
    scan(page, "03-check-form")
    page.get_by_role("button", name="Check the offer").click()
    when_ready(page, "#verdict")
    scan(page, "04-result-negotiator")
    verdict = " ".join(page.locator("#verdict").inner_text().split())
    assert "NOT DELIVERABLE" in verdict
    assert (
        "the offer of £20,000 a year is £17,000 short of the least cost of the specification, £37,000 a year" in verdict
    )
    levers = page.locator("ul.levers > li h3").all_inner_texts()
    assert [text.split(" (")[0] for text in levers] == [
        "More money",
        "Lower standards",
        "Higher safe-working caps",
        "More staff",
    ]
    assert "£17,000 more a year" in page.locator("#lever-budget").inner_text()
    # 0.9309…: rounded down, as a level of the standards that fits is (93.1% would not fit).
    assert "93.0% of every minimum standard" in page.locator("#lever-standards").inner_text()
    # Opening the result submitted nothing (audit 12, #10); the negotiator asks for the frontier.
    assert sweeps(server, key) == 0
    assert page.locator("#frontier-note").inner_text().startswith("No frontier has been drawn for this check yet.")
    draw_frontier(page)
    assert sweeps(server, key) == 1
    when_ready(page, "svg.frontier")  # its link followed when the sweep is done
    chart = page.locator("svg.frontier").inner_html()
    assert "Least deliverable £37,000" in chart and "Offer £20,000" in chart

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF report").click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    shutil.copy(pdf, ARTEFACTS / "report-negotiator.pdf")
    if shutil.which("pdftotext"):
        text = pdf_text(pdf)
        assert "NOT DELIVERABLE" in text
        assert (
            "the offer of £20,000 a year is £17,000 short of the least cost of the specification, £37,000 a year"
            in text
        )

    # The second meeting: the revised offer beside the first.
    page.get_by_role("link", name="Compare two offers").click()
    scan(page, "05-compare-form")
    # A mistyped offer B is named as offer B, and no check of offer A is left running.
    jobs_before = server.api("GET", "/jobs", key)["total"]
    page.get_by_label("Amount (empty: as in the scenario)").first.fill("20k")
    page.get_by_label("Amount (empty: as in the scenario)").nth(1).fill("1,0")
    page.get_by_role("button", name="Check both and compare").click()
    assert page.get_by_role("alert").inner_text().startswith("Offer B: Amount offered: expected a number")
    assert server.api("GET", "/jobs", key)["total"] == jobs_before
    page.get_by_label("Amount (empty: as in the scenario)").first.fill("20k")
    page.get_by_label("Amount (empty: as in the scenario)").nth(1).fill("£50,000")
    page.get_by_role("button", name="Check both and compare").click()
    when_ready(page, "#compare-headline")
    scan(page, "06-compare")
    headline = page.locator("#compare-headline").inner_text()
    # The page's counts equal the engine's own answers for the same offers (run here, in process):
    # practices short of their share of the offer in each check's least-cost plan.
    first = run_job("check", tiny_document(budget_gbp=20000)).result["least_cost_allocation"]
    revised = run_job("check", tiny_document(budget_gbp=50000)).result["least_cost_allocation"]
    assert first["practices_short"] >= 1, "the first offer leaves some practice short"
    assert (
        f"Practices needing more than an equal share of the offer: {first['practices_short']} under A,"
        f" {revised['practices_short']} under B." in headline
    )
    table = page.locator("table.compare").first.inner_text()
    assert "Not deliverable" in table and "Deliverable" in table
    # Coverage by service and new FTE by role of the two least-cost plans, and each practice's shortfall.
    for section, item, figure in (
        ("Coverage by service (least-cost plan)", "Same-day access", first["coverage_by_service"]["same_day_access"]),
        ("New FTE by role (least-cost plan)", "Salaried GP", first["new_fte_by_role"]["salaried_gp"]),
    ):
        row = page.locator("table.compare tr", has_text=section).filter(has_text=item).first
        assert row.is_visible(), (section, item)
        shown = row.locator("data").first
        assert float(shown.get_attribute("value")) == (figure["coverage"] if isinstance(figure, dict) else figure)
    heading = page.get_by_role("heading", name="Per practice: needed above an equal share of the offer", exact=False)
    assert heading.is_visible()
    most_short = first["most_short"][0]
    per_practice = page.locator("table.compare").nth(1).locator("tbody tr").first
    named = {row["practice_id"]: row["name"] for row in tiny_document()["practices"]}
    practice = most_short["practice_id"]
    assert per_practice.locator("th").inner_text() == f"{named[practice]} ({practice})"  # as wording.Names reads it
    # The page cites the practice's row of the least_cost_practices table, which reads in whole pence.
    assert float(per_practice.locator("data").first.get_attribute("value")) == round(most_short["shortfall_gbp"], 2)
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    csv_path = tmp_path / "compare.csv"
    download.value.save_as(csv_path)
    csv_text = csv_path.read_text()
    assert csv_text.startswith("section,item,")
    # Names to read, ids in their own columns (audit 5, F12).
    assert "Coverage by service (least-cost plan),Same-day access,,same_day_access,," in csv_text
    assert "New FTE by role (least-cost plan),Salaried GP,,,salaried_gp," in csv_text
    assert "per practice: needed above an equal share of the offer" in csv_text

    # 200% zoom: half the width, nothing cut off sideways.
    page.set_viewport_size({"width": 600, "height": 900})
    page.goto(page.url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTEFACTS / "07-compare-200pc.png"), full_page=True)

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    page.goto(server.url + "/desk/check")
    assert page.get_by_role("heading", name="Sign in").is_visible(), "signed out"


def test_a_commissioner_sees_the_frontier_and_another_organisation_gets_404(
    page: Any, browser: Any, server: Server, undeliverable_workbook: Path
) -> None:
    key = server.key("icb-browser", "commissioner")
    sign_in(page, server, key)
    page.goto(server.url + "/desk/check")
    page.locator("#file").set_input_files(str(undeliverable_workbook))
    page.get_by_role("button", name="Check the offer").click()
    when_ready(page, "#verdict")
    assert sweeps(server, key) == 0
    draw_frontier(page)
    assert sweeps(server, key) == 1
    when_ready(page, "svg.frontier")  # its link followed when the sweep is done
    scan(page, "08-result-commissioner")
    chart = page.locator("svg.frontier").inner_html()
    assert "Least deliverable £37,000" in chart and "Offer £20,000" in chart
    page.set_viewport_size({"width": 600, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.screenshot(path=str(ARTEFACTS / "09-result-200pc.png"), full_page=True)
    result_url = page.url

    other = browser.new_context(bypass_csp=True)  # scan() injects axe, which the desk's CSP refuses
    stranger = other.new_page()
    sign_in(stranger, server, server.key("other-lmc", "negotiator"))
    response = stranger.goto(result_url)
    assert response.status == 404
    assert "was not found" in stranger.inner_text("main")
    scan(stranger, "10-not-found")
    assert "Tiny spec" not in stranger.goto(server.url + "/").text()
    other.close()


def test_bad_input_is_answered_beside_the_upload(page: Any, server: Server, tmp_path: Path) -> None:
    sign_in(page, server, server.key("lmc-bad-input", "negotiator"))
    document = tiny_document()
    document["practices"][1]["list_size"] = -5
    bad = tmp_path / "bad.xlsx"
    write_document_as_workbook(document, bad)
    page.goto(server.url + "/desk/check")
    page.locator("#file").set_input_files(str(bad))
    page.get_by_role("button", name="Check the offer").click()
    problems = page.locator("#upload-problems")
    problems.get_by_text("bad.xlsx was not stored").wait_for()
    assert "practices" in problems.inner_text() and "list_size" in problems.inner_text()
    scan(page, "11-invalid-upload")
    big = tmp_path / "big.json"
    big.write_bytes(b"{" + b" " * 1_200_000 + b"}")
    page.locator("#file").set_input_files(str(big))
    page.locator("#source-upload").check()
    page.get_by_role("button", name="Check the offer").click()
    message = page.locator("#size-message")
    message.wait_for()
    assert "this service accepts at most" in message.inner_text() and "Nothing was sent" in message.inner_text()
    page.goto(server.url + "/")
    assert "big.json" not in page.inner_text("main")


def test_the_compare_form_keeps_what_was_typed_when_an_offer_is_refused(page: Any, server: Server) -> None:
    """A refused offer B comes back named, with both offers, the offer kind and both scenarios as typed
    (markup in a box is shown as text, not run)."""
    key = server.key("lmc-compare-typed", "negotiator")
    first = server.api("POST", "/scenarios?name=first%20spec", key, tiny_document(budget_gbp=20000))
    second = server.api("POST", "/scenarios?name=second%20spec", key, tiny_document(budget_gbp=50000))
    jobs_before = server.api("GET", "/jobs", key)["total"]
    sign_in(page, server, key)
    page.goto(server.url + "/desk/compare")
    good, bad = "3.10", '4,7 "><b id="injected">'
    page.get_by_label("£ per weighted patient a year").check()
    page.locator("#scenario_a").select_option(f"{second['id']}:1")
    page.locator("#scenario_b").select_option(f"{first['id']}:1")
    page.locator("#offer_a").fill(good)
    page.locator("#offer_b").fill(bad)
    page.get_by_role("button", name="Check both and compare").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().startswith("Offer B: Amount offered:"), alert.inner_text()
    assert page.locator("#offer_a").input_value() == good
    assert page.locator("#offer_b").input_value() == bad
    assert page.get_by_label("£ per weighted patient a year").is_checked()
    assert page.locator("#scenario_a").input_value() == f"{second['id']}:1"
    assert page.locator("#scenario_b").input_value() == f"{first['id']}:1"
    assert page.locator("#injected").count() == 0
    assert server.api("GET", "/jobs", key)["total"] == jobs_before
    scan(page, "05b-compare-refused")


def test_the_standards_box_takes_a_percentage_and_the_verdict_names_it(
    page: Any, server: Server, undeliverable_workbook: Path
) -> None:
    """0.9 in "Minimum standards, %" is refused (the CLI's fraction, not 0.9%); 90 is checked at 90%."""
    sign_in(page, server, server.key("lmc-standards", "negotiator"))
    standards = "Minimum standards, % of their level (optional)"
    for typed in ("0.9", "90"):
        page.goto(server.url + "/desk/check")
        page.locator("#file").set_input_files(str(undeliverable_workbook))
        page.get_by_label(standards).fill(typed)
        page.get_by_role("button", name="Check the offer").click()
        if typed == "0.9":
            page.get_by_role("alert").filter(has_text="Check the offer").wait_for()
            alert = " ".join(page.get_by_role("alert").filter(has_text="Check the offer").inner_text().split())
            assert "Minimum standards, %: enter a percentage such as 90, not a fraction (got '0.9'" in alert
            assert page.get_by_label(standards).input_value() == "0.9"
    when_ready(page, "#verdict")
    verdict = " ".join(page.locator("#verdict").inner_text().split())
    assert "Standards checked: every minimum standard at 90% of its level, not as written in the scenario." in verdict
    scan(page, "12-standards-checked")


def test_progress_and_cancelled_pages(page: Any, idle_server: Server) -> None:
    key = idle_server.key("lmc-idle", "negotiator")
    body = tiny_document(budget_gbp=20000)
    scenario = idle_server.api("POST", "/scenarios?name=queued%20spec", key, body)
    job = idle_server.api("POST", "/jobs", key, {"scenario_id": scenario["id"], "kind": "check"})
    sign_in(page, idle_server, key)
    page.goto(f"{idle_server.url}/desk/jobs/{job['id']}")
    assert page.locator("#job-status").inner_text() == "queued"
    scan(page, "12-progress")
    page.get_by_role("button", name="Cancel this check").click()
    page.get_by_role("heading", name="The check was cancelled").wait_for()
    scan(page, "13-cancelled")
