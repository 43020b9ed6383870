"""Validate a scenario document against the data contract and build a ``Scenario``.

Every problem is collected (not just the first), each naming table, row and column, so a
user fixes their workbook in one pass. Checks are vectorised per column so validating a
national scenario takes well under a second.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from models import formats
from models.plausibility import RateHint, implausible_figures
from models.scenario import MAX_PROBLEMS_LISTED, Problem, Scenario, ScenarioInvalid
from models.schema import (
    MAX_ID_LENGTH,
    MAX_TEXT_LENGTH,
    TABLE_KEYS,
    TABLES,
    Column,
    ScenarioSettings,
    Table,
    shown,
)

SETTINGS_TABLE = "settings"
# Numbers as text: optional sign, digits with an optional point, optional exponent; or
# inf/infinity/nan (reported as not finite). Thousands separators and underscores are not numbers.
_NUMBER = re.compile(r"[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|inf|infinity|nan)", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
FORMULA_WITHOUT_VALUE = "is a formula with no saved value; open the workbook in Excel and save it"


class UnsavedFormula:
    """A workbook cell holding a formula that was never calculated (a script saved it): read for
    values it would be blank, silently missing or its column's default. The reader puts this
    marker in its place, so the validator names the cell beside every other problem in one pass."""

    def __repr__(self) -> str:
        return "UNSAVED_FORMULA"


UNSAVED_FORMULA = UnsavedFormula()


class SheetRecords(list[dict[str, Any]]):
    """A table's records as read from a CSV or a sheet, with the row each was read from.

    ``rows[i]`` is record ``i``'s row as a user counts it: its place under the header, blank
    rows counted though they hold no record. Problems name that row; for plain lists (JSON)
    record ``i`` is row ``i + 1``.
    """

    def __init__(self, records: list[dict[str, Any]], rows: list[int]):
        super().__init__(records)
        self.rows = rows


def unsaved_formulas(document: dict[str, Any]) -> list[Problem]:
    """The cells of ``document`` read as ``UNSAVED_FORMULA``, each named as a problem (table, the row
    as the sheet numbers it, column): for a reader of a document other than the validator (a spec
    for the NHS import)."""
    problems = []
    for table, records in document.items():
        if table == SETTINGS_TABLE and isinstance(records, dict):
            problems += [
                Problem(table, None, str(k), FORMULA_WITHOUT_VALUE) for k, v in records.items() if v is UNSAVED_FORMULA
            ]
        elif isinstance(records, list):
            for number, record in enumerate(records, start=1):
                if isinstance(record, dict):
                    problems += [
                        _at_row_as_read(Problem(str(table), number, str(k), FORMULA_WITHOUT_VALUE), document)
                        for k, v in record.items()
                        if v is UNSAVED_FORMULA
                    ]
    return problems


def is_blank(value: Any) -> bool:
    """Blank cells take the default: missing, ``None``, or an all-whitespace string."""
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate_document(document: Any) -> Scenario:
    """Check ``document`` against the contract; return the ``Scenario`` or raise ``ScenarioInvalid``.

    One pass reports everything: type and range problems of every cell together with
    duplicate keys, unknown references and row rules (a reference into a table that is
    itself missing or malformed is not reported again for each row).
    """
    problems: list[Problem] = []
    if not isinstance(document, dict):
        raise ScenarioInvalid([Problem("scenario", None, None, "must be an object of named tables and settings")])

    for key in document:
        if key != SETTINGS_TABLE and key not in TABLES:
            known = ", ".join([SETTINGS_TABLE, *TABLES])
            problems.append(Problem(_shown_name(key), None, None, f"unknown table (known tables: {known})"))

    settings = _validate_settings(document.get(SETTINGS_TABLE), problems)
    frames: dict[str, pd.DataFrame] = {}
    broken: set[str] = set()
    for name, table in TABLES.items():
        before = len(problems)
        frames[name] = _validate_table(table, document.get(name), problems)
        if any(p.row is None and p.column is None for p in problems[before:]):
            broken.add(name)

    _check_unique_keys(frames, problems)
    _check_references(frames, problems, broken)
    _check_row_rules(frames, problems)
    if settings is not None:
        _check_settings_against_tables(settings, frames, problems)
    if problems:
        # Only the problems listed are located; ScenarioInvalid counts the rest.
        listed = [_at_row_as_read(problem, document) for problem in problems[:MAX_PROBLEMS_LISTED]]
        raise ScenarioInvalid(listed + problems[MAX_PROBLEMS_LISTED:])

    assert settings is not None
    return _build_scenario(settings, frames)


def data_warnings(scenario: Scenario, document: dict[str, Any], rate_hint: RateHint) -> list[Problem]:
    """The figures of ``scenario`` (validated from ``document``) that are allowed but look like the
    wrong unit (models/plausibility.py), each naming its row as the user's sheet numbers it. Warnings,
    not problems: the scenario stays valid and unchanged. ``rate_hint``: as ``implausible_figures``."""
    return [_at_row_as_read(warning, document) for warning in implausible_figures(scenario, rate_hint)]


def _at_row_as_read(problem: Problem, document: dict[str, Any]) -> Problem:
    """``problem`` naming its row as the user's sheet or CSV numbers it (blank rows counted)."""
    records = document.get(problem.table) if problem.row is not None else None
    # A list changed after it was read no longer matches its rows: numbered by place, as JSON is.
    if isinstance(records, SheetRecords) and problem.row is not None and len(records.rows) == len(records):
        return dataclasses.replace(problem, row=records.rows[problem.row - 1])
    return problem


