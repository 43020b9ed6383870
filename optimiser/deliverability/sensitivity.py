"""Sensitivity of an optimal solve (formulation.md section 7): shadow prices in readable units."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from optimiser.deliverability import wording
from optimiser.programme import Programme, RowRanging, SolveOutcome
from optimiser.results import binding_rules, clean_json_object

# Steps of a limit smaller than this share of its size (or of the values moved) are noise.
_TINY = 1e-9


@dataclass
class _Basis:
    """The optimal basis the duals were read at, to say how far each price holds (``holds_for``):
    HiGHS' ranging of each row, and the basis and solution for a price that moves many rows."""

    ranging: RowRanging | None
    basic: tuple[np.ndarray, np.ndarray] | None
    col_value: np.ndarray
    row_value: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    # The basis' square of non-basic rows by basic columns, factorised once for every price.
    factor: Any = None


def _basis(p: Programme, outcome: SolveOutcome) -> _Basis | None:
    """The basis of the last solve, if it gave ``outcome``'s values."""
    if outcome.col_value is None or outcome.row_value is None:
        return None
    return _Basis(
        p.ranging(),
        p.basis_status(),
        outcome.col_value[: p.num_cols],
        outcome.row_value[: p.num_rows],
        np.array(p.col_lower[: p.num_cols], dtype=float),
        np.array(p.col_upper[: p.num_cols], dtype=float),
        np.array(p.row_lower[: p.num_rows], dtype=float),
        np.array(p.row_upper[: p.num_rows], dtype=float),
    )


def holds_for(
    p: Programme, at: _Basis | None, rows: Sequence[int] | np.ndarray, amounts: Sequence[float]
) -> float | None:
    """How many units a limit can be raised with the basis the duals were read at still optimal,
    so its shadow price still the rate at which the objective changes (math.inf: however far).

    One unit of the limit moves the rule's bound (its upper bound for a "≤" rule such as a budget
    or a hiring limit, its lower bound for a "≥" rule such as a minimum standard) of row
    ``rows[k]`` by ``amounts[k]``. One row: HiGHS' ranging of that row (``Programme.ranging``).
    Many rows moved together (the offer rate moves every practice's budget, a standard every
    practice's row): the same ratio test along that direction, from HiGHS' basis: the basic
    columns' change that keeps every non-basic row at its moved bound, then the first basic column
    or row to reach a bound. ``None`` when there is no basis to range (the answer is not known)."""
    if at is None:
        return None
    rows = [int(i) for i in rows]
    amounts_arr = np.asarray(amounts, dtype=float)
    keep = amounts_arr > 0
    rows, amounts_arr = [i for i, k in zip(rows, keep, strict=True) if k], amounts_arr[keep]
    if not rows:
        return math.inf
    sides = [_side(at, i) for i in rows]
    if any(side is None for side in sides):
        return None
    if len(rows) == 1:
        return _one_row(at, rows[0], float(amounts_arr[0]), sides[0] == "upper")
    return _along(p, at, rows, amounts_arr, [side == "upper" for side in sides])


def _side(at: _Basis, i: int) -> str | None:
    """Which bound of row ``i`` is its rule's limit: "upper" (a "≤" rule), "lower" (a "≥" rule)."""
    lower, upper = np.isfinite(at.row_lower[i]), np.isfinite(at.row_upper[i])
    if upper and not lower:
        return "upper"
    if lower and not upper:
        return "lower"
    return None


def _one_row(at: _Basis, i: int, amount: float, upper: bool) -> float | None:
    bound = at.row_upper[i] if upper else at.row_lower[i]
    slack = at.row_value[i] - bound if not upper else bound - at.row_value[i]
    tolerance = _TINY * max(1.0, abs(bound))
    if slack > tolerance or (at.basic is not None and at.basic[1][i]):
        # Not at its limit (basic): raising an upper limit leaves it so however far; raising a
        # lower one costs nothing until it reaches the row's value.
        return math.inf if upper else max(0.0, slack) / amount
    if at.ranging is None:
        return None
    reach = float(at.ranging.up_value[i])
    return math.inf if not np.isfinite(reach) or reach >= 1e30 else max(0.0, reach - bound) / amount


