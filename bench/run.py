"""National-scale benchmark: phase timings, peak memory, the HiGHS-alone baseline, and sweeps.

    python -m bench.run [--scales icb,region,england] [--seed 2025] [--cold-points 10]

For each scale a SYNTHETIC scenario is generated (``models.synthetic.generate_scenario``,
seeded) and written to disk as a CSV directory. Then, each in a **fresh process** (peak
memory is that process's ``ru_maxrss``; times exclude interpreter start and imports, which
are reported apart):

* ``pipeline``: load (read the CSV directory) → validate → build (arrays, the default) → pass
  to HiGHS → solve (``min_cost``) → extract (result tables and KPIs). The product then
  exports the same model to MPS (``programme.write_model``), after peak memory is taken.
* ``pipeline-pyomo``: the same pipeline built through the Pyomo model of record (``--engine pyomo``).
* ``baseline``: HiGHS alone (``highspy``, nothing else imported) reads that MPS and solves it.
* ``sweep-hot``: one compiled programme, ten budget points re-solved hot (``max_value``; only
  the budget row's bound changes between points, HiGHS starts from its previous basis), as
  ``optimiser.sweep.budget_sweep`` re-solves (single-variable rows held as column bounds).
* ``cold``: one budget point from scratch (load → validate → build → compile → solve), in a
  fresh process for each point.
* ``sweep-product``: the product's own budget sweep (``run_job("sweep", ...)``) over the same
  ten budgets (it also solves each point without the minimum standards and finds the least
  deliverable budget, so it does more than ten solves).

Raw numbers are merged into ``bench/results.json`` (by scale, so scales can be run
separately) and ``bench/RESULTS.md`` is regenerated from it with the machine's details.
``--profile`` also writes a cProfile of the pipeline to ``bench/profiles/<scale>.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import (
    BENCH,
    REPO,
    RESULTS_MD,
    SCALES,
    SWEEP_FROM,
    SWEEP_TO,
    TIME_LIMIT_S,
    Scale,
    cpu_model,
    log,
    peak_bytes,
)
from bench.results import load_results, machine, render, save

PROFILES = BENCH / "profiles"

# --- children: each runs in a fresh interpreter and prints one JSON line -------------------------


def child_pipeline(
    scenario_dir: str, mps_path: str, profile_path: str | None, engine: str = "arrays"
) -> dict[str, Any]:
    """The product's pipeline, building with ``engine`` (the product's default: arrays)."""
    started = time.perf_counter()
    from optimiser.io import read_document
    from optimiser.results import solve_result
    from optimiser.runs import load_scenario, solve_scenario

    if engine == "pyomo":
        _resolve_deferred_imports()
    imports = time.perf_counter() - started
    profiler = None
    if profile_path:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    phases: dict[str, float] = {}
    t = time.perf_counter()
    document = read_document(scenario_dir)
    phases["load"] = time.perf_counter() - t
    t = time.perf_counter()
    scenario = load_scenario(document, {"time_limit_s": TIME_LIMIT_S})
    del document  # as run_job does once the document is validated
    phases["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    programme, outcome = solve_scenario(scenario, engine=engine)
    total = time.perf_counter() - t
    phases["build"] = programme.timings["build"]
    phases["compile_pass"] = programme.timings["compile"] + programme.timings["pass_to_highs"]
    phases["solve"] = total - programme.timings["build"] - phases["compile_pass"]
    t = time.perf_counter()
    job = solve_result(scenario, programme, outcome, t)
    phases["extract"] = time.perf_counter() - t
    if profiler is not None and profile_path:  # a profiler is made only when given a path
        profiler.disable()
        _write_profile(profiler, profile_path)
    peak = peak_bytes()
    t = time.perf_counter()
    programme.write_model(mps_path)
    export = time.perf_counter() - t
    return {
        "engine": engine,
        "imports_s": imports,
        "phases": phases,
        "end_to_end_s": sum(phases.values()),
        "compile_s": programme.timings["compile"],
        "pass_to_highs_s": programme.timings["pass_to_highs"],
        "peak_rss_bytes": peak,
        "export_mps_s": export,
        "peak_rss_after_export_bytes": peak_bytes(),
        "status": job.result["status"],
        "objective_value": job.result["objective_value"],
        "rows": len(programme.row_rule),
        "columns": len(programme.col_var),
        "nonzeros": programme.nonzeros(),
        "budget_gbp": scenario.settings.budget_gbp,
    }


def _resolve_deferred_imports() -> None:
    """Pyomo imports SciPy (incl. scipy.stats, ~1-2 s) lazily on the first compile; count that as import time."""
    from pyomo.common import dependencies

    bool(dependencies.scipy_available)


def _write_profile(profiler: Any, path: str) -> None:
    import io
    import pstats

    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream).strip_dirs()
    stream.write("=== by cumulative time ===\n")
    stats.sort_stats("cumulative").print_stats(45)
    stream.write("\n=== by own time ===\n")
    stats.sort_stats("tottime").print_stats(35)
    Path(path).write_text(stream.getvalue())


def child_baseline(mps_path: str) -> dict[str, Any]:
    started = time.perf_counter()
    import highspy

    imports = time.perf_counter() - started
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    t = time.perf_counter()
    highs.readModel(mps_path)
    read = time.perf_counter() - t
    t = time.perf_counter()
    highs.run()
    solve = time.perf_counter() - t
    return {
        "imports_s": imports,
        "read_s": read,
        "solve_s": solve,
        "total_s": read + solve,
        "peak_rss_bytes": peak_bytes(),
        "status": highs.modelStatusToString(highs.getModelStatus()),
        "objective_value": highs.getInfo().objective_function_value,
        "version": highs.version(),
    }


def child_sweep_hot(scenario_dir: str, budgets: list[float]) -> dict[str, Any]:
    """One programme; at each budget only the budget row's bound changes, then HiGHS re-solves warm.

    As ``optimiser.sweep.budget_sweep`` re-solves: the single-variable rows held as column bounds
    (warm re-solves skip presolve) and the first point solved with the cold max_value algorithm.
    """
    import numpy as np

    from models.standard_form import INF
    from optimiser.io import read_document
    from optimiser.objectives import solve_for_value
    from optimiser.programme import Programme
    from optimiser.runs import load_scenario
    from optimiser.sweep import rows_as_column_bounds

    _resolve_deferred_imports()
    t = time.perf_counter()
    overrides = {"objective": "max_value", "budget_gbp": budgets[0], "time_limit_s": TIME_LIMIT_S}
    scenario = load_scenario(read_document(scenario_dir), overrides)
    programme = Programme(scenario)
    setup = time.perf_counter() - t
    rows = programme.rows("budget")
    points: list[dict[str, Any]] = []
    with programme.changes():
        single = np.concatenate([programme.rows("min_standard"), programme.rows("max_coverage")])
        rows_as_column_bounds(programme, single)
        for i, budget in enumerate(budgets):
            t = time.perf_counter()
            programme.set_row_bounds(rows, -INF, budget)
            outcome = solve_for_value(programme) if i == 0 else programme.solve()
            points.append(
                {
                    "budget": budget,
                    "seconds": time.perf_counter() - t,
                    "status": outcome.status,
                    "objective_value": outcome.objective_value,
                    "iterations": programme.simplex_iterations(),
                }
            )
    return {
        "setup_s": setup,
        "points": points,
        "total_s": setup + sum(p["seconds"] for p in points),
        "peak_rss_bytes": peak_bytes(),
    }


def child_cold(scenario_dir: str, budget: float) -> dict[str, Any]:
    """One budget from scratch, as ``solve_scenario`` does it; the least-spend tie-break timed apart."""
    from optimiser.io import read_document
    from optimiser.objectives import least_spend_at_best_value, solve_for_value
    from optimiser.programme import Programme
    from optimiser.runs import load_scenario

    _resolve_deferred_imports()
    t = time.perf_counter()
    overrides = {"objective": "max_value", "budget_gbp": budget, "time_limit_s": TIME_LIMIT_S}
    scenario = load_scenario(read_document(scenario_dir), overrides)
    programme = Programme(scenario)
    outcome = solve_for_value(programme)
    without_tie_break = time.perf_counter() - t
    if outcome.status == "optimal":
        outcome = least_spend_at_best_value(programme, outcome, None)
    return {
        "budget": budget,
        "seconds": time.perf_counter() - t,
        "seconds_without_tie_break": without_tie_break,
        "status": outcome.status,
        "objective_value": outcome.objective_value,
        "peak_rss_bytes": peak_bytes(),
    }


def child_sweep_product(scenario_dir: str, budgets: list[float]) -> dict[str, Any]:
    from optimiser.io import read_document
    from optimiser.runs import run_job

    _resolve_deferred_imports()
    t = time.perf_counter()
    document = read_document(scenario_dir)
    budget = f"{budgets[0]}:{budgets[-1]}:{len(budgets)}"
    job = run_job("sweep", document, {"budget": budget, "time_limit_s": TIME_LIMIT_S})
    return {
        "seconds": time.perf_counter() - t,
        "status": job.result.get("status"),
        "solves": job.result.get("solves"),
        "peak_rss_bytes": peak_bytes(),
    }


CHILDREN = {
    "pipeline": lambda a: child_pipeline(a.scenario, a.mps, a.profile_to),
    "pipeline-pyomo": lambda a: child_pipeline(a.scenario, a.mps, a.profile_to, engine="pyomo"),
    "baseline": lambda a: child_baseline(a.mps),
    "sweep-hot": lambda a: child_sweep_hot(a.scenario, json.loads(a.budgets)),
    "cold": lambda a: child_cold(a.scenario, float(a.budget)),
    "sweep-product": lambda a: child_sweep_product(a.scenario, json.loads(a.budgets)),
}


def run_child(kind: str, *args: str, timeout: float = 3_600) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter; its last stdout line is its JSON report."""
    command = [sys.executable, "-m", "bench.run", "--child", kind, *args]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"bench child {kind} failed ({done.returncode}): {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the driver ------------------------------------------------------------------------------------


