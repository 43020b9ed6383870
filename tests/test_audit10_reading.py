"""Audit 10, findings 3 and 4: reading a scenario.

3. A table over the row limit is refused after one row past the limit, holding none of its rows
   (it was refused only after a million records had been made); limits read "1,000,000".
4. A merged range of workbook cells is named as merged cells, never read as a missing value or a
   silently blank name.
"""

from __future__ import annotations

import io
import shutil
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import openpyxl
import pytest

from models.scenario import ScenarioInvalid
from models.validate import FORMULA_WITHOUT_VALUE
from optimiser.io import ReadLimits, _read_csv_records, read_bytes, read_document, write_document_as_workbook
from tests.console import TINY, run, strict_json

HEADER = b"practice_id,pcn_id,list_size,weighted_list_size,name\r\n"


def row(number: int) -> bytes:
    """One practices row of about 100 bytes."""
    return f"P{number:07d},PCN1,5000,5100.5,{'Practice ' + str(number):<60}\r\n".encode()


class CountingRows(io.RawIOBase):
    """A CSV produced a row at a time, counting the rows the reader has taken."""

    def __init__(self, rows: int, blank_every: int = 0):
        self.rows = rows
        self.taken = 0
        self._lines = self._generate(blank_every)
        self._pending = b""

    def _generate(self, blank_every: int) -> Iterator[bytes]:
        yield HEADER
        for number in range(1, self.rows + 1):
            self.taken = number
            yield row(number)
            if blank_every and number % blank_every == 0:
                yield b"\r\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            line = next(self._lines, None)
            if line is None:
                break
            self._pending += line
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


class Opener:
    """Opens a new ``CountingRows`` stream each time, as the reader opens a file again."""

    def __init__(self, rows: int, blank_every: int = 0):
        self.rows = rows
        self.blank_every = blank_every
        self.streams: list[CountingRows] = []

    def __call__(self) -> IO[bytes]:
        self.streams.append(CountingRows(self.rows, self.blank_every))
        return io.BufferedReader(self.streams[-1])


LIMIT = 100_000
CHUNK_ROWS = 1024 * 1024 // len(row(1)) + 2  # rows in one of the reader's 1 MiB chunks, and a partial one


def test_a_table_over_the_row_limit_is_refused_one_row_past_it_holding_no_rows() -> None:
    opener = Opener(LIMIT + 50_000)
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioInvalid) as refused:
            _read_csv_records(opener, "practices.csv", ReadLimits(max_table_rows=LIMIT))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    [problem] = refused.value.problems
    assert (problem.table, problem.row, problem.column) == ("practices", None, None)
    assert problem.message == "has more than 100,000 rows, the most a table may have"
    # Every pass over the file stopped one row past the limit (give or take the chunk it was reading).
    assert opener.streams, "the CSV was never read"
    for stream in opener.streams:
        assert stream.taken <= LIMIT + 1 + CHUNK_ROWS, stream.taken
    assert max(stream.taken for stream in opener.streams) > LIMIT  # it did count past the limit
    assert all(stream.taken < opener.rows for stream in opener.streams)  # ...and stopped early
    # 150,000 rows of 100 bytes are 15 MB as bytes (and far more as records); none of it is held.
    assert peak < 5 * 1024 * 1024, f"peak {peak:,} bytes"


def test_a_table_at_the_row_limit_is_read_whole_even_with_more_lines_than_rows() -> None:
    """Blank lines are counted as lines but are not rows: the exact count accepts the table."""
    opener = Opener(1_000, blank_every=10)  # 1,000 rows and 100 blank lines
    records = _read_csv_records(opener, "practices.csv", ReadLimits(max_table_rows=1_000))
    assert records is not None and len(records) == 1_000
    assert records[-1]["practice_id"] == "P0001000"
    assert records.rows[-1] == 1_099  # the last row's place under the header, blank lines counted
    with pytest.raises(ScenarioInvalid, match="more than 999 rows"):
        _read_csv_records(Opener(1_000, blank_every=10), "practices.csv", ReadLimits(max_table_rows=999))


def test_a_short_file_is_not_counted_twice() -> None:
    """A file with no more line breaks than the limit cannot be over it: read once for its rows."""
    opener = Opener(500)
    records = _read_csv_records(opener, "practices.csv", ReadLimits(max_table_rows=1_000))
    assert records is not None and len(records) == 500
    assert [stream.taken for stream in opener.streams][-1] == 500


