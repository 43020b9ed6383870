"""Opening published NHS files as they are published: CSV or zip, BOM, CRLF, extra columns.

A national file is a superset of an area's extract (more rows, more columns), so readers
ask only for the columns they need, by the publication's own header names (matched
ignoring case and surrounding spaces), and ignore everything else.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from models.scenario import Problem, ScenarioInvalid
from models.schema import decimal_comma_hint, parse_amount, shown
from optimiser.io import DEFAULT_LIMITS, ReadLimits, open_archive

ENCODINGS = ("utf-8-sig", "cp1252")


class NhsInputError(ScenarioInvalid):
    """A publication file that cannot be used, named by file (and column where one is at fault).

    A ``ScenarioInvalid`` whose one problem names the file as its table: every entry point
    (the CLI, the API) reports it as it reports any other invalid input.
    """

    def __init__(self, file: str, message: str, column: str | None = None, row: int | None = None):
        self.file = file
        self.column = column
        self.message = message
        super().__init__([Problem(file, row, column, message)])


@dataclass(frozen=True)
class Origin:
    """Where a cell of the built scenario came from: a publication file, its data rows and columns.

    A scenario the importer builds is validated like any other; a problem in a table the
    user never wrote (practices, pcns, staff) is reported at this origin instead.
    """

    file: str
    rows: tuple[int, ...]
    columns: tuple[str, ...]
    subject: str  # whose figure or text it is, e.g. "practice L85001"

    def problem(self, message: str) -> Problem:
        """``message`` (a validation problem of the built cell) located in the publication file."""
        summed = []
        if len(self.rows) > 1:
            summed.append(_rows_text(self.rows))
        if len(self.columns) > 1:
            summed.append("columns " + ", ".join(self.columns))
        where = f" (the sum of {' and of '.join(summed)})" if summed else ""
        return Problem(
            self.file,
            self.rows[0] if len(self.rows) == 1 else None,
            self.columns[0] if len(self.columns) == 1 else None,
            f"{self.subject}{where}: {message}",
        )


def _rows_text(rows: tuple[int, ...]) -> str:
    if len(rows) <= 5:
        return "rows " + ", ".join(str(r) for r in rows[:-1]) + f" and {rows[-1]}"
    return f"{len(rows)} rows, from row {min(rows)} to row {max(rows)}"


@dataclass(frozen=True)
class Source:
    """One input: a path, or uploaded bytes with their file name. A zip is opened under
    ``limits`` (the service passes its own), as a scenario zip is."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    limits: ReadLimits = field(default=DEFAULT_LIMITS, compare=False)

    @classmethod
    def of(cls, value: str | Path | Source) -> Source:
        if isinstance(value, Source):
            return value
        path = Path(value)
        return cls(name=path.name, path=path)

    def read_bytes(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise NhsInputError(str(self.path), "no such file") from None
        except IsADirectoryError:
            raise NhsInputError(str(self.path), "is a directory, not a CSV or zip file") from None


def normalise_header(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).replace("\ufeff", "")).strip().casefold()


def _not_well_formed(label: str, error: Exception) -> NhsInputError:
    return NhsInputError(label, f"is not a well-formed CSV ({error})")


def _header_of(text: str, label: str) -> list[str]:
    try:
        first = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    except csv.Error as error:  # e.g. a field past the csv module's limit of 131,072 characters
        raise _not_well_formed(label, error) from None
    return [normalise_header(h) for h in first]


def _decode(data: bytes, name: str) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NhsInputError(name, "is not a text CSV file (neither UTF-8 nor Windows-1252)")


@dataclass
class PublishedTable:
    """A publication file read as text.

    ``frame`` has the normalised header names as columns and, as its index, each record's
    position in the file: record ``i`` is data row ``i + 1`` (the first line under the
    header is row 1 and blank lines are counted, as in every other error the product
    reports; blank lines themselves are not records). ``headers`` gives each
    normalised name as the file spells it, so errors name the column the user can find.
    """

    frame: pd.DataFrame
    file: str
    headers: dict[str, str]

    def spelt(self, column: str) -> str:
        """``column`` as the file's header spells it."""
        return self.headers.get(normalise_header(column), column)


