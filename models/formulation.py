"""The allocation programme of ``shared/docs/formulation.md`` in Pyomo.

Pipeline: ``derive(scenario)`` computes the derived data of section 2 over sparse index
sets, then ``build_model(data)`` declares the variables of section 3 and calls one
``define_<rule>`` function per rule family of section 4; each constraint component is
named after its rule, which is how solver rows map back to business rules.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from models.scenario import Scenario

if TYPE_CHECKING:
    import pyomo.environ as pyo
else:

    class _Pyomo:
        """``pyomo.environ``, imported on first use: deriving the data (and the array build) needs no Pyomo."""

        def __getattr__(self, name: str) -> Any:
            import pyomo.environ

            return getattr(pyomo.environ, name)

    pyo = _Pyomo()

MINUTES_PER_HOUR = 60.0

# Rule families in contract order; the names are part of the contract.
RULES: tuple[str, ...] = (
    "activity",
    "min_standard",
    "max_coverage",
    "clinical_time",
    "safe_working",
    "pcn_deployment",
    "workforce_supply",
    "gp_floor",
    "gp_target_total",
    "arrs_claim",
    "arrs_entitlement",
    "budget",
    "practice_budget",
    "hiring_step",
    # Fair shares (docs/fairness.md): off by default.
    "practice_floor",
    "coverage_level",
)


@dataclass
class ProgrammeData:
    """Derived data (formulation.md section 2) over sparse index sets, in input order."""

    practices: list[str]
    services: list[str]
    roles: list[str]
    pcns: list[str]
    pcn_of: dict[str, str]
    members: dict[str, list[str]]
    eligible: dict[tuple[str, str], float]
    staff_practice: dict[tuple[str, str], float]
    staff_pcn: dict[tuple[str, str], float]
    reimbursement: dict[str, float]
    headroom: dict[str, float]
    skill_minutes: dict[tuple[str, str], float]
    roles_for_service: dict[str, list[str]]
    services_for_role: dict[str, list[str]]
    cost: dict[str, float]
    clinical_minutes: dict[str, float]
    contact_cap_per_fte: dict[str, float]
    supply_max: dict[str, float]
    fte_step: dict[str, float]
    gp_roles: list[str]
    arrs_roles: list[str]
    contacts_per_patient: dict[str, float]
    min_coverage: dict[str, float]
    max_coverage: dict[str, float]
    value_weight: dict[str, float]
    weighted_list: dict[str, float]
    practice_budget: dict[str, float] = field(default_factory=dict)
    # Fair shares (docs/fairness.md). prior_funding: practices that carry prior_funding_gbp;
    # practice_floor: the £/year floor of each practice it applies to (only floors > 0; empty when off);
    # coverage_weight[p]: {s: value_weight[s] / Σ_s' value_weight[s'] × E[p,s']} for practices whose
    # weighted eligible total is > 0, so Σ_s coverage_weight[p][s] × cov[p,s] is p's coverage share
    # (only for the objective max_min_coverage, the one rule that uses it; empty otherwise).
    prior_funding: dict[str, float] = field(default_factory=dict)
    practice_floor: dict[str, float] = field(default_factory=dict)
    coverage_weight: dict[str, dict[str, float]] = field(default_factory=dict)


def derive(scenario: Scenario) -> ProgrammeData:
    """Compute the derived data of formulation.md section 2."""
    practices = scenario.practices
    services = scenario.services
    roles = scenario.roles
    settings = scenario.settings

    practice_ids = list(practices.index)
    service_ids = list(services.index)
    role_ids = list(roles.index)
    pcn_of = dict(zip(practice_ids, practices["pcn_id"], strict=True))
    members: dict[str, list[str]] = defaultdict(list)
    for p in practice_ids:
        members[pcn_of[p]].append(p)
    pcn_ids = [n for n in scenario.pcns.index if members.get(n)]

    # E[p,s] = eligibility if given, else prevalence[s] × list_size[p] (not rounded).
    grid = pd.MultiIndex.from_product([practice_ids, service_ids], names=["practice_id", "service_id"])
    list_size = practices["list_size"].astype(float).reindex(grid.get_level_values(0)).to_numpy()
    prevalence = services["prevalence"].reindex(grid.get_level_values(1)).to_numpy()
    eligible_series = pd.Series(list_size * prevalence, index=grid)
    if len(scenario.eligibility):
        override = scenario.eligibility.set_index(["practice_id", "service_id"])["eligible_patients"]
        eligible_series.loc[override.index] = override.to_numpy()
    eligible = dict(zip(eligible_series.index, eligible_series.to_numpy().tolist(), strict=True))

    staff = scenario.staff
    held_by_practice = staff["holder_id"].isin(set(practice_ids))
    staff_practice = staff[held_by_practice].groupby(["holder_id", "role_id"])["fte"].sum()
    staff_pcn = staff[~held_by_practice].groupby(["holder_id", "role_id"])["fte"].sum()
    staff_practice_map = {k: float(v) for k, v in staff_practice.items() if v > 0}
    staff_pcn_map = {k: float(v) for k, v in staff_pcn.items() if v > 0}

    cost = roles["cost_per_fte_gbp"].astype(float).to_dict()
    arrs_roles = [r for r in role_ids if roles.at[r, "category"] == "arrs"]
    reimbursement = {
        r: min(cost[r], float(roles.at[r, "arrs_reimbursement_max_gbp"]))
        for r in arrs_roles
        if pd.notna(roles.at[r, "arrs_reimbursement_max_gbp"])
    }
    headroom = {}
    for n in pcn_ids:
        used = sum(
            rate * (staff_pcn_map.get((n, r), 0.0) + sum(staff_practice_map.get((p, r), 0.0) for p in members[n]))
            for r, rate in reimbursement.items()
        )
        headroom[n] = max(0.0, float(scenario.pcns.at[n, "arrs_entitlement_gbp"]) - used)

    skill_minutes: dict[tuple[str, str], float] = {}
    roles_for_service: dict[str, list[str]] = defaultdict(list)
    services_for_role: dict[str, list[str]] = defaultdict(list)
    for s, r, minutes in scenario.skill_mix[["service_id", "role_id", "minutes_per_contact"]].itertuples(index=False):
        skill_minutes[(s, r)] = float(minutes)
        roles_for_service[s].append(r)
        services_for_role[r].append(s)

    cap = roles["max_contacts_per_day"] * roles["working_days_per_fte"]
    weighted = practices["weighted_list_size"].astype(float).to_dict()
    practice_budget = {}
    if settings.budget_mode == "per_practice":
        rate = float(settings.offer_rate_gbp_per_weighted_patient or 0.0)
        practice_budget = {p: rate * weighted[p] for p in practice_ids}

    prior_funding = practices["prior_funding_gbp"].dropna().astype(float).to_dict()
    practice_floor = practice_floors(
        practice_ids,
        weighted,
        prior_funding if settings.no_practice_below_prior else {},
        settings.practice_floor_gbp_per_weighted_patient,
    )
    value_weight = services["value_weight"].astype(float).to_dict()

    return ProgrammeData(
        practices=practice_ids,
        services=service_ids,
        roles=role_ids,
        pcns=pcn_ids,
        pcn_of=pcn_of,
        members=dict(members),
        eligible=eligible,
        staff_practice=staff_practice_map,
        staff_pcn=staff_pcn_map,
        reimbursement=reimbursement,
        headroom=headroom,
        skill_minutes=skill_minutes,
        roles_for_service=dict(roles_for_service),
        services_for_role=dict(services_for_role),
        cost=cost,
        clinical_minutes=(roles["clinical_hours_per_fte"].astype(float) * MINUTES_PER_HOUR).to_dict(),
        contact_cap_per_fte=cap.dropna().astype(float).to_dict(),
        supply_max=roles["supply_max_fte"].dropna().astype(float).to_dict(),
        fte_step=roles["fte_step"].dropna().astype(float).to_dict(),
        gp_roles=[r for r in role_ids if roles.at[r, "category"] == "gp"],
        arrs_roles=arrs_roles,
        contacts_per_patient=services["contacts_per_patient"].astype(float).to_dict(),
        min_coverage=services["min_coverage"].astype(float).to_dict(),
        max_coverage=services["max_coverage"].astype(float).to_dict(),
        value_weight=services["value_weight"].astype(float).to_dict(),
        weighted_list=weighted,
        practice_budget=practice_budget,
        prior_funding=prior_funding,
        practice_floor=practice_floor,
        coverage_weight=(
            coverage_weights(practice_ids, service_ids, eligible, value_weight)
            if settings.objective == "max_min_coverage"
            else {}
        ),
    )


def practice_floors(
    practice_ids: list[str], weighted: dict[str, float], prior: dict[str, float], rate: float | None
) -> dict[str, float]:
    """floor[p] = max(prior_funding[p] (if no_practice_below_prior), rate × weighted_list_size[p]); only floors > 0."""
    floors = {}
    for p in practice_ids:
        floor = max(prior.get(p, 0.0), (rate or 0.0) * weighted[p])
        if floor > 0:
            floors[p] = floor
    return floors


def coverage_weights(
    practice_ids: list[str],
    service_ids: list[str],
    eligible: dict[tuple[str, str], float],
    value_weight: dict[str, float],
) -> dict[str, dict[str, float]]:
    """Coefficients of a practice's coverage share: value_weight[s] / Σ_s' value_weight[s'] × E[p,s'].

    coverage[p] = Σ_s value_weight[s] × cov[p,s] / Σ_s value_weight[s] × E[p,s]: the share of the value
    its eligible patients could get (max_value's measure, per practice). Practices whose weighted
    eligible total is 0 have no coverage share; services with weight 0 have no term.
    """
    weights: dict[str, dict[str, float]] = {}
    for p in practice_ids:
        potential = sum(value_weight[s] * eligible[p, s] for s in service_ids)
        if potential > 0:
            weights[p] = {s: value_weight[s] / potential for s in service_ids if value_weight[s] > 0}
    return weights


def workforce(m: pyo.ConcreteModel, d: ProgrammeData, p: str, r: str) -> pyo.Expression:
    """F[p,r] = staff_prac[p,r] + e[p,r] + h[p,r]: FTE of role r working for practice p."""
    fte = d.staff_practice.get((p, r), 0.0) + m.h[p, r]
    if (p, r) in m.DEPLOYABLE:
        fte = fte + m.e[p, r]
    return fte


def spend(m: pyo.ConcreteModel, d: ProgrammeData, p: str) -> pyo.Expression:
    """spend[p] = Σ_r cost[r] × h[p,r] − claim[p]."""
    return sum(d.cost[r] * m.h[p, r] for r in d.roles) - m.claim[p]


def define_variables(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """Variables of section 3 over sparse index sets."""
    m.PRACTICES = pyo.Set(initialize=d.practices, ordered=True)
    m.SERVICES = pyo.Set(initialize=d.services, ordered=True)
    m.ROLES = pyo.Set(initialize=d.roles, ordered=True)
    m.PCNS = pyo.Set(initialize=d.pcns, ordered=True)
    m.PRACTICE_SERVICE = pyo.Set(initialize=[(p, s) for p in d.practices for s in d.services], dimen=2)
    m.DELIVERY = pyo.Set(
        initialize=[(p, s, r) for p in d.practices for s in d.services for r in d.roles_for_service[s]], dimen=3
    )
    m.PRACTICE_ROLE = pyo.Set(initialize=[(p, r) for p in d.practices for r in d.roles], dimen=2)
    m.DEPLOYABLE = pyo.Set(
        initialize=[(p, r) for p in d.practices for r in d.roles if (d.pcn_of[p], r) in d.staff_pcn], dimen=2
    )

    m.cov = pyo.Var(m.PRACTICE_SERVICE, domain=pyo.NonNegativeReals)
    m.x = pyo.Var(m.DELIVERY, domain=pyo.NonNegativeReals)
    m.h = pyo.Var(m.PRACTICE_ROLE, domain=pyo.NonNegativeReals)
    m.e = pyo.Var(m.DEPLOYABLE, domain=pyo.NonNegativeReals)
    m.claim = pyo.Var(m.PRACTICES, domain=pyo.NonNegativeReals)

    # Whole-step hiring units: the PCN for ARRS roles, the practice otherwise.
    m.STEP_UNIT = pyo.Set(
        initialize=[
            (unit, r) for r in d.roles if r in d.fte_step for unit in (d.pcns if r in d.arrs_roles else d.practices)
        ],
        dimen=2,
    )
    m.k = pyo.Var(m.STEP_UNIT, domain=pyo.NonNegativeIntegers)


def define_activity(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """activity[p,s]: Σ_r x[p,s,r] = contacts_per_patient[s] × cov[p,s]."""

    def rule(m: pyo.ConcreteModel, p: str, s: str) -> pyo.Expression:
        return sum(m.x[p, s, r] for r in d.roles_for_service[s]) == d.contacts_per_patient[s] * m.cov[p, s]

    m.activity = pyo.Constraint(m.PRACTICE_SERVICE, rule=rule)


def define_min_standard(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """min_standard[p,s]: cov[p,s] ≥ min_coverage[s] × E[p,s]."""
    m.min_standard = pyo.Constraint(
        m.PRACTICE_SERVICE, rule=lambda m, p, s: m.cov[p, s] >= d.min_coverage[s] * d.eligible[p, s]
    )


def define_max_coverage(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """max_coverage[p,s]: cov[p,s] ≤ max_coverage[s] × E[p,s]."""
    m.max_coverage = pyo.Constraint(
        m.PRACTICE_SERVICE, rule=lambda m, p, s: m.cov[p, s] <= d.max_coverage[s] * d.eligible[p, s]
    )


def define_clinical_time(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """clinical_time[p,r]: Σ_s minutes[s,r] × x[p,s,r] ≤ 60 × clinical_hours_per_fte[r] × F[p,r].

    Only for roles that deliver some service; for the others the rule holds trivially.
    """
    index = [(p, r) for p in d.practices for r in d.roles if d.services_for_role.get(r)]

    def rule(m: pyo.ConcreteModel, p: str, r: str) -> pyo.Expression:
        used = sum(d.skill_minutes[s, r] * m.x[p, s, r] for s in d.services_for_role[r])
        return used <= d.clinical_minutes[r] * workforce(m, d, p, r)

    m.clinical_time = pyo.Constraint(index, rule=rule)


def define_safe_working(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """safe_working[p,r] for capped roles: Σ_s x[p,s,r] ≤ max_contacts_per_day[r] × working_days[r] × F[p,r]."""
    index = [(p, r) for p in d.practices for r in d.roles if r in d.contact_cap_per_fte and d.services_for_role.get(r)]

    def rule(m: pyo.ConcreteModel, p: str, r: str) -> pyo.Expression:
        contacts = sum(m.x[p, s, r] for s in d.services_for_role[r])
        return contacts <= d.contact_cap_per_fte[r] * workforce(m, d, p, r)

    m.safe_working = pyo.Constraint(index, rule=rule)


def define_pcn_deployment(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """pcn_deployment[n,r]: Σ_{p∈n} e[p,r] ≤ staff_pcn[n,r]."""
    index = [(n, r) for (n, r) in d.staff_pcn if n in d.members]
    m.pcn_deployment = pyo.Constraint(
        index, rule=lambda m, n, r: sum(m.e[p, r] for p in d.members[n]) <= d.staff_pcn[n, r]
    )


def define_workforce_supply(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """workforce_supply[r] for roles with supply_max: Σ_p h[p,r] ≤ supply_max_fte[r]."""
    index = [r for r in d.roles if r in d.supply_max]
    m.workforce_supply = pyo.Constraint(index, rule=lambda m, r: sum(m.h[p, r] for p in d.practices) <= d.supply_max[r])


def define_gp_floor(m: pyo.ConcreteModel, d: ProgrammeData, per_10k: float | None) -> None:
    """gp_floor[p] (if set): Σ_{r: gp} F[p,r] ≥ gp_fte_per_10k_weighted × weighted_list_size[p] / 10,000."""
    if per_10k is None:
        return
    m.gp_floor = pyo.Constraint(
        m.PRACTICES,
        rule=lambda m, p: sum(workforce(m, d, p, r) for r in d.gp_roles) >= per_10k * d.weighted_list[p] / 10_000,
    )


def define_gp_target_total(m: pyo.ConcreteModel, d: ProgrammeData, target: float | None) -> None:
    """gp_target_total (if set): Σ_{p, r: gp} F[p,r] ≥ gp_fte_target_total."""
    if target is None:
        return
    m.gp_target_total = pyo.Constraint(
        expr=sum(workforce(m, d, p, r) for p in d.practices for r in d.gp_roles) >= target
    )


def define_arrs_claim(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """arrs_claim[p]: claim[p] ≤ Σ_{r: arrs} reimb[r] × h[p,r]."""
    m.arrs_claim = pyo.Constraint(
        m.PRACTICES,
        rule=lambda m, p: m.claim[p] <= sum(rate * m.h[p, r] for r, rate in d.reimbursement.items()),
    )


def define_arrs_entitlement(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """arrs_entitlement[n]: Σ_{p∈n} claim[p] ≤ headroom[n]."""
    m.arrs_entitlement = pyo.Constraint(
        m.PCNS, rule=lambda m, n: sum(m.claim[p] for p in d.members[n]) <= d.headroom[n]
    )


def define_budget(m: pyo.ConcreteModel, d: ProgrammeData, budget_gbp: float) -> None:
    """budget (pooled mode): Σ_p spend[p] ≤ budget_gbp."""
    m.budget = pyo.Constraint(expr=sum(spend(m, d, p) for p in d.practices) <= budget_gbp)


def define_practice_budget(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """practice_budget[p] (per_practice mode): spend[p] ≤ offer_rate × weighted_list_size[p]."""
    m.practice_budget = pyo.Constraint(m.PRACTICES, rule=lambda m, p: spend(m, d, p) <= d.practice_budget[p])


def define_hiring_step(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """hiring_step for roles with fte_step: new FTE come in whole multiples of the step.

    ARRS roles are hired by the PCN: Σ_{p∈n} h[p,r] = fte_step[r] × k[n,r];
    other roles by the practice: h[p,r] = fte_step[r] × k[p,r].
    """

    def rule(m: pyo.ConcreteModel, unit: str, r: str) -> pyo.Expression:
        hired = d.members[unit] if r in d.arrs_roles else [unit]
        return sum(m.h[p, r] for p in hired) == d.fte_step[r] * m.k[unit, r]

    m.hiring_step = pyo.Constraint(m.STEP_UNIT, rule=rule)


def define_practice_floor(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """practice_floor[p] (fair shares, if set): spend[p] ≥ floor[p].

    floor[p] = max(prior_funding_gbp[p] when no_practice_below_prior, practice_floor_gbp_per_weighted_patient
    × weighted_list_size[p]); rows only where floor[p] > 0 (spend[p] ≥ 0 holds anyway, since claim[p] ≤
    Σ_r reimb[r] h[p,r] ≤ Σ_r cost[r] h[p,r]).
    """
    if not d.practice_floor:
        return
    index = [p for p in d.practices if p in d.practice_floor]
    m.practice_floor = pyo.Constraint(index, rule=lambda m, p: spend(m, d, p) >= d.practice_floor[p])


def define_coverage_level(m: pyo.ConcreteModel, d: ProgrammeData) -> None:
    """coverage_level[p] (objective max_min_coverage): coverage[p] − lowest_coverage ≥ 0.

    coverage[p] = Σ_s coverage_weight[p,s] × cov[p,s] (see ``coverage_weights``); lowest_coverage ∈ [0, 1]
    is the objective's auxiliary variable. Rows for the practices that have a coverage share.
    """
    m.lowest_coverage = pyo.Var(bounds=(0.0, 1.0))
    index = [p for p in d.practices if p in d.coverage_weight]

    def rule(m: pyo.ConcreteModel, p: str) -> pyo.Expression:
        share = sum(coef * m.cov[p, s] for s, coef in d.coverage_weight[p].items())
        return share - m.lowest_coverage >= 0

    m.coverage_level = pyo.Constraint(index, rule=rule)


def define_objective(m: pyo.ConcreteModel, d: ProgrammeData, objective: str) -> None:
    """min_cost: minimise Σ_p spend[p]. max_value: maximise Σ_{p,s} value_weight[s] × cov[p,s].

    max_min_coverage: maximise lowest_coverage (with ``define_coverage_level``: the lowest practice's
    coverage share).
    """
    if objective == "min_cost":
        m.objective = pyo.Objective(expr=sum(spend(m, d, p) for p in d.practices), sense=pyo.minimize)
    elif objective == "max_min_coverage":
        m.objective = pyo.Objective(expr=m.lowest_coverage, sense=pyo.maximize)
    else:
        m.objective = pyo.Objective(
            expr=sum(d.value_weight[s] * m.cov[p, s] for p, s in m.PRACTICE_SERVICE), sense=pyo.maximize
        )


def build_model(scenario: Scenario, data: ProgrammeData | None = None) -> tuple[pyo.ConcreteModel, ProgrammeData]:
    """Build the core programme for a validated scenario."""
    d = data or derive(scenario)
    settings = scenario.settings
    m = pyo.ConcreteModel(name="primary_care_allocation")
    define_variables(m, d)
    define_activity(m, d)
    define_min_standard(m, d)
    define_max_coverage(m, d)
    define_clinical_time(m, d)
    define_safe_working(m, d)
    define_pcn_deployment(m, d)
    define_workforce_supply(m, d)
    define_gp_floor(m, d, settings.gp_fte_per_10k_weighted)
    define_gp_target_total(m, d, settings.gp_fte_target_total)
    define_arrs_claim(m, d)
    define_arrs_entitlement(m, d)
    if settings.budget_mode == "pooled":
        define_budget(m, d, float(settings.budget_gbp or 0.0))
    else:
        define_practice_budget(m, d)
    define_hiring_step(m, d)
    define_practice_floor(m, d)
    if settings.objective == "max_min_coverage":
        define_coverage_level(m, d)
    define_objective(m, d, settings.objective)
    return m, d
