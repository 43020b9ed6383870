"""Property-based tests: every rule re-checked on the solutions of many generated scenarios."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import solve_checked, with_settings

CATEGORIES = ("gp", "nurse", "arrs", "other")


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n_pcns = draw(st.integers(1, 2))
    n_practices = draw(st.integers(1, 4))
    pcns = [
        {
            "pcn_id": f"N{i}",
            **({"arrs_entitlement_gbp": draw(st.sampled_from([0, 5_000, 50_000]))} if draw(st.booleans()) else {}),
        }
        for i in range(n_pcns)
    ]
    practices = [
        {
            "practice_id": f"P{i}",
            "pcn_id": f"N{draw(st.integers(0, n_pcns - 1))}",
            "list_size": draw(st.integers(500, 20_000)),
            "weighted_list_size": draw(st.floats(400, 25_000)),
        }
        for i in range(n_practices)
    ]
    roles = []
    for i in range(draw(st.integers(1, 3))):
        category = draw(st.sampled_from(CATEGORIES))
        role: dict[str, Any] = {
            "role_id": f"R{i}",
            "category": category,
            "cost_per_fte_gbp": draw(st.sampled_from([30_000, 60_000, 100_000])),
            "clinical_hours_per_fte": draw(st.sampled_from([800, 1_000, 1_400])),
        }
        if draw(st.booleans()):
            role["max_contacts_per_day"] = draw(st.sampled_from([5, 15, 25]))
        if draw(st.booleans()):
            role["supply_max_fte"] = draw(st.sampled_from([0, 0.5, 2]))
        if category == "arrs" and draw(st.booleans()):
            role["arrs_reimbursement_max_gbp"] = draw(st.sampled_from([20_000, 50_000, 90_000]))
        if draw(st.integers(0, 4)) == 0:
            role["fte_step"] = draw(st.sampled_from([0.1, 0.5]))
        roles.append(role)
    services = []
    skill_mix = []
    for j in range(draw(st.integers(1, 3))):
        low = draw(st.floats(0, 0.9))
        services.append(
            {
                "service_id": f"S{j}",
                "contacts_per_patient": draw(st.sampled_from([0.5, 1, 2])),
                "min_coverage": low,
                "max_coverage": draw(st.floats(low, 1)),
                "prevalence": draw(st.floats(0.005, 0.3)),
                "value_weight": draw(st.sampled_from([0.5, 1, 3])),
            }
        )
        chosen = draw(st.sets(st.integers(0, len(roles) - 1), min_size=1))
        skill_mix += [
            {"service_id": f"S{j}", "role_id": f"R{r}", "minutes_per_contact": draw(st.sampled_from([10, 15, 30]))}
            for r in sorted(chosen)
        ]
    holders = [p["practice_id"] for p in practices] + [n["pcn_id"] for n in pcns]
    staff = [
        {
            "holder_id": draw(st.sampled_from(holders)),
            "role_id": f"R{draw(st.integers(0, len(roles) - 1))}",
            "fte": draw(st.sampled_from([0.1, 0.5, 1.5])),
        }
        for _ in range(draw(st.integers(0, 4)))
    ]
    settings_: dict[str, Any] = {"objective": draw(st.sampled_from(["min_cost", "max_value"]))}
    if draw(st.booleans()):
        settings_["budget_gbp"] = draw(st.sampled_from([0, 20_000, 200_000, 2_000_000]))
    else:
        settings_["budget_mode"] = "per_practice"
        settings_["offer_rate_gbp_per_weighted_patient"] = draw(st.sampled_from([0.5, 5, 50]))
    if any(r["category"] == "gp" for r in roles) and draw(st.integers(0, 3)) == 0:
        settings_["gp_fte_per_10k_weighted"] = draw(st.sampled_from([0.1, 0.5]))
    return {
        "settings": settings_,
        "practices": practices,
        "pcns": pcns,
        "roles": roles,
        "staff": staff,
        "services": services,
        "skill_mix": skill_mix,
    }


PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_rule_holds_on_every_solution(document: dict[str, Any]) -> None:
    # solve_checked re-checks standards, budgets, clinical time, caps, supply, deployment and ARRS.
    _, outcome = solve_checked(document)
    assert outcome.status in ("optimal", "infeasible"), outcome.message


@PROPERTY_SETTINGS
@given(scenarios())
def test_pooled_deliverable_iff_least_spend_fits_the_budget(document: dict[str, Any]) -> None:
    document = with_settings(
        document, budget_mode="pooled", objective="min_cost", offer_rate_gbp_per_weighted_patient=None
    )
    budget = document["settings"].get("budget_gbp", 20_000)
    programme, unconstrained = solve_checked(with_settings(document, budget_gbp=1e12))
    _, constrained = solve_checked(with_settings(document, budget_gbp=budget))
    if unconstrained.status == "infeasible":
        assert constrained.status == "infeasible"
        return
    least = unconstrained.objective_value
    assert least is not None
    # A MIP's least spend is only known to within its relative gap.
    slack = (1e-4 if programme.is_mip else 1e-6) * max(1, budget, least) + 1e-4
    if least <= budget - slack:
        assert constrained.status == "optimal"
        assert constrained.objective_value == pytest.approx(least, rel=2e-4 if programme.is_mip else 1e-6, abs=1e-4)
    elif least > budget + slack:
        assert constrained.status == "infeasible"


@PROPERTY_SETTINGS
@given(scenarios(), st.sampled_from([20_000, 200_000]))
def test_more_money_never_lowers_value(document: dict[str, Any], budget: float) -> None:
    if any("fte_step" in r for r in document["roles"]):
        return  # a MIP's value is only within its gap; the LP statement is exact
    base = with_settings(
        document, budget_mode="pooled", objective="max_value", offer_rate_gbp_per_weighted_patient=None
    )
    _, low = solve_checked(with_settings(base, budget_gbp=budget))
    _, high = solve_checked(with_settings(base, budget_gbp=budget * 2))
    if low.status == "optimal":
        assert high.status == "optimal"
        assert low.objective_value is not None and high.objective_value is not None
        assert high.objective_value >= low.objective_value - 1e-6 * max(1, abs(low.objective_value))
