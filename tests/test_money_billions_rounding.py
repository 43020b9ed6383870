"""Money from £1bn is shown in £bn (models.formats.money): the wording module's rounding towards
sufficiency, offers as given and comparison differences must use the £bn step too, else a least
cost of £1,234,000,001 read "£1.23bn", which does not suffice."""

from __future__ import annotations

from optimiser.deliverability import wording


def test_money_needed_in_billions_is_rounded_up_and_spare_down() -> None:
    assert wording.least_money(1_234_000_001) == "£1.24bn"
    assert wording.spare_money(1_239_990_000) == "£1.23bn"
    assert wording.least_money(999_999_999) == "£1.00bn"
    assert wording.least_money(999_985_000) == "£999.99m"


def test_an_offer_in_billions_is_shown_as_given() -> None:
    assert wording.offer_money(1_230_000_000) == "£1.23bn"
    assert wording.offer_money(1_234_000_000) == "£1,234,000,000"


def test_a_difference_in_billions_reads_as_the_figures_do() -> None:
    assert wording.compare_difference(2e9, 1e7, "money") == "+£2.00bn"
    assert wording.compare_difference(-3.4e6, 1e4, "money") == "−£3.40m"
