"""Sensitivity of an optimal solve (formulation.md section 7): shadow prices in readable units."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd

from optimiser.deliverability import wording
from optimiser.programme import Programme, SolveOutcome
from optimiser.results import binding_rules, clean_json


def sensitivity(programme: Programme, outcome: SolveOutcome) -> dict[str, Any]:
    """Shadow prices in readable units and binding rule families.

    HiGHS' row dual is d(objective)/d(the row's bound) for both senses (checked against finite
    differences in tests), so for min_cost a positive price is extra £ per unit and for
    max_value it is extra value per unit. For a MIP the duals are those of the LP with every
    integer column fixed at its solution value (``approximate: true``).
    """
    if not outcome.has_solution or outcome.col_value is None:
        return _unavailable(False, wording.NO_SENSITIVITY_SOLUTION)
    p = programme
    approximate = p.is_mip
    row_dual: np.ndarray | None = outcome.row_dual
    at = outcome
    if approximate or row_dual is None:
        with p.changes():
            ints = np.flatnonzero(p.base_integrality)
            fixed = np.round(outcome.col_value[ints])
            p.set_col_bounds(ints, fixed, fixed)
            p.relax_integrality()
            lp = p.solve()
            duals = p.duals() if lp.status == "optimal" else None
            row_dual = duals[0][: p.num_rows] if duals is not None else None
            if lp.row_value is not None and lp.status == "optimal":
                at = lp
        approximate = True
    if row_dual is None:
        return _unavailable(approximate, wording.NO_SENSITIVITY_DUALS)
    objective = p.scenario.settings.objective
    prices = _shadow_prices(p, row_dual, objective)
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
    return clean_json(
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


def _shadow_prices(programme: Programme, dual: np.ndarray, objective: str) -> list[dict[str, Any]]:
    p = programme
    d = p.data
    names = wording.Names.of(p.scenario)
    prices: list[dict[str, Any]] = []

    def price(rule: str, entity: str, y: float, per: str, sentence: str) -> None:
        prices.append(
            {
                "rule": rule,
                "entity": entity,
                "shadow_price": y,
                "unit": wording.price_unit(objective, per),
                "sentence": sentence,
            }
        )

    for i in p.rows("budget"):
        y = float(dual[i])
        price("budget", "area", y, "per £ of budget", wording.budget_price_sentence(objective, y))
    rows = p.rows("practice_budget")
    if len(rows):
        y = float(sum(dual[i] * d.weighted_list[str(p.row_key[i])] for i in rows))
        binding = int(sum(abs(dual[i]) > 1e-12 for i in rows))
        price(
            "practice_budget",
            "offer rate",
            y,
            "per £ per weighted patient",
            wording.offer_rate_price_sentence(objective, y, binding),
        )
    for i in p.rows("workforce_supply"):
        y = float(dual[i])
        role = str(p.row_key[i])
        price(
            "workforce_supply",
            role,
            y,
            "per extra FTE that can be hired",
            wording.supply_price_sentence(objective, role, y, names),
        )
    rows = p.rows("gp_floor")
    if len(rows):
        y = float(sum(dual[i] * d.weighted_list[str(p.row_key[i])] / 10_000 for i in rows))
        binding = int(sum(abs(dual[i]) > 1e-12 for i in rows))
        price(
            "gp_floor",
            "all practices",
            y,
            "per extra GP FTE per 10,000 weighted patients",
            wording.gp_floor_price_sentence(objective, y, binding),
        )
    for i in p.rows("gp_target_total"):
        y = float(dual[i])
        price(
            "gp_target_total",
            "area",
            y,
            "per extra GP FTE on the area target",
            wording.gp_target_price_sentence(objective, y),
        )
    by_service: dict[str, float] = defaultdict(float)
    for i in p.rows("min_standard"):
        practice, service = p.row_key[i]
        by_service[str(service)] += float(dual[i]) * d.eligible[(practice, service)] / 100
    for service, y in by_service.items():
        price(
            "min_standard",
            service,
            y,
            "per extra percentage point of the standard",
            wording.standard_price_sentence(objective, service, d.min_coverage[service], y, names),
        )
    return prices
