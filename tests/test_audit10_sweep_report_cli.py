"""Audit 10 #7, #11, #12 through the installed ``commission`` script, as a user runs it.

* #7: ``sweep --time-limit S`` gives each solve of the sweep the limit, checked by the one check
  ``solve``/``check``/``report`` and the API's ``time_limit_s`` share.
* #11: an offer-rate sweep is an "offer-rate sweep", written as ``sweep_offer_rate.*`` (JSON
  ``"sweep": "offer_rate"``), so it sits beside a budget sweep in one ``--out``; the API's and a
  batch's table is named the same way.
* #12: ``report --out`` must name a .pdf file (any case): anything else is exit 2 in one line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from models.scenario import ScenarioInvalid
from models.schema import checked_time_limit
from optimiser.deliverability.wording import file_type_needed
from optimiser.io import read_document
from optimiser.runs import checked_overrides, run_job
from tests.console import TINY, run, strict_json

SWEEP_FILES = {"csv", "png", "json"}
SOMERSET = TINY.parent / "somerset"


def per_practice_tiny(tmp_path: Path) -> Path:
    """data/tiny in the per-practice mode with an offer of £5 per weighted patient."""
    target = tmp_path / "tiny pp"
    shutil.copytree(TINY, target)
    settings = json.loads((target / "settings.json").read_text())
    settings.update(budget_mode="per_practice", offer_rate_gbp_per_weighted_patient=5)
    settings.pop("budget_gbp", None)
    (target / "settings.json").write_text(json.dumps(settings))
    return target


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


# --------------------------------------------------------------------------------------
# #11: offer-rate sweeps are named as what they sweep
# --------------------------------------------------------------------------------------
def test_an_offer_rate_sweep_sits_beside_a_budget_sweep_in_one_folder(tmp_path: Path) -> None:
    scenario = per_practice_tiny(tmp_path)
    out = tmp_path / "sweeps"
    rates = run("sweep", str(scenario), "--offer-rate", "2:8:3", "--out", str(out), cwd=tmp_path)
    assert rates.returncode == 0, rates.stderr
    assert "offer-rate sweep (max_value)" in rates.stdout
    assert "budget sweep" not in rates.stdout
    assert {path.name for path in out.iterdir()} == {f"sweep_offer_rate.{suffix}" for suffix in SWEEP_FILES}
    written = json.loads((out / "sweep_offer_rate.json").read_text())
    assert (written["sweep"], written["x"]) == ("offer_rate", "offer_rate_gbp_per_weighted_patient")
    assert [point["offer_rate_gbp_per_weighted_patient"] for point in written["points"]] == [2, 5, 8]

    # A budget sweep into the same folder neither is refused nor replaces the offer-rate sweep.
    budgets = run("sweep", str(scenario), "--budget", "20k:60k:3", "--out", str(out), cwd=tmp_path)
    assert budgets.returncode == 0, budgets.stderr
    assert "budget sweep (max_value)" in budgets.stdout
    assert {path.name for path in out.iterdir()} == {
        f"sweep_{kind}.{suffix}" for kind in ("offer_rate", "budget") for suffix in SWEEP_FILES
    }
    assert json.loads((out / "sweep_offer_rate.json").read_text()) == written
    assert json.loads((out / "sweep_budget.json").read_text())["sweep"] == "budget"

    # Another offer-rate sweep there would replace the first: refused without --force, naming its files.
    again = run("sweep", str(scenario), "--offer-rate", "2:8:3", "--out", str(out), cwd=tmp_path)
    assert again.returncode == 2
    assert "sweep_offer_rate.csv, sweep_offer_rate.json, sweep_offer_rate.png" in again.stderr


def test_the_api_and_a_batch_name_an_offer_rate_sweep_as_the_command_line(tmp_path: Path) -> None:
    scenario = per_practice_tiny(tmp_path)
    job = run_job("sweep", read_document(scenario), {"offer_rate": "2:8:3"})  # what an API job runs
    assert list(job.tables) == ["sweep_offer_rate"] and job.result["sweep"] == "offer_rate"

    manifest = tmp_path / "m.json"
    runs = [{"id": "rates", "scenario": str(scenario), "kind": "sweep", "overrides": {"offer_rate": "2:8:3"}}]
    manifest.write_text(json.dumps({"runs": runs}))
    done = run("batch", str(manifest), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "out" / "rates"
    assert (folder / "sweep_offer_rate.csv").is_file() and not (folder / "sweep_budget.csv").exists()
    assert json.loads((folder / "result.json").read_text())["sweep"] == "offer_rate"


def test_the_api_serves_an_offer_rate_sweeps_table_by_its_name(tmp_path: Path) -> None:
    from tests.api.helpers import create_scenario, sqlite_service

    document = read_document(per_practice_tiny(tmp_path))
    for service in sqlite_service(tmp_path):
        headers = service.tenant()
        scenario_id = create_scenario(service.client, headers, document)
        body = {"scenario_id": scenario_id, "kind": "sweep", "overrides": {"offer_rate": "2:8:3"}}
        submitted = service.client.post("/jobs", json=body, headers=headers)
        assert submitted.status_code == 202, submitted.text
        job = service.client.get(f"/jobs/{submitted.json()['id']}?wait=60", headers=headers).json()
        assert job["status"] == "succeeded", job
        assert [table["name"] for table in job["tables"]] == ["sweep_offer_rate"]
        assert job["result"]["sweep"] == "offer_rate"
        table = service.client.get(f"/jobs/{job['id']}/tables/sweep_offer_rate?format=csv", headers=headers)
        assert table.status_code == 200 and table.text.startswith("offer_rate_gbp_per_weighted_patient,")


# --------------------------------------------------------------------------------------
# #7: sweep --time-limit, one check and one wording with solve, check, report and the API
# --------------------------------------------------------------------------------------
def test_sweep_help_lists_the_time_limit() -> None:
    done = run("sweep", "--help")
    assert done.returncode == 0
    assert "--time-limit" in done.stdout


@pytest.mark.parametrize("given", ["0", "abc", "86401"])
def test_sweep_refuses_a_time_limit_as_every_entry_point_does(tmp_path: Path, given: str) -> None:
    try:
        checked_time_limit(given)
    except ValueError as error:
        shared = str(error)
    else:
        raise AssertionError(f"the shared check took {given!r}")
    # The API's job overrides are checked by the same code (optimiser.runs.checked_overrides).
    with pytest.raises(ScenarioInvalid, match="must be a number of seconds") as api:
        checked_overrides({"time_limit_s": given, "budget": "20k:60k:3"})
    assert shared in str(api.value)
    expected = [f"error: --time-limit: {shared}"]
    for command in (
        ("sweep", str(TINY), "--budget", "20k:60k:3", "--out", str(tmp_path / "sw")),
        ("solve", str(TINY)),
        ("check", str(TINY)),
        ("report", str(TINY), "--out", str(tmp_path / "r.pdf")),
    ):
        done = run(*command, f"--time-limit={given}", cwd=tmp_path)
        assert (done.returncode, error_lines(done.stderr)) == (2, expected), command
    assert not (tmp_path / "sw").exists() and not (tmp_path / "r.pdf").exists()


def sweep_json(tmp_path: Path, *options: str) -> tuple[int, dict[str, Any]]:
    # Somerset (58 practices): large enough that no solve is done before a microsecond's limit.
    done = run("sweep", str(SOMERSET), "--budget", "1m:3m:3", "--format", "json", *options, cwd=tmp_path)
    return done.returncode, strict_json(done.stdout)


def test_sweep_time_limit_applies_to_each_solve(tmp_path: Path) -> None:
    # A limit no solve can meet: every point stops without a solution, exit 3 (as a batch fails it).
    code, starved = sweep_json(tmp_path, "--out", str(tmp_path / "starved"), "--time-limit", "0.000001")
    assert code == 3
    assert {point["status"] for point in starved["points"]} == {"time_limit"}
    # The same sweep with room: every point answered, as without the option.
    code, roomy = sweep_json(tmp_path, "--out", str(tmp_path / "roomy"), "--time-limit", "60")
    assert code == 0
    assert [point["status"] for point in roomy["points"]] == ["infeasible", "optimal", "optimal"]
    code, default = sweep_json(tmp_path, "--out", str(tmp_path / "default"))
    assert code == 0
    assert [(p["status"], p["deliverable"]) for p in roomy["points"]] == [
        (p["status"], p["deliverable"]) for p in default["points"]
    ]


# --------------------------------------------------------------------------------------
# #12: report --out must be a .pdf name
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["r.txt", "report", "report.pdf.bak", "r.xlsx"])
def test_report_refuses_an_out_that_is_not_a_pdf_name(tmp_path: Path, name: str) -> None:
    done = run("report", str(TINY), "--out", name, "--frontier-points", "0", cwd=tmp_path)
    assert done.returncode == 2
    assert error_lines(done.stderr) == [f"error: --out: the report must be a .pdf file (got '{name}')"]
    assert done.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written, nothing solved


def test_the_pdf_name_is_worded_as_templates_xlsx_name() -> None:
    assert file_type_needed("template", "an .xlsx") == "the template must be an .xlsx file"
    template = run("template", "t.txt")
    assert error_lines(template.stderr) == [f"error: {file_type_needed('template', 'an .xlsx', repr('t.txt'))}"]
    assert error_lines(template.stderr) == ["error: the template must be an .xlsx file (got 't.txt')"]


@pytest.mark.parametrize("name", ["r.pdf", "R.PDF"])
def test_report_writes_a_pdf_of_any_case(tmp_path: Path, name: str) -> None:
    done = run("report", str(TINY), "--out", name, "--frontier-points", "0", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / name).read_bytes().startswith(b"%PDF")
