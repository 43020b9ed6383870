"""What it would take, one lever at a time (formulation.md section 6).

For each lever alone, holding every other rule hard, the smallest change that makes the spec
deliverable, in the lever's own unit, or "cannot fix alone": budget (or the per-practice
offer rate), workforce supply, a uniform fraction of the standards, and the safe-working cap.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from models.standard_form import INF
from optimiser.deliverability import wording
from optimiser.deliverability.conflict import DEFINITION_RULES, Conflict, conflict_families
from optimiser.deliverability.exact import (
    SAFE_WORKING_STEP,
    Need,
    NeedProgramme,
    highest_fraction_newton,
    least_cap_raise,
)
from optimiser.objectives import (
    highest_fraction,
    least_cost_plan,
    least_offer_rate,
    spend_coefficients,
    spend_of,
    standard_rows,
)
from optimiser.programme import Programme, SolveOutcome
from optimiser.results import clean_json_object

LEVERS: tuple[str, ...] = ("budget", "workforce_supply", "standards", "safe_working")
LEVER_UNITS = wording.LEVER_UNITS
# Relative/absolute tolerances for "is this positive".
TOL = 1e-7
# The safe-working lever is exact to this step (contacts per FTE-day): see exact.least_cap_raise.
SAFE_WORKING_TOLERANCE = SAFE_WORKING_STEP


@dataclass
class Lever:
    lever: str
    fixable: bool | None
    amount: float | None
    unit: str
    sentence: str
    details: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    # The lever's least-spend solution, when it has one (the budget lever): not part of the JSON.
    solution: SolveOutcome | None = field(default=None, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return clean_json_object(
            {
                "lever": self.lever,
                "fixable": self.fixable,
                "amount": self.amount,
                "unit": self.unit,
                "sentence": self.sentence,
                "details": self.details,
            }
        )


def _cannot(
    programme: Programme,
    lever: str,
    unit: str,
    what: str,
    relaxed: Sequence[str],
    conflict: Conflict | None = None,
) -> Lever:
    """A lever that cannot fix it alone: say so and what still conflicts with it relaxed.

    When the check's conflict does not involve the lever's families, that conflict is itself a
    set of rules that still conflicts with the lever lifted: no solve is needed.
    """
    if conflict is not None and not set(relaxed) & set(conflict.families):
        # Rule families only: an IIS may also hold column bounds ("bound:x"), which are not requirements.
        families = [f for f in conflict.families if not f.startswith("bound:")]
    else:
        with programme.changes():
            for family in relaxed:
                programme.relax_rows(programme.rows(family))
            families = conflict_families(programme)
    others = [f for f in families if f not in relaxed and f not in DEFINITION_RULES]
    return Lever(lever, False, None, unit, wording.cannot_alone(what, others), {"still_conflicting": others})


def _involved(conflict: Conflict, family: str, group: object) -> bool:
    """Whether the conflict needs this group (a service's or role's rows) of the family."""
    for member in conflict.members:
        if member.rule != family:
            continue
        if member.kind == "group" and (member.key is None or member.key == group):
            return True
        if member.kind == "row" and isinstance(member.key, tuple) and member.key[-1] == group:
            return True
    return False


def _cannot_fix(conflict: Conflict | None, family: str, group: object) -> bool:
    """Lifting this group alone leaves the conflict (an infeasible subsystem without it) in place."""
    return conflict is not None and not _involved(conflict, family, group)


def _highest_fraction(programme: Programme, need: NeedProgramme | None, rows: np.ndarray) -> tuple[str, float | None]:
    """(status, t): the highest fraction of the rows' standards that is deliverable; t None: not even 0.

    LP: Newton on the money needed (exact, a few hot re-solves); otherwise one LP with t a column.
    """
    if need is not None and not programme.is_mip:
        with need.opened():
            how, fraction, _solves = highest_fraction_newton(need, rows)
        if how == "exact":
            return ("optimal" if fraction is not None else "infeasible"), fraction
    outcome, fraction = highest_fraction(programme, rows)
    return outcome.status, fraction


def _no_answer(lever: str, unit: str, outcome: SolveOutcome) -> Lever:
    return Lever(lever, None, None, unit, wording.no_answer(lever, outcome.message))


def budget_lever(programme: Programme, conflict: Conflict | None = None, plan: SolveOutcome | None = None) -> Lever:
    """Pooled: the least-cost plan's spend above the budget (``plan``: that plan, solved already on a
    fresh copy; else solved here). Per practice: ``offer_rate_lever``."""
    if programme.scenario.settings.budget_mode == "per_practice":
        return offer_rate_lever(programme, conflict)
    unit = LEVER_UNITS["budget"]
    budget = float(programme.scenario.settings.budget_gbp or 0.0)
    outcome = plan if plan is not None else least_cost_plan(programme)
    if outcome.status == "infeasible":
        return _cannot(programme, "budget", unit, wording.CANNOT_WHAT["budget"], ["budget"], conflict)
    if not outcome.has_solution or outcome.col_value is None:
        return _no_answer("budget", unit, outcome)
    least = spend_of(programme, outcome.col_value)
    shortfall = max(0.0, least - budget)
    share = shortfall / budget if budget > 0 else None
    sentence = wording.budget_sentence(least, budget, share)
    details = {"least_spend_gbp": least, "budget_gbp": budget, "shortfall_gbp": shortfall, "shortfall_share": share}
    return Lever("budget", True, shortfall, unit, sentence, details, solution=outcome)


def offer_rate_lever(programme: Programme, conflict: Conflict | None = None) -> Lever:
    unit = LEVER_UNITS["budget_per_practice"]
    p = programme
    rate = float(p.scenario.settings.offer_rate_gbp_per_weighted_patient or 0.0)
    outcome, needed = least_offer_rate(p)
    if outcome.status == "infeasible":
        return _cannot(p, "budget", unit, wording.CANNOT_WHAT["budget_per_practice"], ["practice_budget"], conflict)
    if needed is None:
        return _no_answer("budget", unit, outcome)
    extra = max(0.0, needed - rate)
    # What each practice needs: its spend in the least-cost plan at the least rate, so no practice
    # needs more per weighted patient than the rate at which every practice can deliver.
    rows = p.rows("practice_budget")
    plan = least_cost_plan(p, offer_rate=needed)
    if plan.row_value is not None:
        need = plan.row_value[rows]  # a practice_budget row's activity is the practice's spend
    else:  # no plan at the margin: the least-rate solve's own allocation, which keeps within the rate too
        assert outcome.row_value is not None
        wl = np.array([p.data.weighted_list[str(p.row_key[i])] for i in rows])
        need = outcome.row_value[rows] + needed * wl  # its rows read spend[p] − r × wl[p]
    short_records: list[dict[str, Any]] = []
    for i, need_p in zip(rows, need, strict=True):
        practice = str(p.row_key[i])
        budget_p = p.data.practice_budget[practice]
        gap = float(need_p) - budget_p
        if gap > TOL * max(1.0, budget_p):
            short_records.append(
                {
                    "practice_id": practice,
                    "budget_gbp": budget_p,
                    "shortfall_gbp": gap,
                    "needs_gbp": float(need_p),
                    "needs_gbp_per_weighted_patient": float(need_p) / p.data.weighted_list[practice],
                }
            )
    short = (
        pd.DataFrame(
            short_records,
            columns=["practice_id", "budget_gbp", "shortfall_gbp", "needs_gbp", "needs_gbp_per_weighted_patient"],
        )
        .sort_values("shortfall_gbp", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
    total = float(short["shortfall_gbp"].sum())
    # The rate needed is what the practices needing the most per weighted patient need: they set it.
    most = short["needs_gbp_per_weighted_patient"].max() if len(short) else None
    set_by = (
        []
        if most is None
        else list(short.loc[short["needs_gbp_per_weighted_patient"] >= most * SAME_RATE, "practice_id"])
    )
    names = wording.Names.of(p.scenario)
    sentence = wording.offer_rate_sentence(extra, rate, needed, short, len(rows), total, names, set_by)
    details = {
        "offer_rate_gbp_per_weighted_patient": rate,
        "needed_rate_gbp_per_weighted_patient": needed,
        "extra_rate_gbp_per_weighted_patient": extra,
        "practices_short": _with_data_notes(short.to_dict("records"), names),
        "total_shortfall_gbp": total,
        "rate_set_by": set_by,
    }
    return Lever("budget", True, extra, unit, sentence, details, {"practices_short": short})


# Practices needing at least this share of the most per weighted patient set the rate together.
SAME_RATE = 1 - 1e-9


def _with_data_notes(records: list[dict[str, Any]], names: wording.Names) -> list[dict[str, Any]]:
    """Practice records with each practice's data_note (why the import doubted its figures), where it has one."""
    return [
        {**record, "data_note": names.notes[str(record["practice_id"])]}
        if str(record["practice_id"]) in names.notes
        else record
        for record in records
    ]


