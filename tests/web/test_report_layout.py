"""The printed report keeps every word on the page, on a real area's long practice names (audit 6, A2).

Somerset's fair-shares table names its lowest and highest practice in full, with a data note
("£48.75 (SYMPHONY SOUTH HEALTHCARE, L85004; its data carry a note)"); the table used to run
off the page's right edge, cutting the note and the Gini and 90/10 columns. Word positions are
read back from the PDF with ``pdftotext -bbox``, and ink from its pages drawn by ``pdftoppm``.

An offer that is not deliverable has lever cards, which stuck out 10 mm into the right margin
(audit 9, A4): the reports of the README's undeliverable offer, of tiny at £20k and of a
long-named scenario keep every word and every card border inside the page's content box.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.require import require_or_skip
from tests.web.test_report import commission

ROOT = Path(__file__).resolve().parents[2]

MM = 72 / 25.4  # points per millimetre
RIGHT_MARGIN_MM = 15  # the template's @page margin
LEFT_MARGIN_MM = 15
PAGE_WIDTH_MM = 210  # A4
# A scenario folder's name is the report's scenario name: every character a CSS string or HTML escapes.
LONG_NAME = 'B&NES <Tiny> "Quoted" back\\slash Ünïcödé 认知症 & Sons Surgery, a name long enough to wrap'


def report(tmp_path: Path, scenario: Path, *options: str) -> Path:
    require_or_skip(
        shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None,
        "pdftotext and pdftoppm (poppler-utils) are not installed",
    )
    pdf = tmp_path / "report.pdf"
    done = subprocess.run(
        [commission(), "report", str(scenario), "--out", str(pdf), *options],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return pdf


@pytest.fixture(scope="module")
def somerset_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report of the bundled Somerset scenario, written by the console script."""
    return report(tmp_path_factory.mktemp("somerset-report"), ROOT / "data" / "somerset")


