"""A table's file or sheet with no header row is an error naming the table, never a table
without rows (audit 5, F4); ``validate`` states the existing workforce it read (F4) and
counts in the singular where there is one (F13)."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from optimiser.deliverability.wording import number, plural
from optimiser.io import read_document, write_document_as_csv, write_document_as_workbook
from tests import console

TINY = console.TINY
EXAMPLE_ICB = console.REPO / "data" / "example_icb"


def csv_scenario(tmp_path: Path, source: Path = TINY) -> Path:
    target = tmp_path / "csv"
    shutil.copytree(source, target)
    return target


def zipped(directory: Path) -> Path:
    archive = directory.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as handle:
        for file in directory.iterdir():
            handle.write(file, f"scenario/{file.name}")
    return archive


def workbook_with(tmp_path: Path, change: Callable[[openpyxl.Workbook], None]) -> Path:
    """data/tiny as a workbook, changed by ``change``."""
    path = tmp_path / "scenario.xlsx"
    write_document_as_workbook(read_document(TINY), path)
    workbook = openpyxl.load_workbook(path)
    change(workbook)
    workbook.save(path)
    return path


def emptied_sheet(table: str) -> Callable[[openpyxl.Workbook], None]:
    def change(workbook: openpyxl.Workbook) -> None:
        sheet = workbook[table]
        sheet.delete_rows(1, sheet.max_row)

    return change


def header_only_sheet(table: str) -> Callable[[openpyxl.Workbook], None]:
    def change(workbook: openpyxl.Workbook) -> None:
        sheet = workbook[table]
        sheet.delete_rows(2, sheet.max_row)

    return change


def validate_json(path: Path) -> tuple[int, dict[str, Any]]:
    done = console.run("validate", str(path), "--format", "json")
    assert "Traceback" not in done.stderr
    return done.returncode, console.strict_json(done.stdout)


def only_problem(path: Path) -> dict[str, Any]:
    code, answer = validate_json(path)
    assert code == 2, answer
    (problem,) = answer["problems"]
    return problem


# --- no header row: an error naming the table -----------------------------------------------


@pytest.mark.parametrize(
    "content", [b"", b"\n\r\n  \n", b"\xef\xbb\xbf", b",,\n"], ids=["0 bytes", "blank lines", "BOM", "commas"]
)
def test_a_staff_csv_without_a_header_row_is_an_error_naming_staff(tmp_path: Path, content: bytes) -> None:
    scenario = csv_scenario(tmp_path)
    (scenario / "staff.csv").write_bytes(content)
    for path, container in ((scenario, "file"), (zipped(scenario), "file")):
        problem = only_problem(path)
        assert (problem["table"], problem["row"], problem["column"]) == ("staff", None, None)
        assert problem["message"].startswith(f"the {container} is empty (no header row)")
        assert f"delete the {container} if the scenario has no staff rows" in problem["message"]


def test_an_empty_staff_sheet_is_an_error_but_an_empty_sheet_of_no_table_is_not(tmp_path: Path) -> None:
    problem = only_problem(workbook_with(tmp_path, emptied_sheet("staff")))
    assert (problem["table"], problem["row"], problem["column"]) == ("staff", None, None)
    assert problem["message"].startswith("the sheet is empty (no header row)")

    def extra_empty_sheet(workbook: openpyxl.Workbook) -> None:
        workbook.create_sheet("Sheet1")

    code, answer = validate_json(workbook_with(tmp_path, extra_empty_sheet))
    assert (code, answer["status"]) == (0, "valid")


def test_every_table_without_a_header_is_named_at_once(tmp_path: Path) -> None:
    """Every optional table, a required one (not 'table has no rows') and the settings: one answer."""
    scenario = csv_scenario(tmp_path, EXAMPLE_ICB)
    emptied = ["eligibility", "practices", "staff"]
    for table in emptied:
        (scenario / f"{table}.csv").write_bytes(b"")
    (scenario / "settings.json").unlink()
    (scenario / "settings.csv").write_bytes(b"\n")
    code, answer = validate_json(scenario)
    assert code == 2
    named = {problem["table"]: problem["message"] for problem in answer["problems"]}
    assert sorted(named) == sorted([*emptied, "settings"])
    assert all(message.startswith("the file is empty (no header row)") for message in named.values())
    assert "delete the file" not in named["practices"] and "delete the file" not in named["settings"]


def test_solve_and_check_refuse_an_empty_staff_file_rather_than_hire_every_post(tmp_path: Path) -> None:
    """The audit's case: read as 'no staff', the 0-byte file flipped the verdict."""
    scenario = csv_scenario(tmp_path)
    (scenario / "staff.csv").write_bytes(b"")
    for command in ("solve", "check"):
        done = console.run(command, str(scenario), "--format", "json")
        assert done.returncode == 2, (command, done.stdout)
        assert [p["table"] for p in console.strict_json(done.stdout)["problems"]] == ["staff"]