def supply_lever(programme: Programme, conflict: Conflict | None = None) -> Lever:
    unit = LEVER_UNITS["workforce_supply"]
    p = programme
    rows = p.rows("workforce_supply")
    if not len(rows):
        return Lever("workforce_supply", False, None, unit, wording.NO_SUPPLY_LIMIT)
    what = wording.CANNOT_WHAT["workforce_supply"]
    if conflict is not None and "workforce_supply" not in conflict.families:
        return _cannot(p, "workforce_supply", unit, what, ["workforce_supply"], conflict)
    with p.changes():
        p.relax_rows(rows)
        feasible = p.feasibility()
    if feasible.status == "infeasible":
        return _cannot(p, "workforce_supply", unit, what, ["workforce_supply"], conflict)
    with p.changes():
        extra_cols = [p.add_column(0.0, INF, [i], [-1.0]) for i in rows]
        p.set_objective(p.objective_vector(dict.fromkeys(extra_cols, 1.0)))
        first = p.solve()
        if first.col_value is None:
            return _no_answer("workforce_supply", unit, first)
        least = float(sum(first.col_value[j] for j in extra_cols))
        # Among the smallest totals, the cheapest (so the split by role is the least-cost one).
        p.add_row(-INF, least * (1 + 1e-9) + 1e-9, extra_cols, [1.0] * len(extra_cols))
        p.set_objective(p.objective_vector(base=spend_coefficients(p)))
        second = p.solve()
        final = second if second.col_value is not None else first
        assert final.col_value is not None
        extra = {str(p.row_key[i]): float(final.col_value[j]) for i, j in zip(rows, extra_cols, strict=True)}
    by_role = pd.DataFrame(
        [
            {
                "role_id": r,
                "supply_max_fte": p.data.supply_max[r],
                "extra_fte": v,
                "needed_fte": p.data.supply_max[r] + v,
            }
            for r, v in extra.items()
        ],
        columns=["role_id", "supply_max_fte", "extra_fte", "needed_fte"],
    )
    needed = by_role[by_role["extra_fte"] > TOL]
    total = float(needed["extra_fte"].sum())
    sentence = wording.supply_sentence(total, needed, wording.Names.of(p.scenario))
    details = {"total_extra_fte": total, "by_role": by_role.to_dict("records")}
    return Lever("workforce_supply", True, total, unit, sentence, details, {"supply_by_role": by_role})


