"""A check at scaled standards measures its standards lever against the standards as the spec
writes them (audit 5, F1), and a deliverable check with per-practice budgets gives its money
lever per weighted patient without calling money spare across practices (audit 5, F10).

Every figure is derived by hand from data/tiny's README (its sections 3 to 5):
- P2's same-day contacts, 6,400 t at a fraction t of the written standards, can only be done by
  P2's GPs: 5,000 contacts from its 1.0 FTE, then new GPs at £20 a contact.
- So at £1,000 a year the highest t is (5,000 + 1,000 / 20) / 6,400 = 5,050 / 6,400 = 0.7890625,
  and checked at 80% (least cost 20 × (6,400 × 0.8 − 5,000) = £2,400) the spec is not deliverable.
- Above t = 0.78125 every extra contact is needed: 18,400 t − 16,000 in all (16,000 from the staff
  in post), 6,400 t − 5,000 of them GP contacts at P2 (£20) and the rest, 12,000 t − 11,000,
  pharmacist reviews inside the ARRS headroom (£5, up to 800). Their cost 188,000 t − 155,000
  meets £20,000 at t = 175,000 / 188,000 = 175/188 (93.0%); the full standards cost £37,000.
- Per practice: P2 needs (6,400 − 5,000) / 5,000 = 0.28 new GP FTE, £28,000 over its 4,000
  weighted patients: £7.00 per weighted patient is the least rate that covers every practice.
"""

from __future__ import annotations

from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.compare import Side, compare
from optimiser.report.view import check_view
from optimiser.runs import run_job
from tests.console import TINY, run, strict_json

AT_20K = 175 / 188
AT_1K = 5_050 / 6_400


def checked(**overrides: Any) -> dict[str, Any]:
    return run_job("check", read_document(TINY), overrides).result


def lever(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in result["levers"] if item["lever"] == name)


def test_deliverable_at_scaled_standards_gives_the_share_of_the_written_standards_that_fits() -> None:
    result = checked(budget_gbp=20_000, standards_fraction=0.8)
    assert result["deliverable"] is True and result["standards_fraction"] == 0.8
    standards = lever(result, "standards")
    assert standards["amount"] == pytest.approx(AT_20K, rel=1e-7)
    assert standards["details"]["uniform_fraction"] == standards["amount"]
    assert standards["details"]["standards_fraction"] == 0.8
    assert "in full" not in standards["sentence"]
    assert "93.0% of its level as the spec writes it (checked at 80.0%)" in standards["sentence"]
    # The same figure as the standards lever of the check as written, which is not deliverable at £20,000.
    written = checked(budget_gbp=20_000)
    assert written["deliverable"] is False
    assert lever(written, "standards")["amount"] == pytest.approx(standards["amount"], rel=1e-7)
    # The summary says the level checked and the share of the written standards that fits.
    assert "deliverable with every minimum standard checked at 80% of its level" in result["summary"]
    assert standards["sentence"] in result["summary"]
    # The desk page's and the PDF's card read the lever as it is.
    card = next(card for card in check_view(result).levers if card.lever == "standards")
    assert card.sentence == standards["sentence"] and card.amount is not None
    assert card.amount.text.startswith("93.0%")


def test_deliverable_at_scaled_standards_and_at_the_written_ones_is_met_in_full() -> None:
    """£50,000 covers the £37,000 the written standards cost."""
    standards = lever(checked(budget_gbp=50_000, standards_fraction=0.8), "standards")
    assert standards["amount"] == 1.0
    assert standards["sentence"].startswith("At this budget every minimum standard can be met in full (100%)")
    assert "as the spec writes it (checked at 80%)" in standards["sentence"]


def test_standards_checked_at_zero_still_measure_the_written_standards() -> None:
    """Every standard checked at 0% costs nothing; the written ones still fit only to 175/188 at £20,000."""
    result = checked(budget_gbp=20_000, standards_fraction=0.0)
    assert result["deliverable"] is True
    assert lever(result, "standards")["amount"] == pytest.approx(AT_20K, rel=1e-7)


def test_undeliverable_at_scaled_standards_gives_the_share_of_the_written_standards() -> None:
    result = checked(budget_gbp=1_000, standards_fraction=0.8)
    assert result["deliverable"] is False
    standards = lever(result, "standards")
    # Of the scaled standards this is 0.7890625 / 0.8 = 98.6%: the lever gives the written share.
    assert standards["amount"] == pytest.approx(AT_1K, rel=1e-7)
    details = standards["details"]
    assert details["uniform_fraction"] == standards["amount"] and details["standards_fraction"] == 0.8
    for service in details["by_service"]:
        assert service["min_coverage"] == pytest.approx(0.8)  # as the spec writes it, not 64%
        assert service["coverage_at_uniform"] == pytest.approx(AT_1K * 0.8)
    same_day = next(s for s in details["by_service"] if s["service_id"] == "same_day_access")
    assert same_day["fraction_alone"] == pytest.approx(AT_1K, rel=1e-7)  # only P2's same-day binds
    assert same_day["coverage_alone"] == pytest.approx(AT_1K * 0.8, rel=1e-7)
    assert "78.9% of its level as the spec writes it" in standards["sentence"]
    assert "(checked at 80.0%)" in standards["sentence"]  # one precision in the sentence (audit 7, A15)
    assert "with every minimum standard checked at 80% of its level" in result["summary"]
    assert "cut to 78.9% of its level as the spec writes it" in result["summary"]
    # The check as written gives the same share.
    assert lever(checked(budget_gbp=1_000), "standards")["amount"] == pytest.approx(AT_1K, rel=1e-7)


