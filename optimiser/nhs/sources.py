"""Opening published NHS files as they are published: CSV or zip, BOM, CRLF, extra columns.

A national file is a superset of an area's extract (more rows, more columns), so readers
ask only for the columns they need, by the publication's own header names (matched
ignoring case and surrounding spaces), and ignore everything else.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.scenario import Problem, ScenarioInvalid

ENCODINGS = ("utf-8-sig", "cp1252")


class NhsInputError(ScenarioInvalid):
    """A publication file that cannot be used, named by file (and column where one is at fault).

    A ``ScenarioInvalid`` whose one problem names the file as its table: every entry point
    (the CLI, the API) reports it as it reports any other invalid input.
    """

    def __init__(self, file: str, message: str, column: str | None = None):
        self.file = file
        self.column = column
        self.message = message
        super().__init__([Problem(file, None, column, message)])


@dataclass(frozen=True)
class Source:
    """One input: a path, or uploaded bytes with their file name."""

    name: str
    path: Path | None = None
    data: bytes | None = None

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


def _header_of(text: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text.split("\n", 1)[0])), [])
    return [normalise_header(h) for h in first]


def _decode(data: bytes, name: str) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NhsInputError(name, "is not a text CSV file (neither UTF-8 nor Windows-1252)")


def read_table(source: Source, publication: str, required: tuple[str, ...]) -> tuple[pd.DataFrame, str]:
    """The CSV (or the CSV inside a zip) with every ``required`` column, as text.

    Returns the frame, with its columns renamed to the normalised header names, and the
    name of the file read (``archive.zip:member.csv`` for a zip member). Raises
    ``NhsInputError`` naming the file and the first missing column if the file is not
    this publication.
    """
    data = source.read_bytes()
    if data[:4] == b"PK\x03\x04" or source.name.lower().endswith(".zip"):
        text, label = _from_zip(data, source.name, publication, required)
    else:
        text, label = _decode(data, source.name), source.name
    wanted = [normalise_header(c) for c in required]
    header = _header_of(text)
    missing = [c for c, n in zip(required, wanted, strict=True) if n not in header]
    if missing:
        raise NhsInputError(
            label,
            f"required column is missing: this does not look like the {publication} file "
            f"(it needs {', '.join(required)})",
            column=missing[0],
        )
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise NhsInputError(label, f"is not a well-formed CSV ({error})") from None
    frame.columns = [normalise_header(c) for c in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    for column in frame.columns:
        frame[column] = frame[column].str.strip()
    return frame, label


def _from_zip(data: bytes, name: str, publication: str, required: tuple[str, ...]) -> tuple[str, str]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise NhsInputError(name, "is not a valid zip file") from None
    wanted = {normalise_header(c) for c in required}
    with archive:
        members = [m for m in archive.namelist() if m.lower().endswith(".csv") and not m.startswith("__MACOSX")]
        if not members:
            raise NhsInputError(name, "holds no CSV file")
        for member in members:
            text = _decode(archive.read(member), f"{name}:{member}")
            if wanted <= set(_header_of(text)):
                return text, f"{name}:{member}"
    if len(members) == 1:
        return _decode(archive.read(members[0]), name), f"{name}:{members[0]}"
    raise NhsInputError(
        name, f"none of its CSV files ({', '.join(members)}) is the {publication} file (needs {', '.join(required)})"
    )


def numbers(frame: pd.DataFrame, column: str, label: str, *, blank_as_zero: bool = True) -> pd.Series:
    """A text column as floats; blank (and the publications' ``NA``/``ND`` suppression marks) as 0 or NaN."""
    key = normalise_header(column)
    text = frame[key].str.replace(",", "", regex=False)
    suppressed = text.str.upper().isin(["", "NA", "N/A", "ND", "*", "-", ".."])
    values = pd.to_numeric(text.where(~suppressed), errors="coerce")
    bad = values.isna() & ~suppressed
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0])
        raise NhsInputError(label, f"row {row + 1} is not a number (got {frame[key].iloc[row]!r})", column=column)
    return values.fillna(0.0) if blank_as_zero else values


def date_in_name(name: str) -> str | None:
    """A period named in a file name (``may2026``, ``2022-23``, ``jun2026``), if any."""
    match = re.search(
        r"(20\d\d-\d\d)|((jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[-_ ]?20\d\d)", name, re.I
    )
    return match.group(0) if match else None
