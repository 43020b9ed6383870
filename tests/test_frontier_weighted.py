"""The frontier chart plots what the budget sweep maximises (audit 9, A3).

The sweep maximises value (each covered patient counted at their service's value weight), so the
desk's and the PDF's chart draw ``weighted_coverage``: the point's value as a share of the value of
covering every eligible patient. With services of unequal weights the unweighted coverage of the
plan without the standards can lie below the plan with them; the value-weighted one never does.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.programme import Programme
from optimiser.report.chart import frontier
from optimiser.runs import load_scenario, run_job

REPO = Path(__file__).resolve().parents[1]


def with_weights(document: dict[str, Any], weights: dict[str, float]) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    for service in changed["services"]:
        if service["service_id"] in weights:
            service["value_weight"] = str(weights[service["service_id"]])
    return changed


def test_with_equal_weights_the_weighted_coverage_is_the_coverage() -> None:
    document = read_document(REPO / "data" / "tiny")
    # Every service weighted 3, not 1: the share does not depend on the common weight.
    equal = with_weights(document, {s["service_id"]: 3.0 for s in document["services"]})
    points = run_job("sweep", equal, {"budget": "20000:60000:3"}).result["points"]
    compared = 0
    for point in points:
        for prefix in ("", "no_standards_"):
            if point.get(f"{prefix}value") is not None:
                assert point[f"{prefix}weighted_coverage"] == pytest.approx(point[f"{prefix}coverage"], rel=1e-9)
                compared += 1
    assert compared >= 4, points  # both lines, at more than one budget


@pytest.fixture(scope="module")
def zero_weight() -> dict[str, Any]:
    """The audit's one-cell reproduction: example_icb with medication_reviews' value weight 0."""
    document = with_weights(read_document(REPO / "data" / "example_icb"), {"medication_reviews": 0.0})
    return run_job("sweep", document, {"budget": "9m:15m:4"}).result


def test_with_one_weight_zero_the_line_without_the_standards_is_never_below(zero_weight: dict[str, Any]) -> None:
    points = [p for p in zero_weight["points"] if p.get("value") is not None]
    assert len(points) >= 2, zero_weight["points"]
    # The premise: unweighted, the plan without the standards covers fewer eligible patients (£13m).
    assert any(p["no_standards_coverage"] < p["coverage"] for p in points)
    for p in points:
        assert p["no_standards_weighted_coverage"] >= p["weighted_coverage"]
    # One denominator for every point and both lines: the value of covering every eligible patient.
    full = {round(p[f"{k}value"] / p[f"{k}weighted_coverage"], 3) for p in points for k in ("", "no_standards_")}
    assert len(full) == 1, full


def test_the_full_value_is_the_users_eligible_patients_at_their_weights(zero_weight: dict[str, Any]) -> None:
    point = next(p for p in zero_weight["points"] if p.get("value") is not None)
    document = with_weights(read_document(REPO / "data" / "example_icb"), {"medication_reviews": 0.0})
    data = Programme(load_scenario(document)).data
    full = sum(data.value_weight[s] * eligible for (_practice, s), eligible in data.eligible.items())
    assert point["value"] / point["weighted_coverage"] == pytest.approx(full, rel=1e-9)


def test_the_chart_draws_and_tabulates_the_weighted_coverage(zero_weight: dict[str, Any]) -> None:
    chart = frontier(zero_weight)
    assert chart is not None
    sources = {cell.src for row in chart.rows for cell in row if not isinstance(cell, str)}
    answered = [i for i, p in enumerate(zero_weight["points"]) if p.get("value") is not None]
    assert {f"sweep:points.{i}.weighted_coverage" for i in answered} <= sources
    assert not any(src.endswith((".coverage", ".no_standards_coverage")) for src in sources)
    # The caption names the lines drawn: both coverages, the scenario's budget and the least deliverable one.
    lines = [line for line, _what, _amount in chart.caption]
    assert lines == [
        "Solid line, round markers:",
        "Dashed line, square markers:",
        "Dashed vertical line:",
        "Solid vertical line:",
    ]
    assert "the most the money buys" in chart.caption[1][1]


def test_a_chart_below_the_least_deliverable_budget_names_only_the_line_it_draws(zero_weight: dict[str, Any]) -> None:
    below = {**zero_weight, "points": [p for p in zero_weight["points"] if p.get("value") is None], "current": None}
    chart = frontier(below)
    assert chart is not None
    assert [line for line, _what, _amount in chart.caption] == ["Dashed line, square markers:", "Solid vertical line:"]
    assert chart.caption[0][1].startswith("the value of the eligible patients covered")
    assert wording.REPORT_CHART["with_standards"] not in chart.svg


def test_the_sweep_pngs_coverage_panel_draws_what_its_legend_names(zero_weight: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt
    import pandas as pd

    from optimiser.sweep import frontier_figure

    table = pd.DataFrame(zero_weight["points"])
    figure = frontier_figure(zero_weight, table)
    try:
        coverage = figure.axes[1]
        lines = {line.get_label(): list(line.get_ydata()) for line in coverage.get_lines()}
        labels = wording.CHART
        for label, column in (
            (labels["all_services"], "weighted_coverage"),
            (labels["all_services_without_standards"], "no_standards_weighted_coverage"),
        ):
            assert lines[label] == pytest.approx(list(table[column]), nan_ok=True)
        legend = coverage.get_legend()
        assert legend.get_title().get_text() == labels["coverage_legend_title"]
        assert [t.get_text() for t in legend.get_texts()][:2] == [
            labels["all_services"],
            labels["all_services_without_standards"],
        ]
    finally:
        plt.close(figure)
