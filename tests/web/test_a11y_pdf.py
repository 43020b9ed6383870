"""The PDF report is a tagged PDF a screen reader can follow (audit 12, #1).

It was untagged (``pdfinfo``: Tagged: no): no headings or table structure, the frontier chart without
a text alternative, and the two-to-a-row lever cards read out of order (the right card's heading
before the left card's body). The report is written by the installed ``commission report``, then read
back with poppler's ``pdfinfo`` and ``pdftotext``; the chart's alternative text is read from the
PDF's structure tree (its object streams inflated with zlib: neither qpdf nor pikepdf is installed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.require import require_or_skip
from tests.web.test_report import commission

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The README's undeliverable offer, with its frontier chart: (the PDF, what the command printed)."""
    require_or_skip(
        shutil.which("pdfinfo") is not None and shutil.which("pdftotext") is not None,
        "pdfinfo and pdftotext (poppler-utils) are not installed",
    )
    folder = tmp_path_factory.mktemp("a11y-report")
    pdf = folder / "report.pdf"
    done = subprocess.run(
        [commission(), "report", str(ROOT / "data" / "undeliverable_offer"), "--out", str(pdf)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    return pdf, done.stdout


def poppler(*command: str) -> str:
    return subprocess.run(list(command), capture_output=True, text=True, check=True).stdout


def figure_alternatives(pdf: Path) -> list[str]:
    """The /Alt text of every Figure in the PDF's structure tree (a PDF string, literal or UTF-16 hex)."""
    data = pdf.read_bytes()
    inflated = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            inflated.append(zlib.decompress(stream.group(1)))
        except zlib.error:  # not a Flate stream (an image, a font): no structure in it
            continue
    found = []
    for element in re.finditer(
        rb"/S /Figure[^>]*?(?:<<[^>]*>>[^>]*?)*/Alt\s*(<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\))", b"\n".join(inflated)
    ):
        value = element.group(1)
        if value.startswith(b"<"):
            found.append(bytes.fromhex(value[1:-1].decode()).decode("utf-16"))
        else:
            found.append(value[1:-1].decode("latin-1"))
    return found


def test_the_report_is_a_tagged_pdf(report: tuple[Path, str]) -> None:
    pdf, _ = report
    info = poppler("pdfinfo", str(pdf))
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    structure = poppler("pdfinfo", "-struct", str(pdf))
    # Headings, and tables with header cells each data cell points to.
    assert re.search(r"^\s*H1\b", structure, re.M) and re.search(r"^\s*H2\b", structure, re.M)
    assert re.search(r"^\s*TH\b", structure, re.M) and "/Headers [(" in structure


def test_the_chart_has_a_text_alternative_from_the_sweep(report: tuple[Path, str]) -> None:
    """The Figure's alternative says what the chart shows, with the figures its labels carry."""
    pdf, printed = report
    text = " ".join(poppler("pdftotext", str(pdf), "-").split())
    least = re.search(r"Least deliverable (£[\d.]+m)", text)
    offer = re.search(r"Offer (£[\d.]+m)", text)
    assert least and offer, text[:2000]
    assert f"the offer of {offer.group(1)} a year" in printed
    alternatives = figure_alternatives(pdf)
    assert len(alternatives) == 1, alternatives
    alternative = alternatives[0]
    assert alternative.startswith("Budget against coverage. ")
    assert f"The spec becomes deliverable from a budget of {least.group(1)} a year" in alternative
    assert f"at the current {offer.group(1)} it is not deliverable" in alternative
    # Where each line drawn starts and ends: with the standards met (from the least deliverable
    # budget on) and with them lifted (from £0).
    assert re.search(r"with every minimum standard met goes from [\d.]+% at £[\d.]+m to [\d.]+% at £", alternative)
    assert re.search(r"with the standards lifted goes from [\d.]+% at £0 to [\d.]+% at £", alternative)


def test_the_lever_cards_read_in_the_order_they_are_shown(report: tuple[Path, str]) -> None:
    """Each card's heading, amount and sentence, then the next card's: the right card's heading came
    between the left card's heading and its amount, and its body after the next row's headings."""
    pdf, _ = report
    text = " ".join(poppler("pdftotext", str(pdf), "-").split())
    cards = [
        ("More money (£/year)", "£6.87m more a year", "The spec needs £6.87m more a year"),
        ("Lower standards (fraction of every minimum standard)", "89.2% of every minimum standard", "Every minimum"),
        ("Higher safe-working caps (contacts per FTE-day)", "6.43 more contacts per FTE-day", "The spec only fits"),
        ("More staff (FTE)", "Cannot make it deliverable on its own", "More staff alone cannot"),
    ]
    start = text.index("What would make it deliverable")
    places = []
    for card in cards:
        for part in card:
            assert part in text[start:], part
            places.append(text.index(part, start))
    assert places == sorted(places), list(zip([part for card in cards for part in card], places, strict=True))