def test_the_cli_refuses_a_million_and_one_rows_naming_the_table_and_the_limit(tmp_path: Path) -> None:
    folder = tmp_path / "big"
    shutil.copytree(TINY, folder)
    with (folder / "practices.csv").open("wb") as file:
        file.write(b"practice_id,pcn_id,list_size,weighted_list_size,name\n")
        file.writelines(b"P%d,PCN1,5000,5000,x\n" % number for number in range(1_000_001))
    done = run("validate", str(folder), "--format", "json")
    assert done.returncode == 2, done.stderr
    [problem] = strict_json(done.stdout)["problems"]
    assert problem == {
        "table": "practices",
        "row": None,
        "column": None,
        "message": "has more than 1,000,000 rows, the most a table may have",
    }


def test_limits_in_messages_have_thousands_separators(tmp_path: Path) -> None:
    data = (TINY / "practices.csv").read_bytes()
    with pytest.raises(ScenarioInvalid, match=r"is 1,[0-9]{3} bytes; the most a scenario file may be is 1,000"):
        read_bytes("tiny.zip", data + b"x" * 1_000, ReadLimits(max_file_bytes=1_000))


# Merged cells (finding 4): a workbook written from data/tiny, then cells merged as a user might.
def merged_workbook(tmp_path: Path, *ranges: str, sheet: str = "practices") -> Path:
    path = tmp_path / "merged.xlsx"
    write_document_as_workbook(read_document(TINY), path)
    workbook = openpyxl.load_workbook(path)
    for cells in ranges:
        workbook[sheet].merge_cells(cells)
    workbook.save(path)
    return path


def problems_of(path: Path) -> list[tuple[str, int | None, str | None, str]]:
    with pytest.raises(ScenarioInvalid) as refused:
        read_document(path)
    with pytest.raises(ScenarioInvalid) as uploaded:
        read_bytes(path.name, path.read_bytes())
    problems = [(p.table, p.row, p.column, p.message) for p in refused.value.problems]
    assert problems == [(p.table, p.row, p.column, p.message) for p in uploaded.value.problems]
    return problems


def test_a_merged_id_is_named_as_merged_cells_not_as_missing(tmp_path: Path) -> None:
    path = merged_workbook(tmp_path, "B2:B3")
    assert problems_of(path) == [
        (
            "practices",
            2,
            "pcn_id",
            "is part of merged cells B2:B3; unmerge them and give each row its own value",
        )
    ]
    done = run("validate", str(path))
    assert done.returncode == 2
    assert (
        "practices row 2, column pcn_id: is part of merged cells B2:B3; unmerge them and give each row its own value"
        in done.stdout + done.stderr
    )
    assert "missing" not in done.stdout + done.stderr


def test_a_merged_name_is_refused_not_silently_blank(tmp_path: Path) -> None:
    """A name is optional: merged, the second practice's had been read as no name at all."""
    assert problems_of(merged_workbook(tmp_path, "E2:E3")) == [
        ("practices", 2, "name", "is part of merged cells E2:E3; unmerge them and give each row its own value")
    ]


def test_each_merged_range_is_named_once_header_and_across_columns_too(tmp_path: Path) -> None:
    path = merged_workbook(tmp_path, "A1:B1", "C2:D2", "E2:E3", "B20:B21")  # B20:B21 is below the table
    assert problems_of(path) == [
        (
            "practices",
            None,
            "practice_id",
            "is a header in merged cells A1:B1; unmerge them and give each column its own header",
        ),
        (
            "practices",
            1,
            "weighted_list_size",
            "is part of merged cells C2:D2; unmerge them and give each column its own value",
        ),
        ("practices", 2, "name", "is part of merged cells E2:E3; unmerge them and give each row its own value"),
    ]


def test_merged_cells_of_the_settings_sheet_are_named(tmp_path: Path) -> None:
    problems = problems_of(merged_workbook(tmp_path, "B2:B3", sheet="settings"))
    assert problems == [
        ("settings", 2, "value", "is part of merged cells B2:B3; unmerge them and give each row its own value")
    ]


def test_a_sheet_with_formulas_and_merged_cells_names_both_in_one_reading(tmp_path: Path) -> None:
    """One pass over the sheet finds both: a formula saved without its value, and a merged range."""
    path = merged_workbook(tmp_path, "B20:B21")  # below the table: nothing read is lost
    workbook = openpyxl.load_workbook(path)
    workbook["practices"]["C2"] = "=1+1"  # written by a script: no saved value
    workbook.save(path)
    done = run("validate", str(path))
    assert done.returncode == 2
    assert f"practices row 1, column list_size: {FORMULA_WITHOUT_VALUE}" in done.stdout + done.stderr
    workbook = openpyxl.load_workbook(path)
    workbook["practices"].merge_cells("B2:B3")
    workbook.save(path)
    assert problems_of(path) == [
        ("practices", 2, "pcn_id", "is part of merged cells B2:B3; unmerge them and give each row its own value")
    ]
