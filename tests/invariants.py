"""Re-check every rule of formulation.md section 4 on a solution, independently of the model.

The checks recompute each rule from the scenario tables and the solution's variable values
(not from the Pyomo constraints), so a rule that was built wrongly is caught.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from optimiser.programme import Programme, SolveOutcome

TOL = 1e-6


def _close_le(lhs: float, rhs: float, what: str) -> None:
    assert lhs <= rhs + TOL * max(1.0, abs(rhs)), f"{what}: {lhs} > {rhs}"


def check_invariants(programme: Programme, outcome: SolveOutcome) -> None:
    assert outcome.col_value is not None
    scenario = programme.scenario
    values = outcome.col_value
    cov = programme.column_values("cov", values).to_dict()
    x = programme.column_values("x", values).to_dict()
    h = programme.column_values("h", values).to_dict()
    e = programme.column_values("e", values).to_dict()
    claim = programme.column_values("claim", values).to_dict()

    practices = scenario.practices
    services = scenario.services
    roles = scenario.roles
    pcn_of = practices["pcn_id"].to_dict()
    practice_ids = set(practices.index)

    eligible = {
        (p, s): practices.at[p, "list_size"] * services.at[s, "prevalence"]
        for p in practices.index
        for s in services.index
    }
    for row in scenario.eligibility.itertuples():
        eligible[row.practice_id, row.service_id] = row.eligible_patients

    staff_practice: dict[tuple[str, str], float] = defaultdict(float)
    staff_pcn: dict[tuple[str, str], float] = defaultdict(float)
    for row in scenario.staff.itertuples():
        target = staff_practice if row.holder_id in practice_ids else staff_pcn
        target[row.holder_id, row.role_id] += row.fte

    for v in list(cov.values()) + list(x.values()) + list(h.values()) + list(e.values()) + list(claim.values()):
        assert v >= -TOL, f"negative variable {v}"

    def fte(p: str, r: str) -> float:
        return staff_practice[p, r] + e.get((p, r), 0.0) + h.get((p, r), 0.0)

    minutes = {(row.service_id, row.role_id): row.minutes_per_contact for row in scenario.skill_mix.itertuples()}
    delivered_ps: dict[tuple[str, str], float] = defaultdict(float)
    minutes_pr: dict[tuple[str, str], float] = defaultdict(float)
    contacts_pr: dict[tuple[str, str], float] = defaultdict(float)
    for (p, s, r), v in x.items():
        delivered_ps[p, s] += v
        minutes_pr[p, r] += minutes[s, r] * v
        contacts_pr[p, r] += v

    # min_standard, max_coverage, activity
    for (p, s), covered in cov.items():
        assert covered >= services.at[s, "min_coverage"] * eligible[p, s] - TOL * max(1, eligible[p, s]), (
            f"min_standard {p},{s}"
        )
        _close_le(covered, services.at[s, "max_coverage"] * eligible[p, s], f"max_coverage {p},{s}")
        delivered = delivered_ps[p, s]
        assert abs(delivered - services.at[s, "contacts_per_patient"] * covered) <= TOL * max(1, delivered), (
            f"activity {p},{s}"
        )

    for p in practices.index:
        for r in roles.index:
            used = minutes_pr[p, r]
            _close_le(used, 60 * roles.at[r, "clinical_hours_per_fte"] * fte(p, r), f"clinical_time {p},{r}")
            cap = roles.at[r, "max_contacts_per_day"]
            if not np.isnan(cap):
                contacts = contacts_pr[p, r]
                _close_le(contacts, cap * roles.at[r, "working_days_per_fte"] * fte(p, r), f"safe_working {p},{r}")

    for (n, r), available in staff_pcn.items():
        deployed = sum(v for (p, rr), v in e.items() if rr == r and pcn_of[p] == n)
        _close_le(deployed, available, f"pcn_deployment {n},{r}")

    for r in roles.index:
        supply = roles.at[r, "supply_max_fte"]
        if not np.isnan(supply):
            _close_le(sum(v for (_, rr), v in h.items() if rr == r), supply, f"workforce_supply {r}")
        step = roles.at[r, "fte_step"]
        if not np.isnan(step):
            if roles.at[r, "category"] == "arrs":
                groups: dict[str, float] = defaultdict(float)
                for (p, rr), v in h.items():
                    if rr == r:
                        groups[pcn_of[p]] += v
                totals = list(groups.values())
            else:
                totals = [v for (_, rr), v in h.items() if rr == r]
            for total in totals:
                assert abs(total / step - round(total / step)) <= 1e-5, f"hiring_step {r}: {total}"

    settings = scenario.settings
    gp_roles = [r for r in roles.index if roles.at[r, "category"] == "gp"]
    if settings.gp_fte_per_10k_weighted is not None:
        for p in practices.index:
            floor = settings.gp_fte_per_10k_weighted * practices.at[p, "weighted_list_size"] / 10_000
            assert sum(fte(p, r) for r in gp_roles) >= floor - TOL, f"gp_floor {p}"
    if settings.gp_fte_target_total is not None:
        total_gp = sum(fte(p, r) for p in practices.index for r in gp_roles)
        assert total_gp >= settings.gp_fte_target_total - TOL, "gp_target_total"

    reimb = {
        r: min(roles.at[r, "cost_per_fte_gbp"], roles.at[r, "arrs_reimbursement_max_gbp"])
        for r in roles.index
        if roles.at[r, "category"] == "arrs" and not np.isnan(roles.at[r, "arrs_reimbursement_max_gbp"])
    }
    for p in practices.index:
        _close_le(claim[p], sum(reimb[r] * h.get((p, r), 0.0) for r in reimb), f"arrs_claim {p}")
    for n in scenario.pcns.index:
        members = [p for p in practices.index if pcn_of[p] == n]
        if not members:
            continue
        used = sum(rate * (staff_pcn[n, r] + sum(staff_practice[p, r] for p in members)) for r, rate in reimb.items())
        headroom = max(0.0, scenario.pcns.at[n, "arrs_entitlement_gbp"] - used)
        _close_le(sum(claim[p] for p in members), headroom, f"arrs_entitlement {n}")

    spend = {
        p: sum(roles.at[r, "cost_per_fte_gbp"] * h.get((p, r), 0.0) for r in roles.index) - claim[p]
        for p in practices.index
    }
    if settings.budget_mode == "pooled":
        _close_le(sum(spend.values()), float(settings.budget_gbp or 0.0), "budget")
    else:
        rate = float(settings.offer_rate_gbp_per_weighted_patient or 0.0)
        for p in practices.index:
            _close_le(spend[p], rate * practices.at[p, "weighted_list_size"], f"practice_budget {p}")

    if settings.objective == "min_cost" and outcome.status == "optimal":
        assert outcome.objective_value is not None
        assert abs(sum(spend.values()) - outcome.objective_value) <= 1e-6 * max(1.0, abs(outcome.objective_value))

    # Fair shares (docs/fairness.md): no practice below its floor.
    weighted = practices["weighted_list_size"].to_dict()
    for p in practices.index:
        floor = (settings.practice_floor_gbp_per_weighted_patient or 0.0) * weighted[p]
        prior = practices.at[p, "prior_funding_gbp"]
        if settings.no_practice_below_prior and not np.isnan(prior):
            floor = max(floor, prior)
        assert spend[p] >= floor - TOL * max(1.0, floor), f"practice_floor {p}: {spend[p]} < {floor}"

    # max_min_coverage: the lowest practice's coverage share is the reported objective.
    if settings.objective == "max_min_coverage" and outcome.status == "optimal":
        weight = services["value_weight"].to_dict()
        shares = []
        for p in practices.index:
            potential = sum(weight[s] * eligible[p, s] for s in services.index)
            if potential > 0:
                shares.append(sum(weight[s] * cov[p, s] for s in services.index) / potential)
        assert outcome.objective_value is not None
        lowest = min(shares) if shares else 1.0
        assert abs(lowest - outcome.objective_value) <= 1e-6, f"lowest coverage {lowest} != {outcome.objective_value}"