def _along(p: Programme, at: _Basis, rows: list[int], amounts: np.ndarray, upper: list[bool]) -> float | None:
    if at.basic is None:
        return None
    basic_cols, basic_rows = at.basic
    matrix = p.own_matrix()
    moved = np.zeros(p.num_rows)
    moved[rows] = amounts  # how far each row's limit moves per unit
    nonbasic_rows = np.flatnonzero(~basic_rows)
    cols = np.flatnonzero(basic_cols)
    if len(nonbasic_rows) != len(cols):
        return None
    # A non-basic row sits at a bound: at its moved limit it moves with it (else it stays put).
    at_limit = np.zeros(p.num_rows, dtype=bool)
    for i, is_upper in zip(rows, upper, strict=True):
        bound = at.row_upper[i] if is_upper else at.row_lower[i]
        at_limit[i] = abs(at.row_value[i] - bound) <= _TINY * max(1.0, abs(bound))
    shift = np.where(at_limit[nonbasic_rows], moved[nonbasic_rows], 0.0)
    if shift.any():
        if at.factor is None:
            from scipy.sparse.linalg import splu

            try:
                at.factor = splu(matrix[nonbasic_rows][:, cols].tocsc())
            except RuntimeError:  # singular: not the basis HiGHS reported
                at.factor = False
        if at.factor is False:
            return None
        change = np.atleast_1d(np.asarray(at.factor.solve(shift), dtype=float))
        if not np.isfinite(change).all():
            return None
    else:
        change = np.zeros(len(cols))
    col_change = np.zeros(p.num_cols)
    col_change[cols] = change
    row_change = matrix @ col_change
    # The first basic column or row to reach a bound; a moved row's limit moves with the unit.
    lower_move, upper_move = np.zeros(p.num_rows), np.zeros(p.num_rows)
    for i, is_upper, amount in zip(rows, upper, amounts, strict=True):
        (upper_move if is_upper else lower_move)[i] = amount
    zero = np.zeros(p.num_cols)
    return min(
        _first_to_reach(at.col_value, at.col_lower, at.col_upper, col_change, zero, zero, basic_cols),
        _first_to_reach(at.row_value, at.row_lower, at.row_upper, row_change, lower_move, upper_move, basic_rows),
    )


def _first_to_reach(
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    change: np.ndarray,
    lower_move: np.ndarray,
    upper_move: np.ndarray,
    basic: np.ndarray,
) -> float:
    """The ratio test: how many units until the first basic value (moving by ``change`` a unit)
    meets one of its bounds (each moving by ``*_move`` a unit); math.inf if none ever does."""
    scale = _TINY * np.maximum(1.0, np.abs(value))
    with np.errstate(divide="ignore", invalid="ignore"):
        up_rate, down_rate = change - upper_move, lower_move - change
        up = np.where(basic & (up_rate > scale) & np.isfinite(upper), np.maximum(0.0, upper - value) / up_rate, np.inf)
        down = np.where(
            basic & (down_rate > scale) & np.isfinite(lower), np.maximum(0.0, value - lower) / down_rate, np.inf
        )
    return float(min(up.min(initial=np.inf), down.min(initial=np.inf)))


def sensitivity(programme: Programme, outcome: SolveOutcome) -> dict[str, Any]:
    """Shadow prices in readable units and binding rule families.

    HiGHS' row dual is d(objective)/d(the row's bound) for both senses (checked against finite
    differences in tests), so for min_cost a positive price is extra £ per unit and for
    max_value it is extra value per unit. For a MIP the duals are those of the LP with every
    integer column fixed at its solution value (``approximate: true``).

    Each price says how far it holds (``holds_for``, in the unit of its sentence; None: however
    far): a dual is the rate at the margin, which holds only while the basis stays optimal
    (HiGHS' ranging), so a sentence states the effect of a whole unit only where that range covers
    it, else the rate with its range.
    """
    if not outcome.has_solution or outcome.col_value is None:
        return _unavailable(False, wording.NO_SENSITIVITY_SOLUTION)
    p = programme
    approximate = p.is_mip
    row_dual: np.ndarray | None = outcome.row_dual
    at = outcome
    ranged: _Basis | None = None
    if not approximate and row_dual is not None:
        # The basis those duals come from: a hot re-solve of the programme as loaded (no pivots when
        # the last solve ended at it), used only if it gives the same duals.
        again = p.solve()
        if again.status == "optimal" and again.row_dual is not None and np.allclose(again.row_dual, row_dual):
            ranged = _basis(p, again)
    if approximate or row_dual is None:
        with p.changes():
            ints = np.flatnonzero(p.base_integrality)
            fixed = np.round(outcome.col_value[ints])
            p.set_col_bounds(ints, fixed, fixed)
            p.relax_integrality()
            lp = p.solve()
            duals = p.duals() if lp.status == "optimal" else None
            row_dual = duals[0][: p.num_rows] if duals is not None else None
            ranged = _basis(p, lp) if duals is not None else None
            if lp.row_value is not None and lp.status == "optimal":
                at = lp
        approximate = True
    if row_dual is None:
        return _unavailable(approximate, wording.NO_SENSITIVITY_DUALS)
    objective = p.scenario.settings.objective
    prices = _shadow_prices(p, row_dual, objective, ranged)
    binding = (
        binding_rules(p, at) if at.row_value is not None else pd.DataFrame(columns=["rule", "rows", "binding_rows"])
    )
    binding_list = [
        {"rule": r.rule, "binding_rows": int(r.binding_rows), "rows": int(r.rows)}
        for r in binding.itertuples()
        if r.binding_rows > 0
    ]
    sentences = [price["sentence"] for price in prices]
    if binding_list:
        sentences.append(wording.binding_sentence(binding_list))
    return clean_json_object(
        {
            "available": True,
            "approximate": approximate,
            "objective": objective,
            "shadow_prices": prices,
            "binding_rules": binding_list,
            "sentences": sentences,
        }
    )


