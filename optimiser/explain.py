"""Deliverability: the verdict, why not, and what it would take (formulation.md sections 6 and 7).

Everything here works on *one* compiled programme and its live ``Highs`` instance. Each
experiment (relax a rule family, add an elastic column, fix integers, change the
objective) is made inside ``Workbench.experiment()``, which records how to undo every
change and undoes them in reverse order on exit, so the programme is back to the
scenario's own bounds, costs, integrality and matrix after each experiment and the next
solve starts hot from the last basis. Nothing is rebuilt.

Public entry points:
  ``check(scenario)``            -> JobOutcome for ``commission check`` / kind "check"
  ``sensitivity(programme, o)``  -> dict for ``commission solve --sensitivity``
  ``find_conflict(bench)``       -> the conflict of an infeasible programme
  ``verify_conflict(bench, c)``  -> irreducibility proof by re-solving (used in tests)

Definitions chosen where the contract is open are documented in docs/deliverability.md.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import highspy
import numpy as np
import pandas as pd

from models.scenario import Scenario
from optimiser.jobs import JobOutcome, least_spend_at_best_value, spend_coefficients
from optimiser.results import binding_rules
from optimiser.solver import INF, CompiledProgramme, SolveOutcome, solver_name

LEVERS: tuple[str, ...] = ("budget", "workforce_supply", "standards", "safe_working")
LEVER_UNITS = {
    "budget": "£/year",
    "budget_per_practice": "£ per weighted patient per year",
    "workforce_supply": "FTE",
    "standards": "fraction of every minimum standard",
    "safe_working": "contacts per FTE-day",
}
DEFAULT_WEIGHTS: dict[str, float] = {lever: 1.0 for lever in LEVERS}

# HiGHS 1.15's iis_strategy is a bit map. Its option *description* text says "4 => Prioritise
# columns; 8 => Find true IIS", but the enum (and the code) say kIisStrategyIrreducible = 4 and
# kIisStrategyColPriority = 8; tests/test_explain.py pins the behaviour we rely on: the elastic-LP
# bit (2) alone returns an infeasible set that need not be irreducible, and adding bit 4 reduces
# it to an irreducible one.
IIS_STRATEGY = int(highspy.IisStrategy.kIisStrategyFromLp) | int(highspy.IisStrategy.kIisStrategyIrreducible)
_IIS_LOWER = int(highspy.IisBoundStatus.kIisBoundStatusLower)
_IIS_UPPER = int(highspy.IisBoundStatus.kIisBoundStatusUpper)
_IIS_BOXED = int(highspy.IisBoundStatus.kIisBoundStatusBoxed)

# Families that are definitions, not requirements: always kept hard by the deletion filter.
DEFINITION_RULES = frozenset({"activity"})
# Deletion-filter order: families tried (and dropped if not needed) first come first, so the
# requirements a negotiator argues about (money, standards, staff, caps, whole steps) are the
# ones kept when several irreducible sets exist.
FILTER_ORDER: tuple[str, ...] = (
    "max_coverage",
    "pcn_deployment",
    "arrs_claim",
    "arrs_entitlement",
    "clinical_time",
    "gp_target_total",
    "gp_floor",
    "safe_working",
    "workforce_supply",
    "practice_budget",
    "budget",
    "min_standard",
    "hiring_step",
)
VAR_NOUNS = {
    "cov": "patients covered",
    "x": "contacts delivered",
    "h": "new hires",
    "e": "deployed PCN staff",
    "claim": "ARRS claims",
    "k": "whole hiring steps",
}
# Relative/absolute tolerances for "is this positive".
TOL = 1e-7
# Safe-working bisection stops when the bracket is this narrow (contacts per FTE-day).
SAFE_WORKING_TOLERANCE = 1e-3
# Wall-clock budget for all the safe-working bisections of one check (seconds).
SAFE_WORKING_BUDGET_S = 60.0
# Verify an IIS by re-solving only when it has at most this many members.
VERIFY_LIMIT = 40
# HiGHS' IIS reduction re-solves once per candidate row: only tried up to this many rows, and
# for at most this long; beyond, the deletion filter over rule families is used.
IIS_MAX_ROWS = 5000
IIS_TIME_LIMIT_S = 30.0
# The deletion filter refines a kept family into its service/role groups when it has at most this many.
MAX_GROUPS = 40

Progress = Callable[[float], None]


# --------------------------------------------------------------------------------------
# Reversible experiments on one compiled programme
# --------------------------------------------------------------------------------------
class Workbench:
    """A compiled programme plus an undo log: every change is made inside ``experiment()``."""

    def __init__(
        self,
        programme: CompiledProgramme,
        time_limit_s: float | None = None,
        progress: Progress | None = None,
    ):
        self.programme = programme
        self.highs = programme.highs
        self.data = programme.data
        self.scenario = programme.scenario
        self.num_rows = len(programme.row_rule)
        self.num_cols = len(programme.col_var)
        self.spend = spend_coefficients(programme)
        self.value = value_coefficients(programme)
        self.time_limit_s = time_limit_s
        self.progress = progress
        self.started = time.perf_counter()
        self.solves = 0
        self._frames: list[list[Callable[[], None]]] = []
        self.deadline: float | None = None
        self._costs = np.asarray(programme.base_cost, dtype=float).copy()
        self._sense = self.highs.getObjectiveSense()[1]
        self._integrality = np.asarray(programme.integrality, dtype=np.uint8).copy()
        self._added_rows = 0
        self._matrix: Any = None

    @contextmanager
    def time_budget(self, seconds: float) -> Iterator[None]:
        """Solves inside share ``seconds`` of wall-clock time (each still capped by its own limit)."""
        outer = self.deadline
        self.deadline = time.perf_counter() + seconds if outer is None else min(outer, time.perf_counter() + seconds)
        try:
            yield
        finally:
            self.deadline = outer

    # --- undo log ------------------------------------------------------------------------
    @contextmanager
    def experiment(self) -> Iterator[Workbench]:
        self._frames.append([])
        try:
            yield self
        finally:
            for undo in reversed(self._frames.pop()):
                undo()

    def _record(self, undo: Callable[[], None]) -> None:
        if not self._frames:
            raise RuntimeError("Workbench changes must be made inside experiment()")
        self._frames[-1].append(undo)

    # --- changes ---------------------------------------------------------------------------
    def set_row_bounds(self, rows: np.ndarray, lower: Any, upper: Any) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        p = self.programme
        old_lower, old_upper = p.row_lower[rows].copy(), p.row_upper[rows].copy()
        self._record(lambda: p.set_row_bounds(rows, old_lower, old_upper))
        p.set_row_bounds(rows, lower, upper)

    def relax_rows(self, rows: np.ndarray) -> None:
        self.set_row_bounds(rows, -INF, INF)

    def set_col_bounds(self, cols: np.ndarray, lower: Any, upper: Any) -> None:
        cols = np.asarray(cols, dtype=np.int64)
        if not len(cols):
            return
        p = self.programme
        old_lower, old_upper = p.col_lower[cols].copy(), p.col_upper[cols].copy()
        self._record(lambda: p.set_col_bounds(cols, old_lower, old_upper))
        p.set_col_bounds(cols, lower, upper)

    def relax_integrality(self) -> None:
        if not self._integrality.any():
            return
        old = self._integrality.copy()
        self._set_integrality(np.zeros_like(old))
        self._record(lambda: self._set_integrality(old))

    def _set_integrality(self, values: np.ndarray) -> None:
        cols = np.arange(len(values), dtype=np.int32)
        self.highs.changeColsIntegrality(len(cols), cols, values.astype(np.uint8))
        self._integrality = values.copy()

    def set_objective(self, costs: np.ndarray, maximise: bool = False) -> None:
        """Objective over all current columns (original and added)."""
        old_costs, old_sense = self._costs.copy(), self._sense
        self._apply_objective(
            np.asarray(costs, dtype=float), highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        )
        self._record(lambda: self._apply_objective(old_costs, old_sense))

    def _apply_objective(self, costs: np.ndarray, sense: highspy.ObjSense) -> None:
        n = self.highs.getNumCol()
        costs = np.resize(costs, n) if len(costs) != n else costs
        cols = np.arange(n, dtype=np.int32)
        self.highs.changeColsCost(n, cols, costs)
        self.highs.changeObjectiveSense(sense)
        self._costs, self._sense = costs.copy(), sense

    def objective_vector(self, entries: dict[int, float] | None = None, base: np.ndarray | None = None) -> np.ndarray:
        """A cost vector over the current columns: ``base`` on the original ones plus ``entries``."""
        costs = np.zeros(self.highs.getNumCol())
        if base is not None:
            costs[: len(base)] = base
        for j, c in (entries or {}).items():
            costs[j] = c
        return costs

    def add_column(self, lower: float, upper: float, rows: Any, values: Any) -> int:
        """Add a continuous column (cost 0) with the given entries; return its index."""
        rows_arr = np.asarray(rows, dtype=np.int32)
        vals = np.asarray(values, dtype=float)
        self.highs.addCol(0.0, float(lower), float(upper), len(rows_arr), rows_arr, vals)
        j = self.highs.getNumCol() - 1
        self._costs = np.append(self._costs, 0.0)
        self._integrality = np.append(self._integrality, np.uint8(0))

        def undo() -> None:
            self.highs.deleteCols(1, np.array([j], dtype=np.int32))
            self._costs = self._costs[:j]
            self._integrality = self._integrality[:j]

        self._record(undo)
        return j

    def add_row(self, lower: float, upper: float, cols: Sequence[int], values: Sequence[float]) -> int:
        cols_arr = np.asarray(cols, dtype=np.int32)
        vals = np.asarray(values, dtype=float)
        self.highs.addRow(float(lower), float(upper), len(cols_arr), cols_arr, vals)
        i = self.highs.getNumRow() - 1
        self._record(lambda: _ignore(self.highs.deleteRows(1, np.array([i], dtype=np.int32))))
        return i

    def change_coefficient(self, row: int, col: int, value: float, old: float) -> None:
        self.highs.changeCoeff(int(row), int(col), float(value))
        self._record(lambda: _ignore(self.highs.changeCoeff(int(row), int(col), float(old))))

    # --- reading ----------------------------------------------------------------------------
    def row_entries(self, rows: np.ndarray) -> dict[int, list[tuple[int, float]]]:
        """Original-matrix entries (col, value) of the given original rows."""
        if self._matrix is None:
            lp = self.highs.getLp()
            a = lp.a_matrix_
            import scipy.sparse as sp

            shape = (lp.num_row_, lp.num_col_)
            start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
            if a.format_ == highspy.MatrixFormat.kColwise:
                matrix = sp.csc_matrix((value, index, start), shape=shape).tocsr()
            else:
                matrix = sp.csr_matrix((value, index, start), shape=shape)
            self._matrix = matrix[: self.num_rows, : self.num_cols].tocsr()
        out: dict[int, list[tuple[int, float]]] = {}
        for i in rows:
            lo, hi = self._matrix.indptr[i], self._matrix.indptr[i + 1]
            out[int(i)] = list(
                zip(self._matrix.indices[lo:hi].tolist(), self._matrix.data[lo:hi].tolist(), strict=True)
            )
        return out

    @property
    def is_mip(self) -> bool:
        return bool(self._integrality.any())

    def solve(self) -> SolveOutcome:
        self.solves += 1
        progress = self.progress
        tick = None
        if progress is not None:
            started = self.started

            def tick(_seconds: float) -> None:
                progress(time.perf_counter() - started)

        # CompiledProgramme.solve offsets the limit by HiGHS' accumulated run time (HiGHS#1477).
        limit = float(self.time_limit_s or self.scenario.settings.time_limit_s)
        if self.deadline is not None:
            limit = max(0.01, min(limit, self.deadline - time.perf_counter()))
        return self.programme.solve(time_limit_s=limit, progress=tick)

    def feasibility(self) -> SolveOutcome:
        """Solve with a zero objective: ``optimal`` means feasible (never unbounded)."""
        with self.experiment():
            self.set_objective(np.zeros(self.highs.getNumCol()))
            return self.solve()

    def duals(self) -> tuple[np.ndarray, np.ndarray] | None:
        solution = self.highs.getSolution()
        if not solution.dual_valid:
            return None
        return np.asarray(solution.row_dual, dtype=float), np.asarray(solution.col_dual, dtype=float)


def _ignore(_status: object) -> None:
    """Drop a HiGHS status in an undo step."""


def value_coefficients(programme: CompiledProgramme) -> np.ndarray:
    """Cost vector of Σ value_weight[s] × cov[p,s] over the compiled columns."""
    costs = np.zeros(len(programme.col_var))
    cov = programme.cols("cov")
    costs[cov] = [programme.data.value_weight[programme.col_key[j][1]] for j in cov]
    return costs


# --------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------
def money(value: float) -> str:
    if abs(value) >= 1e6:
        return f"£{value / 1e6:,.2f}m"
    if abs(value) >= 100:
        return f"£{value:,.0f}"
    return f"£{value:,.2f}"


def number(value: float, digits: int = 3) -> str:
    """A readable number: 2 decimals from 1 up, else ``digits`` significant figures."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.{digits}g}"


