"""A scenario's name in the PDF report: exactly as written (audit 9, A5).

The footer's name is a CSS string (the page's margin boxes take text only from CSS ``content:``), where
HTML escaping printed "B&amp;NES &lt;Tiny&gt;".
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from optimiser.report.render import report_html, report_pdf
from optimiser.report.view import check_view
from tests.web.test_report_layout import pages, pdftotext

# Each character a CSS string or an HTML element could end at, and a newline.
CSS_BREAKER = 'St Ann\'s "Quoted" back\\slash \\"; } body { display: none; } </style><p>injected</p>\nB&NES 认知症'


def poppler() -> None:
    if shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None:
        pytest.skip("pdftotext and pdfinfo (poppler-utils) are not installed")


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
