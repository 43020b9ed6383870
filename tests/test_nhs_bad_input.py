"""Bad publication input is exit 2 naming the file and column: never a traceback, never an empty scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from optimiser.cli import app
from tests import nhs_files

runner = CliRunner()


def invoke(files: dict[str, Path], out: Path, *extra: str, icb: str | None = "QAA") -> Result:
    args = ["import", "nhs", "--out", str(out)]
    if icb:
        args += ["--icb", icb]
    for option in ("mapping", "list_sizes", "practice_workforce", "pcn_workforce", "payments"):
        if option in files:
            args += [f"--{option.replace('_', '-')}", str(files[option])]
    return runner.invoke(app, [*args, *extra])


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return nhs_files.write_all(tmp_path / "in")


def assert_exit_2(result: Result, *fragments: str, out: Path) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert not out.exists() or not any(out.iterdir()), "no scenario may be written for bad input"


def test_a_list_size_file_given_as_the_mapping(files: dict[str, Path], tmp_path: Path) -> None:
    files["mapping"] = files["list_sizes"]
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out), "gp-reg-pat-prac-quin-age.csv", "column PRACTICE_CODE", "mapping", out=out)


def test_a_payments_file_given_as_the_pcn_workforce(files: dict[str, Path], tmp_path: Path) -> None:
    files["pcn_workforce"] = files["payments"]
    out = tmp_path / "out"
    assert_exit_2(
        invoke(files, out), "nhs-payments-practice-2029-30.csv", "column STAFF_GROUP", "Network Workforce", out=out
    )


@pytest.mark.parametrize(
    ("option", "column"),
    [
        ("list_sizes", "NUMBER_OF_PATIENTS"),
        ("practice_workforce", "TOTAL_GP_FTE"),
        ("payments", "Number of Weighted Patients (Last Known Figure)"),
        ("mapping", "ICB_CODE"),
    ],
)
def test_a_missing_required_column(files: dict[str, Path], tmp_path: Path, option: str, column: str) -> None:
    path = files[option]
    text = path.read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    path.write_text(header.replace(column, "SOMETHING_ELSE") + "\n" + rest, encoding="utf-8")
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out), path.name, f"column {column}", out=out)


def test_an_icb_code_that_matches_nothing(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out, icb="QZZ"), "gp-reg-pat-prac-map.csv", "column ICB_CODE", "'QZZ'", out=out)


def test_a_sub_icb_outside_the_icb(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = invoke(files, out, "--sub-icb", "00B")
    assert_exit_2(result, "gp-reg-pat-prac-map.csv", "column SUB_ICB_LOCATION_CODE", "not in ICB 'QAA'", "QBB", out=out)


def test_a_sub_icb_that_matches_nothing(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out, "--sub-icb", "99Z", icb=None), "column SUB_ICB_LOCATION_CODE", out=out)


def test_no_area_given(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out, icb=None), "--icb", out=out)


def test_a_list_size_file_without_the_areas_practices_is_not_an_empty_scenario(
    files: dict[str, Path], tmp_path: Path
) -> None:
    nhs_files.write(files["list_sizes"], nhs_files.quin_age_lines({"Z99999": 10}))
    out = tmp_path / "out"
    assert_exit_2(
        invoke(files, out), "gp-reg-pat-prac-quin-age.csv", "column ORG_CODE", "none of the 3 practices", out=out
    )


def test_a_non_number_in_an_fte_column(files: dict[str, Path], tmp_path: Path) -> None:
    path = files["pcn_workforce"]
    path.write_text(path.read_text(encoding="utf-8").replace(",1.0,1,x", ",one,1,x"), encoding="utf-8")
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out), "pcn-workforce-individual.csv", "column FTE", "'one'", out=out)


def test_a_missing_file(files: dict[str, Path], tmp_path: Path) -> None:
    files["payments"] = tmp_path / "nowhere.csv"
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out), "nowhere.csv", "no such file", out=out)


def test_a_spec_with_a_bad_figure_is_reported_by_table_row_and_column(files: dict[str, Path], tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    from optimiser.nhs.spec import load_spec

    document, _ = load_spec(None)
    document["roles"][0]["cost_per_fte_gbp"] = -1
    spec.write_text(json.dumps(document), encoding="utf-8")
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out, "--spec", str(spec)), "roles row 1, column cost_per_fte_gbp", out=out)


def test_a_spec_holding_practices_is_refused(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    example = Path(__file__).resolve().parents[1] / "data" / "tiny"
    assert_exit_2(invoke(files, out, "--spec", str(example)), "must not hold practices", out=out)


def test_a_non_empty_out_folder_needs_force(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    result = invoke(files, out)
    assert result.exit_code == 2 and "--force" in result.output
    assert (out / "mine.txt").read_text() == "keep me"


def test_a_spec_that_does_not_exist(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert_exit_2(invoke(files, out, "--spec", str(tmp_path / "no-spec.xlsx")), "no-spec.xlsx", "no such file", out=out)
