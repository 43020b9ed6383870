"""What ``commission import nhs`` does, as plain functions (the command is declared in
``optimiser/cli.py`` with the others): read the publication files on this machine, import
the area, write the scenario and its import report.

Bad input raises ``NhsInputError`` (a ``ScenarioInvalid`` naming the file as the table, and
the column), or ``ScenarioInvalid`` when the merged scenario breaks the data contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.schema import TABLES
from optimiser.io import write_document_as_csv, write_document_as_workbook
from optimiser.nhs.build import Inputs, import_nhs
from optimiser.nhs.report import REPORT_STEM, write_report
from optimiser.nhs.sources import Source
from optimiser.nhs.spec import load_spec


def _ours() -> set[str]:
    """The files an import writes into a folder: the tables, the settings and the report."""
    return {f"{t}.csv" for t in TABLES} | {"settings.json", "settings.csv", f"{REPORT_STEM}.json", f"{REPORT_STEM}.md"}


def refuse_out(out: Path, force: bool) -> str | None:
    """Why the scenario may not be written at ``out``, or None if it may."""
    if out.suffix.lower() == ".xlsx":
        if out.exists() and not force:
            return f"{out} exists; give --force to replace it"
        return None
    if out.exists() and not out.is_dir():
        return f"{out} is a file; give a folder or a .xlsx workbook"
    if out.is_dir() and any(out.iterdir()) and not force:
        return f"{out} is not empty; give --force to replace it"
    if out.is_dir():
        strangers = sorted(p.name for p in out.glob("*.csv") if p.name not in _ours())
        if strangers:
            return f"{out} holds other CSV files ({', '.join(strangers)}), which would be read as tables"
    return None


def source(path: Path | None) -> Source | None:
    """An optional publication file given by its path."""
    return None if path is None else Source.of(path)


def import_files(
    inputs: Inputs, spec: Path | None, role_map: Path | None, out: Path, icb: str | None, sub_icb: str | None
) -> tuple[dict[str, Any], Path, Path]:
    """Import the area, write the scenario at ``out`` (a CSV folder, or a .xlsx workbook) and its
    report beside it; the report and the paths of its JSON and Markdown copies."""
    spec_document, spec_label = load_spec(spec)
    result = import_nhs(
        inputs, icb=icb, sub_icb=sub_icb, spec=spec_document, spec_label=spec_label, role_map=source(role_map)
    )
    if out.suffix.lower() == ".xlsx":
        write_document_as_workbook(result.document, out)
    else:
        if out.is_dir():  # a previous import (refuse_out allowed it): remove its files
            for path in out.iterdir():
                if path.name in _ours():
                    path.unlink()
        write_document_as_csv(result.document, out)
    json_path, md_path = write_report(result.report, out)
    return result.report, json_path, md_path
