"""Audit 7, A4 and A11: a shadow price is stated with how far it holds (HiGHS' ranging), never as the
effect of a whole unit its range does not cover, and the sensitivity JSON carries no -0.

Hand check on data/tiny (least spend £37,000): the Salaried GP hiring limit (0.3 FTE) is worth
£50,000 a year per FTE, but only up to 0.32 FTE (£36,000); from there more GPs save nothing, so one
more FTE saves £1,000, not £50,000. The same-day access standard costs £6,000 a point for 1.25 points
(P2's row reaches the end of its range first: its 40 patients a point against 50 before its basis
changes); beyond that tiny's other limits cannot be met at any cost.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import numpy as np
import pytest

from optimiser.deliverability import sensitivity as sensitivity_module
from optimiser.deliverability.sensitivity import sensitivity
from optimiser.io import read_document
from optimiser.programme import Programme
from optimiser.runs import load_scenario, run_job, solve_scenario
from tests.console import TINY, run, strict_json


@pytest.fixture(scope="module")
def tiny() -> dict[str, Any]:
    return read_document(TINY)


def _least_spend(document: dict[str, Any]) -> float:
    result = run_job("solve", document).result
    assert result["status"] == "optimal"
    return float(result["objective_value"])


def _price(result: dict[str, Any], rule: str, entity: str) -> dict[str, Any]:
    return next(p for p in result["sensitivity"]["shadow_prices"] if p["rule"] == rule and p["entity"] == entity)


def _with_supply(document: dict[str, Any], fte: float) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    changed["roles"][0]["supply_max_fte"] = str(fte)
    return changed


def _with_standard(document: dict[str, Any], service: str, level: float) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    for row in changed["services"]:
        if row["service_id"] == service:
            row["min_coverage"] = str(level)
    return changed


def test_a_hiring_limit_price_holds_only_as_far_as_its_range(tiny: dict[str, Any]) -> None:
    result = run_job("solve", tiny, {"sensitivity": True}).result
    base = float(result["objective_value"])
    price = _price(result, "workforce_supply", "salaried_gp")
    y, holds = price["shadow_price"], price["holds_for"]
    assert y == pytest.approx(-50_000) and holds == pytest.approx(0.02)
    # Re-solves: within the range the price holds; a whole FTE more saves far less than y.
    assert _least_spend(_with_supply(tiny, 0.3 + holds)) == pytest.approx(base + y * holds)
    assert _least_spend(_with_supply(tiny, 0.3 + holds / 2)) == pytest.approx(base + y * holds / 2)
    assert _least_spend(_with_supply(tiny, 0.4)) > base + y * 0.1 + 1_000  # beyond: not at that rate
    assert _least_spend(_with_supply(tiny, 1.3)) == pytest.approx(base - 1_000)
    sentence = price["sentence"]
    assert "One more" not in sentence  # never the effect of a whole FTE its range does not cover
    assert "saves £50,000 a year per FTE, but only for the first 0.02 FTE" in sentence, sentence


def test_a_standard_price_holds_for_its_range_and_no_further(tiny: dict[str, Any]) -> None:
    result = run_job("solve", tiny, {"sensitivity": True}).result
    base = float(result["objective_value"])
    price = _price(result, "min_standard", "same_day_access")
    y, points = price["shadow_price"], price["holds_for"]
    assert y == pytest.approx(6_000) and points == pytest.approx(1.25)
    assert _least_spend(_with_standard(tiny, "same_day_access", 0.81)) == pytest.approx(base + y)
    assert _least_spend(_with_standard(tiny, "same_day_access", 0.8125)) == pytest.approx(base + y * 1.25)
    # Beyond the range the rate does not hold: at 81.5% the rest of tiny's limits (its hiring limit
    # and safe-working caps) cannot be met at any cost, which £6,000 a point would not suggest.
    beyond = run_job("solve", _with_standard(tiny, "same_day_access", 0.815)).result
    assert beyond["status"] == "infeasible"
    # A whole point is covered, so the sentence may say what one point does, with its range.
    assert "by one percentage point (from 80%) adds £6,000 a year" in price["sentence"]
    assert "up to 1.25 percentage points in all" in price["sentence"]


def test_a_limit_that_does_not_bind_holds_however_far(tiny: dict[str, Any]) -> None:
    result = run_job("solve", tiny, {"sensitivity": True}).result
    budget = _price(result, "budget", "area")
    assert budget["ranged"] is True and budget["holds_for"] is None  # no limit
    assert budget["sentence"] == "Each extra £1 of budget does not change the least spend, however far it is raised."


def test_the_ratio_test_along_a_direction_agrees_with_highs_ranging_on_one_row(tiny: dict[str, Any]) -> None:
    """The ranging of a price that moves many rows is the ratio test along that direction from
    HiGHS' basis; along one row it gives what HiGHS' own ranging gives, row by row."""
    programme, _ = solve_scenario(load_scenario(tiny))
    again = programme.solve()
    at = sensitivity_module._basis(programme, again)
    assert at is not None and at.ranging is not None and at.basic is not None
    checked = 0
    for i in range(programme.num_rows):
        side = sensitivity_module._side(at, i)
        if side is None or at.basic[1][i]:
            continue
        one = sensitivity_module._one_row(at, i, 1.0, side == "upper")
        along = sensitivity_module._along(programme, at, [i], np.array([1.0]), [side == "upper"])
        assert one is not None and along is not None
        assert along == pytest.approx(one, rel=1e-6, abs=1e-9) or (math.isinf(one) and math.isinf(along)), i
        checked += 1
    assert checked >= 5


def test_a_mip_is_ranged_on_its_lp_with_the_steps_fixed(tiny: dict[str, Any]) -> None:
    stepped = copy.deepcopy(tiny)
    stepped["roles"][1]["fte_step"] = "0.5"
    programme = Programme(load_scenario(stepped))
    outcome = programme.solve()
    assert programme.is_mip
    report = sensitivity(programme, outcome)
    assert report["approximate"] is True and report["shadow_prices"]
    assert all(price["ranged"] for price in report["shadow_prices"])


def test_sensitivity_json_has_no_negative_zero() -> None:
    done = run("solve", str(TINY), "--sensitivity", "--format", "json")
    assert done.returncode == 0, done.stderr
    result = strict_json(done.stdout)
    numbers: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, float):
            numbers.append(value)

    walk(result["sensitivity"])
    assert numbers and not any(value == 0 and math.copysign(1.0, value) < 0 for value in numbers)
    assert "-0.0" not in json.dumps(result["sensitivity"])
