"""Frontiers: best value against budget, least cost against the level of the standards.

``sweep(scenario, budget="START:STOP:N")`` re-solves the *same* compiled programme (one
``Highs`` instance, hot-started) at each budget with the ``max_value`` objective and reports
the best value and coverage; ``sweep(scenario, standards="START:STOP:N")`` re-solves with the
``min_cost`` objective at each fraction of every minimum standard. Only bounds change between
points; nothing is rebuilt. Both mark the least budget at which the spec becomes deliverable
(computed exactly by one more solve, not read off the grid).

In ``per_practice`` budget mode the budget sweep's values are the offer rate in £ per weighted
patient (each practice's budget is rate × its weighted list), and the mark is the least rate.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.scenario import Problem, Scenario, ScenarioInvalid
from models.standard_form import INF
from optimiser.deliverability import wording
from optimiser.deliverability.wording import money, percent
from optimiser.objectives import (
    highest_uniform_fraction,
    least_offer_rate,
    solve_for_value,
    spend_coefficients,
    spend_of,
    value_coefficients,
    value_of,
)
from optimiser.programme import Programme, SolveOutcome, solver_name
from optimiser.results import JobOutcome, clean_json

MAX_POINTS = 1000
_SUFFIX = {"": 1.0, "k": 1e3, "m": 1e6}


def parse_range(text: str, name: str) -> np.ndarray:
    """``START:STOP:N`` → N evenly spaced values from START to STOP inclusive (k/m suffixes allowed)."""

    def bad(message: str) -> ScenarioInvalid:
        return ScenarioInvalid([Problem("overrides", None, name, f"{message} (got {text!r}; expected START:STOP:N)")])

    parts = str(text).strip().split(":")
    if len(parts) != 3:
        raise bad("must have three parts")
    values = []
    for part in parts[:2]:
        match = re.fullmatch(r"\s*([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*([kKmM]?)\s*", part.replace(",", ""))
        if not match:
            raise bad(f"{part!r} is not a number")
        values.append(float(match.group(1)) * _SUFFIX[match.group(2).lower()])
    try:
        count = int(parts[2])
    except ValueError:
        raise bad(f"{parts[2]!r} is not a whole number of points") from None
    if not 1 <= count <= MAX_POINTS:
        raise bad(f"the number of points must be between 1 and {MAX_POINTS}")
    start, stop = values
    if start < 0 or stop < 0:
        raise bad("values must not be negative")
    if count == 1 and start != stop:
        raise bad("one point needs START equal to STOP")
    return np.linspace(start, stop, count)


def sweep(
    scenario: Scenario,
    budget: str | None = None,
    standards: str | None = None,
    progress: Any = None,
    programme: Programme | None = None,
) -> JobOutcome:
    """Run a budget or a standards sweep on one compiled programme."""
    if (budget is None) == (standards is None):
        raise ScenarioInvalid(
            [Problem("overrides", None, "budget", "give exactly one of budget or standards as START:STOP:N")]
        )
    values = parse_range(budget, "budget") if budget is not None else parse_range(str(standards), "standards")
    started = time.perf_counter()
    programme = programme or Programme(scenario)
    programme.progress, programme.started, programme.solves = progress, started, 0
    if budget is not None:
        result, table = budget_sweep(programme, values)
    else:
        result, table = standards_sweep(programme, values)
    statuses = set(table["status"]) if len(table) else set()
    result.update(
        {
            "kind": "sweep",
            "status": "time_limit" if "time_limit" in statuses else ("error" if "error" in statuses else "optimal"),
            "scenario_hash": scenario.scenario_hash,
            "solver": solver_name(),
            "is_mip": programme.is_mip,
            "solves": programme.solves,
            "compiled_once": True,
            "seconds": time.perf_counter() - started,
            "points": table.to_dict("records"),
        }
    )
    return JobOutcome(result=clean_json(result), tables={f"sweep_{result['sweep']}": table})


def _coverage(programme: Programme, x: np.ndarray) -> dict[str, float]:
    p = programme
    d = p.data
    covered: dict[str, float] = dict.fromkeys(d.services, 0.0)
    eligible: dict[str, float] = dict.fromkeys(d.services, 0.0)
    for j in p.cols("cov"):
        _practice, service = p.col_key[j]
        covered[service] += max(0.0, float(x[j]))
    for (_practice, service), e in d.eligible.items():
        eligible[service] += e
    total_e = sum(eligible.values())
    out = {"coverage": sum(covered.values()) / total_e if total_e > 0 else float("nan")}
    for s in d.services:
        out[f"coverage_{s}"] = covered[s] / eligible[s] if eligible[s] > 0 else float("nan")
    return out


def _point(programme: Programme, outcome: SolveOutcome, prefix: str = "") -> dict[str, Any]:
    if outcome.col_value is None:
        return {f"{prefix}status": outcome.status}
    x = outcome.col_value
    row = {
        f"{prefix}status": outcome.status,
        f"{prefix}value": value_of(programme, x),
        f"{prefix}spend_gbp": spend_of(programme, x),
    }
    row.update({prefix + k: v for k, v in _coverage(programme, x).items()})
    return row


def budget_sweep(programme: Programme, values: np.ndarray) -> tuple[dict[str, Any], pd.DataFrame]:
    """Best value (max_value) and coverage at each budget, with and without the minimum standards."""
    p = programme
    d = p.data
    settings = p.scenario.settings
    pooled = settings.budget_mode == "pooled"
    rows = p.rows("budget") if pooled else p.rows("practice_budget")
    scale = np.ones(len(rows)) if pooled else np.array([d.weighted_list[str(p.row_key[i])] for i in rows])
    column = "budget_gbp" if pooled else "offer_rate_gbp_per_weighted_patient"

    # The mark: least budget (pooled) or least offer rate (per_practice) at which the spec is deliverable.
    if pooled:
        with p.changes():
            p.relax_rows(rows)
            p.set_objective(p.objective_vector(base=spend_coefficients(p)))
            least = p.solve()
        marked = spend_of(p, least.col_value) if least.col_value is not None else None
    else:
        _outcome, marked = least_offer_rate(p)

    records: list[dict[str, Any]] = [{column: float(v)} for v in values]
    standard_rows = p.rows("min_standard")
    with p.changes():
        p.set_objective(p.objective_vector(base=value_coefficients(p)), maximise=True)
        # Warm re-solves skip presolve, so the single-variable rows (min_standard, max_coverage:
        # half the rows) are held as column bounds instead: the same LP, re-solved 3-6x faster.
        standard_cols = rows_as_column_bounds(p, np.concatenate([standard_rows, p.rows("max_coverage")]))
        # Each frontier's first point starts far from the previous basis (the least-spend mark's):
        # it is solved with the algorithm chosen for a cold max_value solve; later points only move
        # the budget bound and re-solve warm from the previous point's basis (dual simplex).
        for i, (record, v) in enumerate(zip(records, values, strict=True)):
            p.set_row_bounds(rows, -INF, v * scale)
            outcome = solve_for_value(p) if i == 0 else p.solve()
            record.update(_point(p, outcome))
            record["deliverable"] = outcome.status == "optimal"
        # The same frontier without the minimum standards: what the money buys below the mark.
        p.relax_rows(standard_rows)
        p.set_col_bounds(standard_cols, p.base_col_lower[standard_cols], p.col_upper[standard_cols])
        for i, (record, v) in enumerate(zip(records, values, strict=True)):
            p.set_row_bounds(rows, -INF, v * scale)
            outcome = solve_for_value(p) if i == 0 else p.solve()
            free = _point(p, outcome, "no_standards_")
            record.update(
                {k: free.get(k) for k in ("no_standards_status", "no_standards_value", "no_standards_coverage")}
            )
    table = pd.DataFrame(records)
    first = [column, "status", "deliverable", "value", "spend_gbp", "coverage"]
    table = table[[c for c in first if c in table] + [c for c in table if c not in first]]
    current = (
        float(settings.budget_gbp or 0.0) if pooled else float(settings.offer_rate_gbp_per_weighted_patient or 0.0)
    )
    result = {
        "sweep": "budget",
        "objective": "max_value",
        "x": column,
        "unit": "£/year" if pooled else "£ per weighted patient per year",
        "current": current,
        "marked": marked,
        "marked_label": wording.budget_sweep_mark_label(pooled),
        "summary": wording.budget_sweep_summary(pooled, current, marked),
    }
    return result, table


def rows_as_column_bounds(programme: Programme, rows: np.ndarray) -> np.ndarray:
    """Inside a ``changes()`` block: relax single-variable rows and put their bounds on the column.

    Rows with more than one entry are left as they are. Returns the columns that took a lower
    bound from one of these rows (so it can be lifted again, e.g. without the minimum standards).
    """
    entries = programme.row_entries(rows)
    single = [(i, e[0]) for i, e in entries.items() if len(e) == 1 and e[0][1] != 0]
    if not single:
        return np.empty(0, dtype=np.int64)
    row = np.array([i for i, _ in single], dtype=np.int64)
    col = np.array([c for _, (c, _a) in single], dtype=np.int64)
    coef = np.array([a for _, (_c, a) in single], dtype=float)
    with np.errstate(invalid="ignore"):
        low = np.where(coef > 0, programme.row_lower[row], programme.row_upper[row]) / coef
        high = np.where(coef > 0, programme.row_upper[row], programme.row_lower[row]) / coef
    low, high = np.nan_to_num(low, nan=-INF), np.nan_to_num(high, nan=INF)
    cols = np.unique(col)
    lower = pd.Series(programme.col_lower[cols], index=cols)
    upper = pd.Series(programme.col_upper[cols], index=cols)
    lower = np.maximum(lower, pd.Series(low).groupby(col).max().reindex(cols)).to_numpy()
    upper = np.minimum(upper, pd.Series(high).groupby(col).min().reindex(cols)).to_numpy()
    programme.set_col_bounds(cols, lower, upper)
    programme.relax_rows(row)
    raised = col[low > -INF]
    return np.unique(raised[programme.base_col_lower[raised] < programme.col_lower[raised]])


def standards_sweep(programme: Programme, fractions: np.ndarray) -> tuple[dict[str, Any], pd.DataFrame]:
    """Least cost (min_cost, budget rule lifted) of meeting each fraction of every minimum standard."""
    p = programme
    settings = p.scenario.settings
    pooled = settings.budget_mode == "pooled"
    budget_rows = p.rows("budget") if pooled else p.rows("practice_budget")
    budget = float(settings.budget_gbp or 0.0) if pooled else float(sum(p.data.practice_budget.values()))
    standard_rows = p.rows("min_standard")
    base_lower = p.base_row_lower[standard_rows]
    records: list[dict[str, Any]] = []
    with p.changes():
        p.set_objective(p.objective_vector(base=spend_coefficients(p)))
        p.relax_rows(budget_rows)
        for f in fractions:
            p.set_row_bounds(standard_rows, f * base_lower, INF)
            outcome = p.solve()
            record: dict[str, Any] = {"fraction": float(f)}
            record.update(_point(p, outcome))
            record["least_cost_gbp"] = record.pop("spend_gbp", None)
            if outcome.col_value is None:
                record["deliverable_at_budget"] = False
            elif pooled:
                record["deliverable_at_budget"] = record["least_cost_gbp"] <= budget * (1 + 1e-9) + 1e-6
            else:
                with p.changes():
                    p.set_row_bounds(budget_rows, p.base_row_lower[budget_rows], p.base_row_upper[budget_rows])
                    record["deliverable_at_budget"] = p.feasibility().status == "optimal"
            records.append(record)
        p.set_row_bounds(standard_rows, base_lower, INF)
        full = p.solve()
    marked = spend_of(p, full.col_value) if full.col_value is not None else None
    _outcome, highest = highest_uniform_fraction(p)
    table = pd.DataFrame(records)
    summary = wording.standards_sweep_summary(pooled, marked, budget, highest)
    result = {
        "sweep": "standards",
        "objective": "min_cost",
        "x": "fraction",
        "unit": "fraction of every minimum standard",
        "budget_gbp": budget,
        "marked": marked,
        "marked_label": wording.STANDARDS_SWEEP_MARK_LABEL,
        "highest_fraction_within_budget": highest,
        "summary": summary,
    }
    return result, table


# --------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------
def write_outputs(job: JobOutcome, out_dir: Path) -> dict[str, Path]:
    """Write the sweep's CSV, a PNG chart of the frontier and the result JSON into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = job.result["sweep"]
    table = job.tables[f"sweep_{kind}"]
    paths = {
        "csv": out_dir / f"sweep_{kind}.csv",
        "png": out_dir / f"sweep_{kind}.png",
        "json": out_dir / f"sweep_{kind}.json",
    }
    table.to_csv(paths["csv"], index=False)
    plot_frontier(job.result, table, paths["png"])
    paths["json"].write_text(json.dumps(job.result, indent=2, default=str), encoding="utf-8")
    return paths


