"""Read scenarios from JSON, a CSV directory, an Excel workbook or a zip of CSVs; write results.

Every reader returns the same plain *document* (see docs/architecture.md), so all
encodings of a scenario validate to the identical ``Scenario``. Readers keep cell values
as the file gives them (text for CSV); the validator does all type checking, so a bad
cell is reported by table, row and column whichever encoding it came in.

The CLI, batches and the API all read through ``read_document`` (a path) or
``read_bytes`` (an upload), under the same ``ReadLimits``: file and expanded sizes are
checked before anything is decompressed or parsed, a workbook sheet's declared size is
checked before its rows are read, and reading never goes past the row and column limits.
Anything unreadable is a ``ScenarioInvalid`` (exit 2 / HTTP 422), never another error.

A caller that may stop wanting the answer (the API, when its client disconnects) reads
inside ``cancel_reading_when(event)``: the readers look at the event between rows, sheets,
files and decompressed chunks and raise ``ReadCancelled`` once it is set. Without it (the
CLI, batches) nothing changes.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
import threading
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, cast
from xml.etree.ElementTree import iterparse

import numpy as np
import pandas as pd

from models import formats
from models.scenario import Problem, ScenarioInvalid
from models.schema import TABLES, ScenarioSettings, Table, shown
from models.validate import FORMULA_WITHOUT_VALUE, UNSAVED_FORMULA, SheetRecords

SETTINGS = "settings"
NOTES_SHEET = "notes"
MEBIBYTE = 1024 * 1024
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
SCENARIO_SUFFIXES = (".json", *WORKBOOK_SUFFIXES, ".zip")
_READ_CHUNK = 1024 * 1024
_CANCEL_CHECK_ROWS = 256  # rows read between looks at the cancellation event
_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a cell's <f> (formula), with or without a prefix
_MERGE_TAG = re.compile(rb"<(?:\w+:)?mergeCell[\s>/]")  # a sheet's merged range, with or without a prefix


@dataclass(frozen=True)
class ReadLimits:
    """What one scenario may take to read; larger inputs are refused before they are read.

    ``max_file_bytes``: a scenario file (or one file of a CSV directory);
    ``max_expanded_bytes``: the uncompressed content of a zip or workbook (and a CSV
    directory's files together); ``max_table_rows``: data rows of one table;
    ``max_columns``: columns of one table; ``max_members``: entries of a zip or workbook.
    """

    max_file_bytes: int = 100 * MEBIBYTE
    max_expanded_bytes: int = 200 * MEBIBYTE
    max_table_rows: int = 1_000_000
    max_columns: int = 64
    max_members: int = 1_000


DEFAULT_LIMITS = ReadLimits()


class ReadCancelled(Exception):
    """The reader's caller stopped wanting the document (e.g. the API's client went away)."""


_cancel_event: ContextVar[threading.Event | None] = ContextVar("commission_read_cancel", default=None)


@contextmanager
def cancel_reading_when(event: threading.Event) -> Iterator[None]:
    """Reads in this context (and in threads started with a copy of it) stop with
    ``ReadCancelled`` soon after ``event`` is set."""
    token = _cancel_event.set(event)
    try:
        yield
    finally:
        _cancel_event.reset(token)


def raise_if_cancelled() -> None:
    """Raise ``ReadCancelled`` if this context's read has been cancelled."""
    event = _cancel_event.get()
    if event is not None and event.is_set():
        raise ReadCancelled()


def _invalid(message: str, table: str = "scenario") -> ScenarioInvalid:
    return ScenarioInvalid([Problem(table, None, None, message)])


