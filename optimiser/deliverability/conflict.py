"""Why not: the conflict of an undeliverable programme (formulation.md section 6).

LP: HiGHS' irreducible infeasible set (IIS). MIP whose LP relaxation is infeasible: the IIS
of the LP relaxation. Otherwise (a MIP infeasible only because of whole steps, or an LP too
big or slow for HiGHS' IIS): a deletion filter over rule families, refined to groups by
service or role. Every experiment is made inside ``programme.changes()``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.standard_form import INF
from optimiser.deliverability import wording
from optimiser.objectives import spend_coefficients, spends_beyond
from optimiser.programme import Programme, SolveOutcome

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
    "coverage_level",
    "practice_floor",
    "practice_budget",
    "budget",
    "min_standard",
    "hiring_step",
)
# Verify an IIS by re-solving only when it has at most this many members.
VERIFY_LIMIT = 40
# HiGHS' IIS reduction re-solves once per candidate row: only tried up to this many rows, and
# for at most this long; beyond, the deletion filter over rule families is used.
IIS_MAX_ROWS = 5000
IIS_TIME_LIMIT_S = 30.0
# A filter test is first solved cold with presolve (``Programme.solve_cold``) once at least this
# share of the rows are free (relaxed, or free as written), stopped after COLD_ITERATION_LIMIT simplex
# iterations; if that does not end optimal the test is solved warm as before. Presolve drops free
# rows: on the bundled offer, with 40% free, a cold keep-test took 0-3,300 iterations against
# 7,000-8,000 from the current system's basis (2-3x less time); with fewer free rows it took as
# many iterations as warm, at a higher cost each. An infeasible test is always settled warm (a
# presolved solve gives no infeasibility proof), so a cold attempt at it is time lost.
COLD_FREE_SHARE = 0.4
COLD_ITERATION_LIMIT = 4000
# The deletion filter refines a kept family into its service/role groups when it has at most this many.
MAX_GROUPS = 40
# A feasible point certifies a member when it is within this share of each bound (HiGHS' own primal
# feasibility tolerance is 1e-7, on its scaled model).
CERTIFICATE_TOLERANCE = 1e-6
# HiGHS' simplex_strategy for the primal simplex: a least-spend test starts from an optimum that stays
# feasible when rows are relaxed (measured: the filter took 2.8-3.0 CPU s on the offer, at £11.56m and on
# example_icb at £11m, against 3.3-5.1 with dual simplex).
PRIMAL_SIMPLEX = 4


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

    def instances(self, programme: Programme) -> dict[str, list[object]]:
        """Rule name -> keys of the rule instances (rows) or column bounds in the conflict."""
        out: dict[str, list[object]] = defaultdict(list)
        for m in self.members:
            if m.kind == "group" and m.rows is not None:
                out[m.rule].extend(programme.row_key.at(m.rows))
            else:
                out[m.rule].append(m.key)
        order = {rule: n for n, rule in enumerate(FILTER_ORDER[::-1])}
        return dict(sorted(out.items(), key=lambda item: (item[0].startswith("bound:"), order.get(item[0], 99))))

    def size(self, programme: Programme) -> int:
        """Rule instances (and column bounds) in the conflict."""
        return sum(len(keys) for keys in self.instances(programme).values())

    def rule_count(self, programme: Programme) -> int:
        """Rule instances (rows) in the conflict, column bounds not counted."""
        return sum(len(keys) for rule, keys in self.instances(programme).items() if not rule.startswith("bound:"))

    def rule_groups(self, programme: Programme) -> list[dict[str, Any]]:
        return [
            {"rule": rule, "count": len(keys), "entities": [wording.entity(k) for k in keys]}
            for rule, keys in self.instances(programme).items()
        ]

    def sentences(self, programme: Programme) -> list[str]:
        """The headline, then one sentence per rule group."""
        scenario = programme.scenario
        names = wording.Names.of(scenario)
        sentences = wording.conflict_sentences(
            self.instances(programme), programme.data, scenario.settings, scenario.roles, names
        )
        groups = sum(1 for m in self.members if m.kind != "bound")
        headline = wording.conflict_headline(
            self.method, sentences, self.rule_count(programme), groups, names, self.irreducible
        )
        return [headline, *sentences]

    def table(self, programme: Programme) -> pd.DataFrame:
        p = programme
        records = []
        for m in self.members:
            if m.kind == "group" and m.rows is not None:
                for i, key in zip(m.rows.tolist(), p.row_key.at(m.rows), strict=True):
                    records.append(
                        {
                            "rule": m.rule,
                            "kind": "row",
                            "entity": wording.entity(key),
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
                    "entity": wording.entity(m.key),
                    "side": m.side,
                    "lower": _finite(lower),
                    "upper": _finite(upper),
                }
            )
        return pd.DataFrame(records, columns=["rule", "kind", "entity", "side", "lower", "upper"])


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) and abs(value) < INF else None


# The pooled least-cost plan (least spend with the budget row free) and the basis it ended on, or None.
LeastCost = Callable[[], "tuple[SolveOutcome, Any] | None"]


def find_conflict(programme: Programme, verify: bool = True, least_cost: LeastCost | None = None) -> Conflict | None:
    """The conflict of the currently loaded (infeasible) programme; ``None`` if it is feasible.

    LP: HiGHS' IIS (``iis_strategy`` = elastic LP + reduce to irreducible) when the programme
    has at most IIS_MAX_ROWS rows and HiGHS finishes in time; otherwise (and for a MIP whose
    LP relaxation is feasible) a deletion filter over rule families, refined to groups by
    service/role. MIP with an infeasible LP relaxation: the IIS of the LP relaxation. A pooled LP
    too large for the IIS, or one HiGHS cannot tell infeasible, whose least spend is above its
    budget: the least-spend filter (``least_cost`` gives the plan it starts from, if already solved).
    """
    if programme.is_mip:
        with programme.changes():
            programme.relax_integrality()
            relaxed = programme.feasibility()
            if relaxed.status == "infeasible":
                conflict = _iis(programme, "iis_lp_relaxation")
                if conflict is not None and verify and len(conflict.members) <= VERIFY_LIMIT:
                    conflict.verified = verify_conflict(programme, conflict)
                if conflict is not None:
                    return conflict
        outcome = programme.feasibility()
        if outcome.status != "infeasible":
            return None
        conflict = deletion_filter(programme)
    else:
        # Too large for HiGHS' IIS with a pooled budget below the least spend: the least-spend filter.
        conflict = least_spend_filter(programme, least_cost) if programme.num_rows > IIS_MAX_ROWS else None
        # A proof from the last solve (the check's own, whatever its objective) settles that the
        # programme as loaded is infeasible without a second solve (on data/example_icb at £11m that
        # solve took three fallbacks, 1.3 CPU s).
        if conflict is None and programme.infeasibility_proof() is None:
            outcome = programme.feasibility()
            if outcome.status != "infeasible":
                # HiGHS cannot tell a budget a few pounds below the least spend from enough; the
                # least spend can.
                return least_spend_filter(programme, least_cost)
        if conflict is None:
            iis = _iis(programme, "iis")
            conflict = iis if iis is not None else deletion_filter(programme)
    if verify and conflict.verified is None and len(conflict.members) <= VERIFY_LIMIT:
        conflict.verified = verify_conflict(programme, conflict)
    return conflict


def _iis(programme: Programme, method: str) -> Conflict | None:
    if programme.num_rows > IIS_MAX_ROWS:
        return None
    time_limit = float(programme.time_limit_s or programme.scenario.settings.time_limit_s)
    iis = programme.iis(time_limit, min(time_limit, IIS_TIME_LIMIT_S))
    if iis is None:
        return None
    p = programme
    members = [Member("row", i, str(p.row_rule[i]), p.row_key[i], side) for i, side in iis.rows]
    members += [Member("bound", j, f"bound:{p.col_var[j]}", p.col_key[j], side) for j, side in iis.cols]
    if not members:
        return None
    return Conflict(method, iis.irreducible, members)


def _families(programme: Programme) -> list[str]:
    present = set(programme.rules_present()) - DEFINITION_RULES
    ordered = [f for f in FILTER_ORDER if f in present]
    return ordered + sorted(present - set(ordered))


def _group_key(key: object) -> object:
    """Rows of a family are grouped by their last index (service or role) when it has two."""
    return key[1] if isinstance(key, tuple) and len(key) == 2 else key


class _State:
    """What the filter knows of its current system (everything relaxed so far), reused by every test:
    its basis, a proof that it is infeasible (row multipliers, ``Programme.proves_infeasible``), and
    the feasible point of each test that kept its candidate (that candidate's certificate)."""

    def __init__(self, programme: Programme):
        self.basis = programme.basis()
        self.proof = programme.infeasibility_proof()
        self.point: np.ndarray | None = None


def _status_relaxed(programme: Programme, rows: np.ndarray, state: _State | None = None, last: bool = False) -> str:
    """Whether the current system stays infeasible with ``rows`` relaxed too (objective already zero).

    When the current system's infeasibility proof does not need ``rows`` (it still holds with their
    multipliers zero), relaxing them leaves it infeasible: no solve is made. On the bundled offer
    this answers 24 of the filter's 48 tests, with the same conflict.

    Otherwise each test starts from the basis of the current system rather than from the previous
    test's (which had other rows relaxed): on the bundled offer this takes the filter from 10.4 to
    6.3 CPU seconds with the same answer. An infeasible test's basis and proof become the current
    system's. (Setting the basis only after a feasible test, when HiGHS no longer holds it, was
    measured 5% slower.)

    A keep-test may be answered by a cold solve first (COLD_FREE_SHARE). Every warm test starts
    from the current system's basis *alone* (``Programme.start_from``), so what it answers, and the
    basis and proof an infeasible test leaves, never depend on which tests were solved cold. The
    ``last`` test is always solved warm: the levers solved after the conflict search start from the
    basis HiGHS then holds, which is so the same whatever the cold rule answered.
    """
    if state is not None and state.proof is not None:
        without = state.proof.copy()
        without[rows] = 0.0
        if programme.proves_infeasible(without):
            state.proof = without
            return "infeasible"
    with programme.changes():
        programme.relax_rows(rows)
        if state is not None and not last and _cold_first(programme):
            cold = programme.solve_cold(COLD_ITERATION_LIMIT)
            if cold is not None:
                state.point = cold.col_value
                return cold.status
        if state is not None:
            programme.start_from(state.basis)
        outcome = programme.solve()
        if state is not None:
            state.point = outcome.col_value if outcome.status == "optimal" else None
            if outcome.status == "infeasible":
                state.basis = programme.basis()
                state.proof = programme.infeasibility_proof()
        return outcome.status


def _cold_first(programme: Programme) -> bool:
    """Whether enough rows are free that presolve, which drops them, makes a cold solve worth trying."""
    free = (programme.row_lower <= -INF) & (programme.row_upper >= INF)
    return bool(free.sum() >= COLD_FREE_SHARE * programme.num_rows)


def _groups(programme: Programme, family: str, service_or_role: set[str]) -> dict[object, np.ndarray] | None:
    """A family's rows by service or role (the documented granularity), or ``None`` when it stays whole.

    A family keyed by practice or PCN alone (arrs_entitlement, gp_floor, practice_budget) stays
    whole; its rows are still listed one by one. (On the bundled offer, refining arrs_entitlement
    by PCN took 28 of the filter's 77 solves, half its time, and kept every PCN.)
    """
    rows = programme.rows(family)
    groups: dict[object, list[int]] = defaultdict(list)
    for i, key in zip(rows.tolist(), programme.row_key.at(rows), strict=True):
        groups[_group_key(key)].append(i)
    if not all(key in service_or_role for key in groups) or not 1 < len(groups) <= MAX_GROUPS:
        return None
    return {key: np.array(group, dtype=np.int64) for key, group in groups.items()}


def _candidates(programme: Programme, refine: bool = True) -> list[tuple[str, object, np.ndarray]]:
    """The deletion filter's candidates in order: (family, group key or None, rows), each family whole
    or (``refine``) its service/role groups."""
    service_or_role = set(programme.data.services) | set(programme.data.roles)
    candidates: list[tuple[str, object, np.ndarray]] = []
    for family in _families(programme):
        groups = _groups(programme, family, service_or_role) if refine else None
        whole = [(family, None, programme.rows(family))]
        candidates += whole if groups is None else [(family, *group) for group in groups.items()]
    return candidates


def deletion_filter(programme: Programme, refine: bool = True) -> Conflict:
    """Irreducible set of rule groups: each family whole, or (``refine``) its service/role groups.

    Each candidate, in FILTER_ORDER, is relaxed (rows to ±inf) in turn; if the programme stays
    infeasible it is left relaxed (not needed), else it is kept. Feasibility only grows as more is
    relaxed, so every kept candidate is necessary at the end and the kept set is infeasible:
    irreducible at that granularity. A solve that ends without an answer keeps its candidate and
    marks the result as not proven irreducible.

    A family refined by service or role is tested group by group in its turn, in one pass (not
    tested whole first, then group by group after every other family): on the bundled offer, at
    --offer-rate 10 and on data/example_icb at £11m the same conflict, with 4-9 fewer solves.
    """
    p = programme
    proven = True
    members: list[Member] = []
    state = _State(p) if not p.is_mip else None
    # The feasible point of the test that kept each member (in step with ``members``).
    points: list[np.ndarray | None] = []
    candidates = _candidates(p, refine)
    with p.changes():
        # Feasibility tests: a zero objective (set once for the whole filter).
        p.set_objective(np.zeros(p.num_current_cols))
        for n, (family, key, rows) in enumerate(candidates):
            status = _status_relaxed(p, rows, state, last=n == len(candidates) - 1)
            if status == "infeasible":
                p.relax_rows(rows)
            else:
                members.append(Member("group", -1, family, key, "both", rows))
                points.append(state.point if state is not None else None)
                proven &= status == "optimal"
        conflict = Conflict("deletion_filter", proven, members)
        if proven and state is not None and _certified(p, members, state.proof, points):
            conflict.verified = True
    return conflict


def least_spend_filter(programme: Programme, least_cost: LeastCost | None = None) -> Conflict | None:
    """The deletion filter of a pooled LP whose least spend is above its budget, each test a least spend.

    Near the least cost HiGHS cannot decide feasibility tests: a budget £14.50 below an £11.56m least
    spend is a gap of 1e-6 of the spend, about its own tolerance, so on the offer at £11.56m the
    deletion filter's tests ended "Unknown" through every fallback (two undecided, 24 CPU s). Here the
    budget row is free and the objective is the spend: a test relaxes a candidate and asks whether the
    least spend of what remains is still above the budget (``spends_beyond``, the rule by which the
    check itself finds the budget short), or the rest infeasible. Relaxing rows keeps the last optimum
    feasible, so each test is a primal simplex from the current system's optimal basis. The budget is
    always kept: without it what remains has a least spend, so is feasible.

    A test the current system's duals settle (a bound on the least spend still above the budget with
    the candidate's duals zeroed, ``Programme.lower_bound``) is answered without a solve, as
    ``_status_relaxed`` answers one with a proof of infeasibility. ``None`` unless the programme is a
    pooled LP whose least spend (budget free) is above its budget. ``least_cost``, if given, is that
    least spend already solved (the plan the check solves on its copy of the programme; the same
    problem) and the basis it ended on: it is not solved again.
    """
    p = programme
    budget_rows = p.rows("budget")
    if p.is_mip or len(budget_rows) != 1 or not np.isfinite(p.row_upper[budget_rows[0]]):
        return None
    budget = float(p.row_upper[budget_rows[0]])
    spend = spend_coefficients(p)
    with p.changes():
        p.relax_rows(budget_rows)
        p.set_objective(spend)
        given = least_cost() if least_cost is not None else None
        start, basis = given if given is not None else (p.solve(), None)
        if start.status != "optimal" or start.row_dual is None or not _beyond(start, budget):
            return None
        current = _Spend(p.basis() if basis is None else basis, start)
        proven = True
        members: list[Member] = []
        points: list[np.ndarray | None] = []
        for family, key, rows in _candidates(p):
            if family == "budget":
                members.append(Member("group", -1, family, key, "both", rows))
                points.append(current.outcome.col_value)
                continue
            status, outcome = _least_spend_relaxed(p, rows, current, spend, int(budget_rows[0]), budget)
            if status == "beyond":
                p.relax_rows(rows)
                if outcome is not None:
                    current = _Spend(p.basis(), outcome)
                else:
                    current.duals[rows] = 0.0
            else:
                members.append(Member("group", -1, family, key, "both", rows))
                points.append(outcome.col_value if outcome is not None else None)
                proven &= status == "within"
        conflict = Conflict("deletion_filter", proven, members)
        # Certified: every kept member's point allows the rest (the budget row put back), and the final
        # system's duals bound its least spend above the budget.
        if proven and _certified_points(p, members, points, {int(budget_rows[0]): budget}):
            conflict.verified = _bounded_beyond(p, current.duals, spend, budget)
    return conflict


class _Spend:
    """The least spend of the least-spend filter's current system: the optimal basis every test starts
    from, the optimum (its point certifies the budget), and the row duals (they bound the spend)."""

    def __init__(self, basis: Any, outcome: SolveOutcome):
        self.basis = basis
        self.outcome = outcome
        assert outcome.row_dual is not None
        self.duals = np.array(outcome.row_dual, dtype=float)


def _beyond(outcome: SolveOutcome, budget: float) -> bool:
    return outcome.objective_value is not None and spends_beyond(outcome.objective_value, budget)


def _bounded_beyond(programme: Programme, duals: np.ndarray, spend: np.ndarray, budget: float) -> bool:
    """Whether ``duals`` prove the least spend of the model as loaded above the budget (as a least
    spend solved above it would be: ``spends_beyond``)."""
    bound = programme.lower_bound(duals, spend)
    return bound is not None and spends_beyond(bound, budget)


def _least_spend_relaxed(
    programme: Programme, rows: np.ndarray, current: _Spend, spend: np.ndarray, budget_row: int, budget: float
) -> tuple[str, SolveOutcome | None]:
    """Whether the least spend stays above the budget with ``rows`` relaxed too: "beyond", "within"
    (the outcome's point keeps the budget), or "undecided"; and the least-spend solve's outcome (None
    when the duals settled it, or when the test fell back to a feasibility test with the budget held).

    Relaxing rows only widens the current system, which is feasible, so a least-spend solve that does
    not end optimal is unbounded (relaxing the limits on claims lets the spend fall without end) or
    stopped: the test is then solved as the deletion filter solves it, the budget row held and the
    objective zero.
    """
    p = programme
    duals = current.duals.copy()
    duals[rows] = 0.0
    if _bounded_beyond(p, duals, spend, budget):
        current.duals = duals
        return "beyond", None
    with p.changes():
        p.relax_rows(rows)
        p.start_from(current.basis)
        with p.options(simplex_strategy=PRIMAL_SIMPLEX):
            outcome = p.solve()
        if outcome.status == "optimal" and outcome.row_dual is not None:
            return ("beyond" if _beyond(outcome, budget) else "within"), outcome
        p.set_row_bounds(np.array([budget_row]), -INF, budget)
        held = p.feasibility()
        if held.status == "optimal":
            return "within", held
        return ("beyond" if held.status == "infeasible" else "undecided"), None


def _certified(
    programme: Programme, members: list[Member], proof: np.ndarray | None, points: list[np.ndarray | None]
) -> bool:
    """Whether the filter's own certificates prove its conflict irreducible (no solve is needed).

    Called with the filter's final system loaded (every row but the members' and the definitions'
    relaxed). ``proof`` must prove that system infeasible (Farkas: ``Programme.proves_infeasible``),
    and each member's point must certify it (``_certified_points``). This is what
    ``verify_conflict`` proves by re-solving, one solve per member.
    """
    if proof is None or not programme.proves_infeasible(proof):
        return False
    return _certified_points(programme, members, points)


def _certified_points(
    programme: Programme,
    members: list[Member],
    points: list[np.ndarray | None],
    upper: dict[int, float] | None = None,
) -> bool:
    """Whether each member's point is a feasible point of the final system without that member.

    Called with the filter's final system loaded, but for rows given in ``upper`` (the least-spend
    filter's budget row, free while it solves), whose upper bounds are put back here. Each member
    was kept by a test that found a feasible point with it and everything relaxed then relaxed;
    the filter only relaxes more afterwards, so that point must satisfy every row of the final
    system outside the member, and the column bounds: dropping that member leaves a feasible system.
    """
    matrix = programme.own_matrix()
    final_upper = programme.row_upper.copy()
    for row, bound in (upper or {}).items():
        final_upper[row] = bound
    for member, point in zip(members, points, strict=True):
        if point is None or member.rows is None:
            return False
        x = point[: programme.num_cols]
        activity = matrix @ x
        lower, upper_bounds = programme.row_lower.copy(), final_upper.copy()
        lower[member.rows], upper_bounds[member.rows] = -INF, INF
        if not (_within(activity, lower, upper_bounds) and _within(x, programme.col_lower, programme.col_upper)):
            return False
    return True


def _within(values: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> bool:
    """Every value within its bounds, up to a solver's tolerance (relative to the bound's size)."""
    with np.errstate(invalid="ignore"):
        below = values < lower - CERTIFICATE_TOLERANCE * np.maximum(1.0, np.abs(lower))
        above = values > upper + CERTIFICATE_TOLERANCE * np.maximum(1.0, np.abs(upper))
    return not (below.any() or above.any())


def verify_conflict(programme: Programme, conflict: Conflict) -> bool:
    """Prove irreducibility by re-solving: the members alone are infeasible, and dropping any
    one of them makes the rest feasible. Integrality is relaxed for IIS methods (an IIS is of
    the LP or LP relaxation) and kept for the deletion filter."""
    p = programme
    with p.changes():
        if conflict.method == "deletion_filter":
            keep = np.zeros(p.num_rows, dtype=bool)
            for m in conflict.members:
                keep[m.rows] = True
            for rule in DEFINITION_RULES:
                keep[p.rows(rule)] = True
            p.relax_rows(np.flatnonzero(~keep))
        else:
            p.relax_integrality()
            _restrict_to(p, conflict.members)
        if p.feasibility().status != "infeasible":
            return False
        for member in conflict.members:
            with p.changes():
                _drop(p, member)
                if p.feasibility().status != "optimal":
                    return False
    return True


def _restrict_to(programme: Programme, members: Sequence[Member]) -> None:
    """Keep only the members' rows/bound sides; every other row and column bound is free."""
    p = programme
    rows = {m.index: m.side for m in members if m.kind == "row"}
    cols = {m.index: m.side for m in members if m.kind == "bound"}
    other_rows = np.array([i for i in range(p.num_rows) if i not in rows], dtype=np.int64)
    p.relax_rows(other_rows)
    for i, side in rows.items():
        lower = p.row_lower[i] if side in ("lower", "both") else -INF
        upper = p.row_upper[i] if side in ("upper", "both") else INF
        p.set_row_bounds(np.array([i]), lower, upper)
    all_cols = np.arange(p.num_cols)
    lower = np.where([cols.get(int(j)) in ("lower", "both") for j in all_cols], p.col_lower, -INF)
    upper = np.where([cols.get(int(j)) in ("upper", "both") for j in all_cols], p.col_upper, INF)
    p.set_col_bounds(all_cols, lower, upper)


def _drop(programme: Programme, member: Member) -> None:
    if member.kind == "group" and member.rows is not None:
        programme.relax_rows(member.rows)
    elif member.kind == "row":
        programme.relax_rows(np.array([member.index]))
    else:
        programme.set_col_bounds(np.array([member.index]), -INF, INF)


def conflict_families(programme: Programme) -> list[str]:
    """Rule families still in conflict (family-level deletion filter; for "what else binds")."""
    if programme.feasibility().status != "infeasible":
        return []
    return deletion_filter(programme, refine=False).families
