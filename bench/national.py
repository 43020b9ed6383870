"""National-scale solver choices, measured side by side in one run (issue 10, point 6).

    python -m bench.national [--scales region,england] [--parts objectives,sweep,startup]
                             [--sweep-points 10] [--defaults-cap 5] [--workdir DIR]

Each measurement runs in a fresh interpreter (``python -m bench.national --child ...``) on the
SYNTHETIC scenario of ``bench.run`` (same seed and sizes), built with the vectorised build:

* ``objectives``: ``min_cost`` at the scenario's budget; then ``max_value`` at 1.01 x the
  min-cost spend (the first point of the sweep, where the budget binds) with the chosen
  algorithm (``objectives.solve_for_value``: at these sizes primal simplex from the basis of a
  budget-free Lagrangian problem; the least-spend tie-break restricted to the optimal face and
  warm-started from the value solve's basis), and with
  HiGHS' defaults (dual simplex; tie-break by an added value row and a warm primal re-solve)
  under a time limit of ``--defaults-cap`` x the min-cost solve time;
* ``sweep``: ten budgets (1.01 ... 1.10 x the min-cost spend) on one programme: the first
  point cold with the chosen algorithm, then only the budget bound changes and HiGHS
  re-solves warm (dual simplex from the previous basis); against one cold ``max_value`` solve;
* ``startup``: ``commission solve data/example_icb --format json`` against a bare
  ``python -c "import highspy, numpy, pandas"`` (median of alternating runs).

Times are wall-clock and, for solves, also the process CPU time (the machine is shared: CPU
time is the steadier measure when it is busy). Results go into ``bench/results.json`` under
``national`` and into the "National scale" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TIME_LIMIT_S = 3_600.0
SWEEP_FROM, SWEEP_TO = 1.01, 1.10


def _peak_bytes() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


class _Clock:
    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> dict[str, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        out = {"s": wall - self.wall, "cpu_s": cpu - self.cpu}
        self.wall, self.cpu = wall, cpu
        return out


def _value_solve(programme: Any, algorithm: str, limit: float) -> Any:
    """``chosen``: the product's value solve (``objectives.solve_for_value``); ``defaults``: HiGHS' own."""
    from optimiser.objectives import solve_for_value

    programme.time_limit_s = limit
    return solve_for_value(programme) if algorithm == "chosen" else programme.solve()


def _no_face(programme: Any, best: Any) -> None:
    """The tie-break as before: the value row alone, no optimal-face restriction."""


def _tie_break(programme: Any, best: Any, algorithm: str) -> tuple[Any, dict[str, Any]]:
    """The product's least-spend tie-break; ``defaults``: without the optimal-face restriction (as before)."""
    from optimiser import objectives

    restrict = objectives._restrict_to_optimal_face
    if algorithm != "chosen":
        objectives._restrict_to_optimal_face = _no_face
    try:
        outcome = objectives.least_spend_at_best_value(programme, best, None)
    finally:
        objectives._restrict_to_optimal_face = restrict
    info: dict[str, Any] = {"status": outcome.status}
    if outcome.col_value is not None:
        info["spend_gbp"] = objectives.spend_of(programme, outcome.col_value)
        info["value"] = objectives.value_of(programme, outcome.col_value)
    return outcome, info


# --- children ----------------------------------------------------------------------------------------


