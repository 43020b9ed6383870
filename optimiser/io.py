"""Read scenarios from JSON, a CSV directory, an Excel workbook or a zip of CSVs; write results.

Every reader returns the same plain *document* (see docs/architecture.md), so all
encodings of a scenario validate to the identical ``Scenario``. Readers keep cell values
as the file gives them (text for CSV); the validator does all type checking, so a bad
cell is reported by table, row and column whichever encoding it came in.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.styles import Font

from models.scenario import Problem, ScenarioInvalid
from models.schema import TABLES, ScenarioSettings, Table

SETTINGS = "settings"
NOTES_SHEET = "notes"


def _invalid(message: str, table: str = "scenario") -> ScenarioInvalid:
    return ScenarioInvalid([Problem(table, None, None, message)])


def read_document(path: str | Path) -> dict[str, Any]:
    """Read a scenario in any supported encoding into a document."""
    source = Path(path)
    if not source.exists():
        raise _invalid(f"no such file or directory: {source}")
    if source.is_dir():
        return read_csv_directory(source)
    suffix = source.suffix.lower()
    if suffix == ".json":
        return read_json(source)
    if suffix in (".xlsx", ".xlsm"):
        return read_workbook(source)
    if suffix == ".zip":
        return read_zip(source)
    raise _invalid(f"unsupported scenario file {source.name!r}: give a .json, .xlsx, .zip or a directory of CSVs")


def read_json(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise _invalid(
            f"{path.name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except UnicodeDecodeError:
        raise _invalid(f"{path.name} is not UTF-8 text") from None
    if not isinstance(document, dict):
        raise _invalid(f"{path.name} must hold one JSON object of tables and settings")
    return document


def read_csv_directory(directory: Path) -> dict[str, Any]:
    """One CSV per table (``practices.csv``, ...) plus ``settings.json`` or ``settings.csv``."""
    document: dict[str, Any] = {}
    settings_json = directory / "settings.json"
    if settings_json.exists():
        settings = read_json(settings_json)
        document[SETTINGS] = settings.get(SETTINGS, settings)
    for csv_path in sorted(directory.glob("*.csv")):
        name = csv_path.stem
        records = _read_csv_records(csv_path.read_bytes(), csv_path.name)
        if name == SETTINGS:
            if SETTINGS in document:
                raise _invalid("give settings.json or settings.csv, not both", SETTINGS)
            document[SETTINGS] = _settings_from_rows(records, csv_path.name)
        else:
            document[name] = records
    if not document:
        raise _invalid(f"{directory} holds no CSV files")
    return document


def read_zip(path: Path) -> dict[str, Any]:
    """A zip of the CSV directory layout (files may sit in one top-level folder)."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise _invalid(f"{path.name} is not a valid zip file") from None
    with archive, tempfile.TemporaryDirectory() as tmp:
        wanted = [n for n in archive.namelist() if n.endswith((".csv", ".json")) and not n.startswith("__MACOSX")]
        if not wanted:
            raise _invalid(f"{path.name} holds no CSV files")
        for name in wanted:
            # Flatten: only the base name matters; guards against path traversal too.
            (Path(tmp) / Path(name).name).write_bytes(archive.read(name))
        return read_csv_directory(Path(tmp))


