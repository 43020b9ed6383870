"""One input, one per-practice answer (docs/deliverability.md, "The least-cost plan").

The least-cost programme has many optimal vertices. `solve` (min_cost) and every part of `check`
that shows a least-cost allocation (`least_cost_allocation`, its `least_cost_practices` table, the
money lever's practices short) show the one least-cost plan, so what a practice "needs" does not
depend on the command asked, the budget offered or what the check solved before. Per practice,
what each practice needs is its spend in the least-cost plan at the least rate at which every
practice can deliver, so no practice needs more per weighted patient than that rate.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from optimiser.deliverability import levers
from optimiser.io import read_document
from optimiser.programme import Programme, SolveOutcome
from optimiser.runs import load_scenario
from tests.api.helpers import Service, create_scenario, run_job, service_settings
from tests.console import REPO, run, shared_run, strict_json, strict_json_lines

# Money read back from a CSV is rounded to pence (README: £ to 2 places).
PENNY = 0.005


def spend_by_practice(path: Path) -> dict[str, float]:
    with path.open(newline="") as file:
        return {row["practice_id"]: float(row["spend_gbp"]) for row in csv.DictReader(file)}


def solved(tmp_path: Path, scenario: str, *what_if: str) -> tuple[dict[str, float], dict[str, Any]]:
    """`commission solve` of a bundled scenario: spend per practice (practices.csv) and summary.json."""
    out = tmp_path / f"solve-{scenario}"
    done = run("solve", f"data/{scenario}", *what_if, "--out", str(out))
    assert done.returncode == 0, done.stderr
    return spend_by_practice(out / "practices.csv"), json.loads((out / "summary.json").read_text())


def checked(scenario: str, *what_if: str) -> dict[str, Any]:
    done = shared_run("check", str(REPO / "data" / scenario), *what_if, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = strict_json(done.stdout)
    return result


def same_figures(a: Any, b: Any) -> bool:
    """Equal JSON, numbers to 1e-9 (the two come from one solution vector, summed in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_figures(a[k], b[k]) for k in a)
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return bool(a == pytest.approx(b, rel=1e-9, abs=1e-9))
    return bool(a == b)


def test_the_checks_least_cost_plan_is_what_solve_answers(tmp_path: Path) -> None:
    """Deliverable at £19m (example_icb) and not at £4.7m (undeliverable_offer): the check's
    practices most short need what `solve` gives them at £19m, and the fair-shares figures,
    coverage and new staff of the plan are the solve's."""
    spend, summary = solved(tmp_path, "example_icb")
    kpis = summary["kpis"]
    for scenario, deliverable in (("example_icb", True), ("undeliverable_offer", False)):
        result = checked(scenario)
        assert result["deliverable"] is deliverable
        plan = result["least_cost_allocation"]
        assert plan["least_spend_gbp"] == pytest.approx(kpis["total_spend_gbp"], rel=1e-9)
        for row in plan["most_short"]:
            assert row["spend_gbp"] == pytest.approx(spend[row["practice_id"]], abs=PENNY), (scenario, row)
        for key in ("distribution", "coverage_by_service", "new_fte_by_role"):
            assert same_figures(plan[key], kpis[key]), (scenario, key)


def test_every_practices_need_in_a_batch_check_is_its_spend_in_a_batch_solve(tmp_path: Path) -> None:
    """Every practice's row of the undeliverable check's `least_cost_practices` table (the batch's
    CSV, as the API's download) against `practices.csv` of a solve of the same scenario at £19m."""
    manifest = tmp_path / "plan.toml"
    scenario = (REPO / "data" / "undeliverable_offer").as_posix()
    manifest.write_text(
        f'[[runs]]\nid = "check"\nscenario = "{scenario}"\nkind = "check"\n\n'
        f'[[runs]]\nid = "solve"\nscenario = "{scenario}"\nkind = "solve"\n'
        'overrides = { budget_gbp = "19m" }\n'
    )
    out = tmp_path / "out"
    done = run("batch", str(manifest), "--out", str(out), "--workers", "1", "--format", "json")
    assert done.returncode == 0, done.stderr
    states = {event["run_id"]: event["state"] for event in strict_json_lines(done.stdout) if event["event"] == "run"}
    assert states == {"check": "succeeded", "solve": "succeeded"}
    need = spend_by_practice(out / "check" / "least_cost_practices.csv")
    spend = spend_by_practice(out / "solve" / "practices.csv")
    assert need.keys() == spend.keys() and len(need) == 230
    differing = {p: (need[p], spend[p]) for p in need if abs(need[p] - spend[p]) > PENNY}
    assert differing == {}