def _programme(scenario_dir: str, overrides: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    from optimiser.io import read_document
    from optimiser.programme import Programme
    from optimiser.runs import load_scenario

    clock = _Clock()
    scenario = load_scenario(read_document(scenario_dir), {"time_limit_s": TIME_LIMIT_S, **overrides})
    load = clock.lap()
    programme = Programme(scenario)  # the product default: the array build (models/arrays.py)
    build = clock.lap()
    return programme, {"load_validate_s": load["s"], "build_pass_s": build["s"]}


def child_solve(scenario_dir: str, objective: str, budget: float | None, algorithm: str, limit: float) -> dict:
    overrides: dict[str, Any] = {"objective": objective}
    if budget is not None:
        overrides["budget_gbp"] = budget
    programme, out = _programme(scenario_dir, overrides)
    clock = _Clock()
    if objective == "max_value":
        outcome = _value_solve(programme, algorithm, limit)
    else:
        programme.time_limit_s = limit
        outcome = programme.solve()
    out.update(
        {
            "objective": objective,
            "algorithm": algorithm,
            "budget_gbp": programme.scenario.settings.budget_gbp,
            "solve": clock.lap(),
            "status": outcome.status,
            "objective_value": outcome.objective_value,
            "iterations": {
                "simplex": int(programme.highs.getInfo().simplex_iteration_count),
                "ipm": int(programme.highs.getInfo().ipm_iteration_count),
                "crossover": int(programme.highs.getInfo().crossover_iteration_count),
            },
        }
    )
    if objective == "max_value" and outcome.status == "optimal":
        _tb, info = _tie_break(programme, outcome, algorithm)
        out["tie_break"] = {**clock.lap(), **info}
    out["peak_rss_bytes"] = _peak_bytes()
    return out


def child_sweep(scenario_dir: str, budgets: list[float], algorithm: str) -> dict[str, Any]:
    """As ``optimiser.sweep.budget_sweep`` re-solves its frontier: first point cold, then warm."""
    from models.standard_form import INF
    from optimiser.sweep import rows_as_column_bounds

    programme, out = _programme(scenario_dir, {"objective": "max_value", "budget_gbp": budgets[0]})
    rows = programme.rows("budget")
    points = []
    with programme.changes():
        if algorithm == "chosen":  # as budget_sweep: single-variable rows held as column bounds
            single = np.concatenate([programme.rows("min_standard"), programme.rows("max_coverage")])
            rows_as_column_bounds(programme, single)
        for i, budget in enumerate(budgets):
            clock = _Clock()
            with programme.changes():
                programme.set_row_bounds(rows, -INF, budget)
                if i == 0:
                    outcome = _value_solve(programme, algorithm, TIME_LIMIT_S)
                else:
                    outcome = programme.solve(time_limit_s=TIME_LIMIT_S)
                iterations = int(programme.highs.getInfo().simplex_iteration_count)
            points.append(
                {
                    "budget": budget,
                    **clock.lap(),
                    "status": outcome.status,
                    "objective_value": outcome.objective_value,
                    "iterations": iterations,
                }
            )
            print(json.dumps(points[-1]), file=sys.stderr, flush=True)
    out.update({"algorithm": algorithm, "points": points, "peak_rss_bytes": _peak_bytes()})
    return out


def child_startup(runs: int) -> dict[str, Any]:
    """``commission solve data/example_icb --format json`` against importing highspy, numpy and pandas."""
    commission = Path(sys.executable).with_name("commission")
    solve_cmd = [str(commission), "solve", str(REPO / "data" / "example_icb"), "--format", "json"]
    bare_cmd = [sys.executable, "-c", "import highspy, numpy, pandas"]
    solve_s: list[float] = []
    bare_s: list[float] = []
    for _ in range(runs):
        for command, into in ((bare_cmd, bare_s), (solve_cmd, solve_s)):
            t = time.perf_counter()
            done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
            into.append(time.perf_counter() - t)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(command[:2])} failed: {done.stderr[-500:]}")
    return {
        "runs": runs,
        "solve_s": solve_s,
        "bare_import_s": bare_s,
        "solve_median_s": statistics.median(solve_s),
        "bare_median_s": statistics.median(bare_s),
    }


