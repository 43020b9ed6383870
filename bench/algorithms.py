"""Measure HiGHS algorithm choices per objective on the product's own LP (highspy directly).

    python -m bench.algorithms prep SCALE DIR [--seed 2025]
    python -m bench.algorithms solve DIR/NAME.mps [--opt key=value ...] [--bounds] [--tie-break [--tb-opt k=v]]

``prep`` generates the SYNTHETIC scenario of ``bench.run`` at SCALE, builds it with the
vectorised build and writes ``min_cost.mps`` and ``max_value.mps`` (the scenario's own
budget) with ``meta.json`` (the budget row, the spend coefficients). ``solve`` runs in a
fresh process: read the MPS, optionally pass single-variable rows as column bounds, set
options, solve, and optionally run the least-spend tie-break (a row keeping the value, spend
minimised, warm-started from the value solve's basis). It prints one JSON line.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _value(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def prep(scale: str, folder: Path, seed: int, budget_factor: float | None) -> None:
    from bench.common import SCALES
    from models.synthetic import generate_scenario
    from optimiser.objectives import spend_coefficients
    from optimiser.programme import Programme
    from optimiser.runs import load_scenario

    s = SCALES[scale]
    folder.mkdir(parents=True, exist_ok=True)
    document = generate_scenario(seed, s.n_practices, s.n_pcns, s.n_roles, s.n_services)
    meta: dict[str, Any] = {"scale": scale, "seed": seed}
    for objective in ("min_cost", "max_value"):
        overrides: dict[str, Any] = {"objective": objective}
        if objective == "max_value" and budget_factor:
            overrides["budget_gbp"] = budget_factor * meta["min_cost_spend"]
        scenario = load_scenario(document, overrides)
        programme = Programme(scenario)  # the array build, the product default
        programme.highs.writeModel(str(folder / f"{objective}.mps"))
        meta[objective] = {
            "budget_row": int(programme.rows("budget")[0]),
            "budget_gbp": scenario.settings.budget_gbp,
            "rows": len(programme.row_rule),
            "cols": len(programme.col_var),
        }
        np.save(folder / f"{objective}_spend.npy", spend_coefficients(programme))
        if objective == "min_cost" and budget_factor:
            outcome = programme.solve(time_limit_s=3600)
            meta["min_cost_spend"] = outcome.objective_value
        print(objective, meta[objective], flush=True)
    (folder / "meta.json").write_text(json.dumps(meta, indent=2))


def rows_to_bounds(highs: Any, delete: bool = True) -> dict[str, Any]:
    """Replace single-variable rows by column bounds (in place). Returns what maps duals back."""
    import highspy
    import scipy.sparse as sp

    lp = highs.getLp()
    n_row, n_col = lp.num_row_, lp.num_col_
    a = sp.csc_matrix(
        (np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_), np.asarray(lp.a_matrix_.start_)),
        shape=(n_row, n_col),
    ).tocsr()
    counts = np.diff(a.indptr)
    single = np.flatnonzero(counts == 1)
    col = a.indices[a.indptr[single]]
    coef = a.data[a.indptr[single]]
    lo = np.asarray(lp.row_lower_)[single] / coef
    hi = np.asarray(lp.row_upper_)[single] / coef
    lo, hi = np.where(coef > 0, lo, hi), np.where(coef > 0, hi, lo)
    col_lower = np.asarray(lp.col_lower_).copy()
    col_upper = np.asarray(lp.col_upper_).copy()
    np.maximum.at(col_lower, col, np.nan_to_num(lo, neginf=-np.inf))
    np.minimum.at(col_upper, col, np.nan_to_num(hi, posinf=np.inf))
    cols = np.arange(n_col, dtype=np.int32)
    highs.changeColsBounds(n_col, cols, col_lower, col_upper)
    if delete:
        highs.deleteRows(len(single), single.astype(np.int32))
    else:
        free = np.full(len(single), highspy.kHighsInf)
        highs.changeRowsBounds(len(single), single.astype(np.int32), -free, free)
    return {"single_rows": len(single), "kept_rows": n_row - len(single)}


def restrict_to_optimal_face(highs: Any, tolerance: float = 1e-7) -> dict[str, int]:
    """Fix what every optimal solution shares: columns with a nonzero reduced cost at their bound,
    rows with a nonzero dual at their active side (complementary slackness)."""
    lp = highs.getLp()
    sol = highs.getSolution()
    x = np.asarray(sol.col_value)
    d = np.asarray(sol.col_dual)
    ax = np.asarray(sol.row_value)
    y = np.asarray(sol.row_dual)
    cols = np.flatnonzero(np.abs(d) > tolerance)
    highs.changeColsBounds(len(cols), cols.astype(np.int32), x[cols], x[cols])
    rows = np.flatnonzero(np.abs(y) > tolerance)
    highs.changeRowsBounds(len(rows), rows.astype(np.int32), ax[rows], ax[rows])
    del lp
    return {"fixed_cols": len(cols), "fixed_rows": len(rows)}


def solve(path: str, options: dict[str, Any], bounds: bool, tie_break: bool, tb_options: dict[str, Any]) -> dict:
    import highspy

    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    t = time.perf_counter()
    highs.readModel(path)
    out: dict[str, Any] = {"mps": path, "options": options, "bounds": bounds, "read_s": time.perf_counter() - t}
    folder = Path(path).parent
    meta = json.loads((folder / "meta.json").read_text())
    objective = Path(path).stem
    budget_row = meta[objective]["budget_row"]
    value_cost = np.asarray(highs.getLp().col_cost_).copy()
    t = time.perf_counter()
    if bounds:
        out.update(rows_to_bounds(highs))
    out["bounds_s"] = time.perf_counter() - t
    warm = options.pop("warm_from_min_cost", False)
    if warm:
        n = len(value_cost)
        all_cols = np.arange(n, dtype=np.int32)
        t = time.perf_counter()
        c = time.process_time()
        highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
        highs.changeColsCost(n, all_cols, np.load(folder / f"{objective}_spend.npy"))
        highs.run()
        out["warm_min_cost"] = {
            "seconds": time.perf_counter() - t,
            "cpu_s": time.process_time() - c,
            "status": highs.modelStatusToString(highs.getModelStatus()),
        }
        highs.changeObjectiveSense(highspy.ObjSense.kMaximize)
        highs.changeColsCost(n, all_cols, value_cost)
    for key, value in options.items():
        highs.setOptionValue(key, value)
    highs.setOptionValue("time_limit", float(options.get("time_limit", 3600)))
    t = time.perf_counter()
    c = time.process_time()
    highs.run()
    info = highs.getInfo()
    out.update(
        {
            "solve_s": time.perf_counter() - t,
            "solve_cpu_s": time.process_time() - c,
            "status": highs.modelStatusToString(highs.getModelStatus()),
            "objective": info.objective_function_value,
            "simplex_iterations": info.simplex_iteration_count,
            "ipm_iterations": info.ipm_iteration_count,
            "crossover_iterations": info.crossover_iteration_count,
        }
    )
    if tie_break and out["status"] == "Optimal":
        spend = np.load(folder / f"{objective}_spend.npy")
        best = info.objective_function_value
        value_cols = np.flatnonzero(value_cost)
        t = time.perf_counter()
        c = time.process_time()
        for key in options:
            _, default = highspy.Highs().getOptionValue(key)
            highs.setOptionValue(key, default)
        mode = tb_options.pop("mode", "row")
        restart = tb_options.pop("restart", False)
        for key, value in tb_options.items():
            highs.setOptionValue(key, value)
        if mode == "face":
            fixed = restrict_to_optimal_face(highs)
            out["face"] = fixed
        keep = best * (1 - 1e-9) - 1e-9
        highs.addRow(keep, highspy.kHighsInf, len(value_cols), value_cols.astype(np.int32), value_cost[value_cols])
        n = len(spend)
        highs.changeObjectiveSense(highspy.ObjSense.kMinimize)
        highs.changeColsCost(n, np.arange(n, dtype=np.int32), spend)
        if restart:
            highs.clearSolver()
        highs.run()
        info = highs.getInfo()
        sol = highs.getSolution()
        x = np.asarray(sol.col_value)
        out["tie_break"] = {
            "options": tb_options,
            "seconds": time.perf_counter() - t,
            "cpu_s": time.process_time() - c,
            "status": highs.modelStatusToString(highs.getModelStatus()),
            "spend": info.objective_function_value,
            "value": float(value_cost @ x),
            "simplex_iterations": info.simplex_iteration_count,
        }
    out["budget_row"] = budget_row
    out["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def sweep(path: str, first: dict[str, Any], bounds: Any, points: int, warm: dict[str, Any] | None = None) -> dict:
    """Budget sweep on one Highs: first point with ``first`` options, the rest warm (dual simplex)."""
    import highspy

    folder = Path(path).parent
    meta = json.loads((folder / "meta.json").read_text())
    spend = meta["min_cost_spend"]
    budgets = [round(spend * (1.01 + 0.09 * i / max(1, points - 1)), -3) for i in range(points)]
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(path)
    row = meta["max_value"]["budget_row"]
    out: dict[str, Any] = {"mps": path, "first": first, "bounds": bounds, "points": []}
    if bounds == "relax":
        out.update(rows_to_bounds(highs, delete=False))
    elif bounds:
        lp = highs.getLp()
        counts = np.bincount(np.asarray(lp.a_matrix_.index_), minlength=lp.num_row_)
        row -= int((counts[:row] == 1).sum())
        out.update(rows_to_bounds(highs))
    t0 = time.perf_counter()
    c0 = time.process_time()
    for i, budget in enumerate(budgets):
        t = time.perf_counter()
        c = time.process_time()
        highs.changeRowBounds(row, -highspy.kHighsInf, budget)
        if i == 0:
            for key, value in first.items():
                highs.setOptionValue(key, value)
        highs.run()
        if i == 0:
            for key in first:
                highs.setOptionValue(key, highspy.Highs().getOptionValue(key)[1])
            for key, value in (warm or {}).items():
                highs.setOptionValue(key, value)
        info = highs.getInfo()
        out["points"].append(
            {
                "budget": budget,
                "seconds": time.perf_counter() - t,
                "cpu_s": time.process_time() - c,
                "status": highs.modelStatusToString(highs.getModelStatus()),
                "objective": info.objective_function_value,
                "iterations": info.simplex_iteration_count,
            }
        )
        print(json.dumps(out["points"][-1]), file=sys.stderr, flush=True)
    out["total_s"] = time.perf_counter() - t0
    out["total_cpu_s"] = time.process_time() - c0
    return out


def main(argv: list[str]) -> int:
    if argv[0] == "sweep":
        first = dict(kv.split("=", 1) for kv in argv[2:] if "=" in kv and not kv.startswith("warm:"))
        warm = dict(kv[5:].split("=", 1) for kv in argv[2:] if kv.startswith("warm:"))
        first_options = {k: _value(v) for k, v in first.items()}
        warm_options = {k: _value(v) for k, v in warm.items()}
        bounds: Any = "relax" if "--relax" in argv else "--bounds" in argv
        print(json.dumps(sweep(argv[1], first_options, bounds, 10, warm_options)))
        return 0
    if argv[0] == "prep":
        seed = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 2025
        factor = float(argv[argv.index("--budget-factor") + 1]) if "--budget-factor" in argv else None
        prep(argv[1], Path(argv[2]), seed, factor)
        return 0
    options: dict[str, Any] = {}
    tb: dict[str, Any] = {}
    i = 2
    while i < len(argv):
        if argv[i] in ("--opt", "--tb-opt"):
            key, _, value = argv[i + 1].partition("=")
            (options if argv[i] == "--opt" else tb)[key] = _value(value)
            i += 2
        else:
            i += 1
    print(json.dumps(solve(argv[1], options, "--bounds" in argv, "--tie-break" in argv, tb)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