def percent(share: float, digits: int = 1) -> str:
    text = f"{share * 100:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def plural_amount(value: float, word: str) -> str:
    return f"{number(value)} {word if value == 1 else word + 's'}"


def listing(items: Sequence[str], limit: int = 5) -> str:
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def _entity(key: object) -> str:
    if key is None:
        return "area"
    if isinstance(key, tuple):
        return " / ".join(str(k) for k in key)
    return str(key)


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# --------------------------------------------------------------------------------------
# Conflict
# --------------------------------------------------------------------------------------
@dataclass
class Member:
    """One member of a conflict: a row (rule instance), one side of a column bound, or a group
    of rows (a whole family, or a family's rows for one service/role/...; deletion filter)."""

    kind: str  # "row" | "bound" | "group"
    index: int  # row or column position (-1 for a group)
    rule: str
    key: object  # row/column key; for a group its key (service, role, ...) or None for the whole family
    side: str  # "lower" | "upper" | "both"
    rows: np.ndarray | None = None


@dataclass
class Conflict:
    method: str  # "iis" | "iis_lp_relaxation" | "deletion_filter"
    irreducible: bool
    members: list[Member] = field(default_factory=list)
    verified: bool | None = None

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(m.rule for m in self.members))

    def instances(self, programme: CompiledProgramme) -> dict[str, list[object]]:
        """Rule name -> keys of the rule instances (rows) or column bounds in the conflict."""
        out: dict[str, list[object]] = defaultdict(list)
        for m in self.members:
            if m.kind == "group" and m.rows is not None:
                out[m.rule].extend(programme.row_key[i] for i in m.rows)
            else:
                out[m.rule].append(m.key)
        order = {rule: n for n, rule in enumerate(FILTER_ORDER[::-1])}
        return dict(sorted(out.items(), key=lambda item: (item[0].startswith("bound:"), order.get(item[0], 99))))

    def rule_groups(self, bench: Workbench) -> list[dict[str, Any]]:
        return [
            {"rule": rule, "count": len(keys), "entities": [_entity(k) for k in keys]}
            for rule, keys in self.instances(bench.programme).items()
        ]


def _iis_side(status: int) -> str | None:
    return {_IIS_LOWER: "lower", _IIS_UPPER: "upper", _IIS_BOXED: "both"}.get(int(status))


def find_conflict(bench: Workbench, verify: bool = True) -> Conflict | None:
    """The conflict of the currently loaded (infeasible) programme; ``None`` if it is feasible.

    LP: HiGHS' IIS (``iis_strategy`` = elastic LP + reduce to irreducible) when the programme
    has at most IIS_MAX_ROWS rows and HiGHS finishes in time; otherwise (and for a MIP whose
    LP relaxation is feasible) a deletion filter over rule families, refined to groups by
    service/role. MIP with an infeasible LP relaxation: the IIS of the LP relaxation.
    """
    if bench.is_mip:
        with bench.experiment():
            bench.relax_integrality()
            relaxed = bench.feasibility()
            if relaxed.status == "infeasible":
                conflict = _iis(bench, "iis_lp_relaxation")
                if conflict is not None and verify and len(conflict.members) <= VERIFY_LIMIT:
                    conflict.verified = verify_conflict(bench, conflict)
                if conflict is not None:
                    return conflict
        outcome = bench.feasibility()
        if outcome.status != "infeasible":
            return None
        conflict = deletion_filter(bench)
    else:
        outcome = bench.feasibility()
        if outcome.status != "infeasible":
            return None
        iis = _iis(bench, "iis")
        conflict = iis if iis is not None else deletion_filter(bench)
    if verify and _member_count(conflict) <= VERIFY_LIMIT:
        conflict.verified = verify_conflict(bench, conflict)
    return conflict


def _member_count(conflict: Conflict) -> int:
    return len(conflict.members)


def _iis(bench: Workbench, method: str) -> Conflict | None:
    if bench.num_rows > IIS_MAX_ROWS:
        return None
    highs = bench.highs
    time_limit = float(bench.time_limit_s or bench.scenario.settings.time_limit_s)
    with bench.experiment():
        # getIis needs the incumbent's status to be "infeasible" (else it re-solves, and a
        # re-solve of a badly infeasible LP can end "Unknown"): settle it with a cold, zero
        # objective solve without presolve, then ask for the IIS straight away.
        bench.set_objective(np.zeros(highs.getNumCol()))
        highs.clearSolver()
        highs.setOptionValue("presolve", "off")
        highs.setOptionValue("time_limit", highs.getRunTime() + time_limit)
        highs.setOptionValue("iis_strategy", IIS_STRATEGY)
        highs.setOptionValue("iis_time_limit", min(time_limit, IIS_TIME_LIMIT_S))
        try:
            highs.run()
            if highs.getModelStatus() != highspy.HighsModelStatus.kInfeasible:
                return None
            status, iis = highs.getIis()
        except Exception:  # noqa: BLE001 - a failed IIS falls back to the deletion filter
            return None
        finally:
            highs.setOptionValue("presolve", "choose")
            highs.setOptionValue("iis_strategy", int(highspy.IisStrategy.kIisStrategyLight))
    if status != highspy.HighsStatus.kOk or not iis.valid_ or (not len(iis.row_index_) and not len(iis.col_index_)):
        return None
    p = bench.programme
    members: list[Member] = []
    for i, bound in zip(iis.row_index_, iis.row_bound_, strict=True):
        side = _iis_side(bound)
        if side is None or i >= bench.num_rows:
            continue
        members.append(Member("row", int(i), str(p.row_rule[i]), p.row_key[i], side))
    for j, bound in zip(iis.col_index_, iis.col_bound_, strict=True):
        side = _iis_side(bound)
        if side is None or j >= bench.num_cols:
            continue
        members.append(Member("bound", int(j), f"bound:{p.col_var[j]}", p.col_key[j], side))
    if not members:
        return None
    irreducible = bool(int(iis.strategy_) & int(highspy.IisStrategy.kIisStrategyIrreducible))
    return Conflict(method, irreducible, members)


