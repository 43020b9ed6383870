"""Machine-readable output is pure: the installed ``commission`` script, run in a subprocess,
writes exactly one JSON document (JSON lines for ``batch``) to stdout, whatever HiGHS or any
other library prints at the C level; readable output is not wrapped when stdout is a pipe."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optimiser.io import read_document
from tests.console import TINY, run, strict_json, strict_json_lines, undeliverable_tiny


def test_validate_json_is_one_document() -> None:
    done = run("validate", str(TINY), "--format", "json")
    assert done.returncode == 0, done.stderr
    summary = strict_json(done.stdout)
    assert summary["status"] == "valid" and summary["practices"] == 2


def test_validate_json_of_an_invalid_scenario_is_one_document(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(TINY, bad)
    practices = (bad / "practices.csv").read_text().splitlines()
    practices[1] = practices[1].replace(practices[1].split(",")[2], "-5", 1)
    (bad / "practices.csv").write_text("\n".join(practices) + "\n")
    done = run("validate", str(bad), "--format", "json")
    assert done.returncode == 2, done.stderr
    report = strict_json(done.stdout)
    assert report["status"] == "invalid" and report["problems"], report


def test_solve_json_is_one_document_and_no_solver_banner_is_printed() -> None:
    done = run("solve", str(TINY), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = strict_json(done.stdout)
    assert result["status"] == "optimal"
    assert result["objective_value"] == pytest.approx(37_000)  # derived by hand in data/tiny/README.md
    banner = "Running HiGHS"
    assert banner in highs_banner()  # this HiGHS prints a banner at the C level when highspy makes it
    assert banner not in done.stdout and banner not in done.stderr


def highs_banner() -> str:
    """What constructing a Highs object prints on fd 1 or 2, captured in a subprocess."""
    probe = subprocess.run(
        [sys.executable, "-c", "import highspy; highspy.Highs()"], capture_output=True, text=True, check=True
    )
    return probe.stdout + probe.stderr


def test_check_json_of_an_undeliverable_case_is_one_document(tmp_path: Path) -> None:
    done = run("check", str(undeliverable_tiny(tmp_path)), "--format", "json")
    assert done.returncode == 1, done.stderr
    result = strict_json(done.stdout)
    assert result["deliverable"] is False
    assert result["levers"], result


def test_check_what_if_options_match_the_scenario_edit(tmp_path: Path) -> None:
    """--budget 1k on tiny gives the same verdict and levers as a scenario whose budget is £1,000."""
    by_option = run("check", str(TINY), "--budget", "1k", "--format", "json")
    by_edit = run("check", str(undeliverable_tiny(tmp_path)), "--format", "json")
    assert by_option.returncode == by_edit.returncode == 1, by_option.stderr
    option_result, edit_result = strict_json(by_option.stdout), strict_json(by_edit.stdout)
    assert option_result["levers"] == edit_result["levers"]
    assert option_result["summary"] == edit_result["summary"]


def test_sweep_json_is_one_document(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    done = run("sweep", str(TINY), "--budget", "20k:60k:3", "--out", str(out), "--format", "json")
    assert done.returncode == 0, done.stderr
    result = strict_json(done.stdout)
    assert [point["budget_gbp"] for point in result["points"]] == [20_000, 40_000, 60_000]
    assert all(Path(path).exists() and Path(path).parent == out for path in result["files"].values())
    assert not list(tmp_path.glob(".*partial*"))


@pytest.mark.parametrize("format_args", [["--format", "json"], []], ids=["--format json", "piped default"])
def test_batch_json_lines_are_one_object_per_line(tmp_path: Path, format_args: list[str]) -> None:
    manifest = tmp_path / "batch.toml"
    manifest.write_text(
        f'[[runs]]\nid = "tiny"\nscenario = "{TINY.as_posix()}"\ngrid = {{ budget_gbp = ["40k", 45000] }}\n'
    )
    done = run("batch", str(manifest), "--out", str(tmp_path / "out"), "--workers", "1", *format_args)
    assert done.returncode == 0, done.stderr
    events = strict_json_lines(done.stdout)
    assert [e["event"] for e in events] == ["start", "run", "run", "end"]
    assert {e["run_id"] for e in events if e["event"] == "run"} == {
        "tiny--budget_gbp=40000",
        "tiny--budget_gbp=45000",
    }
    assert events[-1]["succeeded"] == 2


def test_solve_table_is_not_wrapped_when_piped_and_reads_as_words(tmp_path: Path) -> None:
    """Long names stay on one line; the deliverable sentence and the money lines add up."""
    document = read_document(TINY)
    long_id = "same_day_access_for_every_registered_patient_including_weekends_and_evenings"
    for table in ("services", "skill_mix", "eligibility"):
        for record in document.get(table) or []:
            if record.get("service_id") == "same_day_access":
                record["service_id"] = long_id
    path = tmp_path / "long.json"
    path.write_text(json.dumps(document))
    done = run("solve", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(long_id in line and "10,000" in line for line in lines), done.stdout
    binding = [line for line in lines if line.startswith("Limits reached by this allocation")]
    assert len(binding) == 1 and binding[0].rstrip().endswith("the ARRS entitlements (1 of 1)."), done.stdout
    assert any(line.startswith("Deliverable: yes") for line in lines), done.stdout

    def amount(label: str) -> float:
        (line,) = [line for line in lines if line.startswith(label)]
        match = re.search(r"(-?)£([0-9,]+)", line)
        assert match, line
        return float(match.group(2).replace(",", "")) * (-1 if match.group(1) else 1)

    gross, arrs, net = amount("Gross cost"), amount("ARRS reimbursement"), amount("Net spend")
    assert net == 37_000 and gross + arrs == net and arrs < 0


def test_solve_what_if_budget_and_bad_amounts() -> None:
    tight = run("solve", str(TINY), "--budget", "36.9k", "--format", "json")
    assert tight.returncode == 0, tight.stderr
    assert strict_json(tight.stdout)["status"] == "infeasible"  # the least cost is £37,000
    loose = run("solve", str(TINY), "--standards-fraction", "0.5", "--format", "json")
    assert strict_json(loose.stdout)["objective_value"] < 37_000
    bad = run("solve", str(TINY), "--budget", "lots")
    assert bad.returncode == 2 and "--budget" in bad.stderr and "Traceback" not in bad.stderr
    assert run("check", str(TINY), "--standards-fraction", "1.5").returncode == 2
