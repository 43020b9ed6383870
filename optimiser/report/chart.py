"""The frontier chart as inline SVG, drawn from a budget sweep's result JSON.

Budget (or offer rate) across, what the sweep maximises up: value-weighted coverage (the value
covered as a share of the value of covering every eligible patient), or under fair shares
(max_min_coverage, docs/fairness.md) the lowest practice's coverage; the offer and the least
deliverable budget are vertical lines, each labelled in words and drawn with its own dash
pattern so colour never carries the meaning alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from models.schema import OFFER_SETTINGS
from optimiser.deliverability import wording
from optimiser.deliverability.wording import REPORT_CHART as LABELS
from optimiser.deliverability.wording import percent, report_chart_amount
from optimiser.report.view import Num
from optimiser.units import SWEEP_RANGES

WIDTH, HEIGHT = 640, 350
# The lines drawn: the sweep's value-weighted coverage with every minimum standard met, and without them.
WITH, WITHOUT = "weighted_coverage", "no_standards_weighted_coverage"
# A fair-shares sweep's lines: the lowest practice's coverage, the highest the money can raise it,
# with the standards and without them (not the plan's value-weighted coverage: not what it maximised).
LOWEST, LOWEST_WITHOUT = "lowest_coverage", "no_standards_lowest_coverage"
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 46, 76
# Presentation attributes, not only classes: a PDF renderer does not apply the page's CSS to SVG.
STYLE = {
    "grid": 'stroke="#e0e0e0" stroke-width="1"',
    "axis": 'stroke="#333333" stroke-width="1"',
    "tick": 'font-size="11" fill="#222222"',
    "label": 'font-size="12" fill="#111111"',
    "mark-label": 'font-size="12" font-weight="bold" fill="#111111"',
    "met": 'stroke="#1a4f8b" stroke-width="2.5"',
    "free": 'stroke="#666666" stroke-width="1.8" stroke-dasharray="6 4"',
    "met dot": 'fill="#1a4f8b" stroke="#1a4f8b"',
    "free dot": 'fill="#ffffff" stroke="#555555" stroke-width="1.5"',
    "offer": 'stroke="#a4001d" stroke-width="2.2" stroke-dasharray="8 5"',
    "least": 'stroke="#111111" stroke-width="2.2"',
}


def _style(css: str) -> str:
    return f'class="{css}" {STYLE[css]}'


@dataclass
class Frontier:
    svg: Markup  # the desk page's: titled, described by ``alternative``
    print_svg: Markup  # the PDF's: its title is the whole alternative text
    columns: list[str]
    rows: list[list[Num | str]]
    marked: Num | None
    current: Num | None
    summary: str
    # What the caption says is drawn, line by line: (what, whose meaning, its amount or None).
    caption: list[tuple[str, str, Num | None]]
    alternative: str  # the chart in words: the summary and where each line starts and ends
    swept: str  # what the sweep varied: "budget" or "offer-rate"


def nice_step(raw: float) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) near ``raw``."""
    if raw <= 0:
        return 1.0
    # An int for a power of ten ≥ 1, a float below: a float either way.
    power: float = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def frontier(sweep: dict[str, Any], title: str = LABELS["title"]) -> Frontier | None:
    """The chart and its data table, or None if the sweep has no points."""
    points = sweep.get("points") or []
    column = str(sweep.get("x", "budget_gbp"))
    # A frontier over money: a budget or an offer-rate sweep (optimiser.sweep.is_money_sweep), not the standards.
    if not points or SWEEP_RANGES.get(str(sweep.get("sweep"))) is None:
        return None
    fair = sweep.get("objective") == "max_min_coverage"
    with_key, without_key = (LOWEST, LOWEST_WITHOUT) if fair else (WITH, WITHOUT)
    series_keys = (with_key, without_key)
    drawn = [key for key in series_keys if any(p.get(key) is not None for p in points)]
    if not drawn:
        # Not a point answered (a check with no answer in time): no empty axes under a full legend.
        return None
    pooled = column == "budget_gbp"
    marked_value = sweep.get("marked")
    current_value = sweep.get("current")
    xs = [float(p[column]) for p in points if p.get(column) is not None]
    x_max = max([*xs, float(marked_value or 0), float(current_value or 0)]) * 1.05 or 1.0

    def sx(x: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * x / x_max

    def sy(y: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - y)

    parts: list[str] = []
    # Axes and grid
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = sy(tick)
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" {_style("grid")}/>')
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" {_style("tick")}>{percent(tick, 0)}</text>'
        )
    step = nice_step(x_max / 5)
    tick_values = [step * i for i in range(int(x_max / step) + 1)]
    for x_value, tick_text in zip(tick_values, wording.report_chart_ticks(tick_values, pooled), strict=True):
        x = sx(x_value)
        parts.append(f'<line x1="{x:.1f}" y1="{sy(0):.1f}" x2="{x:.1f}" y2="{sy(0) + 5:.1f}" {_style("axis")}/>')
        parts.append(
            f'<text x="{x:.1f}" y="{sy(0) + 18:.1f}" text-anchor="middle" {_style("tick")}>{escape(tick_text)}</text>'
        )
    parts.append(f'<line x1="{LEFT}" y1="{sy(0):.1f}" x2="{WIDTH - RIGHT}" y2="{sy(0):.1f}" {_style("axis")}/>')
    parts.append(f'<line x1="{LEFT}" y1="{sy(0):.1f}" x2="{LEFT}" y2="{sy(1):.1f}" {_style("axis")}/>')
    x_label = LABELS["budget_axis" if pooled else "offer_axis"]
    parts.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.1f}" y="{sy(0) + 36:.1f}" text-anchor="middle" {_style("label")}>'
        f"{escape(x_label)}</text>"
    )
    y_label = LABELS["fair_coverage_axis" if fair else "coverage_axis"]
    parts.append(
        f'<text x="14" y="{(TOP + HEIGHT - BOTTOM) / 2:.1f}" text-anchor="middle" {_style("label")} '
        f'transform="rotate(-90 14 {(TOP + HEIGHT - BOTTOM) / 2:.1f})">{escape(y_label)}</text>'
    )

    def series(key: str, css: str, marker: str) -> None:
        coords = [
            (sx(float(p[column])), sy(float(p[key])))
            for p in points
            if p.get(key) is not None and p.get(column) is not None
        ]
        if not coords:
            return
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" {_style(css)} fill="none"/>')
        for x, y in coords:
            if marker == "circle":
                parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" {_style(css + " dot")}/>')
            else:
                parts.append(f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" {_style(css + " dot")}/>')

    series(without_key, "free", "square")
    series(with_key, "met", "circle")

    offer = wording.report_chart_offer(report_chart_amount(float(current_value), pooled)) if current_value else ""
    least = (
        wording.report_chart_least_deliverable(report_chart_amount(float(marked_value), pooled, least=True))
        if marked_value is not None
        else ""
    )
    marks = [
        (sx(float(value)), css, text)
        for value, css, text in [(current_value, "offer", offer), (marked_value, "least", least)]
        if value is not None
    ]
    for x, anchor, css, text, row in _mark_labels(marks):
        label_y = TOP - 26 + 14 * row
        # Each line runs up beside its own label and stops there: a label on the top row may pass
        # over the other line's top, never through it.
        parts.append(f'<line x1="{x:.1f}" y1="{sy(0):.1f}" x2="{x:.1f}" y2="{label_y - 11:.1f}" {_style(css)}/>')
        dx = -4 if anchor == "end" else 4
        parts.append(
            f'<text x="{x + dx:.1f}" y="{label_y}" text-anchor="{anchor}" {_style("mark-label")}>{escape(text)}</text>'
        )
    # Legend: the lines drawn, and no other.
    legend_y = HEIGHT - 12
    at = float(LEFT)
    for key in drawn:
        css, label = {
            WITH: ("met", "with_standards"),
            LOWEST: ("met", "fair_with_standards"),
            LOWEST_WITHOUT: ("free", "fair_without_standards"),
        }.get(key, ("free", "without_standards"))
        parts.append(f'<line x1="{at:.0f}" y1="{legend_y}" x2="{at + 24:.0f}" y2="{legend_y}" {_style(css)}/>')
        parts.append(f'<text x="{at + 30:.0f}" y="{legend_y + 4}" {_style("tick")}>{escape(LABELS[label])}</text>')
        # The next entry starts 250 px on, or after this one's words where they are longer.
        at = max(at + 250, at + 30 + TICK_CHARACTER_WIDTH * len(LABELS[label]) + 24)

    description = str(sweep.get("summary", ""))
    spans = []
    for key in drawn:
        answered = sorted(
            (p for p in points if p.get(key) is not None and p.get(column) is not None), key=lambda p: float(p[column])
        )
        first, last = answered[0], answered[-1]
        spans.append(
            (
                key,
                report_chart_amount(float(first[column]), pooled),
                wording.table_share(float(first[key])),
                report_chart_amount(float(last[column]), pooled),
                wording.table_share(float(last[key])),
            )
        )
    alternative = wording.report_chart_alternative(description, spans)

    def drawing(title_text: str) -> Markup:
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="frontier" role="img" '
            f'aria-labelledby="frontier-title frontier-desc" font-family="DejaVu Sans, Arial, sans-serif">'
            f'<title id="frontier-title">{escape(title_text)}</title>'
            f'<desc id="frontier-desc">{escape(alternative)}</desc>' + "".join(parts) + "</svg>"
        )

    rows: list[list[Num | str]] = []
    for i, p in enumerate(points):
        rows.append(
            [
                Num(p.get(column), report_chart_amount(float(p[column]), pooled), f"sweep:points.{i}.{column}"),
                LABELS["deliverable" if p.get("deliverable") else "not_deliverable"],
                *(_coverage_num(p, i, key) for key in series_keys),
            ]
        )
    columns = [
        wording.report_chart_x_column(pooled),
        *(wording.REPORT_CHART_FAIR_COLUMNS if fair else wording.REPORT_CHART_COLUMNS),
    ]
    marked = (
        Num(marked_value, report_chart_amount(float(marked_value), pooled, least=True), "sweep:marked")
        if marked_value is not None
        else None
    )
    current = (
        Num(current_value, report_chart_amount(float(current_value), pooled), "sweep:current")
        if current_value is not None
        else None
    )
    caption = wording.report_chart_caption(
        with_standards=with_key in drawn,
        without_standards=without_key in drawn,
        fair=fair,
        pooled=pooled,
        offer=current,
        least=marked,
    )
    return Frontier(
        svg=drawing(title),
        # A tagged PDF's Figure takes its alternative text from the SVG's title alone (WeasyPrint reads no desc).
        print_svg=drawing(f"{title}. {alternative}"),
        columns=columns,
        rows=rows,
        marked=marked,
        current=current,
        summary=description,
        caption=caption,
        alternative=alternative,
        swept=wording.report_chart_swept(pooled),
    )


