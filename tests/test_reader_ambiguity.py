"""Input the reader could read two ways is refused, naming where, never read one way silently
(audit 4: F27 a column given twice, F28 a line cut short, F29 a setting given twice)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl

from optimiser.io import read_document, write_document_as_workbook
from tests import console

TINY = console.TINY


def invalid(path: Path) -> list[dict[str, Any]]:
    """`commission validate PATH --format json`'s problems; it must exit 2."""
    result: subprocess.CompletedProcess[str] = console.run("validate", str(path), "--format", "json")
    assert result.returncode == 2, (result.stdout, result.stderr)
    problems: list[dict[str, Any]] = json.loads(result.stdout)["problems"]
    return problems


def problem(table: str, row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"table": table, "row": row, "column": column, "message": message}


def tiny_copy(tmp_path: Path) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


def tiny_workbook(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.xlsx"
    write_document_as_workbook(read_document(TINY), path)
    return path


def test_a_column_given_twice_in_a_csv_is_refused_naming_both_columns(tmp_path: Path) -> None:
    scenario = tiny_copy(tmp_path)
    practices = scenario / "practices.csv"
    lines = practices.read_text().splitlines()
    assert lines[0] == "practice_id,pcn_id,list_size,weighted_list_size,name"
    # this year's list beside last year's: the last would be read, 197 patients instead of 10,000
    practices.write_text("\n".join([lines[0] + ",list_size", lines[1] + ",99", lines[2] + ",98"]) + "\n")
    assert invalid(scenario) == [problem("practices", None, "list_size", "is given twice (columns C and F); keep one")]


def test_a_column_given_twice_in_a_sheet_is_refused_naming_both_columns(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["practices"]
    column = sheet.max_column + 1
    sheet.cell(1, column, "list_size")
    sheet.cell(2, column, 99)
    sheet.cell(1, column + 1, "list_size")
    workbook.save(path)
    assert invalid(path) == [problem("practices", None, "list_size", "is given 3 times (columns C, F and G); keep one")]


def test_a_csv_line_with_fewer_values_than_the_header_is_refused(tmp_path: Path) -> None:
    scenario = tiny_copy(tmp_path)
    practices = scenario / "practices.csv"
    lines = practices.read_text().splitlines()
    assert lines[1] == "P1,PCN1,6000,6000,Synthetic Practice 1"
    practices.write_text("\n".join([lines[0], "P1,PCN1,6000", *lines[2:]]) + "\n")
    assert invalid(scenario) == [
        problem(
            "practices",
            1,
            None,
            "has 3 values but the header has 5 columns: a line cut short? Give every column its place, "
            "an empty one between two commas for a blank cell",
        )
    ]
    # blank cells kept in their places are blank cells, as before
    practices.write_text("\n".join([lines[0], "P1,PCN1,6000,,", *lines[2:]]) + "\n")
    assert console.run("validate", str(scenario)).returncode == 0


def test_a_setting_given_twice_in_settings_csv_is_refused_naming_both_rows(tmp_path: Path) -> None:
    scenario = tiny_copy(tmp_path)
    (scenario / "settings.json").unlink()
    (scenario / "settings.csv").write_text(
        "key,value\nbudget_mode,pooled\nbudget_gbp,50000\nobjective,min_cost\nbudget_gbp,5000\n"
    )
    assert invalid(scenario) == [
        problem(
            "settings",
            4,
            "budget_gbp",
            "is given more than once ('50000' on row 2, then '5000' on row 4); give it once",
        )
    ]
    (scenario / "settings.csv").write_text("key,value\nbudget_mode,pooled\nbudget_gbp,50000\nobjective,min_cost\n")
    assert console.run("validate", str(scenario)).returncode == 0


def test_a_setting_given_twice_in_the_settings_sheet_is_refused(tmp_path: Path) -> None:
    path = tiny_workbook(tmp_path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["settings"]
    rows = [row[0].value for row in sheet.iter_rows(min_row=2)]
    first = rows.index("budget_gbp") + 1  # data rows: the header is not counted
    sheet.append(["budget_gbp", 5000])
    workbook.save(path)
    assert invalid(path) == [
        problem(
            "settings",
            len(rows) + 1,
            "budget_gbp",
            f"is given more than once (50000 on row {first}, then 5000 on row {len(rows) + 1}); give it once",
        )
    ]


def test_a_pooled_budget_and_an_offer_rate_together_are_refused_by_every_command(tmp_path: Path) -> None:
    """Audit 4 F5: each option selects its own budget mode; given both, one offer was silently ignored."""
    words = "give one offer: --budget (a pooled budget) or --offer-rate (£ per weighted patient), not both"
    for command in ("check", "solve", "report"):
        result = console.run(command, str(TINY), "--budget", "5m", "--offer-rate", "8", cwd=tmp_path)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert f"error: {words}" in result.stderr, (command, result.stderr)
    assert not (tmp_path / "report.pdf").exists()
    result = console.run("check", str(TINY), "--offer-rate", "8", "--budget", "5m", "--format", "json")
    assert result.returncode == 2
    assert console.strict_json(result.stdout)["problems"] == [problem("options", None, None, words)]
    manifest = tmp_path / "both.toml"
    manifest.write_text(
        f'[[runs]]\nid = "a"\nscenario = "{TINY}"\nkind = "check"\n'
        "overrides = { offer_rate_gbp_per_weighted_patient = 8 }\ngrid = { budget_gbp = [5000, 6000] }\n"
    )
    result = console.run("batch", str(manifest), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert (
        "runs[0] (id 'a'): give one offer: budget_gbp (a pooled budget) or offer_rate_gbp_per_weighted_patient "
        "(£ per weighted patient), not both"
    ) in result.stderr


def test_report_does_not_replace_an_existing_pdf_without_force(tmp_path: Path) -> None:
    """Audit 4 F19: as `template` and `import nhs`, an existing file is replaced only with --force."""
    earlier = tmp_path / "report.pdf"
    earlier.write_bytes(b"the notes of last week's meeting")
    done = console.run("report", str(TINY), "--budget", "20k", "--frontier-points", "0", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert "error: --out: report.pdf exists; give --force to replace it" in done.stderr
    assert "HiGHS" not in done.stderr  # refused before the check
    assert earlier.read_bytes() == b"the notes of last week's meeting"
    done = console.run("report", str(TINY), "--budget", "20k", "--frontier-points", "0", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert earlier.read_bytes().startswith(b"%PDF")


def test_whole_number_options_are_refused_in_the_products_words(tmp_path: Path) -> None:
    """Audit 4 F3: not Typer's validator's "Input should be greater than or equal to 1"."""
    manifest = console.REPO / "data" / "batch_example.toml"
    for value in ("0", "-1", "two"):
        done = console.run("batch", str(manifest), "--workers", value, "--format", "json", "--out", str(tmp_path))
        assert done.returncode == 2, done.stderr
        [line] = console.strict_json_lines(done.stdout)
        message = f"must be a whole number of worker processes, at least 1 (got '{value}')"
        assert line["problems"] == [problem("options", None, "--workers", message)]
        assert f"error: --workers: {message}" in done.stderr
    done = console.run("report", str(TINY), "--frontier-points", "99", "--out", str(tmp_path / "r.pdf"))
    assert done.returncode == 2
    assert "must be a whole number of budgets on the chart from 0 to 50 (got '99')" in " ".join(
        done.stderr.replace("│", " ").split()
    )
    assert "Input should" not in done.stderr
    assert list(tmp_path.iterdir()) == []


def test_eligible_patients_beyond_the_practices_list_are_refused_naming_the_row(tmp_path: Path) -> None:
    """Audit 4 F30: an extra 0 (60,000 at a practice of 6,000) turned into a verdict against the offer."""
    path = tiny_workbook(tmp_path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.create_sheet("eligibility")
    sheet.append(["practice_id", "service_id", "eligible_patients"])
    sheet.append(["P2", "same_day_access", 4000])  # the whole list: allowed
    sheet.append(["P1", "same_day_access", 60000])
    workbook.save(path)
    assert invalid(path) == [
        problem(
            "eligibility",
            2,
            "eligible_patients",
            "must be <= the list_size of practice 'P1' (60,000 > 6,000): eligible patients are patients on "
            "the practice's list",
        )
    ]


def practices_named_in(tmp_path: Path, name: str, encoding: str) -> tuple[Path, Path, str]:
    """tiny with its first practice renamed ``name`` and practices.csv saved in ``encoding``, which
    must validate and read back the name: (scenario, its practices.csv, that file's UTF-8 text)."""
    scenario = tiny_copy(tmp_path)
    practices = scenario / "practices.csv"
    text = practices.read_text()
    practices.write_bytes(text.replace("Synthetic Practice 1", name).encode(encoding))
    assert console.run("validate", str(scenario)).returncode == 0
    assert read_document(scenario)["practices"][0]["name"] == name
    return scenario, practices, text


def test_a_csv_from_excel_on_windows_is_read_and_another_separator_is_named(tmp_path: Path) -> None:
    """Audit 4 F18: Windows-1252 is read (as `import nhs` reads it); ';' or tabs are named with the fix,
    not a cascade of missing columns."""
    scenario, practices, text = practices_named_in(tmp_path, "Café Surgery – St Mary’s", "cp1252")

    practices.write_text(text.replace(",", ";"))
    assert invalid(scenario) == [
        problem(
            "practices",
            None,
            None,
            "practices.csv separates its columns by semicolons (;), not commas; save it from Excel as CSV UTF-8 "
            "(Comma delimited), or separate the columns with commas",
        )
    ]
    practices.write_bytes(text.encode() + b"P3,PCN1,\x81\x9d\n")  # bytes neither encoding has
    assert invalid(scenario) == [
        problem(
            "practices",
            None,
            None,
            "practices.csv is neither UTF-8, UTF-16 nor Windows-1252 text; save it from Excel as CSV UTF-8",
        )
    ]


def test_a_utf16_csv_is_read_as_utf16_not_as_windows_1252(tmp_path: Path) -> None:
    """Verify 4, N4: Excel's "Unicode Text" (UTF-16 with a byte-order mark) was read as Windows-1252,
    giving column names such as 'ÿþp r a c t i c e _ i d'. It is read as UTF-16; tab-separated (as
    that Excel format writes it), the separator is named."""
    scenario, practices, text = practices_named_in(tmp_path, "Café Surgery", "utf-16")
    practices.write_bytes(text.replace(",", "\t").encode("utf-16"))
    assert [p["message"] for p in invalid(scenario)] == [
        "practices.csv separates its columns by tabs, not commas; save it from Excel as CSV UTF-8 "
        "(Comma delimited), or separate the columns with commas"
    ]
