"""The ``commission`` command line: output formats, files written and exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from models.synthetic import generate_scenario
from optimiser.cli import app
from tests.conftest import base_document, with_settings
from tests.require import require_or_skip

runner = CliRunner()


def write(tmp_path: Path, document: dict, name: str = "scenario.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return path


def test_solve_json_has_the_contract_keys(tmp_path: Path) -> None:
    result = runner.invoke(app, ["solve", str(write(tmp_path, base_document())), "--format", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key in (
        "status",
        "objective",
        "objective_value",
        "deliverable",
        "kpis",
        "solve_seconds",
        "solver",
        "scenario_hash",
    ):
        assert key in payload
    assert payload["status"] == "optimal"
    assert payload["objective_value"] == pytest.approx(10_000)
    assert payload["deliverable"] is True
    assert payload["solver"]["name"] == "HiGHS"


def test_solve_table_and_out_dir(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["solve", str(write(tmp_path, base_document())), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "optimal" in result.stdout and "£10,000" in result.stdout
    for name in (
        "practices.csv",
        "practice_services.csv",
        "practice_roles.csv",
        "activity.csv",
        "pcns.csv",
        "hires.csv",
        "binding.csv",
        "summary.json",
        "results.xlsx",
    ):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kpis"]["total_spend_gbp"] == pytest.approx(10_000)


def test_infeasible_is_an_answer_with_exit_zero(tmp_path: Path) -> None:
    path = write(tmp_path, with_settings(base_document(), budget_gbp=100))
    result = runner.invoke(app, ["solve", str(path), "--format", "json"])
    assert result.exit_code == 0
    payload = json.loads(result.stdout)
    assert payload["status"] == "infeasible"
    assert payload["objective_value"] is None and payload["deliverable"] is False


def test_objective_option(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["solve", str(write(tmp_path, base_document())), "--objective", "max_value", "--format", "json"]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["objective_value"] == pytest.approx(1_000)


def test_invalid_input_exits_2_without_a_trace(tmp_path: Path) -> None:
    document = base_document()
    document["practices"][0]["list_size"] = 0
    path = write(tmp_path, document)
    for command in (["validate", str(path)], ["solve", str(path)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2
        assert "practices row 1, column list_size: must be more than 0" in result.output
        assert "Traceback" not in result.output
    result = runner.invoke(app, ["solve", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_validate_json_lists_problems(tmp_path: Path) -> None:
    document = base_document()
    document["roles"][0]["category"] = "surgeon"
    result = runner.invoke(app, ["validate", str(write(tmp_path, document)), "--format", "json"])
    assert result.exit_code == 2
    payload = json.loads(result.stdout)
    assert payload["problems"] == [
        {
            "table": "roles",
            "row": 1,
            "column": "category",
            "message": "must be one of gp, nurse, arrs, other (got 'surgeon')",
        }
    ]


def test_time_limit_without_solution_exits_3(tmp_path: Path) -> None:
    # A 40-practice MIP (whole half-FTE hiring) with a time limit far too short to find a solution.
    document = generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)
    path = write(tmp_path, with_settings(document, time_limit_s=0.001))
    result = runner.invoke(app, ["solve", str(path), "--format", "json"])
    payload = json.loads(result.stdout)
    assert payload["status"] == "time_limit"
    assert payload["has_solution"] is False and payload["objective_value"] is None
    assert result.exit_code == 3


def test_template_command(tmp_path: Path) -> None:
    target = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["template", str(target)])
    assert result.exit_code == 0 and target.exists()


def test_console_script_runs_end_to_end(tmp_path: Path) -> None:
    require_or_skip(
        shutil.which("commission") is not None or Path(sys.executable).with_name("commission").exists(),
        "the console script is not installed (pip install -e .)",
    )
    script = shutil.which("commission") or str(Path(sys.executable).with_name("commission"))
    completed = subprocess.run(
        [script, "solve", str(write(tmp_path, base_document())), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["objective_value"] == pytest.approx(10_000)


def test_result_csvs_round_to_the_unit_and_have_no_negative_zero(tmp_path: Path) -> None:
    import csv

    import pandas as pd

    from optimiser.io import result_precision, write_results

    frame = pd.DataFrame(
        {
            "new_fte": [0.4500000000000001, -1e-12],
            "cost_gbp": [27000.000000000007, -0.0],
            "coverage": [0.83333333333, -0.0],
            "covered_patients": [499.99999999999983, 1.005],
            "shadow_price": [1.2345678901234567e-07, -0.0],
            "name": ["a", "b"],
        }
    )
    write_results({"t": frame}, {"bad": float("nan")}, tmp_path)
    rows = list(csv.DictReader((tmp_path / "t.csv").open()))
    assert rows[0] == {
        "new_fte": "0.45",
        "cost_gbp": "27000",
        "coverage": "0.8333",
        "covered_patients": "500",
        "shadow_price": "1.23456789012346e-07",
        "name": "a",
    }
    assert rows[1]["new_fte"] == "0" and rows[1]["cost_gbp"] == "0" and rows[1]["shadow_price"] == "0"
    assert json.loads((tmp_path / "summary.json").read_text(), parse_constant=lambda c: 1 / 0) == {"bad": None}

    # Every table a real solve writes: no "-0", and no more decimals than the column's unit allows.
    out = tmp_path / "solved"
    result = runner.invoke(app, ["solve", str(write(tmp_path, base_document())), "--out", str(out)])
    assert result.exit_code == 0, result.output
    checked = 0
    for table in out.glob("*.csv"):
        for row in csv.DictReader(table.open()):
            for column, text in row.items():
                assert not text.startswith("-0") or text.strip("-0.") != "", (table.name, column, text)
                places = result_precision(column)
                if places is not None and "." in text and "e" not in text:
                    assert len(text.split(".")[1]) <= places, (table.name, column, text)
                    checked += 1
    assert checked > 0
