"""``commission check``: is the spec deliverable; if not, why not and what it would take.

One programme is built; every experiment (a lever, the conflict search, the combined
relaxation) is made inside ``programme.changes()`` and undone, so each re-solve starts hot
and nothing is rebuilt. Definitions chosen where the contract is open are documented in
docs/deliverability.md.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from models.scenario import Scenario
from optimiser.deliverability import wording
from optimiser.deliverability.conflict import find_conflict
from optimiser.deliverability.levers import (
    Lever,
    budget_lever,
    deliverable_levers,
    floor_lever,
    safe_working_lever,
    standards_lever,
    supply_lever,
)
from optimiser.deliverability.relaxation import relaxation
from optimiser.objectives import least_spend_at_best_value, spend_coefficients, spend_of
from optimiser.programme import Programme, Progress, SolveOutcome, solver_name
from optimiser.results import JobOutcome, clean_json


def check(
    scenario: Scenario,
    progress: Progress | None = None,
    weights: dict[str, float] | None = None,
    programme: Programme | None = None,
    engine: str = "arrays",
) -> JobOutcome:
    """Is the spec deliverable; if not, the conflict, each lever alone and a combined relaxation."""
    started = time.perf_counter()
    programme = programme or Programme(scenario, engine=engine)
    programme.progress, programme.started, programme.solves = progress, started, 0
    # Most solves here are re-solves of (often infeasible) variants from a hot basis, where
    # presolve only costs time (and can end "Unknown" on badly infeasible LPs).
    with programme.options(presolve="off"):
        return _check(scenario, programme, weights, started)


def _check(scenario: Scenario, programme: Programme, weights: dict[str, float] | None, started: float) -> JobOutcome:
    outcome = programme.solve()
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
    if outcome.feasible:
        result.update(_deliverable(programme, outcome))
        levers = deliverable_levers(result["headline"]["headroom_gbp"])
        floor = floor_lever(programme, deliverable=True)  # fair shares: what the floor costs, who it protects
        if floor is not None:
            levers.append(floor)
            tables.update(floor.tables)
        result["levers"] = [lever.as_dict() for lever in levers]
    elif outcome.status == "infeasible":
        conflict = find_conflict(programme)
        levers = [
            budget_lever(programme),
            supply_lever(programme),
            standards_lever(programme),
            safe_working_lever(programme),
        ]
        floor = floor_lever(programme, deliverable=False)
        if floor is not None:
            levers.append(floor)
        relaxed, relaxed_table = relaxation(programme, weights)
        result["deliverable"] = False
        if conflict is not None:
            tables["conflict"] = conflict.table(programme)
            result["conflict"] = clean_json(
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
        result["relaxation"] = relaxed
        tables["levers"] = pd.DataFrame(
            [{k: v for k, v in lever.as_dict().items() if k != "details"} for lever in levers]
        )
        for lever in levers:
            tables.update(lever.tables)
        tables["relaxation"] = relaxed_table
        result["summary"] = _undeliverable_summary(programme, result, levers)
    else:
        result["deliverable"] = None
        result["conflict"] = None
        result["levers"] = []
        result["summary"] = wording.no_answer_summary(outcome.message)
    result["solves"] = programme.solves
    result["seconds"] = time.perf_counter() - started
    return JobOutcome(result=clean_json(result), tables=tables)


def _deliverable(programme: Programme, outcome: SolveOutcome) -> dict[str, Any]:
    settings = programme.scenario.settings
    if settings.objective in ("max_value", "max_min_coverage") and outcome.status == "optimal":
        outcome = least_spend_at_best_value(programme, outcome, None)
    assert outcome.col_value is not None
    spend = spend_of(programme, outcome.col_value)
    if settings.objective == "min_cost":
        least = spend
    else:
        with programme.changes():
            programme.set_objective(programme.objective_vector(base=spend_coefficients(programme)))
            least_outcome = programme.solve()
        least = spend_of(programme, least_outcome.col_value) if least_outcome.col_value is not None else spend
    budget = (
        float(settings.budget_gbp or 0.0)
        if settings.budget_mode == "pooled"
        else float(sum(programme.data.practice_budget.values()))
    )
    headroom = budget - least
    summary = wording.deliverable_summary(
        settings,
        least,
        budget,
        headroom,
        float(outcome.objective_value or 0.0),
        spend,
        outcome.status == "time_limit",
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
    }


def _undeliverable_summary(programme: Programme, result: dict[str, Any], levers: list[Lever]) -> str:
    return wording.undeliverable_summary(programme.scenario.settings, result["conflict"]["sentences"], levers)
