"""The product's build: the programme of ``models.formulation`` straight to arrays with numpy.

``build_arrays(scenario, data)`` returns the same ``StandardForm`` that compiling the Pyomo
model of record gives (``models.standard_form.build_pyomo``): the same rows (rule, index) and
columns (variable, index) in the same order, the same coefficients, bounds, integrality and
costs. It builds whole rule families at once from the derived data instead of one Python
expression per row, which at England scale is about 15 times faster. The Pyomo model stays
the readable statement of the programme; ``tests/test_arrays.py`` holds the two builds
identical on a hand case per rule family and on random scenarios, and ``--engine pyomo``
runs the product through Pyomo end to end.

When a rule changes in ``models.formulation``, it changes here too; the identity test fails
until both agree.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from models.formulation import ProgrammeData, derive
from models.scenario import Scenario
from models.standard_form import EQUAL, INF, LOWER, UPPER, CodedKeys, Keys, StandardForm

# Keys of one row or column family in index order: codes for the large families, else a list.
FamilyKeys = CodedKeys | list[Any]


class _Columns:
    """Columns of each variable family: keys in index order."""

    def __init__(self) -> None:
        self.families: dict[str, FamilyKeys] = {}
        self.integer: dict[str, bool] = {}

    def add(self, name: str, keys: FamilyKeys, integer: bool = False) -> None:
        self.families[name] = keys
        self.integer[name] = integer


class _Rows:
    """Rows accumulated family by family as COO triplets over (family, local column) pairs."""

    def __init__(self) -> None:
        self.rule: list[np.ndarray] = []
        self.key: list[FamilyKeys] = []
        self.kind: list[np.ndarray] = []
        self.rhs: list[np.ndarray] = []
        self.entries: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]] = []  # (row, family, local col, coef)
        self.count = 0

    def add(self, rule: str, keys: FamilyKeys, kind: int, rhs: np.ndarray, terms: list[tuple[Any, ...]]) -> None:
        n = len(keys)
        if n == 0:
            return
        base = self.count
        names = np.empty(n, dtype=object)
        names.fill(rule)  # one shared str; np.full would make a str object per row
        self.rule.append(names)
        self.key.append(keys)
        self.kind.append(np.full(n, kind, dtype=np.int8))
        self.rhs.append(np.asarray(rhs, dtype=float))
        for local_row, family, local_col, coef in terms:
            self.entries.append((base + np.asarray(local_row), family, np.asarray(local_col), np.asarray(coef, float)))
        self.count += n


def build_arrays(scenario: Scenario, data: ProgrammeData | None = None) -> StandardForm:
    """The programme of ``scenario`` as a ``StandardForm``, identical to compiling the Pyomo model."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    d = data or derive(scenario)
    settings = scenario.settings
    P, S, R = d.practices, d.services, d.roles
    n_p, n_s, n_r = len(P), len(S), len(R)
    p_of = {p: i for i, p in enumerate(P)}
    r_of = {r: i for i, r in enumerate(R)}
    s_of = {s: i for i, s in enumerate(S)}
    pcn_index = {n: i for i, n in enumerate(d.pcns)}
    practice_pcn = np.array([pcn_index[d.pcn_of[p]] for p in P])

    cost = np.array([d.cost[r] for r in R])
    clin = np.array([d.clinical_minutes[r] for r in R])
    cap = np.array([d.contact_cap_per_fte.get(r, np.nan) for r in R])
    delivers = np.array([bool(d.services_for_role.get(r)) for r in R])
    cpp = np.array([d.contacts_per_patient[s] for s in S])
    eligible = _eligible(d, P, S)
    staff_prac = np.zeros((n_p, n_r))
    for (p, r), fte in d.staff_practice.items():
        staff_prac[p_of[p], r_of[r]] = fte

    # skill pairs in DELIVERY order: services in order, roles in skill_mix order within a service
    pair_s = np.array([s_of[s] for s in S for _r in d.roles_for_service[s]], dtype=np.int64)
    pair_r = np.array([r_of[r] for s in S for r in d.roles_for_service[s]], dtype=np.int64)
    pair_min = np.array([d.skill_minutes[s, r] for s in S for r in d.roles_for_service[s]])
    n_pairs = len(pair_s)

    # --- columns (local numbering per family, in each family's index order) ------------------------------
    cols = _Columns()
    every_p = np.arange(n_p)
    cols.add("cov", CodedKeys((P, S), (np.repeat(every_p, n_s), np.tile(np.arange(n_s), n_p))))
    cols.add("x", CodedKeys((P, S, R), (np.repeat(every_p, n_pairs), np.tile(pair_s, n_p), np.tile(pair_r, n_p))))
    cols.add("h", CodedKeys((P, R), (np.repeat(every_p, n_r), np.tile(np.arange(n_r), n_p))))
    deployable = np.array([[(d.pcn_of[p], r) in d.staff_pcn for r in R] for p in P], dtype=bool).reshape(n_p, n_r)
    dep_p, dep_r = np.nonzero(deployable)
    cols.add("e", CodedKeys((P, R), (dep_p, dep_r)))
    e_local = np.full((n_p, n_r), -1, dtype=np.int64)
    e_local[dep_p, dep_r] = np.arange(len(dep_p))
    cols.add("claim", list(P))
    arrs = set(d.arrs_roles)
    step_units = [(u, r) for r in R if r in d.fte_step for u in (d.pcns if r in arrs else P)]
    cols.add("k", step_units, integer=True)

    def cov_col(pi: npt.NDArray[np.intp], si: npt.NDArray[np.intp]) -> np.ndarray:
        return pi * n_s + si

    def h_col(pi: npt.NDArray[np.intp], ri: npt.NDArray[np.intp]) -> np.ndarray:
        return pi * n_r + ri

    rows = _Rows()
    ps_s = np.tile(np.arange(n_s), n_p)
    ps_keys = cols.families["cov"]
    # activity[p,s]: Σ_r x[p,s,r] − cpp[s] cov[p,s] = 0
    x_p = np.repeat(np.arange(n_p), n_pairs)
    x_pair = np.tile(np.arange(n_pairs), n_p)
    rows.add(
        "activity",
        ps_keys,
        EQUAL,
        np.zeros(n_p * n_s),
        [
            (cov_col(x_p, pair_s[x_pair]), "x", np.arange(n_p * n_pairs), np.ones(n_p * n_pairs)),
            (np.arange(n_p * n_s), "cov", np.arange(n_p * n_s), -cpp[ps_s]),
        ],
    )
    min_cov = np.array([d.min_coverage[s] for s in S])
    max_cov = np.array([d.max_coverage[s] for s in S])
    flat_e = eligible.reshape(-1)
    rows.add(
        "min_standard",
        ps_keys,
        LOWER,
        min_cov[ps_s] * flat_e,
        [(np.arange(n_p * n_s), "cov", np.arange(n_p * n_s), np.ones(n_p * n_s))],
    )
    rows.add(
        "max_coverage",
        ps_keys,
        UPPER,
        max_cov[ps_s] * flat_e,
        [(np.arange(n_p * n_s), "cov", np.arange(n_p * n_s), np.ones(n_p * n_s))],
    )

    def workforce_rows(rule: str, role_mask: np.ndarray, per_fte: np.ndarray, x_coef: np.ndarray) -> None:
        # Σ_s coef x[p,s,r] − per_fte[r] (h[p,r] + e[p,r]) ≤ per_fte[r] staff_prac[p,r]
        roles = np.nonzero(role_mask)[0]
        slot = np.full(n_r, -1)
        slot[roles] = np.arange(len(roles))
        rp = np.repeat(np.arange(n_p), len(roles))
        rr = np.tile(roles, n_p)
        keys = CodedKeys((P, R), (rp, rr))
        local = np.arange(len(keys))
        keep = slot[pair_r[x_pair]] >= 0
        x_rows = x_p[keep] * len(roles) + slot[pair_r[x_pair][keep]]
        terms = [
            (x_rows, "x", np.arange(n_p * n_pairs)[keep], x_coef[x_pair][keep]),
            (local, "h", h_col(rp, rr), -per_fte[rr]),
        ]
        has_e = e_local[rp, rr] >= 0
        terms.append((local[has_e], "e", e_local[rp, rr][has_e], -per_fte[rr][has_e]))
        rows.add(rule, keys, UPPER, per_fte[rr] * staff_prac[rp, rr], terms)

    workforce_rows("clinical_time", delivers, clin, pair_min)
    capped = delivers & ~np.isnan(cap)
    workforce_rows("safe_working", capped, np.nan_to_num(cap), np.ones(n_pairs))

    # pcn_deployment[n,r]: Σ_{p∈n} e[p,r] ≤ staff_pcn[n,r]
    dep_keys = [(n, r) for (n, r) in d.staff_pcn if n in d.members]
    dep_index = {k: i for i, k in enumerate(dep_keys)}
    e_rows = np.array([dep_index.get((d.pcn_of[P[i]], R[j]), -1) for i, j in zip(dep_p, dep_r, strict=True)], int)
    ok = e_rows >= 0
    rows.add(
        "pcn_deployment",
        dep_keys,
        UPPER,
        np.array([d.staff_pcn[k] for k in dep_keys]),
        [(e_rows[ok], "e", np.arange(len(dep_p))[ok], np.ones(int(ok.sum())))],
    )
    # workforce_supply[r]: Σ_p h[p,r] ≤ supply
    supply_roles = [r for r in R if r in d.supply_max]
    for_rows = np.repeat(np.arange(len(supply_roles)), n_p)
    sr = np.repeat([r_of[r] for r in supply_roles], n_p).astype(int)
    sp_ = np.tile(np.arange(n_p), len(supply_roles))
    rows.add(
        "workforce_supply",
        supply_roles,
        UPPER,
        np.array([d.supply_max[r] for r in supply_roles]),
        [(for_rows, "h", h_col(sp_, sr), np.ones(len(sp_)))],
    )
    gp = np.array([r_of[r] for r in d.gp_roles], dtype=int)
    if settings.gp_fte_per_10k_weighted is not None:
        need = np.array([settings.gp_fte_per_10k_weighted * d.weighted_list[p] / 10_000 for p in P])
        rows.add(
            "gp_floor", list(P), LOWER, need - staff_prac[:, gp].sum(axis=1), _gp_terms(n_p, gp, e_local, h_col, False)
        )
    if settings.gp_fte_target_total is not None:
        rows.add(
            "gp_target_total",
            [None],
            LOWER,
            np.array([settings.gp_fte_target_total - staff_prac[:, gp].sum()]),
            _gp_terms(n_p, gp, e_local, h_col, True),
        )
    # arrs_claim[p]: claim[p] − Σ reimb[r] h[p,r] ≤ 0
    reimb_roles = np.array([r_of[r] for r in d.reimbursement], dtype=int)
    reimb = np.array(list(d.reimbursement.values()))
    cp = np.repeat(np.arange(n_p), len(reimb_roles))
    cr = np.tile(reimb_roles, n_p)
    rows.add(
        "arrs_claim",
        list(P),
        UPPER,
        np.zeros(n_p),
        [
            (np.arange(n_p), "claim", np.arange(n_p), np.ones(n_p)),
            (cp, "h", h_col(cp, cr), -np.tile(reimb, n_p)),
        ],
    )
    # arrs_entitlement[n]: Σ_{p∈n} claim[p] ≤ headroom[n]
    rows.add(
        "arrs_entitlement",
        list(d.pcns),
        UPPER,
        np.array([d.headroom[n] for n in d.pcns]),
        [(practice_pcn, "claim", np.arange(n_p), np.ones(n_p))],
    )
    hp = np.repeat(np.arange(n_p), n_r)
    hr = np.tile(np.arange(n_r), n_p)
    if settings.budget_mode == "pooled":
        rows.add(
            "budget",
            [None],
            UPPER,
            np.array([float(settings.budget_gbp or 0.0)]),
            [
                (np.zeros(n_p * n_r, int), "h", h_col(hp, hr), cost[hr]),
                (np.zeros(n_p, int), "claim", np.arange(n_p), -np.ones(n_p)),
            ],
        )
    else:
        rows.add(
            "practice_budget",
            list(P),
            UPPER,
            np.array([d.practice_budget[p] for p in P]),
            [
                (hp, "h", h_col(hp, hr), cost[hr]),
                (np.arange(n_p), "claim", np.arange(n_p), -np.ones(n_p)),
            ],
        )
    if step_units:
        terms_rows, terms_cols, terms_k = [], [], []
        for i, (unit, r) in enumerate(step_units):
            hired = d.members[unit] if r in arrs else [unit]
            terms_rows += [i] * len(hired)
            terms_cols += [p_of[p] * n_r + r_of[r] for p in hired]
            terms_k.append(-d.fte_step[r])
        rows.add(
            "hiring_step",
            step_units,
            EQUAL,
            np.zeros(len(step_units)),
            [
                (np.array(terms_rows), "h", np.array(terms_cols), np.ones(len(terms_rows))),
                (np.arange(len(step_units)), "k", np.arange(len(step_units)), np.array(terms_k)),
            ],
        )

    # practice_floor[p] (fair shares): Σ cost[r] h[p,r] − claim[p] ≥ floor[p], practices with a floor
    floor_p = np.array([p_of[p] for p in P if p in d.practice_floor], dtype=int)
    if len(floor_p):
        fp = np.repeat(np.arange(len(floor_p)), n_r)
        fr = np.tile(np.arange(n_r), len(floor_p))
        rows.add(
            "practice_floor",
            [P[i] for i in floor_p],
            LOWER,
            np.array([d.practice_floor[P[i]] for i in floor_p]),
            [
                (fp, "h", h_col(floor_p[fp], fr), cost[fr]),
                (np.arange(len(floor_p)), "claim", floor_p, -np.ones(len(floor_p))),
            ],
        )
    # coverage_level[p] (max_min_coverage): Σ_s weight[p,s] cov[p,s] − lowest_coverage ≥ 0
    if settings.objective == "max_min_coverage":
        cols.add("lowest_coverage", [None])
        level_p = [p for p in P if p in d.coverage_weight]
        term_row = np.array([i for i, p in enumerate(level_p) for _s in d.coverage_weight[p]], dtype=int)
        term_col = np.array([p_of[p] * n_s + s_of[s] for p in level_p for s in d.coverage_weight[p]], dtype=int)
        term_coef = np.array([c for p in level_p for c in d.coverage_weight[p].values()], dtype=float)
        rows.add(
            "coverage_level",
            level_p,
            LOWER,
            np.zeros(len(level_p)),
            [
                (term_row, "cov", term_col, term_coef),
                (np.arange(len(level_p)), "lowest_coverage", np.zeros(len(level_p), int), -np.ones(len(level_p))),
            ],
        )

    # objective (local per family)
    if settings.objective == "min_cost":
        objective = [("h", h_col(hp, hr), cost[hr]), ("claim", np.arange(n_p), -np.ones(n_p))]
        minimise = True
    elif settings.objective == "max_min_coverage":
        objective = [("lowest_coverage", np.zeros(1, int), np.ones(1))]
        minimise = False
    else:
        weight = np.array([d.value_weight[s] for s in S])
        objective = [("cov", np.arange(n_p * n_s), weight[ps_s])]
        minimise = False
    timings["build"] = time.perf_counter() - started

    started = time.perf_counter()
    form = _assemble(cols, rows, objective, minimise)
    timings["compile"] = time.perf_counter() - started
    form.timings = timings
    return form


