"""The sweep's PNG chart shows small pooled budgets at a precision that tells its ticks apart.

A per-practice scenario swept over small pooled budgets (£10,000 to £12,000) drew its budget axis
as "£0.01m", "£0.01m", "£0.011m", …: each tick in £m rounded to 3 decimals on its own, so
£10,500 read as £0.01m (rounded down, and the same as £10,000). Now every tick of a £m axis
has the same decimals, the fewest that show each exactly to the penny (``millions_ticks``).
The tests read the drawn tick labels, not pixels.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import matplotlib
import pytest

from optimiser.deliverability.wording import CHART, millions_ticks
from optimiser.io import read_document
from optimiser.runs import run_job
from optimiser.sweep import frontier_figure
from tests.console import REPO

matplotlib.use("Agg")

TINY = REPO / "data" / "tiny"


def per_practice_tiny() -> dict[str, Any]:
    """The hand-solved tiny scenario, offered per practice (£10 per weighted patient)."""
    document = copy.deepcopy(read_document(TINY))
    settings = document["settings"]
    settings.pop("budget_gbp", None)
    settings.update(budget_mode="per_practice", offer_rate_gbp_per_weighted_patient=10.0)
    return document


def drawn_ticks(axis: Any, which: str) -> list[tuple[float, str]]:
    """The (location, text) of every labelled tick on ``axis``'s x or y axis inside its view."""
    low, high = axis.get_xlim() if which == "x" else axis.get_ylim()
    ticks = axis.get_xticklabels() if which == "x" else axis.get_yticklabels()
    located = [(tick.get_position()[0 if which == "x" else 1], tick.get_text()) for tick in ticks]
    return [(where, text) for where, text in located if text and low <= where <= high]


def pounds(text: str) -> float:
    """A tick's amount in £ ("£0.0105m" → 10,500)."""
    assert text.startswith("£"), text
    return float(text.strip("£m").replace(",", "")) * 1e6


def assert_ticks_tell_apart_and_never_round_down(ticks: list[tuple[float, str]]) -> None:
    assert len(ticks) >= 3, ticks
    texts = [text for _, text in ticks]
    assert len(set(texts)) == len(texts), texts  # no two ticks read alike
    for where, text in ticks:
        assert text.endswith("m"), text
        # Shown exactly (these ticks are whole pounds): neither rounded down nor up.
        assert pounds(text) == pytest.approx(where * 1e6, abs=0.005), (where, text)
    decimals = {len(text.strip("£m").partition(".")[2]) for text in texts}
    assert len(decimals) == 1, texts  # one precision along the axis


@pytest.fixture(scope="module")
def small_budget_sweep() -> Any:
    job = run_job("sweep", per_practice_tiny(), {"budget": "10k:12k:5"})
    return job.result, job.tables["sweep_budget"]


def test_the_premise_is_a_per_practice_scenario_swept_over_small_pooled_budgets(small_budget_sweep: Any) -> None:
    result, table = small_budget_sweep
    assert result["x"] == "budget_gbp"
    assert list(table["budget_gbp"]) == [10_000, 10_500, 11_000, 11_500, 12_000]


def test_a_small_pooled_budget_axis_tells_its_ticks_apart(small_budget_sweep: Any) -> None:
    result, table = small_budget_sweep
    figure = frontier_figure(result, table)
    figure.canvas.draw()
    _top, bottom = figure.axes
    ticks = drawn_ticks(bottom, "x")
    assert_ticks_tell_apart_and_never_round_down(ticks)
    assert "£0.01m" not in [text for _, text in ticks]  # what it used to show for £10,000 and £10,500 alike
    assert "£m" in bottom.get_xlabel()


def test_a_panel_with_nothing_labelled_has_no_legend(small_budget_sweep: Any) -> None:
    """Below the least deliverable budget no point meets the standards: the coverage panel holds
    the least-deliverable line, unlabelled, and the coverage without the standards (audit 9, A3:
    it used to hold only the unlabelled line and get an empty legend box, with matplotlib's "No
    artists with labels found to put in legend" warning). Its legend names only that line; so does
    the value panel's, which used to name the value with the standards too, a line with no point."""
    result, table = small_budget_sweep
    assert "value" not in table or table["value"].isna().all()  # no point meets the standards
    assert table["no_standards_value"].notna().all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        figure = frontier_figure(result, table)
    top, bottom = figure.axes
    assert [text.get_text() for text in bottom.get_legend().get_texts()] == [CHART["all_services_without_standards"]]
    assert [text.get_text() for text in top.get_legend().get_texts()] == [CHART["value_without_standards"]]
    assert [line.get_label() for line in top.get_lines() if not line.get_label().startswith("_")] == [
        CHART["value_without_standards"]
    ]


def test_a_budget_axis_of_a_few_thousand_pounds_tells_its_ticks_apart() -> None:
    """£40,000 to £40,400 (from the least deliverable budget, £37,000): ticks every £500 read
    "£0.0370m", "£0.0375m", … (3 decimals each on its own read £37,500 as "£0.037m", as £37,000)."""
    result, table = run_sweep_table({"budget": "40k:40.4k:3"})
    figure = frontier_figure(result, table)
    figure.canvas.draw()
    ticks = drawn_ticks(figure.axes[-1], "x")
    assert_ticks_tell_apart_and_never_round_down(ticks)
    assert ("£0.0375m" in [text for _, text in ticks]) and result["marked"] == 37_000


def test_a_small_least_cost_axis_tells_its_ticks_apart() -> None:
    """The standards sweep's least-cost axis (tiny: £0 to £37,000) reads in £m the same way."""
    result, table = run_sweep_table({"standards": "0.6:1:5"})
    figure = frontier_figure(result, table)
    figure.canvas.draw()
    (axis,) = figure.axes
    assert_ticks_tell_apart_and_never_round_down(drawn_ticks(axis, "y"))


def run_sweep_table(overrides: dict[str, Any]) -> tuple[dict[str, Any], Any]:
    job = run_job("sweep", per_practice_tiny(), overrides)
    (table,) = job.tables.values()
    return job.result, table


@pytest.mark.parametrize(
    ("millions", "shown"),
    [
        ([0.01, 0.0105, 0.011], ["£0.0100m", "£0.0105m", "£0.0110m"]),
        ([0.0, 0.5, 1.0, 1.5], ["£0.0m", "£0.5m", "£1.0m", "£1.5m"]),
        ([-0.02, 0.0, 0.02], ["£-0.02m", "£0.00m", "£0.02m"]),  # matplotlib's margin below £0
        ([10.0, 20.0], ["£10m", "£20m"]),
        ([0.015000000000000001, 0.02], ["£0.015m", "£0.020m"]),  # float noise is not a decimal
        ([1_250.0, 1_250.5], ["£1,250.0m", "£1,250.5m"]),
        # Between pennies (£123,456.789): to the penny above, never below.
        ([0.123456789], ["£0.12345679m"]),
    ],
)
def test_millions_ticks(millions: list[float], shown: list[str]) -> None:
    assert millions_ticks(millions) == shown
