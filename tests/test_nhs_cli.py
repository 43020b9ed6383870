"""`commission import nhs` through the installed console script, as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import nhs_files
from tests.nhs_files import edit, import_json
from tests.require import require_or_skip

ROOT = Path(__file__).resolve().parents[1]
SOMERSET = ROOT / "data" / "nhs" / "somerset"


def commission() -> str:
    script = Path(sys.executable).parent / "commission"
    found = str(script) if script.exists() else shutil.which("commission")
    if not found:
        pytest.fail("the commission console script is not installed")
    return found


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([commission(), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_import_somerset_then_validate(tmp_path: Path) -> None:
    out = tmp_path / "somerset"
    result = run(
        "import",
        "nhs",
        "--icb",
        "QSL",
        "--mapping",
        str(SOMERSET / "gp-reg-pat-prac-map.csv"),
        "--list-sizes",
        str(SOMERSET / "gp-reg-pat-prac-quin-age.csv"),
        "--practice-workforce",
        str(SOMERSET / "gp-workforce-practice-may2026.csv"),
        "--pcn-workforce",
        str(SOMERSET / "pcn-workforce-individual-jun2026.csv"),
        "--payments",
        str(SOMERSET / "nhs-payments-practice-2022-23.csv"),
        "--out",
        str(out),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "58 practices, 13 PCNs" in result.stdout
    assert "Registered patients 604,843" in result.stdout
    report = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    assert report["totals"]["registered_patients"] == 604843
    assert "Open Government Licence v3.0" in (out / "import_report.md").read_text(encoding="utf-8")
    validated = run("validate", str(out), "--format", "json", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert json.loads(validated.stdout)["practices"] == 58


def test_import_to_a_workbook_with_zipped_inputs(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in", zipped=True, bom=True, crlf=True)
    out = tmp_path / "area.xlsx"
    args = ["import", "nhs", "--icb", "QAA", "--out", str(out)]
    for option in ("mapping", "list_sizes", "practice_workforce", "pcn_workforce", "payments"):
        args += [f"--{option.replace('_', '-')}", str(files[option])]
    result = run(*args, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["practices"] == 3
    assert (tmp_path / "area_import_report.json").exists() and (tmp_path / "area_import_report.md").exists()
    validated = run("validate", str(out), "--format", "json", cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr


def test_an_unknown_icb_is_exit_2_without_a_traceback(tmp_path: Path) -> None:
    result = run(
        "import",
        "nhs",
        "--icb",
        "QXX",
        "--mapping",
        str(SOMERSET / "gp-reg-pat-prac-map.csv"),
        "--list-sizes",
        str(SOMERSET / "gp-reg-pat-prac-quin-age.csv"),
        "--out",
        str(tmp_path / "out"),
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert "gp-reg-pat-prac-map.csv column ICB_CODE: ICB code 'QXX' matches no practice" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()


def test_the_role_map_can_be_printed_and_passed_back(tmp_path: Path) -> None:
    printed = run("import", "role-map", cwd=tmp_path)
    assert printed.returncode == 0
    assert printed.stdout.startswith("publication,match,value,role_id,note")
    assert "TOTAL_GP_TRN_GR_FTE" in printed.stdout


def test_the_report_says_why_a_practice_has_no_weighted_list(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    edit("payments", ",3900.5,4400.25,", ",3900.5,,")(files)  # A81001, row 1: blank
    edit("payments", ",1000,1200.75,", ",1000,0,")(files)  # A81003, row 3: zero
    edit("payments", ",1000,1100.5,", ",1000,ND,")(files)  # A81009 (closed), row 2: suppressed
    result = import_json(files, tmp_path / "out")
    assert result.returncode == 0, result.stderr
    unmatched = {u["code"]: u for u in json.loads(result.stdout)["unmatched"] if u["file"] == "payments"}
    assert {code: u["issue"] for code, u in unmatched.items() if code != "A81009"} == {
        "A81001": "no weighted list in the payments file (row 1 is blank or suppressed)",
        "A81002": "no row in the payments file (opened or merged since)",
        "A81003": "a weighted list of 0 in the payments file (row 3)",
    }
    assert unmatched["A81009"]["action"] == "not imported (it has no weighted list there)"


def test_a_mapping_row_without_a_practice_code_is_named_by_its_row(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    edit("mapping", "01Jan2030,A81002,BETA SURGERY", "01Jan2030,,BETA SURGERY")(files)
    edit("mapping", "01Jan2030,A81003,GAMMA SURGERY", "01Jan2030,,GAMMA SURGERY")(files)
    result = import_json(files, tmp_path / "out")
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["problems"] == [
        {
            "table": "gp-reg-pat-prac-map.csv",
            "row": 2,
            "column": "PRACTICE_CODE",
            "message": "a practice row has no practice code",
        }
    ]


def test_the_order_of_the_practice_workforce_rows_does_not_change_the_staff_table(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    assert import_json(files, tmp_path / "as_published").returncode == 0
    header, *rows = nhs_files.PRACTICE_WORKFORCE
    nhs_files.write(files["practice_workforce"], [header, *reversed(rows)])
    assert import_json(files, tmp_path / "reversed").returncode == 0
    staff = (tmp_path / "as_published" / "staff.csv").read_text()
    assert staff.index("A81001,gp") < staff.index("A81002,gp")
    assert (tmp_path / "reversed" / "staff.csv").read_text() == staff


def test_figures_with_thousands_commas_are_read_as_written(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "plain")
    assert import_json(files, tmp_path / "from_plain").returncode == 0
    grouped = nhs_files.write_all(tmp_path / "grouped")
    edit("payments", ",3900.5,4400.25,", ',"3,900.5","4,400.25",')(grouped)
    edit("list_sizes", "A81001,,AA1 1AA,ALL,ALL,4000,", 'A81001,,AA1 1AA,ALL,ALL,"4,000",')(grouped)
    result = import_json(grouped, tmp_path / "from_grouped")
    assert result.returncode == 0, result.stdout
    practices = (tmp_path / "from_grouped" / "practices.csv").read_text(encoding="utf-8")
    assert "A81001,U00001,4000,4400.25," in practices
    assert practices == (tmp_path / "from_plain" / "practices.csv").read_text(encoding="utf-8")


def test_a_publication_without_a_date_says_so_in_plain_words(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    result = run(*nhs_files.import_args(files, tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (
        "General Practice Workforce, practice level: gp-workforce-practice.csv, "
        "date unknown (the file has no date column and no date in its name); 3 of 4 rows in the area"
    ) in result.stdout


def test_a_role_map_row_is_numbered_counting_blank_lines(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    header, first = run("import", "role-map", cwd=tmp_path).stdout.splitlines()[:2]
    # Under the header: a blank line (row 1), a rule (row 2), a line of commas (row 3), the bad rule (row 4).
    role_map = nhs_files.write(tmp_path / "roles.csv", [header, "", first, ",,,,", "bogus" + first[first.index(",") :]])
    args = nhs_files.import_args(files, tmp_path / "out", "--format", "json", "--role-map", str(role_map))
    result = run(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout)["problems"] == [
        {
            "table": "roles.csv",
            "row": 4,
            "column": "publication",
            "message": "publication must be one of practice_workforce, pcn_workforce (got 'bogus')",
        }
    ]


def test_the_scenario_names_each_publication_and_its_date_and_the_report_quotes_them(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    out = tmp_path / "out"
    assert run(*nhs_files.import_args(files, out), cwd=tmp_path).returncode == 0
    sources = json.loads((out / "settings.json").read_text(encoding="utf-8"))["data_sources"]
    assert "Patients Registered at a GP Practice: practice mapping (gp-reg-pat-prac-map), January 2030" in sources
    assert "NHS Payments to General Practice, practice level, 2029-30 (nhs-payments-practice-2029-30.csv)" in sources
    assert "General Practice Workforce, practice level, date unknown (gp-workforce-practice.csv)" in sources
    assert len(sources.split("; ")) == len(nhs_files.OPTIONS)

    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    report = run("report", str(out), "--out", str(tmp_path / "r.pdf"), cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    text = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True)
    words = " ".join(text.stdout.split())
    assert "none given in the scenario" not in words and "data_sources" not in words
    assert "NHS Payments to General Practice, practice level, 2029-30" in words


def test_a_blank_fte_in_the_pcn_workforce_file_is_listed_as_read_as_0(tmp_path: Path) -> None:
    """As blank cells of the practice workforce file are: on stdout, in the report's JSON and markdown."""
    clean = nhs_files.write_all(tmp_path / "clean")
    assert import_json(clean, tmp_path / "clean_out").returncode == 0
    files = nhs_files.write_all(tmp_path / "in")
    edit("pcn_workforce", "Pharmacist,0.5,2,x", "Pharmacist,,2,x")(files)  # U00001, row 2: blank
    edit("pcn_workforce", "Care Coordinator,0.8,3,x", "Care Coordinator,ND,3,x")(files)  # row 3: suppressed
    # Row 6: GONE PCN, which the mapping does not list, so its staff are not imported at all.
    edit("pcn_workforce", "Pharmacist,2.0,6,x", "Pharmacist,,6,x")(files)
    out = tmp_path / "out"
    printed = run(*nhs_files.import_args(files, out), cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    assert (
        "2 blank PCN workforce cells read as 0 FTE (see the report): "
        "U00001 Pharmacist (row 2); U00001 Care Coordinator (row 3)" in printed.stdout
    )
    report = json.loads((out / "import_report.json").read_text(encoding="utf-8"))
    assert [
        (b["pcn_id"], b["row"], b["column"], b["detailed_staff_role"], b["cell"], b["read_as"])
        for b in report["blank_pcn_workforce_cells"]
    ] == [
        ("U00001", 2, "FTE", "Pharmacist", "", 0.0),
        ("U00001", 3, "FTE", "Care Coordinator", "ND", 0.0),
    ]
    markdown = (out / "import_report.md").read_text(encoding="utf-8")
    assert "2 blank or suppressed FTE cells of the PCN workforce file, read as 0 FTE:" in markdown
    assert "| U00001 | ALPHA PCN | 2 | Pharmacist | (blank) |" in markdown
    assert "| U00001 | ALPHA PCN | 3 | Care Coordinator | ND |" in markdown

    def pharmacist_fte(scenario: Path) -> float:
        rows = (scenario / "staff.csv").read_text().splitlines()
        return sum(float(r.split(",")[2]) for r in rows if r.startswith("U00001,clinical_pharmacist,"))

    # The listed cell is what the import lost: the clean file's 0.5 FTE on row 2.
    assert pharmacist_fte(tmp_path / "clean_out") - pharmacist_fte(out) == pytest.approx(0.5)
    clean_report = json.loads((tmp_path / "clean_out" / "import_report.json").read_text(encoding="utf-8"))
    assert clean_report["blank_pcn_workforce_cells"] == []


def test_without_a_pcn_workforce_file_no_pcn_blank_is_reported(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    args = nhs_files.import_args(files, tmp_path / "out")
    at = args.index("--pcn-workforce")
    done = run(*args[:at], *args[at + 2 :], "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["blank_pcn_workforce_cells"] is None
    assert "FTE cell" not in (tmp_path / "out" / "import_report.md").read_text(encoding="utf-8")
