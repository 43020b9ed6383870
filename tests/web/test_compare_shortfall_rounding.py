"""A practice's shortfall reads the same in the comparison as on its result page (audit 6, A8).

At an offered rate, a practice's shortfall is money it needs, rounded up everywhere (the check's
text, the result page, the PDF: ``wording.gap_figures`` towards sufficiency): £148,526.33 is
£148,527. The comparison showed it, and the total, to the nearest (£148,526).
"""

from __future__ import annotations

from optimiser.deliverability import wording
from optimiser.deliverability.wording import COMPARE_HEADLINE as HEADLINE
from optimiser.report.compare import Side, compare
from tests.web.test_compare_figures import headline, per_weighted_patient


def short_at(rate: float, shortfalls: dict[str, float]) -> dict[str, object]:
    short = [{"practice_id": p, "shortfall_gbp": v} for p, v in shortfalls.items()]
    details = {"practices_short": short, "total_shortfall_gbp": sum(shortfalls.values())}
    return {"deliverable": False, **per_weighted_patient(rate, 48.7537, **details)}


def test_a_practices_shortfall_and_the_total_are_rounded_up_in_the_comparison() -> None:
    a = short_at(2.0, {"L85019": 148_526.33, "L85055": 90_858.18})
    b = short_at(5.0, {"L85019": 140_000.40, "L85055": 80_000.0})
    result = compare(Side("A", "check", a), Side("B", "check", b))
    assert result.practice_unit == wording.COMPARE_PRACTICE_UNITS["shortfall_rate"]
    cells = {row[0]: (row[1].text, row[2].text) for row in result.practice_rows}
    assert cells["L85019"] == ("£148,527", "£140,001")
    assert cells["L85055"] == ("£90,859", "£80,000")
    # £239,384.51 in total: rounded up, as the result page's total.
    assert headline(result)[HEADLINE["total_shortfall"]][0] == "£239,385"


def test_a_shortfall_beside_one_in_millions_is_rounded_up_to_the_pound() -> None:
    a = short_at(2.0, {"L85019": 1_020_000.2})
    b = short_at(5.0, {"L85019": 998_000.4})
    cells = {
        row[0]: (row[1].text, row[2].text)
        for row in compare(Side("A", "check", a), Side("B", "check", b)).practice_rows
    }
    assert cells["L85019"] == ("£1,020,001", "£998,001")


def test_the_downloads_round_an_amount_needed_up_as_the_page_does() -> None:
    """A least offer of £48.7537 per weighted patient is 48.76 in the CSV, as on the page: 48.75
    would fall short if offered (audit 6, A8)."""
    a = short_at(40.0, {"L85019": 148_526.33})
    b = short_at(45.0, {"L85019": 100_000.0})
    result = compare(Side("A", "check", a), Side("B", "check", b))
    assert headline(result)[HEADLINE["needed_rate"]][:2] == ("£48.76", "£48.76")
    rows = {row["item"]: row for row in result.downloaded_rows()}
    needed = rows[HEADLINE["needed_rate"]]
    assert (needed["a"], needed["b"], needed["b_minus_a"]) == (48.76, 48.76, 0.0)
    total = rows[HEADLINE["total_shortfall"]]
    assert (total["a"], total["b"]) == (148_526.33, 100_000.0)
    # An offer is not an amount needed: to the nearest.
    assert rows[HEADLINE["rate"]]["a"] == 40.0
