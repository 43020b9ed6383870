"""Algorithm choices for national-scale solves: whichever algorithm runs, the answer is the same.

The choices themselves (for a cold max_value LP above ``LARGE_LP_ROWS`` rows: primal simplex from
a budget-free Lagrangian start, or interior point with crossover; a tie-break confined to the
optimal face and warm-started) are made for speed (bench/README.md); these tests hold that they
never change a result.
"""

from __future__ import annotations

from typing import Any

import highspy
import numpy as np
import pytest

from models.synthetic import generate_scenario
from optimiser import objectives
from optimiser.objectives import (
    least_spend_at_best_value,
    solve_for_value,
    spend_of,
    value_algorithm,
    value_of,
)
from optimiser.programme import Programme
from optimiser.runs import load_scenario, run_job, solve_scenario


@pytest.fixture(scope="module")
def document() -> dict:
    return generate_scenario(2025, 40, 8, 15, 25)


def _close(a: float, b: float, rel: float = 1e-7) -> bool:
    return abs(a - b) <= rel * max(1.0, abs(a), abs(b))


def _max_value(document: dict, **overrides: object) -> Programme:
    return Programme(load_scenario(document, {"objective": "max_value", **overrides}))


ALGORITHMS = ("dual simplex", "lagrangian start", "interior point")


def _force(monkeypatch, algorithm: str) -> None:
    monkeypatch.setattr(objectives, "value_algorithm", lambda programme: algorithm)


def test_value_algorithm_by_size_and_budget_mode(document, monkeypatch):
    pooled = _max_value(document)
    monkeypatch.setattr(objectives, "LARGE_LP_ROWS", pooled.num_rows + 1)
    assert value_algorithm(pooled) == "dual simplex"
    monkeypatch.setattr(objectives, "LARGE_LP_ROWS", pooled.num_rows)
    assert value_algorithm(pooled) == "lagrangian start"
    per_practice = _max_value(document, offer_rate_gbp_per_weighted_patient=200.0)
    assert value_algorithm(per_practice) == "interior point"


def test_interior_point_restores_the_solver_option(document, monkeypatch):
    programme = _max_value(document)
    _force(monkeypatch, "interior point")
    outcome = solve_for_value(programme)
    assert outcome.status == "optimal"
    assert programme.highs.getInfo().ipm_iteration_count > 0
    # the option is restored: the next solve of this programme is simplex again
    assert programme.highs.getOptionValue("solver")[1] == "choose"


def test_lagrangian_start_searches_then_finishes_by_primal_simplex_and_restores_the_model(document, monkeypatch):
    least = run_job("solve", document, {"objective": "min_cost"}).result["objective_value"]
    programme = _max_value(document, budget_gbp=1.3 * least)
    _force(monkeypatch, "lagrangian start")
    outcome = solve_for_value(programme)
    assert outcome.status == "optimal"
    assert programme.solves >= 2  # at least one budget-free solve, then the finish
    assert programme.highs.getInfo().ipm_iteration_count == 0  # not the interior-point fallback
    assert outcome.col_value is not None
    assert _close(spend_of(programme, outcome.col_value), 1.3 * least, 1e-6)  # the budget binds
    # the budget row, the objective and the simplex strategy are the scenario's again
    assert np.array_equal(programme.row_upper, programme.base_row_upper)
    lp = programme.highs.getLp()
    assert np.array_equal(np.asarray(lp.col_cost_), programme.base_cost)
    assert lp.sense_ == highspy.ObjSense.kMaximize
    assert programme.highs.getOptionValue("simplex_strategy")[1] == 1
    assert programme.highs.getNumRow() == programme.num_rows


@pytest.mark.parametrize("factor", [0.9, 1.01, 1.3, None])
def test_every_value_algorithm_gives_the_same_solve_result(document, monkeypatch, factor):
    """Below the least cost (infeasible), where the budget binds, and far above it (it does not)."""
    least = run_job("solve", document, {"objective": "min_cost"}).result["objective_value"]
    budget = 1e9 if factor is None else factor * least
    scenario = load_scenario(document, {"objective": "max_value", "budget_gbp": budget})
    results: dict[str, tuple[Any, ...]] = {}
    for algorithm in ALGORITHMS:
        _force(monkeypatch, algorithm)
        programme, outcome = solve_scenario(scenario)
        if factor == 0.9:
            results[algorithm] = (outcome.status,)
            continue
        assert outcome.status == "optimal", algorithm
        assert outcome.row_dual is not None  # a basis in every case, so duals as after simplex
        assert outcome.col_value is not None
        results[algorithm] = (outcome.status, outcome.objective_value, spend_of(programme, outcome.col_value))
    first = results["dual simplex"]
    assert first[0] == ("infeasible" if factor == 0.9 else "optimal")
    for algorithm in ALGORITHMS[1:]:
        other = results[algorithm]
        assert other[0] == first[0], algorithm
        if factor != 0.9:
            assert _close(other[1], first[1]), algorithm
            assert _close(other[2], first[2], 1e-6), algorithm