def test_no_practice_needs_more_per_weighted_patient_than_the_least_deliverable_rate(tmp_path: Path) -> None:
    """Somerset at £1.50 per weighted patient: each practice short needs no more than the least
    rate at which every practice can deliver, and exactly what `solve` gives it at that rate."""
    result = checked("somerset", "--offer-rate", "1.5")
    assert result["deliverable"] is False
    money = next(lever for lever in result["levers"] if lever["lever"] == "budget")["details"]
    rate = money["needed_rate_gbp_per_weighted_patient"]
    short = money["practices_short"]
    assert short, "the offer leaves practices short"
    for row in short:
        assert row["needs_gbp_per_weighted_patient"] <= rate * (1 + 1e-9), row
        assert row["shortfall_gbp"] == pytest.approx(row["needs_gbp"] - row["budget_gbp"], rel=1e-12)
    assert money["total_shortfall_gbp"] == pytest.approx(sum(row["shortfall_gbp"] for row in short), rel=1e-12)
    spend, _summary = solved(tmp_path, "somerset", "--offer-rate", repr(rate))
    for row in short:
        assert row["needs_gbp"] == pytest.approx(spend[row["practice_id"]], abs=PENNY), row


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Any:
    url = f"sqlite:///{tmp_path_factory.mktemp('plan') / 'plan.db'}"
    # Room for the example ICB's 230 practices and 3,220 eligibility rows.
    settings = service_settings(url, workers=1, max_table_rows=10_000, max_request_bytes=5_000_000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


def test_the_compare_of_a_check_and_a_solve_at_one_budget_shows_no_per_practice_difference(service: Any) -> None:
    headers = service.tenant()
    scenario_id = create_scenario(service.client, headers, read_document(REPO / "data" / "example_icb"))
    overrides = {"overrides": {"budget_gbp": "19m"}}
    check = run_job(service.client, headers, scenario_id, "check", **overrides)
    solve = run_job(service.client, headers, scenario_id, "solve", **overrides)
    assert check["status"] == solve["status"] == "succeeded"
    response = service.client.get(f"/reports/compare?a={check['id']}&b={solve['id']}&format=json", headers=headers)
    assert response.status_code == 200, response.text
    rows = response.json()["per_practice"]["rows"]
    assert len(rows) > 100, "practices that spend nothing under both are not listed"
    assert [row for row in rows if row["b_minus_a"] != 0] == []


def test_without_a_plan_at_the_least_rate_the_needs_still_keep_within_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Should the least-cost plan at the least rate find nothing (a solve at the margin), what each
    practice needs is read from the least-rate solve's own allocation, which keeps within the rate too."""
    scenario = load_scenario(read_document(REPO / "data" / "somerset"), {"offer_rate_gbp_per_weighted_patient": 1.5})
    programme = Programme(scenario)
    failed = SolveOutcome("error", False, None, None, None, None, None, 0.0, "Unknown")
    monkeypatch.setattr(levers, "least_cost_plan", lambda *_args, **_kwargs: failed)
    details = levers.offer_rate_lever(programme).details
    rate = details["needed_rate_gbp_per_weighted_patient"]
    assert details["practices_short"]
    for row in details["practices_short"]:
        assert row["needs_gbp_per_weighted_patient"] <= rate * (1 + 1e-9), row