def bench_scale(
    scale: Scale,
    seed: int,
    workdir: Path,
    cold_points: int,
    sweep_points: int,
    profile: bool,
    product_sweep: bool,
    parts: set[str],
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure one scale; ``parts`` ⊆ {pipeline, sweep}; parts not measured are kept from ``previous``."""
    from models.synthetic import generate_scenario
    from optimiser.io import write_document_as_csv

    result: dict[str, Any] = dict(previous or {})
    if "pipeline" not in parts and "pipeline" not in result:
        raise SystemExit(f"{scale.name}: the sweep needs the pipeline's min-cost spend; measure the pipeline first")
    folder = workdir / scale.name
    scenario_dir = folder / "scenario"
    mps = folder / "model.mps"
    load_average = os.getloadavg()[0]
    t = time.perf_counter()
    document = generate_scenario(seed, scale.n_practices, scale.n_pcns, scale.n_roles, scale.n_services)
    write_document_as_csv(document, scenario_dir)
    generate_s = time.perf_counter() - t
    del document
    log(f"{scale.name}: generated in {generate_s:.1f}s")
    if "pipeline" in parts:
        log(f"{scale.name}: pipeline ...")
        pipeline = run_child("pipeline", "--scenario", str(scenario_dir), "--mps", str(mps))
        log(f"{scale.name}: pipeline {pipeline['end_to_end_s']:.1f}s ({pipeline['status']}); baseline ...")
        baseline = run_child("baseline", "--mps", str(mps))
        log(f"{scale.name}: baseline {baseline['total_s']:.1f}s ({baseline['status']})")
        result.update(
            {
                "scale": scale.__dict__,
                "seed": seed,
                "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "load_average_1m_at_start": load_average,
                "cpu": cpu_model(),
                "generate_s": generate_s,
                "pipeline": pipeline,
                "baseline": baseline,
                "mps_bytes": mps.stat().st_size,
            }
        )
        mps.unlink(missing_ok=True)
        log(f"{scale.name}: pipeline through the Pyomo model (--engine pyomo) ...")
        through_pyomo = run_child("pipeline-pyomo", "--scenario", str(scenario_dir), "--mps", str(mps))
        mps.unlink(missing_ok=True)
        log(f"{scale.name}: Pyomo pipeline {through_pyomo['end_to_end_s']:.1f}s ({through_pyomo['status']})")
        result.pop("pipeline_direct", None)
        result["pipeline_pyomo"] = through_pyomo
        if profile:  # a separate run: profiling slows the pipeline down, so its times are not the ones reported
            PROFILES.mkdir(exist_ok=True)
            log(f"{scale.name}: profiled pipeline ...")
            profiled = run_child(
                "pipeline",
                "--scenario",
                str(scenario_dir),
                "--mps",
                str(mps),
                "--profile-to",
                str(PROFILES / f"{scale.name}.txt"),
            )
            mps.unlink(missing_ok=True)
            result["profiled_end_to_end_s"] = profiled["end_to_end_s"]
    spend = result["pipeline"]["objective_value"]
    if "sweep" in parts and sweep_points and spend:
        budgets = [
            round(float(spend) * (SWEEP_FROM + (SWEEP_TO - SWEEP_FROM) * i / max(1, sweep_points - 1)), -3)
            for i in range(sweep_points)
        ]
        sweep: dict[str, Any] = {
            "budgets": budgets,
            "load_average_1m_at_start": os.getloadavg()[0],
            "cpu": cpu_model(),
        }
        log(f"{scale.name}: hot sweep of {sweep_points} budgets ...")
        sweep["hot"] = run_child("sweep-hot", "--scenario", str(scenario_dir), "--budgets", json.dumps(budgets))
        log(f"{scale.name}: hot sweep {sweep['hot']['total_s']:.1f}s; {cold_points} cold solves ...")
        sweep["cold"] = []
        for budget in budgets[:cold_points]:
            sweep["cold"].append(run_child("cold", "--scenario", str(scenario_dir), "--budget", str(budget)))
            log(f"{scale.name}: cold solve at {budget:,.0f}: {sweep['cold'][-1]['seconds']:.1f}s")
        if product_sweep:
            log(f"{scale.name}: product sweep ...")
            try:
                sweep["product"] = run_child(
                    "sweep-product", "--scenario", str(scenario_dir), "--budgets", json.dumps(budgets)
                )
            except RuntimeError as error:
                sweep["product"] = {"error": str(error)[-500:]}
        result["sweep"] = sweep
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="icb,region,england", help="comma-separated: icb, region, england")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--sweep-points", type=int, default=10, help="budget points in the sweep (0: no sweep)")
    parser.add_argument("--cold-points", type=int, default=10, help="how many of them to also solve cold")
    parser.add_argument("--no-product-sweep", action="store_true", help="skip the product's run_job sweep")
    parser.add_argument("--profile", action="store_true", help="cProfile the pipeline into bench/profiles/")
    parser.add_argument("--workdir", type=Path, default=None, help="where scenarios and MPS go (default: a temp dir)")
    parser.add_argument("--render-only", action="store_true", help="regenerate RESULTS.md from results.json")
    parser.add_argument(
        "--parts", default="pipeline,sweep", help="pipeline, sweep or both; what is not measured is kept from before"
    )
    # internal: one measurement in a fresh process
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--mps", help=argparse.SUPPRESS)
    parser.add_argument("--budgets", help=argparse.SUPPRESS)
    parser.add_argument("--budget", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)))
        return 0

    results = load_results()
    if not args.render_only:
        names = [s.strip() for s in args.scales.split(",") if s.strip()]
        unknown = [n for n in names if n not in SCALES]
        if unknown:
            parser.error(f"unknown scale(s) {', '.join(unknown)}; known: {', '.join(SCALES)}")
        with tempfile.TemporaryDirectory(prefix="commission-bench-") as tmp:
            workdir = args.workdir or Path(tmp)
            for name in names:
                parts = {p.strip() for p in args.parts.split(",") if p.strip()}
                measured = bench_scale(
                    SCALES[name],
                    args.seed,
                    workdir,
                    min(args.cold_points, args.sweep_points),
                    args.sweep_points,
                    args.profile,
                    not args.no_product_sweep,
                    parts,
                    load_results()["scales"].get(name),
                )
                # Re-read before writing: another run may have written other scales meanwhile.
                results = load_results()
                results["scales"][name] = measured
                save(results)
    results = load_results()
    results["machine"] = results.get("machine") or machine()
    text = render(results)
    RESULTS_MD.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
