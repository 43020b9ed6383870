"""Audit 9, A2: the least cost is rounded up at the precision shown (never below the true least
cost, never a whole step above it), the offer is shown as given (its pence where it has them), and
the least cost, the offer and the gap as shown subtract, the gap absorbing the rounding.
"""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from optimiser.deliverability import wording
from optimiser.report.view import check_view
from tests.console import REPO, TINY, check_json, lever

UNDELIVERABLE = str(REPO / "data" / "undeliverable_offer")


LEAST = 11_560_203.2857  # data/undeliverable_offer's least cost (README: £11,560,203)


def pounds(text: str) -> Decimal:
    """A figure as shown, exactly: "£11.57m", "£36,000.01"."""
    millions = text.endswith("m")
    return Decimal(text.strip("£m").replace(",", "")) * (Decimal(1_000_000) if millions else 1)


@pytest.mark.parametrize(
    ("least", "offer", "shown"),
    [
        (37_000.0, 999.99, ("£37,000", "£999.99", "£36,000.01")),  # data/tiny --budget 999.99
        (37_000.0, 1_000.0, ("£37,000", "£1,000", "£36,000")),
        (37_000.0, 36_999.99, ("£37,000", "£36,999.99", "£0.01")),
        (37_000.0, 40_000.25, ("£37,000", "£40,000.25", "£3,000.25")),  # spare, with pence
        (LEAST, 11_560_200.0, ("£11,560,204", "£11,560,200", "£4")),  # short by £3.29
        (LEAST, 4_700_000.0, ("£11.57m", "£4.70m", "£6.87m")),  # the bundled offer
        (LEAST, 12_000_000.0, ("£11,560,204", "£12,000,000", "£439,796")),  # spare, to the pound
        (LEAST, 9_876_543.21, ("£11,560,204", "£9,876,543.21", "£1,683,660.79")),
        (37_000.5, 37_000.75, ("£37,000.50", "£37,000.75", "£0.25")),  # covered by less than the pound
    ],
)
def test_least_cost_rounded_up_offer_as_given_and_the_three_subtract(
    least: float, offer: float, shown: tuple[str, str, str]
) -> None:
    assert wording.gap_figures(least, offer) == shown


def test_gap_figures_rule_holds_for_any_least_cost_and_offer() -> None:
    """The rule, on figures a check meets: offers typed to the pound or the penny, least costs of
    any size; the least cost is within one step (£0.01, £1 or £10k) above its value, less what a
    solver's figure may be off by (a hundredth of a step, ``wording._MOST_NOISE_IN_STEPS``)."""
    draw = random.Random(9)
    for _ in range(3000):
        least = round(10 ** draw.uniform(0, 8), draw.choice([2, 4]))
        offer = round(max(0.0, least * draw.uniform(0.2, 1.8)), draw.choice([-4, 0, 2]))
        least_text, offer_text, gap_text = wording.gap_figures(least, offer)
        least_s, offer_s, gap_s = pounds(least_text), pounds(offer_text), pounds(gap_text)
        step = Decimal(10_000) if least_text.endswith("m") else Decimal("0.01") if "." in least_text else Decimal(1)
        assert least_s + step / 100 >= Decimal(repr(least)) > least_s - step, (least, offer)
        assert offer_s == Decimal(repr(offer)), (least, offer, offer_text)  # as given
        assert abs(least_s - offer_s) == gap_s, (least, offer)  # they subtract as shown
        spare = offer >= least
        assert (offer_s - least_s >= 0) == spare or gap_s == 0, (least, offer)


def test_offer_money_shows_the_offer_as_given() -> None:
    assert wording.offer_money(999.99) == "£999.99"
    assert wording.offer_money(1_000.0) == "£1,000"
    assert wording.offer_money(4_700_000.0) == "£4.70m"
    assert wording.offer_money(11_560_200.0) == "£11,560,200"
    assert wording.offer_money(35.5) == "£35.50"
    assert wording.money_needed(36_000.01, 999.99) == "£36,000.01"
    assert wording.money_needed(LEAST - 4_700_000.0, 4_700_000.0) == "£6.87m"


def test_tiny_at_999_99_shows_the_least_cost_solve_prints_and_the_offer_as_typed() -> None:
    """Audit 9, A2: "the offer of £1,000 a year is £36,001 short of ... £37,001" beside "£999.99"."""
    result = check_json(str(TINY), "--budget", "999.99")
    money = lever(result, "budget")["sentence"]
    assert "£36,000.01 more a year" in money and "its least cost is £37,000 a year against a budget of £999.99" in money
    assert "£36,000.01 more a year" in result["summary"] and "a budget of £999.99 a year" in result["summary"]
    view = check_view(result)
    assert "the offer of £999.99 a year is £36,000.01 short of the least cost of the specification, £37,000" in (
        view.verdict
    )
    texts = [
        view.verdict,
        *(num.text for _label, num in view.offer),
        *(item.amount.text for item in view.levers if item.amount),
    ]
    assert not [text for text in texts if "1,000" in text or "37,001" in text or "36,001" in text], texts


def test_undeliverable_offer_least_cost_is_never_below_the_solved_one() -> None:
    short = lever(check_json(UNDELIVERABLE, "--budget", "11560200"), "budget")["sentence"]
    assert "£4 more a year" in short and "its least cost is £11,560,204 a year against a budget of £11,560,200" in short
    bundled = check_json(UNDELIVERABLE)
    money = lever(bundled, "budget")["sentence"]
    assert "£6.87m more a year" in money and "its least cost is £11.57m a year against a budget of £4.70m" in money
