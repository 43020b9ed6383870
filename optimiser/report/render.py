"""The printable report: an HTML template rendered to A4 PDF pages with WeasyPrint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from optimiser.deliverability import wording
from optimiser.report.chart import Frontier
from optimiser.report.view import CheckView

TEMPLATES = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(("html",)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def css_string(text: object) -> Markup:
    """``text`` as the inside of a double-quoted CSS string in a ``<style>`` element, such as the page
    footer's ``content:``. CSS reads no HTML entities there (``&amp;`` would print as is), so every ASCII
    character but a letter, digit or space is a CSS hex escape: quotes, backslashes and newlines cannot end
    the string, and ``<`` cannot end the element (``</style>``). Other characters stand as they are. Each
    escape ends with a space, which CSS reads as its end, so that a space after it is kept."""
    return Markup("".join(c if c.isalnum() or c == " " or ord(c) > 127 else f"\\{ord(c):x} " for c in str(text)))


_environment.filters["css_string"] = css_string
_environment.globals["words"] = wording.TEMPLATE_WORDS  # the report's headings, as the desk page's


def report_html(view: CheckView, frontier: Frontier | None, frontier_note: str | None = None, **extra: Any) -> str:
    """The report as one HTML document (also what the PDF is printed from)."""
    template = _environment.get_template("report.html")
    return template.render(view=view, frontier=frontier, frontier_note=frontier_note, **extra)


PANGO_HINT = (
    "PDF reports need the Pango text libraries "
    "(Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)"
)


class ReportUnavailable(RuntimeError):
    """WeasyPrint cannot load its system libraries on this machine."""


def report_pdf(view: CheckView, frontier: Frontier | None, frontier_note: str | None = None, **extra: Any) -> bytes:
    """The report as PDF bytes (A4)."""
    try:
        from weasyprint import HTML  # imported here: it loads Pango, which only reports need
    except OSError as error:
        raise ReportUnavailable(f"{PANGO_HINT}: {error}") from error

    html = report_html(view, frontier, frontier_note, **extra)
    # A tagged PDF (PDF/UA-1): headings, lists and tables with their header cells, the chart a Figure with
    # its alternative text, in the page's reading order, for a screen reader (audit 12, #1). It costs no
    # more to render than the untagged PDF did.
    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf(pdf_variant="pdf/ua-1")
    return pdf
