"""Fair shares (docs/fairness.md): the practice floor, the max-min coverage objective, the distribution view.

Hand-derived cases use the BASE review of tests/conftest.py: 1 contact of 12 minutes per covered
patient by a GP costing £100,000 for 1,000 clinical hours, i.e. £20 per covered patient (0.0002 FTE),
for 10% of the list.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimiser.io import read_document
from optimiser.programme import Programme
from optimiser.results import distribution, imd_quintiles, weighted_gini, weighted_percentile
from optimiser.runs import load_scenario, run_job
from tests.conftest import DATA, base_document, solve_checked, with_settings
from tests.test_arrays import both_builds, differences
from tests.test_engine_properties import PROPERTY_SETTINGS, scenarios

TWO_PRACTICES = [
    {"practice_id": "P1", "pcn_id": "N1", "list_size": 10_000},
    {"practice_id": "P2", "pcn_id": "N1", "list_size": 5_000},
]


def two_practices(min_coverage: float = 0.5, **tables: Any) -> dict[str, Any]:
    """P1 (10,000 patients, 1,000 eligible) and P2 (5,000, 500 eligible); standard min_coverage."""
    services = [{"service_id": "review", "contacts_per_patient": 1, "min_coverage": min_coverage, "prevalence": 0.1}]
    return base_document(practices=TWO_PRACTICES, services=services, **tables)


def with_prior(document: dict[str, Any], prior: dict[str, float]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for practice in document["practices"]:
        if practice["practice_id"] in prior:
            practice["prior_funding_gbp"] = prior[practice["practice_id"]]
    return document


def spend_by_practice(programme: Programme, outcome: Any) -> dict[str, float]:
    hires = programme.column_values("h", outcome.col_value).groupby(level=0).sum() * 100_000
    return {str(p): float(v) for p, v in hires.items()}


# --------------------------------------------------------------------------------------
# The practice floor (no practice worse off)
# --------------------------------------------------------------------------------------
def test_floor_off_by_default_and_prior_funding_alone_changes_nothing() -> None:
    # Standards: P1 500 patients = £10,000, P2 250 = £5,000: least spend £15,000.
    document = with_prior(two_practices(), {"P1": 8_000, "P2": 7_000})
    programme, outcome = solve_checked(document)
    assert outcome.objective_value == pytest.approx(15_000)
    assert "practice_floor" not in programme.rules_present()


def test_no_practice_below_prior_funding() -> None:
    # P1's £10,000 already exceeds its £8,000; P2 must get its £7,000, not just the £5,000 its
    # standard costs: least spend 10,000 + 7,000 = £17,000.
    document = with_settings(with_prior(two_practices(), {"P1": 8_000, "P2": 7_000}), no_practice_below_prior=True)
    programme, outcome = solve_checked(document)
    assert outcome.objective_value == pytest.approx(17_000)
    assert spend_by_practice(programme, outcome) == pytest.approx({"P1": 10_000, "P2": 7_000})
    assert list(programme.row_key[i] for i in programme.rows("practice_floor")) == ["P1", "P2"]


def test_floor_per_weighted_patient_and_the_larger_floor_wins() -> None:
    # £1.50 per weighted patient: P1 £15,000, P2 £7,500 (both above their standards' cost): £22,500.
    document = with_settings(two_practices(), practice_floor_gbp_per_weighted_patient=1.5)
    assert solve_checked(document)[1].objective_value == pytest.approx(22_500)
    # With prior funding too, each practice's floor is the larger: P1 max(15,000, 16,000) = 16,000,
    # P2 max(7,500, 3,000) = 7,500: £23,500.
    both = with_settings(with_prior(document, {"P1": 16_000, "P2": 3_000}), no_practice_below_prior=True)
    programme, outcome = solve_checked(both)
    assert outcome.objective_value == pytest.approx(23_500)
    assert spend_by_practice(programme, outcome) == pytest.approx({"P1": 16_000, "P2": 7_500})


def test_floor_can_make_an_offer_undeliverable() -> None:
    floored = with_settings(with_prior(two_practices(), {"P1": 8_000, "P2": 7_000}), no_practice_below_prior=True)
    # £16,000 pooled is enough for the standards (£15,000) but not for standards plus the floor (£17,000).
    assert solve_checked(with_settings(floored, budget_gbp=16_000))[1].status == "infeasible"
    assert solve_checked(with_settings(floored, budget_gbp=17_000))[1].status == "optimal"
    # Per-practice offer of £1 per weighted patient: P2 gets £5,000 < its prior £7,000 (the LMC's
    # "reduction"), so no allocation can hold it harmless.
    per_practice = with_settings(
        floored, budget_mode="per_practice", offer_rate_gbp_per_weighted_patient=1.0, budget_gbp=None
    )
    assert solve_checked(per_practice)[1].status == "infeasible"
    assert solve_checked(with_settings(per_practice, offer_rate_gbp_per_weighted_patient=1.4))[1].status == "optimal"


def test_floor_setting_needs_prior_funding() -> None:
    from models.scenario import ScenarioInvalid

    with pytest.raises(ScenarioInvalid, match="no_practice_below_prior"):
        load_scenario(with_settings(two_practices(), no_practice_below_prior=True))


def floor_lever_of(result: dict[str, Any]) -> dict[str, Any]:
    return next(lever for lever in result["levers"] if lever["lever"] == "practice_floor")


def test_check_prices_the_floor_and_names_who_it_protects() -> None:
    # Deliverable: the floor costs £17,000 − £15,000 = £2,000, and without it P2 gets £5,000 of its £7,000.
    floored = with_settings(with_prior(two_practices(), {"P1": 8_000, "P2": 7_000}), no_practice_below_prior=True)
    result = run_job("check", floored).result
    assert result["deliverable"] is True
    lever = floor_lever_of(result)
    assert lever["amount"] == pytest.approx(2_000) and lever["unit"] == "£/year"
    assert lever["details"]["least_spend_without_floor_gbp"] == pytest.approx(15_000)
    assert lever["details"]["least_spend_with_floor_gbp"] == pytest.approx(17_000)
    [short] = lever["details"]["practices_below_floor"]
    assert (short["practice_id"], short["shortfall_gbp"]) == ("P2", pytest.approx(2_000))
    assert "costs £2,000 a year" in lever["sentence"] and "1 of 2 practices" in lever["sentence"]
    # No floor, no floor lever.
    assert all(lever["lever"] != "practice_floor" for lever in run_job("check", two_practices()).result["levers"])


def test_check_names_the_floor_in_a_conflict_and_sizes_it() -> None:
    floored = with_settings(with_prior(two_practices(), {"P1": 8_000, "P2": 7_000}), no_practice_below_prior=True)
    # £16,000 pooled: P1's standard takes £10,000 (above its £8,000 floor), leaving £6,000 of P2's £7,000: 6/7.
    result = run_job("check", with_settings(floored, budget_gbp=16_000)).result
    assert result["deliverable"] is False
    assert "practice_floor" in {group["rule"] for group in result["conflict"]["rules"]}
    lever = floor_lever_of(result)
    assert lever["fixable"] is True and lever["amount"] == pytest.approx(6 / 7)
    assert "85.7% of every practice's floor" in lever["sentence"]
    # An offer of £1 per weighted patient gives P2 £5,000 of its £7,000 floor: 5/7.
    per_practice = with_settings(
        floored, budget_mode="per_practice", offer_rate_gbp_per_weighted_patient=1.0, budget_gbp=None
    )
    result = run_job("check", per_practice).result
    assert {group["rule"] for group in result["conflict"]["rules"]} == {"practice_floor", "practice_budget"}
    assert floor_lever_of(result)["amount"] == pytest.approx(5 / 7)
    # A floor that is not the problem: the standards alone need more than £14,000, floor or not.
    result = run_job("check", with_settings(floored, budget_gbp=14_000)).result
    lever = floor_lever_of(result)
    assert lever["fixable"] is False and "Dropping the practice floor alone cannot" in lever["sentence"]


# --------------------------------------------------------------------------------------
# max_min_coverage
# --------------------------------------------------------------------------------------
def test_max_min_coverage_balances_the_two_practices() -> None:
    # No standard. P1 has 0.1 GP FTE in post: 100 h = 500 of its 1,000 patients for free (50%);
    # P2 has nobody. £6,000 buys 300 more patients, a to P1 and b to P2 (a + b = 300).
    # Equal shares: (500 + a) / 1,000 = b / 500 → a = 2b − 500 → 3b = 800: b = 266.67, a = 33.33,
    # both practices at 533.33 / 1,000 = 266.67 / 500 = 8/15 = 53.3%.
    document = with_settings(
        two_practices(min_coverage=0, staff=[{"holder_id": "P1", "role_id": "gp", "fte": 0.1}]),
        budget_gbp=6_000,
        objective="max_min_coverage",
    )
    programme, outcome = solve_checked(document)
    assert outcome.objective_value == pytest.approx(8 / 15)
    assert outcome.col_value is not None
    cov = programme.column_values("cov", outcome.col_value)
    assert cov[("P1", "review")] == pytest.approx(1_600 / 3)
    assert cov[("P2", "review")] == pytest.approx(800 / 3)
    # max_value reaches 800 patients too but is indifferent to who gets them: max-min costs no value here.
    _, value = solve_checked(with_settings(document, objective="max_value"))
    assert value.objective_value == pytest.approx(800)


def test_max_min_coverage_weights_services_by_value() -> None:
    # Two services at one practice with 1,000 eligible each (prevalence 0.1); `urgent` has value
    # weight 3, `review` 1, both £20 a patient, no standards; £10,000 buys 500 patients.
    # Coverage share = (3 u + r) / (3 × 1,000 + 1,000): the best is u = 500, r = 0: 1,500 / 4,000 = 37.5%.
    services = [
        {"service_id": "review", "contacts_per_patient": 1, "min_coverage": 0, "prevalence": 0.1},
        {"service_id": "urgent", "contacts_per_patient": 1, "min_coverage": 0, "prevalence": 0.1, "value_weight": 3},
    ]
    skill_mix = [{"service_id": s, "role_id": "gp", "minutes_per_contact": 12} for s in ("review", "urgent")]
    document = with_settings(
        base_document(services=services, skill_mix=skill_mix), budget_gbp=10_000, objective="max_min_coverage"
    )
    assert solve_checked(document)[1].objective_value == pytest.approx(0.375)


def test_lowest_practice_limits_the_level() -> None:
    # P2's only staff come from a GP supply of 0.02 FTE (100 patients of its 500 = 20%); P1 could
    # reach 100% with its own 0.2 FTE. The fair level is P2's 20%, whatever the budget.
    document = with_settings(
        two_practices(min_coverage=0, staff=[{"holder_id": "P1", "role_id": "gp", "fte": 0.2}]),
        budget_gbp=1_000_000,
        objective="max_min_coverage",
    )
    document["roles"][0]["supply_max_fte"] = 0.02
    assert solve_checked(document)[1].objective_value == pytest.approx(0.2)


def test_max_min_then_least_spend_at_that_level() -> None:
    # Plenty of money (£1m), coverage capped at 80%. P1 has 0.1 GP FTE (500 of 1,000 patients, 50%),
    # P2 0.05 FTE (250 of 500, 50%); a locum does the same work for £200,000 a year. The fair level is
    # 80% everywhere; the second solve spends least at it: GP time for P1's 300 more patients
    # (£6,000) and P2's 150 (£3,000) = £9,000. (The level solve alone is indifferent to cost: on
    # this instance it hires ~5 FTE of locums.)
    document = two_practices(
        min_coverage=0,
        staff=[{"holder_id": "P1", "role_id": "gp", "fte": 0.1}, {"holder_id": "P2", "role_id": "gp", "fte": 0.05}],
    )
    document["services"][0]["max_coverage"] = 0.8
    locum = {"role_id": "locum", "category": "other", "cost_per_fte_gbp": 200_000, "clinical_hours_per_fte": 1_000}
    document["roles"] = [locum, *document["roles"]]
    document["skill_mix"] = [{"service_id": "review", "role_id": "locum", "minutes_per_contact": 12}]
    document["skill_mix"].append({"service_id": "review", "role_id": "gp", "minutes_per_contact": 12})
    document = with_settings(document, objective="max_min_coverage")
    programme, outcome = solve_checked(document)
    assert outcome.objective_value == pytest.approx(0.8)
    assert outcome.col_value is not None
    hires = programme.column_values("h", outcome.col_value)
    assert hires.xs("locum", level=1).sum() == pytest.approx(0, abs=1e-9)
    assert hires.xs("gp", level=1).to_dict() == pytest.approx({"P1": 0.06, "P2": 0.03})
    result = run_job("solve", document).result
    assert result["objective_value"] == pytest.approx(0.8)
    assert result["kpis"]["total_spend_gbp"] == pytest.approx(9_000)


def test_max_min_needs_a_valued_service() -> None:
    from models.scenario import ScenarioInvalid

    document = base_document(services=[{**base_document()["services"][0], "value_weight": 0}])
    with pytest.raises(ScenarioInvalid, match="max_min_coverage"):
        load_scenario(with_settings(document, objective="max_min_coverage"))


# --------------------------------------------------------------------------------------
# Off by default: every existing optimum unchanged
# --------------------------------------------------------------------------------------
# Measured on main before the fair-shares change (same numbers as data/tiny/README.md and README.md).
EXISTING_OPTIMA = {
    ("tiny", "min_cost"): 37_000.0,
    ("tiny", "max_value"): 10_833.333333333334,
    ("example_icb", "min_cost"): 11_560_203.285693727,
    ("example_icb", "max_value"): 2_471_907.2233431335,
}


@pytest.mark.parametrize(("name", "objective"), list(EXISTING_OPTIMA))
def test_bundled_examples_keep_their_optimum(name: str, objective: str) -> None:
    document = read_document(DATA / name)
    plain = Programme(load_scenario(document, {"objective": objective}))
    assert not {"practice_floor", "coverage_level"} & set(plain.rules_present())
    assert "lowest_coverage" not in set(plain.col_var)
    # The fair-shares data present but switched off builds the identical programme.
    marked = copy.deepcopy(document)
    for i, practice in enumerate(marked["practices"]):
        practice["prior_funding_gbp"] = 1_000.0 * (i + 1)
        practice["imd_score"] = float(i % 37)
    assert loaded_lp(Programme(load_scenario(marked, {"objective": objective}))) == loaded_lp(plain)
    result = run_job("solve", marked, {"objective": objective}).result
    assert result["objective_value"] == pytest.approx(EXISTING_OPTIMA[name, objective], rel=1e-9)


def loaded_lp(programme: Programme) -> tuple:
    """Rows, columns (named), coefficients, bounds, costs and integrality of the loaded model."""
    lp = programme.highs.getLp()
    return (
        list(zip(programme.row_rule.tolist(), programme.row_key, strict=True)),
        list(zip(programme.col_var.tolist(), programme.col_key, strict=True)),
        list(lp.a_matrix_.start_),
        list(lp.a_matrix_.index_),
        list(lp.a_matrix_.value_),
        list(lp.row_lower_),
        list(lp.row_upper_),
        list(lp.col_lower_),
        list(lp.col_upper_),
        list(lp.col_cost_),
        list(lp.integrality_),
        lp.sense_,
    )


@PROPERTY_SETTINGS
@given(scenarios(), st.data())
def test_fair_share_data_switched_off_changes_nothing(document: dict[str, Any], data: st.DataObject) -> None:
    marked = copy.deepcopy(document)
    for practice in marked["practices"]:
        if data.draw(st.booleans()):
            practice["prior_funding_gbp"] = data.draw(st.sampled_from([0, 5_000, 50_000]))
        if data.draw(st.booleans()):
            practice["imd_score"] = data.draw(st.floats(0, 90))
    plain = Programme(load_scenario(document))
    assert loaded_lp(Programme(load_scenario(marked))) == loaded_lp(plain)
    _, before = solve_checked(document)
    _, after = solve_checked(marked)
    assert after.status == before.status
    if before.objective_value is not None:
        assert after.objective_value == pytest.approx(before.objective_value, rel=1e-9, abs=1e-9)


@PROPERTY_SETTINGS
@given(scenarios())
def test_floors_at_an_optimal_allocation_keep_the_optimum(document: dict[str, Any]) -> None:
    # Give every practice a floor equal to what it gets in a least-spend allocation: that allocation
    # still satisfies every rule, so the least spend cannot change; the floor rows hold (invariants).
    if any("fte_step" in r for r in document["roles"]):
        return  # a MIP's optimum is only known within its gap
    document = with_settings(document, objective="min_cost")
    _, outcome = solve_checked(document)
    if outcome.status != "optimal":
        return
    tables = run_job("solve", document).tables
    spend = dict(zip(tables["practices"]["practice_id"], tables["practices"]["spend_gbp"], strict=True))
    floored = copy.deepcopy(document)
    for practice in floored["practices"]:
        practice["prior_funding_gbp"] = max(0.0, spend[practice["practice_id"]] * (1 - 1e-9))
    floored["settings"]["no_practice_below_prior"] = True
    if not any(p["prior_funding_gbp"] > 0 for p in floored["practices"]):
        floored["practices"][0]["prior_funding_gbp"] = 0.0
    _, again = solve_checked(floored)
    assert again.status == "optimal"
    assert again.objective_value == pytest.approx(outcome.objective_value, rel=1e-6, abs=1e-6)


@PROPERTY_SETTINGS
@given(scenarios())
def test_max_min_lowest_share_is_the_objective(document: dict[str, Any]) -> None:
    # solve_checked's invariants recompute every practice's share and assert the lowest equals the
    # objective; here also: no allocation of max_value does better on the lowest share.
    if any("fte_step" in r for r in document["roles"]):
        return
    if not any(s.get("value_weight", 1) > 0 for s in document["services"]):
        return
    _, fair = solve_checked(with_settings(document, objective="max_min_coverage"))
    value_job = run_job("solve", with_settings(document, objective="max_value"))
    assert fair.status == value_job.result["status"]
    if fair.status == "optimal":
        assert fair.objective_value is not None
        lowest = value_job.result["kpis"]["distribution"]["coverage"].get("min")
        if lowest is not None:
            assert lowest <= fair.objective_value + 1e-6


# --------------------------------------------------------------------------------------
# The distribution view
# --------------------------------------------------------------------------------------
def test_gini_and_percentiles_by_hand() -> None:
    # Two equal populations, one gets everything: G = 0.5. Equal values: 0.
    assert weighted_gini(np.array([0.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert weighted_gini(np.array([3.0, 3.0, 3.0]), np.array([1.0, 2.0, 5.0])) == pytest.approx(0.0)
    # Weight 3 at 0 and 1 at 4: pairs |0 − 4| × 3 × 1 × 2 = 24; 2 W² μ = 2 × 16 × 1 = 32: G = 0.75.
    assert weighted_gini(np.array([0.0, 4.0]), np.array([3.0, 1.0])) == pytest.approx(0.75)
    assert weighted_gini(np.array([0.0, 0.0]), np.array([1.0, 1.0])) is None
    # Cumulative shares 0.1, 0.3, 0.6, 1.0 at values 1, 2, 3, 4.
    values, weights = np.array([4.0, 1.0, 3.0, 2.0]), np.array([4.0, 1.0, 3.0, 2.0])
    assert weighted_percentile(values, weights, 0.1) == 1.0
    assert weighted_percentile(values, weights, 0.5) == 3.0
    assert weighted_percentile(values, weights, 0.9) == 4.0


def test_imd_quintiles_rank_most_deprived_first() -> None:
    import pandas as pd

    scores = pd.Series([10.0, 50.0, np.nan, 30.0, 20.0, 40.0], index=list("abcdef"))
    quintiles = imd_quintiles(scores)
    assert quintiles.to_dict() == pytest.approx(
        {"a": 5.0, "b": 1.0, "c": np.nan, "d": 3.0, "e": 4.0, "f": 2.0}, nan_ok=True
    )


def test_distribution_in_the_solve_result() -> None:
    # Floor case of test_no_practice_below_prior_funding: P1 £10,000 of 10,000 weighted = £1.00,
    # P2 £7,000 of 5,000 = £1.40; P1 more deprived.
    document = with_settings(with_prior(two_practices(), {"P1": 8_000, "P2": 7_000}), no_practice_below_prior=True)
    document["practices"][0]["imd_score"] = 40.0
    document["practices"][1]["imd_score"] = 10.0
    job = run_job("solve", document)
    practices = job.tables["practices"].set_index("practice_id")
    assert practices["spend_gbp_per_weighted_patient"].to_dict() == pytest.approx({"P1": 1.0, "P2": 1.4})
    assert practices["change_gbp"].to_dict() == pytest.approx({"P1": 2_000, "P2": 0})
    assert practices["floor_gbp"].to_dict() == pytest.approx({"P1": 8_000, "P2": 7_000})
    assert practices["new_fte_per_1k_weighted"].to_dict() == pytest.approx({"P1": 0.01, "P2": 0.014})
    # P1 covers its 500 of 1,000; P2's £7,000 buys 350 patients, of which the standard needs 250 (the
    # least-spend LP is indifferent above that).
    assert practices.at["P1", "coverage"] == pytest.approx(0.5)
    assert 0.5 - 1e-9 <= practices.at["P2", "coverage"] <= 0.7 + 1e-9
    assert practices["imd_quintile"].to_dict() == {"P1": 1.0, "P2": 3.0}
    spread = job.result["kpis"]["distribution"]["spend_gbp_per_weighted_patient"]
    assert (spread["min_practice_id"], spread["min"], spread["max_practice_id"], spread["max"]) == (
        "P1",
        pytest.approx(1.0),
        "P2",
        pytest.approx(1.4),
    )
    # Population-weighted: 10,000 at £1.00 and 5,000 at £1.40, mean £17,000 / 15,000;
    # Gini = 10,000 × 5,000 × 0.4 / (15,000² × 17,000 / 15,000) = 20,000,000 / 255,000,000.
    assert spread["mean"] == pytest.approx(17_000 / 15_000)
    assert spread["gini"] == pytest.approx(2 / 25.5)
    assert spread["ratio_90_10"] == pytest.approx(1.4)
    prior = job.result["kpis"]["distribution"]["prior_funding"]
    assert prior["practices_below_prior"] == 0 and prior["prior_funding_gbp"] == pytest.approx(15_000)
    quintiles = {row["imd_quintile"]: row for row in job.result["kpis"]["distribution"]["by_imd_quintile"]}
    assert quintiles[1]["spend_gbp_per_weighted_patient"] == pytest.approx(1.0)
    assert quintiles[3]["spend_gbp_per_weighted_patient"] == pytest.approx(1.4)
    # Without the floor P2 gets only its £5,000: it loses £2,000 against its prior funding.
    unfloored = run_job("solve", with_settings(document, no_practice_below_prior=None)).result
    prior = unfloored["kpis"]["distribution"]["prior_funding"]
    assert prior["practices_below_prior"] == 1 and prior["total_below_prior_gbp"] == pytest.approx(2_000)


def test_distribution_without_fair_share_columns() -> None:
    tables = run_job("solve", read_document(DATA / "tiny")).tables
    summary = distribution(tables["practices"])
    assert set(summary) == {"spend_gbp_per_weighted_patient", "new_fte_per_1k_weighted", "coverage"}
    assert "prior_funding_gbp" not in tables["practices"] and "imd_quintile" not in tables["practices"]


# --------------------------------------------------------------------------------------
# What users run: the installed console script
# --------------------------------------------------------------------------------------
def test_console_script_solves_fairest_and_shows_the_distribution(tmp_path: Any) -> None:
    import json
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    script = shutil.which("commission") or str(Path(sys.executable).with_name("commission"))
    document = with_settings(with_prior(two_practices(), {"P1": 8_000, "P2": 7_000}), no_practice_below_prior=True)
    scenario = tmp_path / "fair.json"
    scenario.write_text(json.dumps(document))
    table = subprocess.run(
        [script, "solve", str(scenario), "--objective", "max_min_coverage", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"},
    )
    assert table.returncode == 0, table.stderr
    assert "lowest practice coverage" in table.stdout
    assert "Distribution across practices" in table.stdout
    assert "Against prior funding: 0 of 2 practices receive less than before" in table.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["objective"] == "max_min_coverage"
    # £1,000,000 budget: both practices reach 100% of their reviews; the floors still hold.
    assert summary["objective_value"] == pytest.approx(1.0)
    assert summary["kpis"]["distribution"]["coverage"]["min"] == pytest.approx(1.0)
    bad = subprocess.run(
        [script, "solve", str(scenario), "--objective", "fairest"], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 2 and "max_min_coverage" in bad.stdout + bad.stderr


def test_distribution_is_plain_json() -> None:
    import json

    result = run_job("solve", read_document(DATA / "tiny")).result
    # json.dumps without default= fails on numpy scalars: every figure must be a Python number.
    text = json.dumps(result["kpis"]["distribution"])
    assert json.loads(text)["spend_gbp_per_weighted_patient"]["gini"] == pytest.approx(
        result["kpis"]["distribution"]["spend_gbp_per_weighted_patient"]["gini"]
    )


def test_bundled_fair_shares_example() -> None:
    # data/fair_shares is example_icb plus prior funding and IMD scores with the floor on.
    document = read_document(DATA / "fair_shares")
    unfloored = with_settings(document, no_practice_below_prior=None)
    _, plain = solve_checked(unfloored)
    assert plain.objective_value == pytest.approx(EXISTING_OPTIMA["example_icb", "min_cost"], rel=1e-9)
    programme, floored = solve_checked(document)  # invariants: no practice below its prior funding
    assert len(programme.rows("practice_floor")) == len(document["practices"])
    assert floored.objective_value is not None and plain.objective_value is not None
    assert floored.objective_value > plain.objective_value
    result = run_job("solve", unfloored).result["kpis"]["distribution"]["prior_funding"]
    assert result["practices_below_prior"] > 0
    # The floor costs at most what the losers were short (each can be made whole at its own cost).
    assert floored.objective_value - plain.objective_value <= result["total_below_prior_gbp"] * (1 + 1e-9)


# --------------------------------------------------------------------------------------
# The vectorised build makes the identical programme with the fair-shares rules on
# --------------------------------------------------------------------------------------
@st.composite
def fair_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """The property-based scenarios with prior funding, floors, IMD scores and the max-min objective mixed in."""
    document = draw(scenarios())
    for practice in document["practices"]:
        if draw(st.booleans()):
            practice["prior_funding_gbp"] = draw(st.sampled_from([0, 2_000, 20_000, 200_000]))
        if draw(st.booleans()):
            practice["imd_score"] = draw(st.floats(0, 90))
    settings_ = document["settings"]
    if any("prior_funding_gbp" in p for p in document["practices"]) and draw(st.booleans()):
        settings_["no_practice_below_prior"] = True
    if draw(st.booleans()):
        settings_["practice_floor_gbp_per_weighted_patient"] = draw(st.sampled_from([0, 0.5, 3]))
    if draw(st.booleans()):
        settings_["objective"] = "max_min_coverage"
    return document


@PROPERTY_SETTINGS
@given(fair_scenarios())
def test_vectorised_build_is_identical_with_fair_shares(document: dict[str, Any]) -> None:
    arrays, pyomo_form = both_builds(document)
    assert differences(arrays, pyomo_form) == []
    scenario = load_scenario(document)
    assert loaded_lp(Programme(scenario, engine="arrays")) == loaded_lp(Programme(scenario, engine="pyomo"))
    # and every solve of these re-checks the floors and the lowest coverage (tests/invariants.py)
    _, outcome = solve_checked(document)
    assert outcome.status in ("optimal", "infeasible"), outcome.message


def test_budget_sweep_of_the_fairest_level() -> None:
    # The balance case of test_max_min_coverage_balances_the_two_practices at £3,000 / £6,000 / £9,000:
    # £3,000 buys 150 patients, all to P2 (150 / 500 = 30% < P1's free 50%): 30%; £6,000: 8/15 (53.3%);
    # £9,000 buys 450: (500 + a) / 1,000 = b / 500 with a + b = 450 → b = 316.67: 63.3%.
    document = with_settings(
        two_practices(min_coverage=0, staff=[{"holder_id": "P1", "role_id": "gp", "fte": 0.1}]),
        objective="max_min_coverage",
    )
    job = run_job("sweep", document, {"budget": "3000:9000:3", "objective": "max_min_coverage"})
    assert job.result["objective"] == "max_min_coverage"
    table = job.tables["sweep_budget"]
    assert table["lowest_coverage"].tolist() == pytest.approx([0.3, 8 / 15, 0.95 / 1.5])
    # Least spend at each level: every budget is used (the level is money-bound here).
    assert table["spend_gbp"].tolist() == pytest.approx([3_000, 6_000, 9_000])
    # The default budget sweep is unchanged: max_value, no lowest_coverage column.
    plain = run_job("sweep", with_settings(document, objective="min_cost"), {"budget": "3000:9000:3"})
    assert plain.result["objective"] == "max_value" and "lowest_coverage" not in plain.tables["sweep_budget"]


def test_fairest_level_at_a_budget_is_one_answer_whichever_sweep_or_algorithm() -> None:
    """The fairest level is an LP optimum: unique at a budget. On data/fair_shares a sweep's £19m point
    once depended on the other budgets in the sweep (95.12% to 95.26%) and `solve` said 95.16%:
    HiGHS passed reduced costs of a few 1e-8 as optimal (programme.FAIR_DUAL_FEASIBILITY_TOLERANCE)."""
    document = read_document(DATA / "fair_shares")
    solved = run_job("solve", document, {"objective": "max_min_coverage", "budget_gbp": 19e6}).result
    assert solved["status"] == "optimal"
    level = solved["objective_value"]
    # A second algorithm (interior point with crossover, from cold) finds the same optimum.
    programme = Programme(load_scenario(with_settings(document, objective="max_min_coverage", budget_gbp=19e6)))
    with programme.options(solver="ipm", run_crossover="on"):
        by_ipm = programme.solve()
    assert by_ipm.status == "optimal" and by_ipm.objective_value == pytest.approx(level, abs=1e-8)
    for budget in ("13m:19m:4", "18m:19m:2"):
        table = run_job("sweep", document, {"objective": "max_min_coverage", "budget": budget}).tables["sweep_budget"]
        at_19m = table.loc[table["budget_gbp"] == 19e6, "lowest_coverage"]
        assert at_19m.tolist() == pytest.approx([level], abs=1e-8), budget


def test_sensitivity_under_max_min_is_in_points_of_the_lowest_coverage() -> None:
    # Balance case: each £1 buys 1/20 patient shared so both practices stay level: d(level)/d£ =
    # (1/20) / (1,000 + 500) = 1/30,000, i.e. £1,000 raises the lowest coverage by 3.33 points.
    document = with_settings(
        two_practices(min_coverage=0, staff=[{"holder_id": "P1", "role_id": "gp", "fte": 0.1}]),
        budget_gbp=6_000,
        objective="max_min_coverage",
    )
    sensitivity = run_job("solve", document, {"sensitivity": True}).result["sensitivity"]
    budget = next(price for price in sensitivity["shadow_prices"] if price["rule"] == "budget")
    assert budget["shadow_price"] == pytest.approx(1 / 30_000)
    assert "raises the lowest practice coverage by 3.33 points" in budget["sentence"]


def test_offer_comparison_shows_who_gains_and_who_loses() -> None:
    # Least cost against fairest on the floor case: the comparison reads both from the result JSON.
    from optimiser.report.compare import Side, compare
    from optimiser.report.view import Num

    def figure(cell: Num | str) -> Num:
        assert isinstance(cell, Num), f"expected a figure, got {cell!r}"
        return cell

    document = with_prior(two_practices(min_coverage=0.5), {"P1": 8_000, "P2": 7_000})
    a = run_job("solve", document)
    b = run_job("solve", with_settings(document, objective="max_min_coverage", budget_gbp=30_000))
    rows = {
        row.label: row
        for row in compare(
            Side("least cost", "solve", a.result, a.tables["practices"]),
            Side("fairest", "solve", b.result, b.tables["practices"]),
        ).rows
    }
    # Least cost: P2 gets its £5,000 standard against £7,000 before (1 practice, £2,000 short).
    assert figure(rows["Practices below prior funding"].a).value == 1
    assert figure(rows["Their shortfall against prior funding"].a).value == pytest.approx(2_000)
    # Fairest with £30,000: 1,500 more patients at £20 lift both practices to 100%.
    assert figure(rows["Lowest practice coverage (share)"].b).value == pytest.approx(1.0)
    assert figure(rows["Lowest practice coverage (share)"].difference).text == "+50.0 points"
    assert figure(rows["Practices below prior funding"].b).value == 0


def test_the_desk_and_report_show_the_floor_lever() -> None:
    # The page and the PDF report build their lever cards from the same view of the check result.
    from optimiser.report.view import _levers

    floored = with_settings(with_prior(two_practices(), {"P1": 8_000, "P2": 7_000}), no_practice_below_prior=True)
    deliverable = {lever.lever: lever for lever in _levers(run_job("check", floored).result, False)}
    amount = deliverable["practice_floor"].amount
    assert amount is not None
    assert amount.text == "£2,000 a year"
    short = run_job("check", with_settings(floored, budget_gbp=16_000)).result
    card = {lever.lever: lever for lever in _levers(short, False)}["practice_floor"]
    assert card.amount is not None
    assert card.amount.text == "85.7% of every practice's floor" and card.fixable