def pdftotext(pdf: Path, mode: str) -> str:
    return subprocess.run(["pdftotext", mode, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def somerset_report(somerset_pdf: Path) -> str:
    """The report as ``pdftotext -bbox`` gives it: each word with its position."""
    return pdftotext(somerset_pdf, "-bbox")


def words(bbox: str) -> list[tuple[float, float, float, str]]:
    """(page width, left edge, right edge, text) of every word."""
    found = []
    for page in re.finditer(r'<page width="([\d.]+)".*?</page>', bbox, re.S):
        width = float(page.group(1))
        for word in re.finditer(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', page.group(0)
        ):
            found.append((width, float(word.group(1)), float(word.group(2)), word.group(3)))
    return found


@pytest.fixture(scope="module")
def long_named(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/tiny in a folder called LONG_NAME."""
    scenario = tmp_path_factory.mktemp("long-named") / LONG_NAME
    shutil.copytree(ROOT / "data" / "tiny", scenario)
    return scenario


@pytest.fixture(scope="module", params=["undeliverable_offer", "tiny at 20k", "long name"])
def undeliverable_pdf(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Reports of offers that are not deliverable: each has lever cards, one to a row."""
    tmp_path = tmp_path_factory.mktemp("undeliverable-report")
    if request.param == "undeliverable_offer":  # the README's example (its chart is no wider than the page)
        return report(tmp_path, ROOT / "data" / "undeliverable_offer", "--frontier-points", "0")
    if request.param == "tiny at 20k":
        return report(tmp_path, ROOT / "data" / "tiny", "--budget", "20k")
    pdf: Path = request.getfixturevalue("long_named_pdf")
    return pdf


@pytest.fixture(scope="module")
def long_named_pdf(long_named: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return report(tmp_path_factory.mktemp("long-named-report"), long_named, "--budget", "20k", "--frontier-points", "0")


def inked_columns_in_the_side_margins(pdf: Path, tmp_path: Path) -> list[tuple[int, float]]:
    """(page, mm from the left edge) of every column of pixels in a side margin with anything drawn in it
    (a card's border as much as a word), on the pages drawn in grey at 72 dpi (a pixel a point)."""
    subprocess.run(["pdftoppm", "-r", "72", "-gray", str(pdf), str(tmp_path / "page")], check=True)
    inked = []
    for number, image in enumerate(sorted(tmp_path.glob("page*.pgm")), start=1):
        data = image.read_bytes()
        header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
        assert header, image
        width, height = int(header.group(1)), int(header.group(2))
        pixels = data[header.end() :]
        per_mm = width / PAGE_WIDTH_MM
        # A pixel's width either side of the content box's edges: an edge drawn on it may smear into the next.
        left, right = round(LEFT_MARGIN_MM * per_mm) - 1, round((PAGE_WIDTH_MM - RIGHT_MARGIN_MM) * per_mm) + 1
        for x in [*range(left), *range(right, width)]:
            if any(pixels[y * width + x] < 192 for y in range(height)):
                inked.append((number, round(x / per_mm, 1)))
    return inked


def test_every_word_of_an_undeliverable_report_is_inside_the_page_content_box(undeliverable_pdf: Path) -> None:
    placed = words(pdftotext(undeliverable_pdf, "-bbox"))
    assert placed
    outside = [
        text
        for width, left, right, text in placed
        if left < LEFT_MARGIN_MM * MM - 0.5 or right > width - RIGHT_MARGIN_MM * MM + 0.5
    ]
    assert outside == []


def test_nothing_of_an_undeliverable_report_is_drawn_in_the_side_margins(
    undeliverable_pdf: Path, tmp_path: Path
) -> None:
    """The lever cards' borders included: they stuck out 10 mm past the headings' rules."""
    text = pdftotext(undeliverable_pdf, "-layout")
    assert "What would make it deliverable" in text and "More money" in text
    assert inked_columns_in_the_side_margins(undeliverable_pdf, tmp_path) == []


def test_every_footer_gives_the_scenario_name_exactly(long_named_pdf: Path) -> None:
    """The footer's name was HTML-escaped in a CSS string ("B&amp;NES &lt;Tiny&gt;", the backslash lost;
    audit 9, A5); the header has it as written."""
    text = " ".join(pdftotext(long_named_pdf, "-raw").split())
    assert text.count(f"{LONG_NAME} · scenario ") == pages(long_named_pdf) >= 2
    assert "&amp;" not in text and "&lt;" not in text and "&#34;" not in text


def test_every_word_of_the_somerset_report_is_inside_the_page_margin(somerset_report: str) -> None:
    placed = words(somerset_report)
    assert placed
    outside = [text for width, _, right, text in placed if right > width - RIGHT_MARGIN_MM * MM + 0.5]
    assert outside == []


def test_the_fair_shares_table_shows_its_practices_in_full_and_every_column(somerset_report: str) -> None:
    text = " ".join(text for _, _, _, text in words(somerset_report))
    for expected in ("Gini", "90/10", "SYMPHONY SOUTH HEALTHCARE, L85004; its data carry a note)"):
        assert expected in text


def test_a_column_of_shares_is_at_one_precision(somerset_pdf: Path) -> None:
    """Each IMD quintile's mean coverage to one decimal (83.0% between 83.5% and 82.9%, not 83%), and
    its new FTE per 1,000 weighted patients to three (audit 10, #10: the column the CLI shows; quintiles
    2 and 3 both read £0.00 per weighted patient, but only 2 gains staff)."""
    layout = pdftotext(somerset_pdf, "-layout")
    quintile_rows = re.findall(r"^\s*([1-5])\s+\d+\s+£[\d.,]+\s+(\d+\.\d{3})\s+(\S+%)\s*$", layout, re.M)
    assert [quintile for quintile, _, _ in quintile_rows] == ["1", "2", "3", "4", "5"]
    assert all(re.fullmatch(r"\d+\.\d%", share) for _, _, share in quintile_rows), quintile_rows
    assert [fte for quintile, fte, _ in quintile_rows if quintile in "23"] == ["0.060", "0.000"]


def pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Pages:\s+(\d+)", info)
    assert found, info
    return int(found.group(1))


def test_the_somerset_report_is_three_pages(somerset_pdf: Path) -> None:
    """docs/desk.md: two or three A4 pages (the fair shares section had pushed the assumptions onto a fourth)."""
    assert pages(somerset_pdf) == 3
