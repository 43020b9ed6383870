"""Figures read together add up (audit4 F1, F6, F7, F8, F10, F17, F21, F22, F26).

One rule (optimiser/deliverability/wording.py, ``gap_figures``): the cost of a plan is stated to
the nearest, the same figure ``solve`` prints; money needed is rounded up and money spare down; and
where an offer, a least cost and the gap between them would not visibly subtract as rounded, all
three are shown to the pound. Run as a user runs it: the installed console script, and the desk's
view of the same JSON.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.report.view import Num, check_view
from tests.console import REPO, check_text, run, shared_run, strict_json

UNDELIVERABLE = str(REPO / "data" / "undeliverable_offer")
SOMERSET = str(REPO / "data" / "somerset")
EXAMPLE = str(REPO / "data" / "example_icb")
MONEY = r"£[\d,]+(?:\.\d+)?m?"


def amount(text: str) -> float:
    """A figure as printed, in pounds: "£11.56m", "£11,560,204", "£35.50"."""
    millions = text.endswith("m")
    return float(text.strip("£m").replace(",", "")) * (1e6 if millions else 1.0)


@cache
def check(*args: str) -> tuple[str, dict[str, Any]]:
    """The JSON check of a command and its text as the CLI prints it (``check_text_lines`` of the same
    JSON, as tests/test_check_text.py holds it; one solve per command keeps this file quick)."""
    done = shared_run("check", *args, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    result = strict_json(done.stdout)
    return check_text(result), result


def lever(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in result["levers"] if item["lever"] == name)


def test_check_states_the_least_cost_solve_prints_and_the_three_figures_add_up() -> None:
    """F1: `solve` said £1.28m (1,283,773.58) and `check` "costs at least £1.29m"."""
    done = run("solve", SOMERSET)
    assert done.returncode == 0, done.stderr
    objective = float(re.search(r"Objective \(least spend\): ([\d,.]+)", done.stdout).group(1).replace(",", ""))  # type: ignore[union-attr]
    checked = shared_run("check", SOMERSET)
    assert checked.returncode == 0, checked.stderr
    text = checked.stdout
    found = re.search(
        rf"Its least cost is ({MONEY}) a year against a budget of ({MONEY}), leaving ({MONEY}) spare", text
    )
    assert found is not None, text
    least, budget, spare = (amount(found.group(k)) for k in (1, 2, 3))
    assert abs(least - objective) <= 1.0, (least, objective)  # the same figure, to the pound it is shown at
    assert least + spare == budget, text
    assert "£1.29m" not in text


def test_a_budget_just_above_the_least_cost_reads_to_the_pound() -> None:
    """F1: "It costs at least £11.57m a year against a budget of £11.57m, leaving £9,796 spare"."""
    text, result = check(UNDELIVERABLE, "--budget", "11.57m")
    assert "Its least cost is £11,560,204 a year against a budget of £11,570,000, leaving £9,796 spare" in text
    # The desk and the PDF read the same JSON: the verdict and the offer table say the same.
    view = check_view(result)
    assert "£11,560,204 a year against the offer of £11,570,000, leaving £9,796 spare" in view.verdict
    shown = {label: value.text for label, value in view.offer}
    assert amount(shown["Offer"]) - amount(shown["Least cost of the specification"]) == amount(shown["Spare"])


def test_an_offer_just_short_shows_figures_that_subtract_to_the_shortfall() -> None:
    """F6: "the offer of £11.56m a year is £204 short of ... £11.57m a year"."""
    text, result = check(UNDELIVERABLE, "--budget", "11.56m")
    assert "The spec needs £204 more a year (under +0.1%)" in text
    assert "its least cost is £11,560,204 a year against a budget of £11,560,000" in text
    view = check_view(result)
    assert view.verdict == (
        "Not deliverable: the offer of £11,560,000 a year is £204 short of the least cost of the specification, "
        "£11,560,204 a year."
    )
    shown = {label: value.text for label, value in view.offer}
    offer, least = amount(shown["Offer, a year"]), amount(shown["Least cost of the specification, a year"])
    assert least - offer == amount(shown["Shortfall, a year"]) == 204
    assert shown["Shortfall, share of the offer"] == "under 0.1%"
    # F17: the new cap at the raise's precision ("from 25 to 25.01" stated a raise ten times too large)
    safe = lever(result, "safe_working")["sentence"]
    assert "0.001 more contacts per FTE-day" in safe and "from 25 to 25.001" in safe and "25.01" not in safe


def test_a_practice_short_by_is_its_need_less_its_share_as_printed_and_as_the_comparison_shows_it() -> None:
    """F6/F8: Needs − Share ≠ Short by (each rounded up); the comparison showed £1 less."""
    _, result = check(UNDELIVERABLE)
    view = check_view(result)
    assert view.practices, "the least-cost plan has practices short of an equal share"
    by_id = {row["practice_id"]: row for row in result["least_cost_allocation"]["most_short"]}
    for name, needs, share, short in view.practices:
        assert isinstance(needs, Num) and isinstance(share, Num) and isinstance(short, Num), (needs, share, short)
        assert amount(needs.text) - amount(share.text) == amount(short.text), (name, needs, share, short)
        # the comparison (optimiser/report/compare.py) shows a practice's shortfall as the page does:
        # money needed, rounded up (audit 8, A11; was to the nearest on both)
        assert short.text == wording.least_money(by_id[str(name)]["shortfall_gbp"])


def test_the_money_needed_above_an_equal_share_is_named_apart_from_the_shortfall_and_offset() -> None:
    """F7: "Shortfall £6.87m" and "Their shortfall in total £8.35m" on one page."""
    _, result = check(UNDELIVERABLE)
    view = check_view(result)
    rows = {label: value for label, value in view.practices_summary}
    assert "shortfall" not in " ".join(rows).lower()
    above = rows[wording.PRACTICES_SUMMARY_ROWS["total_shortfall"]]
    allocation = result["least_cost_allocation"]
    assert above.value == allocation["total_shortfall_gbp"] > allocation["least_spend_gbp"] - allocation["budget_gbp"]
    assert "offsets it" in view.practices_caption
    assert "the offer's shortfall" in view.practices_caption


def test_per_practice_budgets_are_never_spare_in_total_and_totalling_without_of() -> None:
    """F10: "£35.54m spare" in the headline and "£35.55m of the budget is spare" in the lever.
    Audit 5, F10: per-practice budgets leave no money spare in total (one practice's spare money
    cannot fund another), so neither says "spare"; the lever is per weighted patient."""
    text, result = check(UNDELIVERABLE, "--offer-rate", "35.50")
    assert "totalling of" not in text
    found = re.search(rf"practice budgets totalling ({MONEY})", result["summary"])
    assert found is not None, result["summary"]
    assert amount(found.group(1)) == pytest.approx(result["headline"]["budget_gbp"], abs=1)
    money = lever(result, "budget")
    assert "spare" not in result["summary"] and "spare" not in money["sentence"]
    assert (
        money["unit"] == wording.LEVER_UNITS["budget_per_practice"]
        and "£35.50 per weighted patient" in money["sentence"]
    )
    # The desk and the PDF read the same JSON: their verdict and offer table call nothing spare either.
    view = check_view(result)
    assert "spare" not in view.verdict.lower() and "within its own budget" in view.verdict
    shown = {label: value.text for label, value in view.offer}
    assert not [label for label in shown if "spare" in label.lower()], shown
    above = shown[wording.OFFER_ROWS["above_least"]]
    assert amount(shown[wording.OFFER_ROWS["budgets_in_total"]]) - amount(
        shown[wording.OFFER_ROWS["least_cost"]]
    ) == amount(above)


def test_an_11_percent_cut_reads_an() -> None:
    """F26: "a 11% cut"."""
    text, _ = check(EXAMPLE, "--offer-rate", "8")
    assert "a 11" not in text and re.search(r"\(an 11(\.0)?% cut", text), text
    assert [wording.a_or_an(t) for t in ("11%", "8.5%", "80%", "18%", "12%", "1.1%", "110%")] == [
        "an 11%",
        "an 8.5%",
        "an 80%",
        "an 18%",
        "a 12%",
        "a 1.1%",
        "a 110%",
    ]


def test_a_rate_typed_as_a_budget_gets_a_hint_and_no_absurd_percentage() -> None:
    """F22: `--budget 35.50` answered "+32,563,853%" with no word that a rate was probably meant."""
    text, result = check(UNDELIVERABLE, "--budget", "35.50")
    assert "did you mean an offer of £35.50 per weighted patient (--offer-rate 35.50)?" in text
    assert not re.search(r"\+[\d,]{6,}%", text), text
    assert "326,000 times as much" in text
    view = check_view(result)
    assert view.notes and "did you mean an offer of £35.50 per weighted patient?" in view.notes[0]
    # An ordinary budget gets no hint, nor a deep cut that is no rate (verify 4, N2: £500,000 for
    # 1.3m weighted patients is under £1 each, but read as a rate it is above the highest one), nor £0.
    for budget in (None, "500000", "0"):
        plain, ordinary = check(UNDELIVERABLE, *(["--budget", budget] if budget else []))
        # (£500,000 is still a figure to check, F31: a warning among the notes, but not this hint.)
        notes = check_view(ordinary).notes
        assert "did you mean" not in plain and not any("did you mean" in note for note in notes), budget


def test_all_zero_weights_say_the_package_is_arbitrary() -> None:
    """F26: every weight 0 made every combined change free; it was printed as "the smallest"."""
    zero = "budget=0,standards=0,spread=0,safe_working=0,workforce_supply=0"
    done = run("check", UNDELIVERABLE, "--weights", zero)
    if done.returncode == 2:  # refused outright is the other honest answer
        assert "weight" in done.stderr
        return
    assert wording.ALL_WEIGHTS_ZERO_NOTE in done.stdout, done.stdout
    assert wording.ALL_WEIGHTS_ZERO_NOTE not in check(UNDELIVERABLE)[0]


def test_gap_figures_rule() -> None:
    """The one rule, on the audit's own numbers."""
    # F6: pooled £11.56m against a least cost of £11,560,203.29
    assert wording.gap_figures(11_560_203.29, 11_560_000) == ("£11,560,204", "£11,560,000", "£204")
    # figures that subtract as rounded stay in £m
    assert wording.gap_figures(11_556_000, 4_700_000) == ("£11.56m", "£4.70m", "£6.86m")
    # F6: the practice floor: £12.63m against £11.57m was "£1.07m"
    sentence = wording.floor_cost_sentence(12_626_117.0, 11_560_203.29, 230, _losers(), 10.0)
    found = re.search(rf"costs ({MONEY}) a year \(least spend ({MONEY}) against ({MONEY}) without it\)", sentence)
    assert found is not None, sentence
    cost, with_floor, without = (amount(found.group(k)) for k in (1, 2, 3))
    assert with_floor - without == pytest.approx(cost, abs=1e-6)
    # a least rate is rounded up and the rise with it: £5.00 to £48.76 is +£43.76
    assert wording.rate_gap_figures(48.7537, 5.0) == ("£48.76", "£5.00", "£43.76")
    # the sweep states the least cost of the full standards as solve does, beside its table row
    assert "is £11.56m a year" in wording.standards_sweep_summary(True, 11_560_203.29, 4_700_000, 0.89)
    assert wording.raised_to(25, 0.001) == ("0.001", "25.001") and wording.raised_to(25, 6.4271) == ("6.43", "31.43")


