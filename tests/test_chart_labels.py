"""The frontier chart's offer and least-deliverable lines each carry their label beside them, never
between the two lines nor through the other line (audit 7, A9)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from optimiser.report.chart import frontier

SVG = "{http://www.w3.org/2000/svg}"


def sweep(current: float, marked: float, top: float) -> dict[str, Any]:
    points = [
        {
            "budget_gbp": top * i / 4,
            "weighted_coverage": 0.9 if top * i / 4 >= marked else None,
            "no_standards_weighted_coverage": 0.95,
        }
        for i in range(5)
    ]
    return {"sweep": "budget", "x": "budget_gbp", "points": points, "marked": marked, "current": current}


def marks(chart: Any) -> dict[str, dict[str, float | str]]:
    """For the offer and least lines: the line's x and top, and its label's anchor, x and baseline."""
    root = ET.fromstring(str(chart.svg))
    found: dict[str, dict[str, float | str]] = {}
    elements = list(root)
    for n, element in enumerate(elements):
        css = element.get("class")
        if element.tag == f"{SVG}line" and css in ("offer", "least"):
            label = elements[n + 1]
            assert label.tag == f"{SVG}text"
            found[css] = {
                "x": float(element.get("x1", 0)),
                "top": float(element.get("y2", 0)),
                "anchor": label.get("text-anchor", ""),
                "label_x": float(label.get("x", 0)),
                "baseline": float(label.get("y", 0)),
                "text": label.text or "",
            }
    return found


def crosses(label: dict[str, float | str], line: dict[str, float | str]) -> bool:
    """Whether ``label`` (about 7.6 px a character, 11 px tall) runs through ``line``'s height."""
    width = 7.6 * len(str(label["text"]))
    left = float(label["label_x"]) - (width if label["anchor"] == "end" else 0)
    spans_x = left <= float(line["x"]) <= left + width
    return spans_x and float(line["top"]) < float(label["baseline"])


def test_labels_are_written_outward_when_there_is_room() -> None:
    chart = frontier(sweep(current=600_000, marked=1_000_000, top=2_000_000))
    assert chart is not None
    found = marks(chart)
    offer, least = found["offer"], found["least"]
    assert float(offer["x"]) < float(least["x"])
    assert offer["anchor"] == "end" and float(offer["label_x"]) < float(offer["x"])
    assert least["anchor"] == "start" and float(least["label_x"]) > float(least["x"])
    assert not crosses(offer, least) and not crosses(least, offer)


def test_a_label_with_no_room_outward_passes_over_the_other_line_not_through_it() -> None:
    """The audit's case: Somerset at £1m, least deliverable £1.29m, drawn to 1.3 × £1.29m."""
    chart = frontier(sweep(current=1_000_000, marked=1_290_000, top=1_677_000))
    assert chart is not None
    found = marks(chart)
    offer, least = found["offer"], found["least"]
    assert least["anchor"] == "end"  # no room to its right
    assert float(least["label_x"]) < float(least["x"])
    assert offer["anchor"] == "end" and float(offer["label_x"]) < float(offer["x"])
    assert not crosses(least, offer) and not crosses(offer, least)
    # Each line reaches up to its own label.
    for mark in (offer, least):
        assert float(mark["top"]) < float(mark["baseline"])


def test_the_budget_axis_is_in_one_unit() -> None:
    """Audit 7, A9: the axis read "£0, £500,000, £1.00m, £1.50m"."""
    chart = frontier(sweep(current=1_000_000, marked=1_290_000, top=1_677_000))
    assert chart is not None
    root = ET.fromstring(str(chart.svg))
    ticks = [t.text or "" for t in root if t.tag == f"{SVG}text" and t.get("class") == "tick" and "£" in (t.text or "")]
    assert ticks[0] == "£0" and len(ticks) >= 3
    assert all(tick.endswith("m") for tick in ticks[1:]), ticks
    assert len({len(tick.removesuffix("m").partition(".")[2]) for tick in ticks[1:]}) == 1, ticks  # one precision
    small = frontier(sweep(current=30_000, marked=40_000, top=60_000))
    assert small is not None
    small_ticks = [
        t.text or "" for t in ET.fromstring(str(small.svg)) if t.get("class") == "tick" and "£" in (t.text or "")
    ]
    assert "£20,000" in small_ticks, small_ticks
