"""Deliverability (formulation.md sections 6 and 7): verdict, conflict, levers, relaxation, sensitivity.

Every case is a small hand-built document whose answer is derived by hand in its docstring or
comments. The common base (``base``):

  one practice A, 10,000 patients (weighted 10,000), in PCN N with no ARRS money;
  one role gp: £100,000 per FTE, 1,000 clinical hours (60,000 minutes) per FTE;
  one service dm: prevalence 0.1 -> E = 1,000 eligible; min_coverage 0.5 -> 500 patients;
  1 contact per covered patient, 120 minutes per contact.

  Meeting the standard takes 500 × 120 = 60,000 minutes = exactly 1 GP FTE = £100,000 a year.
"""

from __future__ import annotations

import copy
import json

import highspy
import numpy as np
import pytest
from typer.testing import CliRunner

from models.standard_form import INF
from optimiser.cli import app
from optimiser.deliverability import levers
from optimiser.deliverability.check import check
from optimiser.deliverability.conflict import find_conflict, verify_conflict
from optimiser.deliverability.relaxation import relaxation
from optimiser.deliverability.sensitivity import sensitivity
from optimiser.programme import IIS_STRATEGY, Programme
from optimiser.runs import load_scenario, run_job


def base(**settings: object) -> dict:
    return {
        "settings": {"budget_gbp": 75_000, **settings},
        "practices": [{"practice_id": "A", "pcn_id": "N", "list_size": 10_000}],
        "pcns": [{"pcn_id": "N", "arrs_entitlement_gbp": 0}],
        "roles": [{"role_id": "gp", "category": "gp", "cost_per_fte_gbp": 100_000, "clinical_hours_per_fte": 1_000}],
        "staff": [],
        "services": [{"service_id": "dm", "contacts_per_patient": 1, "min_coverage": 0.5, "prevalence": 0.1}],
        "skill_mix": [{"service_id": "dm", "role_id": "gp", "minutes_per_contact": 120}],
    }


def supply_case() -> dict:
    """Budget £1m (not binding), but only 0.6 GP FTE can be hired; 1 FTE is needed -> 0.4 FTE short.
    Standards alone: 0.6 FTE = 36,000 min = 300 patients = 60% of 500 -> t = 0.6."""
    doc = base(budget_gbp=1_000_000)
    doc["roles"][0]["supply_max_fte"] = 0.6
    return doc


def safe_working_case() -> dict:
    """No hiring (supply 0); 0.8 GP FTE already at A; cap 2.5 contacts per FTE-day × 200 days.
    60 min per contact: time 500 × 60 = 30,000 min <= 0.8 × 60,000 = 48,000 (fine).
    Contacts: 500 needed, cap gives 2.5 × 200 × 0.8 = 400. Cap c with c × 200 × 0.8 = 500 -> c = 3.125,
    i.e. 0.625 more contacts per FTE-day. Supply: 500 / (2.5 × 200) = 1 FTE -> 0.2 FTE more.
    Standards: 400 patients of 500 -> t = 0.8."""
    doc = base(budget_gbp=1_000_000)
    doc["roles"][0].update(supply_max_fte=0, max_contacts_per_day=2.5)
    doc["staff"] = [{"holder_id": "A", "role_id": "gp", "fte": 0.8}]
    doc["skill_mix"][0]["minutes_per_contact"] = 60
    return doc


def integrality_case() -> dict:
    """min_coverage 0.25 -> 250 patients -> 0.5 GP FTE = £50,000 <= budget £75,000 (LP relaxation
    feasible), but GPs are hired in whole FTE (fte_step 1): 1 FTE = £100,000 > £75,000. Integrality
    alone makes it undeliverable; the budget lever is £100,000 − £75,000 = £25,000."""
    doc = base(budget_gbp=75_000)
    doc["roles"][0]["fte_step"] = 1.0
    doc["services"][0]["min_coverage"] = 0.25
    return doc


