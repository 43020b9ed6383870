"""An amount needed is rounded up, and one spare rounded down, at any size and step: the allowance
for solver noise is never large enough to round the other way (millions shown to the penny)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from optimiser.deliverability import wording


def test_millions_to_the_penny_round_up_when_needed_and_down_when_spare() -> None:
    assert wording.needed_amount(6_860_203.2857) == 6_860_203.29
    assert wording.highest_share(0.8928094) == 0.8928
    assert wording.least_money_in_full(12_345_678.4) == "£12,345,679"
    assert wording.gap_figures(36_000.4, 12_345_678.0, in_full=True)[2] == "£12,309,677"


def test_solver_noise_on_a_whole_step_is_still_not_a_reason_to_round_up() -> None:
    assert wording.needed_amount(6_860_203.29 * (1 + 1e-15)) == 6_860_203.29
    assert wording.needed_amount(37_000.00000000001) == 37_000.0


@given(st.integers(min_value=0, max_value=10**11), st.integers(min_value=2, max_value=98))
def test_a_needed_amount_is_never_shown_below_itself_by_a_visible_part_of_a_penny(pennies: int, part: int) -> None:
    value = (pennies + part / 100) / 100  # a whole number of pennies and a visible part of one more
    needed = wording.needed_amount(value)
    assert round(needed * 100) == pennies + 1


def test_a_whole_step_plans_feasibility_noise_is_not_rounded_up_into_a_visible_figure() -> None:
    """Audit 7, A12: a MIP's 0.180 FTE comes back as 0.18000000118 (HiGHS' MIP feasibility
    tolerance is 1e-6): it is 0.18 needed, not 0.181; a visible part of a step still rounds up."""
    assert wording.least_number(0.18000000118) == "0.18"
    assert wording.least_number(0.1801) == "0.181"
