"""``commission check``: is the spec deliverable; if not, why not and what it would take.

One programme is built; every experiment (a lever, the conflict search, the combined
relaxation) is made inside ``programme.changes()`` and undone, so each re-solve starts hot
and nothing is rebuilt, except for the least-cost plan: it is solved cold on a fresh copy, so
that it is the allocation ``solve`` gives. Definitions chosen where the contract is open are
documented in docs/deliverability.md.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from models.scenario import Scenario
from optimiser.deliverability import wording
from optimiser.deliverability.conflict import Conflict, find_conflict
from optimiser.deliverability.exact import NeedProgramme
from optimiser.deliverability.levers import (
    CapRaises,
    Lever,
    StandardsAnswers,
    budget_lever,
    cap_raises,
    deliverable_levers,
    floor_lever,
    safe_working_lever,
    standards_lever,
    standards_met_as_written,
    supply_lever,
)
from optimiser.deliverability.relaxation import relaxation
from optimiser.objectives import (
    best_value_answer,
    least_cost_answer,
    least_cost_plan,
    plan_answer,
    spend_coefficients,
    spend_of,
)
from optimiser.programme import (
    Programme,
    Progress,
    SolveOutcome,
    side_by_side,
    single_threaded_blas,
    solver_name,
)
from optimiser.results import JobOutcome, clean_json_object, kpis, result_tables

# Practices listed in ``least_cost_allocation.most_short`` (the count of all short practices is given).
MOST_SHORT = 20
# A practice counts as short when its need exceeds its share by more than this (relative, at least £1 × it).
SHORT_TOLERANCE = 1e-7


def check(
    scenario: Scenario,
    progress: Progress | None = None,
    weights: dict[str, float] | None = None,
    programme: Programme | None = None,
    engine: str = "arrays",
    scaled: ScaledStandards | None = None,
) -> JobOutcome:
    """Is the spec deliverable; if not, the conflict, each lever alone and a combined relaxation.

    ``scaled``: ``scenario`` is a spec with every minimum standard scaled to a share of its level
    (the result carries that share); the standards lever is still measured against the spec as
    written (docs/deliverability.md, "The verdict").

    What each practice needs is its spend in the one least-cost plan (``least_cost_plan``: least
    spend under every rule but the money, solved cold), the allocation ``solve`` answers with
    min_cost: pooled, the plan with the budget row free (so the same at any budget); per practice,
    deliverable, the plan at each practice's own budget; per practice, not deliverable, the plan at
    the least rate at which every practice can deliver, so no practice needs more per weighted
    patient than that rate (docs/deliverability.md, "The least-cost plan").
    """
    started = time.perf_counter()
    # numpy's BLAS on one thread: its own threads would spin on the cores HiGHS solves on.
    with single_threaded_blas():
        # Every answer of the check but the objective's own sentence is of the min_cost programme: the
        # least-cost LP has many optimal vertices, and a programme built for another objective (its
        # columns in another order, max_min_coverage's extra rows) lands on another one, so a check
        # given an objective showed other per-practice needs and another conflict for the same offer.
        programme = programme or Programme(least_cost_form(scenario), engine=engine)
        programme.progress, programme.started, programme.solves = progress, started, 0
        # Most solves here are re-solves of (often infeasible) variants from a hot basis, where
        # presolve only costs time (and can end "Unknown" on badly infeasible LPs).
        with programme.options(presolve="off"):
            result = _check(scenario, programme, weights, started, scaled)
    if scaled is not None:
        result.result["standards_fraction"] = scaled.fraction
    return result


def least_cost_form(scenario: Scenario) -> Scenario:
    """``scenario`` with the min_cost objective (itself if it has it already)."""
    if scenario.settings.objective == "min_cost":
        return scenario
    return dataclasses.replace(scenario, settings=scenario.settings.model_copy(update={"objective": "min_cost"}))


@dataclass
class ScaledStandards:
    """A check of ``written`` with every minimum standard at ``fraction`` of its level."""

    written: Scenario
    fraction: float


def _check(
    scenario: Scenario,
    programme: Programme,
    weights: dict[str, float] | None,
    started: float,
    scaled: ScaledStandards | None,
) -> JobOutcome:
    checked_at = None if scaled is None else scaled.fraction
    # A pooled LP: the least-cost plan first (on the copy the work beside the conflict search uses),
    # as ``solve`` answers min_cost (``least_cost_answer``): a budget it spends beyond is short, with
    # no solve of the programme with the budget held, which HiGHS decides only through its fallbacks
    # near the least cost (1.8 s at £11.56m on the offer, 5.2 s on example_icb at £11m; the plan 0.2 s).
    plan = _Plan.solved_first(programme) if _pooled_lp(programme) else None
    least = plan.plan if plan is not None else None
    decided = plan_answer(programme, least) if least is not None else None
    outcome = decided if decided is not None and decided.status == "infeasible" else programme.solve()
    if outcome.status == "error":
        # HiGHS could not decide: a pooled budget a few pounds short of the least cost is decided by
        # the least-cost plan itself (objectives.plan_spends_beyond_the_budget).
        decided = least_cost_answer(programme, least)
        if decided.status == "infeasible":
            outcome = decided
    settings = scenario.settings
    result: dict[str, Any] = {
        "kind": "check",
        "status": outcome.status,
        "message": outcome.message,
        "is_mip": programme.is_mip,
        "budget_mode": settings.budget_mode,
        "scenario_hash": scenario.scenario_hash,
        "solver": solver_name(),
        "size": {"rows": programme.num_rows, "columns": programme.num_cols},
    }
    tables: dict[str, pd.DataFrame] = {}
    if outcome.status != "infeasible" and plan is not None:
        programme.solves += plan.copy.solves  # the plan (counted with the copy's other solves when infeasible)
    if outcome.feasible:
        deliverable, least_outcome = _deliverable(scenario, programme, outcome, checked_at, least)
        result.update(deliverable)
        result["least_cost_allocation"] = least_cost_allocation(programme, least_outcome, tables)
        standards = None
        if scaled is not None and scaled.fraction < 1:
            standards = _standards_as_written(programme, scaled)
            result["summary"] += f" {standards.sentence}"
        headline = result["headline"]
        levers = deliverable_levers(programme, headline["least_spend_gbp"], headline["budget_gbp"], standards)
        floor = floor_lever(programme, deliverable=True)  # fair shares: what the floor costs, who it protects
        if floor is not None:
            levers.append(floor)
            tables.update(floor.tables)
        result["levers"] = [lever.as_dict() for lever in levers]
    elif outcome.status == "infeasible":
        # The conflict search on this programme, and beside it, on a copy solved from cold, the
        # combined change, the safe-working lever's searches and the standards fractions (which do
        # not need the conflict; each service's until the conflict search ends).
        found = threading.Event()
        plan = plan or _Plan(programme.fresh_copy())

        def conflict_search() -> Conflict | None:
            try:
                return find_conflict(programme, least_cost=plan.with_basis)
            finally:
                found.set()

        conflict, beside = side_by_side(conflict_search, lambda: _beside_the_conflict(programme, plan, weights, found))
        # The standards lever on the copy: the conflict answers "cannot fix alone" for every service
        # it does not involve; the services it does involve not yet answered are solved here. The
        # solves counted are those of the answers used (how many were found ahead depends on timing).
        copy, answers = beside.copy, beside.standards
        try:
            standards, used = standards_lever(answers, conflict, 1.0 if checked_at is None else checked_at)
        finally:
            programme.solves += copy.solves - answers.unused_solves(used)
        levers = [
            budget_lever(programme, conflict, beside.plan),
            supply_lever(programme, conflict),
            standards,
            safe_working_lever(programme, conflict, raises=beside.raises),
        ]
        floor = floor_lever(programme, deliverable=False)
        if floor is not None:
            levers.append(floor)
        result["deliverable"] = False
        # Pooled: the budget lever's least-cost plan (budget row free) is the least-cost allocation
        # (read beside the conflict search, from the plan the copy solved).
        if levers[0].solution is not None and levers[0].solution is beside.plan:
            result["least_cost_allocation"] = beside.allocation
            tables.update(beside.allocation_tables)
        elif levers[0].solution is not None:
            result["least_cost_allocation"] = least_cost_allocation(programme, levers[0].solution, tables)
        if conflict is not None:
            tables["conflict"] = conflict.table(programme)
            result["conflict"] = clean_json_object(
                {
                    "method": conflict.method,
                    "irreducible": conflict.irreducible,
                    "verified": conflict.verified,
                    "size": conflict.size(programme),
                    "groups": len(conflict.members),
                    "rules": conflict.rule_groups(programme),
                    "sentences": conflict.sentences(programme),
                }
            )
        else:
            result["conflict"] = {
                "method": "none",
                "irreducible": False,
                "rules": [],
                "sentences": [wording.NO_CONFLICT_FOUND],
            }
        result["levers"] = [lever.as_dict() for lever in levers]
        result["relaxation"] = beside.relaxed
        tables["levers"] = pd.DataFrame(
            [{k: v for k, v in lever.as_dict().items() if k != "details"} for lever in levers]
        )
        for lever in levers:
            tables.update(lever.tables)
        tables["relaxation"] = beside.table
        result["summary"] = wording.undeliverable_summary(
            scenario.settings, result["conflict"]["sentences"], levers, checked_at, wording.Names.of(scenario)
        )
    else:
        result["deliverable"] = None
        result["conflict"] = None
        result["levers"] = []
        result["summary"] = wording.no_answer_summary(outcome.message)
    result["solves"] = programme.solves
    result["seconds"] = time.perf_counter() - started
    return JobOutcome(result=clean_json_object(result), tables=tables)


@dataclass
class _Beside:
    """What the check solves beside its conflict search, on ``copy`` (its solves not yet counted)."""

    copy: Programme
    standards: StandardsAnswers
    plan: SolveOutcome | None
    relaxed: dict[str, Any]
    table: pd.DataFrame
    raises: CapRaises | None
    allocation: dict[str, Any] | None
    allocation_tables: dict[str, pd.DataFrame]


def _pooled_lp(programme: Programme) -> bool:
    return programme.scenario.settings.budget_mode == "pooled" and not programme.is_mip


class _Plan:
    """The pooled least-cost plan, solved once on the check's copy by whichever thread asks first: the
    work beside the conflict search starts from it, and so does the least-spend conflict search (the
    same problem, on the programme itself), which then never solves it again. Solved in either thread,
    it is the same cold solve on the same fresh copy, so the same plan."""

    def __init__(self, copy: Programme):
        self.copy = copy
        self.lock = threading.Lock()
        self.solved = False
        self.plan: SolveOutcome | None = None
        self.basis: Any = None

    @classmethod
    def solved_first(cls, programme: Programme) -> _Plan:
        """The plan on a fresh copy of ``programme``, solved now: the check's first solve, so it reports
        to the check's progress as ``programme``'s solves do (the work beside the conflict search, on
        the same copy, does not: it runs beside the conflict search's own reports)."""
        plan = cls(programme.fresh_copy())
        plan.copy.progress, plan.copy.started = programme.progress, programme.started
        try:
            plan.get()
        finally:
            plan.copy.progress = None
        return plan

    def get(self) -> SolveOutcome | None:
        """The plan (None with budgets per practice)."""
        with self.lock:
            if not self.solved:
                self.solved = True
                if self.copy.scenario.settings.budget_mode == "pooled":
                    self.plan = least_cost_plan(self.copy)
                    self.basis = self.copy.basis() if self.plan.status == "optimal" else None
            return self.plan

    def with_basis(self) -> tuple[SolveOutcome, Any] | None:
        """The plan and the basis it ended on, if it was solved to optimality."""
        plan = self.get()
        return None if plan is None or self.basis is None else (plan, self.basis)


def _beside_the_conflict(
    programme: Programme, least_cost: _Plan, weights: dict[str, float] | None, found: threading.Event
) -> _Beside:
    """The pooled least-cost plan (and who needs what in it), the combined change, the safe-working
    searches and the standards fractions, on a fresh copy: the uniform one, then each service's
    until the conflict search has ``found`` its answer.

    They always run on the copy (one core or two), so their answers depend only on the scenario,
    never on how the conflict search left this programme's basis. The plan is solved first, cold
    on the copy, exactly as ``least_cost_plan`` solves it for ``solve`` (``least_cost``: unless the
    conflict search has asked for it first, the same solve); the combined change from
    its basis. The plan is also the standards' first "money needed" (the same LP), read from it
    without a solve, and their paths start from its basis, whatever the combined change solved in
    between (per practice, with no plan, that need is solved from cold: ``StandardsAnswers``).
    """
    copy = least_cost.copy
    try:
        plan = least_cost.get()
        plan_basis = least_cost.basis
        # Who needs what in that plan: tables only, no solve (read here, while the conflict search solves).
        allocation_tables: dict[str, pd.DataFrame] = {}
        allocation = least_cost_allocation(copy, plan, allocation_tables) if plan is not None else None
        with copy.options(presolve="on"):  # measured: presolve pays on this one solve (0.53 against 0.63 CPU s)
            relaxed, table = relaxation(copy, weights)
        need = NeedProgramme(copy, spend_coefficients(copy))
        standards = StandardsAnswers(copy, need, plan, plan_basis)
        with copy.options(presolve="off"):  # hot re-solves from here on
            rows = copy.rows("safe_working")
            raises = cap_raises(copy, need=need, base=standards.base) if len(rows) else None
            standards.ahead(found)
    except BaseException:
        programme.solves += copy.solves
        raise
    return _Beside(copy, standards, plan, relaxed, table, raises, allocation, allocation_tables)


def _standards_as_written(programme: Programme, scaled: ScaledStandards) -> Lever:
    """A check at scaled standards that found the spec deliverable: the highest share of the
    standards as written that is deliverable too, on a programme of the spec as written."""
    written = Programme(scaled.written, engine=programme.engine)
    try:
        return standards_met_as_written(written, scaled.fraction)
    finally:
        programme.solves += written.solves


def _deliverable(
    scenario: Scenario,
    programme: Programme,
    outcome: SolveOutcome,
    checked_at: float | None,
    plan: SolveOutcome | None,
) -> tuple[dict[str, Any], SolveOutcome]:
    """The deliverable result, and the least-cost plan it read the least spend from.

    The plan is ``solve``'s min_cost answer (``least_cost_answer``, solved cold on a fresh copy:
    ``plan``, pooled, solved already), so the check and ``solve`` give one allocation; with min_cost
    it is the objective's allocation too.
    With max_value or max_min_coverage (``scenario``'s objective; ``programme`` is min_cost's), the
    best value or fairest level and its spend are ``solve``'s, on a programme of that objective.
    """
    settings = scenario.settings
    least_outcome = least_cost_answer(programme, plan)
    if not least_outcome.feasible:
        least_outcome = outcome
    assert least_outcome.col_value is not None
    least = spend_of(programme, least_outcome.col_value)
    outcome = least_outcome
    spend: float | None = least
    if settings.objective in ("max_value", "max_min_coverage"):
        valued = Programme(scenario, engine=programme.engine)
        valued.time_limit_s, valued.deadline = programme.time_limit_s, programme.deadline
        try:
            outcome = best_value_answer(valued)
            # Of the value programme's own columns: its column order is not min_cost's.
            spend = spend_of(valued, outcome.col_value) if outcome.col_value is not None else None
        finally:
            programme.solves += valued.solves
    budget = (
        float(settings.budget_gbp or 0.0)
        if settings.budget_mode == "pooled"
        else float(sum(programme.data.practice_budget.values()))
    )
    headroom = budget - least
    found = outcome.col_value is not None
    summary = wording.deliverable_summary(
        settings,
        least,
        budget,
        headroom,
        float(outcome.objective_value or 0.0) if found else None,
        spend,
        outcome.status == "time_limit",
        checked_at,
    )
    return {
        "deliverable": True,
        "objective": settings.objective,
        "objective_label": wording.objective_label(settings.objective),
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
    }, least_outcome


def least_cost_allocation(
    programme: Programme, outcome: SolveOutcome, tables: dict[str, pd.DataFrame]
) -> dict[str, Any] | None:
    """Who needs what in the least-cost plan the check already solved (no solve here).

    Per practice: ``spend_gbp`` (what it needs in that allocation), ``offer_share_gbp`` (pooled: the
    budget split by weighted patients, budget × weighted_list / Σ weighted_list; per practice: its
    own budget at the offered rate) and ``shortfall_gbp`` = max(0, need − share). ``most_short`` lists
    the MOST_SHORT practices of largest shortfall (then largest need − share); ``practices_short``
    counts every practice short. ``distribution``, ``coverage_by_service``, ``new_fte_by_role`` and
    ``new_fte_total`` are the solve's KPIs (``optimiser.results.kpis``) of the same allocation. Adds the
    ``least_cost_practices`` table: every practice (the JSON lists only ``most_short``).
    """
    if outcome.col_value is None or outcome.row_value is None:
        return None
    p = programme
    settings = p.scenario.settings
    solution = result_tables(p, outcome)
    practices = solution["practices"]
    summary = kpis(p, solution)
    weighted = practices["weighted_list_size"].to_numpy(dtype=float)
    pooled = settings.budget_mode == "pooled"
    if pooled:
        budget = float(settings.budget_gbp or 0.0)
        total = float(weighted.sum())
        share = budget * weighted / total if total > 0 else weighted * 0.0
    else:
        share = practices["practice_id"].map(p.data.practice_budget).to_numpy(dtype=float)
        budget = float(share.sum())
    need = practices["spend_gbp"].to_numpy(dtype=float)
    gap = need - share
    short = gap > SHORT_TOLERANCE * np.maximum(1.0, share)
    table = pd.DataFrame(
        {
            "practice_id": practices["practice_id"].astype(str),
            "weighted_list_size": weighted,
            "spend_gbp": need,
            "offer_share_gbp": share,
            "shortfall_gbp": np.where(short, gap, 0.0),
            "need_less_share_gbp": gap,
        }
    ).sort_values(["shortfall_gbp", "need_less_share_gbp"], ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    tables["least_cost_practices"] = table
    shown = table.head(MOST_SHORT).drop(columns="need_less_share_gbp")
    return clean_json_object(
        {
            "share_basis": "weighted_patients" if pooled else "practice_budget",
            "budget_gbp": budget,
            "least_spend_gbp": float(need.sum()),
            "weighted_patients": float(weighted.sum()),
            "practices": len(table),
            "practices_short": int(short.sum()),
            "total_shortfall_gbp": float(table["shortfall_gbp"].sum()),
            "most_short": shown.to_dict("records"),
            "distribution": summary["distribution"],
            "coverage_by_service": summary["coverage_by_service"],
            "new_fte_by_role": summary["new_fte_by_role"],
            "new_fte_total": summary["new_fte_total"],
        }
    )
