"""The printed report keeps every word on the page, on a real area's long practice names (audit 6, A2).

Somerset's fair-shares table names its lowest and highest practice in full, with a data note
("£48.75 (SYMPHONY SOUTH HEALTHCARE, L85004; its data carry a note)"); the table used to run
off the page's right edge, cutting the note and the Gini and 90/10 columns. Word positions are
read back from the PDF with ``pdftotext -bbox``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.web.test_report import commission

ROOT = Path(__file__).resolve().parents[2]

MM = 72 / 25.4  # points per millimetre
RIGHT_MARGIN_MM = 15  # the template's @page margin


@pytest.fixture(scope="module")
def somerset_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the bundled Somerset scenario, written by the console script."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    tmp_path = tmp_path_factory.mktemp("somerset-report")
    pdf = tmp_path / "report.pdf"
    done = subprocess.run(
        [commission(), "report", str(ROOT / "data" / "somerset"), "--out", str(pdf)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return pdf


def pdftotext(pdf: Path, mode: str) -> str:
    return subprocess.run(["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def somerset_report(somerset_pdf: Path) -> str:
    """The report as ``pdftotext -bbox`` gives it: each word with its position."""
    return pdftotext(somerset_pdf, "-bbox")


def words(bbox: str) -> list[tuple[float, float, str]]:
    """(page width, right edge, text) of every word."""
    found = []
    for page in re.finditer(r'<page width="([\d.]+)".*?</page>', bbox, re.S):
        width = float(page.group(1))
        for word in re.finditer(
            r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', page.group(0)
        ):
            found.append((width, float(word.group(1)), word.group(2)))
    return found


def test_every_word_of_the_somerset_report_is_inside_the_page_margin(somerset_report: str) -> None:
    placed = words(somerset_report)
    assert placed
    outside = [text for width, right, text in placed if right > width - RIGHT_MARGIN_MM * MM + 0.5]
    assert outside == []


def test_the_fair_shares_table_shows_its_practices_in_full_and_every_column(somerset_report: str) -> None:
    text = " ".join(text for _, _, text in words(somerset_report))
    for expected in ("Gini", "90/10", "SYMPHONY SOUTH HEALTHCARE, L85004; its data carry a note)"):
        assert expected in text


def test_a_column_of_shares_is_at_one_precision(somerset_pdf: Path) -> None:
    """Each IMD quintile's mean coverage to one decimal (83.0% between 83.5% and 82.9%, not 83%)."""
    layout = pdftotext(somerset_pdf, "-layout")
    quintile_rows = re.findall(r"^\s*([1-5])\s+\d+\s+£[\d.,]+\s+(\S+%)\s*$", layout, re.M)
    assert [quintile for quintile, _ in quintile_rows] == ["1", "2", "3", "4", "5"]
    assert all(re.fullmatch(r"\d+\.\d%", share) for _, share in quintile_rows), quintile_rows


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    assert found, info
    return int(found.group(1))


def test_the_somerset_report_is_three_pages(somerset_pdf: Path) -> None:
    """docs/desk.md: two or three A4 pages (the fair shares section had pushed the assumptions onto a fourth)."""
    assert pages(somerset_pdf) == 3