def plot_frontier(result: dict[str, Any], table: pd.DataFrame, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    marked = result.get("marked")
    if result["sweep"] == "budget":
        pooled = result["x"] == "budget_gbp"
        largest = float(table[result["x"]].max()) if len(table) else 0.0
        if not pooled:
            scale, label = 1.0, "offer rate (£ per weighted patient)"
        elif largest >= 1e6:
            scale, label = 1e6, "budget (£m a year)"
        else:
            scale, label = 1e3, "budget (£k a year)"
        xs = table[result["x"]] / scale
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 7), sharex=True)
        spec = table["value"] if "value" in table else pd.Series(np.nan, index=table.index)
        top.plot(xs, spec, "o-", label="best value, minimum standards met")
        if "no_standards_value" in table:
            top.plot(xs, table["no_standards_value"], "--", color="grey", label="best value without minimum standards")
        top.set_ylabel("value (weighted patients covered)")
        if "coverage" in table:
            bottom.plot(xs, table["coverage"], "o-", label="all services")
        for column in table.columns:
            if column.startswith("coverage_"):
                bottom.plot(xs, table[column], ":", label=column[len("coverage_") :])
        bottom.set_ylabel("coverage (share of eligible patients)")
        bottom.set_xlabel(label)
        for axis in (top, bottom):
            if marked is not None:
                axis.axvline(marked / scale, color="red", linewidth=1.2)
            axis.axvline(result["current"] / scale, color="black", linestyle=":", linewidth=1, label="current")
            axis.grid(alpha=0.3)
        if marked is not None:
            text = money(marked) if pooled else f"{money(marked)}/wp"
            top.annotate(
                f"deliverable from {text}",
                xy=(marked / scale, 0.95),
                xycoords=("data", "axes fraction"),
                color="red",
                ha="left",
                va="top",
            )
        top.legend(loc="lower right", fontsize=8)
        bottom.legend(loc="lower right", fontsize=8)
        top.set_title("Best value against budget")
    else:
        fig, axis = plt.subplots(figsize=(8, 5))
        axis.plot(table["fraction"] * 100, table["least_cost_gbp"] / 1e6, "o-", label="least cost")
        axis.axhline(result["budget_gbp"] / 1e6, color="black", linestyle=":", label="budget")
        if marked is not None:
            axis.plot(
                [100], [marked / 1e6], "r*", markersize=14, label=f"full standards: deliverable from {money(marked)}"
            )
        highest = result.get("highest_fraction_within_budget")
        if highest is not None:
            axis.axvline(highest * 100, color="green", linewidth=1, label=f"within budget up to {percent(highest)}")
        axis.set_xlabel("share of every minimum standard (%)")
        axis.set_ylabel("least cost (£m a year)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
        axis.set_title("Least cost against the level of the minimum standards")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
