"""One tiny instance per rule family whose optimum changes in a hand-derived way when the rule binds.

BASE (tests/conftest.py): one practice of 10,000 patients, a review for 10% of them with a
50% standard (500 patients, 1 contact of 12 minutes each = 100 clinical hours) delivered
by a GP costing £100,000 for 1,000 clinical hours a year. Least spend: 0.1 FTE = £10,000.
"""

from __future__ import annotations

import pytest

from tests.conftest import BASE, base_document, solve_checked, with_settings

GP = BASE["roles"][0]


def objective(document: dict, **overrides: object) -> float:
    _, outcome = solve_checked(document, **overrides)
    assert outcome.status == "optimal", outcome.message
    assert outcome.objective_value is not None
    return outcome.objective_value


def test_base_least_spend() -> None:
    assert objective(base_document()) == pytest.approx(10_000)


def test_activity_and_min_standard_scale_with_the_standard() -> None:
    # 80% standard: 800 contacts × 12 min = 160 h = 0.16 FTE = £16,000.
    services = [{**BASE["services"][0], "min_coverage": 0.8}]
    assert objective(base_document(services=services)) == pytest.approx(16_000)
    # Two contacts per patient doubles the activity: £20,000.
    services = [{**BASE["services"][0], "contacts_per_patient": 2}]
    assert objective(base_document(services=services)) == pytest.approx(20_000)


def test_eligibility_overrides_prevalence() -> None:
    # 300 eligible instead of 1,000: 150 patients × 12 min = 30 h = £3,000.
    document = base_document(eligibility=[{"practice_id": "P1", "service_id": "review", "eligible_patients": 300}])
    assert objective(document) == pytest.approx(3_000)


def test_max_coverage_caps_value() -> None:
    # max_value: all 1,000 could be covered for £20,000, but max_coverage 0.9 stops at 900.
    services = [{**BASE["services"][0], "max_coverage": 0.9}]
    document = with_settings(base_document(services=services), objective="max_value")
    assert objective(document) == pytest.approx(900)
    # Ties broken by least spend: 900 contacts = 180 h = £18,000, not the whole budget.
    programme, outcome = solve_checked(document)
    assert outcome.col_value is not None
    spend = programme.column_values("h", outcome.col_value).sum() * 100_000
    assert spend == pytest.approx(18_000)


def test_clinical_time_counts_existing_staff() -> None:
    # 0.04 FTE in post gives 40 of the 100 hours: hire 0.06 FTE = £6,000.
    document = base_document(staff=[{"holder_id": "P1", "role_id": "gp", "fte": 0.04}])
    assert objective(document) == pytest.approx(6_000)


def test_safe_working_cap_binds() -> None:
    # Cap 2 contacts/day × 200 days = 400 contacts per FTE; 500 contacts need 1.25 FTE = £125,000.
    roles = [{**GP, "max_contacts_per_day": 2}]
    assert objective(base_document(roles=roles)) == pytest.approx(125_000)
    # With 100 working days the cap allows 200 contacts per FTE: 2.5 FTE = £250,000.
    roles = [{**GP, "max_contacts_per_day": 2, "working_days_per_fte": 100}]
    assert objective(base_document(roles=roles)) == pytest.approx(250_000)


def test_pcn_deployment_limits_shared_staff() -> None:
    # 0.04 FTE held by the PCN can be deployed: hire 0.06 = £6,000.
    assert objective(base_document(staff=[{"holder_id": "N1", "role_id": "gp", "fte": 0.04}])) == pytest.approx(6_000)
    # Two practices share the PCN's 0.04 FTE: they need 0.2 FTE between them, so 0.16 is hired = £16,000.
    practices = [
        {"practice_id": "P1", "pcn_id": "N1", "list_size": 10_000},
        {"practice_id": "P2", "pcn_id": "N1", "list_size": 10_000},
    ]
    document = base_document(practices=practices, staff=[{"holder_id": "N1", "role_id": "gp", "fte": 0.04}])
    assert objective(document) == pytest.approx(16_000)


def test_workforce_supply_forces_dearer_role() -> None:
    # GP supply 0.06 FTE; the other 40 h come from a £200,000 locum: 6,000 + 8,000 = £14,000.
    roles = [
        {**GP, "supply_max_fte": 0.06},
        {"role_id": "locum", "category": "other", "cost_per_fte_gbp": 200_000, "clinical_hours_per_fte": 1_000},
    ]
    skill_mix = [*BASE["skill_mix"], {"service_id": "review", "role_id": "locum", "minutes_per_contact": 12}]
    assert objective(base_document(roles=roles, skill_mix=skill_mix)) == pytest.approx(14_000)


def test_gp_floor_per_practice() -> None:
    # 0.5 GP FTE per 10,000 weighted patients; weighted list 12,000 → 0.6 FTE = £60,000.
    practices = [{"practice_id": "P1", "pcn_id": "N1", "list_size": 10_000, "weighted_list_size": 12_000}]
    document = with_settings(base_document(practices=practices), gp_fte_per_10k_weighted=0.5)
    assert objective(document) == pytest.approx(60_000)


def test_gp_target_total() -> None:
    assert objective(with_settings(base_document(), gp_fte_target_total=0.3)) == pytest.approx(30_000)