def test_a_check_as_written_says_what_it_said() -> None:
    deliverable = lever(checked(budget_gbp=50_000), "standards")
    assert deliverable["sentence"] == "Every minimum standard can be met in full (100%)."
    assert deliverable["details"] == {"uniform_fraction": 1.0, "standards_fraction": 1.0}
    result = checked(budget_gbp=20_000)
    standards = lever(result, "standards")
    assert standards["sentence"].startswith("Every minimum standard would have to fall to 93.0% of its level (")
    assert "as the spec writes it" not in standards["sentence"] + result["summary"]
    assert "checked at" not in standards["sentence"] + result["summary"]
    assert standards["details"]["standards_fraction"] == 1.0


def test_the_comparison_reads_the_share_of_the_written_standards() -> None:
    """Audit 5, F1: a check at £20,000 against one at £50,000 with every standard checked at 0%
    read 93.0% and 0%; at £50,000 the written standards (£37,000) are met in full."""
    a = Side("A", "check", checked(budget_gbp=20_000))
    b = Side("B", "check", checked(budget_gbp=50_000, standards_fraction=0.0), standards_fraction=0.0)
    rows = {row.label: row for row in compare(a, b).rows}
    reachable = rows[wording.COMPARE_STANDARDS_REACHABLE_AS_WRITTEN]
    assert [reachable.a.value, reachable.b.value] == [pytest.approx(AT_20K, rel=1e-7), 1.0]  # type: ignore[union-attr]
    assert [reachable.a.text, reachable.b.text] == ["93.0%", "100.0%"]  # type: ignore[union-attr]
    checked_at = rows[wording.COMPARE_STANDARDS_CHECKED_AT]
    assert [checked_at.a.value, checked_at.b.value] == [1.0, 0.0]  # type: ignore[union-attr]


def test_a_deliverable_per_practice_check_gives_money_per_weighted_patient() -> None:
    """Audit 5, F10: the unit was £/year while the figure was per weighted patient."""
    result = checked(offer_rate_gbp_per_weighted_patient=35.5)
    assert result["deliverable"] is True
    money = lever(result, "budget")
    assert money["unit"] == wording.LEVER_UNITS["budget_per_practice"] and money["amount"] == 0.0
    assert money["details"]["needed_rate_gbp_per_weighted_patient"] == pytest.approx(7.0, rel=1e-9)
    assert money["details"]["offer_rate_gbp_per_weighted_patient"] == 35.5
    assert "£35.50 per weighted patient" in money["sentence"] and "£7.00" in money["sentence"]
    assert "spare" not in money["sentence"] and "spare" not in result["summary"]
    # The same least rate as the lever of an offer too low to deliver.
    short = lever(checked(offer_rate_gbp_per_weighted_patient=1), "budget")
    assert short["unit"] == money["unit"]
    assert short["details"]["needed_rate_gbp_per_weighted_patient"] == pytest.approx(7.0, rel=1e-9)
    card = next(card for card in check_view(result).levers if card.lever == "budget")
    assert card.unit == money["unit"] and card.amount is not None
    assert card.amount.text.endswith("per weighted patient a year")


def test_the_console_check_at_scaled_standards_states_the_written_share() -> None:
    """The installed script (run with this checkout first on the path, as every console test)."""
    done = run("check", str(TINY), "--budget", "20k", "--standards-fraction", "0.8")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Verdict: DELIVERABLE, with every minimum standard checked at 80% of its level"
    assert "met in full" not in done.stdout
    assert "every minimum standard can be met at 93.0% of its level as the spec writes it" in done.stdout
    as_json = run("check", str(TINY), "--budget", "20k", "--standards-fraction", "0.8", "--format", "json")
    result = strict_json(as_json.stdout)
    assert "checked at 80% of its level" in result["summary"]
    assert lever(result, "standards")["amount"] == pytest.approx(AT_20K, rel=1e-7)


def test_a_service_that_fixes_it_alone_at_the_uniform_level_is_named() -> None:
    """Verify 5, N8: at £1,000 only P2's same-day standard binds, so Same-day access alone reaches
    the uniform level (0.7890625) and medication reviews alone cannot; the sentence left Same-day
    access out and read as if no service could fix it alone."""
    done = run("check", str(TINY), "--budget", "1k", "--standards-fraction", "0.8", "--format", "json")
    standards = lever(strict_json(done.stdout), "standards")
    same_day = next(s for s in standards["details"]["by_service"] if s["service_id"] == "same_day_access")
    assert same_day["fraction_alone"] == pytest.approx(standards["amount"], abs=1e-9)  # alone = uniform
    alone = (
        f"Same-day access alone to {wording.highest_percent(AT_1K * 0.8)} coverage "
        f"({wording.highest_percent(AT_1K)} of its level)"
    )
    assert (
        f"Lowering one service at a time, the others at 80.0% of their level: {alone}; "
        "Medication reviews cannot fix it alone." in standards["sentence"]
    ), standards["sentence"]
    text = run("check", str(TINY), "--budget", "1k", "--standards-fraction", "0.8")
    assert f"{alone}; Medication reviews cannot fix it alone." in text.stdout
