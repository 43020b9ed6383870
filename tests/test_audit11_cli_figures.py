"""Audit 11 #3: ``commission solve`` writes its figures through the wording module: new FTE to the
unit's 3 decimals (a 0.004-FTE hire read "0.00"), the budget's share used rounded down (99.96% of
it never reads 100.0%), the objective line's coverage as a level, and the sweep table's shares as
the solve table's (``table_share``)."""

from __future__ import annotations

import re

import pytest

from optimiser.deliverability.wording import budget_used_note, hire_fte, objective_figure, table_share_or_missing
from tests.console import TINY, run

# data/tiny hires GP time from 0.78125 of the standards at 1.28 FTE per unit: 0.004 FTE at 0.784375.
SMALL_HIRE = "0.784375"


def test_a_hire_of_four_thousandths_of_an_fte_reads_so() -> None:
    done = run("solve", str(TINY), "--standards-fraction", SMALL_HIRE)
    assert done.returncode == 0, done.stderr
    [row] = [line for line in done.stdout.splitlines() if "salaried_gp" in line]
    cells = [cell.strip() for cell in re.split(r"[│|]", row) if cell.strip()]
    assert cells == ["salaried_gp", "gp", "0.004", "£400", "0.300"], row
    assert "Net spend:               £400 a year; budget £50,000 (0.8% of it)" in done.stdout


def test_the_whole_solve_states_its_share_of_the_budget_and_objective_through_wording() -> None:
    done = run("solve", str(TINY), "--objective", "max_min_coverage")
    assert done.returncode == 0, done.stderr
    assert "Objective (lowest practice coverage): 83.33%" in done.stdout, done.stdout


@pytest.mark.parametrize(
    ("share", "note"),
    [
        (0.74, " (74% of it)"),
        (0.9996, " (99.9% of it)"),
        (1.0, " (100% of it)"),
        (0.4567, " (45.6% of it)"),
        (None, ""),
    ],
)
def test_the_share_of_the_budget_used_is_rounded_down(share: float | None, note: str) -> None:
    assert budget_used_note(share) == note


def test_figures_in_tables() -> None:
    assert hire_fte(0.004) == "0.004" and hire_fte(-1e-12) == "0.000" and hire_fte(1234.5) == "1,234.500"
    assert table_share_or_missing(float("nan")) == "-" and table_share_or_missing(None) == "-"
    assert table_share_or_missing(0.8333) == "83.3%"
    assert objective_figure("max_min_coverage", 0.99999) == "99.99%"
    assert objective_figure("min_cost", -4e-12) == "0.00"
    assert objective_figure("max_value", 12345.678) == "12,345.68"


@pytest.mark.parametrize(
    ("status", "has_solution", "opening"),
    [
        ("optimal", True, "[bold]Deliverable[/]: [green]yes[/]: this allocation meets"),
        ("infeasible", False, "[bold]Deliverable[/]: [red]no[/]: no allocation meets"),
        ("time_limit", True, "[bold]Deliverable[/]: [green]yes[/]: the allocation below meets"),
        ("time_limit", False, "[bold]Deliverable[/]: [yellow]not known[/]: the solver found no allocation"),
        ("error", False, "[bold]Deliverable[/]: [yellow]not known[/]: the solver found no allocation"),
    ],
)
def test_the_solves_verdict_comes_from_wording_by_status(status: str, has_solution: bool, opening: str) -> None:
    from optimiser.cli import deliverable_sentence

    assert deliverable_sentence({"status": status, "has_solution": has_solution}).startswith(opening)
