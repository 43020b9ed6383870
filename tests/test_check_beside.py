"""The check's work beside its conflict search (bench/README.md, seventh session).

Each standards fraction is root-found from one start, the optimum of the need at full standards
(``StandardsAnswers``), so it no longer depends on what the copy solved before it: not on the
combined change's weights, the safe-working searches or which other services were answered first.
That lets the check answer services ahead, while the conflict search still runs. The safe-working
searches skip solves whose answer is known: a role whose caps have no price at the need's optimum
cannot fix it alone, and the uniform raise is tried before the caps are lifted altogether.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from optimiser.deliverability import levers
from optimiser.deliverability.check import check, least_cost_form
from optimiser.deliverability.exact import NeedProgramme, least_cap_raise
from optimiser.deliverability.levers import StandardsAnswers, safe_rows
from optimiser.deliverability.relaxation import relaxation
from optimiser.io import read_document
from optimiser.objectives import spend_coefficients
from optimiser.programme import Programme
from optimiser.runs import load_scenario
from tests.test_explain import lever, per_practice_case, two_services_case

ROOT = Path(__file__).resolve().parents[1]
OFFER = ROOT / "data" / "undeliverable_offer"


def _without_seconds(result: dict) -> str:
    return json.dumps({k: v for k, v in result.items() if k != "seconds"}, sort_keys=True)


@pytest.mark.slow
def test_the_standards_lever_does_not_depend_on_the_combined_changes_weights() -> None:
    """Before, the copy solved the standards after the combined change, from the basis it left: the
    uniform fraction read 0.8928092351115295 with the default weights, …297 with these."""
    scenario = load_scenario(read_document(str(OFFER)))
    plain = check(scenario).result
    weighted = check(scenario, weights={"budget": 1.0, "standards": 2.0}).result
    assert lever(plain, "standards") == lever(weighted, "standards")
    assert lever(plain, "standards")["amount"] == pytest.approx(0.8928092351, abs=1e-9)


def test_each_services_fraction_is_the_same_whatever_the_programme_solved_before() -> None:
    scenario = load_scenario(two_services_case())
    first = Programme(scenario)
    answers = StandardsAnswers(first, NeedProgramme(first, spend_coefficients(first)))
    in_order = {service: answers.service(service) for service in ("dm", "bp")}

    second = Programme(scenario)
    later = StandardsAnswers(second, NeedProgramme(second, spend_coefficients(second)))
    relaxation(second, {"standards": 3.0})  # solves between the start and the answers
    reversed_order = {service: later.service(service) for service in ("bp", "dm")}
    assert reversed_order == in_order
    assert later.uniform() == answers.uniform()
    assert in_order["dm"] == pytest.approx(0.65, abs=1e-9) and in_order["bp"] is None


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(lambda: (read_document(str(ROOT / "data" / "tiny")), {"budget_gbp": 1000}), id="tiny-pooled"),
        pytest.param(lambda: (per_practice_case(), None), id="per-practice"),
        pytest.param(lambda: (two_services_case(), None), id="two-services"),
    ],
)
def test_the_check_is_the_same_however_many_services_were_answered_ahead(monkeypatch, document) -> None:
    """How many services are answered before the conflict search ends depends on timing; the answer
    (the solves counted too) must not."""
    doc, overrides = document()
    scenario = load_scenario(doc, overrides)
    ahead = StandardsAnswers.ahead

    def none(self: StandardsAnswers, stop: threading.Event) -> None:
        return None

    def every(self: StandardsAnswers, stop: threading.Event) -> None:
        ahead(self, threading.Event())

    def backwards(self: StandardsAnswers, stop: threading.Event) -> None:
        for service in reversed(list(self.by_service)):
            self.service(service)

    seen = []
    for variant in (none, every, backwards):
        monkeypatch.setattr(StandardsAnswers, "ahead", variant)
        result = check(scenario).result
        assert result["deliverable"] is False
        seen.append(_without_seconds(result))
    assert seen[1] == seen[0] and seen[2] == seen[0]


@pytest.fixture(scope="module")
def offer_need() -> tuple[Programme, NeedProgramme, StandardsAnswers]:
    programme = Programme(least_cost_form(load_scenario(read_document(str(OFFER)))))
    need = NeedProgramme(programme, spend_coefficients(programme))
    return programme, need, StandardsAnswers(programme, need)


def test_a_role_whose_caps_have_no_price_is_answered_as_a_solve_without_its_caps_answers(offer_need) -> None:
    programme, need, answers = offer_need
    skipped = 0
    with need.opened(), programme.options(presolve="off"):
        for rows in safe_rows(programme).values():
            how, steps, solves = least_cap_raise(need, rows, answers.base)
            solved = least_cap_raise(need, rows)  # no start: the caps lifted first, by a solve
            assert (how, steps) == solved[:2]
            skipped += solves == 0
    assert skipped >= 1  # on the bundled offer, a role with no capped contact at the margin


def test_the_uniform_raise_is_the_same_least_grid_raise_with_fewer_solves(offer_need) -> None:
    programme, need, answers = offer_need
    every = np.concatenate(list(safe_rows(programme).values()))
    with need.opened(), programme.options(presolve="off"):
        raised_first = least_cap_raise(need, every, answers.base, free_first=False)
        lifted_first = least_cap_raise(need, every, answers.base)
    assert raised_first[:2] == lifted_first[:2] == ("exact", 6426)
    assert raised_first[2] < lifted_first[2]
    assert levers.SAFE_WORKING_TOLERANCE == 0.001


def test_a_raise_that_cannot_fix_it_is_found_either_way() -> None:
    """The fair-shares scenario at £100k: lifting every cap leaves it short (its floors and money)."""
    scenario = load_scenario(read_document(str(ROOT / "data" / "fair_shares")), {"budget_gbp": 100_000})
    programme = Programme(least_cost_form(scenario))
    need = NeedProgramme(programme, spend_coefficients(programme))
    every = np.concatenate(list(safe_rows(programme).values()))
    with need.opened(), programme.options(presolve="off"):
        base = need.evaluate()
        raised_first = least_cap_raise(need, every, base, free_first=False)
        lifted_first = least_cap_raise(need, every, base)
    assert raised_first[:2] == lifted_first[:2]
    assert raised_first[0] == "cannot"


def test_a_service_whose_tangent_is_short_at_zero_is_answered_without_a_solve() -> None:
    """two_services_case: £110,000 needed of £75,000; bp's standard costs £10,000 at the margin, so
    even without it £100,000 is needed (the need is convex in t: above its tangent). Before, a solve
    at t = 0 checked what the tangent already shows."""
    programme = Programme(load_scenario(two_services_case()))
    need = NeedProgramme(programme, spend_coefficients(programme))
    answers = StandardsAnswers(programme, need)
    before = programme.solves
    assert answers.service("bp") is None
    assert programme.solves == before
    rows = answers.by_service["bp"]
    with need.opened(), programme.changes():
        programme.set_row_bounds(rows, 0.0, np.inf)
        without = need.evaluate()
    assert without.excess == pytest.approx(25_000, rel=1e-9)