def _shown_name(value: Any) -> str:
    text = str(value)
    return text if len(text) <= MAX_ID_LENGTH else text[:MAX_ID_LENGTH] + "…"


def _validate_settings(raw: Any, problems: list[Problem]) -> ScenarioSettings | None:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.append(Problem(SETTINGS_TABLE, None, None, "must be an object of key: value"))
        return None
    given = {str(k): v for k, v in raw.items() if not is_blank(v)}
    reported = set()
    for key, value in given.items():
        if value is UNSAVED_FORMULA:
            problems.append(Problem(SETTINGS_TABLE, None, key, FORMULA_WITHOUT_VALUE))
            reported.add(key)
        elif (isinstance(value, float) and not math.isfinite(value)) or _spells_non_finite(value):
            problems.append(Problem(SETTINGS_TABLE, None, key, f"must be a finite number (got {shown(value)})"))
            reported.add(key)
        elif isinstance(value, dict | list):
            problems.append(Problem(SETTINGS_TABLE, None, key, "must be a single value, not a list or object"))
            reported.add(key)
    try:
        settings = ScenarioSettings.model_validate({k: v for k, v in given.items() if v is not UNSAVED_FORMULA})
    except ValidationError as error:
        for item in error.errors():
            column = ".".join(str(part) for part in item["loc"]) or None
            message = _setting_message(item)
            if column is None:
                # Cross-field rules ("X is required when ...") name their setting first.
                named = message.split(" ", 1)[0]
                column = named if named in ScenarioSettings.model_fields else None
            if column in reported:
                continue
            if item["type"] == "extra_forbidden":
                message = f"unknown setting (known: {', '.join(ScenarioSettings.model_fields)})"
            problems.append(Problem(SETTINGS_TABLE, None, column, message))
        return None
    # A setting of -0 is 0, as a table's cell is: never shown as "£-0", and hashed as 0 is.
    negative_zeros = {key: 0.0 for key, value in settings if isinstance(value, float) and value == 0}
    return settings.model_copy(update=negative_zeros) if negative_zeros else settings


