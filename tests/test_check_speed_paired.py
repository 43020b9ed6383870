"""The deletion filter two tests at a time (``deletion_filter(paired=True)``, what the check runs).

The second test of a pair is solved on a copy from the same system as the first; its answer is
kept only where the one-at-a-time filter would give that candidate the same answer. So the paired
filter must find the one-at-a-time filter's conflict, certified the same way, and which tests it
solves must not depend on whether the copy runs in another thread.
"""

from __future__ import annotations

import collections
import importlib
import random
from pathlib import Path

import numpy as np
import pytest

from optimiser.deliverability.conflict import Conflict, deletion_filter, verify_conflict
from optimiser.io import read_document
from optimiser.programme import Programme
from optimiser.runs import load_scenario
from tests.test_explain import base, per_practice_case, safe_working_case, supply_case

OFFER = Path(__file__).resolve().parents[1] / "data" / "undeliverable_offer"
conflict_module = importlib.import_module("optimiser.deliverability.conflict")


def members(conflict: Conflict) -> list[tuple[str, object, list[int]]]:
    return [(m.rule, m.key, [] if m.rows is None else m.rows.tolist()) for m in conflict.members]


def filtered(document: dict, paired: bool) -> tuple[Programme, Conflict]:
    programme = Programme(load_scenario(document))
    with programme.options(presolve="off"):
        assert programme.feasibility().status == "infeasible"
        programme.solves = 0
        conflict = deletion_filter(programme, paired=paired)
    return programme, conflict


def test_paired_filter_finds_the_one_at_a_time_conflict_on_the_offer(monkeypatch) -> None:
    document = read_document(OFFER)
    one, alone = filtered(document, paired=False)
    runs = []
    for cores in (1, 2):
        monkeypatch.setattr("optimiser.deliverability.conflict.usable_cores", lambda cores=cores: cores)
        runs.append(filtered(document, paired=True))
    (in_turn, on_one_core), (beside, on_two_cores) = runs
    assert members(on_one_core) == members(on_two_cores) == members(alone) and len(alone.members) == 15
    assert on_two_cores.irreducible and on_two_cores.verified is True
    # The same tests are solved on one core or two; speculation costs at most half as many solves again.
    assert in_turn.solves == beside.solves <= one.solves * 1.5
    with beside.options(presolve="off"):
        assert verify_conflict(beside, on_two_cores) is True


@pytest.mark.parametrize("case", [base, supply_case, safe_working_case, per_practice_case])
def test_paired_filter_agrees_on_the_small_cases(case) -> None:
    document = case()
    _, alone = filtered(document, paired=False)
    programme, paired = filtered(document, paired=True)
    assert members(paired) == members(alone)
    assert paired.irreducible == alone.irreducible and paired.verified == alone.verified
    # Every change is undone: the programme is the scenario's own again.
    assert np.array_equal(programme.row_lower, programme.base_row_lower)
    assert np.array_equal(programme.row_upper, programme.base_row_upper)


@pytest.mark.parametrize("seed", [0, 3])
def test_paired_filter_agrees_when_a_test_solved_ahead_must_be_answered_again(seed, monkeypatch) -> None:
    """Families in another order: the first test of a pair relaxes its candidate and the test solved
    ahead had found the system infeasible, so that answer stands only by a proof, else it is solved
    again (seed 3 meets the first, seed 0 the second). Either way the conflict is the one-at-a-time one."""
    order = list(conflict_module.FILTER_ORDER)
    random.Random(seed).shuffle(order)
    monkeypatch.setattr(conflict_module, "FILTER_ORDER", tuple(order))
    seen: collections.Counter[str] = collections.Counter()
    real = conflict_module._Tests._resolve

    def spy(self, ahead, changed, previous, rows):
        answer = real(self, ahead, changed, previous, rows)
        if ahead.status == "infeasible" and changed:
            seen["solved again" if answer is None else "proved"] += 1
        return answer

    monkeypatch.setattr(conflict_module._Tests, "_resolve", spy)
    document = read_document(OFFER)
    _, alone = filtered(document, paired=False)
    _, paired = filtered(document, paired=True)
    assert seen["proved" if seed == 3 else "solved again"] >= 1
    assert members(paired) == members(alone)
    assert paired.irreducible and paired.verified is True
