"""Frontiers: best value against budget, least cost against the level of the standards.

``sweep(scenario, budget="START:STOP:N")`` re-solves the *same* compiled programme (one
``Highs`` instance, hot-started) at each pooled budget with the ``max_value`` objective and
reports the best value and coverage; ``sweep(scenario, offer_rate="START:STOP:N")`` does the same
at each offer rate in £ per weighted patient (``per_practice``: each practice's budget is rate ×
its weighted list); ``sweep(scenario, standards="START:STOP:N")`` re-solves with the ``min_cost``
objective at each fraction of every minimum standard. Only bounds change between points; nothing
is rebuilt. Each marks the least budget (or offer rate) at which the spec becomes deliverable
(computed exactly by one more solve, not read off the grid).

``budget`` means a pooled budget whatever the scenario's mode, as in a solve or a check, and
``offer_rate`` an offer rate: the scenario must be in that budget mode (``optimiser.runs`` switches
it, as ``budget_gbp`` and ``offer_rate_gbp_per_weighted_patient`` do).
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from models.scenario import Problem, Scenario, ScenarioInvalid
from models.schema import OFFER_SETTINGS
from models.standard_form import INF
from optimiser import objectives
from optimiser.deliverability import wording
from optimiser.io import result_csv_bytes
from optimiser.objectives import (
    highest_uniform_fraction,
    least_cost_plan,
    least_offer_rate,
    least_spend_at_best_value,
    solve_for_value,
    spend_coefficients,
    spend_of,
    spends_beyond,
    value_coefficients,
    value_of,
)
from optimiser.programme import Programme, SolveOutcome, side_by_side, solver_name
from optimiser.results import JobOutcome, clean_json_object
from optimiser.units import SWEEP_RANGES, parse_range


def sweep(
    scenario: Scenario,
    budget: str | None = None,
    standards: str | None = None,
    progress: Any = None,
    programme: Programme | None = None,
    engine: str = "arrays",
    offer_rate: str | None = None,
    offer_written: bool = True,
) -> JobOutcome:
    """Run a budget, offer-rate or standards sweep: each frontier re-solved hot on one compiled programme.

    ``programmes_compiled`` in the result counts the programmes built (a budget sweep's frontier
    without the standards has its own, see ``budget_sweep``); ``solves`` counts every solve.
    ``offer_written``: whether the scenario's offer in the swept mode is the user's (False: filled
    in for validation, so no current offer is marked).
    """
    ranges = {"budget": budget, "offer_rate": offer_rate, "standards": standards}
    given = [name for name, text in ranges.items() if text is not None]
    if len(given) != 1:
        message = "give exactly one of budget, offer_rate or standards as START:STOP:N"
        raise ScenarioInvalid([Problem("overrides", None, "budget", message)])
    name = given[0]
    values = parse_range(str(ranges[name]), name)
    mode = SWEEP_RANGES[name]
    if mode is not None and scenario.settings.budget_mode != mode:
        message = f"a {name} sweep needs the scenario in the {mode} budget mode (it is {scenario.settings.budget_mode})"
        raise ScenarioInvalid([Problem("overrides", None, name, message)])
    started = time.perf_counter()
    programme = programme or Programme(scenario, engine=engine)
    programme.progress, programme.started, programme.solves = progress, started, 0
    if mode is not None:
        result, table = budget_sweep(programme, values, offer_written)
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
            "seconds": time.perf_counter() - started,
            "points": table.to_dict("records"),
        }
    )
    return JobOutcome(result=clean_json_object(result), tables={table_name(result["sweep"]): table})


def _coverage(programme: Programme, x: np.ndarray) -> dict[str, float]:
    p = programme
    services = list(p.data.services)
    cov_service, eligible = p.memo(_coverage_terms)
    # bincount adds in column order, as a loop would: the same sums to the last bit.
    covered = np.bincount(cov_service, weights=np.maximum(0.0, x[p.cols("cov")]), minlength=len(services))
    total_e = sum(eligible.tolist())
    out = {"coverage": sum(covered.tolist()) / total_e if total_e > 0 else float("nan")}
    for k, s in enumerate(services):
        out[f"coverage_{s}"] = float(covered[k] / eligible[k]) if eligible[k] > 0 else float("nan")
    return out


def _coverage_terms(programme: Programme) -> tuple[np.ndarray, np.ndarray]:
    """Each cov column's service (as a position in ``data.services``) and the eligible patients by service."""
    d = programme.data
    position = {s: k for k, s in enumerate(d.services)}
    cov_service = np.array([position[key[1]] for key in programme.col_key.at(programme.cols("cov"))], dtype=np.int64)
    keys = list(d.eligible)
    eligible = np.bincount(
        np.array([position[service] for _practice, service in keys], dtype=np.int64),
        weights=np.array([d.eligible[key] for key in keys], dtype=float),
        minlength=len(d.services),
    )
    return cov_service, eligible


