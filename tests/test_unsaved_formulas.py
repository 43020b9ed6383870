"""A workbook formula that was never calculated is named beside every other problem, in one pass."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from optimiser.io import read_document, write_document_as_workbook
from optimiser.nhs.sources import NhsInputError
from optimiser.nhs.spec import default_spec_path, load_spec
from tests.test_io_validation import cli_problems, encode_all, problem, rich_document

UNSAVED = "is a formula with no saved value; open the workbook in Excel and save it"


def _settings_row(sheet: object, key: str) -> int:
    for row in sheet.iter_rows(min_row=2):  # type: ignore[attr-defined]
        if row[0].value == key:
            return int(row[0].row)
    raise AssertionError(f"no {key} row in the settings sheet")


def test_unsaved_formulas_are_named_with_the_other_problems(tmp_path: Path) -> None:
    path = encode_all(rich_document(), tmp_path)["xlsx"]
    workbook = openpyxl.load_workbook(path)
    practices = workbook["practices"]
    practices["C2"] = "=1000*4"  # list_size of the first practice: required
    practices["C3"] = "abc"  # list_size of the second: not a number
    practices["D3"] = "=4000*1.1"  # weighted_list_size of the second: optional, would take list_size
    settings = workbook["settings"]
    settings.cell(_settings_row(settings, "budget_gbp"), 2).value = "=2*500000"
    workbook.save(path)
    found = cli_problems(path)
    assert found == [
        problem("settings", None, "budget_gbp", UNSAVED),
        problem("practices", 1, "list_size", UNSAVED),
        problem("practices", 2, "list_size", "must be a number (got 'abc')"),
        problem("practices", 2, "weighted_list_size", UNSAVED),
    ]
    # Never also "missing": the cell is not blank, only uncalculated.
    assert not any(p["message"] == "required value is missing" for p in found)


def test_a_row_holding_only_an_unsaved_formula_is_named_not_skipped_as_blank(tmp_path: Path) -> None:
    path = encode_all(rich_document(), tmp_path)["xlsx"]
    workbook = openpyxl.load_workbook(path)
    practices = workbook["practices"]
    last = practices.max_row
    practices.cell(last + 2, 3).value = "=1+1"  # a row below a blank row, nothing in it but a formula
    workbook.save(path)
    found = cli_problems(path)
    assert problem("practices", last + 1, "list_size", UNSAVED) in found
    # The rest of that row is reported as the blanks it is.
    assert problem("practices", last + 1, "practice_id", "required value is missing") in found


def test_a_spec_workbook_with_an_unsaved_formula_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = tmp_path / "spec.xlsx"
    write_document_as_workbook(read_document(default_spec_path()), path)
    workbook = openpyxl.load_workbook(path)
    services = workbook["services"]
    header = [cell.value for cell in services[1]]
    services.cell(3, header.index("value_weight") + 1).value = "=2*3"
    workbook.save(path)
    with pytest.raises(NhsInputError) as raised:
        load_spec(path)
    assert f"services row 2, column value_weight: {UNSAVED}" in str(raised.value)