def _read_csv_records(data: bytes, name: str) -> list[dict[str, Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(f"{name} is not UTF-8 text") from None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        return []
    except pd.errors.ParserError as error:
        raise _invalid(f"{name} is not a well-formed CSV: {error}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return [{k: v for k, v in rec.items() if v != ""} for rec in frame.to_dict(orient="records")]


def _settings_from_rows(records: list[dict[str, Any]], source: str) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for row, record in enumerate(records, start=1):
        unknown = set(record) - {"key", "value"}
        if unknown or "key" not in record:
            raise ScenarioInvalid([Problem(SETTINGS, row, None, f"{source} needs exactly the columns key and value")])
        settings[str(record["key"]).strip()] = record.get("value")
    return settings


def read_workbook(path: Path) -> dict[str, Any]:
    """One sheet per table (header row first) and a ``settings`` sheet of key, value."""
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise _invalid(f"{path.name} is not a readable Excel workbook ({type(error).__name__})") from None
    document: dict[str, Any] = {}
    try:
        for sheet in workbook.worksheets:
            name = sheet.title.strip()
            if name == NOTES_SHEET:
                continue
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                continue
            columns = [None if h is None else str(h).strip() for h in header]
            records = []
            for values in rows:
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    continue
                records.append({c: v for c, v in zip(columns, values, strict=False) if c and v is not None and v != ""})
            if name == SETTINGS:
                document[SETTINGS] = _settings_from_rows(records, "the settings sheet")
            elif records or name in TABLES:
                document[name] = records
    finally:
        workbook.close()
    for table in [t for t, recs in document.items() if t != SETTINGS and not recs and not TABLES[t].required]:
        del document[table]
    return document


def write_template(path: str | Path) -> None:
    """An empty workbook with every table's sheet and headers, settings, and a notes sheet."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for table in TABLES.values():
        sheet = workbook.create_sheet(table.name)
        sheet.append(list(table.column_names))
        for cell in sheet[1]:
            cell.font = bold
    settings_sheet = workbook.create_sheet(SETTINGS)
    settings_sheet.append(["key", "value"])
    for key, field in ScenarioSettings.model_fields.items():
        settings_sheet.append([key, field.default if field.default is not None else None])
    notes = workbook.create_sheet(NOTES_SHEET)
    notes.append(["table", "column", "type", "required", "unit", "default", "rule / meaning"])
    for table in TABLES.values():
        for column in table.columns:
            notes.append(
                [
                    table.name,
                    column.name,
                    column.kind if column.kind != "choice" else " | ".join(column.choices),
                    "yes" if column.required else "no",
                    column.unit,
                    column.default,
                    _rule_text(column) + column.description,
                ]
            )
    for key, field in ScenarioSettings.model_fields.items():
        notes.append([SETTINGS, key, "setting", "see meaning", "", field.default, field.description])
    notes.append([])
    notes.append(["All money is £ per year. Blank optional cells take the default. Unknown columns are rejected."])
    for cell in notes[1]:
        cell.font = bold
    workbook.save(path)


def _rule_text(column: Any) -> str:
    parts = []
    if column.lower is not None:
        parts.append(f"{'>' if column.lower_strict else '>='} {column.lower:g}")
    if column.upper is not None:
        parts.append(f"<= {column.upper:g}")
    return f"[{', '.join(parts)}] " if parts else ""


def _used_columns(table: Table, records: list[dict[str, Any]]) -> list[str]:
    """The table's columns that some record gives, in contract order."""
    return [c for c in table.column_names if any(c in r for r in records)]


def write_document_as_csv(document: dict[str, Any], directory: Path) -> None:
    """Write a document in the CSV-directory encoding (used for examples and round-trips)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "settings.json").write_text(json.dumps(document.get(SETTINGS, {}), indent=2) + "\n")
    for name, table in TABLES.items():
        records = document.get(name)
        if records is None:
            continue
        used = _used_columns(table, records)
        with (directory / f"{name}.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=used)
            writer.writeheader()
            writer.writerows(records)


def write_document_as_workbook(document: dict[str, Any], path: Path) -> None:
    """Write a document in the Excel encoding: a sheet per table and a settings sheet."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, table in TABLES.items():
        records = document.get(name)
        if records is None:
            continue
        used = _used_columns(table, records)
        sheet = workbook.create_sheet(name)
        sheet.append(used)
        for record in records:
            sheet.append([record.get(c) for c in used])
    settings_sheet = workbook.create_sheet(SETTINGS)
    settings_sheet.append(["key", "value"])
    for key, value in document.get(SETTINGS, {}).items():
        settings_sheet.append([key, value])
    workbook.save(path)


# Decimal places for result columns, by what the column measures (first match on the name wins).
RESULT_PRECISION: tuple[tuple[tuple[str, ...], int], ...] = (
    (("share", "coverage"), 4),  # fractions: coverage, shares of time, budget or headroom used
    (("fte",), 3),  # staff: FTE, FTE per 10k patients, contacts per FTE-day
    (("gbp",), 2),  # money: £ and pence
    (("patients", "contacts", "hours", "list_size"), 2),
)
# Other numbers keep 15 significant digits: enough for any value, short of floating-point noise.
CSV_FLOAT_FORMAT = "%.15g"


def result_precision(column: str) -> int | None:
    """Decimal places a result column is written with, or None to keep 15 significant digits."""
    name = column.lower()
    for words, places in RESULT_PRECISION:
        if any(word in name for word in words):
            return places
    return None


def rounded_for_output(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with each float column rounded to its unit's precision and no negative zeros."""
    rounded = frame.copy()
    for column in rounded.columns:
        if not pd.api.types.is_float_dtype(rounded[column].dtype):
            continue
        places = result_precision(str(column))
        values = rounded[column].to_numpy(dtype=float)
        if places is not None:
            values = values.round(places)
        rounded[column] = values + 0.0  # -0.0 + 0.0 == +0.0
    return rounded


def _strict_json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strict_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_strict_json_value(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_results(tables: dict[str, pd.DataFrame], summary: dict[str, Any], directory: Path) -> list[Path]:
    """CSV per table, ``summary.json`` and one ``results.xlsx`` with a sheet per table.

    Numbers are rounded to their unit's precision (``RESULT_PRECISION``: FTE 3 dp, £ 2 dp,
    coverage and shares 4 dp, patients/contacts/hours 2 dp), never written as ``-0``, and
    ``summary.json`` is strict JSON (no NaN).
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    rounded = {name: rounded_for_output(frame) for name, frame in tables.items()}
    for name, frame in rounded.items():
        target = directory / f"{name}.csv"
        frame.to_csv(target, index=False, float_format=CSV_FLOAT_FORMAT)
        written.append(target)
    summary_path = directory / "summary.json"
    summary_path.write_text(json.dumps(_strict_json_value(summary), indent=2, default=str) + "\n")
    written.append(summary_path)
    workbook_path = directory / "results.xlsx"
    with pd.ExcelWriter(workbook_path, engine="openpyxl") as writer:
        for name, frame in rounded.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
    written.append(workbook_path)
    return written
