"""``commission import nhs``: build a scenario for one ICB or sub-ICB from NHS publications.

Registered in ``optimiser/cli.py`` with one ``app.add_typer`` line. This module imports
only typer at load time; pandas and the importer load when the command runs.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

import_app = typer.Typer(
    name="import",
    help="Build scenarios from published data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

EXIT_OTHER, EXIT_INVALID = 1, 2
MAX_PROBLEMS_SHOWN = 50


def _fail(code: int, message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@import_app.command("nhs")
def nhs(
    mapping: Annotated[Path, typer.Option("--mapping", help="gp-reg-pat-prac-map: practice → PCN → sub-ICB → ICB.")],
    list_sizes: Annotated[
        Path, typer.Option("--list-sizes", help="gp-reg-pat-prac-quin-age: registered patients by sex and age band.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Scenario to write: a folder of CSVs, or a .xlsx workbook.")],
    icb: Annotated[str | None, typer.Option("--icb", help="ICB code, e.g. QSL (or its ONS code).")] = None,
    sub_icb: Annotated[str | None, typer.Option("--sub-icb", help="Sub-ICB location code, e.g. 11X.")] = None,
    practice_workforce: Annotated[
        Path | None, typer.Option("--practice-workforce", help="General Practice Workforce, practice-level CSV.")
    ] = None,
    pcn_workforce: Annotated[
        Path | None, typer.Option("--pcn-workforce", help="PCN Workforce, individual-level CSV.")
    ] = None,
    payments: Annotated[
        Path | None, typer.Option("--payments", help="NHS Payments to General Practice (weighted lists).")
    ] = None,
    imd: Annotated[Path | None, typer.Option("--imd", help="IMD score by practice (PRACTICE_CODE, IMD_SCORE).")] = None,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Roles, services, skill mix, settings: workbook, CSV folder or JSON (default spec if omitted).",
        ),
    ] = None,
    role_map: Annotated[
        Path | None,
        typer.Option("--role-map", help="Role map CSV replacing the shipped one (see `commission import role-map`)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json (the report).")] = "text",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing scenario at --out.")] = False,
) -> None:
    """Import practices, PCNs and staff for one ICB or sub-ICB and merge them with a spec.

    Exit 0 written, 2 bad input (wrong file, missing column, unknown ICB, invalid spec), 1 anything else.
    """
    if fmt not in ("text", "json"):
        _fail(EXIT_INVALID, f"--format must be text or json (got {fmt!r})")
    if not icb and not sub_icb:
        _fail(EXIT_INVALID, "give --icb CODE or --sub-icb CODE (or both)")
    _check_out(out, force)

    from models.scenario import ScenarioInvalid
    from optimiser.io import write_document_as_csv, write_document_as_workbook
    from optimiser.nhs.build import Inputs, import_nhs
    from optimiser.nhs.report import summary_lines, write_report
    from optimiser.nhs.sources import NhsInputError, Source
    from optimiser.nhs.spec import load_spec

    def source(path: Path | None) -> Source | None:
        return None if path is None else Source.of(path)

    try:
        spec_document, spec_label = load_spec(spec)
        result = import_nhs(
            Inputs(
                mapping=Source.of(mapping),
                list_sizes=Source.of(list_sizes),
                practice_workforce=source(practice_workforce),
                pcn_workforce=source(pcn_workforce),
                payments=source(payments),
                imd=source(imd),
            ),
            icb=icb,
            sub_icb=sub_icb,
            spec=spec_document,
            spec_label=spec_label,
            role_map=source(role_map),
        )
        if out.suffix.lower() == ".xlsx":
            write_document_as_workbook(result.document, out)
        else:
            _clear_previous(out)
            write_document_as_csv(result.document, out)
        json_path, md_path = write_report(result.report, out)
    except NhsInputError as error:
        _fail(EXIT_INVALID, str(error))
    except ScenarioInvalid as error:
        typer.echo(
            f"error: the imported scenario breaks the data contract ({len(error.problems)} problem(s)); "
            "check the spec and the role map:",
            err=True,
        )
        for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
            typer.echo(f"  - {problem}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    except OSError as error:
        _fail(EXIT_OTHER, f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
    except Exception as error:  # noqa: BLE001 - a clear line, never a stack trace
        _fail(EXIT_OTHER, f"unexpected failure ({type(error).__name__}): {error}")

    if fmt == "json":
        typer.echo(json.dumps(result.report, indent=2, ensure_ascii=False))
    else:
        for line in summary_lines(result.report):
            typer.echo(line)
        typer.echo(f"Wrote {out} with its import report ({json_path.name}, {md_path.name}).")


@import_app.command("role-map")
def show_role_map() -> None:
    """Print the shipped role map CSV (copy it, edit it, pass it back with --role-map)."""
    from optimiser.nhs.rolemap import default_role_map_text

    sys.stdout.write(default_role_map_text())


def _check_out(out: Path, force: bool) -> None:
    if out.suffix.lower() == ".xlsx":
        if out.exists() and not force:
            _fail(EXIT_INVALID, f"{out} exists; give --force to replace it")
        return
    if out.exists() and not out.is_dir():
        _fail(EXIT_INVALID, f"--out {out} is a file; give a folder or a .xlsx workbook")
    if out.is_dir() and any(out.iterdir()) and not force:
        _fail(EXIT_INVALID, f"--out {out} is not empty; give --force to replace it")


def _clear_previous(out: Path) -> None:
    """Remove the files a previous import wrote (tables, settings, report); refuse other CSVs."""
    if not out.is_dir():
        return
    from models.schema import TABLES
    from optimiser.nhs.report import REPORT_STEM

    ours = {f"{t}.csv" for t in TABLES} | {"settings.json", "settings.csv", f"{REPORT_STEM}.json", f"{REPORT_STEM}.md"}
    for path in out.iterdir():
        if path.name in ours:
            path.unlink()
    strangers = sorted(p.name for p in out.glob("*.csv"))
    if strangers:
        _fail(
            EXIT_INVALID, f"--out {out} holds other CSV files ({', '.join(strangers)}), which would be read as tables"
        )
