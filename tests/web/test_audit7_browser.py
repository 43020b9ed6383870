"""Audit 7, A16 and A17 in Chromium against a real `commission serve`: no desk page logs a
console error or asks for a resource the service does not have (the icon is the product's own),
and after a refused offer the check form says beside the upload that the file must be chosen
again; chosen again, the check is submitted."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimiser.io import write_document_as_workbook
from tests.conftest import BROWSER
from tests.web.conftest import tiny_document
from tests.web.test_browser import Server, browser, page, scan, sign_in, start_server  # noqa: F401 (fixtures)

pytestmark = [BROWSER]


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No workers: a submitted check stays queued (only the form matters here)."""
    yield from start_server(tmp_path_factory.mktemp("audit7-desk"), workers=0)


def test_a_refused_offer_asks_for_the_file_again_and_no_page_logs_an_error(
    page: Any,  # noqa: F811 (the fixture imported above)
    idle_server: Server,
    tmp_path: Path,
) -> None:
    # Every console error and failed resource, but a form page's own 422 (a refused form is
    # answered so, and Chromium logs that status as a console error naming the page).
    errors: list[str] = []
    refused_pages: set[str] = set()

    def on_response(response: Any) -> None:
        if response.status >= 400:
            if response.request.resource_type == "document" and response.status == 422:
                refused_pages.add(response.url)
            else:
                errors.append(f"{response.status} {response.url}")

    def on_console(message: Any) -> None:
        if message.type == "error" and message.location.get("url") not in refused_pages:
            errors.append(f"console: {message.text} at {message.location}")

    page.on("response", on_response)
    page.on("console", on_console)
    page.on("requestfailed", lambda request: errors.append(f"failed {request.url}"))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    workbook = tmp_path / "tiny.xlsx"
    write_document_as_workbook(tiny_document(budget_gbp=20000), workbook)
    key = idle_server.key("lmc-audit7", "negotiator")

    sign_in(page, idle_server, key)
    page.goto(idle_server.url + "/desk/check")
    page.locator("#file").set_input_files(str(workbook))
    page.get_by_label("A pooled budget, £ a year").check()
    page.get_by_role("button", name="Check the offer").click()
    page.get_by_role("alert").get_by_text("Amount offered: enter an amount").wait_for()
    notice = page.locator("#file-again")
    assert notice.inner_text().startswith("Choose the file again: tiny.xlsx was not read"), notice.inner_text()
    assert page.locator("#file").evaluate("input => input.files.length") == 0  # the browser kept nothing
    assert page.locator("#source-upload").is_checked()
    assert "file-again" in (page.locator("#file").get_attribute("aria-describedby") or "")
    scan(page, "audit7-file-again")
    assert idle_server.api("GET", "/scenarios", key)["total"] == 0

    page.locator("#file").set_input_files(str(workbook))
    page.locator("#offer_amount").fill("20k")
    page.get_by_role("button", name="Check the offer").click()
    page.wait_for_url("**/desk/jobs/**")
    jobs = idle_server.api("GET", "/jobs?kind=check", key)
    assert jobs["total"] == 1 and jobs["items"][0]["overrides"] == {"budget_gbp": 20000.0}

    # the icon each page declares was fetched from the service, and no page asked for /favicon.ico
    icon = [url for url in requested if url.endswith("/desk/static/icon.svg")]
    assert icon and all(url.startswith(idle_server.url) for url in icon)
    assert not [url for url in requested if url.endswith("/favicon.ico")]
    assert refused_pages == {idle_server.url + "/desk/check"}
    assert errors == []
