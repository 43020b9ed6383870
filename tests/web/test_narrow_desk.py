"""Audit 9, A9: the desk in a 360 px wide window (a phone, or 200% zoom of a small laptop) in
Chromium against a real `commission serve`. No page is wider than the window: a wide table
scrolls inside its own box or reflows, a long word breaks; and a figure is never split over two
lines ("£9.90" on one, "m" on the next)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from optimiser.io import read_document
from tests.conftest import BROWSER
from tests.web.conftest import ARTEFACTS, ROOT, tiny_document
from tests.web.test_browser import AXE, Server, browser, sign_in, start_server, when_ready  # noqa: F401 (fixtures)

pytestmark = [BROWSER]

WIDTH = 360
# A real place name (Anglesey): one word of 58 letters, in a practice's name of 75.
LONG_NAME = "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch-Medical-Centre"

# What sticks out of the window (a table's own rows may: a wide table scrolls inside its box, and the
# page's scrollWidth says whether it does), and every figure (<data>) split over two lines.
MEASURE = r"""() => {
  const width = document.documentElement.clientWidth;
  const wider = [];
  for (const element of document.body.querySelectorAll('*')) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 0.5 && !element.parentElement.closest('table')) {
      wider.push(`${element.tagName.toLowerCase()}.${element.className.baseVal ?? element.className} to ${Math.round(box.right)} px`);
    }
  }
  // A figure may wrap between words ("£3.90 more per weighted patient"), never inside one with a digit.
  const split = [];
  for (const figure of document.querySelectorAll('data')) {
    for (const text of figure.childNodes) {
      for (const word of (text.textContent || '').matchAll(/\S*\d\S*/g)) {
        const range = document.createRange();
        range.setStart(text, word.index);
        range.setEnd(text, word.index + word[0].length);
        if (new Set([...range.getClientRects()].map((box) => Math.round(box.top))).size > 1) split.push(word[0]);
      }
    }
  }
  return {scroll_width: document.documentElement.scrollWidth, wider: wider.slice(0, 6), split: split};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("narrow-desk"), workers=1)


@pytest.fixture
def narrow(browser: Any) -> Iterator[Any]:  # noqa: F811 (the fixture imported above)
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, bypass_csp=True)  # for axe-core
    page = context.new_page()
    page.set_default_timeout(120_000)
    try:
        yield page
    finally:
        context.close()


def fits(page: Any, name: str) -> dict[str, Any]:
    """The page's measurements, with a screenshot of it under tests/web/artefacts/."""
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"narrow-{name}.png"), full_page=True)
    measured: dict[str, Any] = page.evaluate(MEASURE)
    # A table that scrolls in its own box must be reachable by keyboard (axe-core's rule; a box
    # that does not scroll must not add a stop to the tab order).
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'rule', values: ['scrollable-region-focusable']}}))"
        ".violations.flatMap((v) => v.nodes.map((n) => n.target.join(' ')))"
    )
    stops = page.evaluate(
        "() => [...document.querySelectorAll('table[tabindex]')].filter((t) => t.scrollWidth <= t.clientWidth).length"
    )
    return {"page": name, **measured, "unreachable": found, "needless_stops": stops}


def fitting(name: str) -> dict[str, Any]:
    return {"page": name, "scroll_width": WIDTH, "wider": [], "split": [], "unreachable": [], "needless_stops": 0}


def checked(server: Server, key: str, name: str, document: dict[str, Any], overrides: dict[str, Any]) -> str:
    """The id of a finished check of `document`, stored as the scenario `name`."""
    scenario = server.api("POST", f"/scenarios?name={quote(name)}", key, document)
    job = server.api(
        "POST", "/jobs?wait=240", key, {"scenario_id": scenario["id"], "kind": "check", "overrides": overrides}
    )
    assert job["status"] == "succeeded", job
    return str(job["id"])


def result_page(page: Any, server: Server, job_id: str) -> None:
    page.goto(f"{server.url}/desk/jobs/{job_id}")
    page.locator("#verdict").wait_for()
    # Its button pressed (opening a check draws nothing), its link followed when the sweep is done.
    when_ready(page, "svg.frontier", timeout=240_000)
    page.locator("details summary", has_text="The chart's numbers").click()  # its table shown too


def test_no_desk_page_is_wider_than_a_360_px_window_and_no_figure_is_split(narrow: Any, server: Server) -> None:
    key = server.key("lmc-narrow", "negotiator")
    long_named = tiny_document(budget_gbp=20000)
    long_named["practices"][1]["name"] = LONG_NAME  # P2: named in the conflict at £3.10 per weighted patient
    offer = checked(
        server,
        key,
        "The undeliverable offer of the example ICB",
        read_document(ROOT / "data" / "undeliverable_offer"),
        {},
    )
    rate = checked(
        server, key, "Tiny with a long practice name", long_named, {"offer_rate_gbp_per_weighted_patient": 3.1}
    )

    narrow.goto(server.url + "/")
    measured = [fits(narrow, "sign-in")]
    sign_in(narrow, server, key)
    measured.append(fits(narrow, "home"))
    narrow.goto(server.url + "/desk/check")
    measured.append(fits(narrow, "check"))
    narrow.goto(server.url + "/desk/compare")
    measured.append(fits(narrow, "compare-form"))
    result_page(narrow, server, offer)
    assert "The offer against the least cost" in narrow.inner_text("main")
    measured.append(fits(narrow, "undeliverable-offer"))
    result_page(narrow, server, rate)
    assert LONG_NAME in narrow.locator("#conflict-h + p + ul").inner_text()
    measured.append(fits(narrow, "long-practice-name"))
    narrow.goto(f"{server.url}/desk/compare?a={offer}&b={rate}")
    narrow.locator("table.compare").first.wait_for()
    measured.append(fits(narrow, "comparison"))

    pages = ("sign-in", "home", "check", "compare-form", "undeliverable-offer", "long-practice-name", "comparison")
    assert measured == [fitting(name) for name in pages]
