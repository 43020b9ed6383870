"""`commission import nhs` never drops or invents staff without a word (audit 4: F12, F13, F14).

Each test runs the installed console script on a copy of the real Somerset extracts, edited
as a user's file might be (a column renamed away, a blank cell, a figure typed wrong, no
workforce file at all), and reads what the user reads: the exit code, stdout and the report.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimiser.io import read_document
from optimiser.nhs.rolemap import default_role_map_text
from optimiser.report.view import scenario_sources
from tests.console import run

ROOT = Path(__file__).resolve().parents[1]
SOMERSET = ROOT / "data" / "nhs" / "somerset"
WORKFORCE = "gp-workforce-practice-may2026.csv"
FILES = {
    "mapping": "gp-reg-pat-prac-map.csv",
    "list-sizes": "gp-reg-pat-prac-quin-age.csv",
    "practice-workforce": WORKFORCE,
    "pcn-workforce": "pcn-workforce-individual-jun2026.csv",
    "payments": "nhs-payments-practice-2022-23.csv",
    "imd": "practice-imd-2025.csv",
}


@pytest.fixture
def somerset(tmp_path: Path) -> Path:
    """A writable copy of the Somerset extracts."""
    target = tmp_path / "nhs"
    target.mkdir()
    for name in FILES.values():
        shutil.copyfile(SOMERSET / name, target / name)
    return target


def import_nhs(folder: Path, out: Path, *extra: str, without: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    args = ["import", "nhs", "--icb", "QSL", "--out", str(out), *extra]
    for option, name in FILES.items():
        if option not in without:
            args += [f"--{option}", str(folder / name)]
    result = run(*args, cwd=folder.parent)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def report(out: Path) -> dict[str, Any]:
    return json.loads((out / "import_report.json").read_text(encoding="utf-8"))


def edit_workforce(folder: Path, change: Any) -> None:
    """Apply ``change`` to the workforce file's rows (a list of lists, header first) and write it back."""
    path = folder / WORKFORCE
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    rows = change(rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def drop_column(column: str) -> Any:
    def change(rows: list[list[str]]) -> list[list[str]]:
        i = rows[0].index(column)
        return [row[:i] + row[i + 1 :] for row in rows]

    return change


def set_cell(practice: str, column: str, value: str) -> Any:
    def change(rows: list[list[str]]) -> list[list[str]]:
        i = rows[0].index(column)
        (row,) = [r for r in rows[1:] if r[0] == practice]
        row[i] = value
        return rows

    return change


def raw_workforce() -> pd.DataFrame:
    return pd.read_csv(SOMERSET / WORKFORCE, encoding="utf-8-sig").set_index("PRAC_CODE")


def registered() -> pd.Series:
    quin = pd.read_csv(SOMERSET / FILES["list-sizes"], encoding="utf-8-sig")
    totals = quin[(quin["ORG_TYPE"] == "GP") & (quin["SEX"] == "ALL") & (quin["AGE_GROUP_5"] == "ALL")]
    return totals.set_index("ORG_CODE")["NUMBER_OF_PATIENTS"]


# F12 -------------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["TOTAL_GP_SEN_PTNR_FTE", "TOTAL_NURSES_FTE", "TOTAL_ADMIN_FTE"])
def test_a_column_the_role_map_names_missing_is_exit_2_naming_file_and_column(
    somerset: Path, tmp_path: Path, column: str
) -> None:
    edit_workforce(somerset, drop_column(column))
    out = tmp_path / "out"
    result = import_nhs(somerset, out)
    assert result.returncode == 2, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert f"{WORKFORCE} column {column}: the role map" in said, said
    assert "no such column" in said
    assert not out.exists() or not any(out.iterdir()), "no scenario may be written"


def test_a_missing_gp_column_says_what_the_published_total_holds(somerset: Path, tmp_path: Path) -> None:
    edit_workforce(somerset, drop_column("TOTAL_GP_SEN_PTNR_FTE"))
    result = import_nhs(somerset, tmp_path / "out")
    raw = raw_workforce().loc["L85001"]
    left = raw["TOTAL_GP_FTE"] - raw["TOTAL_GP_SEN_PTNR_FTE"]
    assert f"L85001: {raw['TOTAL_GP_FTE']:,.4f} published, {left:,.4f} in the columns" in result.stdout + result.stderr


def test_somerset_gp_columns_add_up_to_the_published_total(somerset: Path, tmp_path: Path) -> None:
    """The extract has no TOTAL_GP_RET_FTE column (retainers are in the others): allowed, and said,
    because its GP columns add up to TOTAL_GP_FTE at every practice."""
    out = tmp_path / "out"
    result = import_nhs(somerset, out)
    assert result.returncode == 0, result.stderr
    check = report(out)["gp_total_check"]
    raw = raw_workforce()
    assert check["absent_columns"] == ["TOTAL_GP_RET_FTE"]
    assert check["mismatches"] == []
    assert check["published"] == pytest.approx(raw["TOTAL_GP_FTE"].sum(), abs=1e-4)
    assert check["summed"] == pytest.approx(raw[[c.upper() for c in check["columns"]]].sum().sum(), abs=1e-4)
    markdown = (out / "import_report.md").read_text(encoding="utf-8")
    assert "Not in the file: `TOTAL_GP_RET_FTE`. The GP columns present add up to `TOTAL_GP_FTE`" in markdown


def test_a_role_map_that_misses_a_gp_column_is_reported_against_total_gp_fte(somerset: Path, tmp_path: Path) -> None:
    """A role map edited for this extract (no retainers column) that also lost its partners row:
    exit 0 (nothing it names is missing) but every practice with partners is reported."""
    text = default_role_map_text()
    dropped = (",TOTAL_GP_SEN_PTNR_FTE,", ",TOTAL_GP_RET_FTE,")
    lines = [line for line in text.splitlines() if not any(column in line for column in dropped)]
    assert len(lines) == len(text.splitlines()) - 2
    role_map = tmp_path / "role_map.csv"
    role_map.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    result = import_nhs(somerset, out, "--role-map", str(role_map))
    assert result.returncode == 0, result.stderr
    raw = raw_workforce()
    partners = raw["TOTAL_GP_SEN_PTNR_FTE"]
    expected = sorted(partners[partners > 0.01].index)
    mismatches = report(out)["gp_total_check"]["mismatches"]
    assert sorted(m["practice_id"] for m in mismatches) == expected
    first = next(m for m in mismatches if m["practice_id"] == "L85001")
    assert first["difference"] == pytest.approx(partners["L85001"], abs=1e-4)
    assert (
        f"{len(expected)} practices whose GP columns in the role map do not add up to the published TOTAL_GP_FTE"
        in (result.stdout)
    )
    assert "| L85001 |" in (out / "import_report.md").read_text(encoding="utf-8").split("GP columns the role map")[1]


# F13 -------------------------------------------------------------------------------------


def test_a_blank_workforce_cell_is_named_on_stdout_and_in_the_report(somerset: Path, tmp_path: Path) -> None:
    edit_workforce(somerset, set_cell("L85001", "TOTAL_NURSES_FTE", ""))
    out = tmp_path / "out"
    result = import_nhs(somerset, out)
    assert result.returncode == 0, result.stderr
    assert "1 blank workforce cell read as 0 FTE (see the report): L85001 TOTAL_NURSES_FTE (row 1)" in result.stdout
    (blank,) = report(out)["blank_workforce_cells"]
    assert (blank["practice_id"], blank["row"], blank["column"], blank["read_as"]) == (
        "L85001",
        1,
        "TOTAL_NURSES_FTE",
        0.0,
    )
    assert "| L85001 | FRENCH WEIR HEALTH CENTRE | 1 | `TOTAL_NURSES_FTE` | (blank) |" in (
        out / "import_report.md"
    ).read_text(encoding="utf-8")


def test_the_real_file_has_no_blank_cell(somerset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = import_nhs(somerset, out)
    assert report(out)["blank_workforce_cells"] == []
    assert "blank workforce cell" not in result.stdout


def test_an_implausible_fte_for_the_practice_list_is_a_warning(somerset: Path, tmp_path: Path) -> None:
    edit_workforce(somerset, set_cell("L85001", "TOTAL_NURSES_FTE", "60800"))
    out = tmp_path / "out"
    result = import_nhs(somerset, out)
    assert result.returncode == 0, result.stderr
    patients = int(registered()["L85001"])
    assert (
        f"L85001 ({patients:,} registered patients, row 1): TOTAL_NURSES_FTE 60,800.00 FTE "
        f"({60800 / patients * 1000:,.2f} per 1,000)" in result.stdout
    )
    flagged = report(out)["implausible_fte"]["figures"]
    assert {"practice_id": "L85001", "column": "TOTAL_NURSES_FTE", "fte": 60800.0}.items() <= flagged[0].items()


def test_the_plausibility_rule_flags_exactly_the_practices_over_it(somerset: Path, tmp_path: Path) -> None:
    """On the real file: every imported column over 5 FTE per 1,000 registered patients, and no other."""
    out = tmp_path / "out"
    import_nhs(somerset, out)
    checks = report(out)["implausible_fte"]
    limit = checks["limit_fte_per_1000_patients"]
    imported = ["TOTAL_GP_SEN_PTNR_FTE", "TOTAL_GP_PTNR_PROV_FTE", "TOTAL_GP_SAL_BY_PRAC_FTE"]
    imported += ["TOTAL_GP_SAL_BY_OTH_FTE", "TOTAL_GP_LOCUM_VAC_FTE", "TOTAL_NURSES_FTE", "TOTAL_DPC_FTE"]
    per_1000 = raw_workforce()[imported].div(registered(), axis=0).dropna() * 1000
    over = per_1000.stack()
    expected = sorted((p, c) for (p, c), v in over[over > limit].items())
    assert expected, "the real file has a practice of one registered patient with staff: it must be flagged"
    assert sorted((f["practice_id"], f["column"]) for f in checks["figures"]) == expected


# F14 -------------------------------------------------------------------------------------


def test_no_workforce_file_is_said_on_stdout_in_the_report_and_in_data_sources(somerset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = import_nhs(somerset, out, without=("practice-workforce", "pcn-workforce"))
    assert result.returncode == 0, result.stderr
    sentence = (
        "No workforce file was given: practices and PCNs have no existing staff, so every clinician is a new hire"
    )
    assert sentence in result.stdout
    assert report(out)["workforce_not_given"] == [sentence]
    assert f"**{sentence}.**" in (out / "import_report.md").read_text(encoding="utf-8")
    settings = json.loads((out / "settings.json").read_text(encoding="utf-8"))
    assert sentence in settings["data_sources"]
    # the PDF's assumptions box lists the scenario's sources one by one: the sentence is one of them
    assert sentence in scenario_sources(read_document(out))


def test_no_pcn_workforce_file_is_said_alone(somerset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = import_nhs(somerset, out, without=("pcn-workforce",))
    assert result.returncode == 0, result.stderr
    (sentence,) = report(out)["workforce_not_given"]
    assert sentence.startswith("No PCN workforce file was given: PCNs have no existing staff")
    assert sentence in result.stdout
    assert sentence in json.loads((out / "settings.json").read_text(encoding="utf-8"))["data_sources"]


def test_both_workforce_files_given_says_nothing_of_the_kind(somerset: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = import_nhs(somerset, out)
    assert report(out)["workforce_not_given"] == []
    assert "new hire" not in result.stdout
    assert "new hire" not in json.loads((out / "settings.json").read_text(encoding="utf-8"))["data_sources"]
