"""Offers a few pounds short of the least cost are answered "not deliverable", not "no answer".

HiGHS' dual simplex ends "Unknown" on data/undeliverable_offer at pooled budgets from about
£11.53m up to its least cost of £11,560,203.29: the programme is infeasible by a margin small
beside the budget row's scale, and primal simplex from the basis dual simplex ended on cannot
tell either. ``Programme.solve`` then tries primal simplex from cold, which proves it infeasible.
"""

from __future__ import annotations

import json

import pytest

from optimiser.io import read_document
from optimiser.objectives import spend_of
from optimiser.programme import Programme
from optimiser.runs import load_scenario
from tests.console import REPO, run, shared_run

OFFER = REPO / "data" / "undeliverable_offer"


def least_cost() -> float:
    """The least cost, solved with no budget at all (min_cost: the budget row relaxed)."""
    scenario = load_scenario(read_document(OFFER))
    programme = Programme(scenario)
    with programme.changes():
        programme.relax_rows(programme.rows("budget"))
        outcome = programme.solve()
    assert outcome.status == "optimal" and outcome.col_value is not None
    return spend_of(programme, outcome.col_value)


@pytest.mark.parametrize("budget", [11_530_000, 11_560_000])
def test_a_budget_just_short_of_the_least_cost_is_proved_infeasible(budget: int) -> None:
    assert least_cost() == pytest.approx(11_560_203.29, abs=0.01)
    programme = Programme(load_scenario(read_document(OFFER), {"budget_gbp": budget}))
    assert programme.solve().status == "infeasible"


def test_the_installed_commands_answer_not_deliverable_at_the_printed_least_cost() -> None:
    solved = run("solve", str(OFFER), "--budget", "11.56m", "--format", "json")
    assert solved.returncode == 0, solved.stderr
    assert json.loads(solved.stdout)["status"] == "infeasible"
    checked = shared_run("check", str(OFFER), "--budget", "11.56m", "--format", "json")
    assert checked.returncode == 1, checked.stderr  # 1: not deliverable (3 would be no answer)
    result = json.loads(checked.stdout)
    assert result["deliverable"] is False
    money = next(lever for lever in result["levers"] if lever["lever"] == "budget")
    assert money["amount"] == pytest.approx(11_560_203.29 - 11_560_000, abs=0.05)


def test_a_budget_within_a_pound_of_the_least_cost_is_decided_by_the_least_cost_plan() -> None:
    """£0.29 short: HiGHS cannot decide even from cold, but the least-cost plan (an optimum with the
    budget free) spends more than the budget, so no allocation keeps it."""
    solved = run("solve", str(OFFER), "--budget", "11,560,203", "--format", "json")
    assert solved.returncode == 0, solved.stderr
    assert json.loads(solved.stdout)["status"] == "infeasible"
    checked = run("check", str(OFFER), "--budget", "11,560,203", "--format", "json")
    assert checked.returncode == 1, checked.stderr
    result = json.loads(checked.stdout)
    assert result["deliverable"] is False
    money = next(lever for lever in result["levers"] if lever["lever"] == "budget")
    assert money["amount"] == pytest.approx(0.29, abs=0.01)
    assert "see the conflict list" not in result["summary"]
    # A budget a pound above the least cost is deliverable.
    assert run("check", str(OFFER), "--budget", "11,560,204").returncode == 0