def per_practice_case() -> dict:
    """Three practices A, B, C of weighted list 10,000 at an offer of £5 -> £50,000 each.
    Eligible dm patients 400 / 1,000 / 1,600 -> 200 / 500 / 800 patients at the 50% standard
    -> 0.4 / 1.0 / 1.6 GP FTE -> £40,000 / £100,000 / £160,000. Short: B by £50,000 and C by
    £110,000 (A is fine). Rate needed: £160,000 / 10,000 = £16 -> £11 more per weighted patient."""
    doc = base(budget_mode="per_practice", offer_rate_gbp_per_weighted_patient=5.0)
    del doc["settings"]["budget_gbp"]
    doc["practices"] = [{"practice_id": p, "pcn_id": "N", "list_size": 10_000} for p in "ABC"]
    doc["eligibility"] = [
        {"practice_id": p, "service_id": "dm", "eligible_patients": e}
        for p, e in zip("ABC", (400, 1000, 1600), strict=True)
    ]
    return doc


def two_services_case() -> dict:
    """base (dm costs £100,000) plus bp: prevalence 0.05 -> 500 eligible, min 0.2 -> 100 patients,
    60 min each -> 6,000 min = 0.1 FTE = £10,000. Budget £75,000 of £110,000 needed.
    Uniform t: 110,000 t = 75,000 -> t = 15/22 = 0.681818...; dm alone (bp in full, £10,000):
    100,000 t = 65,000 -> 0.65; bp alone cannot fix it (dm in full already costs £100,000)."""
    doc = base(budget_gbp=75_000)
    doc["services"].append(
        {"service_id": "bp", "contacts_per_patient": 1, "min_coverage": 0.2, "prevalence": 0.05, "value_weight": 2}
    )
    doc["skill_mix"].append({"service_id": "bp", "role_id": "gp", "minutes_per_contact": 60})
    return doc


def lever(result: dict, name: str) -> dict:
    return next(item for item in result["levers"] if item["lever"] == name)


def bench_for(doc: dict) -> Programme:
    return Programme(load_scenario(doc))


