"""Exact levers by hot re-solves of one "money needed" programme.

Every lever question "is the spec deliverable with this change?" is answered by an
*optimisation* that is always feasible when the money is the only thing missing: the least
spend with the budget row free (pooled) or the least uniform offer rate (per practice). The
spec is deliverable iff that need is within the budget/offer. Unlike a zero-objective
feasibility solve (which ended "Unknown" on the bundled offer with the caps raised by 6.40 or
6.42 contacts per FTE-day), this programme stays feasible while only money is missing, and its
value is a monotone function of the lever that Newton (standards: the need is convex in the
fraction) or a safeguarded secant (safe working) root-finds in a handful of hot re-solves.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from models.standard_form import INF
from optimiser.objectives import RATE_OBJECTIVE_SCALE
from optimiser.programme import Programme, SolveOutcome

# Safe-working raises are found on this grid (contacts per FTE-day): the least multiple that suffices.
SAFE_WORKING_STEP = 0.001
# The first raise tried when searching for one that suffices: 1 contact per FTE-day.
FIRST_RAISE_STEPS = 1000
# The need counts as met when it is within this share of the budget/offer (solver tolerance).
NEED_TOLERANCE = 1e-9
# Raises of every cap that fall short before a solve without the caps checks that raising them can
# fix it at all (``least_cap_raise``): on the bundled offer the third raise tried suffices.
SHORT_BEFORE_FREE = 3
# The tangent's shortfall at t = 0 must exceed this share of the shortfall at t (beyond the need's
# tolerance) to decide "not even at 0" without a solve (duals carry the solver's tolerances).
TANGENT_MARGIN = 1e-6
# Newton iterations before falling back to one LP.
NEWTON_MAX = 40


@dataclass
class Need:
    """What one solve of the need programme says: ``excess`` = need − limit (inf if the rest is infeasible)."""

    excess: float | None  # None: no answer (time limit / solver error)
    derivative_rows: np.ndarray | None  # row duals, in objective units per unit of each row bound
    status: str
    value: float | None = None


class NeedProgramme:
    """The least money the programme needs, evaluated under changes made by the caller."""

    def __init__(self, programme: Programme, spend: np.ndarray):
        self.p = programme
        self.spend = spend
        settings = programme.scenario.settings
        self.pooled = settings.budget_mode == "pooled"
        if self.pooled:
            self.limit = float(settings.budget_gbp or 0.0)
        else:
            self.limit = float(settings.offer_rate_gbp_per_weighted_patient or 0.0)
        self.tolerance = NEED_TOLERANCE * max(1.0, abs(self.limit))
        self.rate_col: int | None = None

    @contextmanager
    def opened(self) -> Iterator[NeedProgramme]:
        p = self.p
        with p.changes():
            if self.pooled:
                p.relax_rows(p.rows("budget"))
                p.set_objective(p.objective_vector(base=self.spend))
            else:
                rows = p.rows("practice_budget")
                wl = np.array([p.data.weighted_list[str(p.row_key[i])] for i in rows])
                self.rate_col = p.add_column(0.0, INF, rows, -wl)
                p.set_row_bounds(rows, -INF, 0.0)
                p.set_objective(p.objective_vector({self.rate_col: RATE_OBJECTIVE_SCALE}))
            try:
                yield self
            finally:
                self.rate_col = None

    def evaluate(self) -> Need:
        return self.read(self.p.solve())

    def read(self, outcome: SolveOutcome) -> Need:
        """The need an optimum of this programme (as ``opened``) shows; no solve here."""
        if outcome.status == "infeasible":
            return Need(INF, None, "infeasible")
        if outcome.status != "optimal" or outcome.col_value is None:
            return Need(None, None, outcome.status)
        x = outcome.col_value
        if self.pooled:
            value = float(self.spend @ x[: len(self.spend)])
            duals = outcome.row_dual
        else:
            assert self.rate_col is not None
            value = float(x[self.rate_col])
            duals = None if outcome.row_dual is None else outcome.row_dual / RATE_OBJECTIVE_SCALE
        return Need(value - self.limit, duals, "optimal", value)

    def met(self, need: Need) -> bool:
        return need.excess is not None and need.excess <= self.tolerance


# --------------------------------------------------------------------------------------
# Standards: the need is convex in the fraction t (an LP's value is convex in its
# right-hand side, and the standards' right-hand sides are t × min × E), so Newton from t = 1
# (slope from the duals) stays above the root and lands on the highest t whose need is met.
# --------------------------------------------------------------------------------------
def highest_fraction_newton(
    need: NeedProgramme, rows: np.ndarray, first: Need | None = None
) -> tuple[str, float | None, int]:
    """Highest t in [0, 1] with the rows' lower bounds scaled by t and the need met (``first``: the
    need at t = 1, solved already).

    Returns (how, t, solves): how is "exact" (Newton converged; t is None when even t = 0
    is short), or "fallback" when Newton could not be used (the caller solves one LP).
    """
    p = need.p
    base = p.base_row_lower[rows]
    solves = 0

    def at(t: float) -> Need:
        nonlocal solves
        with p.changes():
            p.set_row_bounds(rows, base * t, INF)
            solves += 1
            return need.evaluate()

    t = 1.0
    current = first if first is not None else at(t)
    for _ in range(NEWTON_MAX):
        if current.excess is None or not math.isfinite(current.excess):
            return "fallback", None, solves
        if current.excess <= need.tolerance:
            if current.excess < -need.tolerance and t < 1.0:
                return "fallback", None, solves  # overshot: the need was not convex numerically
            return "exact", t, solves
        if current.derivative_rows is None:
            return "fallback", None, solves
        slope = float(current.derivative_rows[rows] @ base)
        step = current.excess / slope if slope > 0 else INF
        if t - step <= 0.0:
            if t == 0.0:
                return "exact", None, solves
            # The need is convex in t, so it lies above its tangent at t; where that tangent is still
            # clearly short at 0, so is the need (no solve: 12 of the bundled offer's 14 services).
            if current.excess - max(slope, 0.0) * t > TANGENT_MARGIN * current.excess + need.tolerance:
                return "exact", None, solves
            zero = at(0.0)
            if zero.excess is not None and zero.excess > need.tolerance:
                return "exact", None, solves
            return "fallback", None, solves
        t = t - step
        current = at(t)
    return "fallback", None, solves


# --------------------------------------------------------------------------------------
# Safe working: raise the caps of the given rows by δ contacts per FTE-day.
# Row Σx ≤ cap·days·(staff + e + h) has F's coefficients −cap·days and upper bound cap·days·staff;
# raising the cap to cap + δ scales both by (cap + δ)/cap.
# --------------------------------------------------------------------------------------
class CapRaise:
    def __init__(self, programme: Programme, rows: np.ndarray):
        p = programme
        caps = p.scenario.roles["max_contacts_per_day"].to_dict()
        self.p = p
        self.rows = np.asarray(rows, dtype=np.int64)
        self.cap = np.array([float(caps[key[1]]) for key in p.row_key.at(self.rows)])
        self.upper = p.base_row_upper[self.rows].copy()
        # The rows' entries in the FTE columns (h, e), row by row in the matrix's order.
        fte = np.zeros(p.num_cols, dtype=bool)
        fte[p.cols("h")] = True
        fte[p.cols("e")] = True
        matrix = p.own_matrix()[self.rows]
        position = np.repeat(np.arange(len(self.rows)), np.diff(matrix.indptr))
        keep = fte[matrix.indices]
        self.position = position[keep]
        self.entry_rows = self.rows[self.position]
        self.entry_cols = matrix.indices[keep]
        self.entry_values = matrix.data[keep]

    def apply(self, delta: float) -> None:
        """Inside ``changes()``: every row's cap becomes cap + delta."""
        factor = (self.cap + delta) / self.cap
        values = self.entry_values * factor[self.position]
        self.p.change_coefficients(self.entry_rows, self.entry_cols, values, self.entry_values)
        self.p.set_row_bounds(self.rows, -INF, self.upper * factor)