def test_face_tie_break_finds_the_same_least_spend_as_the_value_row_alone(document, monkeypatch):
    """With a budget far above what full coverage costs, the budget does not bind: ties in spend are real."""
    spends = {}
    for name in ("face", "row only"):
        if name == "row only":
            monkeypatch.setattr(objectives, "_restrict_to_optimal_face", lambda programme, best: None)
        programme = _max_value(document, budget_gbp=1e9)
        best = programme.solve()
        assert best.status == "optimal"
        tie_break = least_spend_at_best_value(programme, best, None)
        assert tie_break is not best and tie_break.status == "optimal"
        assert tie_break.objective_value == best.objective_value
        assert best.objective_value is not None
        assert best.col_value is not None and tie_break.col_value is not None
        assert value_of(programme, tie_break.col_value) >= best.objective_value * (1 - 1e-9) - 1e-6
        # duals reported are the value solve's
        assert tie_break.row_dual is best.row_dual and tie_break.col_dual is best.col_dual
        spends[name] = (spend_of(programme, best.col_value), spend_of(programme, tie_break.col_value))
        # the model is the scenario's own again afterwards
        assert np.array_equal(programme.col_lower, programme.base_col_lower)
        assert np.array_equal(programme.row_upper, programme.base_row_upper)
        assert programme.highs.getNumRow() == programme.num_rows
    assert spends["face"][1] < spends["face"][0] * (1 - 1e-6)  # the tie-break does lower spend here
    assert _close(spends["face"][1], spends["row only"][1], 1e-6)


def test_tie_break_when_the_budget_binds_keeps_spend_at_the_budget(document):
    least = run_job("solve", document, {"objective": "min_cost"}).result["objective_value"]
    budget = 1.02 * least
    job = run_job("solve", document, {"objective": "max_value", "budget_gbp": budget})
    assert job.result["status"] == "optimal"
    assert _close(job.result["kpis"]["total_spend_gbp"], budget, 1e-6)


def test_budget_sweep_is_the_same_whichever_algorithm_starts_it(document, monkeypatch):
    least = run_job("solve", document, {"objective": "min_cost"}).result["objective_value"]
    budget = f"{least * 1.01:.0f}:{least * 1.1:.0f}:4"
    tables = {}
    first_without_standards = []
    solve = Programme.solve

    def spy(programme, *args, **kwargs):
        if np.all(np.isinf(programme.row_lower[programme.rows("min_standard")])) and programme.solves == 0:
            first_without_standards.append(programme.highs.getOptionValue("solver")[1])
        return solve(programme, *args, **kwargs)

    monkeypatch.setattr(Programme, "solve", spy)
    for algorithm in ALGORITHMS:
        _force(monkeypatch, algorithm)
        job = run_job("sweep", document, {"budget": budget})
        assert job.result["status"] == "optimal"
        tables[algorithm] = job.tables["sweep_budget"]
    # The frontier without the standards starts by interior point where a Lagrangian start would be chosen.
    assert first_without_standards == ["choose", "ipm", "ipm"]
    for algorithm in ALGORITHMS[1:]:
        for column in ("value", "no_standards_value", "spend_gbp"):
            a, b = tables["dual simplex"][column].to_numpy(), tables[algorithm][column].to_numpy()
            assert np.allclose(a, b, rtol=1e-6), (algorithm, column)


def test_budget_sweep_points_equal_cold_solves_at_each_budget(document):
    """The sweep holds single-variable rows as column bounds and re-solves warm: same LP, same answers."""
    least = run_job("solve", document, {"objective": "min_cost"}).result["objective_value"]
    budgets = [least * 1.01, least * 1.05, least * 1.2]
    job = run_job("sweep", document, {"budget": f"{budgets[0]}:{budgets[-1]}:3"})
    table = job.tables["sweep_budget"]
    for k, budget in enumerate(table["budget_gbp"]):
        cold = run_job("solve", document, {"objective": "max_value", "budget_gbp": float(budget)}).result
        assert _close(table["value"][k], cold["objective_value"], 1e-7)
        free = run_job(
            "solve", document, {"objective": "max_value", "budget_gbp": float(budget), "standards_fraction": 0.0}
        ).result
        assert _close(table["no_standards_value"][k], free["objective_value"], 1e-7)


def test_rows_as_column_bounds_is_undone_and_keeps_the_optimum(document):
    from optimiser.sweep import rows_as_column_bounds

    programme = _max_value(document)
    before = programme.solve().objective_value
    assert before is not None
    rows = np.concatenate([programme.rows("min_standard"), programme.rows("max_coverage")])
    with programme.changes():
        raised = rows_as_column_bounds(programme, rows)
        assert len(raised) > 0
        assert np.all(np.isinf(programme.row_lower[rows])) and np.all(np.isinf(programme.row_upper[rows]))
        inside = programme.solve().objective_value
        assert inside is not None
    assert _close(inside, before, 1e-9)
    assert np.array_equal(programme.row_lower, programme.base_row_lower)
    assert np.array_equal(programme.col_lower, programme.base_col_lower)
    assert np.array_equal(programme.col_upper, programme.base_col_upper)