def read_document(path: str | Path, limits: ReadLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Read a scenario in any supported encoding into a document."""
    source = Path(path)
    if not source.exists():
        raise _invalid(f"no such file or directory: {source}")
    if source.is_dir():
        return _guarded(source.name, lambda: read_csv_directory(source, limits))
    suffix = source.suffix.lower()
    if suffix not in SCENARIO_SUFFIXES:
        raise _invalid(
            f"unsupported scenario file {shown(source.name)}: give a .json, .xlsx, .xlsm, .zip or a directory of CSVs"
        )
    size = source.stat().st_size
    if size > limits.max_file_bytes:
        raise _scenario_file_too_large(source.name, size, limits)
    with source.open("rb") as handle:
        return _read_stream(source.name, suffix, handle, limits)


def read_bytes(filename: str, data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Read an uploaded scenario file (named ``filename``) exactly as ``read_document`` reads it."""
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in SCENARIO_SUFFIXES:
        raise _invalid(f"unsupported file {shown(filename)}: give a {', '.join(SCENARIO_SUFFIXES)} file", "upload")
    if len(data) > limits.max_file_bytes:
        raise _scenario_file_too_large(filename, len(data), limits)
    return _read_stream(filename, suffix, io.BytesIO(data), limits)


def _scenario_file_too_large(name: str, size: int, limits: ReadLimits) -> ScenarioInvalid:
    """A scenario file on disk or uploaded of more than ``limits.max_file_bytes``, in one wording."""
    return _invalid(f"{name} is {size:,} bytes; the most a scenario file may be is {limits.max_file_bytes:,}")


def _read_stream(name: str, suffix: str, handle: IO[bytes], limits: ReadLimits) -> dict[str, Any]:
    if suffix == ".json":
        return _guarded(name, lambda: parse_json(handle.read(limits.max_file_bytes + 1), name, limits))
    if suffix == ".zip":
        return _guarded(name, lambda: read_zip(handle, limits, name))
    return _guarded(name, lambda: read_workbook(handle, limits, name))


def _guarded(name: str, read: Any) -> dict[str, Any]:
    """Any failure to read a file is the user's input problem, never a crash."""
    try:
        document: dict[str, Any] = read()
    except (ScenarioInvalid, ReadCancelled):
        raise
    except MemoryError:
        raise _invalid(f"{name} is too large to read") from None
    except RecursionError:
        raise _invalid(f"{name} is nested too deeply to read") from None
    except Exception as error:  # noqa: BLE001 - zip, XML and spreadsheet libraries raise many types
        detail = str(error).splitlines()[0][:200] if str(error) else ""
        raise _invalid(f"{name} could not be read ({type(error).__name__}{': ' + detail if detail else ''})") from None
    return document


def parse_json(
    data: bytes, name: str, limits: ReadLimits = DEFAULT_LIMITS, top_level: str = "scenario"
) -> dict[str, Any]:
    """A JSON scenario (file, upload or request body); a UTF-8 byte-order mark is allowed.

    NaN and ±Infinity are kept as numbers so that the validator names their cell. A key given
    twice in one object is a problem naming it, not silently the last value. ``top_level``
    says what the outer object's keys are: tables (``"scenario"``) or ``"settings"``.
    """
    if len(data) > limits.max_file_bytes:
        raise _invalid(f"{name} is larger than {limits.max_file_bytes:,} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _invalid(f"{name} is not UTF-8 text") from None
    try:
        document, repeated = load_json_noting_repeated_keys(text)
    except json.JSONDecodeError as error:
        raise _invalid(f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise _invalid(f"{name} is not valid JSON: {unreadable_json_number(error)}") from None
    except RecursionError:
        raise _invalid(f"{name} is nested too deeply to read") from None
    if not isinstance(document, dict):
        raise _invalid(f"{name} must hold one JSON object of tables and settings")
    if repeated:
        raise ScenarioInvalid([_repeated_key_problem(repeat, name, top_level) for repeat in repeated])
    if top_level == "scenario":
        check_table_rows(document, limits)
    return document


@dataclass(frozen=True)
class RepeatedKey:
    """A key that one JSON object gives more than once (JSON readers silently keep the last)."""

    path: tuple[str | int, ...]  # from the top down to the object: keys, and 0-based list positions
    key: str
    values: tuple[Any, ...]  # each value given, in order

    @property
    def message(self) -> str:
        given = ", then ".join(shown(value) for value in self.values)
        return f"is given more than once ({given}); give it once"


def unreadable_json_number(error: ValueError) -> str:
    """Why JSON that parses could still not be read (Python refuses integers of over 4,300 digits)."""
    if "integer string conversion" in str(error):
        return f"a number has more than {sys.get_int_max_str_digits():,} digits"
    return str(error)


def load_json_noting_repeated_keys(data: str | bytes) -> tuple[Any, list[RepeatedKey]]:
    """``json.loads`` (NaN and ±Infinity kept as numbers), with every key some object gives
    more than once: the one JSON reading of scenarios, API request bodies and batch manifests,
    so that none of them silently takes the last of two values. Raises as ``json.loads`` does.
    """
    found: list[_ObjectWithRepeats] = []

    def json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        values = dict(pairs)
        if len(values) == len(pairs):
            return values
        found.append(_ObjectWithRepeats(pairs))
        return found[-1]

    document = json.loads(data, object_pairs_hook=json_object, parse_float=_float_as_written)
    return document, (_repeated_keys(document) if found else [])


class TooLargeNumber(float):
    """A JSON number too large for a float (``1e999``): infinite, as Python reads it, so every
    bound refuses it; a message quotes it as it was written, not as ``inf``."""

    written: str

    def __new__(cls, written: str) -> TooLargeNumber:
        number = super().__new__(cls, written)
        number.written = written
        return number

    def __repr__(self) -> str:
        return self.written

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[TooLargeNumber], tuple[str]]:
        return TooLargeNumber, (self.written,)


def _float_as_written(text: str) -> float:
    number = float(text)
    return number if math.isfinite(number) else TooLargeNumber(text)


class _ObjectWithRepeats(dict[str, Any]):
    """A JSON object that gives some key more than once; ``given`` holds each such key's values."""

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__(pairs)
        values: dict[str, list[Any]] = {}
        for key, value in pairs:
            values.setdefault(key, []).append(value)
        self.given = {key: tuple(given) for key, given in values.items() if len(given) > 1}


def _repeated_keys(document: Any) -> list[RepeatedKey]:
    """Every repeated key with where its object is, in document order (a loop, not recursion:
    a document may nest as deeply as the JSON reader allows)."""
    repeated: list[RepeatedKey] = []
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), document)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, _ObjectWithRepeats):
            repeated.extend(RepeatedKey(path, key, values) for key, values in value.given.items())
        if isinstance(value, dict):
            children: list[tuple[str | int, Any]] = list(value.items())
        elif isinstance(value, list):
            children = list(enumerate(value))
        else:
            continue
        pending.extend(((*path, step), child) for step, child in reversed(children))
    return repeated


def _repeated_key_problem(repeat: RepeatedKey, name: str, top_level: str) -> Problem:
    """A repeated key of a scenario document, by table, row and column where its shape allows."""
    match repeat.path:
        case () if top_level == SETTINGS:
            return Problem(SETTINGS, None, repeat.key, repeat.message)
        case ():
            return Problem(repeat.key, None, None, f"is given more than once in {name}; give each table once")
        case (str(table),):
            return Problem(table, None, repeat.key, repeat.message)
        case (str(table), int(position)):
            return Problem(table, position + 1, repeat.key, repeat.message)
    # deeper than a table's records: name the key only
    return Problem(
        top_level, None, None, f"{name} gives {shown(repeat.key)} more than once in one object; give it once"
    )


def read_csv_directory(directory: Path, limits: ReadLimits = DEFAULT_LIMITS) -> dict[str, Any]:
    """One CSV per table (``practices.csv``, ...) plus ``settings.json`` or ``settings.csv``.

    Each CSV is read from its file as it is parsed, never held whole: a table of more rows
    than the limit is refused after reading one row past it, in the memory of one row."""
    files: dict[str, bytes | Path] = {}
    total = 0
    for path in sorted([*directory.glob("*.csv"), *directory.glob(f"{SETTINGS}.json")]):
        size = path.stat().st_size
        total += size
        if size > limits.max_file_bytes or total > limits.max_expanded_bytes:
            raise _invalid(
                f"{directory.name}: {path.name} takes the files past this reader's limit "
                f"({limits.max_file_bytes:,} bytes per file, {limits.max_expanded_bytes:,} in all)"
            )
        files[path.name] = path.read_bytes() if path.suffix == ".json" else path
    if not any(name.endswith(".csv") for name in files):
        raise _invalid(f"{directory} holds no CSV files")
    return _document_from_files(files, limits)


