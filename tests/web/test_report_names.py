"""A scenario's name in the PDF report: exactly as written, and at no cost in pages (audit 9, A5 and A14).

The footer's name is a CSS string (the page's margin boxes take text only from CSS ``content:``), where
HTML escaping printed "B&amp;NES &lt;Tiny&gt;"; and the header line under the title wrapped with a long
name, moving everything down a line: an upload's longer "name, version 1" gave the API's PDF of a check
four pages where the command line's had three.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimiser.io import read_document
from optimiser.report.render import report_html, report_pdf
from optimiser.report.view import check_view
from tests.api.helpers import TINY, Service, run_job, sqlite_service
from tests.require import require_or_skip
from tests.web.test_report_layout import LONG_NAME, pages, pdftotext, report

# Each character a CSS string or an HTML element could end at, and a newline.
CSS_BREAKER = 'St Ann\'s "Quoted" back\\slash \\"; } body { display: none; } </style><p>injected</p>\nB&NES 认知症'


def poppler() -> None:
    require_or_skip(
        shutil.which("pdftotext") is not None and shutil.which("pdfinfo") is not None,
        "pdftotext and pdfinfo (poppler-utils) are not installed",
    )


def test_no_name_ends_the_footers_css_string_or_the_style_element(runs: dict[str, Any], tmp_path: Path) -> None:
    poppler()
    view = check_view(runs["undeliverable"].result, scenario_name=CSS_BREAKER)
    html = report_html(view, None, scenario_name=CSS_BREAKER, scenario_hash="0123456789abcdef")
    assert html.count("</style") == 1
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_pdf(view, None, scenario_name=CSS_BREAKER, scenario_hash="0123456789abcdef"))
    text = " ".join(pdftotext(pdf, "-raw").split())
    # The newline is white space, as in any CSS string shown with `white-space: normal`.
    footer = " ".join(CSS_BREAKER.split()) + " · scenario 0123456789ab"
    assert text.count(footer) == pages(pdf)
    assert "page 1 of" in text  # the rules after the footer's still apply


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from sqlite_service(tmp_path_factory.mktemp("db"))


def frontier_drawn_pdf(service: Service, token: dict[str, str], check_id: str) -> bytes:
    """The API's PDF of a check, once the frontier sweep drawn for it (POST .../frontier) has run."""
    client = service.client
    drawn = client.post(f"/reports/jobs/{check_id}/frontier", headers=token)
    assert drawn.status_code == 202, drawn.text
    sweeps = client.get("/jobs", params={"kind": "sweep"}, headers=token).json()["items"]
    assert [sweep["id"] for sweep in sweeps] == [drawn.json()["id"]], sweeps
    sweep = client.get(f"/jobs/{sweeps[0]['id']}?wait=60", headers=token).json()
    assert sweep["status"] == "succeeded", sweep
    again = client.get(f"/reports/jobs/{check_id}.pdf", headers=token)
    assert again.status_code == 200
    return again.content


def verdict_top(pdf: Path) -> float:
    """How far down page 1 the verdict starts (its label, NOT DELIVERABLE), in points."""
    first_page = pdftotext(pdf, "-bbox").split("</page>")[0]
    found = re.search(r'<word xMin="[\d.]+" yMin="([\d.]+)"[^>]*>NOT</word>', first_page)
    assert found, first_page[:2000]
    return float(found.group(1))


def test_an_uploads_long_name_gives_the_api_pdf_the_pages_of_the_command_lines(
    service: Service, tmp_path: Path
) -> None:
    """docs/desk.md: the same check has the same pages however its offer was given; and whatever its
    scenario is called: the header line stays one line (the footer has the name in full)."""
    poppler()
    token = service.tenant()
    uploaded = service.client.post("/scenarios", params={"name": LONG_NAME}, json=read_document(TINY), headers=token)
    assert uploaded.status_code == 201, uploaded.text
    scenario = uploaded.json()["id"]
    check = run_job(service.client, token, scenario, kind="check", overrides={"budget_gbp": 20_000})
    assert check["status"] == "succeeded", check
    api = tmp_path / "api.pdf"
    api.write_bytes(frontier_drawn_pdf(service, token, check["id"]))
    assert LONG_NAME in " ".join(pdftotext(api, "-raw").split())
    # The same sweep as the API's (its test settings allow 5 points).
    cli = report(tmp_path, TINY, "--budget", "20k", "--frontier-points", str(service.settings.max_sweep_points))
    assert verdict_top(api) == verdict_top(cli)
    assert pages(api) == pages(cli)