def _unavailable(approximate: bool, sentence: str) -> dict[str, Any]:
    return {
        "available": False,
        "approximate": approximate,
        "shadow_prices": [],
        "binding_rules": [],
        "sentences": [sentence],
    }


def _shadow_prices(programme: Programme, dual: np.ndarray, objective: str, at: _Basis | None) -> list[dict[str, Any]]:
    """Each price with how far it holds (``holds_for``: units of its sentence's limit; None: however
    far), from the basis ``at`` (None: not known, and the sentences say so)."""
    p = programme
    d = p.data
    names = wording.Names.of(p.scenario)
    prices: list[dict[str, Any]] = []

    def holds(rows: Sequence[int] | np.ndarray, amounts: Sequence[float]) -> float | None:
        return holds_for(p, at, rows, amounts)

    def price(rule: str, entity: str, y: float, per: str, sentence: str, held: float | None) -> None:
        prices.append(
            {
                "rule": rule,
                "entity": entity,
                "shadow_price": y + 0.0,  # never -0 (a dual of -0.0 for a limit that does not bind)
                "unit": wording.price_unit(objective, per),
                "holds_for": None if held is None or math.isinf(held) else held + 0.0,
                "ranged": held is not None,
                "sentence": sentence,
            }
        )

    for i in p.rows("budget"):
        y = float(dual[i])
        held = holds([i], [1.0])
        price("budget", "area", y, "per £ of budget", wording.budget_price_sentence(objective, y, held), held)
    rows = p.rows("practice_budget")
    if len(rows):
        weights = [d.weighted_list[str(p.row_key[i])] for i in rows]
        y = float(sum(dual[i] * w for i, w in zip(rows, weights, strict=True)))
        binding = int(sum(abs(dual[i]) > 1e-12 for i in rows))
        held = holds(rows, weights)
        price(
            "practice_budget",
            "offer rate",
            y,
            "per £ per weighted patient",
            wording.offer_rate_price_sentence(objective, y, binding, held),
            held,
        )
    for i in p.rows("workforce_supply"):
        y = float(dual[i])
        role = str(p.row_key[i])
        held = holds([i], [1.0])
        price(
            "workforce_supply",
            role,
            y,
            "per extra FTE that can be hired",
            wording.supply_price_sentence(objective, role, y, names, held),
            held,
        )
    rows = p.rows("gp_floor")
    if len(rows):
        weights = [d.weighted_list[str(p.row_key[i])] / 10_000 for i in rows]
        y = float(sum(dual[i] * w for i, w in zip(rows, weights, strict=True)))
        binding = int(sum(abs(dual[i]) > 1e-12 for i in rows))
        held = holds(rows, weights)
        price(
            "gp_floor",
            "all practices",
            y,
            "per extra GP FTE per 10,000 weighted patients",
            wording.gp_floor_price_sentence(objective, y, binding, held),
            held,
        )
    for i in p.rows("gp_target_total"):
        y = float(dual[i])
        held = holds([i], [1.0])
        price(
            "gp_target_total",
            "area",
            y,
            "per extra GP FTE on the area target",
            wording.gp_target_price_sentence(objective, y, held),
            held,
        )
    by_service: dict[str, float] = defaultdict(float)
    service_rows: dict[str, list[int]] = defaultdict(list)
    service_amounts: dict[str, list[float]] = defaultdict(list)
    for i in p.rows("min_standard"):
        practice, service = p.row_key[i]
        per_point = d.eligible[(practice, service)] / 100
        by_service[str(service)] += float(dual[i]) * per_point
        service_rows[str(service)].append(int(i))
        service_amounts[str(service)].append(per_point)
    for service, y in by_service.items():
        held = holds(service_rows[service], service_amounts[service])
        price(
            "min_standard",
            service,
            y,
            "per extra percentage point of the standard",
            wording.standard_price_sentence(objective, service, d.min_coverage[service], y, names, held),
            held,
        )
    return prices
