"""What a run returns: ``JobOutcome``, the solve result JSON, and the result tables.

Every number here is read from a solution vector; nothing is estimated.

Tables (column contracts):
  practices:  practice_id, pcn_id, list_size, weighted_list_size, spend_gbp,
              spend_gbp_per_weighted_patient, budget_gbp (per_practice mode only),
              arrs_claim_gbp, new_fte, total_fte, gp_fte, gp_fte_per_10k_weighted,
              new_fte_per_1k_weighted, coverage (value-weighted share of eligible patients
              covered, docs/fairness.md); where practices carry prior_funding_gbp:
              prior_funding_gbp, prior_funding_gbp_per_weighted_patient, change_gbp,
              change_gbp_per_weighted_patient; with a practice floor: floor_gbp; where they
              carry imd_score: imd_score, imd_quintile (1 = most deprived)
  practice_services: practice_id, service_id, eligible_patients, covered_patients,
              coverage, min_coverage, min_patients, meets_standard, coverage_above_standard
  practice_roles: practice_id, role_id, existing_fte, deployed_pcn_fte, new_fte,
              total_fte, clinical_hours_used, clinical_hours_available,
              clinical_time_used_share, contacts, contacts_per_fte_day,
              max_contacts_per_day
  activity:   service_id, role_id, contacts, clinical_hours
  pcns:       pcn_id, arrs_entitlement_gbp, headroom_gbp, arrs_claimed_gbp,
              headroom_used_share
  hires:      role_id, category, new_fte, cost_gbp, supply_max_fte
  binding:    rule, rows, binding_rows
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.formulation import MINUTES_PER_HOUR, ProgrammeData
from models.scenario import Scenario
from models.standard_form import INF
from optimiser.programme import Programme, SolveOutcome, solver_name

# Rows within this relative distance of their bound count as binding.
BINDING_TOLERANCE = 1e-7
# Rule families that are definitions (equalities), never "binding" in the business sense.
DEFINITION_RULES = {"activity", "hiring_step"}


@dataclass
class JobOutcome:
    """A run's answer: ``result`` is JSON-serialisable and always has ``status``; ``tables`` are result tables."""

    result: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