def _families(bench: Workbench) -> list[str]:
    present = set(bench.programme.rules_present()) - DEFINITION_RULES
    ordered = [f for f in FILTER_ORDER if f in present]
    return ordered + sorted(present - set(ordered))


def _group_key(key: object) -> object:
    """Rows of a family are grouped by their last index (service or role) when it has two."""
    return key[1] if isinstance(key, tuple) and len(key) == 2 else key


def _status_relaxed(bench: Workbench, rows: np.ndarray) -> str:
    with bench.experiment():
        bench.relax_rows(rows)
        return bench.feasibility().status


def deletion_filter(bench: Workbench, refine: bool = True) -> Conflict:
    """Irreducible set of rule families (then of each kept family's service/role groups).

    Each candidate is relaxed (rows to ±inf) in turn; if the programme stays infeasible it is
    left relaxed (not needed), else it is kept. Feasibility only grows as more is relaxed, so
    every kept candidate is necessary at the end and the kept set is infeasible: irreducible
    at that granularity. A solve that ends without an answer keeps its candidate and marks the
    result as not proven irreducible.
    """
    p = bench.programme
    proven = True
    members: list[Member] = []
    with bench.experiment():
        kept: list[str] = []
        for family in _families(bench):
            status = _status_relaxed(bench, p.rows(family))
            if status == "infeasible":
                bench.relax_rows(p.rows(family))
            else:
                kept.append(family)
                proven &= status == "optimal"
        for family in kept:
            rows = p.rows(family)
            groups: dict[object, list[int]] = defaultdict(list)
            for i in rows:
                groups[_group_key(p.row_key[i])].append(int(i))
            if not refine or not 1 < len(groups) <= MAX_GROUPS:
                members.append(Member("group", -1, family, None, "both", rows))
                continue
            for key, group_rows in groups.items():
                g = np.array(group_rows, dtype=np.int64)
                status = _status_relaxed(bench, g)
                if status == "infeasible":
                    bench.relax_rows(g)
                else:
                    members.append(Member("group", -1, family, key, "both", g))
                    proven &= status == "optimal"
    return Conflict("deletion_filter", proven, members)


def verify_conflict(bench: Workbench, conflict: Conflict) -> bool:
    """Prove irreducibility by re-solving: the members alone are infeasible, and dropping any
    one of them makes the rest feasible. Integrality is relaxed for IIS methods (an IIS is of
    the LP or LP relaxation) and kept for the deletion filter."""
    with bench.experiment():
        if conflict.method == "deletion_filter":
            keep = np.zeros(bench.num_rows, dtype=bool)
            for m in conflict.members:
                keep[m.rows] = True
            for rule in DEFINITION_RULES:
                keep[bench.programme.rows(rule)] = True
            bench.relax_rows(np.flatnonzero(~keep))
        else:
            bench.relax_integrality()
            _restrict_to(bench, conflict.members)
        if bench.feasibility().status != "infeasible":
            return False
        for member in conflict.members:
            with bench.experiment():
                _drop(bench, member)
                if bench.feasibility().status != "optimal":
                    return False
    return True


def _restrict_to(bench: Workbench, members: Sequence[Member]) -> None:
    """Keep only the members' rows/bound sides; every other row and column bound is free."""
    p = bench.programme
    rows = {m.index: m.side for m in members if m.kind == "row"}
    cols = {m.index: m.side for m in members if m.kind == "bound"}
    other_rows = np.array([i for i in range(bench.num_rows) if i not in rows], dtype=np.int64)
    bench.relax_rows(other_rows)
    for i, side in rows.items():
        lower = p.row_lower[i] if side in ("lower", "both") else -INF
        upper = p.row_upper[i] if side in ("upper", "both") else INF
        bench.set_row_bounds(np.array([i]), lower, upper)
    all_cols = np.arange(bench.num_cols)
    lower = np.where([cols.get(int(j)) in ("lower", "both") for j in all_cols], p.col_lower, -INF)
    upper = np.where([cols.get(int(j)) in ("upper", "both") for j in all_cols], p.col_upper, INF)
    bench.set_col_bounds(all_cols, lower, upper)


def _drop(bench: Workbench, member: Member) -> None:
    if member.kind == "group" and member.rows is not None:
        bench.relax_rows(member.rows)
    elif member.kind == "row":
        bench.relax_rows(np.array([member.index]))
    else:
        bench.set_col_bounds(np.array([member.index]), -INF, INF)


def conflict_families(bench: Workbench) -> list[str]:
    """Rule families still in conflict (family-level deletion filter; for "what else binds")."""
    if bench.feasibility().status != "infeasible":
        return []
    return deletion_filter(bench, refine=False).families


# --------------------------------------------------------------------------------------
# Plain-English phrases for rule groups
# --------------------------------------------------------------------------------------
def _group_phrases(bench: Workbench, rule: str, keys: list[object]) -> list[str]:
    d = bench.data
    settings = bench.scenario.settings
    practices = lambda n: plural(n, "practice")  # noqa: E731
    if rule == "budget":
        return [f"the budget of {money(float(settings.budget_gbp or 0.0))} a year"]
    if rule == "practice_budget":
        rate = float(settings.offer_rate_gbp_per_weighted_patient or 0.0)
        names = [str(k) for k in keys]
        return [f"the offer of {money(rate)} per weighted patient at {practices(len(keys))} ({listing(names)})"]
    if rule in ("workforce_supply",):
        return [f"the hiring limit of {number(d.supply_max[str(r)])} new FTE for {r}" for r in keys]
    if rule == "gp_floor":
        per10k = settings.gp_fte_per_10k_weighted or 0.0
        return [f"the GP floor of {number(per10k)} FTE per 10,000 weighted patients at {practices(len(keys))}"]
    if rule == "gp_target_total":
        return [f"the area-wide GP target of {number(settings.gp_fte_target_total or 0.0)} FTE"]
    if rule == "arrs_claim":
        return [f"the ARRS reimbursement rules at {practices(len(keys))}"]
    if rule == "arrs_entitlement":
        return [f"the ARRS entitlement of {plural(len(keys), 'PCN')} ({listing([str(k) for k in keys])})"]
    by_second: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if isinstance(key, tuple) and len(key) == 2:
            by_second[str(key[1])].append(str(key[0]))
        else:
            by_second[""].append(_entity(key))
    phrases = []
    for second, firsts in by_second.items():
        n = len(firsts)
        where = f"at {practices(n)}"
        if rule == "min_standard":
            phrases.append(f"the minimum standard for {second} ({percent(d.min_coverage[second])} coverage) {where}")
        elif rule == "max_coverage":
            phrases.append(f"the coverage ceiling for {second} ({percent(d.max_coverage[second])}) {where}")
        elif rule == "activity":
            phrases.append(
                f"the {plural_amount(d.contacts_per_patient[second], 'contact')} a year each covered {second} patient "
                f"needs {where}"
            )
        elif rule == "clinical_time":
            hours = d.clinical_minutes[second] / 60
            phrases.append(f"the clinical hours of {second} staff ({number(hours)} h per FTE a year) {where}")
        elif rule == "safe_working":
            cap = float(bench.scenario.roles.at[second, "max_contacts_per_day"])
            phrases.append(f"the safe-working cap for {second} ({number(cap)} contacts per FTE-day) {where}")
        elif rule == "pcn_deployment":
            phrases.append(f"the PCN-held {second} staff of {plural(n, 'PCN')} ({listing(firsts)})")
        elif rule == "hiring_step":
            step = d.fte_step.get(second, 0.0)
            units = plural(n, "PCN") if second in d.arrs_roles else practices(n)
            phrases.append(f"hiring {second} only in whole steps of {number(step)} FTE at {units}")
        elif rule.startswith("bound:"):
            noun = VAR_NOUNS.get(rule[6:], rule[6:])
            phrases.append(f"that {noun} cannot be negative ({plural(n, 'place')})")
        else:
            phrases.append(f"{rule} {where}")
    return phrases


def conflict_sentences(bench: Workbench, conflict: Conflict) -> list[str]:
    sentences: list[str] = []
    for rule, keys in conflict.instances(bench.programme).items():
        for phrase in _group_phrases(bench, rule, keys):
            sentences.append(phrase[0].upper() + phrase[1:] + ".")
    return sentences


def conflict_size(bench: Workbench, conflict: Conflict) -> int:
    return sum(len(keys) for keys in conflict.instances(bench.programme).values())


def conflict_headline(bench: Workbench, conflict: Conflict) -> str:
    phrases = [s[0].lower() + s[1:-1] for s in conflict_sentences(bench, conflict)]
    requirements = [s for s in phrases if not s.startswith("that ")]
    shown = requirements or phrases
    what = "; ".join(shown[:8]) + (f"; and {len(shown) - 8} more" if len(shown) > 8 else "")
    size = conflict_size(bench, conflict)
    kind = {
        "iis": f"an irreducible infeasible set of {plural(size, 'rule')}",
        "iis_lp_relaxation": f"an irreducible infeasible set of {plural(size, 'rule')}, "
        "found even without whole-step hiring",
        "deletion_filter": f"{plural(len(conflict.members), 'rule group')} ({plural(size, 'rule')}), "
        "each needed for the conflict",
    }[conflict.method]
    return f"These requirements cannot all hold together ({kind}): {what}."


