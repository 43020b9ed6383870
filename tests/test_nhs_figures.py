"""Every figure the importer reads is checked where it is read: a negative, impossible or
non-numeric cell is exit 2 (HTTP 422) naming the file, the data row and the column as the
file spells it, never summed in, dropped or estimated around. A cell the scenario contract
refuses later is still reported in the publication it came from, not in a built table.

Run as users run it: the installed console script in a subprocess, and the service.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.orm import Role
from models.scenario import ScenarioInvalid
from optimiser.nhs.readers import read_pcn_workforce
from optimiser.nhs.sources import MAX_PROBLEMS_PER_COLUMN, Source
from tests import nhs_files
from tests.api.helpers import Service, service_settings
from tests.console import run
from tests.nhs_files import OPTIONS, edit, import_json

# Data row n of a file written from nhs_files lines is lines[n] (lines[0] is the header).
ALPHA_LIST_SIZE_ROW = 2
BETA_LIST_SIZE_ROW = nhs_files.quin_age_lines(nhs_files.LIST_SIZES).index(
    "GP_PRAC_PAT_LIST,2030-01-01,GP,A81002,,AA1 1AA,ALL,ALL,2000,x"
)


BAD_FIGURES = [
    pytest.param(
        edit("pcn_workforce", "Pharmacists,Pharmacist,0.5,2,x", "Pharmacists,Pharmacist,-0.5,2,x"),
        ("pcn-workforce-individual.csv", 2, "FTE", "the figure for PCN U00001 must not be negative (got -0.5)"),
        id="negative-pcn-fte",
    ),
    pytest.param(
        edit("practice_workforce", "0.25,0.0,1.0,1.0,0.75", "0.25,0.0,-1.0,1.0,0.75"),
        (
            "gp-workforce-practice.csv",
            2,
            "TOTAL_NURSES_FTE",
            "the figure for practice A81002 must not be negative (got -1.0)",
        ),
        id="negative-practice-fte",
    ),
    pytest.param(
        edit("list_sizes", "A81002,,AA1 1AA,ALL,ALL,2000,", "A81002,,AA1 1AA,ALL,ALL,-2000,"),
        (
            "gp-reg-pat-prac-quin-age.csv",
            BETA_LIST_SIZE_ROW,
            "NUMBER_OF_PATIENTS",
            "the figure for practice A81002 must not be negative (got -2000)",
        ),
        id="negative-list-size",
    ),
    pytest.param(
        edit("payments", ",1000,1200.75,", ",1000,-1200.75,"),
        (
            "nhs-payments-practice-2029-30.csv",
            3,
            "Number of Weighted Patients (Last Known Figure)",
            "the figure for practice A81003 must not be negative (got -1200.75)",
        ),
        id="negative-weighted-list",
    ),
    pytest.param(
        edit("payments", "ALPHA SURGERY,,3900.5,", "ALPHA SURGERY,,-3900.5,"),
        (
            "nhs-payments-practice-2029-30.csv",
            1,
            "Number of Registered Patients (Last Known Figure)",
            "the figure for practice A81001 must not be negative (got -3900.5)",
        ),
        id="negative-registered-in-payments",
    ),
    pytest.param(
        edit("imd", "A81002,Beta,2025,12.25", "A81002,Beta,2025,-17"),
        ("practice-imd.csv", 2, "IMD_SCORE", "the figure for practice A81002 must not be negative (got -17)"),
        id="negative-imd-score",
    ),
    pytest.param(
        edit("practice_workforce", "A81001,ALPHA SURGERY,4.5,3.5,2.0,", "A81001,ALPHA SURGERY,4.5,3.5,1e12,"),
        (
            "gp-workforce-practice.csv",
            1,
            "TOTAL_GP_SEN_PTNR_FTE",
            "the figure for practice A81001 must be at most 100,000 FTE (got 1e12)",
        ),
        id="impossible-fte",
    ),
    pytest.param(
        edit("list_sizes", "A81001,,AA1 1AA,ALL,ALL,4000,", "A81001,,AA1 1AA,ALL,ALL,4000.5,"),
        (
            "gp-reg-pat-prac-quin-age.csv",
            ALPHA_LIST_SIZE_ROW,
            "NUMBER_OF_PATIENTS",
            "the figure for practice A81001 must be a whole number of patients (got 4000.5)",
        ),
        id="fractional-patients",
    ),
    pytest.param(
        edit("practice_workforce", "A81001,ALPHA SURGERY,4.5,3.5,2.0,", "A81001,ALPHA SURGERY,4.5,3.5,abc,"),
        (
            "gp-workforce-practice.csv",
            1,
            "TOTAL_GP_SEN_PTNR_FTE",
            "the figure for practice A81001 is not a number (got 'abc')",
        ),
        id="not-a-number",
    ),
    # A comma only separates thousands (as in every amount the product reads): a decimal
    # comma or a badly grouped figure is refused, never read with its commas deleted.
    pytest.param(
        edit("practice_workforce", "0.25,0.0,1.0,1.0,0.75", '0.25,0.0,"6,08",1.0,0.75'),
        (
            "gp-workforce-practice.csv",
            2,
            "TOTAL_NURSES_FTE",
            "the figure for practice A81002 is not a number (got '6,08'; write decimals with a point: 6.08)",
        ),
        id="decimal-comma-fte",
    ),
    pytest.param(
        edit("payments", ",1000,1200.75,", ',1000,"1200,75",'),
        (
            "nhs-payments-practice-2029-30.csv",
            3,
            "Number of Weighted Patients (Last Known Figure)",
            "the figure for practice A81003 is not a number (got '1200,75'; write decimals with a point: 1200.75)",
        ),
        id="decimal-comma-weighted-list",
    ),
    pytest.param(
        edit("list_sizes", "A81002,,AA1 1AA,ALL,ALL,2000,", 'A81002,,AA1 1AA,ALL,ALL,"20,00",'),
        (
            "gp-reg-pat-prac-quin-age.csv",
            BETA_LIST_SIZE_ROW,
            "NUMBER_OF_PATIENTS",
            "the figure for practice A81002 is not a number (got '20,00'; write decimals with a point: 20.00)",
        ),
        id="badly-grouped-list-size",
    ),
    pytest.param(
        edit("imd", "A81002,Beta,2025,12.25", 'A81002,Beta,2025,"1,2,25"'),
        (
            "practice-imd.csv",
            2,
            "IMD_SCORE",
            "the figure for practice A81002 is not a number "
            "(got '1,2,25'; commas may only separate thousands, as in 1,250,000)",
        ),
        id="badly-grouped-imd-score",
    ),
    pytest.param(
        # The amount rule's decimal comma has one or two decimals ("4,7", "6,08"): "12,3456" is no
        # more a decimal comma to the importer than to any other reader of amounts.
        edit("imd", "A81002,Beta,2025,12.25", 'A81002,Beta,2025,"12,3456"'),
        (
            "practice-imd.csv",
            2,
            "IMD_SCORE",
            "the figure for practice A81002 is not a number "
            "(got '12,3456'; commas may only separate thousands, as in 1,250,000)",
        ),
        id="comma-before-four-digits",
    ),
    pytest.param(
        edit("payments", ",1000,1200.75,", ",1000,1\xa0200.75,"),
        (
            "nhs-payments-practice-2029-30.csv",
            3,
            "Number of Weighted Patients (Last Known Figure)",
            "the figure for practice A81003 is not a number (got '1<non-breaking space>200.75')",
        ),
        id="non-breaking-space-named",
    ),
    pytest.param(
        edit("pcn_workforce", "Pharmacists,Pharmacist,1.0,1,x", 'Pharmacists,Pharmacist,"1,0",1,x'),
        (
            "pcn-workforce-individual.csv",
            1,
            "FTE",
            "the figure for PCN U00001 is not a number (got '1,0'; write decimals with a point: 1.0)",
        ),
        id="decimal-comma-pcn-fte",
    ),
    pytest.param(
        # A blank line is counted, as the scenario readers count it: the bad row is row 3.
        lambda files: (
            edit("practice_workforce", "\nA81002,BETA SURGERY", "\n\nA81002,BETA SURGERY")(files),
            edit("practice_workforce", "0.25,0.0,1.0,1.0,0.75", "0.25,0.0,-1.0,1.0,0.75")(files),
        ),
        (
            "gp-workforce-practice.csv",
            3,
            "TOTAL_NURSES_FTE",
            "the figure for practice A81002 must not be negative (got -1.0)",
        ),
        id="blank-line-counted",
    ),
    pytest.param(
        # A line of commas only is a blank line too: skipped and counted alike.
        lambda files: (
            edit(
                "list_sizes",
                "\nGP_PRAC_PAT_LIST,2030-01-01,ICB,A81001,",
                "\n,,,,,,,,,\nGP_PRAC_PAT_LIST,2030-01-01,ICB,A81001,",
            )(files),
            edit("list_sizes", "A81002,,AA1 1AA,ALL,ALL,2000,", "A81002,,AA1 1AA,ALL,ALL,-2000,")(files),
        ),
        (
            "gp-reg-pat-prac-quin-age.csv",
            BETA_LIST_SIZE_ROW + 1,
            "NUMBER_OF_PATIENTS",
            "the figure for practice A81002 must not be negative (got -2000)",
        ),
        id="line-of-commas-counted",
    ),
    pytest.param(
        # A header spelt otherwise than the publication's is named as the file spells it.
        lambda files: (
            edit("practice_workforce", "TOTAL_NURSES_FTE", "Total_Nurses_Fte")(files),
            edit("practice_workforce", "0.0,0.0,0.0,0.5,0.5,0.0,1.0", "0.0,0.0,0.0,-0.5,0.5,0.0,1.0")(files),
        ),
        (
            "gp-workforce-practice.csv",
            3,
            "Total_Nurses_Fte",
            "the figure for practice A81003 must not be negative (got -0.5)",
        ),
        id="column-as-spelt",
    ),
    pytest.param(
        # Each cell is a possible FTE; their sum, the practice's gp staff row, is not.
        edit(
            "practice_workforce", "A81001,ALPHA SURGERY,4.5,3.5,2.0,1.5,", "A81001,ALPHA SURGERY,4.5,3.5,60000,60000,"
        ),
        (
            "gp-workforce-practice.csv",
            1,
            None,
            "practice A81001's gp FTE (the sum of columns TOTAL_GP_SEN_PTNR_FTE, TOTAL_GP_SAL_BY_PRAC_FTE): "
            "must be at most 100,000 (got 120000)",
        ),
        id="sum-beyond-the-contract",
    ),
    pytest.param(
        edit("mapping", "BETA SURGERY", "BETA " + "X" * 300),
        (
            "gp-reg-pat-prac-map.csv",
            2,
            "PRACTICE_NAME",
            "practice A81002: must be at most 200 characters (got 305)",
        ),
        id="text-beyond-the-contract",
    ),
    pytest.param(
        # A line cut short (a truncated download, a hand edit): its missing cells must not read as 0.
        edit(
            "practice_workforce",
            "A81002,BETA SURGERY,1.75,1.75,1.0,0.5,0.25,0.0,1.0,1.0,0.75,3.0",
            "A81002,BETA SURGERY,2.0",
        ),
        ("gp-workforce-practice.csv", 2, None, "has 3 of the header's 12 fields: the line looks cut off"),
        id="line-cut-off",
    ),
]


@pytest.mark.parametrize(("corrupt", "expected"), BAD_FIGURES)
def test_a_bad_figure_is_exit_2_at_its_file_row_and_column(
    tmp_path: Path, corrupt: Callable[[dict[str, Path]], None], expected: tuple[str, int, str | None, str]
) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    corrupt(files)
    out = tmp_path / "out"
    result = import_json(files, out)
    assert result.returncode == 2, result.stderr
    table, row, column, message = expected
    assert json.loads(result.stdout) == {
        "status": "invalid",
        "problems": [{"table": table, "row": row, "column": column, "message": message}],
    }
    assert not out.exists(), "no scenario may be written for bad input"


def test_the_text_report_names_file_row_and_column(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    edit("practice_workforce", "0.25,0.0,1.0,1.0,0.75", "0.25,0.0,-1.0,1.0,0.75")(files)
    result = run(*nhs_files.import_args(files, tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert (
        "gp-workforce-practice.csv row 2, column TOTAL_NURSES_FTE: "
        "the figure for practice A81002 must not be negative (got -1.0)"
    ) in result.stderr


def test_every_bad_cell_of_a_column_is_named(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    edit("pcn_workforce", "Pharmacists,Pharmacist,1.0,1,x", "Pharmacists,Pharmacist,-1.0,1,x")(files)
    edit("pcn_workforce", "Care Coordinator,0.8,3,x", "Care Coordinator,-0.8,3,x")(files)
    result = import_json(files, tmp_path / "out")
    assert result.returncode == 2
    problems = json.loads(result.stdout)["problems"]
    assert [(p["row"], p["column"]) for p in problems] == [(1, "FTE"), (3, "FTE")]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    settings = service_settings(f"sqlite:///{tmp_path_factory.mktemp('db') / 'api.db'}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


# A negative figure, a sum beyond the contract and a decimal comma: the service reads through the same code.
SERVICE_CASES = ("negative-practice-fte", "sum-beyond-the-contract", "decimal-comma-weighted-list")


@pytest.mark.parametrize(("corrupt", "expected"), [p for p in BAD_FIGURES if p.id in SERVICE_CASES])
def test_the_service_reports_the_same_problem(
    service: Service,
    tmp_path: Path,
    corrupt: Callable[[dict[str, Path]], None],
    expected: tuple[str, int, str | None, str],
) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    corrupt(files)
    parts = [(name, (files[name].name, files[name].read_bytes(), "text/csv")) for name in OPTIONS]
    response = service.client.post(
        "/imports/nhs", data={"icb": "QAA"}, files=parts, headers=service.tenant(Role.COMMISSIONER)
    )
    assert response.status_code == 422, response.text
    table, row, column, message = expected
    assert response.json()["detail"] == [{"table": table, "row": row, "column": column, "message": message}]


def test_a_column_full_of_bad_cells_is_named_by_its_first_ones_and_a_count(tmp_path: Path) -> None:
    record = nhs_files.PCN_WORKFORCE[1].replace(",1.0,1,x", ",-1,1,x")
    path = nhs_files.write(
        tmp_path / "pcn.csv", [nhs_files.PCN_WORKFORCE[0]] + [record] * (MAX_PROBLEMS_PER_COLUMN + 5)
    )
    with pytest.raises(ScenarioInvalid) as raised:
        read_pcn_workforce(Source.of(path), {"U00001"}, None, [])
    problems = raised.value.problems
    assert [p.row for p in problems] == [*range(1, MAX_PROBLEMS_PER_COLUMN + 1), None]
    assert str(problems[-1]) == "pcn.csv column FTE: and 5 more rows with a figure like these"