class StandardsAnswers:
    """The standards lever's fractions on one programme, each root-found from one start: the optimum
    of the need at full standards (``base``) and its basis. Pooled, that optimum is the least-cost
    plan (``plan``, solved already: the same LP, least spend with the budget row free), read without
    a solve; else it is solved here from cold, and the uniform fraction's path goes on straight after
    it. Every other path begins from that optimum's basis alone (``Programme.start_from``), so each
    answer depends on the scenario only, never on what the programme solved before it (the combined
    change, the safe-working searches, another service): they may be asked for in any order, and
    beside the conflict search, before it is known which services it involves.
    """

    def __init__(
        self, programme: Programme, need: NeedProgramme, plan: SolveOutcome | None = None, plan_basis: Any = None
    ):
        """``plan``, ``plan_basis``: the pooled least-cost plan, optimal, and its basis, solved on ``programme``
        (the check's copy): its least spend and duals are the need's at full standards, so solving that
        need again from the plan's basis (0 simplex iterations) only repeated the plan's solve."""
        self.p, self.need = programme, need
        self.by_service = standard_rows(programme)
        self.base: Need | None = None
        self.start: Any | None = None
        self._answers: dict[str | None, tuple[str, float | None]] = {}
        self._solves: dict[str | None, int] = {}
        # Whether the solver is still where the base's own solve left it (the uniform path goes on from there).
        self._at_base = False
        if not programme.is_mip:  # a MIP has no duals to root-find with (``_highest_fraction``)
            if plan is not None and plan_basis is not None and plan.row_dual is not None:
                self.base, self.start = need.read(plan), plan_basis
            else:
                with need.opened(), programme.options(presolve="off" if plan_basis is not None else "on"):
                    programme.start_from(plan_basis)
                    self.base = need.evaluate()
                    self.start = programme.basis()
                    self._at_base = True
        self.uniform()

    def _answer(self, key: str | None, rows: np.ndarray) -> tuple[str, float | None]:
        if key not in self._answers:
            before = self.p.solves
            self._answers[key] = self._fraction(rows)
            self._solves[key] = self.p.solves - before
        return self._answers[key]

    def _fraction(self, rows: np.ndarray) -> tuple[str, float | None]:
        p, need = self.p, self.need
        if self.base is not None:
            with need.opened(), p.options(presolve="off"):
                if not self._at_base:
                    p.start_from(self.start)
                self._at_base = False
                how, fraction, _solves = highest_fraction_newton(need, rows, self.base)
            if how == "exact":
                return ("optimal" if fraction is not None else "infeasible"), fraction
        outcome, fraction = highest_fraction(p, rows)
        return outcome.status, fraction

    def uniform(self) -> tuple[str, float | None]:
        """(status, t): the highest fraction t of every minimum standard that is deliverable (t None:
        not even 0; status "infeasible" too when there is no standard)."""
        return ("infeasible", None) if not self.by_service else self._answer(None, _all(self.by_service))

    def service(self, service: str) -> float | None:
        """The highest fraction of this service's standards that is deliverable, the others in full."""
        return self._answer(service, self.by_service[service])[1]

    def ahead(self, stop: threading.Event) -> None:
        """Each service's fraction, those whose standards cost the most money at the margin first,
        until ``stop`` is set (the conflict search ended and says which are needed)."""
        if self.base is None or self.base.derivative_rows is None:
            return
        duals, lower = self.base.derivative_rows, self.p.base_row_lower
        costs = {s: float(duals[rows] @ lower[rows]) for s, rows in self.by_service.items()}
        for service in sorted(self.by_service, key=lambda s: -costs[s]):
            if stop.is_set():
                return
            self.service(service)

    def unused_solves(self, used: set[str | None]) -> int:
        """Solves made for answers not in ``used`` (found ahead, then not needed)."""
        return sum(n for key, n in self._solves.items() if key not in used)