def conflict_table(bench: Workbench, conflict: Conflict) -> pd.DataFrame:
    p = bench.programme
    records = []
    for m in conflict.members:
        if m.kind == "group" and m.rows is not None:
            for i in m.rows:
                records.append(
                    {
                        "rule": m.rule,
                        "kind": "row",
                        "entity": _entity(p.row_key[i]),
                        "side": "both",
                        "lower": _finite(p.row_lower[i]),
                        "upper": _finite(p.row_upper[i]),
                    }
                )
            continue
        if m.kind == "row":
            lower, upper = p.row_lower[m.index], p.row_upper[m.index]
        else:
            lower, upper = p.col_lower[m.index], p.col_upper[m.index]
        records.append(
            {
                "rule": m.rule,
                "kind": m.kind,
                "entity": _entity(m.key),
                "side": m.side,
                "lower": _finite(lower),
                "upper": _finite(upper),
            }
        )
    return pd.DataFrame(records, columns=["rule", "kind", "entity", "side", "lower", "upper"])


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) and abs(value) < INF else None


# --------------------------------------------------------------------------------------
# Levers
# --------------------------------------------------------------------------------------
@dataclass
class Lever:
    lever: str
    fixable: bool | None
    amount: float | None
    unit: str
    sentence: str
    details: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return _clean(
            {
                "lever": self.lever,
                "fixable": self.fixable,
                "amount": self.amount,
                "unit": self.unit,
                "sentence": self.sentence,
                "details": self.details,
            }
        )


def _spend(bench: Workbench, x: np.ndarray) -> float:
    return float(bench.spend @ x[: bench.num_cols])


def _cannot(bench: Workbench, lever: str, unit: str, what: str, relaxed: Sequence[str]) -> Lever:
    """A lever that cannot fix it alone: say so and what still conflicts with it relaxed."""
    with bench.experiment():
        for family in relaxed:
            bench.relax_rows(bench.programme.rows(family))
        families = conflict_families(bench)
    others = [f for f in families if f not in relaxed and f not in DEFINITION_RULES]
    binds = ", ".join(_family_label(f) for f in others) or "other rules"
    sentence = f"{what} alone cannot make it deliverable: even without that limit, {binds} still conflict."
    return Lever(lever, False, None, unit, sentence, {"still_conflicting": others})


def _family_label(family: str) -> str:
    return {
        "min_standard": "the minimum standards",
        "max_coverage": "the coverage ceilings",
        "clinical_time": "staff clinical hours",
        "safe_working": "the safe-working caps",
        "workforce_supply": "the hiring limits",
        "budget": "the budget",
        "practice_budget": "the practice budgets",
        "gp_floor": "the GP floor",
        "gp_target_total": "the area GP target",
        "arrs_claim": "the ARRS reimbursement rules",
        "arrs_entitlement": "the ARRS entitlements",
        "pcn_deployment": "PCN-held staff",
        "hiring_step": "whole-step hiring",
        "activity": "contacts per covered patient",
    }.get(family, family)


def _no_answer(lever: str, unit: str, outcome: SolveOutcome) -> Lever:
    return Lever(lever, None, None, unit, f"No answer for the {lever} lever within the time limit ({outcome.message}).")


def budget_lever(bench: Workbench) -> Lever:
    if bench.scenario.settings.budget_mode == "per_practice":
        return offer_rate_lever(bench)
    unit = LEVER_UNITS["budget"]
    budget = float(bench.scenario.settings.budget_gbp or 0.0)
    rows = bench.programme.rows("budget")
    with bench.experiment():
        bench.relax_rows(rows)
        bench.set_objective(bench.objective_vector(base=bench.spend))
        outcome = bench.solve()
    if outcome.status == "infeasible":
        return _cannot(bench, "budget", unit, "More money", ["budget"])
    if not outcome.has_solution or outcome.col_value is None:
        return _no_answer("budget", unit, outcome)
    least = _spend(bench, outcome.col_value)
    shortfall = max(0.0, least - budget)
    share = shortfall / budget if budget > 0 else None
    rise = f" (+{percent(share, 0 if share >= 0.1 else 1)})" if share is not None else ""
    sentence = (
        f"The spec needs {money(shortfall)} more a year{rise} at current workforce supply: "
        f"it costs at least {money(least)} against a budget of {money(budget)}."
    )
    details = {"least_spend_gbp": least, "budget_gbp": budget, "shortfall_gbp": shortfall, "shortfall_share": share}
    return Lever("budget", True, shortfall, unit, sentence, details)


def needed_offer_rate(bench: Workbench) -> tuple[SolveOutcome, float | None]:
    """Least uniform offer rate r: practice_budget rows become spend[p] − r × wl[p] ≤ 0."""
    p = bench.programme
    rows = p.rows("practice_budget")
    wl = np.array([bench.data.weighted_list[str(p.row_key[i])] for i in rows])
    with bench.experiment():
        r = bench.add_column(0.0, INF, rows, -wl)
        bench.set_row_bounds(rows, -INF, 0.0)
        bench.set_objective(bench.objective_vector({r: 1.0}))
        outcome = bench.solve()
    if not outcome.has_solution or outcome.col_value is None:
        return outcome, None
    return outcome, float(outcome.col_value[r])