def run_child(*args: str, timeout: float = 7_200) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.national", "--child", *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"bench child {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the driver ------------------------------------------------------------------------------------


def bench_scale(name: str, seed: int, workdir: Path, parts: set[str], points: int, cap: float) -> dict[str, Any]:
    from bench.run import SCALES
    from models.synthetic import generate_scenario
    from optimiser.io import write_document_as_csv

    scale = SCALES[name]
    scenario_dir = workdir / name / "scenario"
    document = generate_scenario(seed, scale.n_practices, scale.n_pcns, scale.n_roles, scale.n_services)
    write_document_as_csv(document, scenario_dir)
    del document
    out: dict[str, Any] = {
        "scale": scale.__dict__,
        "seed": seed,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_1m_at_start": os.getloadavg()[0],
    }
    d = str(scenario_dir)
    log(f"{name}: min_cost ...")
    out["min_cost"] = run_child("solve", d, "min_cost", "-", "chosen", str(TIME_LIMIT_S))
    spend = float(out["min_cost"]["objective_value"])
    budgets = [
        round(spend * (SWEEP_FROM + (SWEEP_TO - SWEEP_FROM) * i / max(1, points - 1)), -3) for i in range(points)
    ]
    log(f"{name}: min_cost solve {out['min_cost']['solve']['s']:.1f}s")
    if "objectives" in parts:
        log(f"{name}: max_value (chosen) ...")
        out["max_value"] = run_child("solve", d, "max_value", str(budgets[0]), "chosen", str(TIME_LIMIT_S))
        log(f"{name}: max_value {out['max_value']['solve']['s']:.1f}s; with HiGHS defaults (capped) ...")
        limit = max(30.0, cap * out["min_cost"]["solve"]["s"])
        out["max_value_defaults"] = run_child("solve", d, "max_value", str(budgets[0]), "defaults", str(limit))
        out["max_value_defaults"]["time_limit_s"] = limit
        log(f"{name}: defaults {out['max_value_defaults']['status']} in {out['max_value_defaults']['solve']['s']:.1f}s")
    if "sweep" in parts:
        log(f"{name}: sweep of {points} budgets ...")
        out["sweep"] = run_child("sweep", d, json.dumps(budgets), "chosen")
        if "max_value" not in out:  # one cold value solve: the sweep's first point (no tie-break)
            first = out["sweep"]["points"][0]
            out["max_value"] = {
                "load_validate_s": out["sweep"]["load_validate_s"],
                "build_pass_s": out["sweep"]["build_pass_s"],
                "solve": {"s": first["s"], "cpu_s": first["cpu_s"]},
                "status": first["status"],
                "objective_value": first["objective_value"],
                "from_sweep": True,
            }
        log(f"{name}: sweep {sum(p['s'] for p in out['sweep']['points']):.1f}s")
    return out


def startup(runs: int = 5) -> dict[str, Any]:
    log("startup: commission solve example_icb vs bare imports ...")
    out = run_child("startup", str(runs))
    out["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out["load_average_1m_at_start"] = os.getloadavg()[0]
    return out


def _f(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def render_section(results: dict[str, Any]) -> list[str]:
    """The "National scale" section of RESULTS.md (empty if nothing was measured)."""
    national = results.get("national") or {}
    scales = national.get("scales") or {}
    if not scales and not national.get("startup"):
        return []
    lines = [
        "## National scale: algorithm per objective, sweeps, start-up (`python -m bench.national`)",
        "",
        "Side by side in one run per scale, each solve in a fresh process, built with the vectorised",
        "build. Wall-clock seconds, with the process CPU seconds in brackets (the machine is shared;",
        "the 1-minute load average at the start is shown). `max_value` is at 1.01 × the min-cost",
        "spend, the first point of the sweep, where the budget binds. *Chosen*: `solve_for_value`",
        "(at these sizes: primal simplex from the basis of a budget-free Lagrangian problem, whose",
        "price of value is searched by doubling and bisection); the least-spend tie-break restricted",
        "to the optimal face (complementary slackness) and warm-started from the value solve's",
        "basis. *HiGHS defaults*:",
        "dual simplex, tie-break by an added value row and a warm re-solve, stopped at the cap.",
        "",
        "| scale | min_cost solve | max_value chosen: value solve + tie-break | **ratio to min_cost** "
        "| max_value with HiGHS defaults (cap) | objective chosen / defaults | load |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, r in scales.items():
        if "max_value" not in r or "min_cost" not in r:
            continue
        mc, mv, df = r["min_cost"], r["max_value"], r.get("max_value_defaults")
        tb = mv.get("tie_break") or {"s": 0.0, "cpu_s": 0.0, "iterations": 0}
        total = mv["solve"]["s"] + tb["s"]
        total_cpu = mv["solve"]["cpu_s"] + tb["cpu_s"]
        ratio = total / mc["solve"]["s"]
        ratio_cpu = total_cpu / mc["solve"]["cpu_s"]
        defaults = "-"
        if df:
            took = f"{_f(df['solve']['s'])} ({_f(df['solve']['cpu_s'])}; cap {_f(df['time_limit_s'])})"
            defaults = f"{df['status']} after {took}"
            if df.get("tie_break"):
                defaults += f" + tie-break {_f(df['tie_break']['s'])} ({_f(df['tie_break']['cpu_s'])})"
        objectives = f"{mv['objective_value']:,.2f} / " + (
            f"{df['objective_value']:,.2f}" if df and df.get("objective_value") is not None else "-"
        )
        lines.append(
            f"| {name} | {_f(mc['solve']['s'])} ({_f(mc['solve']['cpu_s'])}) "
            f"| {_f(mv['solve']['s'])} + {_f(tb['s'])} = {_f(total)} ({_f(total_cpu)})"
            f" | **{ratio:.2f}×** ({ratio_cpu:.2f}× CPU) | {defaults} "
            f"| {objectives} | {r.get('load_average_1m_at_start', float('nan')):.1f} |"
        )
    sweeps = [(n, r) for n, r in scales.items() if r.get("sweep") and r.get("max_value")]
    if sweeps:
        lines += [
            "",
            "Budget sweep (1.01 … 1.10 × min-cost spend) on one programme: the first point cold with the",
            "chosen algorithm, then only the budget bound changes and HiGHS re-solves warm; against one",
            "cold `max_value` value solve (chosen algorithm, no tie-break: the sweep has none).",
            "",
            "| scale | points | build + pass | re-solve times, wall (simplex iterations) | sweep total (CPU) "
            "| one cold solve (CPU) "
            "| **sweep / one cold** |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, r in sweeps:
            s, one = r["sweep"], r["max_value"]
            setup = s["load_validate_s"] + s["build_pass_s"]
            one_total = one["load_validate_s"] + one["build_pass_s"] + one["solve"]["s"]
            total = setup + sum(p["s"] for p in s["points"])
            times = ", ".join(f"{p['s']:.1f} ({p['iterations']})" for p in s["points"])
            # CPU: the solves' CPU seconds plus the (wall) set-up on both sides
            total_cpu = setup + sum(p["cpu_s"] for p in s["points"])
            one_cpu = one["load_validate_s"] + one["build_pass_s"] + one["solve"]["cpu_s"]
            lines.append(
                f"| {name} | {len(s['points'])} | {_f(setup)} | {times} | {_f(total)} ({_f(total_cpu)}) "
                f"| {_f(one_total)} ({_f(one_cpu)}) | **{total / one_total:.2f}×** ({total_cpu / one_cpu:.2f}× CPU) |"
            )
    st = national.get("startup")
    if st:
        ratio = st["solve_median_s"] / st["bare_median_s"]
        lines += [
            "",
            f"Start-up: `commission solve data/example_icb --format json` {st['solve_median_s']:.2f} s against "
            f'`python -c "import highspy, numpy, pandas"` {st["bare_median_s"]:.2f} s (medians of {st["runs"]} '
            f"alternating runs, load {st['load_average_1m_at_start']:.1f}): **{ratio:.2f}×** (target ≤ 3×).",
        ]
    lines += [
        "",
        "Targets (issue 10 §6; met if the CPU ratio is, wall-clock shown as measured on the shared machine):",
        "",
    ]
    for name, r in scales.items():
        if "max_value" in r and "min_cost" in r:
            mv, mc = r["max_value"], r["min_cost"]
            tb = mv.get("tie_break") or {"s": 0.0, "cpu_s": 0.0}
            cpu = (mv["solve"]["cpu_s"] + tb["cpu_s"]) / mc["solve"]["cpu_s"]
            wall = (mv["solve"]["s"] + tb["s"]) / mc["solve"]["s"]
            lines.append(
                f"- {name}: max_value within 5× the min_cost solve: **{cpu:.2f}× CPU** ({wall:.2f}× wall)"
                + ("" if mv.get("status") == "optimal" else f", status {mv.get('status')}")
                + (" (value solve only: the sweep's first point)" if mv.get("from_sweep") else "")
                + f" — {'met' if cpu <= 5 and mv.get('status') == 'optimal' else 'not met'}"
            )
    for name, r in sweeps:
        s, one = r["sweep"], r["max_value"]
        setup = s["load_validate_s"] + s["build_pass_s"]
        cpu = (setup + sum(p["cpu_s"] for p in s["points"])) / (
            one["load_validate_s"] + one["build_pass_s"] + one["solve"]["cpu_s"]
        )
        # Issue 10: "ten-point budget sweep ≤ 2× one cold solve at region scale, and measured at England scale".
        verdict = ("met" if cpu <= 2 else "not met") if name == "region" else "measured (the target is at region)"
        lines.append(f"- {name}: ten-point sweep against one cold solve: **{cpu:.2f}× CPU** — {verdict}")
    if st:
        ratio = st["solve_median_s"] / st["bare_median_s"]
        lines.append(
            f"- start-up within 3× a bare import: **{ratio:.2f}×** (wall) — {'met' if ratio <= 3 else 'not met'}"
        )
    lines.append("")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.national", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="region,england")
    parser.add_argument("--parts", default="objectives,sweep,startup")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--sweep-points", type=int, default=10)
    parser.add_argument("--defaults-cap", type=float, default=5.0, help="HiGHS-defaults max_value limit, x min_cost")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--child", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "solve":
            d, objective, budget, algorithm, limit = rest
            out = child_solve(d, objective, None if budget == "-" else float(budget), algorithm, float(limit))
        elif kind == "sweep":
            out = child_sweep(rest[0], json.loads(rest[1]), rest[2])
        else:
            out = child_startup(int(rest[0]))
        print(json.dumps(out))
        return 0

    from bench.run import RESULTS_JSON, RESULTS_MD, _load_results, machine, render

    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    with tempfile.TemporaryDirectory(prefix="commission-national-") as tmp:
        workdir = args.workdir or Path(tmp)
        measured: dict[str, Any] = {}
        if "startup" in parts:
            measured["startup"] = startup()
        for name in [s.strip() for s in args.scales.split(",") if s.strip()]:
            if parts & {"objectives", "sweep"}:
                scale = bench_scale(name, args.seed, workdir, parts, args.sweep_points, args.defaults_cap)
                measured.setdefault("scales", {})[name] = scale
            results = _load_results()
            national = results.setdefault("national", {})
            if "startup" in measured:
                national["startup"] = measured["startup"]
            for key, value in (measured.get("scales") or {}).items():
                national.setdefault("scales", {})[key] = {**national.get("scales", {}).get(key, {}), **value}
            results["machine"] = machine()
            RESULTS_JSON.write_text(json.dumps(results, indent=2) + "\n")
            RESULTS_MD.write_text(render(results))
    print("\n".join(render_section(_load_results())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