# --- the iis_strategy pin -------------------------------------------------------------------
def _toy_lp() -> highspy.Highs:
    """x, y >= 0; r0: x + y >= 10; r1: x <= 3; r2: y <= 3; r3: x + 2y <= 100; r4: x + y <= 4.
    Irreducible sets: {r0, r4} (with x, y free) and {r0, r1, r2} (with the lower bounds)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(2, np.array([0.0, 0.0]), np.array([INF, INF]))
    for index, value, lower, upper in (
        ([0, 1], [1, 1], 10, INF),
        ([0], [1], -INF, 3),
        ([1], [1], -INF, 3),
        ([0, 1], [1, 2], -INF, 100),
        ([0, 1], [1, 1], -INF, 4),
    ):
        h.addRow(lower, upper, len(index), np.array(index, dtype=np.int32), np.array(value, dtype=float))
    return h


def _toy_iis(strategy: int) -> list[int]:
    h = _toy_lp()
    h.setOptionValue("iis_strategy", strategy)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kInfeasible
    status, iis = h.getIis()
    assert status == highspy.HighsStatus.kOk and iis.valid_
    return sorted(int(i) for i in iis.row_index_)


def _toy_feasible_without(rows: list[int], dropped: int) -> bool:
    h = _toy_lp()
    keep = set(rows) - {dropped}
    for i in range(5):
        if i not in keep:
            h.changeRowBounds(i, -INF, INF)
    h.changeColsBounds(2, np.array([0, 1], dtype=np.int32), np.array([-INF, -INF]), np.array([INF, INF]))
    h.run()
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


def test_iis_strategy_pin() -> None:
    # The enum values we rely on (the option's description text in HiGHS 1.15 has 4 and 8 swapped).
    assert int(highspy.IisStrategy.kIisStrategyFromLp) == 2
    assert int(highspy.IisStrategy.kIisStrategyIrreducible) == 4
    assert IIS_STRATEGY == 6
    # Elastic LP alone (2): an infeasible set, not necessarily irreducible (it keeps r1 here).
    elastic = _toy_iis(int(highspy.IisStrategy.kIisStrategyFromLp))
    assert elastic == [0, 1, 4]
    assert _toy_feasible_without(elastic, 1) is False  # without r1 still infeasible: reducible
    # Our strategy (2 | 4): irreducible - each member's removal (x, y free) makes it feasible.
    ours = _toy_iis(IIS_STRATEGY)
    assert ours == [0, 4]
    assert all(_toy_feasible_without(ours, i) for i in ours)
    # The "light" default (0) finds nothing for this LP: it only checks bounds.
    h = _toy_lp()
    h.run()
    _, light = h.getIis()
    assert len(light.row_index_) == 0


# --- verdict and levers -------------------------------------------------------------------------
def test_budget_shortfall_exact_in_pounds() -> None:
    scenario = load_scenario(base())
    job = check(scenario)
    result = job.result
    assert result["deliverable"] is False and result["status"] == "infeasible"
    money = lever(result, "budget")
    assert money["fixable"] is True and money["unit"] == "£/year"
    assert money["amount"] == pytest.approx(25_000, rel=1e-9)
    assert "£25,000" in money["sentence"] and "+33.3%" in money["sentence"]
    # Contract: equals max(0, least spend without the budget rule − budget), by an independent solve.
    cold = run_job("solve", base(budget_gbp=10**9))
    assert money["amount"] == pytest.approx(max(0.0, cold.result["objective_value"] - 75_000), rel=1e-9)
    assert "£25,000 more a year" in result["summary"]
    # Standards lever: £75,000 = 0.75 FTE = 375 patients = 75% of the standard.
    standards = lever(result, "standards")
    assert (
        standards["amount"] == pytest.approx(0.75, abs=1e-9)
        and "75.0% of its level (a 25.0% cut: dm from 50.0% to 37.5%)" in standards["sentence"]
    )
    assert lever(result, "workforce_supply")["amount"] is None  # no supply limit in this scenario
    assert json.loads(json.dumps(result))  # JSON-safe


def test_supply_shortfall_exact_in_fte() -> None:
    result = check(load_scenario(supply_case())).result
    supply = lever(result, "workforce_supply")
    assert supply["fixable"] is True and supply["unit"] == "FTE"
    assert supply["amount"] == pytest.approx(0.4, abs=1e-9)
    assert supply["details"]["by_role"][0]["extra_fte"] == pytest.approx(0.4, abs=1e-9)
    assert "0.4 more FTE" in supply["sentence"] and "gp" in supply["sentence"]
    money = lever(result, "budget")
    assert money["fixable"] is False and money["amount"] is None
    assert "alone cannot" in money["sentence"] and "hiring limits" in money["sentence"]
    assert lever(result, "standards")["amount"] == pytest.approx(0.6, abs=1e-9)


def test_standards_fraction_exact_and_per_service() -> None:
    result = check(load_scenario(two_services_case())).result
    standards = lever(result, "standards")
    assert standards["amount"] == pytest.approx(15 / 22, abs=1e-9)
    assert "68.1%" in standards["sentence"]  # 68.18% rounded down: the level shown must fit
    by_service = {r["service_id"]: r for r in standards["details"]["by_service"]}
    assert by_service["dm"]["fraction_alone"] == pytest.approx(0.65, abs=1e-9)
    assert by_service["bp"]["fraction_alone"] is None and by_service["bp"]["fixable_alone"] is False
    assert "bp cannot fix it alone" in standards["sentence"]
    assert lever(result, "budget")["amount"] == pytest.approx(35_000, rel=1e-9)


def test_safe_working_extra_contacts_per_fte_day() -> None:
    result = check(load_scenario(safe_working_case())).result
    safe = lever(result, "safe_working")
    assert safe["fixable"] is True and safe["unit"] == "contacts per FTE-day"
    assert safe["amount"] == pytest.approx(0.625, abs=levers.SAFE_WORKING_TOLERANCE)
    assert safe["amount"] >= 0.625 - 1e-9  # the reported raise always suffices
    assert safe["details"]["exact"] is True
    assert "0.625 more contacts per FTE-day" in safe["sentence"]
    assert lever(result, "workforce_supply")["amount"] == pytest.approx(0.2, abs=1e-9)
    assert lever(result, "standards")["amount"] == pytest.approx(0.8, abs=1e-9)
    assert lever(result, "budget")["fixable"] is False


def test_integrality_only_infeasibility_found_by_deletion_filter() -> None:
    scenario = load_scenario(integrality_case())
    bench = bench_for(integrality_case())
    with bench.changes():
        bench.relax_integrality()
        assert bench.feasibility().status == "optimal"  # the LP relaxation is feasible
    assert bench.feasibility().status == "infeasible"
    conflict = find_conflict(bench)
    assert conflict is not None and conflict.method == "deletion_filter" and conflict.irreducible
    families = set(conflict.families)
    assert {"hiring_step", "budget", "min_standard", "clinical_time"} <= families
    assert verify_conflict(bench, conflict) is True  # each family's removal makes it feasible
    result = check(scenario).result
    assert result["conflict"]["method"] == "deletion_filter"
    assert lever(result, "budget")["amount"] == pytest.approx(25_000, rel=1e-6)
    assert "whole steps of 1 FTE" in " ".join(result["conflict"]["sentences"])


def test_per_practice_offer_rate_and_practices_short() -> None:
    result = check(load_scenario(per_practice_case())).result
    money = lever(result, "budget")
    assert money["unit"] == "£ per weighted patient per year"
    assert money["amount"] == pytest.approx(11.0, abs=1e-9)
    assert money["details"]["needed_rate_gbp_per_weighted_patient"] == pytest.approx(16.0, abs=1e-9)
    short = {r["practice_id"]: r["shortfall_gbp"] for r in money["details"]["practices_short"]}
    assert short.keys() == {"B", "C"}
    assert short["B"] == pytest.approx(50_000, rel=1e-9) and short["C"] == pytest.approx(110_000, rel=1e-9)
    for text in ("£11.00 more per weighted patient", "£16.00", "C £110,000", "B £50,000", "2 of 3 practices"):
        assert text in money["sentence"]
    job = check(load_scenario(per_practice_case()))
    assert list(job.tables["practices_short"]["practice_id"]) == ["C", "B"]


@pytest.mark.parametrize(
    ("case", "single"), [(base, False), (supply_case, True), (safe_working_case, True), (per_practice_case, False)]
)
def test_iis_is_irreducible_by_resolving(case, single) -> None:
    bench = bench_for(case())
    conflict = find_conflict(bench, verify=False)
    assert conflict is not None and conflict.method == "iis" and conflict.irreducible
    # The members alone are infeasible and dropping any one of them leaves a feasible system.
    assert verify_conflict(bench, conflict) is True
    # Where the programme has a single conflict, dropping any member row from the *whole*
    # programme also makes it feasible (in base the ARRS claim is capped twice, and in the
    # per_practice case B and C are each short, so there a removal can leave another conflict).
    for member in conflict.members:
        if member.kind != "row" or not single:
            continue
        with bench.changes():
            bench.relax_rows(np.array([member.index]))
            assert bench.feasibility().status == "optimal", member


def test_conflict_groups_by_rule_with_entities() -> None:
    result = check(load_scenario(supply_case())).result
    rules = {g["rule"]: g for g in result["conflict"]["rules"]}
    assert rules["workforce_supply"] == {"rule": "workforce_supply", "count": 1, "entities": ["gp"]}
    assert rules["min_standard"]["entities"] == ["A / dm"]
    assert result["conflict"]["verified"] is True
    assert any("hiring limit of 0.6 new FTE for gp" in s for s in result["conflict"]["sentences"])


def test_combined_relaxation_weights() -> None:
    """Budget short by £25,000 of £75,000 (a 1/3 relaxation) versus standards short by 125 of 500
    patients (a 1/4 relaxation): with equal weights the standards move; weighting standards ×2
    (0.5 > 0.333) makes the money move instead."""
    bench = bench_for(base())
    relaxed, table = relaxation(bench)
    assert list(table["rule"]) == ["min_standard"] and table["amount"].iloc[0] == pytest.approx(125)
    relaxed, table = relaxation(bench, {"standards": 2.0})
    assert list(table["rule"]) == ["budget"] and table["amount"].iloc[0] == pytest.approx(25_000)
    assert table["unit"].iloc[0] == "£/year" and relaxed["weights"]["standards"] == 2.0


def lp_snapshot(programme: Programme) -> dict:
    """Everything about the loaded HiGHS model that an experiment could change."""
    return programme.loaded_model()


def test_programme_restored_after_check() -> None:
    programme = Programme(load_scenario(integrality_case()))
    before = lp_snapshot(programme)
    check(programme.scenario, programme=programme)
    after = lp_snapshot(programme)
    assert after == before


def test_deliverable_headline() -> None:
    result = check(load_scenario(base(budget_gbp=120_000))).result
    assert result["deliverable"] is True and result["conflict"] is None
    assert result["headline"]["least_spend_gbp"] == pytest.approx(100_000)
    assert result["headline"]["headroom_gbp"] == pytest.approx(20_000)
    assert "£20,000 spare" in result["summary"]
    assert [lv["lever"] for lv in result["levers"]] == ["budget", "workforce_supply", "standards", "safe_working"]


# --- sensitivity ---------------------------------------------------------------------------------
def two_roles(**settings: object) -> dict:
    """gp (£100,000) and nurse (£50,000, at most 0.3 FTE can be hired), same time per contact."""
    doc = base(**settings)
    doc["roles"].append(
        {
            "role_id": "nurse",
            "category": "nurse",
            "cost_per_fte_gbp": 50_000,
            "clinical_hours_per_fte": 1_000,
            "supply_max_fte": 0.3,
        }
    )
    doc["skill_mix"].append({"service_id": "dm", "role_id": "nurse", "minutes_per_contact": 120})
    return doc


def _objective(doc: dict) -> float:
    job = run_job("solve", doc)
    assert job.result["status"] == "optimal"
    return float(job.result["objective_value"])


def _price(result: dict, rule: str, entity: str | None = None) -> float:
    return next(
        p["shadow_price"]
        for p in result["sensitivity"]["shadow_prices"]
        if p["rule"] == rule and (entity is None or p["entity"] == entity)
    )


def test_sensitivity_min_cost_matches_finite_differences() -> None:
    """min_cost: 1 FTE needed; nurse 0.3 (supply-bound), gp 0.7 (GP floor 0.6 FTE not binding
    ... made binding below). Least spend £85,000."""
    doc = two_roles(budget_gbp=1_000_000, gp_fte_per_10k_weighted=0.8)  # floor 0.8 GP FTE: binding
    job = run_job("solve", doc, {"sensitivity": True})
    result = job.result
    assert result["sensitivity"]["approximate"] is False
    base_value = result["objective_value"]  # 0.8 gp + 0.2 nurse = £90,000
    assert base_value == pytest.approx(90_000)
    # Standard: +1 percentage point of dm (+10 patients) vs re-solve.
    bumped = copy.deepcopy(doc)
    bumped["services"][0]["min_coverage"] = 0.51
    assert _price(result, "min_standard", "dm") == pytest.approx(_objective(bumped) - base_value, rel=1e-6)
    # GP floor per 10k: +0.1 per 10k -> +0.01 FTE.
    bumped = copy.deepcopy(doc)
    bumped["settings"]["gp_fte_per_10k_weighted"] = 0.9
    assert _price(result, "gp_floor") * 0.1 == pytest.approx(_objective(bumped) - base_value, rel=1e-6)
    # Supply is not binding now (nurse 0.2 < 0.3): zero price; without the floor it binds at −£50,000/FTE.
    doc2 = two_roles(budget_gbp=1_000_000)
    result2 = run_job("solve", doc2, {"sensitivity": True}).result
    bumped = copy.deepcopy(doc2)
    bumped["roles"][1]["supply_max_fte"] = 0.31
    delta = (_objective(bumped) - result2["objective_value"]) / 0.01
    assert _price(result2, "workforce_supply", "nurse") == pytest.approx(delta, rel=1e-6) == pytest.approx(-50_000)
    assert any("saves £50,000 a year" in s for s in result2["sensitivity"]["sentences"])
    assert result2["sensitivity"]["binding_rules"]


def test_sensitivity_max_value_budget_per_pound() -> None:
    """max_value with £60,000: nurse 0.3 FTE (£15,000) + gp 0.45 FTE (£45,000) = 375 patients;
    another £1 buys 1/200 patient through a GP: 0.005 value per £."""
    doc = two_roles(budget_gbp=60_000, objective="max_value")
    doc["services"][0]["min_coverage"] = 0.2
    result = run_job("solve", doc, {"sensitivity": True}).result
    assert result["objective_value"] == pytest.approx(375)
    bumped = copy.deepcopy(doc)
    bumped["settings"]["budget_gbp"] = 60_001
    assert _price(result, "budget") == pytest.approx(_objective(bumped) - 375, rel=1e-6) == pytest.approx(0.005)
    assert any("adds 5 value" in s for s in result["sensitivity"]["sentences"])


def test_sensitivity_mip_is_approximate() -> None:
    doc = two_roles(budget_gbp=60_000, objective="max_value")
    doc["services"][0]["min_coverage"] = 0.2
    doc["roles"][0]["fte_step"] = 0.1  # gp in 0.1 FTE steps: 0.4 gp + 0.3 nurse = 350 patients
    programme = Programme(load_scenario(doc))
    outcome = programme.solve()
    report = sensitivity(programme, outcome)
    assert report["approximate"] is True and report["available"] is True
    # With the gp steps fixed (0.4 FTE), £5,000 is spare; a nurse FTE adds 500 patients locally.
    assert next(p for p in report["shadow_prices"] if p["rule"] == "workforce_supply")["shadow_price"] == pytest.approx(
        500
    )
    assert programme.loaded_model()["integrality"][list(programme.base_integrality).index(1)] == int(
        highspy.HighsVarType.kInteger
    )


# --- CLI -----------------------------------------------------------------------------------------
runner = CliRunner()


def test_cli_check_exit_codes_and_json(tmp_path) -> None:
    undeliverable = tmp_path / "short.json"
    undeliverable.write_text(json.dumps(base()))
    fine = tmp_path / "fine.json"
    fine.write_text(json.dumps(base(budget_gbp=120_000)))
    bad = tmp_path / "bad.json"
    broken = base()
    broken["practices"][0]["list_size"] = -5
    bad.write_text(json.dumps(broken))

    done = runner.invoke(app, ["check", str(undeliverable), "--format", "json"])
    assert done.exit_code == 1, done.output
    result = json.loads(done.output)
    for key in ("deliverable", "status", "summary", "conflict", "levers", "relaxation", "scenario_hash", "solver"):
        assert key in result
    done = runner.invoke(app, ["check", str(undeliverable)])
    assert done.exit_code == 1 and "NOT DELIVERABLE" in done.output and "£25,000" in done.output
    done = runner.invoke(app, ["check", str(fine)])
    assert done.exit_code == 0 and "DELIVERABLE" in done.output
    assert runner.invoke(app, ["check", str(bad)]).exit_code == 2
    assert runner.invoke(app, ["check", str(fine), "--format", "xml"]).exit_code == 2


def test_cli_solve_sensitivity_prints_sentences(tmp_path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(two_roles(budget_gbp=1_000_000)))
    done = runner.invoke(app, ["solve", str(path), "--sensitivity"])
    assert done.exit_code == 0, done.output
    assert "Sensitivity" in done.output and "saves £50,000 a year" in done.output


# --- what a user reads --------------------------------------------------------------------------
INTERNALS = ("cannot be negative", "bound:", "_", "rows", "lever ", "column")


def user_text(result: dict) -> list[str]:
    """Every sentence of a check result a person reads (JSON sentences, the summary and the text report)."""
    from optimiser.deliverability.wording import report_lines

    texts = [result["summary"], *report_lines(result)]
    texts += (result.get("conflict") or {}).get("sentences", [])
    texts += [lever["sentence"] for lever in result["levers"]]
    texts += (result.get("relaxation") or {}).get("sentences", [])
    return texts


@pytest.mark.parametrize("case", [base, supply_case, safe_working_case, per_practice_case, two_services_case])
def test_explanations_show_no_solver_internals(case) -> None:
    """Column bounds of an IIS (e.g. no one is hired a negative amount) stay in the machine-readable
    rule list but get no sentence; no sentence names a rule family, variable or row."""
    result = check(load_scenario(case())).result
    for text in user_text(result):
        for word in INTERNALS:
            if word == "_" and text.startswith("(scenario "):
                continue  # the report's provenance line names the solver version
            assert word not in text, (word, text)


def test_bound_members_are_kept_for_machines_but_not_worded() -> None:
    result = check(load_scenario(two_services_case())).result
    rules = [group["rule"] for group in result["conflict"]["rules"]]
    assert any(rule.startswith("bound:") for rule in rules)  # the IIS has a column bound
    headline, *sentences = result["conflict"]["sentences"]
    assert len(sentences) == len([r for r in rules if not r.startswith("bound:")])
    assert "irreducible infeasible set of 5 rules" in headline


def test_sensitivity_sentences_use_plain_words() -> None:
    result = run_job("solve", two_roles(budget_gbp=1_000_000), {"sensitivity": True}).result
    sentences = result["sensitivity"]["sentences"]
    assert sentences[-1].startswith("Limits reached by this allocation: ")
    for text in sentences:
        assert "_" not in text and "rows" not in text, text
