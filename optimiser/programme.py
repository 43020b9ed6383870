"""The one owner of the solver: a scenario's programme loaded into a live HiGHS instance.

A ``StandardForm`` (built by ``models.arrays``, the default, or compiled from the Pyomo
model of record) is handed to ``highspy`` in one ``passModel`` and the ``Highs`` object is kept, so that
re-solves after a change start hot from the previous basis. Every change (row or column
bounds, costs and sense, integrality, added rows and elastic columns, coefficients) is
made inside ``with programme.changes():``, which records how to undo it and undoes
everything in reverse order on exit: after the block the loaded model is the scenario's
own again. Solutions come back as arrays in a ``SolveOutcome``.

Nothing else in the product imports ``highspy``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar, cast

import highspy
import numpy as np
import pandas as pd

from models.arrays import build_arrays
from models.formulation import ProgrammeData, derive
from models.scenario import Scenario
from models.standard_form import INF, StandardForm, build_pyomo

Status = Literal["optimal", "infeasible", "time_limit", "error"]
T = TypeVar("T")
U = TypeVar("U")
Progress = Callable[[float], None]
# How a programme is built: straight to arrays (the default) or through the Pyomo model of record.
ENGINES = ("arrays", "pyomo")

# HiGHS' dual feasibility tolerance for the fairest objective (max_min_coverage). Its objective is
# one coverage share (about 1) against columns of pounds, FTE and patients (up to ~1e7), so HiGHS'
# default (1e-7, absolute) passes reduced costs of a few 1e-8 as optimal: on data/example_icb at
# £19m four algorithms each said "optimal" at four lowest coverages from 95.05% to 95.34%, and
# warm re-solves in a sweep landed anywhere among them. At 1e-10 all four agree to 10 digits.
FAIR_DUAL_FEASIBILITY_TOLERANCE = 1e-10

# Outcomes that mean "not decided yet"; each fallback (option, value) is tried in turn.
_UNDECIDED = (
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
    highspy.HighsModelStatus.kUnknown,
    highspy.HighsModelStatus.kSolveError,
    highspy.HighsModelStatus.kPostsolveError,
)
# Each fallback: (option, value, from cold). Cold primal simplex (no basis, presolve on): dual
# simplex can end "Unknown" when a programme is infeasible by a margin small beside its scale (a
# pooled budget £203 short of an £11.56m least cost), and primal simplex from the basis it ended on
# does too; from cold, primal simplex proves it infeasible.
_FALLBACKS = (("presolve", "off", False), ("simplex_strategy", 4, True), ("solver", "ipm", False))

# An infeasibility proof (Programme.proves_infeasible) must clear this share of its terms' size.
PROOF_MARGIN = 1e-6
# A dual ray's entry this small beside its largest is rounding noise (seen: 1e-14 beside 625).
RAY_NOISE = 1e-9
# What a bound proven by multipliers (Programme.lower_bound) allows, as a share of its terms' total
# size, for the rounding of its sums: about 1e-16 a term, over up to 1e5 terms, with room to spare.
BOUND_ROUNDING = 1e-10

# HiGHS 1.15's iis_strategy is a bit map. Its option *description* text says "4 => Prioritise
# columns; 8 => Find true IIS", but the enum (and the code) say kIisStrategyIrreducible = 4 and
# kIisStrategyColPriority = 8; tests/test_explain.py pins the behaviour we rely on: the elastic-LP
# bit (2) alone returns an infeasible set that need not be irreducible, and adding bit 4 reduces
# it to an irreducible one.
IIS_STRATEGY = int(highspy.IisStrategy.kIisStrategyFromLp) | int(highspy.IisStrategy.kIisStrategyIrreducible)
_IIS_SIDES = {
    int(highspy.IisBoundStatus.kIisBoundStatusLower): "lower",
    int(highspy.IisBoundStatus.kIisBoundStatusUpper): "upper",
    int(highspy.IisBoundStatus.kIisBoundStatusBoxed): "both",
}


@dataclass
class SolveOutcome:
    """What one solve produced. ``has_solution`` is true when ``col_value`` holds a feasible point."""

    status: Status
    has_solution: bool
    objective_value: float | None
    col_value: np.ndarray | None
    row_value: np.ndarray | None
    row_dual: np.ndarray | None
    col_dual: np.ndarray | None
    solve_seconds: float
    message: str
    mip_gap: float | None = None

    @property
    def feasible(self) -> bool:
        return self.status == "optimal" or (self.status == "time_limit" and self.has_solution)


@dataclass
class RowRanging:
    """HiGHS' ranging of each own row's active bound (``Programme.ranging``): up to ``up_value``
    (down to ``down_value``) the basis stays optimal, and the objective there is ``up_objective``
    (``down_objective``)."""

    up_value: np.ndarray
    up_objective: np.ndarray
    down_value: np.ndarray
    down_objective: np.ndarray


@dataclass
class Iis:
    """An irreducible (or at least infeasible) set from HiGHS: (position, side) of rows and column bounds."""

    rows: list[tuple[int, str]]
    cols: list[tuple[int, str]]
    irreducible: bool


class QuietHighs(highspy.Highs):
    """A ``Highs`` instance that writes nothing, not even HiGHS' banner.

    HiGHS writes its banner from the first call other than setting an option, and highspy's
    constructor makes one (it enables callbacks), before a caller could switch output off. So
    output is switched off just before callbacks are enabled.
    """

    def enableCallbacks(self) -> None:
        self.setOptionValue("output_flag", False)
        super().enableCallbacks()


def solver_name() -> dict[str, str]:
    return {"name": "HiGHS", "version": QuietHighs().version()}


class Programme:
    """A scenario's programme loaded into a live ``Highs`` instance, with an undo log.

    Row ``i`` is rule ``row_rule[i]`` at index ``row_key[i]``; column ``j`` is variable
    ``col_var[j]`` at index ``col_key[j]`` (the names of ``models.formulation``). ``form``
    lets a caller supply the arrays; otherwise ``engine`` builds them: ``"arrays"`` (numpy,
    ``models.arrays``) or ``"pyomo"`` (the Pyomo model of record, compiled). Both give the
    identical programme.
    """

    def __init__(
        self,
        scenario: Scenario,
        data: ProgrammeData | None = None,
        form: StandardForm | None = None,
        progress: Progress | None = None,
        engine: str = "arrays",
    ):
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)} (got {engine!r})")
        self.scenario = scenario
        self.engine = engine
        if form is None:
            if engine == "pyomo":
                form, data = build_pyomo(scenario, data)
            else:
                started = time.perf_counter()
                data = data if data is not None else derive(scenario)
                derived = time.perf_counter() - started
                form = build_arrays(scenario, data)
                form.timings["build"] += derived
        self.data = data if data is not None else derive(scenario)
        self.timings: dict[str, float] = dict(form.timings)
        # Solves made so far, and what every solve reports progress to (seconds since creation).
        self.solves = 0
        self.progress = progress
        self.started = time.perf_counter()
        # A time limit for every solve (else the scenario's), and an optional shared deadline.
        self.time_limit_s: float | None = None
        self.deadline: float | None = None

        started = time.perf_counter()
        self.row_rule, self.row_key = form.row_rule, form.row_key
        self.col_var, self.col_key = form.col_var, form.col_key
        self.num_rows, self.num_cols = len(form.row_rule), len(form.col_var)
        self.minimise = form.minimise
        matrix = form.matrix
        self.highs = QuietHighs()
        self.highs.passModel(
            self.num_cols,
            self.num_rows,
            int(matrix.nnz),
            int(highspy.MatrixFormat.kColwise),
            int(highspy.ObjSense.kMinimize if form.minimise else highspy.ObjSense.kMaximize),
            form.offset,
            form.cost,
            form.col_lower,
            form.col_upper,
            form.row_lower,
            form.row_upper,
            matrix.indptr.astype(np.int32),
            matrix.indices.astype(np.int32),
            matrix.data.astype(float),
            form.integrality,
        )
        if scenario.settings.objective == "max_min_coverage":
            self.highs.setOptionValue("dual_feasibility_tolerance", FAIR_DUAL_FEASIBILITY_TOLERANCE)
        self.base_row_lower = form.row_lower
        self.base_row_upper = form.row_upper
        self.base_col_lower = form.col_lower
        self.base_col_upper = form.col_upper
        self.base_cost = np.asarray(form.cost, dtype=float)
        self.base_integrality = np.asarray(form.integrality, dtype=np.uint8)
        for base in (
            self.base_row_lower,
            self.base_row_upper,
            self.base_col_lower,
            self.base_col_upper,
            self.base_cost,
            self.base_integrality,
        ):
            base.setflags(write=False)
        # The model as currently loaded in HiGHS (it changes inside changes() blocks). Each array
        # shares the base one's memory until its first change: bounds are copied by the first
        # _load_*_bounds, costs and integrality are only ever replaced, never written in place.
        self.row_lower, self.row_upper = self.base_row_lower, self.base_row_upper
        self.col_lower, self.col_upper = self.base_col_lower, self.base_col_upper
        self._costs = self.base_cost
        self._maximise = not form.minimise
        self._integrality = self.base_integrality
        self._row_matrix: Any = None
        self._frames: list[list[Callable[[], None]]] = []
        self._memo: dict[Callable[[Programme], object], object] = {}
        self.timings["pass_to_highs"] = time.perf_counter() - started
        self._rows_by_rule = _positions(self.row_rule)
        self._cols_by_var = _positions(self.col_var)

    def fresh_copy(self) -> Programme:
        """The scenario's programme built again, with its own HiGHS instance: for a solve beside this one.

        It has the same rows and columns (so the same positions), the same time limits, and none
        of this programme's changes or basis.
        """
        copy = Programme(self.scenario, data=self.data, engine=self.engine)
        copy.time_limit_s, copy.deadline = self.time_limit_s, self.deadline
        return copy

    # --- lookup -----------------------------------------------------------------
    def rows(self, rule: str) -> np.ndarray:
        """Row positions of a rule family (empty if the scenario has none)."""
        return self._rows_by_rule.get(rule, np.empty(0, dtype=np.int64))

    def rows_by_last_index(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        """``rows`` (of a family keyed (practice, service) or (practice, role)) grouped by the last
        index of their key, the service or role, in the order each first appears."""
        grouped: dict[str, list[int]] = {}
        for i, key in zip(rows.tolist(), self.row_key.at(rows), strict=True):
            grouped.setdefault(str(key[1]), []).append(i)
        return {name: np.array(positions, dtype=np.int64) for name, positions in grouped.items()}

    def cols(self, var: str) -> np.ndarray:
        return self._cols_by_var.get(var, np.empty(0, dtype=np.int64))

    def rules_present(self) -> list[str]:
        return list(self._rows_by_rule)

    def column_values(self, var: str, values: np.ndarray) -> pd.Series:
        """Values of one variable family as a Series indexed by its (tuple) index."""
        positions = self.cols(var)
        return pd.Series(values[positions], index=self.col_key.as_index(positions), dtype=float)

    def row_entries(self, rows: np.ndarray) -> dict[int, list[tuple[int, float]]]:
        """Entries (col, value) of the programme's own matrix in the given rows."""
        matrix = self.own_matrix()
        out: dict[int, list[tuple[int, float]]] = {}
        for i in rows:
            lo, hi = matrix.indptr[i], matrix.indptr[i + 1]
            out[int(i)] = list(zip(matrix.indices[lo:hi].tolist(), matrix.data[lo:hi].tolist(), strict=True))
        return out

    def own_matrix(self) -> Any:
        """The programme's own constraint matrix (rows × columns, scipy CSR), read from HiGHS once."""
        if self._row_matrix is None:
            import scipy.sparse as sp

            lp = self.highs.getLp()
            a = lp.a_matrix_
            shape = (lp.num_row_, lp.num_col_)
            start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
            if a.format_ == highspy.MatrixFormat.kColwise:
                full = sp.csc_matrix((value, index, start), shape=shape).tocsr()
            else:
                full = sp.csr_matrix((value, index, start), shape=shape)
            self._row_matrix = full[: self.num_rows, : self.num_cols].tocsr()
        return self._row_matrix

    def memo(self, compute: Callable[[Programme], T]) -> T:
        """``compute(self)``, computed once per programme (for derived vectors such as the spend costs).

        Kept under ``compute`` itself (a module-level function, so the same object at every call),
        so the value found is the one ``compute`` returned, of its declared type.
        """
        if compute not in self._memo:
            self._memo[compute] = compute(self)
        # The value under `compute` is what compute(self) returned: a T.
        return cast(T, self._memo[compute])

    @property
    def is_mip(self) -> bool:
        """Whether the model as currently loaded has integer columns."""
        return bool(self._integrality.any())

    @property
    def num_current_cols(self) -> int:
        """Columns currently loaded: the programme's own plus any added inside changes()."""
        return int(self.highs.getNumCol())

    # --- undo log ------------------------------------------------------------------------
    @contextmanager
    def changes(self) -> Iterator[Programme]:
        """Every change made inside is undone, in reverse order, when the block exits."""
        self._frames.append([])
        try:
            yield self
        finally:
            for undo in reversed(self._frames.pop()):
                undo()

    def _record(self, undo: Callable[[], None]) -> None:
        if not self._frames:
            raise RuntimeError("changes to a programme must be made inside `with programme.changes():`")
        self._frames[-1].append(undo)

    @contextmanager
    def options(self, **values: Any) -> Iterator[None]:
        """HiGHS options set for the block, then restored."""
        old = {name: self.highs.getOptionValue(name)[1] for name in values}
        for name, value in values.items():
            self.highs.setOptionValue(name, value)
        try:
            yield
        finally:
            for name, value in old.items():
                self.highs.setOptionValue(name, value)

    @contextmanager
    def time_budget(self, seconds: float) -> Iterator[None]:
        """Solves inside share ``seconds`` of wall-clock time (each still capped by its own limit)."""
        outer = self.deadline
        self.deadline = time.perf_counter() + seconds if outer is None else min(outer, time.perf_counter() + seconds)
        try:
            yield
        finally:
            self.deadline = outer

    # --- changes ---------------------------------------------------------------------------
    def set_row_bounds(self, rows: np.ndarray, lower: Any, upper: Any) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        old_lower, old_upper = self.row_lower[rows].copy(), self.row_upper[rows].copy()
        self._record(lambda: self._load_row_bounds(rows, old_lower, old_upper))
        self._load_row_bounds(rows, lower, upper)

    def _load_row_bounds(self, rows: np.ndarray, lower: Any, upper: Any) -> None:
        positions = np.asarray(rows, dtype=np.int32)
        lower = np.broadcast_to(np.asarray(lower, float), positions.shape).copy()
        upper = np.broadcast_to(np.asarray(upper, float), positions.shape).copy()
        # highspy's stubs (_core/__init__.pyi) omit this binding of the C extension, and getDualRay below.
        self.highs.changeRowsBounds(len(positions), positions, lower, upper)  # type: ignore[attr-defined]  # stubs
        if self.row_lower is self.base_row_lower:
            self.row_lower, self.row_upper = self.base_row_lower.copy(), self.base_row_upper.copy()
        self.row_lower[rows] = lower
        self.row_upper[rows] = upper

    def relax_rows(self, rows: np.ndarray) -> None:
        self.set_row_bounds(rows, -INF, INF)

    def set_col_bounds(self, cols: np.ndarray, lower: Any, upper: Any) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        if not len(cols):
            return
        old_lower, old_upper = self.col_lower[cols].copy(), self.col_upper[cols].copy()
        self._record(lambda: self._load_col_bounds(cols, old_lower, old_upper))
        self._load_col_bounds(cols, lower, upper)

    def _load_col_bounds(self, cols: np.ndarray, lower: Any, upper: Any) -> None:
        positions = np.asarray(cols, dtype=np.int32)
        lower = np.broadcast_to(np.asarray(lower, float), positions.shape).copy()
        upper = np.broadcast_to(np.asarray(upper, float), positions.shape).copy()
        self.highs.changeColsBounds(len(positions), positions, lower, upper)
        if self.col_lower is self.base_col_lower:
            self.col_lower, self.col_upper = self.base_col_lower.copy(), self.base_col_upper.copy()
        self.col_lower[cols] = lower
        self.col_upper[cols] = upper

    def relax_integrality(self) -> None:
        if not self._integrality.any():
            return
        old = self._integrality.copy()
        self._load_integrality(np.zeros_like(old))
        self._record(lambda: self._load_integrality(old))

    def _load_integrality(self, values: np.ndarray) -> None:
        cols = np.arange(len(values), dtype=np.int32)
        self.highs.changeColsIntegrality(len(cols), cols, values.astype(np.uint8))
        self._integrality = values.copy()

    def set_objective(self, costs: np.ndarray, maximise: bool = False) -> None:
        """Objective over all current columns (the programme's own and any added)."""
        old_costs, old_maximise = self._costs.copy(), self._maximise
        self._load_objective(np.asarray(costs, dtype=float), maximise)
        self._record(lambda: self._load_objective(old_costs, old_maximise))

    def _load_objective(self, costs: np.ndarray, maximise: bool) -> None:
        n = self.num_current_cols
        costs = np.resize(costs, n) if len(costs) != n else costs
        cols = np.arange(n, dtype=np.int32)
        self.highs.changeColsCost(n, cols, costs)
        self.highs.changeObjectiveSense(highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize)
        self._costs, self._maximise = costs.copy(), maximise

    def objective_vector(self, entries: dict[int, float] | None = None, base: np.ndarray | None = None) -> np.ndarray:
        """A cost vector over the current columns: ``base`` on the original ones plus ``entries``."""
        costs = np.zeros(self.num_current_cols)
        if base is not None:
            costs[: len(base)] = base
        for j, c in (entries or {}).items():
            costs[j] = c
        return costs

    def add_column(self, lower: float, upper: float, rows: Any, values: Any) -> int:
        """Add a continuous column (cost 0) with the given entries; return its position."""
        rows_arr = np.asarray(rows, dtype=np.int32)
        vals = np.asarray(values, dtype=float)
        self.highs.addCol(0.0, float(lower), float(upper), len(rows_arr), rows_arr, vals)
        j = self.num_current_cols - 1
        self._costs = np.append(self._costs, 0.0)
        self._integrality = np.append(self._integrality, np.uint8(0))

        def undo() -> None:
            self.highs.deleteCols(1, np.array([j], dtype=np.int32))
            self._costs = self._costs[:j]
            self._integrality = self._integrality[:j]

        self._record(undo)
        return j

    def add_row(self, lower: float, upper: float, cols: Sequence[int], values: Sequence[float]) -> int:
        """Add a row ``lower <= Σ values × x[cols] <= upper``; return its position."""
        cols_arr = np.asarray(cols, dtype=np.int32)
        vals = np.asarray(values, dtype=float)
        self.highs.addRow(float(lower), float(upper), len(cols_arr), cols_arr, vals)
        i = int(self.highs.getNumRow()) - 1
        self._record(lambda: _ignore(self.highs.deleteRows(1, np.array([i], dtype=np.int32))))
        return i

    def add_columns(
        self, lower: Any, upper: Any, rows: Sequence[Sequence[int]], values: Sequence[Sequence[float]]
    ) -> np.ndarray:
        """Add continuous columns (cost 0) in one call; column ``k`` has entries ``values[k]`` in rows ``rows[k]``.

        Returns their positions; undone (one delete) when the enclosing ``changes()`` block exits.
        """
        count = len(rows)
        if not count:
            return np.empty(0, dtype=np.int64)
        lower_arr = np.broadcast_to(np.asarray(lower, float), (count,)).copy()
        upper_arr = np.broadcast_to(np.asarray(upper, float), (count,)).copy()
        starts = np.zeros(count, dtype=np.int32)
        starts[1:] = np.cumsum([len(r) for r in rows])[:-1]
        index = np.fromiter((i for r in rows for i in r), dtype=np.int32)
        value = np.fromiter((v for vs in values for v in vs), dtype=float)
        first = self.num_current_cols
        self.highs.addCols(count, np.zeros(count), lower_arr, upper_arr, len(index), starts, index, value)
        positions = np.arange(first, first + count, dtype=np.int64)
        self._costs = np.append(self._costs, np.zeros(count))
        self._integrality = np.append(self._integrality, np.zeros(count, dtype=np.uint8))

        def undo() -> None:
            self.highs.deleteCols(count, positions.astype(np.int32))
            self._costs = self._costs[:first]
            self._integrality = self._integrality[:first]

        self._record(undo)
        return positions

    def add_rows(
        self, lower: Any, upper: Any, cols: Sequence[Sequence[int]], values: Sequence[Sequence[float]]
    ) -> np.ndarray:
        """Add rows ``lower[k] <= Σ values[k] × x[cols[k]] <= upper[k]`` in one call; return their positions."""
        count = len(cols)
        if not count:
            return np.empty(0, dtype=np.int64)
        lower_arr = np.broadcast_to(np.asarray(lower, float), (count,)).copy()
        upper_arr = np.broadcast_to(np.asarray(upper, float), (count,)).copy()
        starts = np.zeros(count, dtype=np.int32)
        starts[1:] = np.cumsum([len(c) for c in cols])[:-1]
        index = np.fromiter((j for c in cols for j in c), dtype=np.int32)
        value = np.fromiter((v for vs in values for v in vs), dtype=float)
        first = int(self.highs.getNumRow())
        self.highs.addRows(count, lower_arr, upper_arr, len(index), starts, index, value)
        positions = np.arange(first, first + count, dtype=np.int64)
        self._record(lambda: _ignore(self.highs.deleteRows(count, positions.astype(np.int32))))
        return positions

    def basis(self) -> Any:
        """HiGHS' current basis (to start a later solve from it with ``set_basis``)."""
        return self.highs.getBasis()

    def set_basis(self, basis: Any) -> None:
        """Start the next solve from ``basis`` (one taken from this programme with the same rows and columns)."""
        if getattr(basis, "valid", True):
            self.highs.setBasis(basis)

    def start_from(self, basis: Any | None) -> None:
        """The next solve starts from ``basis`` alone (None: from cold). HiGHS' other state from the
        solves before (its factorisation, pricing weights) is cleared, so that solve's answer depends
        on the model as loaded and ``basis`` only, not on what this programme solved before (without,
        the same solve from the same basis took 7,738-7,894 simplex iterations on the offer)."""
        self.highs.clearSolver()
        if basis is not None:
            self.set_basis(basis)

    def change_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray, old: np.ndarray) -> None:
        """Matrix entries (``rows[k]``, ``cols[k]``) set to ``values[k]``, in one undo step that restores ``old``."""
        change = self.highs.changeCoeff
        rows_, cols_ = np.asarray(rows).tolist(), np.asarray(cols).tolist()
        for i, j, v in zip(rows_, cols_, np.asarray(values, dtype=float).tolist(), strict=True):
            change(i, j, v)

        def undo() -> None:
            for i, j, v in zip(rows_, cols_, np.asarray(old, dtype=float).tolist(), strict=True):
                change(i, j, v)

        self._record(undo)

    # --- solving ----------------------------------------------------------------------
    def solve(
        self,
        time_limit_s: float | None = None,
        mip_rel_gap: float | None = None,
        progress: Progress | None = None,
    ) -> SolveOutcome:
        """Solve the model as loaded; map HiGHS' outcome to the product's status set.

        The limit is ``time_limit_s``, else the programme's, else the scenario's, and never
        beyond the current ``time_budget``. ``progress`` (else the programme's own, told the
        seconds since the programme was created) is called while HiGHS runs. Never raises
        for solver outcomes: a solver failure is ``status="error"``.
        """
        self.solves += 1
        settings = self.scenario.settings
        highs = self.highs
        limit = float(time_limit_s or self.time_limit_s or settings.time_limit_s)
        if self.deadline is not None:
            limit = max(0.01, min(limit, self.deadline - time.perf_counter()))
        if progress is None and self.progress is not None:
            report, since = self.progress, self.started

            def progress(_seconds: float) -> None:
                report(time.perf_counter() - since)

        highs.setOptionValue("time_limit", self.time_limit_option(limit))
        highs.setOptionValue("mip_rel_gap", float(settings.mip_rel_gap if mip_rel_gap is None else mip_rel_gap))
        started = time.perf_counter()
        try:
            self._run(progress, started)
            model_status = highs.getModelStatus()
            for option, value, cold in _FALLBACKS:
                remaining = limit - (time.perf_counter() - started)
                if model_status not in _UNDECIDED or remaining <= 0:
                    break
                highs.setOptionValue("time_limit", self.time_limit_option(remaining))
                # HiGHS could not decide (e.g. presolve cannot tell infeasible from unbounded, or
                # simplex stalls after postsolve): retry the same programme another way.
                _, default = highs.getOptionValue(option)
                highs.setOptionValue(option, value)
                if cold:
                    highs.clearSolver()
                try:
                    self._run(progress, started)
                finally:
                    highs.setOptionValue(option, default)
                model_status = highs.getModelStatus()
        except Exception as error:  # noqa: BLE001 - a solver failure is an outcome, not a crash
            return SolveOutcome(
                "error", False, None, None, None, None, None, time.perf_counter() - started, f"HiGHS failed: {error}"
            )
        return self._outcome(model_status, time.perf_counter() - started)

    def solve_cold(self, iteration_limit: int) -> SolveOutcome | None:
        """The model as loaded solved from cold with presolve, stopped after ``iteration_limit``
        simplex iterations: its outcome if it ended optimal, else ``None`` and nothing counted (the
        caller then solves it its own way, e.g. from a basis of its own, and that solve is counted).
        No fallback is tried: a cold dual simplex with presolve can end "Unknown" on an infeasible LP."""
        settings = self.scenario.settings
        limit = float(self.time_limit_s or settings.time_limit_s)
        if self.deadline is not None:
            limit = max(0.01, min(limit, self.deadline - time.perf_counter()))
        started = time.perf_counter()
        with self.options(presolve="on", simplex_iteration_limit=iteration_limit):
            self.highs.setOptionValue("time_limit", self.time_limit_option(limit))
            self.highs.clearSolver()
            try:
                self.highs.run()
            except Exception:  # noqa: BLE001 - no answer this way: the caller solves again
                return None
        if self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        self.solves += 1
        return self._outcome(highspy.HighsModelStatus.kOptimal, time.perf_counter() - started)

    def time_limit_option(self, seconds: float) -> float:
        """HiGHS' ``time_limit`` option for a run of the model as loaded that may take ``seconds``.

        An LP's limit is measured against the run time summed over every run of this instance
        (HiGHS issue #1477), so it is offset by what has gone before. A MIP's branch and bound
        measures it against its own clock, started at zero each run: an offset would give each
        solve the time of every solve before it as well, so a sweep's solves stopped at their
        limit doubled their allowance each time (3 s, 6, 13, 27, 55 ... on a whole-step
        example_icb; audit 7, A5).
        """
        return seconds if self.is_mip else self.highs.getRunTime() + seconds

    def feasibility(self) -> SolveOutcome:
        """Solve with a zero objective: ``optimal`` means feasible (never unbounded)."""
        with self.changes():
            self.set_objective(np.zeros(self.num_current_cols))
            return self.solve()

    def _run(self, progress: Progress | None, started: float) -> None:
        if progress is None:
            self.highs.run()
            return
        self.highs.startSolve()
        while self.highs.is_solver_running():
            progress(time.perf_counter() - started)
            time.sleep(0.2)
        self.highs.joinSolve()

    def _outcome(self, model_status: highspy.HighsModelStatus, seconds: float) -> SolveOutcome:
        highs = self.highs
        info = highs.getInfo()
        has_solution = info.primal_solution_status == 2  # kSolutionStatusFeasible
        status: Status
        if model_status == highspy.HighsModelStatus.kOptimal:
            status = "optimal"
        elif model_status == highspy.HighsModelStatus.kInfeasible:
            status, has_solution = "infeasible", False
        elif model_status in (highspy.HighsModelStatus.kTimeLimit, highspy.HighsModelStatus.kInterrupt):
            status = "time_limit"
        else:
            status, has_solution = "error", False
        message = highs.modelStatusToString(model_status)
        if not has_solution:
            return SolveOutcome(status, False, None, None, None, None, None, seconds, message)
        solution = highs.getSolution()
        is_mip = self.is_mip
        dual_valid = solution.dual_valid and not is_mip
        return SolveOutcome(
            status=status,
            has_solution=True,
            objective_value=float(info.objective_function_value),
            col_value=np.asarray(solution.col_value, dtype=float),
            row_value=np.asarray(solution.row_value, dtype=float),
            row_dual=np.asarray(solution.row_dual, dtype=float) if dual_valid else None,
            col_dual=np.asarray(solution.col_dual, dtype=float) if dual_valid else None,
            solve_seconds=seconds,
            message=message,
            mip_gap=float(info.mip_gap) if is_mip else None,
        )

    def duals(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Row and column duals of the last solve, if HiGHS has valid ones."""
        solution = self.highs.getSolution()
        if not solution.dual_valid:
            return None
        return np.asarray(solution.row_dual, dtype=float), np.asarray(solution.col_dual, dtype=float)

    def ranging(self) -> RowRanging | None:
        """HiGHS' ranging of the programme's own rows at the last solve's optimal basis (an LP solved
        to optimality, nothing changed since): for each row, the value its active bound can be
        raised (lowered) to with that basis still optimal, so its dual still the rate of change of
        the objective, and the objective there. ``None`` when HiGHS has none (a MIP, no optimal
        basis, or the model changed since the solve)."""
        if self.is_mip or self.highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        status, ranging = self.highs.getRanging()
        if status != highspy.HighsStatus.kOk or not ranging.valid:
            return None
        m = self.num_rows
        up, down = ranging.row_bound_up, ranging.row_bound_dn
        return RowRanging(
            up_value=np.asarray(up.value_, dtype=float)[:m],
            up_objective=np.asarray(up.objective_, dtype=float)[:m],
            down_value=np.asarray(down.value_, dtype=float)[:m],
            down_objective=np.asarray(down.objective_, dtype=float)[:m],
        )

    def basis_status(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Whether each own column and row is basic at the last solve's basis (True: basic), or
        ``None`` without a valid basis of the programme's own size."""
        basis = self.highs.getBasis()
        if not basis.valid or len(basis.col_status) < self.num_cols or len(basis.row_status) < self.num_rows:
            return None
        basic = highspy.HighsBasisStatus.kBasic
        cols = np.fromiter((status == basic for status in basis.col_status[: self.num_cols]), dtype=bool)
        rows = np.fromiter((status == basic for status in basis.row_status[: self.num_rows]), dtype=bool)
        return cols, rows

    def infeasibility_proof(self) -> np.ndarray | None:
        """Row multipliers proving the model as loaded infeasible, from the last solve's dual ray.

        ``None`` when HiGHS has no ray, when rows or columns have been added, or when the ray does
        not pass ``proves_infeasible`` (either sign: HiGHS' sign convention is not relied on).
        """
        if self.num_current_cols != self.num_cols or int(self.highs.getNumRow()) != self.num_rows:
            return None
        _, has_ray, ray = self.highs.getDualRay()  # type: ignore[attr-defined]  # not in highspy's stubs
        if not has_ray:
            return None
        multipliers = np.asarray(ray, dtype=float)[: self.num_rows]
        for signed in (-multipliers, multipliers):
            signed = self._without_noise(signed)
            if self.proves_infeasible(signed):
                return signed
        return None

    def _without_noise(self, multipliers: np.ndarray) -> np.ndarray:
        """The multipliers with rounding noise on rows it cannot weigh cleared: an entry within RAY_NOISE
        of the largest that points at an infinite row bound (a positive one on a row with no upper
        bound, a negative one on a row with no lower). On the offer at a pooled budget £203 short of
        its least cost, HiGHS' ray had 7 such entries (up to 1.2e-14 beside 625) and failed the Farkas
        test for them alone, so the deletion filter solved tests a proof settles (2 solves, there and
        at the offer's own budget). What is cleared is still checked in full by ``proves_infeasible``."""
        bound = np.where(multipliers > 0, self.row_upper, self.row_lower)
        size = np.abs(multipliers)
        noise = (multipliers != 0) & ~np.isfinite(bound) & (size <= RAY_NOISE * float(size.max(initial=0.0)))
        if not noise.any():
            return multipliers
        cleaned = multipliers.copy()
        cleaned[noise] = 0.0
        return cleaned

    def proves_infeasible(self, multipliers: np.ndarray) -> bool:
        """Whether row multipliers y prove the model as loaded (own rows and columns) infeasible.

        Farkas: every x within the column bounds whose rows are within their bounds has
        yᵀAx ≤ H = Σᵢ max(yᵢLᵢ, yᵢUᵢ) and yᵀAx = dᵀx ≥ G = Σⱼ min(dⱼlⱼ, dⱼuⱼ), d = Aᵀy. So G > H
        proves there is no such x (``_bound`` with zero costs and multipliers −y gives G − H).
        G must exceed H by PROOF_MARGIN of the terms' total size, so a programme infeasible only by
        about the solver's tolerance is left to a solve.
        """
        bound = self._bound(-np.asarray(multipliers, dtype=float), None)
        return bound is not None and bound[0] > PROOF_MARGIN * max(1.0, bound[1])

    def lower_bound(self, multipliers: np.ndarray, costs: np.ndarray) -> float | None:
        """A lower bound on ``costs``·x over every x the model as loaded (own rows and columns) allows,
        proven by row multipliers y (``_bound``), less BOUND_ROUNDING of its terms' total size for the
        rounding of the sums; None when they prove none. The optimal row duals of min ``costs``·x are
        such multipliers (their bound is the optimum); with those of rows relaxed since set to zero
        they still prove a bound, often one still above a level of interest.

        Any multipliers prove a bound, so those within RAY_NOISE of the largest are cleared first: an
        optimal solve's duals carry rounding noise (1e-14 beside 1e2 on the offer) on rows whose bound
        is infinite on that side, and on rows that pass it on to columns with no bound.
        """
        y = np.asarray(multipliers, dtype=float)
        y = np.where(np.abs(y) <= RAY_NOISE * float(np.abs(y).max(initial=0.0)), 0.0, y)
        bound = self._bound(y, np.asarray(costs, dtype=float))
        if bound is None:
            return None
        return bound[0] - BOUND_ROUNDING * max(1.0, bound[1])

    def _bound(self, y: np.ndarray, costs: np.ndarray | None) -> tuple[float, float] | None:
        """A lower bound on costs·x (zero costs if None) over every x within the column bounds whose
        rows are within their bounds, from row multipliers y, and the total size of its terms; None
        when a multiplier or a reduced cost points at an infinite bound (no bound this way).

        Lagrange: costs·x = dᵀx + yᵀAx with d = costs − Aᵀy, and yᵀAx ≥ Σᵢ min(yᵢLᵢ, yᵢUᵢ),
        dᵀx ≥ Σⱼ min(dⱼlⱼ, dⱼuⱼ). An entry of d that cancels to rounding noise (within 1e-9 of
        |costsⱼ| + Σᵢ|aᵢⱼyᵢ|) counts as zero.
        """
        matrix = self.own_matrix()
        rows_used = y != 0
        row_bound = np.where(y > 0, self.row_lower, self.row_upper)
        if not np.isfinite(row_bound[rows_used]).all():
            return None
        row_terms = y[rows_used] * row_bound[rows_used]
        d = -(matrix.T @ y)
        scale = self.memo(_abs_matrix).T @ np.abs(y)
        if costs is not None:
            d += costs[: self.num_cols]
            scale += np.abs(costs[: self.num_cols])
        d[np.abs(d) <= 1e-9 * scale] = 0.0
        cols_used = d != 0
        col_bound = np.where(d > 0, self.col_lower, self.col_upper)
        if not np.isfinite(col_bound[cols_used]).all():
            return None
        col_terms = d[cols_used] * col_bound[cols_used]
        size = float(np.abs(row_terms).sum() + np.abs(col_terms).sum())
        return float(row_terms.sum() + col_terms.sum()), size

    def iis(self, time_limit_s: float, iis_time_limit_s: float) -> Iis | None:
        """HiGHS' irreducible infeasible set of the model as loaded (an LP), or ``None`` if it has none in time.

        getIis needs the incumbent's status to be "infeasible" (else it re-solves, and a
        re-solve of a badly infeasible LP can end "Unknown"): the status is settled with a
        cold, zero-objective solve without presolve, then the IIS is asked for straight away.
        Only rows and columns of the programme itself are reported.
        """
        highs = self.highs
        with self.changes():
            self.set_objective(np.zeros(self.num_current_cols))
            highs.clearSolver()
            highs.setOptionValue("presolve", "off")
            highs.setOptionValue("time_limit", highs.getRunTime() + time_limit_s)
            highs.setOptionValue("iis_strategy", IIS_STRATEGY)
            highs.setOptionValue("iis_time_limit", iis_time_limit_s)
            try:
                highs.run()
                if highs.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
                    return None
                status, iis = highs.getIis()
            except Exception:  # noqa: BLE001 - no IIS: the caller falls back to the deletion filter
                return None
            finally:
                highs.setOptionValue("presolve", "choose")
                highs.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyLight))
        if status != highspy.HighsStatus.kOk or not iis.valid_:
            return None
        rows = [
            (int(i), _IIS_SIDES[int(b)])
            for i, b in zip(iis.row_index_, iis.row_bound_, strict=True)
            if int(b) in _IIS_SIDES and i < self.num_rows
        ]
        cols = [
            (int(j), _IIS_SIDES[int(b)])
            for j, b in zip(iis.col_index_, iis.col_bound_, strict=True)
            if int(b) in _IIS_SIDES and j < self.num_cols
        ]
        irreducible = bool(int(iis.strategy_) & int(highspy.IisStrategy.kIisStrategyIrreducible))
        return Iis(rows, cols, irreducible)

    # --- inspection --------------------------------------------------------------------
    def nonzeros(self) -> int:
        return int(self.highs.getNumNz())

    def simplex_iterations(self) -> int:
        """Simplex iterations of the last solve."""
        return int(self.highs.getInfo().simplex_iteration_count)

    def write_model(self, path: str) -> None:
        """Write the model as loaded (e.g. ``.mps``) for another solver or HiGHS alone."""
        self.highs.writeModel(path)

    def loaded_model(self) -> dict[str, Any]:
        """The model as HiGHS holds it now: sizes, bounds, costs, sense, integrality and matrix values."""
        lp = self.highs.getLp()
        return {
            "num_row": lp.num_row_,
            "num_col": lp.num_col_,
            "row_lower": list(lp.row_lower_),
            "row_upper": list(lp.row_upper_),
            "col_lower": list(lp.col_lower_),
            "col_upper": list(lp.col_upper_),
            "col_cost": list(lp.col_cost_),
            "integrality": [int(v) for v in lp.integrality_],
            "a_start": list(lp.a_matrix_.start_),
            "a_index": list(lp.a_matrix_.index_),
            "a_value": list(lp.a_matrix_.value_),
            "a_format": int(lp.a_matrix_.format_),
            "sense": int(lp.sense_),
            "offset": float(lp.offset_),
        }


