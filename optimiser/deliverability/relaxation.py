"""The smallest combined change: one elastic programme over every lever (formulation.md section 6).

Every lever's rows may be violated at a weighted, scale-free price; everything else stays hard.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, cast

import numpy as np
import pandas as pd

from models.standard_form import INF
from optimiser.deliverability import wording
from optimiser.deliverability.levers import LEVERS, TOL, safe_rows, safe_x_entries, workforce_at
from optimiser.objectives import standard_rows
from optimiser.programme import Programme
from optimiser.results import clean_json

DEFAULT_WEIGHTS: dict[str, float] = {lever: 1.0 for lever in LEVERS}


def relaxation(programme: Programme, weights: dict[str, float] | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """One elastic programme: every lever's rows may be violated at a weighted, scale-free price.

    Each lever's violation is measured as a share of that lever's area-wide size (budget: the
    total budget; supply: total hiring limit; standards: total patients the standards require;
    safe working: the capped contacts the existing staff could give), so a 10% relaxation of any
    lever costs 0.1 × its weight. Everything else stays hard.
    """
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    p = programme
    d = p.data
    roles = p.scenario.roles
    settings = p.scenario.settings
    columns: list[tuple[int, str, int]] = []  # (column, lever, row)
    costs: dict[int, float] = {}
    with p.changes():
        if settings.budget_mode == "pooled":
            budget_rows = p.rows("budget")
            scale = max(float(settings.budget_gbp or 0.0), 1000.0)
        else:
            budget_rows = p.rows("practice_budget")
            scale = max(sum(d.practice_budget.values()), 1000.0)
        for i in budget_rows:
            j = p.add_column(0.0, INF, [i], [-1.0])
            columns.append((j, "budget", int(i)))
            costs[j] = w["budget"] / scale
        supply_rows = p.rows("workforce_supply")
        scale = max(sum(d.supply_max.values()), 1.0)
        for i in supply_rows:
            j = p.add_column(0.0, INF, [i], [-1.0])
            columns.append((j, "workforce_supply", int(i)))
            costs[j] = w["workforce_supply"] / scale
        standards = np.concatenate(list(standard_rows(p).values()) or [np.empty(0, dtype=np.int64)])
        scale = max(float(p.base_row_lower[standards].sum()), 1.0)
        for i in standards:
            j = p.add_column(0.0, INF, [i], [1.0])
            columns.append((j, "standards", int(i)))
            costs[j] = w["standards"] / scale
        safe = safe_rows(p)
        capped = np.concatenate(list(safe.values()) or [np.empty(0, dtype=np.int64)])
        x_coef = {i: (e[0][1] if e else 1.0) for i, e in safe_x_entries(p, capped).items()}
        existing: dict[str, float] = defaultdict(float)
        for (_holder, role), fte in list(d.staff_practice.items()) + list(d.staff_pcn.items()):
            existing[role] += fte
        scale = max(sum(d.contact_cap_per_fte[r] * max(existing[r], 1.0) for r in safe), 1.0)
        for i in capped:
            j = p.add_column(0.0, INF, [i], [-1.0])
            columns.append((j, "safe_working", int(i)))
            costs[j] = w["safe_working"] / scale / abs(x_coef[int(i)])
        p.set_objective(p.objective_vector(costs))
        outcome = p.solve()
        if outcome.col_value is None:
            result: dict[str, Any] = {"status": outcome.status, "weights": w, "violations": [], "sentences": []}
            return result, pd.DataFrame()
        x = outcome.col_value
        at = workforce_at(p, x)
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
                        "entity": wording.entity(key),
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
                        "entity": wording.entity(key),
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
                        "entity": wording.entity(key),
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
    sentences = wording.relaxation_sentences(table)
    result = {
        "status": outcome.status,
        "weights": w,
        "penalty": float(sum(costs[j] * x[j] for j in costs)),
        "violations": table.to_dict("records"),
        "sentences": sentences,
    }
    return clean_json(result), table
