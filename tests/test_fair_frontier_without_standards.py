"""A fair-shares budget sweep (objective max_min_coverage, docs/fairness.md) records the highest
lowest coverage without the standards too (``no_standards_lowest_coverage``), and its charts (the
desk's and the PDF's SVG, the sweep command's PNG) draw it as the max_value charts draw their line
without the standards: dashed, named in the legend and the caption."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.chart import frontier
from optimiser.runs import run_job
from optimiser.sweep import frontier_figure

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def fair() -> Any:
    document = read_document(REPO / "data" / "tiny")
    return run_job("sweep", document, {"budget": "20000:60000:3", "objective": "max_min_coverage"})


def test_each_point_records_the_lowest_coverage_without_the_standards(fair: Any) -> None:
    points = fair.result["points"]
    free = [p["no_standards_lowest_coverage"] for p in points]
    assert all(value is not None for value in free), points
    both = [p for p in points if p.get("lowest_coverage") is not None]
    assert both, points
    for p in both:
        # Lifting the standards can only raise the highest lowest coverage.
        assert p["no_standards_lowest_coverage"] >= p["lowest_coverage"] - 1e-9, p
    # Below the least deliverable budget the standards cannot be met; without them the money still buys coverage.
    assert any(p.get("lowest_coverage") is None for p in points), points
    assert free == sorted(free)
    assert "no_standards_lowest_coverage" in fair.tables["sweep_budget"].columns


def test_a_max_value_sweep_has_no_such_column() -> None:
    document = read_document(REPO / "data" / "tiny")
    job = run_job("sweep", document, {"budget": "20000:60000:3"})
    assert all("no_standards_lowest_coverage" not in p for p in job.result["points"])


def test_the_report_chart_draws_the_line_without_the_standards(fair: Any) -> None:
    sweep = fair.result
    chart = frontier(sweep)
    assert chart is not None
    assert wording.REPORT_CHART["fair_without_standards"] in chart.svg
    # Dashed, square markers, as the max_value chart's line without the standards.
    free = chart.svg.split('<polyline points="')[1].split('"')[0]
    assert 'class="free"' in chart.svg.split('<polyline points="')[1].split("/>")[0]
    ys = [float(pair.split(",")[1]) for pair in free.split()]
    top, bottom = 46, 350 - 76
    assert [(bottom - y) / (bottom - top) for y in ys] == pytest.approx(
        [p["no_standards_lowest_coverage"] for p in sweep["points"]], abs=1e-3
    )
    lines = [line for line, _what, _amount in chart.caption]
    assert lines[:2] == ["Solid line, round markers:", "Dashed line, square markers:"]
    assert "standards lifted" in chart.caption[1][1]
    assert chart.columns[1:] == list(wording.REPORT_CHART_FAIR_COLUMNS) and len(chart.columns) == 4
    sources = {cell.src for row in chart.rows for cell in row if not isinstance(cell, str)}
    assert {f"sweep:points.{i}.no_standards_lowest_coverage" for i in range(len(sweep["points"]))} <= sources


def test_the_sweep_png_draws_the_line_without_the_standards(fair: Any) -> None:
    import matplotlib.pyplot as plt

    figure = frontier_figure(fair.result, fair.tables["sweep_budget"])
    try:
        top = figure.axes[0]
        labels = [line.get_label() for line in top.get_lines()]
        assert wording.CHART["lowest_coverage_without_standards"] in labels
        line = top.get_lines()[labels.index(wording.CHART["lowest_coverage_without_standards"])]
        assert line.get_linestyle() == "--"
        assert list(line.get_ydata()) == pytest.approx(
            [p["no_standards_lowest_coverage"] for p in fair.result["points"]]
        )
    finally:
        plt.close(figure)


def test_the_legend_entries_do_not_overlap(fair: Any) -> None:
    """The fair-shares legend's first entry is longer than the 250 px the second used to start at."""
    import re

    from optimiser.report.chart import HEIGHT, TICK_CHARACTER_WIDTH

    chart = frontier(fair.result)
    assert chart is not None
    texts = re.findall(rf'<text x="([\d.]+)" y="{HEIGHT - 12 + 4}"[^>]*>([^<]+)</text>', chart.svg)
    assert [text for _x, text in texts] == [
        wording.REPORT_CHART["fair_with_standards"],
        wording.REPORT_CHART["fair_without_standards"],
    ]
    (first_x, first), (second_x, _second) = texts
    second_line = re.findall(rf'<line x1="([\d.]+)" y1="{HEIGHT - 12}"', chart.svg)[1]
    assert float(second_line) >= float(first_x) + TICK_CHARACTER_WIDTH * len(first)
    assert float(second_x) > float(second_line)