def clean_json(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, keys to strings."""
    if isinstance(value, dict):
        return clean_json_object(value)
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def clean_json_object(value: dict[Any, Any]) -> dict[str, Any]:
    """``clean_json`` of a dict, typed as the JSON object it is."""
    return {str(k): clean_json(v) for k, v in value.items()}


def solve_result(scenario: Scenario, programme: Programme, outcome: SolveOutcome, started: float) -> JobOutcome:
    """The JSON result and tables of a solve."""
    tables: dict[str, pd.DataFrame] = {}
    summary: dict[str, Any] | None = None
    if outcome.has_solution:
        tables = result_tables(programme, outcome)
        summary = kpis(programme, tables)
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
        "objective_value": _no_round_off(outcome.objective_value),
        "deliverable": deliverable,
        "is_mip": programme.is_mip,
        "mip_gap": outcome.mip_gap,
        "kpis": summary,
        "solve_seconds": outcome.solve_seconds,
        "timings": {**programme.timings, "solve": outcome.solve_seconds, "total": time.perf_counter() - started},
        "solver": solver_name(),
        "scenario_hash": scenario.scenario_hash,
        "size": {"rows": programme.num_rows, "columns": programme.num_cols},
        "engine": programme.engine,
    }
    return JobOutcome(result=result, tables=tables)


def result_tables(programme: Programme, outcome: SolveOutcome) -> dict[str, pd.DataFrame]:
    """All result tables for a solve that has a solution."""
    assert outcome.col_value is not None and outcome.row_value is not None
    scenario = programme.scenario
    d = programme.data
    x = outcome.col_value
    cov = programme.column_values("cov", x)
    hires = programme.column_values("h", x)
    deployed = programme.column_values("e", x)
    claim = programme.column_values("claim", x).reindex(d.practices, fill_value=0.0)
    contacts = programme.column_values("x", x)

    roles = scenario.roles
    # practice × role frame
    pr_index = pd.MultiIndex.from_product([d.practices, d.roles], names=["practice_id", "role_id"])
    pr = pd.DataFrame(index=pr_index)
    pr["existing_fte"] = pd.Series(d.staff_practice, dtype=float).reindex(pr_index, fill_value=0.0).to_numpy()
    pr["deployed_pcn_fte"] = deployed.reindex(pr_index, fill_value=0.0).to_numpy()
    pr["new_fte"] = hires.reindex(pr_index, fill_value=0.0).clip(lower=0.0).to_numpy()
    pr["total_fte"] = pr["existing_fte"] + pr["deployed_pcn_fte"] + pr["new_fte"]

    # Contacts by (practice, service, role), grouped by index levels: columns of ids for every
    # row (~600k at England) would cost ~50 MB while the solver still holds its memory.
    delivery = contacts.clip(lower=0.0).rename("contacts").to_frame()
    delivery.index = delivery.index.set_names(["practice_id", "service_id", "role_id"])
    minutes = pd.Series(d.skill_minutes, dtype=float)
    delivery["clinical_hours"] = (
        delivery["contacts"].to_numpy()
        * minutes.reindex(delivery.index.droplevel("practice_id")).to_numpy()
        / MINUTES_PER_HOUR
    )
    by_pr = delivery.groupby(level=["practice_id", "role_id"])[["contacts", "clinical_hours"]].sum()
    activity = (
        delivery.groupby(level=["service_id", "role_id"], sort=False)[["contacts", "clinical_hours"]]
        .sum()
        .reset_index()
    )
    del contacts, delivery  # done with the largest family before the other tables are made
    pr["clinical_hours_used"] = by_pr["clinical_hours"].reindex(pr_index, fill_value=0.0).to_numpy()
    hours_per_fte = roles["clinical_hours_per_fte"].reindex(pr_index.get_level_values("role_id")).to_numpy()
    pr["clinical_hours_available"] = hours_per_fte * pr["total_fte"].to_numpy()
    pr["clinical_time_used_share"] = _share(pr["clinical_hours_used"], pr["clinical_hours_available"])
    pr["contacts"] = by_pr["contacts"].reindex(pr_index, fill_value=0.0).to_numpy()
    days = roles["working_days_per_fte"].reindex(pr_index.get_level_values("role_id")).to_numpy()
    pr["contacts_per_fte_day"] = _share(pr["contacts"], pr["total_fte"] * days)
    pr["max_contacts_per_day"] = roles["max_contacts_per_day"].reindex(pr_index.get_level_values("role_id")).to_numpy()
    pr = pr.reset_index()

    # practice × service frame
    ps_index = pd.MultiIndex.from_product([d.practices, d.services], names=["practice_id", "service_id"])
    ps = pd.DataFrame(index=ps_index)
    ps["eligible_patients"] = pd.Series(d.eligible, dtype=float).reindex(ps_index).to_numpy()
    ps["covered_patients"] = cov.reindex(ps_index, fill_value=0.0).clip(lower=0.0).to_numpy()
    ps["coverage"] = _share(ps["covered_patients"], ps["eligible_patients"])
    ps["min_coverage"] = scenario.services["min_coverage"].reindex(ps_index.get_level_values("service_id")).to_numpy()
    ps["min_patients"] = ps["min_coverage"] * ps["eligible_patients"]
    ps["meets_standard"] = ps["covered_patients"] >= ps["min_patients"] * (1 - 1e-6) - 1e-6
    ps["coverage_above_standard"] = ps["coverage"] - ps["min_coverage"]
    ps = ps.reset_index()

    # practices
    cost = pd.Series(d.cost, dtype=float)
    pr_cost = pr["new_fte"].to_numpy() * cost.reindex(pr["role_id"]).to_numpy()
    hire_cost = pd.Series(pr_cost).groupby(pr["practice_id"].to_numpy()).sum().reindex(d.practices)
    practices = scenario.practices[["practice_id", "pcn_id", "list_size", "weighted_list_size"]].reset_index(drop=True)
    practices["spend_gbp"] = (hire_cost - claim).to_numpy()
    practices["spend_gbp_per_weighted_patient"] = practices["spend_gbp"] / practices["weighted_list_size"]
    if d.practice_budget:
        practices["budget_gbp"] = pd.Series(d.practice_budget).reindex(d.practices).to_numpy()
    practices["arrs_claim_gbp"] = claim.to_numpy()
    grouped = pr.groupby("practice_id")
    practices["new_fte"] = grouped["new_fte"].sum().reindex(d.practices).to_numpy()
    practices["total_fte"] = grouped["total_fte"].sum().reindex(d.practices).to_numpy()
    gp = pr[pr["role_id"].isin(d.gp_roles)].groupby("practice_id")["total_fte"].sum()
    practices["gp_fte"] = gp.reindex(d.practices, fill_value=0.0).to_numpy()
    practices["gp_fte_per_10k_weighted"] = practices["gp_fte"] / practices["weighted_list_size"] * 10_000
    add_distribution_columns(practices, ps, scenario, d)

    pcn_claim = claim.groupby(pd.Series(d.pcn_of)).sum()
    pcns = pd.DataFrame({"pcn_id": d.pcns})
    pcns["arrs_entitlement_gbp"] = scenario.pcns["arrs_entitlement_gbp"].reindex(d.pcns).to_numpy()
    pcns["headroom_gbp"] = pd.Series(d.headroom).reindex(d.pcns).to_numpy()
    pcns["arrs_claimed_gbp"] = pcn_claim.reindex(d.pcns, fill_value=0.0).to_numpy()
    pcns["headroom_used_share"] = _share(pcns["arrs_claimed_gbp"], pcns["headroom_gbp"])

    new_by_role = pr.groupby("role_id")["new_fte"].sum().reindex(d.roles, fill_value=0.0)
    hires_table = pd.DataFrame(
        {
            "role_id": d.roles,
            "category": roles["category"].reindex(d.roles).to_numpy(),
            "new_fte": new_by_role.to_numpy(),
            "cost_gbp": new_by_role.to_numpy() * cost.reindex(d.roles).to_numpy(),
            "supply_max_fte": roles["supply_max_fte"].reindex(d.roles).to_numpy(),
        }
    )

    return {
        "practices": practices,
        "practice_services": ps,
        "practice_roles": pr,
        "activity": activity,
        "pcns": pcns,
        "hires": hires_table,
        "binding": binding_rules(programme, outcome),
    }


# The tables of a solve with a solution (``result_tables``), each written as NAME.csv and a sheet.
SOLVE_TABLES = ("practices", "practice_services", "practice_roles", "activity", "pcns", "hires", "binding")


def binding_rules(programme: Programme, outcome: SolveOutcome) -> pd.DataFrame:
    """Per rule family: how many of its inequality rows sit at their bound in this solution."""
    assert outcome.row_value is not None
    lower, upper = programme.row_lower, programme.row_upper
    activity = outcome.row_value
    slack_to_upper = np.where(upper < INF, upper - activity, np.inf)
    slack_to_lower = np.where(lower > -INF, activity - lower, np.inf)
    scale = np.maximum(1.0, np.abs(np.where(upper < INF, upper, np.where(lower > -INF, lower, 0.0))))
    tight = np.minimum(slack_to_upper, slack_to_lower) <= BINDING_TOLERANCE * scale
    records = []
    for rule in programme.rules_present():
        if rule in DEFINITION_RULES:
            continue
        rows = programme.rows(rule)
        records.append({"rule": rule, "rows": len(rows), "binding_rows": int(tight[rows].sum())})
    return pd.DataFrame(records, columns=["rule", "rows", "binding_rows"])


def kpis(programme: Programme, tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Headline figures: spend, value, coverage by service, new FTE by role, binding rules."""
    d = programme.data
    ps = tables["practice_services"]
    by_service = ps.groupby("service_id", sort=False)[["eligible_patients", "covered_patients", "min_patients"]].sum()
    coverage = {
        s: {
            "eligible_patients": round(float(row.eligible_patients), 3),
            "covered_patients": round(float(row.covered_patients), 3),
            "coverage": _ratio(row.covered_patients, row.eligible_patients),
            "min_coverage": d.min_coverage[s],
        }
        for s, row in by_service.iterrows()
    }
    value = float((ps["covered_patients"] * ps["service_id"].map(d.value_weight)).sum())
    total_spend = float(tables["practices"]["spend_gbp"].sum())
    result: dict[str, Any] = {
        "total_spend_gbp": total_spend,
        "total_value": value,
        "budget_mode": programme.scenario.settings.budget_mode,
        "new_fte_by_role": {
            r: float(v) for r, v in zip(tables["hires"]["role_id"], tables["hires"]["new_fte"], strict=True)
        },
        "new_fte_total": float(tables["hires"]["new_fte"].sum()),
        "arrs_claimed_gbp": float(tables["pcns"]["arrs_claimed_gbp"].sum()),
        "coverage_by_service": coverage,
        "binding_rules": [
            {"rule": r.rule, "binding_rows": r.binding_rows, "rows": r.rows}
            for r in tables["binding"].itertuples()
            if r.binding_rows > 0
        ],
    }
    result["distribution"] = distribution(tables["practices"])
    budget = programme.scenario.settings.budget_gbp
    if programme.scenario.settings.budget_mode == "pooled" and budget is not None:
        result["budget_gbp"] = float(budget)
        result["budget_used_share"] = _ratio(total_spend, budget)
    else:
        result["budget_gbp"] = float(sum(d.practice_budget.values()))
    return result


# --------------------------------------------------------------------------------------
# Fair shares: the distribution of money and coverage across practices (docs/fairness.md)
# --------------------------------------------------------------------------------------
QUINTILES = 5
# Per-practice figures (and an objective value) closer to zero than this are solver round-off and shown as 0.
ZERO_TOLERANCE = 1e-9


def _no_round_off(value: float | None) -> float | None:
    """An objective value, with a solver's round-off at zero (a least spend of -4e-12) as 0."""
    return 0.0 if value is not None and abs(value) < ZERO_TOLERANCE else value


def practice_coverage(ps: pd.DataFrame, d: ProgrammeData) -> pd.Series:
    """coverage[p] = Σ_s value_weight[s] × covered[p,s] / Σ_s value_weight[s] × eligible[p,s] (NaN if 0)."""
    weight = ps["service_id"].map(d.value_weight).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "practice_id": ps["practice_id"].to_numpy(),
            "value": weight * ps["covered_patients"].to_numpy(dtype=float),
            "potential": weight * ps["eligible_patients"].to_numpy(dtype=float),
        }
    )
    sums = frame.groupby("practice_id", sort=False)[["value", "potential"]].sum().reindex(d.practices)
    return pd.Series(_share(sums["value"], sums["potential"]), index=d.practices)