def least_cap_raise(
    need: NeedProgramme, rows: np.ndarray, start: Need | None = None, free_first: bool = True
) -> tuple[str, int | None, int]:
    """Least k such that raising the rows' caps by k × SAFE_WORKING_STEP meets the need.

    ("exact", k, solves) with k − 1 proven short; ("cannot", None, n) when even without those
    caps the need is not met; ("no_answer", None, n) when a solve gave no answer. ``start``: the
    need with no cap raised, solved already. ``free_first``: whether the need without those caps is
    solved before any raise (where "cannot" is likely, one role's caps alone) or only after
    SHORT_BEFORE_FREE raises fell short (every cap: the raise usually suffices by then, and that
    solve is the search's costliest).
    """
    p = need.p
    solves = 0
    if (
        start is not None
        and start.derivative_rows is not None
        and start.excess is not None
        and not need.met(start)
        and not start.derivative_rows[rows].any()
    ):
        # No cap of these rows has a price at the need's optimum: without them that optimum stays
        # optimal (its duals stay feasible), so the need stays unmet, as a solve without them shows.
        return "cannot", None, solves
    raise_ = CapRaise(p, rows)
    values: dict[int, float] = {}

    def at(k: int) -> float | None:
        nonlocal solves
        with p.changes():
            raise_.apply(k * SAFE_WORKING_STEP)
            solves += 1
            result = need.evaluate()
        if result.excess is not None:
            values[k] = result.excess
        return result.excess

    def without_caps() -> str | None:
        """Why the search ends without these caps ("cannot", "no_answer"); None: it goes on."""
        nonlocal solves
        with p.changes():
            p.relax_rows(raise_.rows)
            solves += 1
            free = need.evaluate()
        if free.excess is None:
            return "no_answer"
        return None if need.met(free) else "cannot"

    if free_first and (ended := without_caps()) is not None:
        return ended, None, solves
    lo = 0
    v_lo = start.excess if start is not None and start.excess is not None else at(0)
    if v_lo is None:
        return "no_answer", None, solves
    if v_lo <= need.tolerance:
        return "exact", 0, solves
    # A raise that suffices: from 1 contact per FTE-day, extrapolate the need linearly to zero
    # (10% beyond), growing the raise at least 10% and at most 8× a step. (At least 2× overshot
    # on the bundled offer: 6.24 → 12.48 contacts per FTE-day where 7.04 sufficed, the search's
    # costliest solve.)
    hi = FIRST_RAISE_STEPS
    short = 0
    while True:
        v_hi = at(hi)
        if v_hi is None:
            return "no_answer", None, solves
        if v_hi <= need.tolerance:
            break
        short += 1
        if not free_first and short == SHORT_BEFORE_FREE and (ended := without_caps()) is not None:
            return ended, None, solves
        grow = 4 * hi
        if math.isfinite(v_lo) and math.isfinite(v_hi) and v_hi < v_lo:
            guess = hi + (hi - lo) * v_hi / (v_lo - v_hi)
            grow = min(max(math.ceil(guess * 1.1), hi + max(1, hi // 10)), 8 * hi)
        lo, v_lo = hi, v_hi
        hi = grow
        if hi > 10**8:
            return "no_answer", None, solves
    # Safeguarded secant on the grid (Illinois: when one end stays twice, halve its value so the
    # next step moves towards it); a bisection after three steps that did not halve the bracket.
    # lo is short (v_lo > 0), hi meets the need (v_hi <= tol).
    kept_side, slow = 0, 0
    v_lo_used = v_lo
    while hi - lo > 1:
        width = hi - lo
        if slow >= 3 or not math.isfinite(v_lo_used):
            k, slow = (lo + hi) // 2, 0
        else:
            secant = lo + (hi - lo) * v_lo_used / (v_lo_used - v_hi)
            k = min(max(math.ceil(secant), lo + 1), hi - 1)
        v = at(k)
        if v is None:
            return "no_answer", None, solves
        if v <= need.tolerance:
            hi, v_hi = k, v
            v_lo_used = v_lo_used / 2 if kept_side == -1 else v_lo
            kept_side = -1  # lo kept
        else:
            lo, v_lo = k, v
            v_lo_used = v_lo
            kept_side = 1
        slow = slow + 1 if (hi - lo) * 2 > width else 0
    return "exact", hi, solves
