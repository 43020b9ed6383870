"""A publication gives one row per practice (the list-size file: per practice, sex and age
band). A repeated row is exit 2 (HTTP 422) naming the file, its rows and the code column,
never summed in (a practice's staff doubled) nor a crash; codes are compared as the
importer uses them, upper-cased. The PCN workforce file is one row per staff record, so
its many rows per PCN are summed on purpose.

Run as users run it: the installed console script in a subprocess, and the service.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.orm import Role
from tests import nhs_files
from tests.api.helpers import Service, service_settings
from tests.nhs_files import OPTIONS, import_json

ALPHA_TOTAL = "GP_PRAC_PAT_LIST,2030-01-01,GP,A81001,,AA1 1AA,ALL,ALL,4000,x"
BETA_BAND = "GP_PRAC_PAT_LIST,2030-01-01,GP,A81002,,AA1 1AA,FEMALE,0_4,50,x"
# Its data row once a copy is written above it: row n of the file is lines[n].
BETA_BAND_ROW = nhs_files.quin_age_lines(nhs_files.LIST_SIZES).index(BETA_BAND) + 1


def written_first(name: str, line: str) -> Callable[[dict[str, Path]], None]:
    """Write ``line`` as the first data row of the file given as ``name``, above its own rows."""

    def apply(files: dict[str, Path]) -> None:
        header, *rows = files[name].read_text(encoding="utf-8").splitlines()
        files[name].write_text("\n".join([header, line, *rows]) + "\n", encoding="utf-8")

    return apply


def one_row_each(file: str, column: str, message: str) -> dict[str, object]:
    # No one row is at fault, so the problem has none; the message names them all.
    return {"table": file, "row": None, "column": column, "message": message}


REPEATED_ROWS = [
    pytest.param(
        written_first("payments", nhs_files.PAYMENTS[1]),
        one_row_each(
            "nhs-payments-practice-2029-30.csv",
            "Practice Code",
            "practice A81001 appears on rows 1 and 2; this publication gives one row per practice",
        ),
        id="payments",
    ),
    pytest.param(
        # A closed practice is read for the report: two rows of it were a TypeError.
        written_first("payments", nhs_files.PAYMENTS[2]),
        one_row_each(
            "nhs-payments-practice-2029-30.csv",
            "Practice Code",
            "practice A81009 appears on rows 1 and 3; this publication gives one row per practice",
        ),
        id="payments-closed-practice",
    ),
    pytest.param(
        written_first("practice_workforce", nhs_files.PRACTICE_WORKFORCE[1]),
        one_row_each(
            "gp-workforce-practice.csv",
            "PRAC_CODE",
            "practice A81001 appears on rows 1 and 2; this publication gives one row per practice",
        ),
        id="practice-workforce",
    ),
    pytest.param(
        written_first("list_sizes", ALPHA_TOTAL),
        one_row_each(
            "gp-reg-pat-prac-quin-age.csv",
            "ORG_CODE",
            "practice A81001 appears on rows 1 and 3 with SEX ALL and AGE_GROUP_5 ALL; "
            "this publication gives one row per practice, sex and age band",
        ),
        id="list-size-total",
    ),
    pytest.param(
        written_first("list_sizes", BETA_BAND),
        one_row_each(
            "gp-reg-pat-prac-quin-age.csv",
            "ORG_CODE",
            f"practice A81002 appears on rows 1 and {BETA_BAND_ROW} with SEX FEMALE and AGE_GROUP_5 0_4; "
            "this publication gives one row per practice, sex and age band",
        ),
        id="list-size-band",
    ),
    pytest.param(
        written_first("imd", nhs_files.IMD[2]),
        one_row_each(
            "practice-imd.csv",
            "PRACTICE_CODE",
            "practice A81002 appears on rows 1 and 3; this publication gives one row per practice",
        ),
        id="imd",
    ),
    pytest.param(
        written_first("mapping", nhs_files.MAPPING[1].replace("A81001", "a81001")),
        one_row_each(
            "gp-reg-pat-prac-map.csv",
            "PRACTICE_CODE",
            "practice A81001 appears on rows 1 and 2; this publication gives one row per practice",
        ),
        id="mapping-in-another-case",
    ),
]


@pytest.mark.parametrize(("repeat", "expected"), REPEATED_ROWS)
def test_a_repeated_row_is_exit_2_naming_file_rows_and_column(
    tmp_path: Path, repeat: Callable[[dict[str, Path]], None], expected: dict[str, object]
) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    repeat(files)
    out = tmp_path / "out"
    result = import_json(files, out)
    assert result.returncode == 2, result.stderr
    assert json.loads(result.stdout) == {"status": "invalid", "problems": [expected]}
    assert not out.exists(), "no scenario may be written for bad input"


def test_pcn_staff_records_of_one_pcn_are_summed(tmp_path: Path) -> None:
    # One row per staff record, several of them alike (blank UNIQUE_IDENTIFIER in the real file).
    files = nhs_files.write_all(tmp_path / "in")
    written_first("pcn_workforce", nhs_files.PCN_WORKFORCE[2])(files)
    out = tmp_path / "out"
    assert import_json(files, out).returncode == 0
    with (out / "staff.csv").open(encoding="utf-8") as staff:
        fte = {(r["holder_id"], r["role_id"]): float(r["fte"]) for r in csv.DictReader(staff)}
    assert fte[("U00001", "clinical_pharmacist")] == 2.0  # 1.0 + 0.5 + 0.5


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    settings = service_settings(f"sqlite:///{tmp_path_factory.mktemp('db') / 'api.db'}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


@pytest.mark.parametrize(("repeat", "expected"), [REPEATED_ROWS[0], REPEATED_ROWS[2]])
def test_the_service_refuses_the_same_repeated_row(
    service: Service, tmp_path: Path, repeat: Callable[[dict[str, Path]], None], expected: dict[str, object]
) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    repeat(files)
    parts = [(name, (files[name].name, files[name].read_bytes(), "text/csv")) for name in OPTIONS]
    response = service.client.post(
        "/imports/nhs", data={"icb": "QAA"}, files=parts, headers=service.tenant(Role.COMMISSIONER)
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [expected]