def standards_lever(
    answers: StandardsAnswers, conflict: Conflict | None = None, checked_at: float = 1.0
) -> tuple[Lever, set[str | None]]:
    """Highest uniform fraction t ≤ 1 of every min_coverage; and per service (others at 100%).

    ``checked_at``: the programme's standards are this share of the spec's (a check at scaled
    standards). The fractions are then of the standards as the spec writes them (the programme's
    fraction × ``checked_at``), each service's alone with the others at ``checked_at``; the details
    carry ``standards_fraction``, the level checked. Also returns the answers it used (None: the
    uniform fraction; a service: its own).
    """
    used: set[str | None] = set()
    lever = _standards_lever(answers, conflict, checked_at, used)
    lever.details["standards_fraction"] = checked_at
    return lever, used


def _standards_lever(answers: StandardsAnswers, conflict: Conflict | None, f: float, used: set[str | None]) -> Lever:
    unit = LEVER_UNITS["standards"]
    p = answers.p
    by_service = answers.by_service
    if not by_service and f > 0:
        return Lever("standards", False, None, unit, wording.NO_STANDARDS)
    status, uniform = answers.uniform()
    used.add(None)
    if status == "infeasible":  # checked at 0% (no standard left to lower), or not even at 0%
        return _cannot(p, "standards", unit, wording.CANNOT_WHAT["standards"], ["min_standard"], conflict)
    if uniform is None:
        return Lever("standards", None, None, unit, wording.no_answer("standards", status))
    uniform *= f
    records: list[dict[str, Any]] = []
    for service in by_service:
        fraction = None
        if not _cannot_fix(conflict, "min_standard", service):
            fraction = answers.service(service)
            used.add(service)
        minimum = p.data.min_coverage[service] / f  # as the spec writes it
        records.append(
            {
                "service_id": service,
                "min_coverage": minimum,
                "coverage_at_uniform": uniform * minimum,
                "fraction_alone": None if fraction is None else fraction * f,
                "coverage_alone": None if fraction is None else fraction * f * minimum,
                "fixable_alone": fraction is not None,
            }
        )
    table = pd.DataFrame(records)
    if uniform <= 1e-9:
        return Lever(
            "standards",
            True,
            0.0,
            unit,
            wording.STANDARDS_TO_ZERO,
            {"uniform_fraction": 0.0, "by_service": records},
            {"standards_by_service": table},
        )
    sentence = wording.standards_sentence(uniform, records, wording.Names.of(p.scenario), f)
    details = {"uniform_fraction": uniform, "by_service": records}
    return Lever("standards", True, uniform, unit, sentence, details, {"standards_by_service": table})


