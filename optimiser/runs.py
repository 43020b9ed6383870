"""One entry point for every kind of run, shared by the CLI, batches and the API's workers.

``run_job(kind, document, overrides)`` validates the document, applies overrides, runs the
pipeline (validate → build → load → solve → extract) and returns a JSON-able result
plus result tables. Solver outcomes (infeasible, time limit) are results, never raised.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from models.scenario import Problem, Scenario, ScenarioInvalid
from models.schema import (
    MAX_AREA_GBP,
    MAX_RATE_GBP_PER_PATIENT,
    OBJECTIVES,
    OFFER_SETTINGS,
    checked_time_limit,
    shown,
)
from models.validate import data_warnings, validate_document
from optimiser.objectives import best_value_answer, least_cost_answer
from optimiser.programme import ENGINES, Programme, Progress, SolveOutcome
from optimiser.results import JobOutcome, solve_result
from optimiser.units import (
    AMOUNT_FORMS,
    RATE_FORMS,
    check_range,
    parse_fraction,
    parse_money,
    parse_range,
)
from optimiser.units import SWEEP_RANGES as SWEEP_RANGES  # re-exported: the ranges a run sweeps (api)

__all__ = [
    "KINDS",
    "NO_SOLUTION_IN_TIME",
    "JobOutcome",
    "all_weights_zero_message",
    "checked_override",
    "checked_overrides",
    "kind_problems",
    "load_scenario",
    "one_offer_message",
    "plain_value",
    "run_failed",
    "run_job",
    "scale_standards",
    "scenario_warnings",
    "solve_scenario",
    "unknown_override_message",
]

KINDS = ("solve", "check", "sweep")
SETTING_OVERRIDES = ("objective", "budget_gbp", "offer_rate_gbp_per_weighted_patient", "time_limit_s")
OTHER_OVERRIDES = ("standards_fraction", "sensitivity", "budget", "offer_rate", "standards", "engine", "weights")
KNOWN_OVERRIDES = SETTING_OVERRIDES + OTHER_OVERRIDES
# The most each £ override may be: the bound of the setting it replaces (models/schema.py).
MONEY_LIMITS = {"budget_gbp": MAX_AREA_GBP, "offer_rate_gbp_per_weighted_patient": MAX_RATE_GBP_PER_PATIENT}


def checked_override(key: str, value: Any) -> Any:
    """``value`` as a run reads override ``key``; ``ValueError`` with a plain message if it cannot be one.

    The one check of every override's type and range, shared by the CLI, batch manifests, the
    API's job requests and the desk, so the same value gives the same answer or the same error.
    """
    if key == "objective":
        if value not in OBJECTIVES:
            raise ValueError(f"must be one of {', '.join(OBJECTIVES)} (got {shown(value)})")
        return value
    if key in MONEY_LIMITS:
        number = parse_money(value, RATE_FORMS if key == "offer_rate_gbp_per_weighted_patient" else AMOUNT_FORMS)
        if number > MONEY_LIMITS[key]:
            raise ValueError(f"must be at most {MONEY_LIMITS[key]:,.0f} (got {shown(value)})")
        return number
    if key == "standards_fraction":
        return parse_fraction(value)
    if key == "time_limit_s":
        return checked_time_limit(value)
    if key == "sensitivity":
        if not isinstance(value, bool):
            raise ValueError(f"must be true or false (got {shown(value)})")
        return value
    if key in SWEEP_RANGES:
        text = check_range(value, key)
        if key == "offer_rate" and parse_range(text, key).max() > MAX_RATE_GBP_PER_PATIENT:
            raise ValueError(f"offer rates must be at most {MAX_RATE_GBP_PER_PATIENT:,.0f} (got {shown(value)})")
        return text
    if key == "engine":
        if value not in ENGINES:
            raise ValueError(f"must be one of {', '.join(ENGINES)} (got {shown(value)})")
        return value
    if key == "weights":
        from optimiser.deliverability.levers import LEVERS
        from optimiser.deliverability.relaxation import check_weights

        if not isinstance(value, dict):
            raise ValueError(f"must be an object of weights by name (got {shown(value)})")
        weights = check_weights(value)
        if not any(weights[lever] > 0 for lever in LEVERS):
            raise ValueError(all_weights_zero_message(LEVERS))
        return value
    raise ValueError(unknown_override_message())


def all_weights_zero_message(levers: Iterable[str]) -> str:
    """What every entry point says of weights that make every change of the combined change free
    (``spread`` only shares the standards' price out, so it prices nothing on its own)."""
    from optimiser.deliverability.wording import all_weights_zero_sentence

    return all_weights_zero_sentence(list(levers))


def unknown_override_message(known: Iterable[str] = KNOWN_OVERRIDES) -> str:
    """What every entry point says of an override it does not take (``known``: those it does)."""
    from optimiser.deliverability.wording import unknown_override_sentence

    return unknown_override_sentence(list(known))


OFFERS = ("budget_gbp", "offer_rate_gbp_per_weighted_patient")


def one_offer_message(named: Callable[[str], str] | None = None) -> str:
    """What every entry point says of a pooled budget and an offer rate given together; ``named``
    gives each override's name as its entry point spells it (the CLI: its options)."""
    from optimiser.deliverability.wording import one_offer_sentence

    budget, rate = (named(key) if named else key for key in OFFERS)
    return one_offer_sentence(budget, rate)


def kind_problems(
    kind: str | None, overrides: dict[str, Any], named: Callable[[str], str] | None = None
) -> list[Problem]:
    """What is wrong with these overrides together: two offers at once (each would select its own
    budget mode, and one would be silently ignored), and, when ``kind`` is given, which
    overrides go with which kind. ``named``: as ``one_offer_message``."""
    problems = []
    if all(overrides.get(key) is not None for key in OFFERS):
        problems.append(Problem("overrides", None, None, one_offer_message(named)))
    if kind is None:
        return problems
    ranges = [name for name in SWEEP_RANGES if overrides.get(name) is not None]
    if kind == "sweep" and not ranges:
        problems.append(Problem("overrides", None, None, f"a sweep needs one of {sweep_ranges_named(named)}"))
    if kind == "sweep" and len(ranges) > 1:
        problems.append(Problem("overrides", None, None, f"a sweep takes one of {sweep_ranges_named(named)}, not more"))
    swept_mode = SWEEP_RANGES[ranges[0]] if kind == "sweep" and len(ranges) == 1 else None
    if swept_mode is not None:
        # The range selects its budget mode: the other mode's offer would be silently ignored.
        (other,) = (setting for mode, setting in OFFER_SETTINGS.items() if mode != swept_mode)
        if overrides.get(other) is not None:
            name = named or (lambda key: key)
            message = f"a sweep of {name(ranges[0])} does not take {name(other)}: {SWEEP_RANGE_MEANS[ranges[0]]}"
            problems.append(Problem("overrides", None, other, message))
    if kind != "sweep":
        problems.extend(Problem("overrides", None, name, "only sweeps take a range") for name in ranges)
    if overrides.get("sensitivity") is True and kind != "solve":
        problems.append(Problem("overrides", None, "sensitivity", "only solves report sensitivity"))
    if overrides.get("weights") is not None and kind != "check":
        # Only a check's combined change weighs its relaxations: elsewhere they would be ignored.
        problems.append(Problem("overrides", None, "weights", "only checks take weights"))
    return problems


SWEEP_RANGE_MEANS = {
    "budget": "it sweeps pooled budgets, £ a year",
    "offer_rate": "it sweeps offer rates, £ per weighted patient a year",
}


def sweep_ranges_named(named: Callable[[str], str] | None = None) -> str:
    """ "budget, offer_rate or standards", as the entry point spells them (``named``: as ``one_offer_message``)."""
    names = [named(key) if named else key for key in SWEEP_RANGES]
    return f"{', '.join(names[:-1])} or {names[-1]}"


def money_range_override(budget_mode: str | None) -> str:
    """The range override that sweeps the money of this budget mode (``SWEEP_RANGES``): ``offer_rate``
    per practice, else ``budget`` (the frontier of a check is over what the check was offered)."""
    return next((key for key, mode in SWEEP_RANGES.items() if mode == budget_mode), "budget")


def swept_money(overrides: dict[str, Any]) -> tuple[str, str] | None:
    """The money range a sweep's overrides give and the budget mode it selects (``SWEEP_RANGES``),
    or None (a standards sweep, or no sweep: the scenario's own mode)."""
    return next(
        ((key, mode) for key, mode in SWEEP_RANGES.items() if mode is not None and overrides.get(key) is not None),
        None,
    )


def checked_overrides(
    overrides: dict[str, Any] | None, kind: str | None = None, named: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """Every override checked, then checked together (``kind_problems``: two offers at once, and,
    when ``kind`` is given, which go with it), and read as a run reads it. Raises ``ScenarioInvalid``
    naming every problem; ``named`` as ``one_offer_message``.

    ``None`` is a value like any other: a null in a request or a manifest is refused by name, as
    every entry point refuses it, never read as "not given" (the scenario's own value); a caller
    whose None means not given (the CLI's options) leaves the key out."""
    given = dict(overrides or {})
    checked: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, value in given.items():
        try:
            checked[key] = checked_override(key, value)
        except ValueError as error:
            problems.append(Problem("overrides", None, key, str(error)))
    problems.extend(kind_problems(kind, given, named))
    if problems:
        raise ScenarioInvalid(problems)
    return checked


def load_scenario(document: dict[str, Any], overrides: dict[str, Any] | None = None) -> Scenario:
    """Validate ``document`` with ``overrides`` applied; raise ``ScenarioInvalid`` naming every problem."""
    return _scenario_with(document, checked_overrides(overrides))


def _scenario_with(document: dict[str, Any], overrides: dict[str, Any], scale: bool = True) -> Scenario:
    """``document`` validated with ``overrides`` (already checked, as ``checked_overrides`` reads them) applied;
    ``scale`` False: the standards as written (a check scales them itself, and measures its standards
    lever against the written ones)."""
    if not isinstance(document, dict):
        raise ScenarioInvalid([Problem("scenario", None, None, "must be an object of named tables and settings")])
    settings = dict(document.get("settings") or {})
    for key in SETTING_OVERRIDES:
        if key in overrides:
            settings[key] = overrides[key]
    if "budget_gbp" in overrides and "offer_rate_gbp_per_weighted_patient" not in overrides:
        settings["budget_mode"] = "pooled"
    elif "offer_rate_gbp_per_weighted_patient" in overrides and "budget_gbp" not in overrides:
        settings["budget_mode"] = "per_practice"
    swept = swept_money(overrides)
    if swept is not None:
        # A range of pooled budgets (offer rates) sweeps that mode, as budget_gbp (the offer rate)
        # selects it in a solve or a check.
        key, mode = swept
        settings["budget_mode"] = mode
        offer = OFFER_SETTINGS[mode]
        if settings.get(offer) is None:
            # The scenario writes no offer in the swept mode (a per-practice scenario swept over
            # pooled budgets). Validation asks for one; the sweep sets every budget row at each
            # point itself and never reads it, and marks no current offer (``offer_written``).
            settings[offer] = float(parse_range(overrides[key], key).max())
    scenario = validate_document({**document, "settings": settings})
    if scale and "standards_fraction" in overrides:
        scenario = scale_standards(scenario, overrides["standards_fraction"])
    # Hashed now for the results: the document and its JSON (~70 MB at England) made after a
    # solve would add to the solver's peak memory.
    _ = scenario.scenario_hash
    return scenario


def scenario_warnings(scenario: Scenario, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures that look like the wrong unit (``models.validate.data_warnings``) as a result's
    ``data_warnings``: {table, row, column, message} each. A budget that reads as a rate is worded
    as the check's hint, without a command-line option (the API and the desk read these too)."""

    def rate_hint(budget: float, weighted: float) -> str:
        # Imported only when a budget reads as a rate: the deliverability package is not a solve's to load.
        from optimiser.deliverability.wording import rate_as_budget_hint

        return rate_as_budget_hint(budget, weighted, None)

    return [warning.as_dict() for warning in data_warnings(scenario, document, rate_hint)]


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
    changing the value (for max_min_coverage: the lowest practice's coverage, docs/fairness.md);
    for ``min_cost`` the least-cost plan the check shows too (``least_cost_answer``)."""
    programme = Programme(scenario, engine=engine)
    if scenario.settings.objective in ("max_value", "max_min_coverage"):
        outcome = best_value_answer(programme, progress)
    else:
        programme.progress = progress
        outcome = least_cost_answer(programme)
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
    overrides = checked_overrides(overrides, kind)
    scenario = _scenario_with(document, overrides, scale=kind != "check")
    # Before the document goes: a warning names its row as the user's sheet numbers it.
    warnings = scenario_warnings(scenario, document)
    written = offer_written(document, overrides)
    del document
    job = _run(kind, scenario, overrides, progress, started, written)
    job.result["data_warnings"] = warnings
    return job


def offer_written(document: dict[str, Any], overrides: dict[str, Any]) -> bool:
    """Whether the offer in the budget mode a sweep's range selects is the user's (an override, or
    written in the scenario's settings), not one filled in for validation (``_scenario_with``)."""
    swept = swept_money(overrides)
    if swept is None:
        return True
    offer = OFFER_SETTINGS[swept[1]]
    settings = document.get("settings") if isinstance(document, dict) else None
    return overrides.get(offer) is not None or (isinstance(settings, dict) and settings.get(offer) is not None)


def _run(
    kind: str,
    scenario: Scenario,
    overrides: dict[str, Any],
    progress: Progress | None,
    started: float,
    offer_written: bool = True,
) -> JobOutcome:
    engine = overrides.get("engine") or "arrays"
    if kind == "solve":
        programme, outcome = solve_scenario(scenario, progress, engine)
        job = solve_result(scenario, programme, outcome, started)
        if overrides.get("sensitivity"):
            from optimiser.deliverability.sensitivity import sensitivity

            job.result["sensitivity"] = sensitivity(programme, outcome)
        return job
    if kind == "check":
        from optimiser.deliverability.check import ScaledStandards, check

        # Its verdict and levers but the standards are against the standards scaled to this share of
        # their level; its standards lever against the standards as written.
        scaled = None
        if overrides.get("standards_fraction") is not None:
            scaled = ScaledStandards(scenario, float(overrides["standards_fraction"]))
            scenario = scale_standards(scenario, scaled.fraction)
            _ = scenario.scenario_hash  # before the solve, as _scenario_with hashes
        return check(scenario, progress=progress, engine=engine, weights=overrides.get("weights"), scaled=scaled)
    from optimiser.sweep import sweep

    return sweep(
        scenario,
        budget=overrides.get("budget"),
        offer_rate=overrides.get("offer_rate"),
        standards=overrides.get("standards"),
        engine=engine,
        offer_written=offer_written,
    )


# --- succeeded or failed: one rule for the API's jobs and batch runs -------------------------------

# A solve (or a sweep's point) that reached its time limit without a solution: the words of the
# command line's exit code 3 (``optimiser/cli.py``).
NO_SOLUTION_IN_TIME = "no solution within the time limit"


def run_failed(result: dict[str, Any]) -> str | None:
    """Why a run that returned a result still counts as failed (None when it succeeded).

    One rule for every kind and every entry point (docs/batch.md, "Succeeded or failed"; docs/api.md,
    "Job states"): a run without an answer failed, as `commission solve` and `check` exit 3 for it.
    A batch runs it again next time rather than skipping it as unchanged; the API's job ends
    ``failed`` with these words, its result and tables kept. A solve's answer is a solution or a
    proof that there is none; a check's, its verdict (``deliverable`` true or false); a sweep's, a
    solution (or proof that there is none) at every point of its frontier.
    """
    status = result.get("status")
    if status == "error":
        return f"solver error: {result.get('message', '')}".strip()
    kind = result.get("kind")
    if kind == "check":
        if result.get("deliverable") is None:
            # The check's own sentence for it, as `commission check` prints it (exit 3).
            from optimiser.deliverability import wording

            return str(result.get("summary") or wording.NO_ANSWER_IN_TIME)
        return None
    if kind == "sweep":
        return _sweep_without_answer(result)
    if status == "time_limit" and not result.get("has_solution", True):
        return NO_SOLUTION_IN_TIME
    return None


def _sweep_without_answer(result: dict[str, Any]) -> str | None:
    """A sweep with points whose solve (with or without the standards) reached its time limit
    without a solution, e.g. ``no solution within the time limit at 2 of 5 points (budget_gbp
    10000000, 11000000)``; None when every point has its answer."""
    from optimiser.deliverability import wording
    from optimiser.sweep import unanswered

    points = [point for point in result.get("points") or [] if isinstance(point, dict)]
    x = str(result.get("x") or ("fraction" if result.get("sweep") == "standards" else "budget_gbp"))
    missing = unanswered(points, x)  # the sweep's own rule, as its summary names them
    if not missing:
        return None
    at = wording.listing([plain_value(value) for value in missing])
    return f"{NO_SOLUTION_IN_TIME} at {len(missing)} of {len(points)} points ({x} {at})"


def plain_value(value: Any) -> str:
    """A value as a run id or a failure names it: ``true``, ``10000000`` (not ``10000000.0``), ``0.5``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)