def data_rows(rows: pd.DataFrame) -> pd.Series:
    """The 1-based data row in its file of each record of ``rows`` (a selection of a ``PublishedTable.frame``)."""
    return pd.Series(rows.index.to_numpy() + 1, index=rows.index)


def read_table(source: Source, publication: str, required: tuple[str, ...]) -> PublishedTable:
    """The CSV (or the CSV inside a zip) with every ``required`` column, as text.

    The file is named ``archive.zip:member.csv`` for a zip member. Raises ``NhsInputError``
    naming the file and the first missing column if the file is not this publication.
    """
    data = source.read_bytes()
    if data[:4] == b"PK\x03\x04" or source.name.lower().endswith(".zip"):
        text, label = _from_zip(data, source.name, publication, required, source.limits)
    else:
        text, label = _decode(data, source.name), source.name
    wanted = [normalise_header(c) for c in required]
    header = _header_of(text, label)
    missing = [c for c, n in zip(required, wanted, strict=True) if n not in header]
    if missing:
        raise NhsInputError(
            label,
            f"required column is missing: this does not look like the {publication} file "
            f"(it needs {', '.join(required)})",
            column=missing[0],
        )
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True, skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise _not_well_formed(label, error) from None
    _refuse_cut_off_lines(text, label, len(frame.columns))
    headers: dict[str, str] = {}
    for column in frame.columns:
        headers.setdefault(normalise_header(column), str(column).replace("\ufeff", "").strip())
    frame.columns = [normalise_header(c) for c in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    # A blank line (or one of commas only) is skipped but counted, as the scenario readers
    # count it: the records keep their places, so a row number is the line a user finds.
    frame = frame[(frame != "").any(axis=1)]
    return PublishedTable(frame, label, headers)


def _refuse_cut_off_lines(text: str, label: str, width: int) -> None:
    """A line with fewer fields than the header is a cut-off or hand-edited file: its missing cells
    would read as blank (a figure of 0), so it is refused, naming the first such data row."""
    records = csv.reader(io.StringIO(text))
    try:
        next(records, None)
        for row, fields in enumerate(records, start=1):
            if 0 < len(fields) < width and any(field.strip() for field in fields):
                raise NhsInputError(
                    label,
                    f"has {len(fields)} of the header's {width} fields: the line looks cut off",
                    row=row,
                )
    except csv.Error as error:  # e.g. a field past the csv module's limit of 131,072 characters
        raise _not_well_formed(label, error) from None


def _from_zip(
    data: bytes, name: str, publication: str, required: tuple[str, ...], limits: ReadLimits
) -> tuple[str, str]:
    """The text of the zip's CSV that has every ``required`` column (else of its only CSV, so that
    the caller names that file and the column it lacks), and its label ``name:member``.

    Opened by ``open_archive``: a zip bomb, an encrypted or unreadable zip is refused from its
    directory, before anything is decompressed, as a scenario zip is."""
    wanted = {normalise_header(c) for c in required}
    with open_archive(data, name, limits) as archive:
        members = [m for m in archive.files() if m.filename.lower().endswith(".csv")]
        if not members:
            raise NhsInputError(name, "holds no CSV file")
        for member in members:
            label = f"{name}:{member.filename}"
            text = _decode(archive.read(member), label)
            if wanted <= set(_header_of(text, label)) or len(members) == 1:
                return text, label
    names = ", ".join(m.filename for m in members)
    needs = ", ".join(required)
    raise NhsInputError(name, f"none of its CSV files ({names}) is the {publication} file (needs {needs})")


SUPPRESSED = ("", "NA", "N/A", "ND", "*", "-", "..")
# A column with more bad cells than this is reported by its first ones and a count of the rest.
MAX_PROBLEMS_PER_COLUMN = 20


@dataclass(frozen=True)
class Figure:
    """What a numeric column counts: the checks its cells must pass and how a bad one is named.

    ``holder`` ("practice", "PCN") and ``code_column`` say whose figure a row holds, so an
    error names the practice or PCN as well as the file, row and column. No figure the
    importer reads can be negative; ``upper`` is the bound of the scenario column the figure
    becomes (None: no bound), ``whole`` a count that cannot be fractional.
    """

    unit: str
    holder: str
    code_column: str
    upper: float | None = None
    whole: bool = False


def checked_numbers(
    table: PublishedTable, rows: pd.DataFrame, column: str, figure: Figure, *, blank_as_zero: bool = True
) -> tuple[pd.Series, list[Problem]]:
    """The cells of ``column`` in ``rows`` as floats, and a problem for each one that is not a valid figure.

    Blank cells and the publications' suppression marks (``NA``, ``ND``, ...) are 0, or NaN
    when ``blank_as_zero`` is false. Anything else must be a finite number, at least 0, at
    most ``figure.upper`` and whole if ``figure.whole``: a negative or impossible count is
    corrupt input, never summed in, dropped or estimated around.
    """
    key = normalise_header(column)
    suppressed = rows[key].str.upper().isin(SUPPRESSED)
    values = pd.to_numeric(_without_thousands_commas(rows[key]).where(~suppressed), errors="coerce")
    given = values[~suppressed].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(given) | (given < 0)
        if figure.upper is not None:
            bad |= given > figure.upper
        if figure.whole:
            bad |= given != np.round(given)
    positions = np.flatnonzero(~suppressed.to_numpy())[bad]
    problems = [_problem(table, rows, key, figure, int(p)) for p in positions[:MAX_PROBLEMS_PER_COLUMN]]
    if len(positions) > MAX_PROBLEMS_PER_COLUMN:
        rest = len(positions) - MAX_PROBLEMS_PER_COLUMN
        problems.append(Problem(table.file, None, table.spelt(key), f"and {rest} more rows with a figure like these"))
    return (values.fillna(0.0) if blank_as_zero else values), problems


def _without_thousands_commas(cells: pd.Series) -> pd.Series:
    """``cells`` with the commas that separate thousands taken out; a cell with any other comma becomes NaN.

    Thousands commas follow the product's one amount rule (``models.schema.parse_amount``):
    "17,596" is 17596, but "6,08" or "15416,86" (decimal commas) and "12,50,00" are not
    numbers, never read as 608 or 1541686.
    """
    misplaced = cells.str.contains(",", regex=False)
    misplaced[misplaced] = ~cells[misplaced].map(_thousands_grouped).astype(bool)
    return cells.str.replace(",", "", regex=False).mask(misplaced)


def _thousands_grouped(cell: str) -> bool:
    try:
        parse_amount(cell)
    except ValueError:
        return False
    return True


def _comma_hint(cell: str) -> str:
    """Why a cell with a comma is not a number, and how to write it (the decimal comma by the amount rule's hint)."""
    if hint := decimal_comma_hint(cell):
        return f"; {hint}"
    if "," in cell:
        return "; commas may only separate thousands, as in 1,250,000"
    return ""


def _problem(table: PublishedTable, rows: pd.DataFrame, key: str, figure: Figure, position: int) -> Problem:
    cell = str(rows[key].iat[position])
    value = pd.to_numeric(_without_thousands_commas(pd.Series([cell])), errors="coerce").iat[0]
    if not math.isfinite(value):
        reason, got = "is not a number", f"{shown(cell)}{_comma_hint(cell)}"
    elif value < 0:
        reason, got = "must not be negative", cell
    elif figure.upper is not None and value > figure.upper:
        reason, got = f"must be at most {figure.upper:,.0f} {figure.unit}", cell
    else:
        reason, got = f"must be a whole number of {figure.unit}", cell
    code = str(rows[normalise_header(figure.code_column)].iat[position]) or "with no code"
    return Problem(
        table.file,
        int(rows.index[position]) + 1,
        table.spelt(key),
        f"the figure for {figure.holder} {code} {reason} (got {got})",
    )


def numbers(
    table: PublishedTable, rows: pd.DataFrame, column: str, figure: Figure, *, blank_as_zero: bool = True
) -> pd.Series:
    """``checked_numbers``, raising ``ScenarioInvalid`` naming every bad cell (file, row, column)."""
    values, problems = checked_numbers(table, rows, column, figure, blank_as_zero=blank_as_zero)
    if problems:
        raise ScenarioInvalid(problems)
    return values


def refuse_repeated_rows(table: PublishedTable, key: pd.DataFrame, holder: str, per: str) -> None:
    """Raise ``ScenarioInvalid`` naming every key of ``key`` found on more than one row.

    ``key`` holds the columns that identify a row of this publication (the holder's code
    first), valued as the importer uses them (codes upper-cased), indexed like
    ``table.frame``. A publication gives one row per ``per``: a repeated one would be summed
    in, or leave two figures for one, so it is refused, naming the file, the rows and the
    code column.
    """
    repeated = key[key.duplicated(keep=False)]
    code_column = key.columns[0]
    problems = []
    for values, group in repeated.groupby(list(key.columns), sort=False):
        code, *others = values
        within = " and ".join(f"{table.spelt(c)} {v}" for c, v in zip(key.columns[1:], others, strict=True))
        problems.append(
            Problem(
                table.file,
                None,
                table.spelt(code_column),
                f"{holder} {code or 'with no code'} appears on {_rows_text(tuple(data_rows(group)))}"
                f"{' with ' + within if within else ''}; this publication gives one row per {per}",
            )
        )
    if problems:
        raise ScenarioInvalid(problems)


def date_in_name(name: str) -> str | None:
    """A period named in a file name (``may2026``, ``2022-23``, ``jun2026``), if any."""
    match = re.search(
        r"(20\d\d-\d\d)|((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_ ]?20\d\d)", name, re.I
    )
    return match.group(0) if match else None


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH = {m[:3].casefold(): n for n, m in enumerate(MONTHS, start=1)}
_MONTH_NAME = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"


def month_period(year: int, month: int) -> str:
    """A month as NHS England titles its monthly publications: ``July 2026``."""
    return f"{MONTHS[month - 1]} {year}"


def period(text: str) -> str | None:
    """The period a publication's date names, written as NHS England titles the publication.

    A day or a month is its month (``01Jul2026``, ``2026-07-01``, ``01/07/2026``, ``2026-07``
    and ``may2026`` are ``July 2026``/``May 2026``: monthly statistics are titled by month);
    a financial year is ``2022-23`` (``2022/23``, ``2022-2023``); a year alone is ``2025``.
    None if ``text`` is none of these (the caller keeps the text as the file gives it).
    """
    value = text.strip()
    if match := re.fullmatch(r"(20\d\d)[-/](\d\d|20\d\d)", value):
        year, second = int(match.group(1)), int(match.group(2))
        if second % 100 == (year + 1) % 100:
            return f"{year}-{second % 100:02d}"
        if len(match.group(2)) == 2 and 1 <= second <= 12:
            return month_period(year, second)
        return None
    if match := re.fullmatch(r"(20\d\d)-(\d\d)-(\d\d)(?:[T ].*)?", value):
        return _month(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if match := re.fullmatch(r"(\d\d?)/(\d\d?)/(20\d\d)", value):  # the UK order, day first
        return _month(int(match.group(3)), int(match.group(2)), int(match.group(1)))
    if match := re.fullmatch(rf"(\d\d?)[-_ ]?{_MONTH_NAME}[-_ ]?(20\d\d)", value, re.I):
        return _month(int(match.group(3)), _MONTH[match.group(2).casefold()], int(match.group(1)))
    if match := re.fullmatch(rf"{_MONTH_NAME}[-_ ]?(20\d\d)", value, re.I):
        return month_period(int(match.group(2)), _MONTH[match.group(1).casefold()])
    if re.fullmatch(r"20\d\d", value):
        return value
    return None


def _month(year: int, month: int, day: int) -> str | None:
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    return month_period(year, month)