def imd_quintiles(scores: pd.Series) -> pd.Series:
    """Quintile of each practice's imd_score among the scenario's practices: 1 = most deprived (highest score).

    Practices are ranked by score (highest first, ties by input order); rank i of n (0-based) falls in
    quintile floor(5 i / n) + 1. Practices without a score get NaN.
    """
    known = scores.dropna()
    quintile = pd.Series(np.nan, index=scores.index)
    if len(known):
        order = known.sort_values(ascending=False, kind="stable").index
        quintile.loc[order] = np.floor(QUINTILES * np.arange(len(order)) / len(order)) + 1
    return quintile


def add_distribution_columns(practices: pd.DataFrame, ps: pd.DataFrame, scenario: Any, d: ProgrammeData) -> None:
    """Per-practice fair-shares columns (added in place to the practices table)."""
    weighted = practices["weighted_list_size"].to_numpy(dtype=float)
    practices["new_fte_per_1k_weighted"] = practices["new_fte"].to_numpy(dtype=float) / weighted * 1_000
    practices["coverage"] = practice_coverage(ps, d).to_numpy()
    source = scenario.practices
    if source["prior_funding_gbp"].notna().any():
        prior = source["prior_funding_gbp"].reindex(d.practices).to_numpy(dtype=float)
        practices["prior_funding_gbp"] = prior
        practices["prior_funding_gbp_per_weighted_patient"] = prior / weighted
        practices["change_gbp"] = practices["spend_gbp"].to_numpy(dtype=float) - prior
        practices["change_gbp_per_weighted_patient"] = practices["change_gbp"].to_numpy(dtype=float) / weighted
    if d.practice_floor:
        practices["floor_gbp"] = pd.Series(d.practice_floor).reindex(d.practices, fill_value=0.0).to_numpy()
    if source["imd_score"].notna().any():
        scores = source["imd_score"].reindex(d.practices)
        practices["imd_score"] = scores.to_numpy(dtype=float)
        practices["imd_quintile"] = imd_quintiles(scores).to_numpy()