def _document_from_files(files: Mapping[str, bytes | Path], limits: ReadLimits) -> dict[str, Any]:
    """A document from the CSV-directory layout, given as file name → content (a CSV's may be
    its path, read as it is parsed; settings.json's is its bytes)."""
    document: dict[str, Any] = {}
    if f"{SETTINGS}.json" in files:
        content = files[f"{SETTINGS}.json"]
        data = content if isinstance(content, bytes) else content.read_bytes()
        settings = parse_json(data, f"{SETTINGS}.json", limits, top_level=SETTINGS)
        document[SETTINGS] = settings.get(SETTINGS, settings)
    empty: list[Problem] = []
    for name in sorted(files):
        if not name.endswith(".csv"):
            continue
        table = name[: -len(".csv")]
        raise_if_cancelled()
        read = _read_csv_records(files[name], name, limits)
        if read is None and _is_scenario_table(table):
            empty.append(_empty_table_problem(table, "file"))
            continue
        records = SheetRecords([], []) if read is None else read
        if table == SETTINGS:
            if SETTINGS in document:
                raise _invalid("give settings.json or settings.csv, not both", SETTINGS)
            document[SETTINGS] = _settings_from_rows(records, name)
        else:
            document[table] = records
    if empty:
        raise ScenarioInvalid(empty)
    return document


def _is_scenario_table(name: str) -> bool:
    return name in TABLES or name == SETTINGS


def _empty_table_problem(table: str, container: str) -> Problem:
    """A table's file or sheet (``container``) that has no header row: a failed export or a
    truncated copy, never a deliberate "none" (a header row alone says that), so it is refused
    rather than read as a table without rows."""
    if table == SETTINGS:
        advice = "give the columns key and value and a row for each setting"
    elif TABLES[table].required:
        advice = "give the table's header row and its rows"
    else:
        advice = f"delete the {container} if the scenario has no {table} rows, or keep only its header row to say so"
    return Problem(table, None, None, f"the {container} is empty (no header row): {advice}")


def read_zip(source: Path | IO[bytes], limits: ReadLimits = DEFAULT_LIMITS, name: str | None = None) -> dict[str, Any]:
    """A zip of the CSV directory layout (files may sit in one top-level folder).

    Opened with ``open_archive``: sizes are checked from the archive's directory before
    anything is decompressed, and decompression stops at the declared sizes, so a zip bomb
    costs neither time nor memory.
    """
    label = name or (source.name if isinstance(source, Path) else "the zip file")
    with open_archive(source, label, limits) as archive:
        wanted: dict[str, zipfile.ZipInfo] = {}
        for member in archive.files():
            path = member_path(member)
            if path.suffix.lower() not in (".csv", ".json"):
                continue
            # Flatten: only the base name matters.
            if path.name in wanted:
                raise archive_problem(label, _held_twice(label, path.name, wanted[path.name], member))
            wanted[path.name] = member
        if not any(n.endswith(".csv") for n in wanted):
            raise archive_problem(label, HOLDS_NO_CSV)
        files = {base: archive.read(member) for base, member in wanted.items()}
    return _document_from_files(files, limits)


# A scenario zip's own problems, named as the archive (its members as ``scenario.zip:a/practices.csv``),
# as ``open_archive`` names every other problem with an archive.
HOLDS_NO_CSV = "holds no CSV files; give one CSV file per table, as a scenario folder holds them"


def _held_twice(label: str, name: str, first: zipfile.ZipInfo, second: zipfile.ZipInfo) -> str:
    return f"holds {name} twice ({label}:{first.filename} and {label}:{second.filename}); give each table once"


# --- The one safe way to open an archive ------------------------------------------------
# Scenario zips and workbooks (here), the NHS importer's publication zips (CLI and API) all open
# archives through ``open_archive``, so each is refused for the same reasons in the same words.


def archive_problem(label: str, message: str) -> ScenarioInvalid:
    """A problem with the archive (or file) ``label`` itself, named as its table."""
    return ScenarioInvalid([Problem(label, None, None, message)])


def file_too_large(label: str, size: int, limits: ReadLimits) -> ScenarioInvalid:
    """One file (an upload, or an archive's member) of more than ``limits.max_file_bytes``."""
    return archive_problem(label, f"is {size:,} bytes; the most one file may be is {limits.max_file_bytes:,}")


def member_path(member: zipfile.ZipInfo) -> PurePosixPath:
    """A member's name as a path (Windows separators read as ``/``)."""
    return PurePosixPath(member.filename.replace("\\", "/"))


class SafeArchive:
    """A zip whose directory ``open_archive`` has checked; members are read only through ``read``."""

    def __init__(self, archive: zipfile.ZipFile, label: str, limits: ReadLimits):
        self.zip = archive
        self.label = label
        self.limits = limits

    def files(self) -> list[zipfile.ZipInfo]:
        """The archive's files, without folders and what macOS adds (``__MACOSX/``, ``._name``)."""
        return [
            member
            for member in self.zip.infolist()
            if not member.is_dir()
            and "__MACOSX" not in member_path(member).parts
            and not member_path(member).name.startswith("._")
        ]

    def read(self, member: zipfile.ZipInfo) -> bytes:
        """A member's content, refused if it declares more than one file may be, read in chunks
        and never past its declared size."""
        if member.file_size > self.limits.max_file_bytes:
            raise file_too_large(f"{self.label}:{member.filename}", member.file_size, self.limits)
        chunks = []
        remaining = member.file_size
        try:
            with self.zip.open(member) as handle:
                while remaining >= 0:
                    raise_if_cancelled()
                    chunk = handle.read(min(_READ_CHUNK, remaining + 1))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    chunks.append(chunk)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, OSError, ValueError) as error:
            raise archive_problem(self.label, f"{member.filename} could not be decompressed ({error})") from None
        if remaining < 0:
            raise archive_problem(self.label, f"{member.filename} is larger than its archive says")
        return b"".join(chunks)


NOT_A_ZIP = "is not a valid zip file"
NOT_A_WORKBOOK = "is not a readable Excel workbook"


@contextmanager
def open_archive(
    source: bytes | Path | IO[bytes], label: str, limits: ReadLimits = DEFAULT_LIMITS, not_valid: str = NOT_A_ZIP
) -> Iterator[SafeArchive]:
    """The zip ``source`` (named ``label`` in problems), its directory checked before anything
    is decompressed: a readable zip (else ``not_valid``), not encrypted, at most
    ``limits.max_members`` entries expanding to at most ``limits.max_expanded_bytes``, and no
    member named outside the archive (an absolute path or one through ``..``). Nothing is ever
    extracted to disk; ``SafeArchive.read`` bounds each member's read."""
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise archive_problem(label, not_valid) from None
    with archive:
        _check_archive(archive.infolist(), label, limits)
        yield SafeArchive(archive, label, limits)