def _point(programme: Programme, outcome: SolveOutcome, prefix: str = "") -> dict[str, Any]:
    if outcome.col_value is None:
        return {f"{prefix}status": outcome.status}
    x = outcome.col_value
    value = value_of(programme, x)
    # The value as a share of covering every eligible patient: what the frontier maximises, read as coverage.
    full = programme.memo(_full_value)
    row = {
        f"{prefix}status": outcome.status,
        f"{prefix}value": value,
        f"{prefix}spend_gbp": spend_of(programme, x),
        f"{prefix}weighted_coverage": value / full if full > 0 else float("nan"),
    }
    row.update({prefix + k: v for k, v in _coverage(programme, x).items()})
    return row


def _full_value(programme: Programme) -> float:
    """The value of covering every eligible patient: Σ over services of value weight × eligible patients."""
    _cov_service, eligible = programme.memo(_coverage_terms)
    weights = [programme.data.value_weight[s] for s in programme.data.services]
    return float(sum((np.asarray(weights, dtype=float) * eligible).tolist()))


def budget_sweep(
    programme: Programme, values: np.ndarray, offer_written: bool = True
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Best value (max_value) and coverage at each budget, with and without the minimum standards.

    When the scenario's objective is ``max_min_coverage`` (fair shares, docs/fairness.md), each point
    is instead the highest lowest-practice coverage at that budget (column ``lowest_coverage``), then
    the least spend at it, as a solve does.
    """
    p = programme
    d = p.data
    settings = p.scenario.settings
    fair = settings.objective == "max_min_coverage"
    pooled = settings.budget_mode == "pooled"
    rows = p.rows("budget") if pooled else p.rows("practice_budget")
    scale = np.ones(len(rows)) if pooled else np.array([d.weighted_list[str(p.row_key[i])] for i in rows])
    column = OFFER_SETTINGS[settings.budget_mode]

    def marked_and_frontier() -> tuple[tuple[str, float | None], list[dict[str, Any]]]:
        # The mark: least budget (pooled) or least offer rate (per_practice) at which the spec is deliverable.
        # Only a proved least: a plan stopped at the time limit spends more than the least budget may.
        if pooled:
            least = least_cost_plan(p)
            marked = spend_of(p, least.col_value) if least.col_value is not None else None
        else:
            least, marked = least_offer_rate(p)
        marked = marked if least.status == "optimal" else None
        return (least.status, marked), _frontier(p, values, rows, scale, fair, with_standards=True)

    copies: list[Programme] = []

    def frontier_without_standards() -> list[dict[str, Any]]:
        copies.append(p.fresh_copy())
        return _frontier(copies[0], values, rows, scale, fair, with_standards=False)

    # The frontier without the standards is independent of the rest: it is solved on its own
    # copy of the programme, beside this one when there is a second core. It is one answer
    # either way, as the copy always starts from the scenario's own model.
    ((mark_status, marked), with_standards), without_standards = side_by_side(
        marked_and_frontier, frontier_without_standards
    )
    p.solves += sum(copy.solves for copy in copies)
    records: list[dict[str, Any]] = [{column: float(v)} for v in values]
    # Fair shares: the highest lowest coverage without the standards too, as the max_value frontier's
    # value without them (a max_value sweep has no such column).
    free_keys = ["no_standards_status", *(["no_standards_lowest_coverage"] if fair else [])]
    free_keys += ["no_standards_value", "no_standards_weighted_coverage", "no_standards_coverage"]
    for record, point, free in zip(records, with_standards, without_standards, strict=True):
        record.update(point)
        record.update({k: free.get(k) for k in free_keys})
    table = pd.DataFrame(records)
    first = [column, "status", "deliverable", "lowest_coverage", "value", "spend_gbp", "weighted_coverage", "coverage"]
    table = table[[c for c in first if c in table] + [c for c in table if c not in first]]
    offer = settings.budget_gbp if pooled else settings.offer_rate_gbp_per_weighted_patient
    current = float(offer) if offer_written and offer is not None else None
    missing = unanswered(records, column)
    result = {
        # Named by the range swept, as its table and files are (sweep_budget.*, sweep_offer_rate.*).
        "sweep": "budget" if pooled else "offer_rate",
        "objective": "max_min_coverage" if fair else "max_value",
        "x": column,
        "unit": "£/year" if pooled else "£ per weighted patient per year",
        "current": current,
        "marked": marked,
        "marked_label": wording.budget_sweep_mark_label(pooled),
        "programmes_compiled": 1 + len(copies),
        # What the chart calls each service: its name where the scenario gives one, else its id.
        "service_names": {str(s): wording.Names.of(p.scenario).service(s) for s in d.services},
        "summary": wording.budget_sweep_summary(pooled, current, marked, mark_status, missing, len(records)),
    }
    return result, table


def _frontier(
    programme: Programme, values: np.ndarray, rows: np.ndarray, scale: np.ndarray, fair: bool, with_standards: bool
) -> list[dict[str, Any]]:
    """Best value (or, ``fair``, the highest lowest coverage) at each budget, with or without the standards.

    The first point starts far from any basis: it is solved from cold (``_first_point``). Later
    points only move the budget bound and re-solve warm from the previous point's basis (dual
    simplex). Warm re-solves skip presolve, so the single-variable rows (min_standard,
    max_coverage: half the rows) are held as column bounds: the same LP, re-solved 3-6x faster.
    """
    p = programme
    # Under max_min_coverage the programme's own cost vector is the lowest_coverage column.
    objective = p.base_cost if fair else value_coefficients(p)
    standard_rows = p.rows("min_standard")
    points: list[dict[str, Any]] = []
    with p.changes():
        p.set_objective(p.objective_vector(base=objective), maximise=True)
        if with_standards:
            rows_as_column_bounds(p, np.concatenate([standard_rows, p.rows("max_coverage")]))
        else:
            p.relax_rows(standard_rows)
            rows_as_column_bounds(p, p.rows("max_coverage"))
        clock = _PointClock(p)
        for i, v in enumerate(values):
            p.set_row_bounds(rows, -INF, v * scale)
            with clock.point():
                outcome = _first_point(p, with_standards) if i == 0 else p.solve()
            clock.after(outcome)
            if not with_standards:
                free = _point(p, outcome, "no_standards_")
                if fair and outcome.status == "optimal":
                    # What the fair-shares solve maximised, with the standards lifted: the highest lowest coverage.
                    free["no_standards_lowest_coverage"] = outcome.objective_value
                points.append(free)
                continue
            point: dict[str, Any] = {}
            if fair and outcome.status == "optimal":
                outcome = least_spend_at_best_value(p, outcome, None)
                point["lowest_coverage"] = outcome.objective_value
            point.update(_point(p, outcome))
            point["deliverable"] = _found(outcome)
            points.append(point)
    return points


def _found(outcome: SolveOutcome) -> bool | None:
    """Whether a solve found the spec deliverable: True with a solution (optimal or not, every
    solution keeps every rule), False when proved infeasible, None when it has no answer (it
    stopped at its time limit without a solution, or the solver failed): unknown, never "no"."""
    if outcome.col_value is not None:
        return True
    return False if outcome.status == "infeasible" else None


class _PointClock:
    """The time limit of a sweep's points: per solve, as for ``commission solve`` (docs/batch.md).

    * A point solved by more than one HiGHS run (a large LP's first point: a Lagrangian start's
      search, then primal simplex, or interior point if no start is found) shares one limit
      (``Programme.time_budget``), so no point runs for more than the limit.
    * A point that stops at its limit inside presolve's reduced problem leaves no basis, so without
      care every later point starts from cold again and stops at the same limit: one slow cold
      solve (the first point's) left every point of the sweep without an answer. After such a
      point the rest of the frontier is solved without presolve: a stop then keeps the simplex
      basis reached, and the next point carries on from it. A sweep whose points all answer in
      time never gets here, and solves as before.
    * A MIP (whole-step hiring) keeps presolve: its branch and bound has no basis to carry on
      from, and without presolve each point searches the full model (15,202 rows against
      6,886 for whole-step example_icb).
    """

    def __init__(self, programme: Programme) -> None:
        self.programme = programme
        self.limit = float(programme.time_limit_s or programme.scenario.settings.time_limit_s)
        self.keep_work = False

    @contextmanager
    def point(self) -> Iterator[None]:
        with ExitStack() as stack:
            stack.enter_context(self.programme.time_budget(self.limit))
            if self.keep_work:
                stack.enter_context(self.programme.options(presolve="off"))
            yield

    def after(self, outcome: SolveOutcome) -> None:
        if outcome.status == "time_limit" and not self.keep_work and not self.programme.is_mip:
            self.keep_work = self.programme.highs.getInfo().basis_validity == 0


def unanswered(points: list[dict[str, Any]], x: str) -> list[float]:
    """The x values (budgets, offer rates or fractions) of the points without an answer: a solve, with
    the standards or without them, that stopped at its time limit without a solution (the rule by
    which a batch fails a sweep, docs/batch.md). A point stopped at its limit with a solution has one."""
    return [
        float(point[x])
        for point in points
        if any(
            point.get(f"{prefix}status") == "time_limit" and point.get(f"{prefix}value") is None
            for prefix in ("", "no_standards_")
        )
    ]


def _first_point(programme: Programme, with_standards: bool) -> SolveOutcome:
    """A frontier's first point, from cold.

    With the standards: the algorithm chosen for a cold max_value solve (``solve_for_value``).
    Without them, a large LP is solved by interior point with crossover instead of from a
    Lagrangian start: whole services then tie across practices at one price of value, so the
    price search cannot land near the budget (first point of the bench's ten-point sweep: region
    20.9 against 13.1 CPU s, England 335 against 162; bench/README.md).
    """
    if with_standards or objectives.value_algorithm(programme) != "lagrangian start":
        return solve_for_value(programme)
    with programme.options(solver="ipm", run_crossover="on"):
        return programme.solve()


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
        clock = _PointClock(p)
        for f in fractions:
            p.set_row_bounds(standard_rows, f * base_lower, INF)
            with clock.point():
                outcome = p.solve()
            clock.after(outcome)
            record: dict[str, Any] = {"fraction": float(f)}
            record.update(_point(p, outcome))
            record["least_cost_gbp"] = record.pop("spend_gbp", None)
            if outcome.col_value is None:
                # Infeasible at any cost: not deliverable at this budget either; no answer: unknown.
                record["deliverable_at_budget"] = False if outcome.status == "infeasible" else None
            elif pooled and outcome.status == "optimal":
                record["deliverable_at_budget"] = not spends_beyond(record["least_cost_gbp"], budget)
            else:
                # Per practice, or a least cost not proved least: whether any allocation keeps the budget.
                with p.changes():
                    p.set_row_bounds(budget_rows, p.base_row_lower[budget_rows], p.base_row_upper[budget_rows])
                    with clock.point():
                        record["deliverable_at_budget"] = _found(p.feasibility())
            records.append(record)
        p.set_row_bounds(standard_rows, base_lower, INF)
        full = p.solve()
    marked = spend_of(p, full.col_value) if full.status == "optimal" and full.col_value is not None else None
    highest_outcome, highest = highest_uniform_fraction(p)
    highest = highest if highest_outcome.status == "optimal" else None  # only a proved highest
    table = pd.DataFrame(records)
    summary = wording.standards_sweep_summary(
        pooled,
        marked,
        budget,
        highest,
        full.status,
        highest_outcome.status,
        unanswered(records, "fraction"),
        len(records),
    )
    result = {
        "sweep": "standards",
        "objective": "min_cost",
        "x": "fraction",
        "unit": "fraction of every minimum standard",
        "budget_gbp": budget,
        "marked": marked,
        "marked_label": wording.STANDARDS_SWEEP_MARK_LABEL,
        "programmes_compiled": 1,
        "highest_fraction_within_budget": highest,
        "summary": summary,
    }
    return result, table


# --------------------------------------------------------------------------------------
# Outputs
# --------------------------------------------------------------------------------------
def is_money_sweep(kind: str) -> bool:
    """Whether a sweep's result ("sweep": ``kind``) is a frontier over money (a "budget" or an
    "offer_rate" sweep, by ``max_value`` or ``max_min_coverage``), not over the standards."""
    return SWEEP_RANGES.get(kind) is not None


def table_name(kind: str) -> str:
    """The name of a sweep's result table (a job's stored table, its CSV's name): sweep_KIND."""
    return f"sweep_{kind}"


