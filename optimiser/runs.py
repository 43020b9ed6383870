"""One entry point for every kind of run, shared by the CLI, batches and the API's workers.

``run_job(kind, document, overrides)`` validates the document, applies overrides, runs the
pipeline (validate → build → load → solve → extract) and returns a JSON-able result
plus result tables. Solver outcomes (infeasible, time limit) are results, never raised.
"""

from __future__ import annotations

import time
from typing import Any

from models.scenario import Problem, Scenario, ScenarioInvalid
from models.validate import validate_document
from optimiser.objectives import least_spend_at_best_value, solve_for_value
from optimiser.programme import ENGINES, Programme, Progress, SolveOutcome
from optimiser.results import JobOutcome, solve_result

__all__ = ["KINDS", "JobOutcome", "load_scenario", "run_job", "scale_standards", "solve_scenario"]

KINDS = ("solve", "check", "sweep")
SETTING_OVERRIDES = ("objective", "budget_gbp", "offer_rate_gbp_per_weighted_patient", "time_limit_s")
OTHER_OVERRIDES = ("standards_fraction", "sensitivity", "budget", "standards", "engine", "weights")


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
    weights = overrides.get("weights")
    if weights is not None:
        from optimiser.deliverability.relaxation import check_weights

        try:
            if not isinstance(weights, dict):
                raise ValueError(f"must be an object of weights by name (got {weights!r})")
            check_weights(weights)
        except ValueError as error:
            problems.append(Problem("overrides", None, "weights", str(error)))
    engine = overrides.get("engine")
    if engine is not None and engine not in ENGINES:
        problems.append(Problem("overrides", None, "engine", f"must be one of {', '.join(ENGINES)} (got {engine!r})"))
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
    # Hashed now for the results: the document and its JSON (~70 MB at England) made after a
    # solve would add to the solver's peak memory.
    _ = scenario.scenario_hash
    return scenario


def scale_standards(scenario: Scenario, fraction: float) -> Scenario:
    """The same scenario with every min_coverage multiplied by ``fraction``."""
    services = scenario.services.copy()
    services["min_coverage"] = services["min_coverage"] * fraction
    return Scenario(
        settings=scenario.settings,
        practices=scenario.practices,
        pcns=scenario.pcns,
        roles=scenario.roles,
        staff=scenario.staff,
        services=services,
        skill_mix=scenario.skill_mix,
        eligibility=scenario.eligibility,
    )


def solve_scenario(
    scenario: Scenario, progress: Progress | None = None, engine: str = "arrays"
) -> tuple[Programme, SolveOutcome]:
    """Build and solve; for ``max_value`` and ``max_min_coverage`` break ties by least spend without
    changing the value (for max_min_coverage: the lowest practice's coverage, docs/fairness.md)."""
    programme = Programme(scenario, engine=engine)
    if scenario.settings.objective in ("max_value", "max_min_coverage"):
        outcome = solve_for_value(programme, progress)
        if outcome.status == "optimal":
            outcome = least_spend_at_best_value(programme, outcome, progress)
    else:
        outcome = programme.solve(progress=progress)
    return programme, outcome


def run_job(
    kind: str, document: dict[str, Any], overrides: dict[str, Any] | None = None, progress: Progress | None = None
) -> JobOutcome:
    """Run one solve, check or sweep. Raises ``ScenarioInvalid`` only for bad input.

    ``document`` is let go once validated (the scenario holds what the run needs), so a caller
    that passes one it does not keep frees its memory before the solve.
    """
    if kind not in KINDS:
        raise ScenarioInvalid([Problem("job", None, "kind", f"must be one of {', '.join(KINDS)} (got {kind!r})")])
    started = time.perf_counter()
    overrides = dict(overrides or {})
    scenario = load_scenario(document, overrides)
    del document
    engine = overrides.get("engine") or "arrays"
    if kind == "solve":
        programme, outcome = solve_scenario(scenario, progress, engine)
        job = solve_result(scenario, programme, outcome, started)
        if overrides.get("sensitivity"):
            from optimiser.deliverability import sensitivity

            job.result["sensitivity"] = sensitivity(programme, outcome)
        return job
    if kind == "check":
        from optimiser.deliverability import check

        return check(scenario, progress=progress, engine=engine, weights=overrides.get("weights"))
    from optimiser.sweep import sweep

    return sweep(scenario, budget=overrides.get("budget"), standards=overrides.get("standards"), engine=engine)
