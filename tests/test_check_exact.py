"""`commission check`: exact levers, the relative combined change, and the same answer every run.

Hand-derived cases build on ``tests/test_explain.py::base``: one practice, one GP role at
£100,000 per FTE and 1,000 clinical hours; the dm standard needs 500 patients × 120 minutes =
1 GP FTE = £100,000 a year.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from optimiser.deliverability.check import check
from optimiser.deliverability.exact import SAFE_WORKING_STEP
from optimiser.deliverability.relaxation import relaxation
from optimiser.programme import Programme
from optimiser.runs import load_scenario, run_job
from tests.test_explain import base, lever, per_practice_case, safe_working_case, two_roles

ROOT = Path(__file__).resolve().parents[1]


def _commission() -> str:
    return str(Path(sys.executable).with_name("commission"))


def _json(stdout: str) -> dict:
    """The JSON answer on stdout: one document, nothing before it."""
    return json.loads(stdout)


# --- standards: Newton on the money needed --------------------------------------------------------
def test_standards_fraction_is_exact_across_a_kink() -> None:
    """gp £100,000 and nurse £50,000 (at most 0.3 FTE), same minutes: meeting a fraction t of the
    standard needs t FTE, nurses first. Least spend S(t) = £50,000 t up to t = 0.3, then
    £15,000 + £100,000 (t − 0.3). Budget £10,000: t = 0.2, below the kink (Newton from t = 1
    lands on 0.25 first, then on 0.2)."""
    result = check(load_scenario(two_roles(budget_gbp=10_000))).result
    standards = lever(result, "standards")
    assert standards["amount"] == pytest.approx(0.2, abs=1e-12)
    assert "20%" in standards["sentence"]
    # The same fraction, reached from the other side of the kink: budget £60,000 -> t = 0.75.
    result = check(load_scenario(two_roles(budget_gbp=60_000))).result
    assert lever(result, "standards")["amount"] == pytest.approx(0.75, abs=1e-12)


def test_service_outside_the_conflict_cannot_fix_it_alone() -> None:
    """bp (50 min, cheap) is added with a 20% standard; the budget (£75,000) is short for dm alone
    (£100,000), so the conflict is dm's standard and the budget, and bp's standard is not in it:
    dropping bp entirely leaves dm unaffordable -> bp alone cannot fix it (no solve needed)."""
    doc = base(budget_gbp=75_000)
    doc["services"].append({"service_id": "bp", "contacts_per_patient": 1, "min_coverage": 0.2, "prevalence": 0.05})
    doc["skill_mix"].append({"service_id": "bp", "role_id": "gp", "minutes_per_contact": 50})
    result = check(load_scenario(doc)).result
    by_service = {r["service_id"]: r for r in lever(result, "standards")["details"]["by_service"]}
    assert by_service["bp"]["fraction_alone"] is None
    # dm alone: bp in full costs 100 × 50 min = 5,000 min = £8,333.33; dm gets £66,666.67 = 2/3.
    assert by_service["dm"]["fraction_alone"] == pytest.approx(2 / 3, abs=1e-12)


def test_standards_fraction_per_practice_offer() -> None:
    """per_practice_case: £50,000 per practice at £5 per weighted patient; the standards cost A
    £40,000, B £100,000 and C £160,000 in full. The least offer rate at a fraction t is £16 t (C
    binds), so t = 5/16 = 0.3125 (Newton on the least offer rate, from t = 1: one step)."""
    result = check(load_scenario(per_practice_case())).result
    standards = lever(result, "standards")
    assert standards["amount"] == pytest.approx(0.3125, abs=1e-12)
    # One service across three practices: a single group, so "alone" is the uniform fraction.
    assert standards["details"]["by_service"][0]["fraction_alone"] == pytest.approx(0.3125, abs=1e-12)
    package = result["relaxation"]["package"]
    assert package["pooled"] is False and result["relaxation"]["status"] == "optimal"


# --- safe working: the least raise on a 0.001 grid -------------------------------------------------
def test_safe_working_lever_is_the_least_grid_raise() -> None:
    """safe_working_case: 0.8 GP FTE, cap 2.5 contacts per FTE-day × 200 days, 500 contacts
    needed: the cap must reach 500 / 160 = 3.125, a raise of exactly 0.625."""
    safe = lever(check(load_scenario(safe_working_case())).result, "safe_working")
    assert SAFE_WORKING_STEP == 0.001
    assert safe["amount"] == pytest.approx(0.625, abs=1e-12)
    assert safe["details"]["exact"] is True
    assert safe["details"]["uniform_raise_at_least"] == pytest.approx(0.624, abs=1e-12)
    # Half-way between grid points the grid's upper point is reported: 400 → 505 contacts
    # needs 505 / 160 − 2.5 = 0.65625 -> 0.657.
    doc = safe_working_case()
    doc["services"][0]["min_coverage"] = 0.505
    safe = lever(check(load_scenario(doc)).result, "safe_working")
    assert safe["amount"] == pytest.approx(0.657, abs=1e-12)
    assert "0.657 more contacts per FTE-day" in safe["sentence"]


# --- the combined change, relative to each requirement ------------------------------------------
def two_equal_services(**settings: object) -> dict:
    """dm (value weight 1) and bp (value weight 2), each 500 patients × 120 minutes = 1 GP FTE =
    £100,000: the spec costs £200,000 against £150,000. Cutting either standard saves £200 a
    patient, so the £50,000 gap is 250 patients, a quarter of the 1,000 the standards require."""
    doc = base(budget_gbp=150_000, **settings)
    doc["services"].append(
        {"service_id": "bp", "contacts_per_patient": 1, "min_coverage": 0.5, "prevalence": 0.1, "value_weight": 2}
    )
    doc["skill_mix"].append({"service_id": "bp", "role_id": "gp", "minutes_per_contact": 120})
    return doc


def _cut(table, service: str) -> float:
    rows = table[table["entity"].str.endswith(f"/ {service}")]
    return float(rows["amount"].sum())


def test_relaxation_protects_the_higher_valued_service() -> None:
    """spread 0: the price is the value-weighted average cut, 1/3 × r_dm + 2/3 × r_bp with
    r_dm + r_bp = 1/2: all of it falls on dm (r_dm = 1/2, price 1/6 < the money's 50/150)."""
    programme = Programme(load_scenario(two_equal_services()))
    result, table = relaxation(programme, {"spread": 0.0})
    assert _cut(table, "dm") == pytest.approx(250, abs=1e-6) and _cut(table, "bp") == pytest.approx(0, abs=1e-6)
    assert set(table["lever"]) == {"standards"}
    assert result["penalty"] == pytest.approx(1 / 6, rel=1e-9)


def test_relaxation_spreads_cuts() -> None:
    """Default spread 1/2: price ½(r_dm/3 + 2r_bp/3) + ½ max(r_dm, r_bp), least at r_dm = r_bp = 1/4
    (price 1/4): 125 patients of each standard, both at 75%, nothing else moves."""
    programme = Programme(load_scenario(two_equal_services()))
    result, table = relaxation(programme)
    assert _cut(table, "dm") == pytest.approx(125, abs=1e-6) and _cut(table, "bp") == pytest.approx(125, abs=1e-6)
    assert result["penalty"] == pytest.approx(0.25, rel=1e-9)
    package = result["package"]
    assert package["money_gbp"] == 0 and package["standards_met_share"] == pytest.approx(0.75)
    assert package["largest_cut_share"] == pytest.approx(0.25)
    assert result["sentences"][0].startswith("Smallest combined change: no more money, standards at 75%")


def test_relaxation_money_when_standards_weigh_more() -> None:
    """Weight standards 3: the standards' price (3 × 1/4) beats the money's 50,000/150,000 = 1/3."""
    programme = Programme(load_scenario(two_equal_services()))
    result, table = relaxation(programme, {"standards": 3})
    assert list(table["lever"]) == ["budget"] and table["amount"].iloc[0] == pytest.approx(50_000, rel=1e-9)
    assert result["sentences"][0] == "Smallest combined change: +£50,000 a year (+33.3%), every standard met in full."


def test_relaxation_package_names_the_safe_working_cap() -> None:
    """safe_working_case: 100 of 500 contacts (a fifth) are missing whichever way: a fifth of the
    standard, 0.2 FTE over a hiring limit of 0 (floored at 1 FTE), or 100 contacts over the
    capped 500 per FTE of one FTE in post (floored): each costs 0.2 × its weight."""
    programme = Programme(load_scenario(safe_working_case()))
    result, _table = relaxation(programme, {"workforce_supply": 2, "safe_working": 2})
    assert result["sentences"][0] == (
        "Smallest combined change: no more money, standards at 80% of what they require "
        "(lowest: dm at 80%; no practice below 80% of any standard), no hiring above the limits, "
        "nothing above the safe-working cap."
    )
    result, table = relaxation(programme, {"workforce_supply": 2, "standards": 2})
    assert list(table["lever"]) == ["safe_working"] and table["amount"].iloc[0] == pytest.approx(100, rel=1e-9)
    # 100 contacts over 0.8 FTE × 200 days = 0.625 per FTE-day.
    assert "100 contacts a year above the safe-working caps (at most 0.625 per FTE-day)" in result["sentences"][0]


def test_weights_reach_check_through_cli_and_overrides(tmp_path) -> None:
    path = tmp_path / "short.json"
    path.write_text(json.dumps(base()))
    done = subprocess.run(
        [_commission(), "check", str(path), "--format", "json", "--weights", "standards=2,spread=0.5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    relaxed = _json(done.stdout)["relaxation"]
    assert relaxed["weights"]["standards"] == 2 and relaxed["violations"][0]["rule"] == "budget"
    bad = subprocess.run(
        [_commission(), "check", str(path), "--weights", "money=2"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2 and "money" in (bad.stdout + bad.stderr)
    job = run_job("check", base(), {"weights": {"standards": 2}})
    assert job.result["relaxation"]["violations"][0]["rule"] == "budget"


# --- the same answer every run ---------------------------------------------------------------------
def _check_json(path: str) -> dict:
    done = subprocess.run(
        [_commission(), "check", path, "--format", "json"], capture_output=True, text=True, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    result = _json(done.stdout)
    result.pop("seconds")
    return result


def test_two_checks_agree_exactly(tmp_path) -> None:
    path = tmp_path / "two.json"
    path.write_text(json.dumps(two_equal_services()))
    assert _check_json(str(path)) == _check_json(str(path))


@pytest.mark.slow
def test_bundled_offer_checks_agree_exactly_with_todays_numbers() -> None:
    first = _check_json(str(ROOT / "data" / "undeliverable_offer"))
    assert first == _check_json(str(ROOT / "data" / "undeliverable_offer"))
    assert lever(first, "budget")["amount"] == pytest.approx(6_860_203.29, abs=0.01)
    assert lever(first, "workforce_supply")["fixable"] is False
    assert lever(first, "standards")["amount"] == pytest.approx(0.8928092351, abs=1e-9)
    assert lever(first, "safe_working")["details"]["exact"] is True


def test_api_weights_override_reaches_the_check() -> None:
    from pydantic import ValidationError

    from api.schemas import Overrides

    overrides = Overrides.model_validate({"weights": {"standards": 2}}).as_dict()
    assert overrides == {"weights": {"standards": 2.0}}
    assert run_job("check", base(), overrides).result["relaxation"]["violations"][0]["rule"] == "budget"
    for bad in ({"money": 1}, {"spread": 2}, {"budget": -1}):
        with pytest.raises(ValidationError):
            Overrides.model_validate({"weights": bad})


# --- the least-cost allocation: each practice's need against its share of a pooled offer ----------
def pooled_two_practices() -> dict:
    """A (list 10,000) and B (list 30,000), weighted list = list, pooled budget £40,000.
    dm eligible 1,000 at A and 600 at B; the 50% standard: 500 and 300 patients × 120 min
    -> 1.0 and 0.6 GP FTE -> need £100,000 and £60,000 (least cost £160,000, unique).
    Shares of £40,000 by weighted patients: A 10/40 -> £10,000, B 30/40 -> £30,000.
    Shortfalls: A £90,000, B £30,000 (both short, A first); in total £120,000.
    £ per weighted patient: A £10, B £2; coverage 50% at both."""
    doc = base(budget_gbp=40_000)
    doc["practices"] = [
        {"practice_id": "A", "pcn_id": "N", "list_size": 10_000},
        {"practice_id": "B", "pcn_id": "N", "list_size": 30_000},
    ]
    doc["eligibility"] = [
        {"practice_id": "A", "service_id": "dm", "eligible_patients": 1_000},
        {"practice_id": "B", "service_id": "dm", "eligible_patients": 600},
    ]
    return doc


def test_least_cost_allocation_gives_each_practices_need_share_and_shortfall() -> None:
    result = run_job("check", pooled_two_practices()).result
    assert result["deliverable"] is False
    allocation = result["least_cost_allocation"]
    assert allocation["share_basis"] == "weighted_patients"
    assert allocation["budget_gbp"] == 40_000
    assert allocation["least_spend_gbp"] == pytest.approx(160_000, rel=1e-9)
    assert allocation["practices"] == 2 and allocation["practices_short"] == 2
    assert allocation["total_shortfall_gbp"] == pytest.approx(120_000, rel=1e-9)
    rows = allocation["most_short"]
    assert [r["practice_id"] for r in rows] == ["A", "B"]
    for row, (need, share, short) in zip(rows, [(100_000, 10_000, 90_000), (60_000, 30_000, 30_000)], strict=True):
        assert row["spend_gbp"] == pytest.approx(need, rel=1e-9)
        assert row["offer_share_gbp"] == pytest.approx(share, rel=1e-12)
        assert row["shortfall_gbp"] == pytest.approx(short, rel=1e-9)
    money = allocation["distribution"]["spend_gbp_per_weighted_patient"]
    assert (money["min_practice_id"], money["max_practice_id"]) == ("B", "A")
    assert money["min"] == pytest.approx(2.0, rel=1e-9) and money["max"] == pytest.approx(10.0, rel=1e-9)
    coverage = allocation["distribution"]["coverage"]
    assert coverage["min"] == pytest.approx(0.5, rel=1e-9) and coverage["max"] == pytest.approx(0.5, rel=1e-9)
    # The lever's least cost is the same allocation's.
    assert lever(result, "budget")["details"]["least_spend_gbp"] == pytest.approx(160_000, rel=1e-9)
    # Coverage by service and new FTE by role of the same allocation, as a solve's KPIs give them:
    # dm 500 + 300 = 800 of 1,000 + 600 = 1,600 eligible (50%); 1.0 + 0.6 = 1.6 GP FTE hired.
    dm = allocation["coverage_by_service"]["dm"]
    assert dm["eligible_patients"] == pytest.approx(1_600) and dm["covered_patients"] == pytest.approx(800)
    assert dm["coverage"] == pytest.approx(0.5, rel=1e-9) and dm["min_coverage"] == 0.5
    assert allocation["new_fte_by_role"] == {"gp": pytest.approx(1.6, rel=1e-9)}
    assert allocation["new_fte_total"] == pytest.approx(1.6, rel=1e-9)


def test_least_cost_allocation_kpis_are_a_solves_kpis_and_every_practice_is_in_the_table() -> None:
    """Deliverable at £200,000 with min_cost: the check's least-cost allocation is the solve's answer."""
    document = pooled_two_practices()
    check_outcome = run_job("check", document, {"budget_gbp": 200_000})
    solve = run_job("solve", document, {"budget_gbp": 200_000}).result["kpis"]
    allocation = check_outcome.result["least_cost_allocation"]
    for service, figures in solve["coverage_by_service"].items():
        assert allocation["coverage_by_service"][service] == pytest.approx(figures, rel=1e-9), service
    for key in ("new_fte_by_role", "new_fte_total"):
        assert allocation[key] == pytest.approx(solve[key], rel=1e-9), key
    table = check_outcome.tables["least_cost_practices"]
    assert sorted(table["practice_id"]) == ["A", "B"]
    assert table["spend_gbp"].sum() == pytest.approx(allocation["least_spend_gbp"], rel=1e-12)


def test_least_cost_allocation_of_a_deliverable_pooled_offer() -> None:
    """Budget £200,000 covers the £160,000: shares £50,000 (A) and £150,000 (B); A needs £100,000, so
    is £50,000 short of its share even though the pooled offer is deliverable; B is not short."""
    result = run_job("check", pooled_two_practices(), {"budget_gbp": 200_000}).result
    assert result["deliverable"] is True
    allocation = result["least_cost_allocation"]
    assert allocation["practices_short"] == 1
    first, second = allocation["most_short"]
    assert first["practice_id"] == "A" and first["shortfall_gbp"] == pytest.approx(50_000, rel=1e-9)
    assert first["offer_share_gbp"] == pytest.approx(50_000, rel=1e-12)
    assert second["practice_id"] == "B" and second["shortfall_gbp"] == 0
    assert second["offer_share_gbp"] == pytest.approx(150_000, rel=1e-12)
    assert allocation["least_spend_gbp"] == pytest.approx(result["headline"]["least_spend_gbp"], rel=1e-9)