# Checks running at once (API worker threads) share one BLAS setting: the first in sets it to one
# thread, the last out puts back what it found.
_blas_lock = threading.Lock()
_blas_users = 0
_blas_limits: Any = None


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """numpy's BLAS runs on one thread inside the block, then as before (threadpoolctl).

    The check's work is HiGHS', in one thread or two (``side_by_side``). A numpy dot product of
    two vectors longer than 10,000 (the spend of a plan: one per "money needed" solve) wakes
    OpenBLAS' own threads, which then spin on the cores the solves need: on the bundled offer one
    such product took 10-16 ms instead of 7 µs, and the check 12% more CPU time (bench/README.md).
    One thread gives the same sums here (every check number identical). Blocks that overlap in
    several threads share the setting: it is restored when the last of them ends.
    """
    global _blas_users, _blas_limits
    with _blas_lock:
        if _blas_users == 0:
            from threadpoolctl import threadpool_limits

            _blas_limits = threadpool_limits(limits=1, user_api="blas")
        _blas_users += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_users -= 1
            if _blas_users == 0:
                _blas_limits.restore_original_limits()
                _blas_limits = None


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one, e.g. ``taskset``)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def side_by_side(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """``first()`` and ``second()``, the second in another thread when this process may use two cores.

    Each must work on its own programme (HiGHS releases the GIL while it solves, and two
    instances in two threads solve at once). An error in either is raised here, as if run in turn.
    """
    if usable_cores() < 2:
        return first(), second()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="beside") as pool:
        later = pool.submit(second)
        return first(), later.result()


def _ignore(_status: object) -> None:
    """Drop a HiGHS status in an undo step."""


def _positions(labels: np.ndarray) -> dict[str, np.ndarray]:
    if not len(labels):
        return {}
    codes, uniques = pd.factorize(labels, sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(uniques)}


def _abs_matrix(programme: Programme) -> Any:
    """|A| of the programme's own matrix (scipy CSR): the size of each term in a Farkas check."""
    return abs(programme.own_matrix())
