"""Audit 12 #2 in Chromium against a real `commission serve`: under the Content-Security-Policy
the desk's pages (the check form, a result with its inline SVG frontier, the comparison) and the
API docs (/docs, /redoc, whose start-up script and styles are inline) draw with no violation
reported, and a page of another site cannot frame the desk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimiser.io import write_document_as_workbook
from tests.conftest import BROWSER
from tests.web.conftest import tiny_document
from tests.web.test_browser import Server, browser, sign_in, start_server, when_ready  # noqa: F401 (fixtures)

pytestmark = [BROWSER]

# Every violation the page reports, recorded before any of its own scripts runs.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} at ${event.sourceFile}`);
});
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("outages-csp"), workers=1)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811 (the fixture imported above)
    context = browser.new_context(viewport={"width": 1200, "height": 900})  # the page's CSP applies
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(60_000)
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.console_messages = console
    try:
        yield page
    finally:
        context.close()


def violations(page: Any) -> list[str]:
    reported = list(page.evaluate("window.cspViolations"))
    logged = [text for text in page.console_messages if "Content Security Policy" in text]
    return reported + logged


def test_the_desk_draws_a_result_and_its_frontier_with_no_policy_violation(
    page: Any, server: Server, tmp_path: Path
) -> None:
    workbook = tmp_path / "tiny.xlsx"
    write_document_as_workbook(tiny_document(budget_gbp=20000), workbook)
    key = server.key("csp-desk", "commissioner")
    sign_in(page, server, key)
    assert violations(page) == []
    page.goto(server.url + "/desk/check")
    page.locator("#file").set_input_files(str(workbook))
    page.get_by_role("button", name="Check the offer").click()
    when_ready(page, "#verdict")
    when_ready(page, "svg.frontier")  # drawn inline once the sweep is done and its link followed
    assert "Offer £20,000" in page.locator("svg.frontier").inner_html()
    assert violations(page) == []
    page.goto(server.url + "/desk/compare")
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


@pytest.mark.parametrize(("path", "drawn"), [("/docs", ".opblock"), ("/redoc", "text=API docs by Redocly")])
def test_the_api_docs_draw_with_no_policy_violation(page: Any, server: Server, path: str, drawn: str) -> None:
    page.goto(server.url + path)
    page.locator(drawn).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_another_site_cannot_frame_the_desk(page: Any, server: Server, tmp_path: Path) -> None:
    framing = tmp_path / "framing.html"
    framing.write_text(f'<iframe id="desk" src="{server.url}/"></iframe>')
    page.goto(framing.as_uri())
    page.wait_for_load_state("networkidle")
    frame = page.frame_locator("#desk")
    assert frame.locator("text=API key").count() == 0  # the desk's sign-in form was not drawn in it
