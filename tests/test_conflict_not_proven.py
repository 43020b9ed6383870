"""A conflict whose search could not decide every test is not called irreducible.

At a pooled budget £203 short of the offer's least cost (£11.56m) two of the deletion filter's tests
ended undecided through every fallback, so the conflict came back ``irreducible: false``; one of its 22
groups (the ARRS GPs' clinical time) was not needed at all (measured by least spend: £11,560,014.50
without it as with it, above the budget). The headline said "each needed for the conflict" and the text
report "dropping any one of these would make the rest possible" all the same. (Since then least-spend
tests decide that conflict, tests/test_conflict_least_spend.py; a search that cannot decide a test,
e.g. one stopped by its time limit, still reads as below.)
"""

from __future__ import annotations

from optimiser.deliverability import wording
from tests.console import REPO, check_json, check_text

UNDELIVERABLE = str(REPO / "data" / "undeliverable_offer")


def test_a_conflict_not_proven_irreducible_says_so_in_its_headline() -> None:
    sentences = ["The budget of £1 a year.", "The minimum standard for Flu (50% coverage) at 2 practices."]
    proven = wording.conflict_headline("deletion_filter", sentences, 3, 2)
    not_proven = wording.conflict_headline("deletion_filter", sentences, 3, 2, irreducible=False)
    assert "(2 rule groups of 3 rules, each needed for the conflict)" in proven
    assert "(2 rule groups of 3 rules; not proven that each is needed: the solver could not decide every test)" in (
        not_proven
    )
    iis = wording.conflict_headline("iis", sentences, 3, 2, irreducible=False)
    assert "irreducible" not in iis and "(3 rules; not proven that each is needed" in iis


def test_the_text_report_promises_dropping_any_one_only_for_a_proven_conflict() -> None:
    result = check_json(UNDELIVERABLE)
    assert result["conflict"]["irreducible"] is True
    assert "\n  (dropping any one of these would make the rest possible" in check_text(result)
    result["conflict"]["irreducible"] = False
    text = check_text(result)
    assert "\n  (not proven that each is needed: the solver could not decide every test)\n" in text
    assert "dropping any one" not in text