def arrs_document(entitlement: float, staff: list | None = None) -> dict:
    # A clinical pharmacist (ARRS) costs £60,000, reimbursed up to £50,000; the GP costs more per hour.
    roles = [
        GP,
        {
            "role_id": "cp",
            "category": "arrs",
            "cost_per_fte_gbp": 60_000,
            "clinical_hours_per_fte": 1_000,
            "arrs_reimbursement_max_gbp": 50_000,
        },
    ]
    skill_mix = [*BASE["skill_mix"], {"service_id": "review", "role_id": "cp", "minutes_per_contact": 12}]
    return base_document(
        roles=roles,
        skill_mix=skill_mix,
        pcns=[{"pcn_id": "N1", "arrs_entitlement_gbp": entitlement}],
        staff=staff or [],
    )


def test_arrs_claim_is_limited_by_reimbursement() -> None:
    # 0.1 FTE pharmacist: £6,000 cost, claim up to 0.1 × £50,000 = £5,000 → spend £1,000.
    assert objective(arrs_document(entitlement=1_000_000)) == pytest.approx(1_000)


def test_arrs_entitlement_limits_claims() -> None:
    # Entitlement £2,000 caps the claim: 6,000 − 2,000 = £4,000.
    assert objective(arrs_document(entitlement=2_000)) == pytest.approx(4_000)
    # 0.02 FTE pharmacist in post uses 0.02 × 50,000 = £1,000 of it and 20 h of the work:
    # hire 0.08 FTE = £4,800, claim min(£4,000, headroom £1,000) → spend £3,800.
    staff = [{"holder_id": "P1", "role_id": "cp", "fte": 0.02}]
    assert objective(arrs_document(entitlement=2_000, staff=staff)) == pytest.approx(3_800)


def test_default_entitlement_uses_the_arrs_rate() -> None:
    # Blank entitlement = 22.894 × 10,000 weighted patients = £228,940 ≫ the £5,000 claim.
    document = arrs_document(entitlement=0)
    document["pcns"] = [{"pcn_id": "N1"}]
    assert objective(document) == pytest.approx(1_000)


def test_pooled_budget_makes_it_infeasible_and_limits_value() -> None:
    _, outcome = solve_checked(with_settings(base_document(), budget_gbp=9_999))
    assert outcome.status == "infeasible"
    assert outcome.objective_value is None
    # max_value with no standard: £5,000 buys 0.05 FTE = 50 h = 250 contacts = 250 patients.
    services = [{**BASE["services"][0], "min_coverage": 0}]
    document = with_settings(base_document(services=services), budget_gbp=5_000, objective="max_value")
    assert objective(document) == pytest.approx(250)


def test_practice_budgets_do_not_pool() -> None:
    # P1 (weighted 10,000) gets £10,000 → 0.1 FTE → 500 patients.
    # P2 (weighted 4,000, only 100 eligible) gets £4,000 → could do 200, covers its 100.
    # Per-practice value 600; pooling the same £14,000 buys 0.14 FTE = 700 patients.
    practices = [
        {"practice_id": "P1", "pcn_id": "N1", "list_size": 10_000},
        {"practice_id": "P2", "pcn_id": "N1", "list_size": 10_000, "weighted_list_size": 4_000},
    ]
    services = [{**BASE["services"][0], "min_coverage": 0}]
    eligibility = [{"practice_id": "P2", "service_id": "review", "eligible_patients": 100}]
    document = base_document(practices=practices, services=services, eligibility=eligibility)
    per_practice = with_settings(
        document,
        budget_mode="per_practice",
        offer_rate_gbp_per_weighted_patient=1.0,
        objective="max_value",
        budget_gbp=None,
    )
    assert objective(per_practice) == pytest.approx(600)
    pooled = with_settings(document, budget_gbp=14_000, objective="max_value")
    assert objective(pooled) == pytest.approx(700)


def test_hiring_step_makes_whole_steps() -> None:
    # Practice hiring in 0.25 FTE steps: 0.1 needed → 0.25 FTE = £25,000.
    roles = [{**GP, "fte_step": 0.25}]
    programme, outcome = solve_checked(base_document(roles=roles))
    assert programme.is_mip
    assert outcome.objective_value == pytest.approx(25_000)


def test_arrs_hiring_step_is_per_pcn() -> None:
    # Two practices each need 0.1 FTE of pharmacist; the PCN hires in 0.5 FTE steps.
    # One step (0.5 FTE, £30,000) serves both: claim 0.5 × £50,000 = £25,000 → spend £5,000.
    document = arrs_document(entitlement=1_000_000)
    document["practices"] = [
        {"practice_id": "P1", "pcn_id": "N1", "list_size": 10_000},
        {"practice_id": "P2", "pcn_id": "N1", "list_size": 10_000},
    ]
    document["roles"][1]["fte_step"] = 0.5
    document["roles"][0]["supply_max_fte"] = 0
    assert objective(document) == pytest.approx(5_000)


def test_objective_override_and_budget_override() -> None:
    services = [{**BASE["services"][0], "min_coverage": 0}]
    document = base_document(services=services)
    assert objective(document) == pytest.approx(0)
    assert objective(document, objective="max_value", budget_gbp=2_000) == pytest.approx(100)


def test_standards_fraction_override_scales_every_standard() -> None:
    assert objective(base_document(), standards_fraction=0.5) == pytest.approx(5_000)


def test_bundled_tiny_scenario_matches_its_hand_derived_optimum() -> None:
    # data/tiny/README.md works this out by hand: £37,000 a year.
    from optimiser.io import read_document
    from tests.conftest import DATA

    programme, outcome = solve_checked(read_document(DATA / "tiny"))
    assert outcome.objective_value == pytest.approx(37_000)
    assert outcome.col_value is not None
    hires = programme.column_values("h", outcome.col_value).groupby(level=1).sum()
    assert hires["salaried_gp"] == pytest.approx(0.3)
    assert hires["clinical_pharmacist"] == pytest.approx(0.45)
