"""One entry point for every kind of run, shared by the CLI, batches and the API's workers.

``run_job(kind, document, overrides)`` validates the document, applies overrides, runs the
pipeline (validate → build → compile → solve → extract) and returns a JSON-able result
plus result tables. Solver outcomes (infeasible, time limit) are results, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pandas as pd

from models.scenario import Problem, Scenario, ScenarioInvalid
from models.validate import validate_document
from optimiser.results import kpis, result_tables
from optimiser.solver import INF, CompiledProgramme, SolveOutcome, solver_name

KINDS = ("solve", "check", "sweep")
SETTING_OVERRIDES = ("objective", "budget_gbp", "offer_rate_gbp_per_weighted_patient", "time_limit_s")
OTHER_OVERRIDES = ("standards_fraction", "sensitivity", "budget", "standards")
# A max_value optimum is kept to this relative tolerance while least spend breaks ties.
VALUE_KEEP_TOLERANCE = 1e-9

Progress = Callable[[float], None]


@dataclass
class JobOutcome:
    result: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def load_scenario(document: dict[str, Any], overrides: dict[str, Any] | None = None) -> Scenario:
    """Validate ``document`` with ``overrides`` applied; raise ``ScenarioInvalid`` naming every problem."""
    overrides = dict(overrides or {})
    problems = [
        Problem("overrides", None, key, f"unknown override (known: {', '.join(SETTING_OVERRIDES + OTHER_OVERRIDES)})")
        for key in overrides
        if key not in SETTING_OVERRIDES + OTHER_OVERRIDES
    ]
    fraction = overrides.get("standards_fraction")
    if fraction is not None and (not isinstance(fraction, int | float) or not 0 <= fraction <= 1):
        problems.append(Problem("overrides", None, "standards_fraction", f"must be between 0 and 1 (got {fraction!r})"))
    if problems:
        raise ScenarioInvalid(problems)
    if not isinstance(document, dict):
        raise ScenarioInvalid([Problem("scenario", None, None, "must be an object of named tables and settings")])
    settings = dict(document.get("settings") or {})
    for key in SETTING_OVERRIDES:
        if overrides.get(key) is not None:
            settings[key] = overrides[key]
    if overrides.get("budget_gbp") is not None and "offer_rate_gbp_per_weighted_patient" not in overrides:
        settings["budget_mode"] = "pooled"
    elif overrides.get("offer_rate_gbp_per_weighted_patient") is not None and overrides.get("budget_gbp") is None:
        settings["budget_mode"] = "per_practice"
    scenario = validate_document({**document, "settings": settings})
    if fraction is not None:
        scenario = scale_standards(scenario, float(fraction))
    return scenario


def scale_standards(scenario: Scenario, fraction: float) -> Scenario:
    """The same scenario with every min_coverage multiplied by ``fraction``."""
    services = scenario.services.copy()
    services["min_coverage"] = services["min_coverage"] * fraction
    document = dict(scenario.document)
    document["services"] = [
        {**record, "min_coverage": record["min_coverage"] * fraction} for record in scenario.document["services"]
    ]
    return Scenario(
        settings=scenario.settings,
        practices=scenario.practices,
        pcns=scenario.pcns,
        roles=scenario.roles,
        staff=scenario.staff,
        services=services,
        skill_mix=scenario.skill_mix,
        eligibility=scenario.eligibility,
        document=document,
    )


def solve_scenario(scenario: Scenario, progress: Progress | None = None) -> tuple[CompiledProgramme, SolveOutcome]:
    """Build, compile and solve; for ``max_value`` break ties by least spend without changing the value."""
    programme = CompiledProgramme(scenario)
    outcome = programme.solve(progress=progress)
    if scenario.settings.objective == "max_value" and outcome.status == "optimal":
        outcome = least_spend_at_best_value(programme, outcome, progress)
    return programme, outcome


def spend_coefficients(programme: CompiledProgramme) -> np.ndarray:
    """Cost vector of Σ_p spend[p] = Σ cost[r] h[p,r] − Σ claim[p] over the compiled columns."""
    costs = np.zeros(len(programme.col_var))
    hires = programme.cols("h")
    costs[hires] = [programme.data.cost[programme.col_key[j][1]] for j in hires]
    costs[programme.cols("claim")] = -1.0
    return costs


def least_spend_at_best_value(
    programme: CompiledProgramme, best: SolveOutcome, progress: Progress | None
) -> SolveOutcome:
    highs = programme.highs
    assert best.objective_value is not None
    value_cols = np.flatnonzero(programme.base_cost)
    keep = best.objective_value * (1 - VALUE_KEEP_TOLERANCE) - VALUE_KEEP_TOLERANCE
    highs.addRow(keep, INF, len(value_cols), value_cols.astype(np.int32), programme.base_cost[value_cols])
    added_row = highs.getNumRow() - 1
    spend = spend_coefficients(programme)
    all_cols = np.arange(len(spend), dtype=np.int32)
    highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
    highs.changeColsCost(len(all_cols), all_cols, spend)
    try:
        tie_break = programme.solve(progress=progress)
    finally:
        highs.changeColsCost(len(all_cols), all_cols, programme.base_cost)
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        highs.deleteRows(1, np.array([added_row], dtype=np.int32))
    if tie_break.status != "optimal" or tie_break.col_value is None:
        return best
    tie_break.objective_value = best.objective_value
    tie_break.solve_seconds += best.solve_seconds
    # Duals of the tie-break describe spend, not value: report those of the value solve.
    tie_break.row_dual, tie_break.col_dual = best.row_dual, best.col_dual
    if tie_break.row_value is not None:
        tie_break.row_value = tie_break.row_value[: len(programme.row_rule)]
    return tie_break


def solve_result(
    scenario: Scenario, programme: CompiledProgramme, outcome: SolveOutcome, started: float
) -> JobOutcome:
    """The JSON result and tables of a solve."""
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] | None = None
    if outcome.has_solution:
        tables = result_tables(programme, outcome)
        summary = kpis(programme, outcome, tables)
    deliverable: bool | None
    if outcome.feasible:
        deliverable = True
    elif outcome.status == "infeasible":
        deliverable = False
    else:
        deliverable = None
    result = {
        "kind": "solve",
        "status": outcome.status,
        "has_solution": outcome.has_solution,
        "message": outcome.message,
        "objective": scenario.settings.objective,
        "objective_value": outcome.objective_value,
        "deliverable": deliverable,
        "is_mip": programme.is_mip,
        "mip_gap": outcome.mip_gap,
        "kpis": summary,
        "solve_seconds": outcome.solve_seconds,
        "timings": {**programme.timings, "solve": outcome.solve_seconds, "total": time.perf_counter() - started},
        "solver": solver_name(),
        "scenario_hash": scenario.scenario_hash,
        "size": {"rows": len(programme.row_rule), "columns": len(programme.col_var)},
    }
    return JobOutcome(result=result, tables=tables)


def run_job(
    kind: str, document: dict[str, Any], overrides: dict[str, Any] | None = None, progress: Progress | None = None
) -> JobOutcome:
    """Run one solve, check or sweep. Raises ``ScenarioInvalid`` only for bad input."""
    if kind not in KINDS:
        raise ScenarioInvalid([Problem("job", None, "kind", f"must be one of {', '.join(KINDS)} (got {kind!r})")])
    started = time.perf_counter()
    overrides = dict(overrides or {})
    scenario = load_scenario(document, overrides)
    if kind == "solve":
        programme, outcome = solve_scenario(scenario, progress)
        job = solve_result(scenario, programme, outcome, started)
        if overrides.get("sensitivity"):
            from optimiser.explain import sensitivity

            job.result["sensitivity"] = sensitivity(programme, outcome)
        return job
    if kind == "check":
        from optimiser.explain import check

        return check(scenario, progress=progress)
    from optimiser.sweep import sweep

    return sweep(scenario, budget=overrides.get("budget"), standards=overrides.get("standards"))
