"""Seeded generator of SYNTHETIC commissioning scenarios (examples and benchmarks).

Everything this module produces is SYNTHETIC. The figures are calibrated to public
England-level statistics for 2024-25 (see ``shared/docs/domain.md``): practice list sizes,
PCN sizes, GP FTE per patient, ARRS reimbursement maxima and entitlement, disease
prevalence and the usual minimum standards. No row describes a real practice, PCN or
member of staff, and names are of the form "Synthetic Practice 001".

``generate_scenario`` returns a *scenario document* (the plain dict shape of
``docs/architecture.md``) and is deterministic for a given seed and arguments. It is
vectorised with numpy, so an England-sized scenario (6,300 practices, 1,250 PCNs) takes
a few seconds.

Calibration, in brief:

* list sizes are lognormal (sigma 0.575, which gives ~22% under 5,000 and ~5% over 20,000
  at an England-like mean of ~9,000-10,000). By default the mean is chosen so that the
  average PCN has ``pcn_mean_patients`` patients (47,000), which reproduces England
  (6,300 practices in 1,250 PCNs, mean list ~9,300) and a large urban ICB (230 practices in
  28 PCNs, ~1.3m patients; such ICBs have many small practices, so their mean is lower);
* weighted list = list x a Carr-Hill-like factor in [0.85, 1.25] driven by a per-practice
  deprivation score, which also raises long-term-condition prevalence (``eligibility``);
* practices are dealt to PCNs largest first, each to the currently smallest PCN, so PCNs
  are balanced-ish (a PCN holding a very large practice is bigger) and never empty;
* existing GP FTE ~ list / 2,300 per practice (~2,260 patients per GP FTE including the
  PCN-employed ARRS GPs), practice nurses ~ list / 3,800, HCAs ~ list / 6,500;
* PCN-held ARRS staff use ~``arrs_utilisation`` of each PCN's entitlement (about a tenth
  of PCNs are at or just over it), so most PCNs have headroom; about a tenth of PCNs have an
  explicit entitlement, the rest take the default rule;
* the base offer's minimum standards (same-day access and routine appointments at 2.5 and
  3 contacts per patient, 85% met, plus long-term-condition reviews, screening,
  immunisations, ...) ask for ~5 contacts per patient a year (England: ~5.8 appointments
  per patient a year), a little more than the existing workforce gives within the
  safe-working caps, so new hires are needed: about £11.6m a year for the default
  1.3m-patient ICB (the solver's min_cost, mostly practice nurses and ARRS staff inside the
  entitlement headroom; the built-in rough estimate is ~£14.6m). ``demand_scale`` moves
  this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

DEFAULT_ARRS_RATE_GBP = 22.894
LIST_SIZE_SIGMA = 0.575
MIN_LIST_SIZE = 900
MAX_LIST_SIZE = 80_000
PATIENTS_PER_PRACTICE_GP_FTE = 2_300.0
PATIENTS_PER_NURSE_FTE = 3_800.0
PATIENTS_PER_HCA_FTE = 6_500.0

Record = dict[str, Any]


@dataclass(frozen=True)
class RoleSpec:
    """A catalogue role. ``priority`` decides which roles survive when ``n_roles`` is small."""

    role_id: str
    name: str
    category: str
    cost_per_fte_gbp: float
    clinical_hours_per_fte: float
    priority: int
    max_contacts_per_day: float | None = None
    working_days_per_fte: float | None = None
    arrs_reimbursement_max_gbp: float | None = None
    # share of the existing ARRS workforce (FTE) in this role, before noise
    arrs_fte_weight: float = 0.0
    # new FTE hireable area-wide as a share of the existing FTE of the basis (None = no limit)
    supply_share: float | None = None
    supply_basis: str = "self"  # "self" or "gp" (all existing GP FTE)


@dataclass(frozen=True)
class ServiceSpec:
    """A catalogue service and the roles (with minutes per contact) that can deliver it."""

    service_id: str
    name: str
    prevalence: float
    contacts_per_patient: float
    min_coverage: float
    max_coverage: float
    value_weight: float
    priority: int
    skills: tuple[tuple[str, float], ...]
    # practice-level variation of eligible patients: loading on deprivation, own noise sd
    deprivation_loading: float = 0.0
    noise_sd: float = 0.12


_Spec = TypeVar("_Spec", RoleSpec, ServiceSpec)

# Display order; ``priority`` 1..12 is the base set of twelve roles.
# fmt: off
ROLE_CATALOGUE: tuple[RoleSpec, ...] = (
    RoleSpec("gp_partner", "GP partner", "gp", 132_000, 1_100, 6, 25, 200, supply_share=0.005, supply_basis="gp"),
    RoleSpec("salaried_gp", "Salaried GP", "gp", 112_000, 1_100, 1, 25, 200, supply_share=0.025, supply_basis="gp"),
    RoleSpec(
        "arrs_gp", "ARRS-funded GP", "arrs", 98_000, 1_100, 7, 25, 200, 92_462, 0.035,
        supply_share=0.015, supply_basis="gp",
    ),
    RoleSpec("practice_nurse", "Practice nurse", "nurse", 54_000, 1_250, 3),
    RoleSpec("hca", "Healthcare assistant", "other", 31_000, 1_350, 4),
    RoleSpec("clinical_pharmacist", "Clinical pharmacist", "arrs", 67_500, 1_050, 2, None, None, 65_838, 0.24),
    RoleSpec(
        "advanced_practitioner", "Advanced practitioner", "arrs", 74_500, 1_250, 5, 25, 200, 72_141, 0.10,
    ),
    RoleSpec("pharmacy_technician", "Pharmacy technician", "arrs", 38_500, 1_000, 9, None, None, 42_437, 0.09),
    RoleSpec(
        "social_prescriber", "Social prescribing link worker", "arrs", 37_500, 1_150, 11, None, None, 40_000, 0.11,
    ),
    RoleSpec("care_coordinator", "Care coordinator", "arrs", 31_500, 1_200, 10, None, None, 33_400, 0.16),
    RoleSpec(
        "fcp_physio", "First contact physiotherapist", "arrs", 63_500, 1_300, 12, 20, 200, 62_000, 0.05,
        supply_share=0.25,
    ),
    RoleSpec(
        "paramedic", "Paramedic", "arrs", 58_000, 1_250, 8, 25, 200, 60_500, 0.05, supply_share=0.25,
    ),
    RoleSpec("nursing_associate", "Nursing associate", "arrs", 35_000, 1_300, 13, None, None, 36_000, 0.04),
    RoleSpec(
        "mental_health_practitioner", "Mental health practitioner", "arrs", 58_000, 1_150, 14, 12, 200, 61_000, 0.07,
    ),
    RoleSpec(
        "physician_associate", "Physician associate", "arrs", 57_500, 1_250, 15, 25, 200, 56_000, 0.04,
    ),
    RoleSpec("dietitian", "Dietitian", "arrs", 52_000, 1_200, 16, None, None, 55_000, 0.01),
    RoleSpec("podiatrist", "Podiatrist", "arrs", 52_000, 1_250, 17, None, None, 55_000, 0.01),
    RoleSpec("occupational_therapist", "Occupational therapist", "arrs", 55_000, 1_200, 18, None, None, 55_000, 0.01),
)
# fmt: on

# Display order; ``priority`` 1..14 is the base "universal offer" of fourteen services.
# Together the base services ask for ~4.9 contacts per patient a year at their minimum
# standards (England: ~5.8 appointments per patient a year, about half with a GP).
# fmt: off
SERVICE_CATALOGUE: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "diabetes_review", "Diabetes annual review (two contacts)", 0.07, 2.0, 0.80, 1.0, 1.5, 3,
        (("practice_nurse", 25), ("clinical_pharmacist", 20), ("salaried_gp", 15), ("gp_partner", 15)),
        deprivation_loading=0.15,
    ),
    ServiceSpec(
        "hypertension_review", "Hypertension review", 0.145, 1.0, 0.70, 1.0, 1.0, 4,
        (("hca", 15), ("practice_nurse", 15), ("clinical_pharmacist", 15), ("salaried_gp", 10)),
        deprivation_loading=0.05,
    ),
    ServiceSpec(
        "asthma_review", "Asthma review", 0.065, 1.0, 0.70, 1.0, 1.0, 7,
        (("practice_nurse", 20), ("clinical_pharmacist", 20), ("advanced_practitioner", 20), ("salaried_gp", 15)),
        deprivation_loading=0.08,
    ),
    ServiceSpec(
        "copd_review", "COPD review", 0.019, 1.0, 0.75, 1.0, 1.2, 9,
        (("practice_nurse", 30), ("advanced_practitioner", 25), ("clinical_pharmacist", 25), ("salaried_gp", 15)),
        deprivation_loading=0.25,
    ),
    ServiceSpec(
        "ld_health_check", "Learning disability annual health check", 0.005, 1.0, 0.75, 1.0, 2.0, 11,
        (("practice_nurse", 40), ("salaried_gp", 20), ("gp_partner", 20), ("nursing_associate", 40)),
        deprivation_loading=0.10,
    ),
    ServiceSpec(
        "smi_health_check", "Serious mental illness physical health check", 0.01, 1.0, 0.60, 1.0, 2.0, 10,
        (("practice_nurse", 30), ("mental_health_practitioner", 30), ("hca", 30), ("salaried_gp", 15)),
        deprivation_loading=0.20,
    ),
    ServiceSpec(
        "dementia_review", "Dementia care plan review", 0.008, 1.0, 0.70, 1.0, 1.5, 12,
        (("salaried_gp", 20), ("gp_partner", 20), ("advanced_practitioner", 30), ("care_coordinator", 30)),
        deprivation_loading=-0.10,
    ),
    ServiceSpec(
        "cervical_screening", "Cervical screening", 0.20, 1.0, 0.80, 0.95, 1.2, 5,
        (("practice_nurse", 15), ("nursing_associate", 20), ("salaried_gp", 15)),
    ),
    ServiceSpec(
        "childhood_imms", "Childhood immunisations (per child in the cohort)", 0.012, 3.0, 0.90, 0.99, 1.5, 6,
        (("practice_nurse", 15), ("nursing_associate", 15), ("salaried_gp", 10)),
        deprivation_loading=0.05,
    ),
    ServiceSpec(
        "flu_vaccination", "Seasonal flu vaccination (eligible cohorts)", 0.25, 1.0, 0.55, 0.90, 0.8, 14,
        (("hca", 10), ("practice_nurse", 10), ("pharmacy_technician", 10), ("nursing_associate", 10)),
        deprivation_loading=-0.05,
    ),
    ServiceSpec(
        "care_home_rounds", "Care home ward rounds (per resident)", 0.006, 8.0, 0.90, 1.0, 1.5, 13,
        (("salaried_gp", 15), ("arrs_gp", 15), ("advanced_practitioner", 20), ("paramedic", 20)),
        noise_sd=0.45,
    ),
    ServiceSpec(
        "medication_reviews", "Structured medication reviews", 0.10, 1.0, 0.50, 1.0, 1.0, 8,
        (("clinical_pharmacist", 25), ("pharmacy_technician", 20), ("salaried_gp", 15), ("gp_partner", 15)),
        deprivation_loading=0.05,
    ),
    ServiceSpec(
        "routine_appointments", "Routine (pre-bookable) appointments", 1.0, 3.0, 0.85, 1.0, 0.5, 2,
        (("salaried_gp", 10), ("gp_partner", 10), ("practice_nurse", 15), ("advanced_practitioner", 15)),
    ),
    ServiceSpec(
        "same_day_access", "Same-day access (on-the-day contacts)", 1.0, 2.5, 0.85, 1.0, 0.5, 1,
        (
            ("salaried_gp", 10), ("gp_partner", 10), ("arrs_gp", 10), ("advanced_practitioner", 15),
            ("paramedic", 15), ("fcp_physio", 20), ("physician_associate", 15),
        ),
    ),
    # extras, in priority order
    ServiceSpec(
        "nhs_health_check", "NHS Health Check (annual fifth of eligible 40-74s)", 0.06, 1.0, 0.50, 1.0, 0.8, 15,
        (("hca", 30), ("practice_nurse", 25), ("nursing_associate", 30)),
    ),
    ServiceSpec(
        "cancer_care_review", "Cancer care review", 0.006, 1.0, 0.80, 1.0, 1.2, 16,
        (("salaried_gp", 20), ("gp_partner", 20), ("advanced_practitioner", 20), ("practice_nurse", 25)),
    ),
    ServiceSpec(
        "frailty_review", "Moderate/severe frailty review", 0.03, 1.0, 0.60, 1.0, 1.2, 17,
        (("advanced_practitioner", 30), ("occupational_therapist", 30), ("paramedic", 30), ("practice_nurse", 30)),
        deprivation_loading=0.05,
    ),
    ServiceSpec(
        "ckd_review", "Chronic kidney disease review", 0.04, 1.0, 0.70, 1.0, 1.0, 18,
        (("practice_nurse", 20), ("clinical_pharmacist", 20), ("hca", 15), ("salaried_gp", 15)),
    ),
    ServiceSpec(
        "heart_failure_review", "Heart failure review", 0.01, 1.0, 0.70, 1.0, 1.2, 19,
        (("salaried_gp", 15), ("advanced_practitioner", 25), ("practice_nurse", 25), ("clinical_pharmacist", 25)),
        deprivation_loading=0.10,
    ),
    ServiceSpec(
        "atrial_fibrillation_review", "Atrial fibrillation anticoagulation review", 0.021, 1.0, 0.75, 1.0, 1.2, 20,
        (("clinical_pharmacist", 20), ("practice_nurse", 20), ("salaried_gp", 15)),
    ),
    ServiceSpec(
        "chd_review", "Coronary heart disease review", 0.031, 1.0, 0.70, 1.0, 1.0, 21,
        (("practice_nurse", 20), ("clinical_pharmacist", 20), ("salaried_gp", 15)),
        deprivation_loading=0.10,
    ),
    ServiceSpec(
        "stroke_tia_review", "Stroke/TIA review", 0.019, 1.0, 0.70, 1.0, 1.0, 22,
        (("practice_nurse", 20), ("salaried_gp", 15), ("clinical_pharmacist", 20)),
    ),
    ServiceSpec(
        "depression_review", "Depression review", 0.015, 1.0, 0.60, 1.0, 1.2, 23,
        (("mental_health_practitioner", 30), ("salaried_gp", 15), ("gp_partner", 15), ("arrs_gp", 15)),
        deprivation_loading=0.15,
    ),
    ServiceSpec(
        "msk_first_contact", "MSK first contact", 0.12, 1.5, 0.50, 1.0, 0.8, 24,
        (("fcp_physio", 20), ("salaried_gp", 10), ("advanced_practitioner", 15)),
    ),
    ServiceSpec(
        "social_prescribing", "Social prescribing support", 0.03, 3.0, 0.50, 1.0, 0.8, 25,
        (("social_prescriber", 40), ("care_coordinator", 40)),
        deprivation_loading=0.20,
    ),
    ServiceSpec(
        "weight_management", "Weight management support", 0.05, 2.0, 0.30, 1.0, 0.6, 26,
        (("dietitian", 30), ("practice_nurse", 20), ("hca", 20), ("social_prescriber", 30)),
        deprivation_loading=0.15,
    ),
    ServiceSpec(
        "diabetic_foot_check", "Diabetic foot check", 0.07, 1.0, 0.75, 1.0, 1.0, 27,
        (("podiatrist", 20), ("practice_nurse", 15), ("hca", 15)),
        deprivation_loading=0.15,
    ),
)
# fmt: on


def generate_scenario(
    seed: int = 2025,
    n_practices: int = 230,
    n_pcns: int = 28,
    n_roles: int = 12,
    n_services: int = 14,
    budget_gbp: float | None = None,
    budget_mode: str = "pooled",
    *,
    mean_list_size: float | None = None,
    pcn_mean_patients: float = 47_000.0,
    demand_scale: float = 1.0,
    arrs_utilisation: float = 0.85,
    gp_supply_share: float = 0.045,
    budget_factor: float = 1.3,
    offer_rate_gbp_per_weighted_patient: float | None = None,
    with_eligibility: bool = True,
    fte_step: float | None = None,
    objective: str = "min_cost",
) -> dict[str, Any]:
    """Return a SYNTHETIC scenario document, deterministic in ``seed`` and the arguments.

    Args:
        seed: seed of ``numpy.random.default_rng``.
        n_practices, n_pcns: number of practices and PCNs (every PCN gets >= 1 practice).
        n_roles: 2..18 roles from ``ROLE_CATALOGUE`` (the first twelve by priority are the
            base set; there is always a GP role and an ARRS role).
        n_services: 1..27 services from ``SERVICE_CATALOGUE`` (the first fourteen by
            priority are the base "universal offer").
        budget_gbp: new recurrent money for the area, £/year. ``None``: ``budget_factor`` x
            :func:`estimate_new_hire_cost` of the generated document, to 3 significant
            figures.
        budget_mode: ``"pooled"`` or ``"per_practice"``.
        mean_list_size: mean registered list. ``None``: ``pcn_mean_patients`` x n_pcns /
            n_practices, so PCNs average ``pcn_mean_patients`` patients.
        demand_scale: multiplies every service's contacts per patient (calibration knob for
            how far the minimum standards exceed the existing workforce).
        arrs_utilisation: mean share of each PCN's ARRS entitlement already spent on
            existing ARRS staff (about a tenth of PCNs, at least one, are set just over 100%).
        gp_supply_share: new GP FTE hireable area-wide as a share of existing GP FTE,
            split 1:5:3 over gp_partner, salaried_gp and arrs_gp (those present).
        budget_factor: multiplier on the estimate when ``budget_gbp`` is ``None``.
        offer_rate_gbp_per_weighted_patient: for ``per_practice`` mode; ``None``: the
            budget spread evenly over the weighted population.
        with_eligibility: emit an ``eligibility`` table with practice-level prevalence
            (deprivation-driven); otherwise national prevalence x list applies everywhere.
        fte_step: if set, every role hires in whole multiples of this (makes a MIP).
        objective: ``"min_cost"`` or ``"max_value"``.

    Raises:
        ValueError: for sizes or options out of range.
    """
    _check_arguments(n_practices, n_pcns, n_roles, n_services, budget_mode, objective)
    if demand_scale <= 0 or not 0 < arrs_utilisation < 1 or gp_supply_share < 0 or budget_factor < 0:
        raise ValueError("need demand_scale > 0, 0 < arrs_utilisation < 1, gp_supply_share >= 0, budget_factor >= 0")
    rng = np.random.default_rng(seed)
    roles = _select(ROLE_CATALOGUE, n_roles)
    services = _select(SERVICE_CATALOGUE, n_services)
    role_ids = [r.role_id for r in roles]

    # --- practices and PCNs ------------------------------------------------------------
    if mean_list_size is None:
        mean_list_size = pcn_mean_patients * n_pcns / n_practices
    mu = np.log(mean_list_size) - LIST_SIZE_SIGMA**2 / 2
    list_size = np.clip(np.rint(rng.lognormal(mu, LIST_SIZE_SIGMA, n_practices)), MIN_LIST_SIZE, MAX_LIST_SIZE).astype(
        np.int64
    )
    deprivation = rng.standard_normal(n_practices)
    pcn_of = _assign_pcns(list_size, n_pcns, rng)
    order = np.lexsort((np.arange(n_practices), pcn_of))  # group practices by PCN
    list_size, deprivation, pcn_of = list_size[order], deprivation[order], pcn_of[order]
    weight_factor = np.clip(1.0 + 0.07 * deprivation + rng.normal(0.0, 0.04, n_practices), 0.85, 1.25)
    weighted = np.round(list_size * weight_factor, 1)

    width = max(4, len(str(n_practices)))
    name_width = max(3, len(str(n_practices)))
    pcn_width = max(3, len(str(n_pcns)))
    practice_ids = [f"P{i:0{width}d}" for i in range(1, n_practices + 1)]
    pcn_ids = [f"PCN{j:0{pcn_width}d}" for j in range(1, n_pcns + 1)]

    # ARRS entitlement: default rule for most PCNs, explicit for about one in ten
    pcn_weighted = np.bincount(pcn_of, weights=weighted, minlength=n_pcns)
    default_entitlement = DEFAULT_ARRS_RATE_GBP * pcn_weighted
    explicit = rng.random(n_pcns) < 0.1
    explicit[rng.integers(n_pcns)] = True  # at least one, so the column is exercised
    explicit_value = np.round(default_entitlement * rng.uniform(0.97, 1.08, n_pcns))
    entitlement = np.where(explicit, explicit_value, default_entitlement)

    # --- existing workforce -------------------------------------------------------------
    staff_prac = _practice_staff(rng, list_size, role_ids)
    arrs_roles = [r for r in roles if r.category == "arrs"]
    staff_pcn = _pcn_arrs_staff(rng, entitlement, arrs_roles, arrs_utilisation)
    existing_gp_fte = float(
        sum(staff_prac[r.role_id].sum() for r in roles if r.category == "gp" and r.role_id in staff_prac)
        + sum(staff_pcn[r.role_id].sum() for r in arrs_roles if r.role_id == "arrs_gp")
    )

    # --- services and eligibility ------------------------------------------------------
    eligible = _eligible_patients(rng, services, list_size, deprivation)

    # --- tables --------------------------------------------------------------------------
    role_records = _role_records(roles, staff_prac, staff_pcn, existing_gp_fte, gp_supply_share, fte_step)
    skill_mix = _skill_mix(services, role_ids)
    service_records = _records(
        {
            "service_id": [s.service_id for s in services],
            "name": [s.name for s in services],
            "contacts_per_patient": [round(s.contacts_per_patient * demand_scale, 4) for s in services],
            "min_coverage": [s.min_coverage for s in services],
            "max_coverage": [s.max_coverage for s in services],
            "prevalence": [s.prevalence for s in services],
            "value_weight": [s.value_weight for s in services],
        }
    )
    practice_records = _records(
        {
            "practice_id": practice_ids,
            "pcn_id": [pcn_ids[j] for j in pcn_of],
            "list_size": list_size.tolist(),
            "weighted_list_size": weighted.tolist(),
            "name": [f"Synthetic Practice {i:0{name_width}d}" for i in range(1, n_practices + 1)],
        }
    )
    pcn_records = _records(
        {
            "pcn_id": pcn_ids,
            "name": [f"Synthetic PCN {j:0{pcn_width}d}" for j in range(1, n_pcns + 1)],
            "arrs_entitlement_gbp": [float(v) if e else None for v, e in zip(entitlement, explicit, strict=True)],
        }
    )
    staff_records = _staff_records(practice_ids, pcn_ids, role_ids, staff_prac, staff_pcn)
    eligibility_records: list[Record] = []
    if with_eligibility:
        eligibility_records = _eligibility_records(practice_ids, services, eligible)

    # --- settings and budget -------------------------------------------------------------
    settings: dict[str, Any] = {
        "budget_mode": budget_mode,
        "budget_gbp": None,
        "objective": objective,
        "arrs_rate_gbp_per_weighted_patient": DEFAULT_ARRS_RATE_GBP,
        "time_limit_s": 60,
        "mip_rel_gap": 1e-4,
    }
    document: dict[str, Any] = {
        "settings": settings,
        "practices": practice_records,
        "pcns": pcn_records,
        "roles": role_records,
        "staff": staff_records,
        "services": service_records,
        "skill_mix": skill_mix,
    }
    if with_eligibility:
        document["eligibility"] = eligibility_records

    if budget_gbp is None:
        budget_gbp = _round_money(budget_factor * estimate_new_hire_cost(document))
    settings["budget_gbp"] = float(budget_gbp)
    if budget_mode == "per_practice":
        if offer_rate_gbp_per_weighted_patient is None:
            offer_rate_gbp_per_weighted_patient = round(float(budget_gbp) / float(weighted.sum()), 2)
        settings["offer_rate_gbp_per_weighted_patient"] = offer_rate_gbp_per_weighted_patient
    return document


def estimate_new_hire_cost(document: dict[str, Any]) -> float:
    """Rough £/year of new hires a scenario document needs to meet its minimum standards.

    A calibration aid (no solver, numpy only), not an optimum: the solver's figure is the
    one to report. Per practice, the contacts each minimum standard needs are met first
    from the existing workforce (the practice's own staff plus a weighted-list share of
    its PCN's staff), role by role, least versatile role first, each role's time spread
    over its services in proportion to what is still unmet; a role's time is limited by
    its clinical hours and, where it has one, its safe-working cap. What is left is
    priced at the cheapest cost per contact of any role that can deliver the service,
    less the ARRS reimbursement such hires could claim within the area's total headroom.
    Supply limits and the other rules are ignored.
    """
    settings = document.get("settings", {})
    practices = document["practices"]
    roles = document["roles"]
    services = document["services"]
    n_p, n_r, n_s = len(practices), len(roles), len(services)
    p_index = {p["practice_id"]: i for i, p in enumerate(practices)}
    n_index = {n["pcn_id"]: j for j, n in enumerate(document["pcns"])}
    r_index = {r["role_id"]: i for i, r in enumerate(roles)}
    s_index = {s["service_id"]: j for j, s in enumerate(services)}

    list_size = np.array([p["list_size"] for p in practices], dtype=float)
    weighted = np.array([_value(p, "weighted_list_size", p["list_size"]) for p in practices], dtype=float)
    pcn_of = np.array([n_index[p["pcn_id"]] for p in practices])
    pcn_weighted = np.bincount(pcn_of, weights=weighted, minlength=len(n_index))
    arrs_rate = _value(settings, "arrs_rate_gbp_per_weighted_patient", DEFAULT_ARRS_RATE_GBP)
    entitlement = np.array(
        [_value(n, "arrs_entitlement_gbp", arrs_rate * pcn_weighted[j]) for j, n in enumerate(document["pcns"])]
    )

    cost = np.array([r["cost_per_fte_gbp"] for r in roles], dtype=float)
    hours = np.array([r["clinical_hours_per_fte"] for r in roles], dtype=float)
    cap = np.array([_value(r, "max_contacts_per_day", np.inf) for r in roles], dtype=float)
    days = np.array([_value(r, "working_days_per_fte", 200.0) for r in roles], dtype=float)
    reimb = np.array(
        [
            min(r["cost_per_fte_gbp"], _value(r, "arrs_reimbursement_max_gbp", 0.0)) if r["category"] == "arrs" else 0.0
            for r in roles
        ]
    )

    minutes = np.full((n_s, n_r), np.inf)
    for row in document["skill_mix"]:
        minutes[s_index[row["service_id"]], r_index[row["role_id"]]] = row["minutes_per_contact"]
    delivers = np.isfinite(minutes)

    eligible = np.array([_value(s, "prevalence", 1.0) for s in services])[None, :] * list_size[:, None]
    for row in document.get("eligibility", []):
        eligible[p_index[row["practice_id"]], s_index[row["service_id"]]] = row["eligible_patients"]
    contacts = np.array([s["contacts_per_patient"] * s["min_coverage"] for s in services])
    unmet = eligible * contacts[None, :]  # contacts still needed, practice x service

    staff_prac = np.zeros((n_p, n_r))
    staff_pcn = np.zeros((len(n_index), n_r))
    for row in document["staff"]:
        r = r_index[row["role_id"]]
        if row["holder_id"] in p_index:
            staff_prac[p_index[row["holder_id"]], r] += row["fte"]
        else:
            staff_pcn[n_index[row["holder_id"]], r] += row["fte"]
    staff_in_pcn = np.zeros_like(staff_pcn)
    np.add.at(staff_in_pcn, pcn_of, staff_prac)
    used = (staff_pcn + staff_in_pcn) @ reimb
    headroom = float(np.maximum(entitlement - used, 0.0).sum())
    fte = staff_prac + staff_pcn[pcn_of] * (weighted / pcn_weighted[pcn_of])[:, None]

    # existing workforce, least versatile role first
    for r in sorted(range(n_r), key=lambda i: int(delivers[:, i].sum())):
        services_r = np.nonzero(delivers[:, r])[0]
        if services_r.size == 0:
            continue
        time_left = fte[:, r] * 60.0 * hours[r]
        contacts_left = fte[:, r] * cap[r] * days[r] if np.isfinite(cap[r]) else np.full(n_p, np.inf)
        for _ in range(3):  # a few proportional rounds so saturated services free up time
            want = unmet[:, services_r] * minutes[services_r, r][None, :]
            total = want.sum(axis=1)
            scale = np.minimum(1.0, time_left / np.where(total > 0, total, 1.0))
            give = unmet[:, services_r] * scale[:, None]
            count = give.sum(axis=1)
            over = count > contacts_left  # the safe-working cap binds (count > 0 here)
            give[over] *= (contacts_left[over] / count[over])[:, None]
            unmet[:, services_r] = np.maximum(unmet[:, services_r] - give, 0.0)
            time_left = np.maximum(time_left - (give * minutes[services_r, r][None, :]).sum(axis=1), 0.0)
            contacts_left = np.maximum(contacts_left - give.sum(axis=1), 0.0)

    # price what is left at the cheapest role per contact, within each role's supply limit
    with np.errstate(divide="ignore"):
        contacts_per_fte = np.minimum(60.0 * hours[None, :] / minutes, cap[None, :] * days[None, :])
        cost_per_contact = np.where(delivers, cost[None, :] / contacts_per_fte, np.inf)
    supply_left = np.array([_value(r, "supply_max_fte", np.inf) for r in roles])
    shortfall = unmet.sum(axis=0)
    gross = claimable = 0.0
    for s in np.argsort(-shortfall):  # biggest gaps choose first
        left = float(shortfall[s])
        for r in np.argsort(cost_per_contact[s]):
            if left <= 0 or not delivers[s, r]:
                break
            hired = min(left / contacts_per_fte[s, r], supply_left[r])
            supply_left[r] -= hired
            left -= hired * contacts_per_fte[s, r]
            gross += hired * cost[r]
            claimable += hired * reimb[r]
    return max(gross - min(claimable, headroom), 0.0)


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------


def _check_arguments(
    n_practices: int, n_pcns: int, n_roles: int, n_services: int, budget_mode: str, objective: str
) -> None:
    if n_pcns < 1 or n_practices < n_pcns:
        raise ValueError(f"need 1 <= n_pcns <= n_practices (got {n_pcns} PCNs, {n_practices} practices)")
    if not 2 <= n_roles <= len(ROLE_CATALOGUE):
        raise ValueError(f"n_roles must be 2..{len(ROLE_CATALOGUE)} (got {n_roles})")
    if not 1 <= n_services <= len(SERVICE_CATALOGUE):
        raise ValueError(f"n_services must be 1..{len(SERVICE_CATALOGUE)} (got {n_services})")
    if budget_mode not in ("pooled", "per_practice"):
        raise ValueError(f"budget_mode must be 'pooled' or 'per_practice' (got {budget_mode!r})")
    if objective not in ("min_cost", "max_value"):
        raise ValueError(f"objective must be 'min_cost' or 'max_value' (got {objective!r})")


def _select(catalogue: Sequence[_Spec], n: int) -> list[_Spec]:
    """The ``n`` highest-priority entries, kept in catalogue (display) order."""
    keep = {item.priority for item in sorted(catalogue, key=lambda item: item.priority)[:n]}
    return [item for item in catalogue if item.priority in keep]


def _assign_pcns(list_size: np.ndarray, n_pcns: int, rng: np.random.Generator) -> np.ndarray:
    """Deal practices to PCNs so PCN populations are balanced-ish and no PCN is empty.

    Practices are taken largest first in rounds of ``n_pcns``; in each round the largest
    practice goes to the currently smallest PCN, the next largest to the next smallest,
    and so on (a vectorised longest-processing-time rule). Sizes are jittered before
    sorting so PCN totals vary a little, as real ones do. The first round gives every PCN
    a practice.
    """
    n = list_size.size
    jittered = list_size * rng.lognormal(0.0, 0.1, n)
    by_size = np.argsort(-jittered, kind="stable")
    pcn_of = np.empty(n, dtype=np.int64)
    totals = np.zeros(n_pcns)
    for start in range(0, n, n_pcns):  # n / n_pcns rounds, each vectorised
        chunk = by_size[start : start + n_pcns]
        smallest_first = np.argsort(totals, kind="stable")[: chunk.size]
        pcn_of[chunk] = smallest_first
        totals[smallest_first] += list_size[chunk]
    return rng.permutation(n_pcns)[pcn_of]


def _lognormal_noise(rng: np.random.Generator, sd: float, n: int) -> np.ndarray:
    """Mean-one lognormal multipliers."""
    return rng.lognormal(-(sd**2) / 2, sd, n)


def _practice_staff(rng: np.random.Generator, list_size: np.ndarray, role_ids: list[str]) -> dict[str, np.ndarray]:
    """Existing FTE by practice for the practice-employed roles present."""
    n = list_size.size
    gp_total = np.maximum(list_size / PATIENTS_PER_PRACTICE_GP_FTE * _lognormal_noise(rng, 0.25, n), 0.4)
    partner_share = rng.beta(6.0, 5.0, n)
    nurse = list_size / PATIENTS_PER_NURSE_FTE * _lognormal_noise(rng, 0.25, n)
    hca = list_size / PATIENTS_PER_HCA_FTE * _lognormal_noise(rng, 0.35, n)
    staff: dict[str, np.ndarray] = {}
    if "gp_partner" in role_ids and "salaried_gp" in role_ids:
        staff["gp_partner"] = np.round(gp_total * partner_share, 2)
        staff["salaried_gp"] = np.round(gp_total - staff["gp_partner"], 2)
    else:
        gp_role = "salaried_gp" if "salaried_gp" in role_ids else "gp_partner"
        staff[gp_role] = np.round(gp_total, 2)
    if "practice_nurse" in role_ids:
        staff["practice_nurse"] = np.round(nurse, 2)
    if "hca" in role_ids:
        staff["hca"] = np.round(hca, 2)
    return staff


def _pcn_arrs_staff(
    rng: np.random.Generator, entitlement: np.ndarray, arrs_roles: list[RoleSpec], utilisation: float
) -> dict[str, np.ndarray]:
    """PCN-held ARRS FTE spending about ``utilisation`` of each PCN's entitlement."""
    n_pcns = entitlement.size
    concentration = 40.0
    used = rng.beta(utilisation * concentration, (1 - utilisation) * concentration, n_pcns)
    full = rng.random(n_pcns) < 0.1
    full[rng.integers(n_pcns)] = True  # at least one PCN without headroom
    used = np.where(full, rng.uniform(1.005, 1.04, n_pcns), used)
    reimb = np.array([min(r.cost_per_fte_gbp, r.arrs_reimbursement_max_gbp or 0.0) for r in arrs_roles])
    weights = np.array([max(r.arrs_fte_weight, 0.005) for r in arrs_roles]) * reimb
    shares = rng.dirichlet(weights / weights.sum() * 30.0, n_pcns)  # spend share by role
    fte = np.round(used[:, None] * entitlement[:, None] * shares / reimb[None, :], 2)
    return {r.role_id: fte[:, i] for i, r in enumerate(arrs_roles)}


def _eligible_patients(
    rng: np.random.Generator, services: list[ServiceSpec], list_size: np.ndarray, deprivation: np.ndarray
) -> np.ndarray:
    """Eligible patients by practice and service (prevalence 1 services: the whole list)."""
    n = list_size.size
    out = np.empty((n, len(services)))
    for j, s in enumerate(services):
        if s.prevalence >= 1.0:
            out[:, j] = list_size
            continue
        a, sd = s.deprivation_loading, s.noise_sd
        multiplier = np.exp(a * deprivation + rng.normal(0.0, sd, n) - (a**2 + sd**2) / 2)
        out[:, j] = np.rint(np.minimum(s.prevalence * multiplier, 1.0) * list_size)
    return out


def _role_records(
    roles: list[RoleSpec],
    staff_prac: dict[str, np.ndarray],
    staff_pcn: dict[str, np.ndarray],
    existing_gp_fte: float,
    gp_supply_share: float,
    fte_step: float | None,
) -> list[Record]:
    gp_split = {"gp_partner": 1.0, "salaried_gp": 5.0, "arrs_gp": 3.0}
    present_gp = [r.role_id for r in roles if r.role_id in gp_split]
    total_split = sum(gp_split[g] for g in present_gp)
    supply: list[float | None] = []
    for r in roles:
        if r.supply_share is None:
            supply.append(None)
        elif r.supply_basis == "gp":
            supply.append(round(existing_gp_fte * gp_supply_share * gp_split[r.role_id] / total_split, 1))
        else:
            existing = float(staff_prac.get(r.role_id, np.zeros(1)).sum() + staff_pcn.get(r.role_id, np.zeros(1)).sum())
            supply.append(round(existing * r.supply_share, 1))
    return _records(
        {
            "role_id": [r.role_id for r in roles],
            "name": [r.name for r in roles],
            "category": [r.category for r in roles],
            "cost_per_fte_gbp": [float(r.cost_per_fte_gbp) for r in roles],
            "clinical_hours_per_fte": [float(r.clinical_hours_per_fte) for r in roles],
            "max_contacts_per_day": [_opt_float(r.max_contacts_per_day) for r in roles],
            "working_days_per_fte": [_opt_float(r.working_days_per_fte) for r in roles],
            "arrs_reimbursement_max_gbp": [_opt_float(r.arrs_reimbursement_max_gbp) for r in roles],
            "supply_max_fte": supply,
            "fte_step": [fte_step for _ in roles],
        }
    )


def _skill_mix(services: list[ServiceSpec], role_ids: list[str]) -> list[Record]:
    """Catalogue skills restricted to the roles present; a GP role if none is left."""
    present = set(role_ids)
    fallback = "salaried_gp"  # priority 1: always present
    rows: list[Record] = []
    for s in services:
        skills = [(r, m) for r, m in s.skills if r in present] or [(fallback, 15.0)]
        rows.extend({"service_id": s.service_id, "role_id": r, "minutes_per_contact": float(m)} for r, m in skills)
    return rows


def _staff_records(
    practice_ids: list[str],
    pcn_ids: list[str],
    role_ids: list[str],
    staff_prac: dict[str, np.ndarray],
    staff_pcn: dict[str, np.ndarray],
) -> list[Record]:
    """Staff rows (holder, role, FTE) with FTE > 0: practices first, then PCNs."""
    rows: list[Record] = []
    for holders, table in ((practice_ids, staff_prac), (pcn_ids, staff_pcn)):
        ordered = [r for r in role_ids if r in table]
        if not ordered:
            continue
        matrix = np.column_stack([table[r] for r in ordered])
        holder_idx, role_idx = np.nonzero(matrix > 0)  # row-major: grouped by holder
        values = matrix[holder_idx, role_idx].tolist()
        rows.extend(
            {"holder_id": holders[h], "role_id": ordered[k], "fte": v}
            for h, k, v in zip(holder_idx.tolist(), role_idx.tolist(), values, strict=True)
        )
    return rows


def _eligibility_records(practice_ids: list[str], services: list[ServiceSpec], eligible: np.ndarray) -> list[Record]:
    columns = [j for j, s in enumerate(services) if s.prevalence < 1.0]
    if not columns:
        return []
    sub = eligible[:, columns].astype(np.int64)
    p_idx, c_idx = np.indices(sub.shape)
    service_ids = [services[j].service_id for j in columns]
    return [
        {"practice_id": practice_ids[p], "service_id": service_ids[c], "eligible_patients": v}
        for p, c, v in zip(p_idx.ravel().tolist(), c_idx.ravel().tolist(), sub.ravel().tolist(), strict=True)
    ]


def _records(columns: dict[str, list[Any]]) -> list[Record]:
    """Row records from equal-length columns, dropping columns that are blank everywhere."""
    kept = {k: v for k, v in columns.items() if any(x is not None for x in v)}
    names = list(kept)
    return [dict(zip(names, values, strict=True)) for values in zip(*kept.values(), strict=True)]


def _value(record: dict[str, Any], key: str, default: float) -> float:
    """A record's number, or ``default`` when the cell is missing or blank."""
    value = record.get(key)
    if value is None or value == "" or (isinstance(value, float) and np.isnan(value)):
        return float(default)
    return float(value)


def _opt_float(value: float | None) -> float | None:
    return None if value is None else float(value)


def _round_money(value: float) -> float:
    """Round £ to 3 significant figures (at least to the nearest £1,000)."""
    if value <= 0:
        return 0.0
    step = 10.0 ** max(int(np.floor(np.log10(value))) - 2, 3)
    return float(np.round(value / step) * step)