def _check_archive(members: list[zipfile.ZipInfo], label: str, limits: ReadLimits) -> None:
    if len(members) > limits.max_members:
        raise archive_problem(
            label, f"holds {len(members):,} entries; the most an archive may hold is {limits.max_members:,}"
        )
    if any(member.flag_bits & 0x1 for member in members):
        raise archive_problem(label, "is encrypted; give an archive without a password")
    expanded = sum(member.file_size for member in members)
    if expanded > limits.max_expanded_bytes:
        raise archive_problem(
            label,
            f"expands to {expanded:,} bytes; the most an archive may expand to is {limits.max_expanded_bytes:,}",
        )
    for member in members:
        path = member_path(member)
        if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", member.filename):
            raise archive_problem(
                label, f"holds {shown(member.filename)}, named outside the archive; give files with plain names"
            )


# A CSV is read as UTF-8 (a byte-order mark allowed), else as Windows-1252: what Excel's "CSV
# (Comma delimited)" writes on Windows, and what `import nhs` reads too.
CSV_ENCODINGS = ("utf-8-sig", "cp1252")
# Separators a spreadsheet may write instead of commas (European locales: ';'), as they are named.
OTHER_SEPARATORS = {";": "semicolons (;)", "\t": "tabs"}


# Where a CSV's bytes come from: its content, or the path of its file (read as it is parsed).
CsvSource = bytes | Path


def _opener(source: CsvSource) -> Callable[[], IO[bytes]]:
    """A new binary stream from the start of ``source`` each time it is called."""
    if isinstance(source, Path):
        return lambda: source.open("rb")
    return lambda: io.BytesIO(source)


def _read_csv_records(
    source: CsvSource | Callable[[], IO[bytes]], name: str, limits: ReadLimits = DEFAULT_LIMITS
) -> SheetRecords | None:
    """Rows of one CSV as records of the non-blank cells (text, as written), in the first of
    ``CSV_ENCODINGS`` that reads the whole file; None if it has no header row (it is empty,
    or holds only blank lines). ``source``: the CSV's bytes, its file, or a function that
    opens a new stream of it.

    Blank lines before the header are skipped; below it a blank line is skipped but
    counted, so a problem names the row a user counts under the header.

    A table of more than ``limits.max_table_rows`` rows is refused before any record is
    made: its rows are counted first, holding none, and the count stops one row past the
    limit (``_more_rows_than_allowed``).
    """
    open_stream = source if callable(source) else _opener(source)
    with open_stream() as stream:
        start = stream.read(2)
    # Excel's "Unicode Text" is UTF-16 with a byte-order mark: read as such, never as Windows-1252.
    encodings = ("utf-16",) if start in (b"\xff\xfe", b"\xfe\xff") else CSV_ENCODINGS
    for encoding in encodings:
        try:
            if _more_rows_than_allowed(open_stream, encoding, limits):
                raise ScenarioInvalid([too_many_rows(name.removesuffix(".csv"), limits)])
            with open_stream() as stream:
                return _read_csv_text(stream, name, limits, encoding)
        except UnicodeDecodeError:
            continue
    raise _invalid(
        f"{name} is neither UTF-8, UTF-16 nor Windows-1252 text; save it from Excel as CSV UTF-8",
        name.removesuffix(".csv"),
    )


def too_many_rows(table: str, limits: ReadLimits) -> Problem:
    """The one wording for a table of more rows than ``limits.max_table_rows``, whether it came as
    a CSV, a sheet, a JSON list or a document the service built (``check_table_rows``)."""
    return Problem(table, None, None, f"has more than {limits.max_table_rows:,} rows, the most a table may have")


def check_table_rows(document: Mapping[str, Any], limits: ReadLimits) -> None:
    """Refuse a document any of whose tables (a list of records) has more rows than the limit,
    naming every such table."""
    problems = [
        too_many_rows(str(table), limits)
        for table, records in document.items()
        if isinstance(records, list) and len(records) > limits.max_table_rows
    ]
    if problems:
        raise ScenarioInvalid(problems)


def _thousands(count: int | None) -> str:
    return "?" if count is None else f"{count:,}"


def _more_rows_than_allowed(open_stream: Callable[[], IO[bytes]], encoding: str, limits: ReadLimits) -> bool:
    """Whether the CSV has more data rows (non-blank rows under its header) than the limit.

    Nothing is kept: line breaks are counted in chunks, and only a file of more lines than
    the limit has its rows counted, as ``_read_csv_text`` reads them (a quoted cell may hold a
    line break), stopping at the first row past the limit. Raises ``UnicodeDecodeError`` as
    reading in ``encoding`` would; a malformed CSV is left for ``_read_csv_text`` to name.
    """
    if not _more_line_breaks_than(open_stream, limits.max_table_rows):
        return False  # every data row ends a line: there cannot be more rows than line breaks
    with open_stream() as stream:
        lines = io.TextIOWrapper(stream, encoding=encoding, newline="")
        reader = csv.reader(lines, skipinitialspace=True, strict=False)
        header_seen = False
        counted = 0
        try:
            for number, line in enumerate(reader):
                if number % _CANCEL_CHECK_ROWS == 0:
                    raise_if_cancelled()
                if not line or all(cell.strip() == "" for cell in line):
                    continue
                if not header_seen:
                    header_seen = True
                    continue
                counted += 1
                if counted > limits.max_table_rows:
                    return True
        except csv.Error:
            return False
    return False


def _more_line_breaks_than(open_stream: Callable[[], IO[bytes]], most: int) -> bool:
    """Whether the stream has more than ``most`` line breaks (LF, CR LF or CR; a
    break split between two chunks may count twice, which only ever over-counts)."""
    breaks = 0
    with open_stream() as stream:
        while chunk := stream.read(_READ_CHUNK):
            raise_if_cancelled()
            breaks += chunk.count(b"\n") + chunk.count(b"\r") - chunk.count(b"\r\n")
            if breaks > most:
                return True
    return False