# Width of a bold 12 px DejaVu Sans character, on average: enough to tell whether a label fits.
MARK_CHARACTER_WIDTH = 7.6
# Width of an 11 px DejaVu Sans character (a legend entry), on average, a little over.
TICK_CHARACTER_WIDTH = 6.5


def _mark_labels(marks: list[tuple[float, str, str]]) -> list[tuple[float, str, str, str, int]]:
    """Where each vertical line's label goes: (x, text-anchor, css, text, row) for each (x, css, text).

    Of two lines, the left one's label is written to its left and the right one's to its right, so
    neither lies between the lines. A label that would leave the chart is written to the other side
    instead, across the other line: it then takes the top row (0), and the line it crosses stops
    below it, at its own label on the row under it (1).
    """
    ordered = sorted(marks)
    labels = []
    for index, (x, css, text) in enumerate(ordered):
        written_left = index == 0 if len(ordered) == 2 else x > WIDTH * 0.6
        preferred = "end" if written_left else "start"
        width = MARK_CHARACTER_WIDTH * len(text) + 4
        fits = x - width >= 0 if preferred == "end" else x + width <= WIDTH
        labels.append((x, preferred if fits else ("start" if preferred == "end" else "end"), css, text, fits))
    crossed = not all(fits for *_, fits in labels)
    rows = [(1 if fits else 0) for *_, fits in labels] if crossed else list(range(len(labels)))
    return [(x, anchor, css, text, row) for (x, anchor, css, text, _), row in zip(labels, rows, strict=True)]


