"""Compile the Pyomo programme once, pass it to HiGHS in one call, solve and re-solve.

Pyomo's persistent interfaces pass a model to HiGHS one component at a time, which at
national scale costs far more than the solve. Here the model is compiled once with
``LinearStandardFormCompiler`` into sparse matrices, handed to ``highspy`` with a single
``passModel``, and the ``Highs`` object is kept so that re-solves after bound or cost
changes start hot from the previous basis. Solutions come back as arrays.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from models.formulation import ProgrammeData, build_model, derive
from models.scenario import Scenario

Status = Literal["optimal", "infeasible", "time_limit", "error"]

INF = highspy.kHighsInf
# Row multipliers of the compiler's mixed form: 0 equality, 1 "<=" row, -1 ">=" row.
_EQUAL, _UPPER, _LOWER = 0, 1, -1
# Outcomes that mean "not decided yet"; each fallback (option, value) is tried in turn.
_UNDECIDED = (
    highspy.HighsModelStatus.kUnboundedOrInfeasible,
    highspy.HighsModelStatus.kUnknown,
    highspy.HighsModelStatus.kSolveError,
    highspy.HighsModelStatus.kPostsolveError,
)
_FALLBACKS = (("presolve", "off"), ("solver", "ipm"))


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


def solver_name() -> dict[str, str]:
    return {"name": "HiGHS", "version": highspy.Highs().version()}


@dataclass
class StandardForm:
    """A programme as arrays: rows ``row_lower <= A x <= row_upper``, bounded integer/continuous columns.

    Row ``i`` is rule ``row_rule[i]`` at index ``row_key[i]``; column ``j`` is variable
    ``col_var[j]`` at index ``col_key[j]``.
    """

    row_rule: np.ndarray
    row_key: list[object]
    col_var: np.ndarray
    col_key: list[object]
    minimise: bool
    offset: float
    cost: np.ndarray
    matrix: sp.csc_array | sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray


def compile_model(model: pyo.ConcreteModel) -> StandardForm:
    """Compile a Pyomo model with ``LinearStandardFormCompiler`` (mixed form) into a ``StandardForm``."""
    info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    multipliers = np.fromiter((row.bound_type for row in info.rows), dtype=np.int8, count=len(info.rows))
    rhs = np.asarray(info.rhs, dtype=float)
    return StandardForm(
        row_rule=np.array([row.constraint.parent_component().local_name for row in info.rows], dtype=object),
        row_key=[row.constraint.index() for row in info.rows],
        col_var=np.array([v.parent_component().local_name for v in info.columns], dtype=object),
        col_key=[v.index() for v in info.columns],
        minimise=info.objectives[0].sense == pyo.minimize,
        offset=float(info.c_offset[0]) if len(info.c_offset) else 0.0,
        cost=np.asarray(info.c.toarray()[0] if info.c.shape[0] else np.zeros(len(info.columns)), dtype=float),
        matrix=info.A.tocsc(),
        row_lower=np.where(multipliers == _UPPER, -INF, rhs),
        row_upper=np.where(multipliers == _LOWER, INF, rhs),
        col_lower=np.array([-INF if v.lb is None else v.lb for v in info.columns], dtype=float),
        col_upper=np.array([INF if v.ub is None else v.ub for v in info.columns], dtype=float),
        integrality=np.array([1 if v.is_integer() else 0 for v in info.columns], dtype=np.int32),
    )


class CompiledProgramme:
    """A scenario's programme compiled to matrices and loaded into a live ``Highs`` instance.

    Row ``i`` is rule ``row_rule[i]`` at index ``row_key[i]``; column ``j`` is variable
    ``col_var[j]`` at index ``col_key[j]``. Rule and variable names are those of
    ``models.formulation``. ``form`` lets another compiler supply the arrays; by default the
    Pyomo model is built and compiled here.
    """

    def __init__(self, scenario: Scenario, data: ProgrammeData | None = None, form: StandardForm | None = None):
        self.scenario = scenario
        self.timings: dict[str, float] = {}
        if form is None:
            started = time.perf_counter()
            model, data = build_model(scenario, data)
            self.timings["build"] = time.perf_counter() - started
            started = time.perf_counter()
            # Only arrays and index keys are kept: the Pyomo model is released once compiled.
            form = compile_model(model)
            del model
            self.timings["compile"] = time.perf_counter() - started
        self.data = data if data is not None else derive(scenario)

        started = time.perf_counter()
        self.row_rule, self.row_key = form.row_rule, form.row_key
        self.col_var, self.col_key = form.col_var, form.col_key
        self.sense = pyo.minimize if form.minimise else pyo.maximize
        self.is_mip = bool(form.integrality.any())
        matrix = form.matrix
        self.highs = highspy.Highs()
        self.highs.setOptionValue("output_flag", False)
        self.highs.passModel(
            len(form.col_var),
            len(form.row_rule),
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
        self.base_row_lower = form.row_lower
        self.base_row_upper = form.row_upper
        self.base_col_lower = form.col_lower
        self.base_col_upper = form.col_upper
        # Bounds as currently loaded in HiGHS (they change between re-solves).
        self.row_lower = form.row_lower.copy()
        self.row_upper = form.row_upper.copy()
        self.col_lower = form.col_lower.copy()
        self.col_upper = form.col_upper.copy()
        self.base_cost = form.cost
        self.integrality = form.integrality
        self.timings["pass_to_highs"] = time.perf_counter() - started
        self._rows_by_rule = _positions(self.row_rule)
        self._cols_by_var = _positions(self.col_var)

    # --- lookup -----------------------------------------------------------------
    def rows(self, rule: str) -> np.ndarray:
        """Row positions of a rule family (empty if the scenario has none)."""
        return self._rows_by_rule.get(rule, np.empty(0, dtype=np.int64))

    def cols(self, var: str) -> np.ndarray:
        return self._cols_by_var.get(var, np.empty(0, dtype=np.int64))

    def rules_present(self) -> list[str]:
        return list(self._rows_by_rule)

    def column_values(self, var: str, values: np.ndarray) -> pd.Series:
        """Values of one variable family as a Series indexed by its (tuple) index."""
        positions = self.cols(var)
        keys = [self.col_key[j] for j in positions]
        index = pd.MultiIndex.from_tuples(keys) if keys and isinstance(keys[0], tuple) else pd.Index(keys)
        return pd.Series(values[positions], index=index, dtype=float)

    # --- changes for re-solves ------------------------------------------------------
    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray | float, upper: np.ndarray | float) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        lower = np.broadcast_to(np.asarray(lower, float), rows.shape).copy()
        upper = np.broadcast_to(np.asarray(upper, float), rows.shape).copy()
        if len(rows):
            self.highs.changeRowsBounds(len(rows), rows, lower, upper)  # type: ignore[attr-defined]
            self.row_lower[rows] = lower
            self.row_upper[rows] = upper

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray | float, upper: np.ndarray | float) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        lower = np.broadcast_to(np.asarray(lower, float), cols.shape).copy()
        upper = np.broadcast_to(np.asarray(upper, float), cols.shape).copy()
        if len(cols):
            self.highs.changeColsBounds(len(cols), cols, lower, upper)
            self.col_lower[cols] = lower
            self.col_upper[cols] = upper

    # --- solving ----------------------------------------------------------------------
    def solve(
        self,
        time_limit_s: float | None = None,
        mip_rel_gap: float | None = None,
        progress: Callable[[float], None] | None = None,
    ) -> SolveOutcome:
        """Solve the loaded programme; map HiGHS' outcome to the product's status set.

        Never raises for solver outcomes: a solver failure is ``status="error"``.
        """
        settings = self.scenario.settings
        highs = self.highs
        limit = float(time_limit_s or settings.time_limit_s)
        # HiGHS measures time_limit against its run time summed over every run of this
        # instance (HiGHS issue #1477), so each solve's limit is offset by what has gone before.
        offset = highs.getRunTime()
        highs.setOptionValue("time_limit", offset + limit)
        highs.setOptionValue("mip_rel_gap", float(settings.mip_rel_gap if mip_rel_gap is None else mip_rel_gap))
        started = time.perf_counter()
        try:
            self._run(progress, started)
            model_status = highs.getModelStatus()
            for option, value in _FALLBACKS:
                remaining = limit - (time.perf_counter() - started)
                if model_status not in _UNDECIDED or remaining <= 0:
                    break
                highs.setOptionValue("time_limit", highs.getRunTime() + remaining)
                # HiGHS could not decide (e.g. presolve cannot tell infeasible from unbounded, or
                # simplex stalls after postsolve): retry the same programme another way.
                _, default = highs.getOptionValue(option)
                highs.setOptionValue(option, value)
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

    def _run(self, progress: Callable[[float], None] | None, started: float) -> None:
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
        dual_valid = solution.dual_valid and not self.is_mip
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
            mip_gap=float(info.mip_gap) if self.is_mip else None,
        )


def _positions(labels: np.ndarray) -> dict[str, np.ndarray]:
    if not len(labels):
        return {}
    codes, uniques = pd.factorize(labels, sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return {str(name): order[bounds[i] : bounds[i + 1]] for i, name in enumerate(uniques)}
