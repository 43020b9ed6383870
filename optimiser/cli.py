"""The ``commission`` command line: validate, template, solve, check, sweep, batch.

Exit codes: 0 the run finished with an answer (optimal, or proved infeasible for
``solve``; deliverable for ``check``), 1 anything else (``check``: undeliverable),
2 invalid input, 3 no solution within the time limit. User errors never print a trace.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from models.scenario import ScenarioInvalid
from models.validate import validate_document
from optimiser.io import read_document, write_results, write_template
from optimiser.jobs import JobOutcome, run_job

app = typer.Typer(
    name="commission",
    help="Can this primary-care budget and workforce deliver this specification?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# User text (paths, ids, messages quoting cells) is never read as markup or emoji codes.
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)

EXIT_OK, EXIT_OTHER, EXIT_INVALID, EXIT_NO_SOLUTION = 0, 1, 2, 3
MAX_PROBLEMS_SHOWN = 200

ScenarioPath = Annotated[Path, typer.Argument(help="Scenario: .json, .xlsx, .zip of CSVs, or a directory of CSVs.")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table (readable) or json.")]


def fail(code: int, message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def report_invalid(error: ScenarioInvalid, as_json: bool) -> NoReturn:
    if as_json:
        out.print_json(json.dumps({"status": "invalid", "problems": [p.as_dict() for p in error.problems]}))
    else:
        err.print(f"[bold red]Invalid scenario[/]: {len(error.problems)} problem(s)", highlight=False)
        for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
            err.print(f"  - {problem}", highlight=False, markup=False)
        if len(error.problems) > MAX_PROBLEMS_SHOWN:
            err.print(f"  ... and {len(error.problems) - MAX_PROBLEMS_SHOWN} more (use --format json for all)")
    raise typer.Exit(EXIT_INVALID)


@contextmanager
def user_errors(as_json: bool) -> Iterator[None]:
    """Turn bad input into exit 2 with table/row/column messages, and anything else into exit 1 without a trace."""
    try:
        yield
    except ScenarioInvalid as error:
        report_invalid(error, as_json)
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except OSError as error:
        fail(EXIT_OTHER, f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
    except Exception as error:  # noqa: BLE001 - last resort: a clear line, never a stack trace
        fail(EXIT_OTHER, f"unexpected failure ({type(error).__name__}): {error}")


def check_format(fmt: str, allowed: tuple[str, ...]) -> bool:
    if fmt not in allowed:
        fail(EXIT_INVALID, f"--format must be one of {', '.join(allowed)} (got {fmt!r})")
    return fmt == "json"


@contextmanager
def progress_display(label: str) -> Iterator[Callable[[float], None] | None]:
    """A live 'Solving… 12s' line on a terminal; nothing when stderr is not a terminal."""
    if not err.is_terminal:
        yield None
        return
    with err.status(label) as status:
        yield lambda seconds: status.update(f"{label} {seconds:,.0f}s")


@app.command()
def validate(path: ScenarioPath, fmt: FormatOption = "table") -> None:
    """Check a scenario against the data contract; list every problem (exit 2 if any)."""
    as_json = check_format(fmt, ("table", "json"))
    with user_errors(as_json):
        scenario = validate_document(read_document(path))
        summary = {
            "status": "valid",
            "practices": len(scenario.practices),
            "pcns": len(scenario.pcns),
            "roles": len(scenario.roles),
            "services": len(scenario.services),
            "patients": int(scenario.practices["list_size"].sum()),
            "mip": scenario.is_mip,
            "scenario_hash": scenario.scenario_hash,
        }
        if as_json:
            out.print_json(json.dumps(summary))
        else:
            out.print(
                f"[green]Valid[/]: {summary['practices']} practices, {summary['pcns']} PCNs, "
                f"{summary['roles']} roles, {summary['services']} services, {summary['patients']:,} patients"
                f"{' (MIP: whole-step hiring)' if summary['mip'] else ''}."
            )


@app.command()
def template(target: Annotated[Path, typer.Argument(help="Workbook to write, e.g. scenario.xlsx")]) -> None:
    """Write an empty Excel workbook with every sheet, its headers and a notes sheet."""
    with user_errors(False):
        if target.suffix.lower() != ".xlsx":
            fail(EXIT_INVALID, "the template must be an .xlsx file")
        write_template(target)
        out.print(f"Wrote {target}")


@app.command()
def solve(
    path: ScenarioPath,
    objective: Annotated[str | None, typer.Option(help="min_cost or max_value (default: the scenario's)")] = None,
    fmt: FormatOption = "table",
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write CSVs, summary.json and results.xlsx here.")
    ] = None,
    sensitivity: Annotated[bool, typer.Option("--sensitivity", help="Add shadow prices and binding rules.")] = False,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Solver time limit, seconds.")] = None,
) -> None:
    """Solve the allocation programme and report the allocation."""
    as_json = check_format(fmt, ("table", "json"))
    if objective is not None and objective not in ("min_cost", "max_value"):
        fail(EXIT_INVALID, f"--objective must be min_cost or max_value (got {objective!r})")
    with user_errors(as_json):
        document = read_document(path)
        overrides: dict[str, Any] = {"objective": objective, "time_limit_s": time_limit, "sensitivity": sensitivity}
        with progress_display("Solving…") as progress:
            job = run_job("solve", document, {k: v for k, v in overrides.items() if v}, progress=progress)
        if out_dir is not None:
            write_results(job.tables, job.result, out_dir)
        if as_json:
            out.print_json(json.dumps(job.result, default=str))
        else:
            print_solve(job, out_dir)
    raise typer.Exit(solve_exit_code(job.result))


def solve_exit_code(result: dict[str, Any]) -> int:
    status = result["status"]
    if status in ("optimal", "infeasible") or (status == "time_limit" and result["has_solution"]):
        return EXIT_OK
    if status == "time_limit":
        return EXIT_NO_SOLUTION
    return EXIT_OTHER


def money(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if abs(value) >= 1e6:
        return f"£{value / 1e6:,.2f}m"
    return f"£{value:,.0f}"


def print_solve(job: JobOutcome, out_dir: Path | None) -> None:
    result = job.result
    status = result["status"]
    colour = {"optimal": "green", "infeasible": "red"}.get(status, "yellow")
    out.print(
        f"[bold]Status[/]: [{colour}]{status}[/] ({result['message']}) in {result['solve_seconds']:.2f}s, "
        f"{result['solver']['name']} {result['solver']['version']}",
        highlight=False,
    )
    if status == "infeasible":
        out.print("The specification is [red]not deliverable[/] with this budget and workforce.")
        out.print("Run [bold]commission check[/] on it to see why and what it would take.")
    kpis = result["kpis"]
    if not kpis:
        return
    objective_label = "least spend" if result["objective"] == "min_cost" else "best value"
    out.print(f"[bold]Objective[/] ({objective_label}): {result['objective_value']:,.2f}")
    budget = kpis.get("budget_gbp")
    used = kpis.get("budget_used_share")
    out.print(
        f"[bold]Spend[/]: {money(kpis['total_spend_gbp'])} of {money(budget)}"
        + (f" ({used:.1%} of the budget)" if used is not None else "")
        + f"; ARRS reimbursement claimed {money(kpis['arrs_claimed_gbp'])}",
        highlight=False,
    )

    coverage = Table(title="Coverage by service", title_justify="left")
    for column in ("service", "eligible", "covered", "coverage", "standard"):
        coverage.add_column(column, justify="left" if column == "service" else "right")
    for service, row in kpis["coverage_by_service"].items():
        share = row["coverage"]
        coverage.add_row(
            service,
            f"{row['eligible_patients']:,.0f}",
            f"{row['covered_patients']:,.0f}",
            "-" if share is None else f"{share:.1%}",
            f"{row['min_coverage']:.0%}",
        )
    out.print(coverage)

    hires = Table(title="New staff by role", title_justify="left")
    for column in ("role", "category", "new FTE", "cost/year", "supply limit"):
        hires.add_column(column, justify="left" if column in ("role", "category") else "right")
    for row in job.tables["hires"].itertuples():
        if row.new_fte > 1e-6:
            limit = "-" if math.isnan(row.supply_max_fte) else f"{row.supply_max_fte:,.1f}"
            hires.add_row(row.role_id, row.category, f"{row.new_fte:,.2f}", money(row.cost_gbp), limit)
    out.print(hires)

    binding = ", ".join(f"{b['rule']} ({b['binding_rows']}/{b['rows']})" for b in kpis["binding_rules"])
    out.print(f"[bold]Binding rules[/] (rows at their limit): {binding or 'none'}", highlight=False)
    if "sensitivity" in result:
        print_sensitivity(result["sensitivity"])
    if out_dir is not None:
        out.print(f"Tables written to {out_dir}/ (CSV per table, summary.json, results.xlsx)")


def print_sensitivity(sensitivity: dict[str, Any]) -> None:
    label = " (approximate: LP with integers fixed)" if sensitivity.get("approximate") else ""
    out.print(f"[bold]Sensitivity[/]{label}")
    for sentence in sensitivity.get("sentences", []):
        out.print(f"  - {sentence}", highlight=False)


@app.command()
def check(
    path: ScenarioPath,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text (a short report) or json.")] = "text",
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="Time limit per solve, seconds.")] = None,
) -> None:
    """Is the spec deliverable? If not: what conflicts, and what each lever alone would take.

    Exit 0 deliverable, 1 not deliverable, 2 invalid input, 3 no answer within the time limit.
    """
    as_json = check_format(fmt, ("text", "json"))
    with user_errors(as_json):
        document = read_document(path)
        overrides: dict[str, Any] = {"time_limit_s": time_limit} if time_limit else {}
        with progress_display("Checking…") as progress:
            job = run_job("check", document, overrides, progress=progress)
        if as_json:
            out.print_json(json.dumps(job.result, default=str))
        else:
            from optimiser.explain import report_lines

            for line in report_lines(job.result):
                out.print(line, highlight=False, markup=False, soft_wrap=False)
    deliverable = job.result.get("deliverable")
    raise typer.Exit(EXIT_OK if deliverable else EXIT_OTHER if deliverable is False else EXIT_NO_SOLUTION)


@app.command()
def sweep(
    path: ScenarioPath,
    budget: Annotated[
        str | None, typer.Option("--budget", help="START:STOP:N budgets (k/m allowed), max_value.")
    ] = None,
    standards: Annotated[
        str | None, typer.Option("--standards", help="START:STOP:N fractions of every minimum standard, min_cost.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the CSV, PNG chart and JSON.")] = Path("sweep_out"),
    fmt: FormatOption = "table",
) -> None:
    """Re-solve across budgets or standards (one compiled model, hot starts); write CSV + PNG chart."""
    as_json = check_format(fmt, ("table", "json"))
    with user_errors(as_json):
        if (budget is None) == (standards is None):
            fail(EXIT_INVALID, "give exactly one of --budget START:STOP:N or --standards START:STOP:N")
        document = read_document(path)
        overrides = {"budget": budget} if budget is not None else {"standards": standards}
        with progress_display("Sweeping…") as progress:
            job = run_job("sweep", document, overrides, progress=progress)
        from optimiser.sweep import write_outputs

        paths = write_outputs(job, out_dir)
        if as_json:
            out.print_json(json.dumps({**job.result, "files": {k: str(v) for k, v in paths.items()}}, default=str))
        else:
            print_sweep(job, paths)
    raise typer.Exit(EXIT_OK if job.result["status"] == "optimal" else EXIT_NO_SOLUTION)


def print_sweep(job: JobOutcome, paths: dict[str, Path]) -> None:
    result = job.result
    table = job.tables[f"sweep_{result['sweep']}"]
    out.print(result["summary"], highlight=False)
    grid = Table(title=f"{result['sweep']} sweep ({result['objective']})", title_justify="left")
    if result["sweep"] == "budget":
        x = result["x"]
        for column in (x, "deliverable", "best value", "coverage", "value without standards"):
            grid.add_column(column, justify="right")
        for row in table.to_dict("records"):
            grid.add_row(
                money(row[x]) if x == "budget_gbp" else f"£{row[x]:,.2f}",
                "yes" if row.get("deliverable") else "no",
                "-" if _missing(row.get("value")) else f"{row['value']:,.1f}",
                "-" if _missing(row.get("coverage")) else f"{row['coverage']:.1%}",
                "-" if _missing(row.get("no_standards_value")) else f"{row['no_standards_value']:,.1f}",
            )
    else:
        for column in ("standards", "least cost", "within budget"):
            grid.add_column(column, justify="right")
        for row in table.to_dict("records"):
            grid.add_row(
                f"{row['fraction']:.0%}",
                money(row.get("least_cost_gbp")),
                "yes" if row.get("deliverable_at_budget") else "no",
            )
    out.print(grid)
    out.print(f"Wrote {paths['csv']}, {paths['png']} and {paths['json']}", highlight=False)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@app.command()
def batch(
    manifest: Annotated[Path, typer.Argument(help="Batch manifest, .toml or .json (see docs/batch.md).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default: the manifest's 'out', else ./<name>-results)."),
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Local worker processes.")] = None,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Dask scheduler address (default: $COMMISSION_DASK_ADDRESS).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-run runs whose inputs are unchanged.")] = False,
) -> None:
    """Run every scenario of a manifest; skip unchanged runs. Exit 0 all succeeded, 1 any failed, 2 bad manifest."""
    from optimiser.batch import run_batch_command

    with user_errors(False):
        code = run_batch_command(manifest, out_dir, workers, dask, force, err)
    raise typer.Exit(code)


def main() -> None:
    app()