def offer_rate_lever(bench: Workbench) -> Lever:
    unit = LEVER_UNITS["budget_per_practice"]
    p = bench.programme
    rate = float(bench.scenario.settings.offer_rate_gbp_per_weighted_patient or 0.0)
    outcome, needed = needed_offer_rate(bench)
    if outcome.status == "infeasible":
        return _cannot(bench, "budget", unit, "A higher offer", ["practice_budget"])
    if needed is None:
        return _no_answer("budget", unit, outcome)
    extra = max(0.0, needed - rate)
    # Practices short at the current rate: elastic top-ups minimising the total overspend.
    rows = p.rows("practice_budget")
    short_records: list[dict[str, Any]] = []
    with bench.experiment():
        tops = [bench.add_column(0.0, INF, [i], [-1.0]) for i in rows]
        bench.set_objective(bench.objective_vector(dict.fromkeys(tops, 1.0)))
        elastic = bench.solve()
        if elastic.col_value is not None:
            for i, j in zip(rows, tops, strict=True):
                gap = float(elastic.col_value[j])
                practice = str(p.row_key[i])
                budget_p = bench.data.practice_budget[practice]
                if gap > TOL * max(1.0, budget_p):
                    short_records.append(
                        {
                            "practice_id": practice,
                            "budget_gbp": budget_p,
                            "shortfall_gbp": gap,
                            "needs_gbp": budget_p + gap,
                            "needs_gbp_per_weighted_patient": (budget_p + gap) / bench.data.weighted_list[practice],
                        }
                    )
    short = (
        pd.DataFrame(
            short_records,
            columns=["practice_id", "budget_gbp", "shortfall_gbp", "needs_gbp", "needs_gbp_per_weighted_patient"],
        )
        .sort_values("shortfall_gbp", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    total = float(short["shortfall_gbp"].sum())
    listed = listing([f"{row.practice_id} {money(row.shortfall_gbp)}" for row in short.itertuples()], 8)
    share = extra / rate if rate > 0 else None
    rise = f", +{percent(share, 0 if share >= 0.1 else 1)}" if share is not None else ""
    sentence = (
        f"The offer needs {money(extra)} more per weighted patient a year (from {money(rate)} to "
        f"{money(needed)}{rise}) to cover every practice; at the current rate "
        f"{len(short)} of {len(rows)} practices are short by {money(total)} in total: {listed}."
    )
    details = {
        "offer_rate_gbp_per_weighted_patient": rate,
        "needed_rate_gbp_per_weighted_patient": needed,
        "extra_rate_gbp_per_weighted_patient": extra,
        "practices_short": short.to_dict("records"),
        "total_shortfall_gbp": total,
    }
    return Lever("budget", True, extra, unit, sentence, details, {"practices_short": short})


def supply_lever(bench: Workbench) -> Lever:
    unit = LEVER_UNITS["workforce_supply"]
    p = bench.programme
    rows = p.rows("workforce_supply")
    if not len(rows):
        return Lever(
            "workforce_supply",
            False,
            None,
            unit,
            "No role has a hiring limit in this scenario, so more staff supply cannot help.",
        )
    with bench.experiment():
        bench.relax_rows(rows)
        feasible = bench.feasibility()
    if feasible.status == "infeasible":
        return _cannot(bench, "workforce_supply", unit, "More staff", ["workforce_supply"])
    with bench.experiment():
        extra_cols = [bench.add_column(0.0, INF, [i], [-1.0]) for i in rows]
        bench.set_objective(bench.objective_vector(dict.fromkeys(extra_cols, 1.0)))
        first = bench.solve()
        if first.col_value is None:
            return _no_answer("workforce_supply", unit, first)
        least = float(sum(first.col_value[j] for j in extra_cols))
        # Among the smallest totals, the cheapest (so the split by role is the least-cost one).
        bench.add_row(-INF, least * (1 + 1e-9) + 1e-9, extra_cols, [1.0] * len(extra_cols))
        bench.set_objective(bench.objective_vector(base=bench.spend))
        second = bench.solve()
        final = second if second.col_value is not None else first
        assert final.col_value is not None
        extra = {str(p.row_key[i]): float(final.col_value[j]) for i, j in zip(rows, extra_cols, strict=True)}
    by_role = pd.DataFrame(
        [
            {
                "role_id": r,
                "supply_max_fte": bench.data.supply_max[r],
                "extra_fte": v,
                "needed_fte": bench.data.supply_max[r] + v,
            }
            for r, v in extra.items()
        ],
        columns=["role_id", "supply_max_fte", "extra_fte", "needed_fte"],
    )
    needed = by_role[by_role["extra_fte"] > TOL]
    total = float(needed["extra_fte"].sum())
    parts = listing(
        [f"{number(row.extra_fte)} {row.role_id} (limit {number(row.supply_max_fte)})" for row in needed.itertuples()],
        8,
    )
    sentence = (
        f"The spec needs {number(total)} more FTE than can be hired ({parts}) within the current budget and standards."
    )
    details = {"total_extra_fte": total, "by_role": by_role.to_dict("records")}
    return Lever("workforce_supply", True, total, unit, sentence, details, {"supply_by_role": by_role})


def _standard_rows(bench: Workbench) -> dict[str, np.ndarray]:
    p = bench.programme
    rows = p.rows("min_standard")
    by_service: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        if p.base_row_lower[i] > 0:
            by_service[str(p.row_key[i][1])].append(int(i))
    return {s: np.array(v, dtype=np.int64) for s, v in by_service.items()}


def max_uniform_fraction(bench: Workbench) -> tuple[SolveOutcome, float | None]:
    """Highest t in [0, 1] with every min_standard row relaxed to cov ≥ t × min × E (a column t)."""
    p = bench.programme
    by_service = _standard_rows(bench)
    if not by_service:
        return bench.feasibility(), 1.0
    rows = np.concatenate(list(by_service.values()))
    with bench.experiment():
        t = bench.add_column(0.0, 1.0, rows, -p.base_row_lower[rows])
        bench.set_row_bounds(rows, 0.0, INF)
        bench.set_objective(bench.objective_vector({t: 1.0}), maximise=True)
        outcome = bench.solve()
        return outcome, float(outcome.col_value[t]) if outcome.col_value is not None else None


def standards_lever(bench: Workbench) -> Lever:
    """Highest uniform fraction t ≤ 1 of every min_coverage; and per service (others at 100%)."""
    unit = LEVER_UNITS["standards"]
    p = bench.programme
    by_service = _standard_rows(bench)
    if not by_service:
        return Lever(
            "standards", False, None, unit, "No service has a minimum standard, so lowering standards cannot help."
        )
    outcome, uniform = max_uniform_fraction(bench)
    if outcome.status == "infeasible":
        return _cannot(bench, "standards", unit, "Lowering the standards", ["min_standard"])
    if uniform is None:
        return _no_answer("standards", unit, outcome)
    records: list[dict[str, Any]] = []
    for service, rows in by_service.items():
        with bench.experiment():
            ts = bench.add_column(0.0, 1.0, rows, -p.base_row_lower[rows])
            bench.set_row_bounds(rows, 0.0, INF)
            bench.set_objective(bench.objective_vector({ts: 1.0}), maximise=True)
            alone = bench.solve()
            fraction = float(alone.col_value[ts]) if alone.col_value is not None else None
        minimum = bench.data.min_coverage[service]
        records.append(
            {
                "service_id": service,
                "min_coverage": minimum,
                "coverage_at_uniform": uniform * minimum,
                "fraction_alone": fraction,
                "coverage_alone": None if fraction is None else fraction * minimum,
                "fixable_alone": fraction is not None,
            }
        )
    table = pd.DataFrame(records)
    if uniform <= 1e-9:
        sentence = (
            "Only dropping every minimum standard entirely (to 0% of its level) would fit the current budget "
            "and workforce, so lowering standards is no real fix."
        )
        return Lever(
            "standards",
            True,
            0.0,
            unit,
            sentence,
            {"uniform_fraction": 0.0, "by_service": records},
            {"standards_by_service": table},
        )
    examples = listing(
        [
            f"{r['service_id']} from {percent(r['min_coverage'])} to {percent(r['coverage_at_uniform'])}"
            for r in records
        ],
        4,
    )
    sentence = (
        f"Every minimum standard would have to fall to {percent(uniform)} of its level "
        f"(a {percent(1 - uniform)} cut: {examples}) for the spec to fit the current budget and workforce."
    )
    differing = [r for r in records if r["fraction_alone"] is None or abs(r["fraction_alone"] - uniform) > 1e-6]
    if len(records) > 1 and differing:
        fixers = [r for r in differing if r["fraction_alone"] is not None]
        cannot = [r["service_id"] for r in differing if r["fraction_alone"] is None]
        parts = [
            f"{r['service_id']} alone to {percent(r['coverage_alone'])} coverage "
            f"({percent(r['fraction_alone'])} of its level)"
            for r in fixers
        ]
        if cannot:
            who = cannot[0] if len(cannot) == 1 else ("the other " if fixers else "") + plural(len(cannot), "service")
            parts.append(
                f"{who} cannot fix it alone"
                if len(cannot) == 1
                else f"{who} cannot fix it alone ({listing(cannot, 3)})"
            )
        sentence += " Lowering one service at a time: " + "; ".join(parts) + "."
    details = {"uniform_fraction": uniform, "by_service": records}
    return Lever("standards", True, uniform, unit, sentence, details, {"standards_by_service": table})


def _safe_rows(bench: Workbench) -> dict[str, np.ndarray]:
    p = bench.programme
    by_role: dict[str, list[int]] = defaultdict(list)
    for i in p.rows("safe_working"):
        by_role[str(p.row_key[i][1])].append(int(i))
    return {r: np.array(v, dtype=np.int64) for r, v in by_role.items()}


def _safe_x_entries(bench: Workbench, rows: np.ndarray) -> dict[int, list[tuple[int, float]]]:
    """Entries of the contact (x) columns in safe_working rows."""
    x_cols = set(bench.programme.cols("x").tolist())
    return {i: [(j, v) for j, v in entries if j in x_cols] for i, entries in bench.row_entries(rows).items()}


def _workforce_at(bench: Workbench, x: np.ndarray) -> dict[tuple[str, str], float]:
    p = bench.programme
    fte: dict[tuple[str, str], float] = defaultdict(float)
    for key, value in bench.data.staff_practice.items():
        fte[key] += value
    for var in ("h", "e"):
        for j in p.cols(var):
            fte[p.col_key[j]] += float(x[j])
    return fte


def _cap_feasible(bench: Workbench, raises: dict[str, float], entries: dict[int, list[tuple[int, float]]]) -> str:
    """Status with each role's cap raised by ``raises[r]`` contacts per FTE-day.

    Row Σx ≤ cap·F becomes Σx ≤ (cap + δ·days)·F; scaling the x coefficients by
    max/(max + δ) gives the same row without touching F's coefficients or the right-hand side.
    """
    roles = bench.scenario.roles
    p = bench.programme
    with bench.experiment():
        for i, row_entries in entries.items():
            role = str(p.row_key[i][1])  # type: ignore[index]
            delta = raises.get(role, 0.0)
            if delta <= 0:
                continue
            cap = float(roles.at[role, "max_contacts_per_day"])
            factor = cap / (cap + delta)
            for j, value in row_entries:
                bench.change_coefficient(i, j, value * factor, value)
        return bench.feasibility().status


def _cap_upper_bound(bench: Workbench, rows: np.ndarray) -> tuple[str, dict[str, float]]:
    """Elastic contacts on the given safe_working rows; the rise each role needs at that solution."""
    p = bench.programme
    roles = bench.scenario.roles
    x_coef = {i: (e[0][1] if e else 1.0) for i, e in _safe_x_entries(bench, rows).items()}
    with bench.experiment():
        slack = [bench.add_column(0.0, INF, [i], [-1.0]) for i in rows]
        weights = {}
        for i, j in zip(rows, slack, strict=True):
            weights[j] = 1.0 / abs(x_coef[int(i)])
        bench.set_objective(bench.objective_vector(weights))
        outcome = bench.solve()
        if outcome.col_value is None:
            return outcome.status, {}
        fte = _workforce_at(bench, outcome.col_value)
        needed: dict[str, float] = defaultdict(float)
        for i, j in zip(rows, slack, strict=True):
            practice, role = p.row_key[i]
            contacts = float(outcome.col_value[j]) / abs(x_coef[int(i)])
            if contacts <= TOL:
                continue
            days = float(roles.at[role, "working_days_per_fte"])
            f = fte.get((practice, role), 0.0)
            rise = contacts / (days * f) if f > TOL else INF
            needed[role] = max(needed[role], rise)
        return outcome.status, dict(needed)


def _bisect_cap(
    bench: Workbench, roles_moved: Sequence[str], upper: float, entries: dict[int, list[tuple[int, float]]]
) -> tuple[float, float] | None:
    """Bracket (lo, hi) on the least raise δ (same for every moved role): hi is feasible, lo is not
    (or 0). ``upper`` comes from the elastic solve and is feasible; the bisection narrows the
    bracket to SAFE_WORKING_TOLERANCE or until a solve runs out of time."""
    lo, hi = 0.0, upper
    status = _cap_feasible(bench, dict.fromkeys(roles_moved, hi), entries)
    if status != "optimal":
        # The elastic bound is feasible in exact arithmetic; widen once for rounding.
        hi = upper * 1.01 + SAFE_WORKING_TOLERANCE
        if _cap_feasible(bench, dict.fromkeys(roles_moved, hi), entries) != "optimal":
            return None
    while hi - lo > SAFE_WORKING_TOLERANCE:
        mid = (lo + hi) / 2
        status = _cap_feasible(bench, dict.fromkeys(roles_moved, mid), entries)
        if status == "optimal":
            hi = mid
        elif status == "infeasible":
            lo = mid
        else:
            break  # out of time: keep the bracket found so far
    return lo, hi


def safe_working_lever(bench: Workbench) -> Lever:
    """Extra contacts per FTE-day: the least uniform raise of every cap, and per role alone.

    The exact lever is bilinear (cap × FTE). For a fixed raise δ the programme is linear and
    feasibility only grows with δ, so δ is bracketed by bisection on re-solves, started from a
    sound upper bound: elastic contacts on the safe_working rows, converted to contacts per
    FTE-day with the FTE of that elastic solution (that solution stays feasible with the caps
    raised by the largest such rate). The reported amount is the bracket's feasible end, so it
    always suffices; ``details.exact`` says whether the bracket closed to the tolerance within
    the time budget (SAFE_WORKING_BUDGET_S in all).
    """
    unit = LEVER_UNITS["safe_working"]
    by_role = _safe_rows(bench)
    if not by_role:
        return Lever("safe_working", False, None, unit, "No role has a safe-working cap, so raising caps cannot help.")
    all_rows = np.concatenate(list(by_role.values()))
    with bench.experiment():
        bench.relax_rows(all_rows)
        free = bench.feasibility()
    if free.status == "infeasible":
        return _cannot(bench, "safe_working", unit, "Raising the safe-working caps", ["safe_working"])
    if free.status != "optimal":
        return _no_answer("safe_working", unit, free)
    roles = bench.scenario.roles
    with bench.time_budget(SAFE_WORKING_BUDGET_S):
        entries = _safe_x_entries(bench, all_rows)
        status, bounds = _cap_upper_bound(bench, all_rows)
        if not bounds:
            return Lever("safe_working", None, None, unit, f"No answer for the safe-working lever ({status}).")
        bracket = _bisect_cap(bench, list(by_role), max(bounds.values()), entries)
        if bracket is None:
            return Lever(
                "safe_working", None, None, unit, "No answer for the safe-working lever within the time limit."
            )
        lo, uniform = bracket
        records: list[dict[str, Any]] = []
        for role, rows in by_role.items():
            cap = float(roles.at[role, "max_contacts_per_day"])
            alone: tuple[float, float] | None
            if len(by_role) == 1:
                alone = bracket
            else:
                with bench.experiment():  # only this role's cap lifted; the other roles' caps stay hard
                    bench.relax_rows(rows)
                    alone_status = bench.feasibility().status
                if alone_status != "optimal":
                    alone = None
                else:
                    _status, role_bounds = _cap_upper_bound(bench, rows)
                    role_upper = role_bounds.get(role, 0.0)
                    alone = (
                        _bisect_cap(bench, [role], role_upper, _safe_x_entries(bench, rows)) if role_bounds else None
                    )
            records.append(
                {
                    "role_id": role,
                    "max_contacts_per_day": cap,
                    "raise_uniform": uniform,
                    "raise_alone": None if alone is None else alone[1],
                    "raise_alone_at_least": None if alone is None else alone[0],
                    "needed_cap_alone": None if alone is None else cap + alone[1],
                }
            )
    exact = uniform - lo <= SAFE_WORKING_TOLERANCE * 1.0001
    table = pd.DataFrame(records)
    parts = listing(
        [
            f"{r['role_id']} from {number(r['max_contacts_per_day'])} to {number(r['max_contacts_per_day'] + uniform)}"
            for r in records
        ],
        5,
    )
    how_much = number(uniform) if exact else f"at most {number(uniform)} (at least {number(lo)})"
    sentence = (
        f"The spec only fits by breaking the safe-working cap: {how_much} more contacts per FTE-day "
        f"for every capped role ({parts}) at the current budget and workforce."
    )
    if len(records) > 1:
        alone_parts = [
            f"{r['role_id']} alone cannot fix it"
            if r["raise_alone"] is None
            else f"{r['role_id']} alone +{number(r['raise_alone'])}"
            for r in records
        ]
        sentence += " One role at a time: " + "; ".join(alone_parts) + "."
    details = {
        "uniform_raise": uniform,
        "uniform_raise_at_least": lo,
        "exact": exact,
        "tolerance": SAFE_WORKING_TOLERANCE,
        "by_role": records,
    }
    return Lever("safe_working", True, uniform, unit, sentence, details, {"safe_working_by_role": table})


# --------------------------------------------------------------------------------------
# Combined minimal relaxation
# --------------------------------------------------------------------------------------
def relaxation(bench: Workbench, weights: dict[str, float] | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """One elastic programme: every lever's rows may be violated at a weighted, scale-free price.

    Each lever's violation is measured as a share of that lever's area-wide size (budget: the
    total budget; supply: total hiring limit; standards: total patients the standards require;
    safe working: the capped contacts the existing staff could give), so a 10% relaxation of any
    lever costs 0.1 × its weight. Everything else stays hard.
    """
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    p = bench.programme
    d = bench.data
    roles = bench.scenario.roles
    settings = bench.scenario.settings
    columns: list[tuple[int, str, int]] = []  # (column, lever, row)
    costs: dict[int, float] = {}
    with bench.experiment():
        if settings.budget_mode == "pooled":
            budget_rows = p.rows("budget")
            scale = max(float(settings.budget_gbp or 0.0), 1000.0)
        else:
            budget_rows = p.rows("practice_budget")
            scale = max(sum(d.practice_budget.values()), 1000.0)
        for i in budget_rows:
            j = bench.add_column(0.0, INF, [i], [-1.0])
            columns.append((j, "budget", int(i)))
            costs[j] = w["budget"] / scale
        supply_rows = p.rows("workforce_supply")
        scale = max(sum(d.supply_max.values()), 1.0)
        for i in supply_rows:
            j = bench.add_column(0.0, INF, [i], [-1.0])
            columns.append((j, "workforce_supply", int(i)))
            costs[j] = w["workforce_supply"] / scale
        standard_rows = np.concatenate(list(_standard_rows(bench).values()) or [np.empty(0, dtype=np.int64)])
        scale = max(float(p.base_row_lower[standard_rows].sum()), 1.0)
        for i in standard_rows:
            j = bench.add_column(0.0, INF, [i], [1.0])
            columns.append((j, "standards", int(i)))
            costs[j] = w["standards"] / scale
        safe = _safe_rows(bench)
        safe_rows = np.concatenate(list(safe.values()) or [np.empty(0, dtype=np.int64)])
        x_coef = {i: (e[0][1] if e else 1.0) for i, e in _safe_x_entries(bench, safe_rows).items()}
        existing: dict[str, float] = defaultdict(float)
        for (_holder, role), fte in list(d.staff_practice.items()) + list(d.staff_pcn.items()):
            existing[role] += fte
        scale = max(sum(d.contact_cap_per_fte[r] * max(existing[r], 1.0) for r in safe), 1.0)
        for i in safe_rows:
            j = bench.add_column(0.0, INF, [i], [-1.0])
            columns.append((j, "safe_working", int(i)))
            costs[j] = w["safe_working"] / scale / abs(x_coef[int(i)])
        bench.set_objective(bench.objective_vector(costs))
        outcome = bench.solve()
        if outcome.col_value is None:
            result: dict[str, Any] = {"status": outcome.status, "weights": w, "violations": [], "sentences": []}
            return result, pd.DataFrame()
        x = outcome.col_value
        at = _workforce_at(bench, x)
        records = []
        for j, lever, i in columns:
            amount = float(x[j])
            key = p.row_key[i]
            if lever == "budget":
                limit = float(settings.budget_gbp or 0.0) if key is None else d.practice_budget[str(key)]
                if amount <= TOL * max(limit, 1.0):
                    continue
                records.append(
                    {
                        "lever": lever,
                        "rule": p.row_rule[i],
                        "entity": _entity(key),
                        "amount": amount,
                        "unit": "£/year",
                        "limit": limit,
                        "share_of_limit": amount / limit if limit else None,
                    }
                )
            elif lever == "workforce_supply":
                limit = d.supply_max[str(key)]
                if amount <= TOL * max(limit, 1.0):
                    continue
                records.append(
                    {
                        "lever": lever,
                        "rule": "workforce_supply",
                        "entity": str(key),
                        "amount": amount,
                        "unit": "FTE",
                        "limit": limit,
                        "share_of_limit": amount / limit if limit else None,
                    }
                )
            elif lever == "standards":
                practice, service = cast(tuple[str, str], key)
                limit = float(p.base_row_lower[i])
                if amount <= TOL * max(limit, 1.0):
                    continue
                eligible = d.eligible[(practice, service)]
                records.append(
                    {
                        "lever": lever,
                        "rule": "min_standard",
                        "entity": _entity(key),
                        "amount": amount,
                        "unit": "patients",
                        "limit": limit,
                        "share_of_limit": amount / limit,
                        "percentage_points": 100 * amount / eligible if eligible else None,
                    }
                )
            else:
                practice, role = cast(tuple[str, str], key)
                contacts = amount / abs(x_coef[i])
                if contacts <= TOL:
                    continue
                f = at.get((practice, role), 0.0)
                days = float(roles.at[role, "working_days_per_fte"])
                records.append(
                    {
                        "lever": lever,
                        "rule": "safe_working",
                        "entity": _entity(key),
                        "amount": contacts,
                        "unit": "contacts/year",
                        "contacts_per_fte_day": contacts / (days * f) if f > TOL else None,
                    }
                )
    table = pd.DataFrame(
        records,
        columns=[
            "lever",
            "rule",
            "entity",
            "amount",
            "unit",
            "limit",
            "share_of_limit",
            "percentage_points",
            "contacts_per_fte_day",
        ],
    )
    sentences = _relaxation_sentences(table)
    result = {
        "status": outcome.status,
        "weights": w,
        "penalty": float(sum(costs[j] * x[j] for j in costs)),
        "violations": table.to_dict("records"),
        "sentences": sentences,
    }
    return _clean(result), table


def _relaxation_sentences(table: pd.DataFrame) -> list[str]:
    sentences = []
    for lever, group in table.groupby("lever", sort=False):
        total = float(group["amount"].sum())
        pairs = list(zip(group.entity, group.amount, strict=True))
        if lever == "budget":
            where = listing([f"{e} {money(a)}" for e, a in pairs])
            sentences.append(f"{money(total)} a year more money ({where}).")
        elif lever == "workforce_supply":
            where = listing([f"{e} {number(a)}" for e, a in pairs])
            sentences.append(f"{number(total)} FTE above the hiring limits ({where}).")
        elif lever == "standards":
            sentences.append(
                f"{number(total)} fewer patients than the minimum standards require, "
                f"at {plural(len(group), 'practice-service pair')}."
            )
        else:
            sentences.append(
                f"{number(total)} contacts a year above the safe-working caps, "
                f"at {plural(len(group), 'practice-role pair')}."
            )
    return sentences


# --------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------
def check(
    scenario: Scenario,
    progress: Progress | None = None,
    weights: dict[str, float] | None = None,
    programme: CompiledProgramme | None = None,
) -> JobOutcome:
    """Is the spec deliverable; if not, the conflict, each lever alone and a combined relaxation."""
    started = time.perf_counter()
    programme = programme or CompiledProgramme(scenario)
    bench = Workbench(programme, progress=progress)
    # Most solves here are re-solves of (often infeasible) variants from a hot basis, where
    # presolve only costs time (and can end "Unknown" on badly infeasible LPs).
    programme.highs.setOptionValue("presolve", "off")
    try:
        return _check(scenario, programme, bench, weights, started)
    finally:
        programme.highs.setOptionValue("presolve", "choose")


def _check(
    scenario: Scenario,
    programme: CompiledProgramme,
    bench: Workbench,
    weights: dict[str, float] | None,
    started: float,
) -> JobOutcome:
    outcome = bench.solve()
    settings = scenario.settings
    result: dict[str, Any] = {
        "kind": "check",
        "status": outcome.status,
        "message": outcome.message,
        "is_mip": programme.is_mip,
        "budget_mode": settings.budget_mode,
        "scenario_hash": scenario.scenario_hash,
        "solver": solver_name(),
        "size": {"rows": bench.num_rows, "columns": bench.num_cols},
    }
    tables: dict[str, pd.DataFrame] = {}
    if outcome.feasible:
        result.update(_deliverable(bench, outcome))
        result["levers"] = [lever.as_dict() for lever in _deliverable_levers(result)]
    elif outcome.status == "infeasible":
        conflict = find_conflict(bench)
        levers = [budget_lever(bench), supply_lever(bench), standards_lever(bench), safe_working_lever(bench)]
        relaxed, relaxed_table = relaxation(bench, weights)
        result["deliverable"] = False
        if conflict is not None:
            tables["conflict"] = conflict_table(bench, conflict)
            result["conflict"] = _clean(
                {
                    "method": conflict.method,
                    "irreducible": conflict.irreducible,
                    "verified": conflict.verified,
                    "size": conflict_size(bench, conflict),
                    "groups": len(conflict.members),
                    "rules": conflict.rule_groups(bench),
                    "sentences": [conflict_headline(bench, conflict), *conflict_sentences(bench, conflict)],
                }
            )
        else:
            result["conflict"] = {
                "method": "none",
                "irreducible": False,
                "rules": [],
                "sentences": ["No conflict could be isolated within the time limit."],
            }
        result["levers"] = [lever.as_dict() for lever in levers]
        result["relaxation"] = relaxed
        tables["levers"] = pd.DataFrame(
            [{k: v for k, v in lever.as_dict().items() if k != "details"} for lever in levers]
        )
        for lever in levers:
            tables.update(lever.tables)
        tables["relaxation"] = relaxed_table
        result["summary"] = _undeliverable_summary(bench, result, levers)
    else:
        result["deliverable"] = None
        result["conflict"] = None
        result["levers"] = []
        result["summary"] = (
            f"No answer: the solver stopped without deciding whether the spec is deliverable ({outcome.message}). "
            f"Try a longer time limit."
        )
    result["solves"] = bench.solves
    result["seconds"] = time.perf_counter() - started
    return JobOutcome(result=_clean(result), tables=tables)


def _deliverable(bench: Workbench, outcome: SolveOutcome) -> dict[str, Any]:
    settings = bench.scenario.settings
    if settings.objective == "max_value" and outcome.status == "optimal":
        outcome = least_spend_at_best_value(bench.programme, outcome, None)
    assert outcome.col_value is not None
    spend = _spend(bench, outcome.col_value)
    if settings.objective == "min_cost":
        least = spend
    else:
        with bench.experiment():
            bench.set_objective(bench.objective_vector(base=bench.spend))
            least_outcome = bench.solve()
        least = _spend(bench, least_outcome.col_value) if least_outcome.col_value is not None else spend
    budget = (
        float(settings.budget_gbp or 0.0)
        if settings.budget_mode == "pooled"
        else float(sum(bench.data.practice_budget.values()))
    )
    headroom = budget - least
    label = "least spend" if settings.objective == "min_cost" else "best value"
    summary = (
        f"The spec is deliverable. It costs at least {money(least)} a year against "
        f"{'a budget' if settings.budget_mode == 'pooled' else 'practice budgets totalling'} of {money(budget)}, "
        f"leaving {money(headroom)} spare ({percent(headroom / budget) if budget > 0 else 'n/a'} of the budget)."
    )
    if settings.objective == "max_value":
        summary += (
            f" The best value reachable is {number(float(outcome.objective_value or 0.0))} (spending {money(spend)})."
        )
    if outcome.status == "time_limit":
        summary += " (The solver stopped at its time limit with a feasible allocation, so this is not proven least.)"
    return {
        "deliverable": True,
        "objective": settings.objective,
        "objective_label": label,
        "objective_value": outcome.objective_value,
        "mip_gap": outcome.mip_gap,
        "headline": {
            "objective_value": outcome.objective_value,
            "spend_gbp": spend,
            "least_spend_gbp": least,
            "budget_gbp": budget,
            "headroom_gbp": headroom,
            "headroom_share": headroom / budget if budget > 0 else None,
        },
        "conflict": None,
        "relaxation": None,
        "summary": summary,
    }


def _deliverable_levers(result: dict[str, Any]) -> list[Lever]:
    headroom = result["headline"]["headroom_gbp"]
    return [
        Lever(
            "budget",
            True,
            0.0,
            LEVER_UNITS["budget"],
            f"No more money is needed: {money(headroom)} of the budget is spare.",
            {"headroom_gbp": headroom},
        ),
        Lever("workforce_supply", True, 0.0, LEVER_UNITS["workforce_supply"], "No more staff supply is needed."),
        Lever("standards", True, 1.0, LEVER_UNITS["standards"], "Every minimum standard can be met in full (100%)."),
        Lever("safe_working", True, 0.0, LEVER_UNITS["safe_working"], "No safe-working cap needs to be raised."),
    ]


def _undeliverable_summary(bench: Workbench, result: dict[str, Any], levers: list[Lever]) -> str:
    settings = bench.scenario.settings
    if settings.budget_mode == "pooled":
        money_text = f"a budget of {money(float(settings.budget_gbp or 0.0))} a year"
    else:
        money_text = (
            f"an offer of {money(float(settings.offer_rate_gbp_per_weighted_patient or 0.0))} per weighted patient"
        )
    phrases = [s for s in result["conflict"]["sentences"][1:] if not s.startswith("That ")]
    shown = [s[0].lower() + s[1:-1] for s in phrases[:6]]
    conflict_text = "; ".join(shown) + (f"; and {len(phrases) - 6} more" if len(phrases) > 6 else "")
    fixes = []
    cannot = []
    by_name = {lever.lever: lever for lever in levers}
    budget = by_name["budget"]
    if budget.fixable and budget.amount is not None:
        if settings.budget_mode == "pooled":
            share = budget.details.get("shortfall_share")
            fixes.append(f"{money(budget.amount)} more a year" + (f" (+{percent(share, 0)})" if share else ""))
        else:
            fixes.append(f"{money(budget.amount)} more per weighted patient on the offer")
    supply = by_name["workforce_supply"]
    if supply.fixable and supply.amount is not None:
        fixes.append(f"{number(supply.amount)} more FTE than the hiring limits allow")
    standards = by_name["standards"]
    if standards.fixable and standards.amount is not None:
        fixes.append(f"every minimum standard cut to {percent(standards.amount)} of its level")
    safe = by_name["safe_working"]
    if safe.fixable and safe.amount is not None:
        bound = "" if safe.details.get("exact", True) else "at most "
        fixes.append(f"{bound}{number(safe.amount)} more contacts per FTE-day than the safe-working cap")
    names = {
        "budget": "money",
        "workforce_supply": "staff supply",
        "standards": "lower standards",
        "safe_working": "higher caps",
    }
    for lever in levers:
        if lever.fixable is False:
            cannot.append(names[lever.lever])
    text = (
        f"The spec is not deliverable with {money_text} and the workforce that exists or can be hired. "
        f"The requirements that conflict are: {conflict_text or 'see the conflict list'}. "
    )
    if fixes:
        text += "Any one of these would make it deliverable on its own: " + "; or ".join(fixes) + ". "
    if cannot:
        text += f"On its own, {' or '.join(cannot)} cannot make it deliverable."
    return text.strip()


# --------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------
def sensitivity(programme: CompiledProgramme, outcome: SolveOutcome) -> dict[str, Any]:
    """Shadow prices in readable units and binding rule families (formulation.md section 7).

    HiGHS' row dual is d(objective)/d(the row's bound) for both senses (checked against finite
    differences in tests), so for min_cost a positive price is extra £ per unit and for
    max_value it is extra value per unit. For a MIP the duals are those of the LP with every
    integer column fixed at its solution value (``approximate: true``).
    """
    if not outcome.has_solution or outcome.col_value is None:
        return {
            "available": False,
            "approximate": False,
            "shadow_prices": [],
            "binding_rules": [],
            "sentences": ["No sensitivity: there is no solution to take shadow prices from."],
        }
    approximate = programme.is_mip
    bench = Workbench(programme)
    row_dual: np.ndarray | None = outcome.row_dual
    at = outcome
    if approximate or row_dual is None:
        with bench.experiment():
            ints = np.flatnonzero(programme.integrality)
            fixed = np.round(outcome.col_value[ints])
            bench.set_col_bounds(ints, fixed, fixed)
            bench.relax_integrality()
            lp = bench.solve()
            duals = bench.duals() if lp.status == "optimal" else None
            row_dual = duals[0][: bench.num_rows] if duals is not None else None
            if lp.row_value is not None and lp.status == "optimal":
                at = lp
        approximate = True
    if row_dual is None:
        return {
            "available": False,
            "approximate": approximate,
            "shadow_prices": [],
            "binding_rules": [],
            "sentences": ["No sensitivity: the solver gave no duals."],
        }
    objective = programme.scenario.settings.objective
    prices = _shadow_prices(bench, row_dual, objective)
    binding = (
        binding_rules(programme, at)
        if at.row_value is not None
        else pd.DataFrame(columns=["rule", "rows", "binding_rows"])
    )
    binding_list = [
        {"rule": r.rule, "binding_rows": int(r.binding_rows), "rows": int(r.rows)}
        for r in binding.itertuples()
        if r.binding_rows > 0
    ]
    sentences = [p["sentence"] for p in prices]
    if binding_list:
        sentences.append(
            "Binding rule families (rows at their limit): "
            + ", ".join(f"{b['rule']} ({b['binding_rows']}/{b['rows']})" for b in binding_list)
            + "."
        )
    return _clean(
        {
            "available": True,
            "approximate": approximate,
            "objective": objective,
            "shadow_prices": prices,
            "binding_rules": binding_list,
            "sentences": sentences,
        }
    )


def _effect(objective: str, amount: float, per: str = "") -> str:
    tail = f" {per}" if per else ""
    if objective == "min_cost":
        if abs(amount) < 1e-9:
            return f"does not change the least spend{tail}"
        return f"{'adds' if amount > 0 else 'saves'} {money(abs(amount))} a year{tail}"
    if abs(amount) < 1e-12:
        return f"does not change the best value{tail}"
    return f"{'adds' if amount > 0 else 'loses'} {number(abs(amount), 4)} value{tail}"


def _shadow_prices(bench: Workbench, dual: np.ndarray, objective: str) -> list[dict[str, Any]]:
    p = bench.programme
    d = bench.data
    unit_obj = "£/year" if objective == "min_cost" else "value"
    prices: list[dict[str, Any]] = []
    for i in p.rows("budget"):
        y = float(dual[i])
        per_1k = y * 1000
        if objective == "max_value":
            sentence = (
                f"Each extra £1,000 of budget {_effect(objective, per_1k, '')}".rstrip()
                + f" ({number(y, 4)} value per £)."
            )
        else:
            sentence = f"Each extra £1 of budget {_effect(objective, y, '')}".rstrip() + "."
        prices.append(
            {
                "rule": "budget",
                "entity": "area",
                "shadow_price": y,
                "unit": f"{unit_obj} per £ of budget",
                "sentence": sentence,
            }
        )
    rows = p.rows("practice_budget")
    if len(rows):
        y = float(sum(dual[i] * d.weighted_list[str(p.row_key[i])] for i in rows))
        binding = int(sum(abs(dual[i]) > 1e-12 for i in rows))
        sentence = (
            f"Each extra £1 per weighted patient on the offer rate {_effect(objective, y, '')}".rstrip()
            + f" ({plural(binding, 'practice')} budget-bound)."
        )
        prices.append(
            {
                "rule": "practice_budget",
                "entity": "offer rate",
                "shadow_price": y,
                "unit": f"{unit_obj} per £ per weighted patient",
                "sentence": sentence,
            }
        )
    for i in p.rows("workforce_supply"):
        y = float(dual[i])
        role = str(p.row_key[i])
        prices.append(
            {
                "rule": "workforce_supply",
                "entity": role,
                "shadow_price": y,
                "unit": f"{unit_obj} per extra FTE that can be hired",
                "sentence": f"One more {role} FTE available to hire {_effect(objective, y, '')}".rstrip() + ".",
            }
        )
    rows = p.rows("gp_floor")
    if len(rows):
        y = float(sum(dual[i] * d.weighted_list[str(p.row_key[i])] / 10_000 for i in rows))
        binding = int(sum(abs(dual[i]) > 1e-12 for i in rows))
        prices.append(
            {
                "rule": "gp_floor",
                "entity": "all practices",
                "shadow_price": y,
                "unit": f"{unit_obj} per extra GP FTE per 10,000 weighted patients",
                "sentence": f"Raising the GP floor by 0.1 FTE per 10,000 weighted patients "
                f"{_effect(objective, y * 0.1, '')}".rstrip()
                + f" (binding at {plural(binding, 'practice')}).",
            }
        )
    for i in p.rows("gp_target_total"):
        y = float(dual[i])
        prices.append(
            {
                "rule": "gp_target_total",
                "entity": "area",
                "shadow_price": y,
                "unit": f"{unit_obj} per extra GP FTE on the area target",
                "sentence": f"Each extra GP FTE on the area-wide target {_effect(objective, y, '')}".rstrip() + ".",
            }
        )
    by_service: dict[str, float] = defaultdict(float)
    for i in p.rows("min_standard"):
        practice, service = p.row_key[i]
        by_service[str(service)] += float(dual[i]) * d.eligible[(practice, service)] / 100
    for service, y in by_service.items():
        prices.append(
            {
                "rule": "min_standard",
                "entity": service,
                "shadow_price": y,
                "unit": f"{unit_obj} per extra percentage point of the standard",
                "sentence": f"Raising the {service} standard by one percentage point "
                f"(from {percent(d.min_coverage[service])}) {_effect(objective, y, '')}".rstrip()
                + ".",
            }
        )
    return prices


# --------------------------------------------------------------------------------------
# Text report (commission check)
# --------------------------------------------------------------------------------------
LEVER_TITLES = {
    "budget": "More money",
    "workforce_supply": "More staff",
    "standards": "Lower standards",
    "safe_working": "Higher safe-working caps",
}


def report_lines(result: dict[str, Any]) -> list[str]:
    """A short plain-text report of a check result for a non-technical reader."""
    verdict = {True: "DELIVERABLE", False: "NOT DELIVERABLE", None: "NO ANSWER IN TIME"}[result.get("deliverable")]
    solver = result.get("solver") or {}
    lines = [
        f"Verdict: {verdict}",
        f"(scenario {str(result.get('scenario_hash', ''))[:12]}, {solver.get('name', '')} {solver.get('version', '')},"
        f" {result.get('solves', 0)} solves in {result.get('seconds', 0.0):.1f}s)",
        "",
        result.get("summary", ""),
    ]
    conflict = result.get("conflict")
    if conflict and conflict.get("rules"):
        lines += ["", "Why: these requirements cannot all be met together"]
        lines += [f"  - {sentence}" for sentence in conflict["sentences"][1:]]
        how = {
            "iis": "irreducible set from HiGHS",
            "iis_lp_relaxation": "irreducible set of the programme without whole-step hiring",
            "deletion_filter": "irreducible set of rule groups, found by relaxing one family (then one service or "
            "role) at a time",
        }.get(conflict.get("method", ""), conflict.get("method", ""))
        lines.append(f"  (dropping any one of these would make the rest possible: {how})")
    if result.get("deliverable") is False:
        lines += ["", "What would make it deliverable, one change at a time (everything else unchanged):"]
        for lever in result.get("levers", []):
            lines.append(f"  - {LEVER_TITLES.get(lever['lever'], lever['lever'])}: {lever['sentence']}")
        relaxed = result.get("relaxation") or {}
        if relaxed.get("sentences"):
            weights = ", ".join(f"{k} {v:g}" for k, v in relaxed.get("weights", {}).items())
            lines += ["", f"Smallest combined change (weights: {weights}):"]
            lines += [f"  - {sentence}" for sentence in relaxed["sentences"]]
    return lines
