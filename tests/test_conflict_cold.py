"""The deletion filter's keep-tests solved cold with presolve first (conflict.COLD_FREE_SHARE).

A cold attempt may only ever save time: the conflict, its certificates and the basis the filter
leaves for the levers solved after it must be those of the filter that solves every test warm.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import pytest

from optimiser.deliverability.conflict import Conflict, deletion_filter, find_conflict
from optimiser.io import read_document
from optimiser.programme import Programme
from optimiser.runs import load_scenario
from tests.test_explain import base

OFFER = Path(__file__).resolve().parents[1] / "data" / "undeliverable_offer"
conflict_module = importlib.import_module("optimiser.deliverability.conflict")


def filter_on_the_offer(monkeypatch, **constants: float) -> tuple[Programme, Conflict, list[bool]]:
    """The filter on the offer after the check's first solve; whether each cold attempt answered."""
    for name, value in constants.items():
        monkeypatch.setattr(conflict_module, name, value)
    answered = []
    real = Programme.solve_cold

    def spy(self, iteration_limit):
        outcome = real(self, iteration_limit)
        answered.append(outcome is not None)
        return outcome

    monkeypatch.setattr(Programme, "solve_cold", spy)
    programme = Programme(load_scenario(read_document(OFFER)))
    with programme.options(presolve="off"):
        assert programme.solve().status == "infeasible"
        conflict = deletion_filter(programme)
    monkeypatch.undo()
    return programme, conflict, answered


def members(conflict: Conflict) -> list[tuple[str, object, list[int]]]:
    return [(m.rule, m.key, [] if m.rows is None else m.rows.tolist()) for m in conflict.members]


def basis(programme: Programme) -> tuple[list[object], list[object]]:
    b = programme.basis()
    return list(b.col_status), list(b.row_status)


@pytest.fixture(scope="module")
def warm(request) -> tuple[Programme, Conflict, list[bool]]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        return filter_on_the_offer(monkeypatch, COLD_FREE_SHARE=np.inf)


def test_cold_keep_tests_find_the_conflict_every_warm_test_finds(warm, monkeypatch) -> None:
    warm_programme, by_warm, never = warm
    programme, by_cold, answered = filter_on_the_offer(monkeypatch)
    assert never == []
    # Measured: 10 of the filter's keep-tests answered cold, 0-2,400 simplex iterations each
    # against 7,000-8,000 warm.
    assert sum(answered) >= 6
    assert members(by_cold) == members(by_warm) and len(by_cold.members) == 15
    assert by_cold.irreducible and by_cold.verified is True  # certified by the cold tests' points
    # The levers solved next start from the basis the filter leaves: the same.
    assert basis(programme) == basis(warm_programme)


def test_a_cold_attempt_that_stops_is_solved_warm_and_not_counted(warm, monkeypatch) -> None:
    warm_programme, by_warm, _ = warm
    programme, stopped, answered = filter_on_the_offer(monkeypatch, COLD_ITERATION_LIMIT=1)
    # Stopped after one iteration: only keep-tests presolve settles alone are answered cold.
    assert answered.count(False) >= 6
    assert members(stopped) == members(by_warm) and stopped.verified is True
    assert programme.solves == warm_programme.solves
    assert basis(programme) == basis(warm_programme)


def test_solve_cold_answers_only_optimal() -> None:
    feasible = Programme(load_scenario(base(budget_gbp=1_000_000)))
    with feasible.changes():
        outcome = feasible.solve_cold(10_000)
    assert outcome is not None and outcome.status == "optimal" and feasible.solves == 1
    infeasible = Programme(load_scenario(base()))
    with infeasible.changes():
        infeasible.set_objective(np.zeros(infeasible.num_cols))
        assert infeasible.solve_cold(10_000) is None
    assert infeasible.solves == 0


def test_the_check_solves_proof_is_not_solved_again(monkeypatch) -> None:
    """find_conflict after an infeasible solve with a proof (the check's) makes no feasibility solve.

    The offer with per-practice budgets at £10 per weighted patient: pooled, the least-spend filter
    answers instead (tests/test_conflict_least_spend.py)."""
    feasibility = []
    real = Programme.feasibility

    def spy(self):
        feasibility.append(self)
        return real(self)

    monkeypatch.setattr(Programme, "feasibility", spy)
    programme = Programme(load_scenario(read_document(OFFER), {"offer_rate_gbp_per_weighted_patient": 10}))
    with programme.options(presolve="off"):
        assert programme.solve().status == "infeasible"
        assert programme.infeasibility_proof() is not None
        conflict = find_conflict(programme)
    assert conflict is not None and conflict.verified is True
    assert feasibility == []
