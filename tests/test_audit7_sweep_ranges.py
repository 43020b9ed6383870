"""``--budget`` means a pooled budget in every command, a sweep's too (audit 7, A3, A13, A15).

``sweep --budget 10k:60k:3`` on a per-practice scenario swept £10,000 to £60,000 *per weighted
patient*, where ``solve``, ``check`` and ``report`` read ``--budget`` as a pooled budget (and switch
to the pooled mode). Now a budget range always sweeps pooled budgets, switching a per-practice
scenario to pooled as ``check --budget`` does, and ``--offer-rate START:STOP:N`` (the ``offer_rate``
override) sweeps offer rates, switching to per-practice. The same at every entry point: the
command line, a batch manifest and the API (and the desk's frontier of a per-practice check is over
offer rates). Each sweep's least budget (rate) is the one ``check`` gives for the same offer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from api.web.pages import describe_job
from optimiser.batch import ManifestInvalid, parse_manifest
from optimiser.io import read_document
from tests.api.helpers import TINY

REPO = Path(__file__).resolve().parents[1]
COMMISSION = Path(sys.executable).with_name("commission")
# data/tiny as a per-practice scenario with no pooled budget written (the audit's "tpp").
PER_PRACTICE = {
    "budget_mode": "per_practice",
    "offer_rate_gbp_per_weighted_patient": 5,
    "objective": "min_cost",
    "time_limit_s": 60,
}


def per_practice_document() -> dict[str, Any]:
    document = read_document(TINY)
    document["settings"] = dict(PER_PRACTICE)
    return document


def commission(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [str(COMMISSION), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def cli_json(*args: str, cwd: Path) -> dict[str, Any]:
    done = commission(*args, "--format", "json", cwd=cwd)
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def budget_lever(check: dict[str, Any]) -> dict[str, Any]:
    [lever] = [lever for lever in check["levers"] if lever["lever"] == "budget"]
    details: dict[str, Any] = lever["details"]
    return details


@pytest.fixture
def tpp(tmp_path: Path) -> Path:
    path = tmp_path / "tpp.json"
    path.write_text(json.dumps(per_practice_document()))
    return path


def test_cli_budget_sweeps_pooled_budgets_of_a_per_practice_scenario(tpp: Path) -> None:
    sweep = cli_json("sweep", str(tpp), "--budget", "10k:60k:3", "--out", "by-budget", cwd=tpp.parent)
    assert (sweep["x"], sweep["unit"]) == ("budget_gbp", "£/year")
    assert [point["budget_gbp"] for point in sweep["points"]] == [10_000, 35_000, 60_000]
    # The scenario writes no pooled budget: nothing is marked as the current one.
    assert sweep["current"] is None
    assert "at the current" not in sweep["summary"]
    # The least budget is the check's least cost at a pooled budget (check --budget is pooled too).
    check = cli_json("check", str(tpp), "--budget", "10k", cwd=tpp.parent)
    assert check["budget_mode"] == "pooled"
    assert sweep["marked"] == pytest.approx(budget_lever(check)["least_spend_gbp"], rel=1e-6)
    assert 10_000 < sweep["marked"] < 60_000
    deliverable = {point["budget_gbp"]: point["deliverable"] for point in sweep["points"]}
    assert deliverable == {10_000: False, 35_000: sweep["marked"] <= 35_000, 60_000: True}


def test_cli_offer_rate_sweeps_offer_rates_and_budget_with_it_is_refused(tpp: Path) -> None:
    sweep = cli_json("sweep", str(tpp), "--offer-rate", "2:8:4", "--out", "by-rate", cwd=tpp.parent)
    assert sweep["x"] == "offer_rate_gbp_per_weighted_patient"
    assert [point["offer_rate_gbp_per_weighted_patient"] for point in sweep["points"]] == [2, 4, 6, 8]
    assert sweep["current"] == 5
    check = cli_json("check", str(tpp), cwd=tpp.parent)
    assert sweep["marked"] == pytest.approx(budget_lever(check)["needed_rate_gbp_per_weighted_patient"], rel=1e-6)
    both = commission("sweep", str(tpp), "--budget", "10k:60k:3", "--offer-rate", "2:8:4", cwd=tpp.parent)
    assert both.returncode == 2
    assert "give exactly one of --budget, --offer-rate or --standards" in both.stderr


def test_a_pooled_scenario_swept_over_offer_rates_is_swept_per_practice(tmp_path: Path) -> None:
    sweep = cli_json("sweep", str(TINY), "--offer-rate", "2:8:3", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert sweep["x"] == "offer_rate_gbp_per_weighted_patient"
    # data/tiny writes no offer rate: none is marked as current.
    assert sweep["current"] is None
    pooled = cli_json("sweep", str(TINY), "--budget", "20k:60k:3", "--out", str(tmp_path / "pooled"), cwd=tmp_path)
    assert (pooled["x"], pooled["current"]) == ("budget_gbp", 50_000)


def test_a_batch_manifest_sweeps_as_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "tpp.json").write_text(json.dumps(per_practice_document()))
    manifest = tmp_path / "m.json"
    runs = [
        {"id": "pooled", "scenario": "tpp.json", "kind": "sweep", "overrides": {"budget": "10k:60k:3"}},
        {"id": "rates", "scenario": "tpp.json", "kind": "sweep", "overrides": {"offer_rate": "2:8:4"}},
    ]
    manifest.write_text(json.dumps({"runs": runs}))
    done = commission("batch", str(manifest), "--out", str(tmp_path / "out"), "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    pooled = json.loads((tmp_path / "out" / "pooled" / "result.json").read_text())
    rates = json.loads((tmp_path / "out" / "rates" / "result.json").read_text())
    assert pooled["x"] == "budget_gbp"
    assert [point["budget_gbp"] for point in pooled["points"]] == [10_000, 35_000, 60_000]
    assert rates["x"] == "offer_rate_gbp_per_weighted_patient"
    assert rates["current"] == 5
    with pytest.raises(ManifestInvalid) as refused:
        parse_manifest(
            {
                "runs": [
                    {
                        "scenario": "tpp.json",
                        "kind": "sweep",
                        "overrides": {"budget": "10k:60k:3", "offer_rate_gbp_per_weighted_patient": 5},
                    }
                ]
            },
            manifest,
        )
    assert any(
        "a sweep of budget does not take offer_rate_gbp_per_weighted_patient" in p for p in refused.value.problems
    )


def test_the_desk_lists_a_sweep_job_by_the_range_it_swept() -> None:
    assert describe_job({"budget": "10k:60k:3"}) == "budgets £10,000 to £60,000 a year (3 points)"
    assert describe_job({"budget": "0:15600000.00:11"}) == "budgets £0 to £15.60m a year (11 points)"
    assert describe_job({"offer_rate": "2:8:4", "time_limit_s": 30}) == (
        "offer rates £2.00 to £8.00 per weighted patient a year (4 points)"
    )
    assert describe_job({"standards": "0.5:1:3"}) == "every minimum standard at 50% to 100% of its level (3 points)"
    # Anything else is described as before: the offer it checked.
    assert describe_job({"budget_gbp": 40_000}) == "pooled budget £40,000 a year"


def test_the_sweep_table_and_chart_read_as_the_csv_and_the_desk(tmp_path: Path) -> None:
    """A15: the table's values to 2 places, as the CSV; the chart's services by name, coverage in %."""
    from optimiser.runs import run_job
    from optimiser.sweep import frontier_figure

    done = commission("sweep", str(TINY), "--budget", "20k:60k:3", "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "out" / "sweep_budget.json").read_text())
    values = [p[key] for p in result["points"] for key in ("value", "no_standards_value") if p.get(key) is not None]
    assert values
    for value in values:
        assert f"{value:,.2f}" in done.stdout
    job = run_job("sweep", read_document(TINY), {"budget": "20k:60k:3"})
    figure = frontier_figure(job.result, job.tables["sweep_budget"])
    figure.canvas.draw()
    _top, bottom = figure.axes
    labels = {line.get_label() for line in bottom.get_lines()}
    assert {"Same-day access", "Medication reviews"} <= labels
    assert not labels & {"same_day_access", "medication_reviews"}
    ticks = [tick.get_text() for tick in bottom.get_yticklabels() if tick.get_text()]
    assert ticks and all(tick.endswith("%") for tick in ticks)
