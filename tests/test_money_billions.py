"""Money from £1bn up reads in £bn, to 2 decimals as £m does ("£1.00bn"), never "£1,000,000.00m"."""

from __future__ import annotations

import pytest

from models.formats import money
from tests.console import TINY, run


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (999_994_999, "£999.99m"),
        (999_999_999, "£1.00bn"),  # would round to "£1,000.00m"
        (1e9, "£1.00bn"),
        (1.25e9, "£1.25bn"),
        (1e12, "£1,000.00bn"),
    ],
)
def test_money_from_a_billion_is_in_billions(value: float, shown: str) -> None:
    assert money(value) == shown


@pytest.mark.parametrize(
    ("budget", "shown", "not_shown"),
    [("1000000000000", "£1,000.00bn", "£1,000,000.00m"), ("999999999", "£1.00bn", "£1,000.00m")],
)
def test_a_budget_of_billions_reads_in_billions_through_the_console_script(
    budget: str, shown: str, not_shown: str
) -> None:
    result = run("check", str(TINY), "--budget", budget)
    assert result.returncode == 0, result.stderr
    assert f"a pooled budget of {shown} a year" in result.stdout
    assert not_shown not in result.stdout