# Pydantic's wording for a setting's type and range errors, in the words the tables use.
_SETTING_TYPE_MESSAGES = {
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "string_type": "must be text",
}
_SETTING_BOUNDS = {
    "greater_than": "more than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}


def _setting_message(item: Any) -> str:
    """A settings validation error as the product words it, quoting the value as given."""
    kind, context, got = item["type"], item.get("ctx") or {}, f"(got {shown(item.get('input'))})"
    if kind in _SETTING_TYPE_MESSAGES:
        return f"{_SETTING_TYPE_MESSAGES[kind]} {got}"
    if kind in _SETTING_BOUNDS and context:
        return f"must be {_SETTING_BOUNDS[kind]} {formats.number(next(iter(context.values())))} {got}"
    if kind == "string_too_long":  # the text itself is too long to quote
        return f"must be at most {context['max_length']:,} characters (got {len(item['input']):,})"
    if kind == "literal_error":  # expected is "'a', 'b' or 'c'"
        choices = str(context["expected"]).replace("'", "").replace(" or ", ", ")
        return f"must be one of {choices} {got}"
    return str(item["msg"]).removeprefix("Value error, ")


def _validate_table(table: Table, records: Any, problems: list[Problem]) -> pd.DataFrame:
    """Parse one table's records into a typed DataFrame, recording every problem."""
    empty = pd.DataFrame({c.name: pd.Series(dtype=_dtype(c)) for c in table.columns})
    if records is None:
        if table.required:
            problems.append(Problem(table.name, None, None, "table is missing"))
        return empty
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        problems.append(Problem(table.name, None, None, "must be a list of records (objects of column: value)"))
        return empty
    if table.required and not records:
        problems.append(Problem(table.name, None, None, "table has no rows"))
        return empty

    present: set[str] = set().union(*(r.keys() for r in records)) if records else set()
    for unknown in sorted(str(c) for c in present - set(table.column_names)):
        problems.append(
            Problem(table.name, None, unknown, f"unknown column (known columns: {', '.join(table.column_names)})")
        )

    columns: dict[str, Any] = {}
    for column in table.columns:
        if column.required and records and column.name not in present:
            problems.append(Problem(table.name, None, column.name, "required column is missing"))
            columns[column.name] = empty[column.name].reindex(range(len(records)))
            continue
        raw = [r.get(column.name) for r in records]
        columns[column.name] = _parse_column(table.name, column, raw, problems)
    return pd.DataFrame(columns)


def _dtype(column: Column) -> str:
    return "float64" if column.kind in ("int", "float") else "object"


def _parse_column(table: str, column: Column, raw: list[Any], problems: list[Problem]) -> pd.Series:
    unsaved = [place for place, value in enumerate(raw) if value is UNSAVED_FORMULA]
    for place in unsaved:
        problems.append(Problem(table, place + 1, column.name, FORMULA_WITHOUT_VALUE))
    if unsaved:  # named above, then read as blank; never also reported as missing
        raw = [None if value is UNSAVED_FORMULA else value for value in raw]
    blank = np.fromiter((is_blank(v) for v in raw), dtype=bool, count=len(raw))
    if column.required:
        missing = blank.copy()
        missing[unsaved] = False
        for row in np.flatnonzero(missing):
            problems.append(Problem(table, int(row) + 1, column.name, "required value is missing"))

    if column.kind in ("id", "str", "choice"):
        limit = column.max_length or (MAX_ID_LENGTH if column.kind == "id" else MAX_TEXT_LENGTH)
        texts: list[str | None] = []
        # One str per distinct value: the tables keep these columns, and eligibility and staff repeat
        # every practice's and role's id (~20 MB of copies at England, one per cell as read).
        distinct: dict[str, str] = {}
        for number, (value, is_blank_cell) in enumerate(zip(raw, blank, strict=True), start=1):
            if is_blank_cell:
                texts.append(None)
                continue
            text, message = _as_text(value, limit)
            if message is not None:
                problems.append(Problem(table, number, column.name, message))
            texts.append(None if text is None else distinct.setdefault(text, text))
        text_series = pd.Series(texts, dtype=object)
        if column.kind == "choice":
            bad = ~blank & text_series.notna().to_numpy() & ~text_series.isin(column.choices).to_numpy()
            for row in np.flatnonzero(bad):
                problems.append(
                    Problem(
                        table,
                        int(row) + 1,
                        column.name,
                        f"must be one of {', '.join(column.choices)} (got {shown(text_series[row])})",
                    )
                )
        if column.default is not None:
            text_series = text_series.fillna(column.default)
        return text_series

    parsed = [_as_number(v) for v in raw]
    # + 0.0: a cell of -0 is 0, never shown as "-0" and hashed as 0 is.
    values = np.fromiter((v if v is not None else np.nan for v in parsed), dtype="float64", count=len(raw)) + 0.0
    numbers = pd.Series(values, dtype="float64")
    not_number = ~blank & np.fromiter((v is None for v in parsed), dtype=bool, count=len(raw))
    looks_nan = np.fromiter((_spells_nan(v) for v in raw), dtype=bool, count=len(raw))
    for row in np.flatnonzero(not_number):
        got = raw[row]
        message = (
            f"must be a finite number (got {shown(got)})"
            if looks_nan[row]
            else f"must be a number{_date_note(got)} (got {shown(got)})"
        )
        problems.append(Problem(table, int(row) + 1, column.name, message))
    for row in np.flatnonzero(np.isinf(values)):
        got = raw[row]
        if _spells_non_finite(got) or isinstance(got, float):
            message = f"must be a finite number (got {shown(got)})"
        else:  # a finite number too large for a float, e.g. 10**400 or "1e400"
            message = (
                f"must be at most {formats.number(column.upper)} (got {shown(got)})" if column.upper else "is too large"
            )
        problems.append(Problem(table, int(row) + 1, column.name, message))

    finite = np.isfinite(values)
    if column.kind == "int":
        for row in np.flatnonzero(finite & (values != np.round(values))):
            problems.append(
                Problem(table, int(row) + 1, column.name, f"must be a whole number (got {shown(raw[row])})")
            )
    if column.lower is not None:
        low = values <= column.lower if column.lower_strict else values < column.lower
        bound = f"{'more than' if column.lower_strict else 'at least'} {formats.number(column.lower)}"
        for row in np.flatnonzero(finite & low):
            problems.append(Problem(table, int(row) + 1, column.name, f"must be {bound} (got {shown(raw[row])})"))
    if column.upper is not None:
        for row in np.flatnonzero(finite & (values > column.upper)):
            problems.append(
                Problem(
                    table,
                    int(row) + 1,
                    column.name,
                    f"must be at most {formats.number(column.upper)} (got {shown(raw[row])})",
                )
            )
    if column.default is not None:
        numbers = numbers.fillna(float(column.default))
    return numbers


def _as_text(value: Any, limit: int) -> tuple[str | None, str | None]:
    """A text cell as text, or a message saying why it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, f"must be text or a number{_date_note(value)} (got {shown(value)})"
    if isinstance(value, float):
        if not math.isfinite(value):
            return None, f"must be text or a finite number (got {shown(value)})"
        text = str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    elif isinstance(value, int):
        text = str(value) if abs(value) < 10**limit else ""
    else:
        text = value.strip()
    if not text or len(text) > limit:
        return None, f"must be at most {limit} characters (got {len(text) if text else 'more'})"
    if _CONTROL.search(text):
        return None, "must not contain control characters (such as NUL, tab or newline)"
    return text, None


def _as_number(value: Any) -> float | None:
    """A numeric cell as a float (±inf for out-of-range magnitudes), or None if it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        text = value.strip()
        if not _NUMBER.fullmatch(text):
            return None
        number = float(text)
        return None if math.isnan(number) else number
    return None


def _date_note(value: Any) -> str:
    """Why a sheet's date, time or duration cell is refused (Excel may have made one of what was typed)."""
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        return ", not a date or time"
    return ""


def _spells_non_finite(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().lstrip("+-") in {"nan", "inf", "infinity"}


def _spells_nan(value: Any) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, str) and value.strip().lower() in {"nan", "-nan", "+nan"}


def _check_unique_keys(frames: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    for name, key in TABLE_KEYS.items():
        frame = frames[name]
        complete = frame[list(key)].notna().all(axis=1).to_numpy()
        duplicated = frame.duplicated(subset=list(key), keep="first").to_numpy() & complete
        columns = [frame[k].to_numpy() for k in key]  # indexed directly: a lookup per row through pandas is slow
        for row in np.flatnonzero(duplicated):
            ident = ", ".join(f"{k}={shown(values[row])}" for k, values in zip(key, columns, strict=True))
            problems.append(Problem(name, int(row) + 1, key[-1], f"duplicate {ident}"))


def _check_references(frames: dict[str, pd.DataFrame], problems: list[Problem], broken: set[str]) -> None:
    practice_ids = set(frames["practices"]["practice_id"].dropna())
    pcn_ids = set(frames["pcns"]["pcn_id"].dropna())
    role_ids = set(frames["roles"]["role_id"].dropna())
    service_ids = set(frames["services"]["service_id"].dropna())

    def must_exist(table: str, column: str, known: set[str], target: str, *targets: str) -> None:
        if broken & {table, *targets}:
            return  # the table itself is missing or malformed, which is reported already
        values = frames[table][column]
        missing = ~values.isin(known).to_numpy() & values.notna().to_numpy()
        for row in np.flatnonzero(missing):
            problems.append(Problem(table, int(row) + 1, column, f"unknown {target} {shown(values.iat[row])}"))

    must_exist("practices", "pcn_id", pcn_ids, "pcn_id", "pcns")
    must_exist("staff", "role_id", role_ids, "role_id", "roles")
    must_exist("staff", "holder_id", practice_ids | pcn_ids, "practice_id or pcn_id", "practices", "pcns")
    must_exist("skill_mix", "service_id", service_ids, "service_id", "services")
    must_exist("skill_mix", "role_id", role_ids, "role_id", "roles")
    must_exist("eligibility", "practice_id", practice_ids, "practice_id", "practices")
    must_exist("eligibility", "service_id", service_ids, "service_id", "services")

    for ambiguous in sorted(practice_ids & pcn_ids):
        problems.append(
            Problem(
                "pcns",
                None,
                "pcn_id",
                f"{shown(ambiguous)} is both a practice_id and a pcn_id (staff holder ambiguous)",
            )
        )
    if broken & {"skill_mix", "services"}:
        return
    deliverable = set(frames["skill_mix"]["service_id"])
    services = frames["services"]
    for row, service in enumerate(services["service_id"]):
        if service is not None and service not in deliverable:
            problems.append(
                Problem("services", row + 1, "service_id", f"nobody can deliver {shown(service)}: no skill_mix row")
            )


def _check_row_rules(frames: dict[str, pd.DataFrame], problems: list[Problem]) -> None:
    services = frames["services"]
    above = (services["min_coverage"] > services["max_coverage"]).to_numpy()
    for row in np.flatnonzero(above):
        low, high = formats.numbers_apart(services["min_coverage"].iat[row], services["max_coverage"].iat[row])
        problems.append(Problem("services", int(row) + 1, "min_coverage", f"must be <= max_coverage ({low} > {high})"))
    eligibility, practices = frames["eligibility"], frames["practices"]
    lists = eligibility["practice_id"].map(
        practices.drop_duplicates("practice_id").set_index("practice_id")["list_size"]
    )
    beyond = (eligibility["eligible_patients"] > lists).to_numpy()
    for row in np.flatnonzero(beyond):
        eligible, listed = formats.numbers_apart(eligibility["eligible_patients"].iat[row], lists.iat[row])
        problems.append(
            Problem(
                "eligibility",
                int(row) + 1,
                "eligible_patients",
                f"must be <= the list_size of practice {shown(eligibility['practice_id'].iat[row])} "
                f"({eligible} > {listed}): "
                "eligible patients are patients on the practice's list",
            )
        )
    roles = frames["roles"]
    wrong = (roles["arrs_reimbursement_max_gbp"].notna() & (roles["category"] != "arrs")).to_numpy()
    for row in np.flatnonzero(wrong):
        problems.append(
            Problem(
                "roles",
                int(row) + 1,
                "arrs_reimbursement_max_gbp",
                f"only roles of category arrs can be reimbursed (category is {shown(roles['category'].iat[row])})",
            )
        )


def _check_settings_against_tables(
    settings: ScenarioSettings, frames: dict[str, pd.DataFrame], problems: list[Problem]
) -> None:
    has_gp_role = bool((frames["roles"]["category"] == "gp").any())
    for key in ("gp_fte_per_10k_weighted", "gp_fte_target_total"):
        if getattr(settings, key) and not has_gp_role:
            problems.append(Problem(SETTINGS_TABLE, None, key, "is set but no role has category gp"))
    # Fair shares (docs/fairness.md): a floor on prior funding needs some prior funding to hold to.
    if settings.no_practice_below_prior and not frames["practices"]["prior_funding_gbp"].notna().any():
        problems.append(
            Problem(SETTINGS_TABLE, None, "no_practice_below_prior", "is true but no practice has prior_funding_gbp")
        )
    if settings.objective == "max_min_coverage" and not (frames["services"]["value_weight"].fillna(1.0) > 0).any():
        problems.append(
            Problem(SETTINGS_TABLE, None, "objective", "max_min_coverage needs a service with value_weight > 0")
        )


def _build_scenario(settings: ScenarioSettings, frames: dict[str, pd.DataFrame]) -> Scenario:
    practices = frames["practices"].copy()
    practices["list_size"] = practices["list_size"].astype("int64")
    practices["weighted_list_size"] = practices["weighted_list_size"].fillna(practices["list_size"].astype(float))

    pcns = frames["pcns"].copy()
    weighted_population = practices.groupby("pcn_id")["weighted_list_size"].sum()
    rate = settings.arrs_rate_gbp_per_weighted_patient
    default_entitlement = pcns["pcn_id"].map(weighted_population).fillna(0.0) * rate
    pcns["arrs_entitlement_gbp"] = pcns["arrs_entitlement_gbp"].fillna(default_entitlement)

    return Scenario(
        settings=settings,
        practices=practices.set_index("practice_id", drop=False),
        pcns=pcns.set_index("pcn_id", drop=False),
        roles=frames["roles"].set_index("role_id", drop=False),
        staff=frames["staff"].reset_index(drop=True),
        services=frames["services"].set_index("service_id", drop=False),
        skill_mix=frames["skill_mix"].reset_index(drop=True),
        eligibility=frames["eligibility"].reset_index(drop=True),
    )
