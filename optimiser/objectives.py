"""What the programme is asked to optimise: spend and value vectors and the derived questions.

- ``spend_coefficients`` / ``value_coefficients``: Σ_p spend[p] and Σ value_weight × cov
  as cost vectors over the programme's columns (formulation.md section 5);
- ``solve_for_value``: a cold max_value solve with the algorithm chosen for its size (chosen by
  measuring, ``bench/README.md``): dual simplex for small LPs and MIPs; for large pooled LPs a
  primal simplex started from the basis of a budget-free Lagrangian problem; else interior point
  with crossover;
- ``least_spend_at_best_value``: the max_value and max_min_coverage tie-break (least spend, the
  objective kept: base_cost is the value vector, or the lowest_coverage column), moved only
  within the optimal face and warm-started from the value solve's basis;
- ``least_cost_plan`` and ``least_cost_answer``: the one least-cost plan that ``solve`` (min_cost)
  and the check show, solved from cold so every entry point gets the same allocation;
- ``least_offer_rate`` and ``highest_uniform_fraction``: one LP each, shared by the
  deliverability levers and the sweeps.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import numpy.typing as npt

from models.standard_form import INF
from optimiser.programme import Programme, Progress, SolveOutcome

# A max_value optimum is kept to this relative tolerance while least spend breaks ties.
VALUE_KEEP_TOLERANCE = 1e-9
# A reduced cost or row dual larger than this (in absolute value) marks a bound that every
# optimal solution holds (complementary slackness); HiGHS' dual feasibility tolerance is 1e-7.
FACE_DUAL_TOLERANCE = 1e-7
# A cold max_value LP with at least this many rows is not left to HiGHS' default (dual simplex):
# at region (152k rows) dual simplex takes about twice the CPU time of interior point and at
# England (639k rows) it did not finish in 12 minutes; at ICB (25k rows) it is the fastest.
LARGE_LP_ROWS = 100_000
# The Lagrangian start (``_solve_from_lagrangian_start``): the search for a price of value stops once
# the budget-free optimum spends at least this share of the budget, or the price is bracketed this
# tightly, or after this many solves; the final primal simplex finishes from the best start found.
START_NEAR_BUDGET = 0.98
START_BRACKET_RATIO = 1.2
START_MAX_SOLVES = 12
PRIMAL_SIMPLEX = 4  # HiGHS simplex_strategy


def value_algorithm(programme: Programme) -> str:
    """How ``solve_for_value`` solves the loaded max_value programme from cold (see its docstring)."""
    if programme.is_mip or programme.num_rows < LARGE_LP_ROWS:
        return "dual simplex"
    if len(programme.rows("budget")) == 1:
        return "lagrangian start"
    return "interior point"


def solve_for_value(programme: Programme, progress: Progress | None = None) -> SolveOutcome:
    """Solve the loaded max_value programme from cold with the algorithm chosen for its size.

    * ``dual simplex`` (HiGHS' default): MIPs and LPs under ``LARGE_LP_ROWS`` rows;
    * ``lagrangian start``: large LPs with one pooled budget row: see ``_solve_from_lagrangian_start``
      (interior point if that start cannot be found);
    * ``interior point`` with crossover (a basis, so duals, sensitivity and warm re-solves work as
      after simplex): other large LPs (per-practice budgets).
    """
    algorithm = value_algorithm(programme)
    if algorithm == "dual simplex":
        return programme.solve(progress=progress)
    if algorithm == "lagrangian start":
        outcome = _solve_from_lagrangian_start(programme, progress)
        if outcome is not None:
            return outcome
    with programme.options(solver="ipm", run_crossover="on"):
        return programme.solve(progress=progress)


def _solve_from_lagrangian_start(programme: Programme, progress: Progress | None) -> SolveOutcome | None:
    """max Σ value s.t. spend ≤ B, by primal simplex from the optimal basis of a budget-free problem.

    One pooled budget row couples every practice, and once it binds each simplex iteration is
    costly. Without it, min Σ spend − price × Σ value over the other rules (the Lagrangian
    problem at a price of value in £) solves about as fast as min_cost. Its optimum at a price
    at or below the budget row's true price (1 / its dual) spends no more than B, so it is
    feasible for max_value and, having bought value up to that price, close to optimal there:
    primal simplex finishes from its basis in a few thousand iterations (bench/README.md).

    The price starts at B / (value of full coverage) and doubles (halves) until the optimum
    spends more (no more) than B, then the bracket is narrowed geometrically; the search stops at
    the first price whose optimum spends at least ``START_NEAR_BUDGET`` × B, or when the bracket
    is within ``START_BRACKET_RATIO``. Every solve is a deterministic simplex, so the answer is the
    same on every run. Returns None (the caller falls back) if no start is found.
    """
    budget_rows = programme.rows("budget")
    budget = float(programme.row_upper[budget_rows[0]])
    data = programme.data
    full_value = sum(e * data.max_coverage[s] * data.value_weight[s] for (_p, s), e in data.eligible.items())
    if not (math.isfinite(budget) and budget > 0 and full_value > 0):
        return None
    spend, value = spend_coefficients(programme), value_coefficients(programme)
    price, below, above, start = budget / full_value, 0.0, math.inf, None
    with programme.changes():
        programme.relax_rows(budget_rows)
        for _ in range(START_MAX_SOLVES):
            programme.set_objective(spend - price * value)
            outcome = programme.solve(progress=progress)
            if outcome.status != "optimal" or outcome.col_value is None:
                return None
            spent = spend_of(programme, outcome.col_value)
            if spent <= budget:
                below, start = price, programme.basis()
                if spent >= START_NEAR_BUDGET * budget:
                    break
            else:
                above = price
            if math.isinf(above):  # no price yet spends more than the budget
                price *= 2
            elif below == 0:  # no price yet spends within it
                price /= 2
            elif above / below <= START_BRACKET_RATIO:
                break
            else:
                price = math.sqrt(below * above)
    if start is None:
        return None
    programme.set_basis(start)
    with programme.options(simplex_strategy=PRIMAL_SIMPLEX):
        return programme.solve(progress=progress)


# Objective scales of the one-column LPs below (the column's value is read, not the objective).
RATE_OBJECTIVE_SCALE = 1e3
FRACTION_OBJECTIVE_SCALE = 1e6


def spend_coefficients(programme: Programme) -> np.ndarray:
    """Cost vector of Σ_p spend[p] = Σ cost[r] h[p,r] − Σ claim[p] over the programme's columns."""
    return programme.memo(_spend)


def _spend(programme: Programme) -> np.ndarray:
    costs = np.zeros(programme.num_cols)
    hires = programme.cols("h")
    costs[hires] = [programme.data.cost[key[1]] for key in programme.col_key.at(hires)]
    costs[programme.cols("claim")] = -1.0
    return costs


def value_coefficients(programme: Programme) -> np.ndarray:
    """Cost vector of Σ value_weight[s] × cov[p,s] over the programme's columns."""
    return programme.memo(_value)


def _value(programme: Programme) -> np.ndarray:
    costs = np.zeros(programme.num_cols)
    cov = programme.cols("cov")
    costs[cov] = [programme.data.value_weight[key[1]] for key in programme.col_key.at(cov)]
    return costs


def spend_of(programme: Programme, x: np.ndarray) -> float:
    """Σ_p spend[p] at a solution (added columns ignored)."""
    return float(spend_coefficients(programme) @ x[: programme.num_cols])


def value_of(programme: Programme, x: np.ndarray) -> float:
    return float(value_coefficients(programme) @ x[: programme.num_cols])


@contextmanager
def _cold(programme: Programme) -> Iterator[Programme]:
    """``programme`` itself if it has not solved yet, else a fresh copy of it (no basis), whose solves
    are counted as ``programme``'s."""
    if programme.solves == 0:
        yield programme
        return
    copy = programme.fresh_copy()
    copy.progress, copy.started = programme.progress, programme.started
    try:
        yield copy
    finally:
        programme.solves += copy.solves


def least_cost_plan(programme: Programme, offer_rate: float | None = None) -> SolveOutcome:
    """The least-cost plan: min Σ spend under every rule but the money (docs/deliverability.md).

    Pooled, the budget row is free: a deliverable budget never binds at the least cost, so the plan
    does not depend on the budget, and when the budget falls short it is what the spec needs.
    Per practice, each practice keeps its own budget, or ``offer_rate`` × its weighted list.
    The least-cost LP has many optimal vertices, and which one a warm simplex lands on depends on
    what was solved before; the plan is always solved cold (on ``programme`` if it has not solved
    yet, else on a fresh copy), and HiGHS is deterministic, so ``solve``, the check and its money
    lever show one and the same allocation for one input.
    """
    with _cold(programme) as cold, cold.changes():
        cold.relax_rows(cold.rows("budget"))
        if offer_rate is not None:
            rows = cold.rows("practice_budget")
            weighted = np.array([cold.data.weighted_list[str(cold.row_key[i])] for i in rows])
            cold.set_row_bounds(rows, -INF, offer_rate * weighted)
        cold.set_objective(spend_coefficients(cold))
        return cold.solve()


# The relative margin by which a spend above a pooled budget counts as above it, beyond any solver
# tolerance.
BUDGET_MARGIN = 1e-9
PLAN_BEYOND_BUDGET = "Infeasible: the least-cost plan spends more than the budget"


def spends_beyond(spend: float, budget: float) -> bool:
    """Whether ``spend`` is above ``budget`` by more than ``BUDGET_MARGIN`` (relative) and £1e-6."""
    return spend > budget * (1 + BUDGET_MARGIN) + 1e-6


def plan_spends_beyond_the_budget(programme: Programme, plan: SolveOutcome) -> bool:
    """Pooled LP: whether the least-cost plan, an optimum with the budget row free, spends more than
    the budget. Then no allocation keeps the budget (nothing spends less than an optimum): this
    decides budgets so close to the least cost (£0.29 short of £11.56m) that HiGHS cannot."""
    rows = programme.rows("budget")
    if programme.is_mip or len(rows) != 1 or plan.status != "optimal" or plan.row_value is None:
        return False
    return spends_beyond(float(plan.row_value[rows[0]]), float(programme.base_row_upper[rows[0]]))


def least_cost_answer(programme: Programme, plan: SolveOutcome | None = None) -> SolveOutcome:
    """min_cost's answer for the scenario as loaded: the least-cost plan when it keeps the budget.

    Otherwise (the budget falls short, or the plan stopped early, or only a solver tolerance or a
    MIP gap separates it from the budget) the least spend with the budget held, solved cold as well
    (a start from the plan's basis can stall at a budget just below the least cost), so this too is
    one answer whoever asks. ``plan``: the least-cost plan, if already solved (``least_cost_plan``
    on a fresh copy of ``programme``).
    """
    decided = plan_answer(programme, plan) if plan is not None else None
    if decided is not None:
        return decided
    with _cold(programme) as cold, cold.time_budget(float(cold.time_limit_s or cold.scenario.settings.time_limit_s)):
        if plan is None:
            plan = least_cost_plan(cold)
            decided = plan_answer(cold, plan)
            if decided is not None:
                return decided
        with _cold(cold) as held, held.changes():
            held.set_objective(spend_coefficients(held))
            return held.solve()


def best_value_answer(programme: Programme, progress: Progress | None = None) -> SolveOutcome:
    """max_value's or max_min_coverage's answer, as ``solve`` and a check give it: the value solve,
    then, at that value, the least spend (``least_spend_at_best_value``)."""
    outcome = solve_for_value(programme, progress)
    if outcome.status == "optimal":
        outcome = least_spend_at_best_value(programme, outcome, progress)
    return outcome


def plan_answer(programme: Programme, plan: SolveOutcome) -> SolveOutcome | None:
    """min_cost's answer as the least-cost plan alone decides it: infeasible when the plan spends
    beyond a pooled budget, the plan itself when it is infeasible or keeps every budget row; else
    None (the least spend with the budget held must be solved)."""
    rows = programme.rows("budget")
    if plan_spends_beyond_the_budget(programme, plan):
        return SolveOutcome("infeasible", False, None, None, None, None, None, plan.solve_seconds, PLAN_BEYOND_BUDGET)
    if plan.status == "infeasible" or (
        plan.feasible
        and plan.row_value is not None
        and bool(np.all(plan.row_value[rows] <= programme.base_row_upper[rows]))
    ):
        return plan
    return None


def least_spend_at_best_value(programme: Programme, best: SolveOutcome, progress: Progress | None) -> SolveOutcome:
    """Among allocations within VALUE_KEEP_TOLERANCE of ``best``'s value, one of least spend.

    ``best`` must be the last solve of the model as loaded. For an LP the search is confined to
    the optimal face: by complementary slackness every optimal solution keeps a column with a
    nonzero reduced cost at its bound and a row with a nonzero dual at its active side, so those
    are fixed (``best`` stays feasible and its basis stays valid, so HiGHS re-solves warm, usually
    in a few iterations; when the budget binds, spend is already fixed). The value row is kept
    as well, so the value never drops by more than the tolerance whatever the duals say.
    The reported objective value stays ``best``'s, and so do the duals (those of the value solve).
    """
    assert best.objective_value is not None
    value = programme.base_cost
    value_cols = np.flatnonzero(value)
    keep = best.objective_value * (1 - VALUE_KEEP_TOLERANCE) - VALUE_KEEP_TOLERANCE
    with programme.changes():
        _restrict_to_optimal_face(programme, best)
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


def _restrict_to_optimal_face(programme: Programme, best: SolveOutcome) -> None:
    """Fix the bounds every optimal solution holds (LPs with duals only; else nothing)."""
    x, d, ax, y = best.col_value, best.col_dual, best.row_value, best.row_dual
    if programme.is_mip or x is None or d is None or ax is None or y is None:
        return
    n, m = programme.num_cols, programme.num_rows
    if len(x) != programme.num_current_cols or len(d) < n or len(ax) < m or len(y) < m:
        return
    cols = np.flatnonzero(np.abs(d[:n]) > FACE_DUAL_TOLERANCE)
    lower, upper = programme.col_lower[cols], programme.col_upper[cols]
    at = np.where(np.abs(x[cols] - lower) <= np.abs(x[cols] - upper), lower, upper)
    held = _at_bound(x[cols], at)
    programme.set_col_bounds(cols[held], at[held], at[held])
    rows = np.flatnonzero(np.abs(y[:m]) > FACE_DUAL_TOLERANCE)
    lower, upper = programme.row_lower[rows], programme.row_upper[rows]
    at = np.where(np.abs(ax[rows] - lower) <= np.abs(ax[rows] - upper), lower, upper)
    held = _at_bound(ax[rows], at)
    programme.set_row_bounds(rows[held], at[held], at[held])


def _at_bound(values: npt.NDArray[np.float64], bounds: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Where a value sits on a finite bound (to HiGHS' primal feasibility tolerance, relative)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(bounds) & (np.abs(values - bounds) <= 1e-7 * np.maximum(1.0, np.abs(bounds)))


def least_offer_rate(programme: Programme) -> tuple[SolveOutcome, float | None]:
    """Least uniform offer rate r: practice_budget rows become spend[p] − r × wl[p] ≤ 0."""
    rows = programme.rows("practice_budget")
    wl = np.array([programme.data.weighted_list[str(programme.row_key[i])] for i in rows])
    with programme.changes():
        r = programme.add_column(0.0, INF, rows, -wl)
        programme.set_row_bounds(rows, -INF, 0.0)
        # Scaled so the duals (≈ 1 / weighted list) clear HiGHS' dual feasibility tolerance of 1e-7.
        programme.set_objective(programme.objective_vector({r: RATE_OBJECTIVE_SCALE}))
        outcome = programme.solve()
    if not outcome.has_solution or outcome.col_value is None:
        return outcome, None
    return outcome, float(outcome.col_value[r])


def standard_rows(programme: Programme) -> dict[str, np.ndarray]:
    """min_standard rows with a positive requirement, by service."""
    rows = programme.rows("min_standard")
    return programme.rows_by_last_index(rows[programme.base_row_lower[rows] > 0])


def highest_fraction(programme: Programme, rows: np.ndarray) -> tuple[SolveOutcome, float | None]:
    """Highest t in [0, 1] with the given min_standard rows relaxed to cov ≥ t × min × E (a column t)."""
    with programme.changes():
        t = programme.add_column(0.0, 1.0, rows, -programme.base_row_lower[rows])
        programme.set_row_bounds(rows, 0.0, INF)
        # Scaled: at 1 the duals (d t / d £ ≈ 1e-8) are below HiGHS' dual feasibility tolerance and the
        # simplex stopped early: 0.8915 to 0.8928 "optimal" on the bundled offer by seed and presolve,
        # against 0.892809235111529 in every run at 1e6.
        programme.set_objective(programme.objective_vector({t: FRACTION_OBJECTIVE_SCALE}), maximise=True)
        outcome = programme.solve()
    return outcome, float(outcome.col_value[t]) if outcome.col_value is not None else None


def highest_uniform_fraction(programme: Programme) -> tuple[SolveOutcome, float | None]:
    """Highest t in [0, 1] with every minimum standard relaxed to t × its level (one LP, t a column)."""
    by_service = standard_rows(programme)
    if not by_service:
        return programme.feasibility(), 1.0
    return highest_fraction(programme, np.concatenate(list(by_service.values())))