def _read_csv_text(stream: IO[bytes], name: str, limits: ReadLimits, encoding: str) -> SheetRecords | None:
    # Decoded as it is parsed: a copy of the whole text (a StringIO holds four bytes a character)
    # would take several times the file's size.
    lines = io.TextIOWrapper(stream, encoding=encoding, newline="")
    reader = csv.reader(lines, skipinitialspace=True, strict=False)
    header: list[str] | None = None
    records: list[dict[str, Any]] = []
    rows: list[int] = []
    row = 0  # the current line's place under the header
    try:
        for number, line in enumerate(reader):
            if number % _CANCEL_CHECK_ROWS == 0:
                raise_if_cancelled()
            blank = not line or all(cell.strip() == "" for cell in line)
            if header is None:
                if not blank:
                    header = [cell.strip() for cell in line]
                    if len(header) > limits.max_columns:
                        raise _invalid(
                            f"{name} has {len(header):,} columns; the most a table may have is {limits.max_columns:,}"
                        )
                    separator = next((sep for sep in OTHER_SEPARATORS if len(header) == 1 and sep in header[0]), None)
                    if separator is not None:
                        raise _invalid(
                            f"{name} separates its columns by {OTHER_SEPARATORS[separator]}, not commas; "
                            "save it from Excel as CSV UTF-8 (Comma delimited), or separate the columns with commas",
                            name.removesuffix(".csv"),
                        )
                    repeated = repeated_columns(name.removesuffix(".csv"), header)
                    if repeated:
                        raise ScenarioInvalid(repeated)
                continue
            row += 1
            if blank:
                continue
            if len(line) > len(header) and any(cell.strip() for cell in line[len(header) :]):
                raise ScenarioInvalid(
                    [
                        Problem(
                            name.removesuffix(".csv"),
                            row,
                            None,
                            f"has {len(line)} values but the header has {len(header)} columns",
                        )
                    ]
                )
            if len(line) < len(header) and any(header[len(line) :]):
                raise ScenarioInvalid(
                    [
                        Problem(
                            name.removesuffix(".csv"),
                            row,
                            None,
                            f"has {len(line)} values but the header has {len(header)} columns: a line cut short? "
                            "Give every column its place, an empty one between two commas for a blank cell",
                        )
                    ]
                )
            if len(records) >= limits.max_table_rows:
                # The count before reading found no more (a file changed since?).
                raise ScenarioInvalid([too_many_rows(name.removesuffix(".csv"), limits)])
            records.append({column: value for column, value in zip(header, line, strict=False) if value != ""})
            rows.append(row)
    except csv.Error as error:
        raise _invalid(f"{name} is not a well-formed CSV: {error}") from None
    return None if header is None else SheetRecords(records, rows)


def repeated_columns(table: str, header: Sequence[str | None]) -> list[Problem]:
    """A problem for each column name the header gives more than once (a reader would silently
    keep the last), naming its columns by letter as a spreadsheet shows them."""
    places: dict[str, list[int]] = {}
    for place, column in enumerate(header, start=1):
        if column:
            places.setdefault(column, []).append(place)
    problems = []
    for column, found in places.items():
        if len(found) > 1:
            # Lazily: openpyxl takes ~0.15 s to import, and a CSV scenario's solve needs it only here.
            from openpyxl.utils import get_column_letter

            letters = [get_column_letter(place) for place in found]
            times = "twice" if len(found) == 2 else f"{len(found)} times"
            where = ", ".join(letters[:-1]) + f" and {letters[-1]}"
            problems.append(Problem(table, None, column, f"is given {times} (columns {where}); keep one"))
    return problems


def _settings_from_rows(records: SheetRecords, source: str) -> dict[str, Any]:
    """Settings from rows of key and value; a key given on two rows is a problem naming both,
    never silently the last (as a JSON key given twice is)."""
    settings: dict[str, Any] = {}
    given: dict[str, list[tuple[int, Any]]] = {}
    for row, record in zip(records.rows, records, strict=True):
        unknown = set(record) - {"key", "value"}
        if unknown or "key" not in record:
            raise ScenarioInvalid([Problem(SETTINGS, row, None, f"{source} needs exactly the columns key and value")])
        if record["key"] is UNSAVED_FORMULA:
            raise ScenarioInvalid([Problem(SETTINGS, row, "key", FORMULA_WITHOUT_VALUE)])
        key = str(record["key"]).strip()
        settings[key] = record.get("value")
        given.setdefault(key, []).append((row, record.get("value")))
    repeated = [
        Problem(
            SETTINGS,
            places[-1][0],
            key,
            "is given more than once ("
            + ", then ".join(f"{'blank' if value is None else shown(value)} on row {row}" for row, value in places)
            + "); give it once",
        )
        for key, places in given.items()
        if len(places) > 1
    ]
    if repeated:
        raise ScenarioInvalid(repeated)
    return settings