# An offer-rate sweep stored before it was named so (the eighth session) says "sweep": "budget" and its
# table is sweep_budget; its "x", the offer rate, tells what it swept. Such a stored job is read under
# today's names (``named_now``, ``table_named_now``, ``stored_table_name``); what was stored is left as it is.
def _offer_rate_stored_as_budget(result: Mapping[str, Any] | None) -> bool:
    return (
        result is not None
        and result.get("kind") == "sweep"
        and result.get("sweep") == "budget"
        and result.get("x") == OFFER_SETTINGS["per_practice"]
    )


def named_now(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """A stored result as this version names it: an older offer-rate sweep's "sweep" reads
    "offer_rate" (in a copy); any other result is itself."""
    if result is None or not _offer_rate_stored_as_budget(result):
        return result
    return {**result, "sweep": "offer_rate"}


def table_named_now(result: Mapping[str, Any] | None, name: str) -> str:
    """A stored table's name as this version names it: an older offer-rate sweep's sweep_budget is
    sweep_offer_rate."""
    if name == table_name("budget") and _offer_rate_stored_as_budget(result):
        return table_name("offer_rate")
    return name


def stored_table_name(result: Mapping[str, Any] | None, name: str) -> str:
    """The name the table this version calls ``name`` is stored under (``table_named_now`` reversed)."""
    if name == table_name("offer_rate") and _offer_rate_stored_as_budget(result):
        return table_name("budget")
    return name


def output_files(kind: str) -> dict[str, str]:
    """The files ``write_outputs`` writes for a "budget", "offer_rate" or "standards" sweep (the
    range swept, ``SWEEP_RANGES``), by what each holds: sweep_KIND.csv, .png and .json."""
    return {suffix: f"{table_name(kind)}.{suffix}" for suffix in ("csv", "png", "json")}


def write_outputs(job: JobOutcome, out_dir: Path) -> dict[str, Path]:
    """Write the sweep's CSV, a PNG chart of the frontier and the result JSON into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    kind = job.result["sweep"]
    table = job.tables[table_name(kind)]
    paths = {what: out_dir / name for what, name in output_files(kind).items()}
    paths["csv"].write_bytes(result_csv_bytes(table))  # rounded as every result table is
    plot_frontier(job.result, table, paths["png"])
    paths["json"].write_text(json.dumps(job.result, indent=2, default=str), encoding="utf-8")
    return paths


# Markers for the per-service lines: with the colours (tab20, then tab20b) each service gets its own pair.
_MARKERS = ("o", "s", "^", "v", "D", "P", "X", "<", ">", "p", "h", "*", "d", "H", "8")


def plot_frontier(result: dict[str, Any], table: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        # A name in a script no installed font has (CJK beside DejaVu Sans only) is drawn as boxes, a
        # limit of the fonts (docs/deliverability.md), not a warning for the user's terminal.
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from font", category=UserWarning)
        fig = frontier_figure(result, table)
        fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)


def frontier_figure(result: dict[str, Any], table: pd.DataFrame) -> Any:
    """The frontier chart: legends beside the plots (never over the data), a colour and a marker of
    its own for every service, money in £m (or £ per weighted patient) with no offset or 1e6 factor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import PercentFormatter, ScalarFormatter, StrMethodFormatter

    labels = wording.CHART
    marked = result.get("marked")
    # Which axes read in £m: the (pooled) budget's x axis, the least cost's y axis.
    money_x, money_y, coverage_panel = False, cast(Any, None), cast(Any, None)
    if is_money_sweep(result["sweep"]):
        pooled = result["x"] == "budget_gbp"
        scale, x_label = (1e6, labels["budget_axis"]) if pooled else (1.0, labels["offer_axis"])
        xs = table[result["x"]] / scale
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 7.5), sharex=True)
        fair = result.get("objective") == "max_min_coverage"

        # Only lines with a point are drawn (and named in the legend), in both panels: below the
        # least deliverable budget no plan meets the standards.
        def drawn(column: str) -> bool:
            return column in table and bool(table[column].notna().any())

        if fair:
            if drawn("lowest_coverage"):
                top.plot(xs, table["lowest_coverage"], "o-", color="black", label=labels["lowest_coverage"])
            if drawn("no_standards_lowest_coverage"):
                top.plot(
                    xs,
                    table["no_standards_lowest_coverage"],
                    "--",
                    color="grey",
                    label=labels["lowest_coverage_without_standards"],
                )
            top.set_ylabel(labels["lowest_coverage_axis"])
        else:
            if drawn("value"):
                top.plot(xs, table["value"], "o-", color="black", label=labels["value_with_standards"])
            if drawn("no_standards_value"):
                top.plot(xs, table["no_standards_value"], "--", color="grey", label=labels["value_without_standards"])
            top.set_ylabel(labels["value_axis"])

        # All services together as the frontier counts them, each patient weighted by their service's
        # value, so the line without the standards is never below the line with them.
        if drawn("weighted_coverage"):
            bottom.plot(xs, table["weighted_coverage"], "-", color="black", linewidth=2, label=labels["all_services"])
        if drawn("no_standards_weighted_coverage"):
            bottom.plot(
                xs,
                table["no_standards_weighted_coverage"],
                "--",
                color="grey",
                linewidth=2,
                label=labels["all_services_without_standards"],
            )
        services = [c for c in table.columns if c.startswith("coverage_") and drawn(c)]
        colours = _colours(len(services))
        names = result.get("service_names") or {}
        for n, column in enumerate(services):
            bottom.plot(
                xs,
                table[column],
                ":",
                color=colours[n],
                marker=_MARKERS[n % len(_MARKERS)],
                markersize=4,
                label=names.get(column[len("coverage_") :], column[len("coverage_") :]),
            )
        bottom.set_ylabel(labels["coverage_axis"])
        # Coverage as a percentage, as the desk shows it (shares of 0 to 1 in the CSV).
        bottom.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        if fair:
            top.yaxis.set_major_formatter(PercentFormatter(xmax=1.0))
        bottom.set_xlabel(x_label)
        for axis in (top, bottom):
            if marked is not None:
                axis.axvline(marked / scale, color="red", linewidth=1.2)
            if result.get("current") is not None:
                axis.axvline(
                    result["current"] / scale, color="black", linestyle=":", linewidth=1, label=labels["current"]
                )
            axis.grid(alpha=0.3)
        if marked is not None:
            top.annotate(
                wording.deliverable_from(marked, pooled),
                xy=(marked / scale, 0.95),
                xycoords=("data", "axes fraction"),
                color="red",
                ha="left",
                va="top",
            )
        axes: list[Any] = [top, bottom]
        coverage_panel = bottom
        top.set_title(labels[("fair_" if fair else "") + ("budget_title" if pooled else "offer_rate_title")])
        if not fair:
            top.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        money_x = pooled
    else:
        fig, axis = plt.subplots(figsize=(10, 5))
        axis.plot(table["fraction"] * 100, table["least_cost_gbp"] / 1e6, "o-", label=labels["least_cost"])
        axis.axhline(result["budget_gbp"] / 1e6, color="black", linestyle=":", label=labels["budget"])
        if marked is not None:
            axis.plot([100], [marked / 1e6], "r*", markersize=14, label=wording.full_standards_from(marked))
        highest = result.get("highest_fraction_within_budget")
        if highest is not None:
            axis.axvline(highest * 100, color="green", linewidth=1, label=wording.within_budget_up_to(highest))
        axis.set_xlabel(labels["standards_axis"])
        axis.set_ylabel(labels["least_cost_axis"])
        axis.grid(alpha=0.3)
        axis.set_title(labels["standards_title"])
        axes = [axis]
        money_y = axis
    # Plain numbers on every axis: no offset and no "1e6" factor; money in £m.
    if money_x:
        axes[-1].xaxis.set_major_formatter(_millions_formatter())
    else:
        axes[-1].ticklabel_format(axis="x", useOffset=False, style="plain")
    for axis in axes:
        if axis is money_y:
            axis.yaxis.set_major_formatter(_millions_formatter())
        elif isinstance(axis.yaxis.get_major_formatter(), ScalarFormatter):
            axis.ticklabel_format(axis="y", useOffset=False, style="plain")
        # A panel with nothing labelled (coverage of a sweep with no point meeting the standards
        # holds only the unlabelled least-deliverable line) has nothing to explain.
        if axis.get_legend_handles_labels()[0]:
            legend = axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)
            if axis is coverage_panel:
                legend.set_title(labels["coverage_legend_title"], prop={"size": 8})
    fig.tight_layout()
    return fig


def _colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    palette = [colormaps[name](i) for name in ("tab20", "tab20b") for i in range(20)]
    return [palette[i % len(palette)] for i in range(n)]


def _millions_formatter() -> Any:
    """A matplotlib formatter of an axis in £m that labels its ticks together (``wording.millions_ticks``)."""
    from matplotlib.ticker import Formatter

    class Millions(Formatter):
        def format_ticks(self, values: Any) -> list[str]:
            return wording.millions_ticks([float(value) for value in values])

        def __call__(self, x: float, pos: int | None = None) -> str:  # noqa: ARG002 - matplotlib's Formatter signature
            return wording.millions_ticks([float(x)])[0]

    return Millions()