def _coverage_num(point: dict[str, Any], index: int, key: str) -> Num | str:
    value = point.get(key)
    if value is None:
        without = key in (WITHOUT, LOWEST_WITHOUT)
        return LABELS["no_coverage_without_standards" if without else "no_coverage_with_standards"]
    # A table column: one precision down the column (82.0% beside 80.8%, never 82%).
    return Num(value, wording.table_share(float(value)), f"sweep:points.{index}.{key}")


FRONTIER_POINTS = 11  # budgets on the frontier chart


def frontier_offer(result: dict[str, Any], overrides: dict[str, Any], settings: dict[str, Any]) -> float | None:
    """The offer a check was run at, in its budget mode's unit: the what-if override, else the scenario's setting."""
    key = OFFER_SETTINGS["per_practice" if result.get("budget_mode") == "per_practice" else "pooled"]
    offer = overrides.get(key)
    if offer is None:
        offer = settings.get(key)
    return float(offer) if offer is not None else None


def sweep_range(result: dict[str, Any], points: int, offer: float | None = None) -> str | None:
    """A budget (or offer-rate) range for the frontier of a finished check: 0 to 1.3 × the
    larger of the offer and the least deliverable amount."""
    per_practice = result.get("budget_mode") == "per_practice"
    candidates: list[float] = [float(offer)] if offer is not None else []
    headline = result.get("headline") or {}
    for lever in result.get("levers") or []:
        if lever.get("lever") != "budget":
            continue
        details = lever.get("details") or {}
        keys = (
            ("offer_rate_gbp_per_weighted_patient", "needed_rate_gbp_per_weighted_patient")
            if per_practice
            else ("budget_gbp", "least_spend_gbp")
        )
        candidates += [float(details[k]) for k in keys if details.get(k) is not None]
    if not per_practice:
        candidates += [float(headline[k]) for k in ("budget_gbp", "least_spend_gbp") if headline.get(k) is not None]
    top = max(candidates, default=0.0) * 1.3
    if top <= 0:
        return None
    return f"0:{top:.2f}:{points}"