def read_workbook(
    source: Path | IO[bytes], limits: ReadLimits = DEFAULT_LIMITS, name: str | None = None
) -> dict[str, Any]:
    """One sheet per table (header row first) and a ``settings`` sheet of key, value.

    The workbook's zip directory is checked as ``read_zip`` checks one, and each sheet's
    declared size (its ``dimension``) is checked before any of its rows are read; rows and
    columns past the limits are never read even when a sheet does not declare its size.
    """
    label = name or (source.name if isinstance(source, Path) else "the workbook")
    with open_archive(source, label, limits, not_valid=NOT_A_WORKBOOK + " (not a zip package)") as archive:
        parts_with_formulas, parts_with_merges = _scan_package(archive.zip, label)
    raise_if_cancelled()
    if not isinstance(source, Path):
        source.seek(0)
    import openpyxl  # lazily: a solve of a CSV or JSON scenario does not need it

    try:
        workbook = openpyxl.load_workbook(source, read_only=True, data_only=True, keep_links=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many types for a bad file
        raise archive_problem(label, f"{NOT_A_WORKBOOK}; open it in Excel and save it again as .xlsx") from None
    document: dict[str, Any] = {}
    sheet_problems: list[Problem] = []
    try:
        for sheet in workbook.worksheets:
            raise_if_cancelled()
            title = sheet.title.strip()
            if title == NOTES_SHEET:
                continue
            # openpyxl names each sheet's part in the package only privately.
            part = sheet._worksheet_path
            unsaved: dict[int, list[int]] = {}
            merged: list[MergedRange] = []
            if part in parts_with_formulas or part in parts_with_merges:
                unsaved, merged = _sheet_markup(workbook._archive, part, formulas=part in parts_with_formulas)
            records = _sheet_records(sheet, title, limits, unsaved, sheet_problems, merged)
            if records is None:
                continue
            if title == SETTINGS:
                document[SETTINGS] = _settings_from_rows(records, "the settings sheet")
            elif records or title in TABLES:
                document[title] = records
    finally:
        workbook.close()
    if sheet_problems:
        raise ScenarioInvalid(sheet_problems)
    for table in [
        t for t, recs in document.items() if t != SETTINGS and not recs and t in TABLES and not TABLES[t].required
    ]:
        del document[table]
    return document


def _scan_package(archive: zipfile.ZipFile, label: str) -> tuple[set[str], set[str]]:
    """The package's parts that hold formulas, and those that merge cells; a part declaring a
    DTD or entities is refused (Office files never do: an entity bomb)."""
    with_formulas = set()
    with_merges = set()
    for member in archive.infolist():
        if member.is_dir() or not member.filename.lower().endswith((".xml", ".rels", ".vml")):
            continue
        tail = b""
        with archive.open(member) as handle:
            while chunk := handle.read(_READ_CHUNK):
                raise_if_cancelled()
                window = tail + chunk
                if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                    raise _invalid(f"{label} declares XML entities ({member.filename}); it is not a plain workbook")
                if _FORMULA_TAG.search(window):
                    with_formulas.add(member.filename)
                if _MERGE_TAG.search(window):
                    with_merges.add(member.filename)
                tail = window[-64:]
    return with_formulas, with_merges


@dataclass(frozen=True)
class MergedRange:
    """A sheet's merged cells (1-based rows and columns, as Excel numbers them): a reader for
    values sees the value in its top-left cell only, the others blank."""

    reference: str  # as Excel shows it: "B2:B3"
    first_row: int
    first_column: int
    last_row: int
    last_column: int


def _sheet_markup(
    archive: zipfile.ZipFile, part: str, formulas: bool
) -> tuple[dict[int, list[int]], list[MergedRange]]:
    """One pass over a sheet's XML (its rows one at a time: memory stays one row's) for what a
    reader for values cannot see: with ``formulas``, sheet row → 1-based columns of the cells
    holding a formula but no saved value; and the merged ranges, in the order the sheet lists them.

    A workbook written by a script keeps its formulas uncalculated; read for values, such a
    cell is blank and would silently take its column's default.
    """
    from openpyxl.utils.cell import coordinate_to_tuple, range_boundaries

    cells: dict[int, list[int]] = {}
    ranges: list[MergedRange] = []
    sheet_data: Any = None
    rows_seen = 0
    with archive.open(part) as handle:
        for event, element in iterparse(handle, events=("start", "end")):
            tag = element.tag.rsplit("}", 1)[-1]
            if event == "start":
                if tag == "sheetData":
                    sheet_data = element
                continue
            if tag == "c" and formulas:
                children = {child.tag.rsplit("}", 1)[-1]: child for child in element}
                value = children.get("v")
                # An empty <v> is saved text only in a text cell (a formula giving "").
                saved = value is not None and bool(value.text or element.get("t") == "str")
                if "f" in children and not saved and element.get("r"):
                    row, column = coordinate_to_tuple(element.get("r"))
                    cells.setdefault(row, []).append(column)
            elif tag == "mergeCell" and element.get("ref"):
                reference = element.get("ref").strip().upper()
                try:
                    first_column, first_row, last_column, last_row = range_boundaries(reference)
                except (ValueError, TypeError):
                    continue  # not a range Excel would write: nothing to name
                if None not in (first_column, first_row, last_column, last_row):
                    ranges.append(MergedRange(reference, first_row, first_column, last_row, last_column))
            elif tag == "row" and sheet_data is not None:
                sheet_data.clear()  # the rows read so far: memory stays one row's
                rows_seen += 1
                if rows_seen % _CANCEL_CHECK_ROWS == 0:
                    raise_if_cancelled()
    return cells, ranges


def _merge_problems(
    title: str, columns: Sequence[str | None], merged: Sequence[MergedRange], data_rows: Sequence[int]
) -> list[Problem]:
    """One problem per merged range over the header or a data row of the sheet (``data_rows``:
    the data rows read, numbered as problems number them, sheet row N + 1 being row N). A
    reader for values sees a merged range's value in its first cell only, so the others would
    read as blank: a missing value, a name lost, or a header lost with its column's values."""
    from openpyxl.utils import get_column_letter

    def column_name(column: int) -> str:
        name = columns[column - 1] if column <= len(columns) else None
        return name or get_column_letter(column)

    rows = set(data_rows)
    problems = []
    for merge in sorted(merged, key=lambda merge: (merge.first_row, merge.first_column)):
        if merge.first_row == 1:
            problems.append(
                Problem(
                    title,
                    None,
                    column_name(merge.first_column),
                    f"is a header in merged cells {merge.reference}; unmerge them and give each column its own header",
                )
            )
            continue
        covered = range(merge.first_row - 1, merge.last_row)  # the data rows the range spans
        if not any(row in rows for row in covered):
            continue  # blank rows only: nothing read is lost
        # The first cell that reads as blank: under the top-left cell, else beside it.
        spans_rows = merge.last_row > merge.first_row
        row = merge.first_row if spans_rows else merge.first_row - 1
        column = merge.first_column if spans_rows else merge.first_column + 1
        each = "row" if spans_rows else "column"
        problems.append(
            Problem(
                title,
                row,
                column_name(column),
                f"is part of merged cells {merge.reference}; unmerge them and give each {each} its own value",
            )
        )
    return problems


def _sheet_records(
    sheet: Any,
    title: str,
    limits: ReadLimits,
    unsaved_formulas: dict[int, list[int]],
    problems: list[Problem],
    merged: Sequence[MergedRange] = (),
) -> SheetRecords | None:
    """The sheet's rows under its header (its first row) as records of non-blank cells; None
    if it is empty. A blank row is skipped but counted: sheet row N + 1 is data row N.

    A cell in ``unsaved_formulas`` (sheet row → columns) is read as ``UNSAVED_FORMULA``. A
    column name the header gives twice and a scenario table's sheet without even a header
    row are added to ``problems`` (the sheet is then not read: None), as is each range of
    ``merged`` cells over the header or a data row (``_merge_problems``)."""
    max_rows = limits.max_table_rows + 1  # the header and the data rows
    declared_rows, declared_columns = sheet.max_row, sheet.max_column
    declared_too_large = _invalid(
        f"sheet {shown(title)} declares {_thousands(declared_rows)} rows and {_thousands(declared_columns)} "
        f"columns; the most a sheet may have is {max_rows:,} rows (with its header) and {limits.max_columns:,} "
        "columns. Delete the empty rows and columns below and to the right of the table",
        title,
    )
    if (declared_columns or 0) > limits.max_columns:
        raise declared_too_large
    # A sheet declaring too many rows is read up to one row past the limit (what a sheet within it
    # costs): a row there is the table's own, refused as a table of too many rows is from any file;
    # if there is none, the declared rows are empty ones, and the sheet is refused for declaring them.
    rows_declared_past_limit = (declared_rows or 0) > max_rows
    rows = sheet.iter_rows(
        max_row=min(declared_rows, max_rows + 1) if declared_rows else max_rows + 1,
        max_col=declared_columns if declared_columns else limits.max_columns + 1,
        values_only=True,
    )
    header = next(rows, None)
    if header is None:
        _empty_sheet(title, problems)
        return None
    columns = [None if h is None else str(h).strip() for h in header]
    repeated = repeated_columns(title, columns)
    if repeated:
        problems.extend(repeated)
        return None
    records: list[dict[str, Any]] = []
    data_rows: list[int] = []
    for number, values in enumerate(rows, start=2):
        if number % _CANCEL_CHECK_ROWS == 0:
            raise_if_cancelled()
        if number in unsaved_formulas:
            # The validator names these cells, with every other problem (models.validate.UnsavedFormula).
            values = list(values)
            for column in unsaved_formulas[number]:
                if column <= len(values):
                    values[column - 1] = UNSAVED_FORMULA
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if number > max_rows:
            raise ScenarioInvalid([too_many_rows(title, limits)])
        if len(values) > limits.max_columns and any(v is not None for v in values[limits.max_columns :]):
            raise _invalid(f"sheet {shown(title)} has more than {limits.max_columns:,} columns", title)
        records.append({c: v for c, v in zip(columns, values, strict=False) if c and v is not None and v != ""})
        data_rows.append(number - 1)
    if len(columns) > limits.max_columns and any(columns[limits.max_columns :]):
        raise _invalid(f"sheet {shown(title)} has more than {limits.max_columns:,} columns", title)
    if rows_declared_past_limit:
        raise declared_too_large
    if not records and not any(columns):
        _empty_sheet(title, problems)
        return None
    problems.extend(_merge_problems(title, columns, merged, data_rows))
    return SheetRecords(records, data_rows)


def _empty_sheet(title: str, problems: list[Problem]) -> None:
    """A sheet with no header row: a problem if it is a scenario table's (another sheet, such
    as Excel's own empty "Sheet1", is ignored)."""
    if _is_scenario_table(title):
        problems.append(_empty_table_problem(title, "sheet"))


def write_template(path: str | Path) -> None:
    """An empty workbook with every table's sheet and headers, settings, and a notes sheet."""
    import openpyxl
    from openpyxl.styles import Font

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
        parts.append(f"{'>' if column.lower_strict else '>='} {formats.number(column.lower)}")
    if column.upper is not None:
        parts.append(f"<= {formats.number(column.upper)}")
    return f"[{', '.join(parts)}] " if parts else ""


def _used_columns(table: Table, records: list[dict[str, Any]]) -> list[str]:
    """The table's columns that some record gives, in contract order; a table without records
    gets every column, so it is written as its header row alone (a file or sheet without a
    header row is refused as empty)."""
    return [c for c in table.column_names if any(c in r for r in records)] or list(table.column_names)


# What a spreadsheet reads as the start of a formula in a CSV cell (OWASP, "CSV Injection").
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def text_as_text(workbook: Any) -> None:
    """Every text cell of an openpyxl ``workbook`` made a string cell, before it is saved.

    openpyxl stores any text starting with ``=`` as a formula, so a practice named
    ``=HYPERLINK(...)`` (or an id ``=2+2``) would be live in a download instead of the scenario's
    own characters. Every workbook the product writes passes through here: ``results.xlsx``,
    the API's and the desk's workbooks, and a scenario written as a workbook."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f" and isinstance(cell.value, str):
                    cell.data_type = "s"  # written as an inline string, exactly the text


def csv_cell(value: Any) -> Any:
    """A value for a downloaded CSV: text a spreadsheet would read as a formula (it starts with
    one of ``FORMULA_LEADS``) gets a leading ``'``, as OWASP recommends; anything else, numbers
    (a negative one too) included, is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``csv_cell`` applied to its header and every text cell; numeric columns,
    and numbers in a mixed column, are left as they are. Every CSV download is written from it."""
    safe = frame.rename(columns=csv_cell)
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column.dtype):
            continue
        cells = column.tolist()
        if any(csv_cell(cell) is not cell for cell in cells):
            safe.isetitem(position, pd.Series([csv_cell(cell) for cell in cells], index=safe.index, dtype=object))
    return safe


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
    import openpyxl

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
    text_as_text(workbook)  # read back, a scenario keeps its text (a formula would have no saved value)
    workbook.save(path)


# Decimal places for result columns, by what the column measures (first match on the name wins).
RESULT_PRECISION: tuple[tuple[tuple[str, ...], int], ...] = (
    (("gbp",), 2),  # money, first: a share of the offer in £ (offer_share_gbp) or £ per FTE is money
    (("share", "coverage"), 4),  # fractions: coverage, shares of time, budget or headroom used
    (("fte",), 3),  # staff: FTE, FTE per 10k patients, contacts per FTE-day
    (("patients", "contacts", "hours", "list_size"), 2),
    (("value",), 2),  # a sweep's value and no_standards_value: value-weighted patients covered
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


# Levels that fit, rounded down as the sentences round them (a service reachable at 62.497% is not
# reachable at 62.5%): the standards lever's per-service levels.
ROUNDED_DOWN = ("coverage_at_uniform", "coverage_alone", "fraction_alone")
# A lever's amount (levers.csv) is in its row's unit: what the unit measures sets the places, and
# the direction is the sentence's: a share that fits down, anything needed (money, staff, a raise
# of a cap) up. First match on the unit wins.
# Places None: at the sentence's precision (``number_places``). Contacts per FTE-day as
# ``wording.least_number`` says them: 1.402 needed is 1.41, as the sentence, the desk and the PDF
# say it (audit 9, A8), never 1.402 in levers.csv beside 1.41 on the page.
AMOUNT_PRECISION: tuple[tuple[str, int | None, bool], ...] = (
    ("fraction", 4, False),
    ("£", 2, True),
    ("contacts", None, True),
    ("FTE", 3, True),  # staff
)
# Float noise a value may carry above or below a rounding step (0.625 computed as 0.62500000000001).
_STEP_NOISE = 1e-9


def rounded_for_output(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with each float column rounded to its unit's precision and no negative zeros."""
    rounded = frame.copy()
    for column in rounded.columns:
        if not pd.api.types.is_float_dtype(rounded[column].dtype):
            continue
        places = result_precision(str(column))
        values = rounded[column].to_numpy(dtype=float)
        if places is not None:
            values = _towards(values, places, up=False) if column in ROUNDED_DOWN else values.round(places)
        rounded[column] = values + 0.0  # -0.0 + 0.0 == +0.0
    if {"amount", "unit"} <= set(rounded.columns) and pd.api.types.is_float_dtype(rounded["amount"].dtype):
        amounts = rounded["amount"].to_numpy(dtype=float).copy()
        for i, unit in enumerate(rounded["unit"].astype(str)):
            rule = next((rule for rule in AMOUNT_PRECISION if rule[0] in unit), None)
            if rule is not None and math.isfinite(amounts[i]):
                places = number_places(amounts[i]) if rule[1] is None else rule[1]
                amounts[i] = _towards(amounts[i : i + 1], places, up=rule[2])[0]
        rounded["amount"] = amounts + 0.0
    return rounded


def number_places(value: float) -> int:
    """The decimal places a number is shown at in a sentence (``wording.number``): none from 100,
    2 from 1, three significant figures under 1 (0.000123)."""
    if value == 0 or abs(value) >= 100:
        return 0
    return 2 if abs(value) >= 1 else 2 - math.floor(math.log10(abs(value)))


def _towards(values: np.ndarray, places: int, up: bool) -> np.ndarray:
    """Values rounded up (or down) to ``places`` decimals, float noise at a step left at the step."""
    scaled = values * 10.0**places
    stepped = np.ceil(scaled - _STEP_NOISE) if up else np.floor(scaled + _STEP_NOISE)
    return stepped / 10.0**places


def _strict_json_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _strict_json_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_strict_json_value(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def result_csv_bytes(frame: pd.DataFrame) -> bytes:
    """One result table as the CLI writes its ``NAME.csv``, rounded to each column's unit."""
    return _csv_text(rounded_for_output(frame)).encode()


def result_workbook_bytes(frames: dict[str, pd.DataFrame], summary: dict[str, Any] | None = None) -> bytes:
    """Result tables as the CLI writes ``results.xlsx``, rounded to each column's unit (with no
    tables, the result's verdict: ``_write_workbook``)."""
    buffer = io.BytesIO()
    _write_workbook({name: rounded_for_output(frame) for name, frame in frames.items()}, buffer, summary)
    return buffer.getvalue()


def _csv_text(rounded: pd.DataFrame) -> str:
    # to_csv with no file returns the CSV as text (pandas has no type hints here).
    return cast(str, csv_safe(rounded).to_csv(index=False, float_format=CSV_FLOAT_FORMAT))


# What a workbook without tables says of its result (a solve that found no plan has no tables):
# the summary's own fields, so whoever opens it sees the verdict rather than a blank sheet.
WORKBOOK_VERDICT_FIELDS = ("kind", "status", "deliverable", "message", "objective", "objective_value", "scenario_hash")


def _write_workbook(
    rounded: dict[str, pd.DataFrame], target: Path | IO[bytes], summary: dict[str, Any] | None = None
) -> None:
    """A sheet per table (Excel allows 31 characters in a sheet name). With no tables, one sheet
    ``summary`` of the result's verdict (``WORKBOOK_VERDICT_FIELDS`` as field, value), or an empty
    sheet when there is no result to state."""
    with pd.ExcelWriter(target, engine="openpyxl") as writer:
        if not rounded:
            fields = [(f, summary[f]) for f in WORKBOOK_VERDICT_FIELDS if summary and f in summary]
            verdict = pd.DataFrame(fields, columns=["field", "value"]) if fields else pd.DataFrame()
            verdict.to_excel(writer, sheet_name="summary" if fields else "results", index=False)
        for name, frame in rounded.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
        text_as_text(writer.book)


SUMMARY_FILE = "summary.json"
WORKBOOK_FILE = "results.xlsx"


def result_files(tables: Iterable[str]) -> frozenset[str]:
    """The names of the files ``write_results`` writes for tables named ``tables``."""
    return frozenset({*(f"{name}.csv" for name in tables), SUMMARY_FILE, WORKBOOK_FILE})


def write_results(tables: dict[str, pd.DataFrame], summary: dict[str, Any], directory: Path) -> list[Path]:
    """CSV per table, ``summary.json`` and one ``results.xlsx`` with a sheet per table.

    Numbers are rounded to their unit's precision (``RESULT_PRECISION``: FTE 3 dp, £ 2 dp,
    coverage and shares 4 dp, patients/contacts/hours 2 dp), never written as ``-0``, and
    ``summary.json`` is strict JSON (no NaN). The API's downloads of a job's tables and
    workbook are made by ``result_csv_bytes`` and ``result_workbook_bytes``, the same way.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    rounded = {name: rounded_for_output(frame) for name, frame in tables.items()}
    for name, frame in rounded.items():
        target = directory / f"{name}.csv"
        target.write_text(_csv_text(frame), encoding="utf-8", newline="")
        written.append(target)
    summary_path = directory / SUMMARY_FILE
    summary_path.write_text(json.dumps(_strict_json_value(summary), indent=2, default=str) + "\n")
    written.append(summary_path)
    workbook_path = directory / WORKBOOK_FILE
    _write_workbook(rounded, workbook_path, summary)
    written.append(workbook_path)
    return written
