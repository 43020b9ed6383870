"""The product's array build equals the Pyomo model of record, and another solver agrees.

``models.arrays.build_arrays`` (the default build) must give exactly the ``StandardForm``
that compiling ``models.formulation``'s Pyomo model gives: the same rows and columns in the
same order with the same names and index keys, the same coefficients, bounds, integrality,
costs and sense. Checked on hand cases that between them exercise every rule family, and on
random synthetic scenarios (hypothesis). Then the Pyomo model is solved by GLPK (a solver
independent of HiGHS, from the system package ``glpk-utils``) and its optimum compared with
the product's.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.arrays import build_arrays
from models.formulation import RULES, build_model, derive
from models.standard_form import CodedKeys, Keys, StandardForm, build_pyomo
from models.synthetic import generate_scenario
from optimiser.runs import load_scenario, run_job
from tests.require import require_or_skip

RTOL = 1e-12


def differences(a: StandardForm, b: StandardForm) -> list[str]:
    """Everything that differs between two builds (empty: identical)."""
    problems = []
    if list(a.row_rule) != list(b.row_rule) or a.row_key != b.row_key:
        problems.append(f"rows differ ({len(a.row_rule)} vs {len(b.row_rule)})")
    if list(a.col_var) != list(b.col_var) or a.col_key != b.col_key:
        problems.append(f"columns differ ({len(a.col_var)} vs {len(b.col_var)})")
    if problems:
        return problems
    if a.minimise != b.minimise or a.offset != b.offset:
        problems.append("objective sense or offset differs")
    for name in ("cost", "row_lower", "row_upper", "col_lower", "col_upper"):
        if not np.allclose(getattr(a, name), getattr(b, name), rtol=RTOL, atol=0.0):
            problems.append(f"{name} differs")
    if not np.array_equal(np.asarray(a.integrality, int), np.asarray(b.integrality, int)):
        problems.append("integrality differs")
    ma, mb = sp.csc_matrix(a.matrix), sp.csc_matrix(b.matrix)
    for m in (ma, mb):
        m.sum_duplicates()
        m.sort_indices()
    if ma.shape != mb.shape or not np.array_equal(ma.indptr, mb.indptr) or not np.array_equal(ma.indices, mb.indices):
        problems.append("matrix sparsity differs")
    elif not np.allclose(ma.data, mb.data, rtol=RTOL, atol=0.0):
        problems.append("matrix coefficients differ")
    return problems


Case = tuple[Callable[[], dict[str, Any]], dict[str, Any]]
"""A hand or synthetic case: the scenario document's maker and the run's overrides."""


def both_builds(document: dict[str, Any], overrides: dict[str, Any] | None = None) -> tuple[StandardForm, StandardForm]:
    scenario = load_scenario(document, overrides)
    data = derive(scenario)
    pyomo_form, _ = build_pyomo(scenario, data)
    return build_arrays(scenario, data), pyomo_form


# --- hand cases: between them every rule family -------------------------------------------------
def every_family() -> dict[str, Any]:
    """Two PCNs, three practices; a GP role in whole steps, an ARRS role with a cap, supply limit,
    reimbursement and PCN-held staff (deployable), a nurse held by a practice; GP floor and area
    target; an eligibility override."""
    return {
        "settings": {"budget_gbp": 900_000, "gp_fte_per_10k_weighted": 0.5, "gp_fte_target_total": 1.0},
        "practices": [
            {"practice_id": "A", "pcn_id": "N1", "list_size": 8_000, "weighted_list_size": 9_000},
            {"practice_id": "B", "pcn_id": "N1", "list_size": 5_000},
            {"practice_id": "C", "pcn_id": "N2", "list_size": 12_000},
        ],
        "pcns": [{"pcn_id": "N1", "arrs_entitlement_gbp": 150_000}, {"pcn_id": "N2"}],
        "roles": [
            {
                "role_id": "gp",
                "category": "gp",
                "cost_per_fte_gbp": 120_000,
                "clinical_hours_per_fte": 1_200,
                "fte_step": 0.5,
            },
            {
                "role_id": "pharm",
                "category": "arrs",
                "cost_per_fte_gbp": 60_000,
                "clinical_hours_per_fte": 1_400,
                "max_contacts_per_day": 20,
                "arrs_reimbursement_max_gbp": 55_000,
                "supply_max_fte": 2.5,
                "fte_step": 1.0,
            },
            {"role_id": "nurse", "category": "nurse", "cost_per_fte_gbp": 50_000, "clinical_hours_per_fte": 1_300},
            {"role_id": "admin", "category": "other", "cost_per_fte_gbp": 30_000, "clinical_hours_per_fte": 1_000},
        ],
        "staff": [
            {"holder_id": "A", "role_id": "gp", "fte": 3.0},
            {"holder_id": "B", "role_id": "nurse", "fte": 1.0},
            {"holder_id": "N1", "role_id": "pharm", "fte": 1.0},
            {"holder_id": "N2", "role_id": "gp", "fte": 0.5},
        ],
        "services": [
            {
                "service_id": "dm",
                "contacts_per_patient": 2,
                "min_coverage": 0.6,
                "max_coverage": 0.9,
                "prevalence": 0.07,
                "value_weight": 3,
            },
            {"service_id": "meds", "contacts_per_patient": 1, "min_coverage": 0.2, "prevalence": 0.3},
        ],
        "skill_mix": [
            {"service_id": "dm", "role_id": "gp", "minutes_per_contact": 15},
            {"service_id": "dm", "role_id": "nurse", "minutes_per_contact": 20},
            {"service_id": "meds", "role_id": "pharm", "minutes_per_contact": 12},
            {"service_id": "meds", "role_id": "gp", "minutes_per_contact": 10},
        ],
        "eligibility": [{"practice_id": "C", "service_id": "dm", "eligible_patients": 1_000}],
    }


def per_practice() -> dict[str, Any]:
    document = every_family()
    document["settings"] = {"budget_mode": "per_practice", "offer_rate_gbp_per_weighted_patient": 9.5}
    document["services"][0]["min_coverage"] = 0.85  # more than the existing staff can cover: hires needed
    return document


def fair_shares() -> dict[str, Any]:
    """Fair shares (docs/fairness.md): prior funding floors and a floor per weighted patient."""
    document = every_family()
    document["practices"][0]["prior_funding_gbp"] = 40_000
    document["practices"][1]["prior_funding_gbp"] = 5_000
    document["settings"] = {**document["settings"], "no_practice_below_prior": True}
    document["settings"]["practice_floor_gbp_per_weighted_patient"] = 0.5
    return document


HAND_CASES: dict[str, Case] = {
    "every_family_min_cost": (every_family, {}),
    "every_family_max_value": (every_family, {"objective": "max_value"}),
    "per_practice": (per_practice, {}),
    "per_practice_max_value": (per_practice, {"objective": "max_value", "standards_fraction": 0.5}),
    "fair_shares_max_min": (fair_shares, {"objective": "max_min_coverage"}),
}


@pytest.mark.parametrize("case", list(HAND_CASES))
def test_array_build_equals_pyomo_on_hand_cases(case: str) -> None:
    make, overrides = HAND_CASES[case]
    arrays, pyomo_form = both_builds(make(), overrides)
    assert differences(arrays, pyomo_form) == []


def test_hand_cases_cover_every_rule_family() -> None:
    seen: set[str] = set()
    for make, overrides in HAND_CASES.values():
        seen.update(both_builds(make(), overrides)[0].row_rule)
    assert seen == set(RULES)


def test_keys_read_as_the_list_of_keys() -> None:
    """Keys held as codes (large families) and lists (small ones) read as the plain list of keys."""
    coded = CodedKeys((["P1", "P2"], ["dm", "ht"]), (np.array([0, 0, 1]), np.array([0, 1, 1])))
    keys = Keys([coded, ["P1", None], [], coded.take(np.array([2]))])
    plain = [("P1", "dm"), ("P1", "ht"), ("P2", "ht"), "P1", None, ("P2", "ht")]
    assert len(keys) == 6 and list(keys) == plain and keys == plain and plain == keys
    assert keys != plain[:5] and keys != [*plain[:5], ("P1", "ht")]
    assert [keys[i] for i in range(-6, 6)] == plain + plain
    assert keys[1:4] == plain[1:4] and keys[::-2] == plain[::-2]
    assert keys.at([5, 0, 3]) == [plain[5], plain[0], plain[3]]
    for outside in (6, -7):
        with pytest.raises(IndexError):
            keys[outside]
    made, expected = keys.as_index(np.array([2, 0, 1])), pd.MultiIndex.from_tuples([plain[2], plain[0], plain[1]])
    pd.testing.assert_index_equal(made, expected, exact=True)
    assert [level.dtype for level in made.levels] == [level.dtype for level in expected.levels]
    assert [code.tolist() for code in made.codes] == [code.tolist() for code in expected.codes]
    pd.testing.assert_index_equal(keys.as_index(np.array([3, 4])), pd.Index(["P1", None]))
    pd.testing.assert_index_equal(keys.as_index(np.array([2, 5])), pd.MultiIndex.from_tuples([plain[2], plain[5]]))
    pd.testing.assert_index_equal(keys.as_index(np.array([], dtype=int)), pd.Index([]))


def test_differences_sees_a_changed_coefficient_bound_and_key() -> None:
    """The comparison can fail: each kind of change is reported."""
    arrays, pyomo_form = both_builds(every_family())
    changed = copy.deepcopy(arrays)
    changed.matrix = sp.csc_matrix(changed.matrix, copy=True)
    changed.matrix.data[3] *= 1 + 1e-9
    assert differences(changed, pyomo_form) == ["matrix coefficients differ"]
    changed = copy.deepcopy(arrays)
    changed.row_upper[-1] += 1.0
    assert differences(changed, pyomo_form) == ["row_upper differs"]
    changed = copy.deepcopy(arrays)
    changed.col_key = Keys([[("Z", "dm")], arrays.col_key[1:]])
    assert differences(changed, pyomo_form) == [f"columns differ ({len(arrays.col_var)} vs {len(arrays.col_var)})"]
    changed = copy.deepcopy(arrays)
    changed.integrality[-1] = 1 - changed.integrality[-1]
    assert differences(changed, pyomo_form) == ["integrality differs"]


# --- random scenarios ------------------------------------------------------------------------------
@st.composite
def scenarios(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    n_practices = draw(st.integers(1, 7))
    document = generate_scenario(
        draw(st.integers(0, 10_000)),
        n_practices=n_practices,
        n_pcns=draw(st.integers(1, n_practices)),
        n_roles=draw(st.integers(2, 9)),
        n_services=draw(st.integers(1, 6)),
        budget_mode=draw(st.sampled_from(["pooled", "per_practice"])),
        with_eligibility=draw(st.booleans()),
        fte_step=draw(st.sampled_from([None, 0.5, 1.0])),
        objective=draw(st.sampled_from(["min_cost", "max_value"])),
    )
    if draw(st.booleans()):
        document["settings"]["gp_fte_per_10k_weighted"] = draw(st.sampled_from([0.0, 0.4, 2.0]))
    if draw(st.booleans()):
        document["settings"]["gp_fte_target_total"] = draw(st.sampled_from([0.0, 1.5, 10.0]))
    overrides = {"standards_fraction": draw(st.sampled_from([0.0, 0.5, 1.0]))} if draw(st.booleans()) else {}
    return document, overrides


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_array_build_equals_pyomo_on_random_scenarios(case: tuple[dict[str, Any], dict[str, Any]]) -> None:
    document, overrides = case
    arrays, pyomo_form = both_builds(document, overrides)
    assert differences(arrays, pyomo_form) == []


# --- another solver through Pyomo ------------------------------------------------------------------
GLPK = shutil.which("glpsol")


def glpk_optimum(document: dict[str, Any], overrides: dict[str, Any]) -> tuple[str, float | None]:
    """Solve the Pyomo model of record with GLPK: (termination, objective value)."""
    import pyomo.environ as pyo

    model, _ = build_model(load_scenario(document, overrides))
    result = pyo.SolverFactory("glpk").solve(model, load_solutions=False)
    termination = str(result.solver.termination_condition)
    if termination != "optimal":
        return termination, None
    model.solutions.load_from(result)
    return termination, float(pyo.value(model.objective))


CROSS_CHECK_CASES: dict[str, Case] = {
    "every_family_min_cost": (every_family, {}),
    "every_family_max_value": (every_family, {"objective": "max_value"}),
    "per_practice": (per_practice, {}),
    "synthetic_lp": (lambda: generate_scenario(7, n_practices=6, n_pcns=2, n_roles=8, n_services=5), {}),
    "synthetic_mip_max_value": (
        lambda: generate_scenario(11, n_practices=5, n_pcns=2, n_roles=6, n_services=4, fte_step=0.5),
        {"objective": "max_value"},
    ),
    "undeliverable": (every_family, {"budget_gbp": 1_000}),
}


@pytest.mark.parametrize("case", list(CROSS_CHECK_CASES))
@pytest.mark.parametrize("engine", ["arrays", "pyomo"])
def test_glpk_through_pyomo_agrees_with_the_product(case: str, engine: str) -> None:
    require_or_skip(GLPK is not None, "GLPK (glpsol, Debian package glpk-utils) is not installed")
    make, overrides = CROSS_CHECK_CASES[case]
    document = make()
    product = run_job("solve", document, {**overrides, "engine": engine}).result
    termination, optimum = glpk_optimum(document, overrides)
    if product["status"] == "infeasible":
        assert termination == "infeasible"
        return
    assert product["status"] == "optimal" and termination == "optimal"
    tolerance = 2e-4 if product["is_mip"] else 1e-6  # HiGHS' MIP gap is 1e-4; GLPK proves optimality
    assert product["objective_value"] == pytest.approx(optimum, rel=tolerance, abs=1e-6)


# --- the console script runs either build end to end -----------------------------------------------
def commission(*args: str) -> subprocess.CompletedProcess[str]:
    script = shutil.which("commission") or str(Path(sys.executable).with_name("commission"))
    return subprocess.run([script, *args], capture_output=True, text=True, timeout=600, check=False)


def test_commission_solve_and_check_give_the_same_answer_with_either_engine(tmp_path: Path) -> None:
    deliverable, undeliverable = tmp_path / "deliverable.json", tmp_path / "undeliverable.json"
    deliverable.write_text(json.dumps(every_family()))
    short = every_family()
    short["settings"]["budget_gbp"] = 50_000
    undeliverable.write_text(json.dumps(short))
    solves = {}
    for engine in ("arrays", "pyomo"):
        done = commission("solve", str(deliverable), "--format", "json", "--engine", engine)
        assert done.returncode == 0, done.stderr
        solves[engine] = json.loads(done.stdout)
        assert solves[engine]["engine"] == engine and solves[engine]["status"] == "optimal"
    assert solves["arrays"]["objective_value"] == solves["pyomo"]["objective_value"]
    assert solves["arrays"]["size"] == solves["pyomo"]["size"]
    checks = {}
    for engine in ("arrays", "pyomo"):
        done = commission("check", str(undeliverable), "--format", "json", "--engine", engine)
        assert done.returncode == 1, done.stderr  # not deliverable
        checks[engine] = json.loads(done.stdout)
    assert checks["arrays"]["deliverable"] is False
    assert checks["arrays"]["levers"] == checks["pyomo"]["levers"]
    assert checks["arrays"]["conflict"] == checks["pyomo"]["conflict"]
    assert checks["arrays"]["summary"] == checks["pyomo"]["summary"]


def test_an_unknown_engine_is_a_clear_input_error(tmp_path: Path) -> None:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(every_family()))
    done = commission("solve", str(path), "--format", "json", "--engine", "cplex")
    assert done.returncode == 2
    problems = json.loads(done.stdout)["problems"]
    assert problems == [
        {"table": "options", "row": None, "column": "--engine", "message": "must be one of arrays, pyomo (got 'cplex')"}
    ]
