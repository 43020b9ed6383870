"""The desk's and the PDF's frontier chart writes its budget axis in £bn once it reaches £1bn, as
money reads in £bn from £999,995,000 (models.formats.money): "£1.5bn", never "£1,500m"."""

from __future__ import annotations

from optimiser.deliverability import wording
from optimiser.report.chart import frontier


def test_ticks_reaching_a_billion_read_in_bn() -> None:
    ticks = [0.0, 5e8, 1e9, 1.5e9]
    assert wording.report_chart_ticks(ticks, pooled=True) == ["£0", "£0.5bn", "£1.0bn", "£1.5bn"]
    assert wording.report_chart_ticks([0.0, 2.5e8, 5e8, 7.5e8, 1e9], pooled=True) == [
        "£0",
        "£0.25bn",
        "£0.50bn",
        "£0.75bn",
        "£1.00bn",
    ]


def test_ticks_below_a_billion_stay_in_m_and_small_ones_in_full() -> None:
    assert wording.report_chart_ticks([0.0, 2e8, 4e8, 6e8, 8e8], pooled=True) == [
        "£0",
        "£200m",
        "£400m",
        "£600m",
        "£800m",
    ]
    assert wording.report_chart_ticks([0.0, 5e5, 1e6], pooled=True) == ["£0", "£0.5m", "£1.0m"]
    assert wording.report_chart_ticks([0.0, 200.0, 400.0], pooled=True) == ["£0", "£200", "£400"]
    # Offer rates per weighted patient are never in £m or £bn.
    assert all("bn" not in tick and "m" not in tick for tick in wording.report_chart_ticks([0.0, 50.0], pooled=False))


def test_the_chart_of_a_national_sweep_reads_in_bn() -> None:
    points = [
        {"budget_gbp": b, "deliverable": b >= 1.2e9, "weighted_coverage": min(1.0, b / 1.5e9)}
        for b in (0.0, 4e8, 8e8, 1.2e9, 1.6e9)
    ]
    sweep = {"sweep": "budget", "x": "budget_gbp", "objective": "max_value", "points": points, "marked": 1.2e9}
    chart = frontier(sweep)
    assert chart is not None
    assert "£1.0bn" in chart.svg and "£1.5bn" in chart.svg
    assert "£1,000m" not in chart.svg and "£1,500m" not in chart.svg