def weighted_gini(values: np.ndarray, weights: np.ndarray) -> float | None:
    """Gini coefficient of ``values`` over a population where value i is held by weight i.

    G = Σ_i Σ_j w_i w_j |x_i − x_j| / (2 W² μ), μ = Σ w x / W; computed in O(n log n) from the
    sorted values. None when there is nothing to share (μ ≤ 0) or no weight.
    """
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = ~np.isnan(x) & (w > 0)
    x, w = x[keep], w[keep]
    total = w.sum()
    if total <= 0:
        return None
    mean = float((w * x).sum() / total)
    if mean <= 1e-12:
        return None
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    cumulative = np.cumsum(w)
    pairs = float((w * x * (2 * cumulative - w - total)).sum())
    return max(0.0, float(pairs / (total * total * mean)))


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float | None:
    """The smallest value at which the cumulative weight share reaches ``q`` (0 < q ≤ 1)."""
    x = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    keep = ~np.isnan(x) & (w > 0)
    x, w = x[keep], w[keep]
    if not len(x):
        return None
    order = np.argsort(x, kind="stable")
    x, w = x[order], w[order]
    share = np.cumsum(w) / w.sum()
    return float(x[min(int(np.searchsorted(share, q - 1e-12)), len(x) - 1)])


def spread(practices: pd.DataFrame, column: str) -> dict[str, Any]:
    """Lowest and highest practice, population-weighted mean, Gini and 90/10 ratio of one per-practice figure.

    Weights are weighted list sizes (each weighted patient counts once).
    """
    values = practices[column].to_numpy(dtype=float)
    values = np.where(np.abs(values) < ZERO_TOLERANCE, 0.0, values)  # solver round-off, not money: no "-£0.00"
    weights = practices["weighted_list_size"].to_numpy(dtype=float)
    known = ~np.isnan(values)
    if not known.any():
        return {"practices": 0}
    ids = practices["practice_id"].to_numpy()[known]
    shown = values[known]
    low, high = int(np.argmin(shown)), int(np.argmax(shown))
    # How many practices tie for the lowest (highest): the one named is one of them (audit 10, #10).
    tie = ZERO_TOLERANCE * np.maximum(1.0, np.abs(shown))
    p10 = weighted_percentile(values, weights, 0.1)
    p90 = weighted_percentile(values, weights, 0.9)
    return {
        "practices": int(known.sum()),
        "min": float(shown[low]),
        "min_practice_id": str(ids[low]),
        "min_practices": int((shown - shown[low] <= tie).sum()),
        "max": float(shown[high]),
        "max_practice_id": str(ids[high]),
        "max_practices": int((shown[high] - shown <= tie).sum()),
        "mean": float((shown * weights[known]).sum() / weights[known].sum()),
        "gini": weighted_gini(values, weights),
        "p10": p10,
        "p90": p90,
        "ratio_90_10": (p90 / p10) if p10 is not None and p90 is not None and p10 > 1e-12 else None,
    }