def _eligible(d: ProgrammeData, P: list[str], S: list[str]) -> np.ndarray:
    values = np.fromiter(d.eligible.values(), dtype=float, count=len(d.eligible))
    if len(values) == len(P) * len(S) and list(d.eligible)[:1] == [(P[0], S[0])]:
        return values.reshape(len(P), len(S))  # derive() fills the full grid in practice-major order
    return np.array([[d.eligible[p, s] for s in S] for p in P])


def _gp_terms(n_p: int, gp: np.ndarray, e_local: np.ndarray, h_col: Any, total: bool) -> list[tuple[Any, ...]]:
    gp_p = np.repeat(np.arange(n_p), len(gp))
    gp_r = np.tile(gp, n_p)
    row = np.zeros(len(gp_p), int) if total else gp_p
    has_e = e_local[gp_p, gp_r] >= 0
    return [
        (row, "h", h_col(gp_p, gp_r), np.ones(len(gp_p))),
        (row[has_e], "e", e_local[gp_p, gp_r][has_e], np.ones(int(has_e.sum()))),
    ]


def _assemble(
    cols: _Columns,
    rows: _Rows,
    objective: list[tuple[str, np.ndarray, np.ndarray]],
    minimise: bool,
) -> StandardForm:
    """Number the columns as Pyomo's compiler does and assemble the arrays."""
    # Pyomo's compiler numbers columns variable family by family, families in order of first
    # appearance (objective, then rows in order, terms in expression order), each family's
    # indices in index order; columns with no nonzero are then dropped. Reproduce that.
    family_names = [e[1] for e in rows.entries]
    first: dict[str, tuple[float, int]] = {}
    for position, (family, local, _coef) in enumerate(objective):
        if len(local):
            first.setdefault(family, (-1.0, position))
    for position, (row, family, _local, _coef) in enumerate(rows.entries):
        if len(row):
            first[family] = min(first.get(family, (np.inf, 0)), (float(row.min()), position))
    order = sorted(first, key=first.__getitem__)
    all_rows = np.concatenate([e[0] for e in rows.entries])
    all_family = np.concatenate([np.full(len(e[0]), i) for i, e in enumerate(rows.entries)])
    all_local = np.concatenate([e[2] for e in rows.entries])
    all_coef = np.concatenate([e[3] for e in rows.entries])
    used = {name: np.zeros(len(keys), dtype=bool) for name, keys in cols.families.items()}
    for i, name in enumerate(family_names):
        mask = (all_family == i) & (all_coef != 0)
        used[name][all_local[mask]] = True
    for family, local, coef in objective:
        used[family][np.asarray(local)[np.asarray(coef) != 0]] = True
    column_of = {name: np.full(len(keys), -1, dtype=np.int64) for name, keys in cols.families.items()}
    col_var: list[str] = []
    col_key: list[FamilyKeys] = []
    n_cols = 0
    for family in order:
        local = np.flatnonzero(used[family])
        column_of[family][local] = np.arange(n_cols, n_cols + len(local))
        n_cols += len(local)
        col_var.extend([family] * len(local))
        keys = cols.families[family]
        col_key.append(keys.take(local) if isinstance(keys, CodedKeys) else [keys[i] for i in local])

    global_col = np.empty(len(all_local), dtype=np.int64)
    for i, name in enumerate(family_names):
        mask = all_family == i
        global_col[mask] = column_of[name][all_local[mask]]
    nonzero = all_coef != 0
    matrix = sp.csc_matrix((all_coef[nonzero], (all_rows[nonzero], global_col[nonzero])), shape=(rows.count, n_cols))
    matrix.sum_duplicates()
    matrix.eliminate_zeros()
    cost = np.zeros(n_cols)
    for family, local, coef in objective:
        np.add.at(cost, column_of[family][local], coef)

    kind = np.concatenate(rows.kind)
    rhs = np.concatenate(rows.rhs)
    row_lower = np.where(kind == UPPER, -INF, rhs)
    row_upper = np.where(kind == LOWER, INF, rhs)
    col_lower = np.zeros(n_cols)
    col_upper = np.full(n_cols, INF)
    if "lowest_coverage" in column_of:  # max_min_coverage's level is a share: 0 ≤ lowest_coverage ≤ 1
        col_upper[column_of["lowest_coverage"]] = 1.0
    integrality = np.array([1 if cols.integer[v] else 0 for v in col_var], dtype=np.int32)

    return StandardForm(
        row_rule=np.concatenate(rows.rule),
        row_key=Keys(rows.key),
        col_var=np.array(col_var, dtype=object),
        col_key=Keys(col_key),
        minimise=minimise,
        offset=0.0,
        cost=cost,
        matrix=matrix,
        row_lower=row_lower,
        row_upper=row_upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
    )
