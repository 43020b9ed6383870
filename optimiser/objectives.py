"""What the programme is asked to optimise: spend and value vectors and the derived questions.

- ``spend_coefficients`` / ``value_coefficients``: Σ_p spend[p] and Σ value_weight × cov
  as cost vectors over the programme's columns (formulation.md section 5);
- ``least_spend_at_best_value``: the max_value tie-break (least spend, value kept);
- ``least_offer_rate`` and ``highest_uniform_fraction``: one LP each, shared by the
  deliverability levers and the sweeps.
"""

from __future__ import annotations

import numpy as np

from models.standard_form import INF
from optimiser.programme import Programme, Progress, SolveOutcome

# A max_value optimum is kept to this relative tolerance while least spend breaks ties.
VALUE_KEEP_TOLERANCE = 1e-9


def spend_coefficients(programme: Programme) -> np.ndarray:
    """Cost vector of Σ_p spend[p] = Σ cost[r] h[p,r] − Σ claim[p] over the programme's columns."""
    return programme.memo("spend", _spend)


def _spend(programme: Programme) -> np.ndarray:
    costs = np.zeros(programme.num_cols)
    hires = programme.cols("h")
    costs[hires] = [programme.data.cost[programme.col_key[j][1]] for j in hires]
    costs[programme.cols("claim")] = -1.0
    return costs


def value_coefficients(programme: Programme) -> np.ndarray:
    """Cost vector of Σ value_weight[s] × cov[p,s] over the programme's columns."""
    return programme.memo("value", _value)


def _value(programme: Programme) -> np.ndarray:
    costs = np.zeros(programme.num_cols)
    cov = programme.cols("cov")
    costs[cov] = [programme.data.value_weight[programme.col_key[j][1]] for j in cov]
    return costs


def spend_of(programme: Programme, x: np.ndarray) -> float:
    """Σ_p spend[p] at a solution (added columns ignored)."""
    return float(spend_coefficients(programme) @ x[: programme.num_cols])


def value_of(programme: Programme, x: np.ndarray) -> float:
    return float(value_coefficients(programme) @ x[: programme.num_cols])


def least_spend_at_best_value(programme: Programme, best: SolveOutcome, progress: Progress | None) -> SolveOutcome:
    """Among allocations within VALUE_KEEP_TOLERANCE of ``best``'s value, one of least spend.

    The reported objective value stays ``best``'s, and so do the duals (those of the value solve).
    """
    assert best.objective_value is not None
    value = programme.base_cost
    value_cols = np.flatnonzero(value)
    keep = best.objective_value * (1 - VALUE_KEEP_TOLERANCE) - VALUE_KEEP_TOLERANCE
    with programme.changes():
        programme.add_row(keep, INF, value_cols.tolist(), value[value_cols].tolist())
        programme.set_objective(spend_coefficients(programme))
        tie_break = programme.solve(progress=progress)
    if tie_break.status != "optimal" or tie_break.col_value is None:
        return best
    tie_break.objective_value = best.objective_value
    tie_break.solve_seconds += best.solve_seconds
    # Duals of the tie-break describe spend, not value: report those of the value solve.
    tie_break.row_dual, tie_break.col_dual = best.row_dual, best.col_dual
    if tie_break.row_value is not None:
        tie_break.row_value = tie_break.row_value[: programme.num_rows]
    return tie_break


def least_offer_rate(programme: Programme) -> tuple[SolveOutcome, float | None]:
    """Least uniform offer rate r: practice_budget rows become spend[p] − r × wl[p] ≤ 0."""
    rows = programme.rows("practice_budget")
    wl = np.array([programme.data.weighted_list[str(programme.row_key[i])] for i in rows])
    with programme.changes():
        r = programme.add_column(0.0, INF, rows, -wl)
        programme.set_row_bounds(rows, -INF, 0.0)
        programme.set_objective(programme.objective_vector({r: 1.0}))
        outcome = programme.solve()
    if not outcome.has_solution or outcome.col_value is None:
        return outcome, None
    return outcome, float(outcome.col_value[r])


def standard_rows(programme: Programme) -> dict[str, np.ndarray]:
    """min_standard rows with a positive requirement, by service."""
    by_service: dict[str, list[int]] = {}
    for i in programme.rows("min_standard"):
        if programme.base_row_lower[i] > 0:
            by_service.setdefault(str(programme.row_key[i][1]), []).append(int(i))
    return {s: np.array(v, dtype=np.int64) for s, v in by_service.items()}


def highest_fraction(programme: Programme, rows: np.ndarray) -> tuple[SolveOutcome, float | None]:
    """Highest t in [0, 1] with the given min_standard rows relaxed to cov ≥ t × min × E (a column t)."""
    with programme.changes():
        t = programme.add_column(0.0, 1.0, rows, -programme.base_row_lower[rows])
        programme.set_row_bounds(rows, 0.0, INF)
        programme.set_objective(programme.objective_vector({t: 1.0}), maximise=True)
        outcome = programme.solve()
    return outcome, float(outcome.col_value[t]) if outcome.col_value is not None else None


def highest_uniform_fraction(programme: Programme) -> tuple[SolveOutcome, float | None]:
    """Highest t in [0, 1] with every minimum standard relaxed to t × its level (one LP, t a column)."""
    by_service = standard_rows(programme)
    if not by_service:
        return programme.feasibility(), 1.0
    return highest_fraction(programme, np.concatenate(list(by_service.values())))
