"""The least-spend filter: the conflict of a pooled LP whose least spend is above its budget.

Each deletion-filter test asks whether the least spend, with the budget row free and the candidate
relaxed, is still above the budget (``conflict.least_spend_filter``), instead of asking HiGHS whether
the programme with the budget held is feasible, which it cannot decide near the least cost: on the
offer at £11.56m (£203 short of its least cost) two such tests ended undecided and the conflict was
not proven irreducible; at £11,560,200 (£3.29 short) the check found no conflict at all.

``Programme.lower_bound`` settles a test without a solve when the current optimum's duals, with the
candidate's set to zero, still bound the spend above the budget: any multipliers give a valid bound,
so it must never exceed the least spend.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimiser.deliverability.conflict import Conflict, find_conflict
from optimiser.io import read_document
from optimiser.objectives import spend_coefficients, spends_beyond
from optimiser.programme import Programme
from optimiser.runs import load_scenario
from tests.console import shared_run, strict_json
from tests.test_explain import base

OFFER = Path(__file__).resolve().parents[1] / "data" / "undeliverable_offer"


def least_spend(programme: Programme) -> tuple[float, np.ndarray]:
    """min spend of the model as loaded with the budget row free, solved cold: value and row duals."""
    with programme.changes():
        programme.relax_rows(programme.rows("budget"))
        programme.set_objective(spend_coefficients(programme))
        programme.start_from(None)
        outcome = programme.solve()
    assert outcome.status == "optimal" and outcome.objective_value is not None and outcome.row_dual is not None
    return outcome.objective_value, outcome.row_dual


def test_the_optimal_duals_bound_the_least_spend_by_hand() -> None:
    """base: 500 patients × 120 minutes = 1,000 GP hours = 1 FTE at £100,000, the least spend."""
    programme = Programme(load_scenario(base()))
    spend, duals = least_spend(programme)
    assert spend == pytest.approx(100_000, rel=1e-9)
    with programme.changes():
        programme.relax_rows(programme.rows("budget"))
        bound = programme.lower_bound(duals, spend_coefficients(programme))
        assert bound is not None and bound == pytest.approx(100_000, rel=1e-9) and bound <= spend
        # With no multipliers nothing holds the claim (spend −£1 a pound, no upper bound) up: no bound.
        assert programme.lower_bound(np.zeros(programme.num_rows), spend_coefficients(programme)) is None
        # With the minimum standard's multiplier zeroed the standard no longer counts: nothing needed.
        standard = programme.rows("min_standard")
        without = duals.copy()
        without[standard] = 0.0
        weaker = programme.lower_bound(without, spend_coefficients(programme))
        assert weaker is None or weaker <= 1e-6


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_no_multipliers_bound_the_spend_above_its_least(data) -> None:
    """Lagrange: whatever the multipliers, the bound never exceeds the least spend (£100,000)."""
    programme = Programme(load_scenario(base()))
    spend, duals = least_spend(programme)
    noise = data.draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(-1e6, 1e6, allow_nan=False)),
            min_size=programme.num_rows,
            max_size=programme.num_rows,
        )
    )
    scale = data.draw(st.sampled_from([0.0, 1e-6, 1.0]))
    with programme.changes():
        programme.relax_rows(programme.rows("budget"))
        bound = programme.lower_bound(duals + scale * np.array(noise), spend_coefficients(programme))
    assert bound is None or bound <= spend * (1 + 1e-12)


def conflict_at(budget: float) -> tuple[Programme, Conflict]:
    programme = Programme(load_scenario(read_document(OFFER), {"budget_gbp": budget}))
    with programme.options(presolve="off"):
        assert programme.solve().status in ("infeasible", "error")
        conflict = find_conflict(programme)
    assert conflict is not None
    return programme, conflict


def least_spend_of(programme: Programme, keep: np.ndarray) -> float | None:
    """The least spend with only the rows in ``keep`` (and the definitions) held, budget free, from cold
    with presolve; None if it falls without end (nothing then holds the spend up)."""
    with programme.changes(), programme.options(presolve="on"):
        held = keep.copy()
        held[programme.rows("activity")] = True
        programme.relax_rows(np.flatnonzero(~held))
        programme.relax_rows(programme.rows("budget"))
        programme.set_objective(spend_coefficients(programme))
        programme.start_from(None)
        outcome = programme.solve()
    if outcome.status == "error" and outcome.message == "Unbounded":
        return None
    assert outcome.status == "optimal" and outcome.objective_value is not None, outcome.message
    return outcome.objective_value


def test_near_the_least_cost_the_conflict_is_irreducible_by_least_spend() -> None:
    """£11.56m, £203 short of the offer's least cost: the conflict is proven irreducible, and each claim
    is re-solved here from cold: with its groups alone the least spend is above the budget, and with
    any one of them dropped (the budget: not held) it is not."""
    budget = 11_560_000.0
    programme, conflict = conflict_at(budget)
    assert conflict.method == "deletion_filter" and conflict.irreducible and conflict.verified is True
    assert "budget" in conflict.families and "min_standard" in conflict.families
    keep = np.zeros(programme.num_rows, dtype=bool)
    for member in conflict.members:
        keep[member.rows] = True
    alone = least_spend_of(programme, keep)
    assert alone is not None and spends_beyond(alone, budget)
    for member in conflict.members:
        if member.rule == "budget":
            continue  # without the budget the rest is feasible: it has a least spend (above)
        dropped = keep.copy()
        dropped[member.rows] = False
        spend = least_spend_of(programme, dropped)
        assert spend is None or not spends_beyond(spend, budget), (member.rule, member.key, spend)


def test_a_budget_pounds_short_gets_its_conflict() -> None:
    """£3.29 short of the least cost: HiGHS cannot tell the programme infeasible, the least spend can.
    Before, the check said it found no conflict; the budget and the standards are in it now."""
    done = shared_run("check", str(OFFER), "--budget", "11560200", "--format", "json")
    assert done.returncode == 1, done.stderr
    conflict = strict_json(done.stdout)["conflict"]
    assert conflict["method"] == "deletion_filter" and conflict["irreducible"] is True
    assert conflict["verified"] is True
    rules = {group["rule"] for group in conflict["rules"]}
    assert {"budget", "min_standard"} <= rules
    assert "each needed for the conflict" in conflict["sentences"][0]