# --- a header-only staff table: valid, and validate says there is no staff ----------------------


def test_a_header_only_staff_table_is_valid_and_validate_says_0_existing_staff_fte(tmp_path: Path) -> None:
    scenario = csv_scenario(tmp_path)
    header = (scenario / "staff.csv").read_text().splitlines()[0]
    (scenario / "staff.csv").write_text(header + "\n")
    for path in (scenario, zipped(scenario), workbook_with(tmp_path, header_only_sheet("staff"))):
        code, answer = validate_json(path)
        assert code == 0, answer
        assert (answer["staff_rows"], answer["staff_fte"]) == (0, 0.0)
        done = console.run("validate", str(path))
        assert done.returncode == 0
        assert "0 existing staff FTE (no staff rows: every post is a new hire)" in done.stdout


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("source", [TINY, EXAMPLE_ICB], ids=["tiny", "example_icb"])
def test_validate_states_every_count_and_the_existing_staff_fte(source: Path) -> None:
    """Counted from the files here, independently of the reader; one of a thing is singular ('1 PCN')."""
    tables = {name: csv_rows(source / f"{name}.csv") for name in ("practices", "pcns", "roles", "services", "staff")}
    fte = sum(float(row["fte"]) for row in tables["staff"])
    patients = sum(int(row["list_size"]) for row in tables["practices"])
    code, answer = validate_json(source)
    assert code == 0
    assert (answer["staff_rows"], answer["staff_fte"]) == (len(tables["staff"]), pytest.approx(fte))
    done = console.run("validate", str(source))
    assert done.returncode == 0
    expected = (
        f"Valid: {plural(len(tables['practices']), 'practice')}, {plural(len(tables['pcns']), 'PCN')}, "
        f"{plural(len(tables['roles']), 'role')}, {plural(len(tables['services']), 'service')}, "
        f"{plural(patients, 'patient')}, {plural(len(tables['staff']), 'staff row')} "
        f"({number(fte)} existing staff FTE)."
    )
    assert done.stdout.strip() == expected


def test_one_of_each_is_counted_in_the_singular(tmp_path: Path) -> None:
    document: dict[str, Any] = json.loads(json.dumps(read_document(TINY)))
    document["practices"] = document["practices"][:1]
    document["roles"] = [r for r in document["roles"] if r["role_id"] == document["staff"][0]["role_id"]]
    document["staff"] = document["staff"][:1]
    document["skill_mix"] = [m for m in document["skill_mix"] if m["role_id"] == document["roles"][0]["role_id"]]
    document["services"] = [
        s for s in document["services"] if s["service_id"] == document["skill_mix"][0]["service_id"]
    ]
    document["skill_mix"] = document["skill_mix"][:1]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(document))
    done = console.run("validate", str(path))
    assert done.returncode == 0, done.stderr
    patients = int(document["practices"][0]["list_size"])
    assert done.stdout.startswith(
        f"Valid: 1 practice, 1 PCN, 1 role, 1 service, {patients:,} patients, 1 staff row ("
    ), done.stdout


def test_a_table_without_rows_is_written_as_its_header_row_and_reads_back_as_no_staff(tmp_path: Path) -> None:
    """The product's own writers (`import nhs` without workforce files) never write a table that
    its reader would refuse as empty."""
    document = read_document(TINY)
    document["staff"] = []
    write_document_as_csv(document, tmp_path / "csv")
    write_document_as_workbook(document, tmp_path / "scenario.xlsx")
    assert (tmp_path / "csv" / "staff.csv").read_text().splitlines() == ["holder_id,role_id,fte"]
    for path in (tmp_path / "csv", tmp_path / "scenario.xlsx"):
        code, answer = validate_json(path)
        assert (code, answer["staff_rows"], answer["staff_fte"]) == (0, 0, 0.0), answer
