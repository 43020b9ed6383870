"""`commission report` (the installed console script) and the report's view of a result."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.report.chart import frontier, nice_step
from optimiser.report.render import report_html
from optimiser.report.view import check_view, resolve
from tests.require import require_or_skip
from tests.web.conftest import tiny_document


def commission() -> str:
    script = Path(sys.executable).with_name("commission")
    return str(script) if script.exists() else "commission"


def run_report(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    scenario = tmp_path / "tiny.json"
    scenario.write_text(json.dumps(tiny_document()))
    return subprocess.run(
        [commission(), "report", str(scenario), *args], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )


def pdf_words(path: Path) -> str:
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_commission_report_writes_the_pdf_of_an_offer(tmp_path: Path) -> None:
    done = run_report(tmp_path, "--budget", "20k", "--out", "out/report.pdf")
    assert done.returncode == 0, done.stderr
    assert (
        "the offer of £20,000 a year is £17,000 short of the least cost of the specification, £37,000 a year"
        in done.stdout
    )
    words = pdf_words(tmp_path / "out" / "report.pdf")
    assert "NOT DELIVERABLE" in words
    assert "Least deliverable £37,000" in words and "Offer £20,000" in words
    assert "Scenario hash" in words and "HiGHS" in words and "primary-care-commissioning" in words
    # The practices most short of their share of the pooled offer, with the money each would need.
    assert "Practices most short" in words and "Share of the offer" in words and "Short by" in words
    assert "Practices needing more than an equal share of the offer per weighted patient" in words
    # F7: the money needed above an equal share is named apart from the shortfall, and offset
    assert "Needed above an equal share" in words and "which offsets it" in words
    assert "Fair shares: who gets what" in words and "£ per weighted patient" in words
    info = subprocess.run(["pdfinfo", str(tmp_path / "out" / "report.pdf")], capture_output=True, text=True).stdout
    assert 2 <= int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 3  # type: ignore[union-attr]


def test_commission_report_per_weighted_patient_and_bad_input(tmp_path: Path) -> None:
    done = run_report(tmp_path, "--offer-rate", "3.10", "--frontier-points", "0", "--out", "rate.pdf")
    assert done.returncode == 0, done.stderr
    assert "at £3.10 per weighted patient 1 practice cannot deliver the specification" in done.stdout
    words = pdf_words(tmp_path / "rate.pdf")
    assert "Practices that cannot deliver at the offered rate" in words and "P2" in words
    bad = run_report(tmp_path, "--budget", "lots", "--out", "bad.pdf")
    assert bad.returncode == 2 and "budget" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "bad.pdf").exists()


def test_no_answer_and_the_chart_numbers(runs: dict[str, Any]) -> None:
    result = {"deliverable": None, "status": "time_limit", "summary": wording.no_answer_summary("Time limit reached")}
    view = check_view(result)
    assert view.verdict_label == "NO ANSWER IN TIME"
    assert view.verdict.startswith("No answer in time: the solver stopped at its time limit without deciding")
    chart = frontier(runs["sweep"].result)
    assert chart is not None and chart.marked is not None
    documents = {"sweep": runs["sweep"].result}
    for row in chart.rows:
        for cell in row:
            if not isinstance(cell, str):
                assert cell.value == resolve(documents, cell.src)
    assert chart.marked.value == pytest.approx(37000) and chart.current is not None
    assert [nice_step(x) for x in (0.9, 3, 2100, 13e6 / 5)] == [1, 5, 2500, 5e6]
    html = report_html(check_view(runs["undeliverable"].result), chart)
    assert "Least deliverable £37,000" in html and "cannot be negative" not in html


def test_every_number_in_the_report_equals_the_jobs_json(runs: dict[str, Any]) -> None:
    """The report's numbers carry their JSON path, the new least-cost allocation's included."""
    data = re.compile(r'<data value="([^"]*)" data-src="([^"]*)">([^<]*)</data>')
    for run in ("deliverable", "undeliverable"):
        result = json.loads(json.dumps(runs[run].result))
        html = report_html(check_view(result), None)
        numbers = data.findall(html)
        sources = {src for _value, src, _text in numbers}
        for value, src, text in numbers:
            assert float(value) == float(resolve({"result": result}, src)), (src, value)
            assert text.strip(), src
        assert "least_cost_allocation.distribution.spend_gbp_per_weighted_patient.max" in sources
        if run == "undeliverable":
            assert "least_cost_allocation.most_short.0.shortfall_gbp" in sources
            assert "least_cost_allocation.most_short.0.spend_gbp" in sources
        # Money per practice, deliverable or not: need, share of the offer and shortfall.
        assert "least_cost_allocation.practices_short" in sources
        # Only the practices short of their share are listed, deliverable or not (no "Short by £0.00").
        shares = [src for src in sources if src.endswith(".offer_share_gbp")]
        most_short = result["least_cost_allocation"]["most_short"]
        assert len(shares) == sum(1 for item in most_short if item["shortfall_gbp"] > 0)


def test_the_practices_heading_is_never_left_alone_at_the_foot_of_a_page(runs: dict[str, Any]) -> None:
    """The frontier note above the section grows a line at a time, moving "Practices most short" down
    page 1 and over the page break; wherever it lands, its first practice is on the same page."""
    from optimiser.report.render import report_pdf

    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    view = check_view(runs["undeliverable"].result)
    view.levers = []  # a shorter page 1, so that the section starts on it and then moves over
    first = str(view.practices[0][0])
    landed = set()
    for lines in range(0, 60, 4):
        note = " ".join(f"Line {i} of a long note that pushes the practices down the page." for i in range(lines))
        pdf = report_pdf(view, None, note or None)
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        pages = text.split("\f")
        heading = next(i for i, page in enumerate(pages) if "Practices most short" in page)
        after = pages[heading].split("Practices most short", 1)[1]
        assert f"\n{first}\n" in after, (lines, heading)
        landed.add(heading)
    assert landed == {0, 1}, "the note must move the section across the page break"