def distribution(practices: pd.DataFrame) -> dict[str, Any]:
    """Summary of who gets what: £ per weighted patient and coverage across practices, by IMD quintile if given."""
    result: dict[str, Any] = {
        "spend_gbp_per_weighted_patient": spread(practices, "spend_gbp_per_weighted_patient"),
        "new_fte_per_1k_weighted": spread(practices, "new_fte_per_1k_weighted"),
        "coverage": spread(practices, "coverage"),
    }
    if "prior_funding_gbp" in practices:
        known = practices[practices["prior_funding_gbp"].notna()]
        change = known["change_gbp"].to_numpy(dtype=float)
        scale = np.maximum(1.0, known["prior_funding_gbp"].to_numpy(dtype=float))
        losing = change < -1e-6 * scale
        result["prior_funding"] = {
            "practices_with_prior": len(known),
            "prior_funding_gbp": float(known["prior_funding_gbp"].sum()),
            "spend_gbp": float(known["spend_gbp"].sum()),
            "practices_below_prior": int(losing.sum()),
            "total_below_prior_gbp": float(-change[losing].sum()) if losing.any() else 0.0,
            "change_gbp_per_weighted_patient": spread(known, "change_gbp_per_weighted_patient"),
        }
    if "imd_quintile" in practices:
        rows = []
        for quintile, group in practices.dropna(subset=["imd_quintile"]).groupby("imd_quintile"):
            weighted = float(group["weighted_list_size"].sum())
            coverage = group["coverage"].to_numpy(dtype=float)
            rows.append(
                {
                    "imd_quintile": int(quintile),
                    "practices": len(group),
                    "weighted_patients": weighted,
                    "spend_gbp": float(group["spend_gbp"].sum()),
                    "spend_gbp_per_weighted_patient": float(group["spend_gbp"].sum()) / weighted,
                    "new_fte_per_1k_weighted": float(group["new_fte"].sum()) / weighted * 1_000,
                    "coverage_mean": spread(group, "coverage").get("mean"),
                    "coverage_min": float(np.nanmin(coverage)) if (~np.isnan(coverage)).any() else None,
                }
            )
        result["by_imd_quintile"] = rows
    return result


def _share(numerator: pd.Series | np.ndarray, denominator: pd.Series | np.ndarray) -> np.ndarray:
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    out = np.full_like(num, np.nan)
    np.divide(num, den, out=out, where=den > 1e-12)
    return out


def _ratio(numerator: float, denominator: float) -> float | None:
    return float(numerator) / float(denominator) if denominator > 1e-12 else None
