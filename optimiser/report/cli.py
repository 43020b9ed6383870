"""``commission report SCENARIO [--budget ...] --out report.pdf``: check an offer and print the report.

Runs the same check (and, for the chart, the same budget sweep) as the service's jobs, on
this machine, then renders the PDF. Exit codes: 0 the report was written, 2 invalid input,
1 anything else.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from models.scenario import Problem, ScenarioInvalid
from optimiser.io import read_document
from optimiser.report.chart import frontier, sweep_range
from optimiser.report.view import check_view, scenario_sources
from optimiser.runs import run_job
from optimiser.units import parse_money

FRONTIER_POINTS = 11


def _amount(text: str | None, name: str) -> float | None:
    if text is None:
        return None
    try:
        return parse_money(text)
    except ValueError as error:
        raise ScenarioInvalid([Problem("offer", None, name, str(error))]) from None


def report(
    path: Annotated[Path, typer.Argument(help="Scenario: .json, .xlsx, .zip of CSVs, or a directory of CSVs.")],
    out: Annotated[Path, typer.Option("--out", help="The PDF to write.")] = Path("report.pdf"),
    budget: Annotated[str | None, typer.Option(help="Pooled budget offered, £ a year (e.g. 4.7m).")] = None,
    rate: Annotated[str | None, typer.Option(help="Offer in £ per weighted patient a year (per-practice).")] = None,
    standards: Annotated[
        float | None, typer.Option(help="Every minimum standard at this fraction of its level (0 to 1).")
    ] = None,
    frontier_points: Annotated[
        int, typer.Option("--frontier-points", help="Budgets on the frontier chart (0: no chart).", min=0, max=50)
    ] = FRONTIER_POINTS,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Solver time limit, seconds.")] = None,
) -> None:
    """Check an offer and write the printable PDF report (verdict, levers, chart, practices, assumptions)."""
    try:
        if budget is not None and rate is not None:
            raise ScenarioInvalid([Problem("offer", None, "budget", "give --budget or --rate, not both")])
        document = read_document(path)
        overrides: dict[str, Any] = {}
        if budget is not None:
            overrides["budget_gbp"] = _amount(budget, "budget")
        if rate is not None:
            overrides["offer_rate_gbp_per_weighted_patient"] = _amount(rate, "rate")
        if standards is not None:
            overrides["standards_fraction"] = standards
        if time_limit is not None:
            overrides["time_limit_s"] = time_limit
        started = time.perf_counter()
        check = run_job("check", document, overrides)
        result = check.result
        chart = None
        note = "No frontier was asked for (--frontier-points 0)."
        if frontier_points >= 2:
            per_practice = result.get("budget_mode") == "per_practice"
            settings = document.get("settings") or {}
            offer = overrides.get("offer_rate_gbp_per_weighted_patient" if per_practice else "budget_gbp")
            if offer is None:
                offer = settings.get("offer_rate_gbp_per_weighted_patient" if per_practice else "budget_gbp")
            budget_range = sweep_range(result, frontier_points, float(offer) if offer is not None else None)
            if budget_range is None:
                note = "No frontier: the check gives no budget to draw it around."
            else:
                sweep = run_job("sweep", document, {**overrides, "budget": budget_range})
                chart = frontier(sweep.result)
        duration = time.perf_counter() - started
    except ScenarioInvalid as invalid:
        typer.echo(f"Invalid scenario: {len(invalid.problems)} problem(s)", err=True)
        for problem in invalid.problems[:200]:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(2) from None
    except OSError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    from optimiser.report.render import ReportUnavailable, report_pdf

    run_at = datetime.now(UTC).strftime("%d %b %Y %H:%M UTC")
    view = check_view(
        result,
        scenario_name=path.name,
        overrides=overrides,
        sources=scenario_sources(document),
        run_at=run_at,
        duration_s=duration,
        scenario_settings=document.get("settings") or {},
    )
    try:
        pdf = report_pdf(
            view, chart, note, scenario_name=path.name, scenario_hash=result.get("scenario_hash"), run_at=run_at
        )
    except ReportUnavailable as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(pdf)
    except OSError as error:
        typer.echo(f"error: cannot write {out}: {error.strerror or error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(view.verdict)
    typer.echo(f"Wrote {out}", err=True)