def _all(by_service: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate(list(by_service.values()))


def standards_met_as_written(written: Programme, checked_at: float) -> Lever:
    """A spec deliverable with every minimum standard at ``checked_at`` < 1 of its level: the highest
    share t ≥ ``checked_at`` of the standards as the spec writes them (``written``: its programme)
    that is deliverable too; t = 1 is "met in full"."""
    unit = LEVER_UNITS["standards"]
    details: dict[str, Any] = {"standards_fraction": checked_at}
    by_service = standard_rows(written)
    status, fraction = (
        ("optimal", 1.0)
        if not by_service
        else _highest_fraction(written, NeedProgramme(written, spend_coefficients(written)), _all(by_service))
    )
    if fraction is None:
        return Lever("standards", None, None, unit, wording.no_answer("standards", status), details)
    fraction = max(fraction, checked_at)  # the check found the spec deliverable at the level it checked
    details["uniform_fraction"] = fraction
    pooled = written.scenario.settings.budget_mode == "pooled"
    sentence = wording.standards_met_sentence(fraction, checked_at, pooled)
    return Lever("standards", True, fraction, unit, sentence, details)


def safe_rows(programme: Programme) -> dict[str, np.ndarray]:
    """safe_working rows by role."""
    return programme.rows_by_last_index(programme.rows("safe_working"))


def safe_x_entries(programme: Programme, rows: np.ndarray) -> dict[int, list[tuple[int, float]]]:
    """Entries of the contact (x) columns in safe_working rows."""
    x_cols = set(programme.cols("x").tolist())
    return {i: [(j, v) for j, v in entries if j in x_cols] for i, entries in programme.row_entries(rows).items()}


def workforce_at(programme: Programme, x: np.ndarray) -> dict[tuple[str, str], float]:
    """F[p,r] at a solution: FTE of each role working for each practice."""
    p = programme
    fte: dict[tuple[str, str], float] = defaultdict(float)
    for key, value in p.data.staff_practice.items():
        fte[key] += value
    for var in ("h", "e"):
        cols = p.cols(var)
        for key, value in zip(p.col_key.at(cols), x[cols].tolist(), strict=True):
            fte[key] += value
    return fte


@dataclass
class CapRaises:
    """The safe-working lever's solves: how the uniform search ended, its least raise in grid steps,
    and each role's least raise alone (None: that role alone cannot fix it)."""

    how: str
    steps: int | None
    alone: dict[str, int | None]


def cap_raises(
    programme: Programme,
    conflict: Conflict | None = None,
    need: NeedProgramme | None = None,
    base: Need | None = None,
) -> CapRaises:
    """The least uniform raise of every safe-working cap, and of each role's caps alone.

    Without ``conflict`` every role is searched; with it, a role whose caps the conflict does not
    involve is answered "cannot fix alone" without a solve (so the check can run this beside its
    conflict search, on a copy, and ``safe_working_lever`` applies the conflict afterwards).
    ``base``: the need with no cap raised, solved already (on ``need``); else solved here.
    """
    p = programme
    by_role = safe_rows(p)
    need = need or NeedProgramme(p, spend_coefficients(p))
    alone: dict[str, int | None] = {}
    with need.opened():
        base = base if base is not None else need.evaluate()
        how, steps, _solves = least_cap_raise(need, np.concatenate(list(by_role.values())), base, free_first=False)
        if how == "exact" and steps is not None:
            for role, rows in by_role.items():
                if len(by_role) == 1:
                    alone[role] = steps
                elif _cannot_fix(conflict, "safe_working", role):
                    alone[role] = None
                else:
                    role_how, role_steps, _ = least_cap_raise(need, rows, base)
                    alone[role] = role_steps if role_how == "exact" else None
    return CapRaises(how, steps, alone)


def safe_working_lever(
    programme: Programme,
    conflict: Conflict | None = None,
    need: NeedProgramme | None = None,
    raises: CapRaises | None = None,
) -> Lever:
    """Extra contacts per FTE-day: the least uniform raise of every cap, and per role alone.

    The exact lever is bilinear (cap × FTE), but for a fixed raise δ the programme is linear
    and the money it needs only falls as δ grows. So the least δ on a grid of
    SAFE_WORKING_STEP contacts per FTE-day is root-found on that need (a safeguarded secant,
    hot re-solves): the amount suffices and one step less does not (``details.exact``).
    ``raises``: ``cap_raises`` already solved (on a copy of this programme); else solved here.
    """
    unit = LEVER_UNITS["safe_working"]
    p = programme
    by_role = safe_rows(p)
    if not by_role:
        return Lever("safe_working", False, None, unit, wording.NO_CAPS)
    raises = raises or cap_raises(p, conflict, need)
    how, steps = raises.how, raises.steps
    # A role the conflict does not involve cannot fix it alone: the conflict stands without it.
    alone = {role: None if _cannot_fix(conflict, "safe_working", role) else k for role, k in raises.alone.items()}
    roles = p.scenario.roles
    if how == "cannot":
        return _cannot(p, "safe_working", unit, wording.CANNOT_WHAT["safe_working"], ["safe_working"], conflict)
    if how != "exact" or steps is None:
        return Lever("safe_working", None, None, unit, wording.safe_working_no_answer())
    uniform = steps * SAFE_WORKING_STEP
    lower = max(0.0, uniform - SAFE_WORKING_STEP)
    records: list[dict[str, Any]] = []
    for role in by_role:
        cap = float(roles.at[role, "max_contacts_per_day"])
        k = alone[role]
        records.append(
            {
                "role_id": role,
                "max_contacts_per_day": cap,
                "raise_uniform": uniform,
                "raise_alone": None if k is None else k * SAFE_WORKING_STEP,
                "raise_alone_at_least": None if k is None else max(0.0, (k - 1) * SAFE_WORKING_STEP),
                "needed_cap_alone": None if k is None else cap + k * SAFE_WORKING_STEP,
            }
        )
    table = pd.DataFrame(records)
    sentence = wording.safe_working_sentence(uniform, lower, True, records, wording.Names.of(p.scenario))
    details = {
        "uniform_raise": uniform,
        "uniform_raise_at_least": lower,
        "exact": True,
        "tolerance": SAFE_WORKING_STEP,
        "by_role": records,
    }
    return Lever("safe_working", True, uniform, unit, sentence, details, {"safe_working_by_role": table})


def deliverable_levers(
    programme: Programme, least: float, budget: float, standards: Lever | None = None
) -> list[Lever]:
    """Every lever of a deliverable spec: nothing needs to change. ``least``, ``budget``: the
    headline's least spend and budget (the money spare reads as the headline's). ``standards``: the
    standards lever of a check at scaled standards (``standards_met_as_written``); else every
    standard is met in full."""
    headroom = budget - least
    sentences = wording.deliverable_lever_sentences(least, budget)
    if programme.scenario.settings.budget_mode == "per_practice":
        money = offer_rate_covers(programme)
    else:
        money = Lever("budget", True, 0.0, LEVER_UNITS["budget"], sentences["budget"], {"headroom_gbp": headroom})
    in_full = {"uniform_fraction": 1.0, "standards_fraction": 1.0}
    return [
        money,
        Lever("workforce_supply", True, 0.0, LEVER_UNITS["workforce_supply"], sentences["workforce_supply"]),
        standards or Lever("standards", True, 1.0, LEVER_UNITS["standards"], sentences["standards"], in_full),
        Lever("safe_working", True, 0.0, LEVER_UNITS["safe_working"], sentences["safe_working"]),
    ]


def offer_rate_covers(programme: Programme) -> Lever:
    """Per-practice budgets every practice can deliver within: no more money per weighted patient,
    and the least offer rate that would still cover every practice (one practice's spare money
    cannot fund another, so no total is called spare)."""
    unit = LEVER_UNITS["budget_per_practice"]
    rate = float(programme.scenario.settings.offer_rate_gbp_per_weighted_patient or 0.0)
    outcome, needed = least_offer_rate(programme)
    if needed is None:
        return _no_answer("budget", unit, outcome)
    details = {
        "offer_rate_gbp_per_weighted_patient": rate,
        "needed_rate_gbp_per_weighted_patient": needed,
        "extra_rate_gbp_per_weighted_patient": 0.0,
    }
    return Lever("budget", True, 0.0, unit, wording.offer_rate_covers_sentence(rate, needed), details)


# --------------------------------------------------------------------------------------
# Fair shares: the practice floor (docs/fairness.md)
# --------------------------------------------------------------------------------------
FLOOR_KEEP_TOLERANCE = 1e-9


def floor_lever(programme: Programme, deliverable: bool) -> Lever | None:
    """The practice_floor rule family as a lever; None when the scenario has no floor.

    Deliverable: what the floor costs (least spend with it − least spend without it) and, among
    the least-spend allocations without it, the practices left below their floor (the allocation
    with the least total shortfall). Not deliverable: whether dropping the floor alone would make it
    deliverable, and the highest uniform share of every practice's floor that is.
    """
    p = programme
    rows = p.rows("practice_floor")
    if not len(rows):
        return None
    spend = spend_coefficients(p)
    floors = p.base_row_lower[rows]
    with p.changes():
        p.relax_rows(rows)
        p.set_objective(p.objective_vector(base=spend))
        without = p.solve()
    if without.status == "infeasible":
        return _cannot(
            p,
            "practice_floor",
            LEVER_UNITS["practice_floor_share"],
            wording.CANNOT_WHAT["practice_floor"],
            ["practice_floor"],
        )
    if without.col_value is None:
        return _no_answer("practice_floor", LEVER_UNITS["practice_floor"], without)
    least_without = spend_of(p, without.col_value)
    losers = _floor_losers(p, rows, spend, least_without)
    total_short = float(losers["shortfall_gbp"].sum())
    names = wording.Names.of(p.scenario)
    details: dict[str, Any] = {
        "practices_with_floor": len(rows),
        "floor_total_gbp": float(floors.sum()),
        "least_spend_without_floor_gbp": least_without,
        "practices_below_floor_without_it": len(losers),
        "shortfall_without_it_gbp": total_short,
        "practices_below_floor": _with_data_notes(losers.to_dict("records"), names),
    }
    if deliverable:
        with p.changes():
            p.set_objective(p.objective_vector(base=spend))
            with_floor = p.solve()
        if with_floor.col_value is None:
            return _no_answer("practice_floor", LEVER_UNITS["practice_floor"], with_floor)
        least_with = spend_of(p, with_floor.col_value)
        cost = max(0.0, least_with - least_without)
        details.update({"least_spend_with_floor_gbp": least_with, "floor_cost_gbp": cost})
        sentence = wording.floor_cost_sentence(least_with, least_without, len(rows), losers, total_short, names)
        return Lever(
            "practice_floor",
            True,
            cost,
            LEVER_UNITS["practice_floor"],
            sentence,
            details,
            {"practices_below_floor": losers},
        )
    # Not deliverable, but deliverable without the floor: the highest share of every floor that fits.
    with p.changes():
        f = p.add_column(0.0, 1.0, rows, -floors)
        p.set_row_bounds(rows, 0.0, INF)
        p.set_objective(p.objective_vector({f: 1.0}), maximise=True)
        outcome = p.solve()
        share = float(outcome.col_value[f]) if outcome.col_value is not None else None
    if share is None:
        return _no_answer("practice_floor", LEVER_UNITS["practice_floor_share"], outcome)
    details["highest_floor_share"] = share
    sentence = wording.floor_share_sentence(share, len(rows), losers, total_short)
    return Lever(
        "practice_floor",
        True,
        share,
        LEVER_UNITS["practice_floor_share"],
        sentence,
        details,
        {"practices_below_floor": losers},
    )


def _floor_losers(p: Programme, rows: np.ndarray, spend: np.ndarray, least: float) -> pd.DataFrame:
    """Among allocations of least spend without the floor, the one with the least total shortfall below it."""
    records: list[dict[str, Any]] = []
    with p.changes():
        short = [p.add_column(0.0, INF, [i], [1.0]) for i in rows]
        spend_cols = np.flatnonzero(spend)
        p.add_row(
            -INF,
            least * (1 + FLOOR_KEEP_TOLERANCE) + FLOOR_KEEP_TOLERANCE,
            spend_cols.tolist(),
            spend[spend_cols].tolist(),
        )
        p.set_objective(p.objective_vector(dict.fromkeys(short, 1.0)))
        elastic = p.solve()
        if elastic.col_value is not None:
            for i, j in zip(rows, short, strict=True):
                gap = float(elastic.col_value[j])
                floor = float(p.base_row_lower[i])
                if gap > TOL * max(1.0, floor):
                    practice = str(p.row_key[i])
                    records.append(
                        {"practice_id": practice, "floor_gbp": floor, "gets_gbp": floor - gap, "shortfall_gbp": gap}
                    )
    return (
        pd.DataFrame(records, columns=["practice_id", "floor_gbp", "gets_gbp", "shortfall_gbp"])
        .sort_values("shortfall_gbp", ascending=False, kind="stable")
        .reset_index(drop=True)
    )
