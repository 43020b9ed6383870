"""National-scale solver choices, measured side by side in one run (issue 10, point 6).

    python -m bench.national [--scales region,england] [--parts objectives,sweep,product,startup]
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
  ``python -c "import highspy, numpy, pandas"`` (median of alternating runs);
* ``product``: what a user runs, the installed ``commission sweep --budget`` over the same ten
  budgets (the least-budget mark and both frontiers, with and without the standards), on every
  core this process may use and pinned to one core (``taskset``: the frontiers in turn),
  against ``commission solve --objective max_value`` at the first budget.

A part run alone replaces only the rows it measured (``merge_scale``): ``--parts sweep`` fills
in ``max_value`` from its first point only for a scale with no ``max_value`` stored, so the
tie-break measured by ``--parts objectives`` stays.

Times are wall-clock and, for solves, also the process CPU time (the machine is shared: CPU
time is the steadier measure when it is busy). Results go into ``bench/results.json`` under
``national`` and into the "National scale" section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import REPO, SCALES, SWEEP_FROM, SWEEP_TO, TIME_LIMIT_S, cpu_model, log, peak_bytes
from bench.results import load_results, national_section, save


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
    out["peak_rss_bytes"] = peak_bytes()
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
    out.update({"algorithm": algorithm, "points": points, "peak_rss_bytes": peak_bytes()})
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


def _timed(command: list[str]) -> dict[str, float]:
    """Wall and CPU seconds (user + system, the command's own process tree) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} failed ({done.returncode}): {done.stderr[-1000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"s": wall, "cpu_s": cpu}


def child_product(scenario_dir: str, budgets: list[float], workdir: str) -> dict[str, Any]:
    """``commission sweep`` (all cores, then one) against ``commission solve`` of its first point."""
    commission = str(Path(sys.executable).with_name("commission"))
    span = f"{budgets[0]:.0f}:{budgets[-1]:.0f}:{len(budgets)}"
    sweep_cmd = [commission, "sweep", scenario_dir, "--budget", span, "--format", "json", "--out", workdir]
    solve_cmd = [commission, "solve", scenario_dir, "--objective", "max_value", "--budget", f"{budgets[0]:.0f}"]
    return {
        "cores": len(os.sched_getaffinity(0)),
        "solve": _timed([*solve_cmd, "--format", "json"]),
        "sweep": _timed(sweep_cmd),
        "sweep_one_core": _timed(["taskset", "-c", str(min(os.sched_getaffinity(0))), *sweep_cmd]),
    }


def run_child(*args: str, timeout: float = 7_200) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.national", "--child", *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"bench child {args[0]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the driver ------------------------------------------------------------------------------------


def bench_scale(name: str, seed: int, workdir: Path, parts: set[str], points: int, cap: float) -> dict[str, Any]:
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
        "cpu": cpu_model(),
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
        if "max_value" not in out:
            # One cold value solve, the sweep's first point (no tie-break), to stand in for the
            # max_value row only where none is stored (``merge_scale``).
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
    if "product" in parts:
        log(f"{name}: commission sweep of {points} budgets against commission solve ...")
        out["product_sweep"] = run_child("product", d, json.dumps(budgets), str(workdir / name / "sweep_out"))
        log(f"{name}: commission sweep {out['product_sweep']['sweep']['s']:.1f}s")
    return out


def startup(runs: int = 5) -> dict[str, Any]:
    log("startup: commission solve example_icb vs bare imports ...")
    out = run_child("startup", str(runs))
    out["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    out["load_average_1m_at_start"] = os.getloadavg()[0]
    out["cpu"] = cpu_model()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.national", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="region,england")
    parser.add_argument("--parts", default="objectives,sweep,product,startup")
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
        elif kind == "product":
            out = child_product(rest[0], json.loads(rest[1]), rest[2])
        else:
            out = child_startup(int(rest[0]))
        print(json.dumps(out))
        return 0

    parts = {p.strip() for p in args.parts.split(",") if p.strip()}
    if "startup" in parts:
        _save({"startup": startup()})
    if parts & {"objectives", "sweep", "product"}:
        with tempfile.TemporaryDirectory(prefix="commission-national-") as tmp:
            workdir = args.workdir or Path(tmp)
            for name in [s.strip() for s in args.scales.split(",") if s.strip()]:
                scale = bench_scale(name, args.seed, workdir, parts, args.sweep_points, args.defaults_cap)
                _save({"scales": {name: scale}})
    print("\n".join(national_section(load_results())))
    return 0


def _save(measured: dict[str, Any]) -> None:
    """Merge ``measured`` (start-up, or one scale's parts) into results.json and regenerate RESULTS.md."""
    results = load_results()
    national = results.setdefault("national", {})
    if "startup" in measured:
        national["startup"] = measured["startup"]
    for key, value in (measured.get("scales") or {}).items():
        national.setdefault("scales", {})[key] = merge_scale(national.get("scales", {}).get(key, {}), value)
    save(results)


# When, at what load and on what CPU a scale's run was measured.
STAMP = ("measured_at", "load_average_1m_at_start", "cpu")


def merge_scale(stored: dict[str, Any], measured: dict[str, Any]) -> dict[str, Any]:
    """One scale's stored rows with those a run measured put in their place; the others kept.

    A part run alone measures only its rows (``--parts sweep``: the min-cost solve it needs and
    the sweep). The ``max_value`` a sweep fills in from its first point (``from_sweep``: a value
    solve with no tie-break) replaces only another such stand-in, never a stored ``max_value``
    that ``--parts objectives`` measured with its tie-break.
    """
    merged = {**stored, **measured}
    # The product's sweep kept from an earlier run keeps when, at what load and on what CPU it was measured.
    if "product_sweep" in stored and "product_sweep" not in measured:
        merged["product_sweep"] = {**{k: stored[k] for k in STAMP if k in stored}, **stored["product_sweep"]}
    kept = stored.get("max_value")
    stand_in = measured.get("max_value")
    if kept and not kept.get("from_sweep") and stand_in and stand_in.get("from_sweep"):
        merged["max_value"] = kept
    return merged


if __name__ == "__main__":
    sys.exit(main())
