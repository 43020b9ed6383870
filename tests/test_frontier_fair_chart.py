"""The desk's and the PDF's frontier chart draws what the budget sweep maximises: value-weighted
coverage for a max_value sweep, the lowest practice's coverage (``lowest_coverage``) for a
fair-shares sweep (objective max_min_coverage, docs/fairness.md), with its axis, legend, caption
and table saying so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.chart import frontier
from optimiser.runs import run_job

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def sweeps() -> dict[str, dict[str, Any]]:
    document = read_document(REPO / "data" / "tiny")
    return {
        objective: run_job("sweep", document, {"budget": "20000:60000:3", "objective": objective}).result
        for objective in ("max_value", "max_min_coverage")
    }


def sources(chart: Any) -> set[str]:
    return {cell.src for row in chart.rows for cell in row if not isinstance(cell, str)}


def test_a_fair_shares_chart_draws_the_lowest_practices_coverage(sweeps: dict[str, dict[str, Any]]) -> None:
    sweep = sweeps["max_min_coverage"]
    answered = [i for i, p in enumerate(sweep["points"]) if p.get("lowest_coverage") is not None]
    assert len(answered) >= 2, sweep["points"]
    chart = frontier(sweep)
    assert chart is not None
    assert {f"sweep:points.{i}.lowest_coverage" for i in answered} <= sources(chart)
    assert not any("weighted_coverage" in src for src in sources(chart))
    assert chart.columns[1:] == list(wording.REPORT_CHART_FAIR_COLUMNS)
    assert wording.REPORT_CHART["fair_coverage_axis"] in chart.svg
    assert wording.REPORT_CHART["fair_with_standards"] in chart.svg
    assert wording.REPORT_CHART["coverage_axis"] not in chart.svg
    assert wording.REPORT_CHART["without_standards"] not in chart.svg
    lines = [line for line, _what, _amount in chart.caption]
    # The dashed line is the lowest coverage without the standards (tests/test_fair_frontier_without_standards.py).
    assert lines[:2] == ["Solid line, round markers:", "Dashed line, square markers:"]
    assert chart.caption[0][1].startswith("the coverage of the practice covered least")
    # The solid line's points (drawn after the dashed one) are the lowest coverages: its y is the share of the plot's height.
    polyline = chart.svg.split('<polyline points="')[2].split('"')[0]
    ys = [float(pair.split(",")[1]) for pair in polyline.split()]
    top, bottom = 46, 350 - 76
    assert [(bottom - y) / (bottom - top) for y in ys] == pytest.approx(
        [sweep["points"][i]["lowest_coverage"] for i in answered], abs=1e-3
    )


def test_a_max_value_chart_still_draws_the_value_weighted_coverage(sweeps: dict[str, dict[str, Any]]) -> None:
    sweep = sweeps["max_value"]
    chart = frontier(sweep)
    assert chart is not None
    answered = [i for i, p in enumerate(sweep["points"]) if p.get("weighted_coverage") is not None]
    assert answered
    assert {f"sweep:points.{i}.weighted_coverage" for i in answered} <= sources(chart)
    assert not any("lowest_coverage" in src for src in sources(chart))
    assert chart.columns[1:] == list(wording.REPORT_CHART_COLUMNS)
    assert wording.REPORT_CHART["coverage_axis"] in chart.svg
    assert wording.REPORT_CHART["fair_coverage_axis"] not in chart.svg
    assert "the most the money buys" in chart.caption[0][1]