def _losers() -> Any:
    import pandas as pd

    return pd.DataFrame({"practice_id": ["P1"], "floor_gbp": [5_000.0], "shortfall_gbp": [10.0]})


def test_a_check_at_scaled_standards_says_so_in_its_text_and_json() -> None:
    """Verify 4, N3: `check --standards-fraction 0.95` never said 95% in its text (the desk and PDF did)."""
    text, result = check(UNDELIVERABLE, "--standards-fraction", "0.95")
    assert result["standards_fraction"] == 0.95
    assert text.splitlines()[0] == "Verdict: NOT DELIVERABLE, with every minimum standard checked at 95% of its level"
    plain, written = check(UNDELIVERABLE)
    assert "standards_fraction" not in written and plain.splitlines()[0] == "Verdict: NOT DELIVERABLE"


def test_the_floor_levers_shortfalls_are_rounded_up_and_their_listed_total_adds_up() -> None:
    """A practice's shortfall below its floor is money it needs: rounded up at its row's step (the
    pound; the penny where its floor is under £100), and where every practice is listed the total is
    the sum of the figures listed; else the exact total rounded up."""
    import pandas as pd

    two = pd.DataFrame({"practice_id": ["P1", "P2"], "floor_gbp": [5_000.0, 50.0], "shortfall_gbp": [1_000.2, 10.004]})
    sentence = wording.floor_cost_sentence(20_000.0, 18_000.0, 3, two, 1_010.204)
    assert "would get less than their floor, £1,011.01 in total" in sentence, sentence
    assert sentence.endswith(": P1 £1,001, P2 £10.01."), sentence
    many = pd.DataFrame(
        {
            "practice_id": [f"P{i}" for i in range(7)],
            "floor_gbp": [80_000.0] * 7,
            "shortfall_gbp": [80_000.4 - i for i in range(7)],
        }
    )
    total = float(many["shortfall_gbp"].sum())  # 559,981.8: £559,982 rounded up
    sentence = wording.floor_cost_sentence(2e6, 1.5e6, 9, many, total)
    assert f"{wording.least_money(total)} in total" in sentence and "£559,982 in total" in sentence, sentence
    assert "; the largest: P0 £80,001" in sentence and "P4 £79,997 and 2 more." in sentence, sentence
    share = wording.floor_share_sentence(0.857, 2, two, 1_010.204)
    assert share.endswith("would then get less than their floor, £1,011 in total."), share
