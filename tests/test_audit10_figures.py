"""Audit 10, #5, #1, #2, #10, #8: figures shown together add up as shown, and say what they are.

Run as a user runs it: the installed console script on the bundled Somerset scenario (real
published data), and the desk's and the PDF's view of the same JSON.

* #5: a sentence (and a table) listing practices' shortfalls and their total: where every part
  is listed, the total is the sum of the parts as shown (each rounded up, so the total suffices);
  where only the largest are, it says so and the total is the exact total rounded up.
* #2: a practice's share of a pooled offer reads as its budget at the same rate per weighted
  patient, its shortfall as the money lever's sentence gives it, and its row adds up.
* #1: data/README.md quotes what `commission check data/somerset` prints.
* #10: practices tied for the lowest figure are counted, not one named as "the lowest"; the
  printable quintile table has the new FTE column the CLI's has.
* #8: shares in a comparison's column share one format (70.0% beside 80.2%).
"""

from __future__ import annotations

import math
import re
from functools import cache
from typing import Any

import pandas as pd
import pytest
from markupsafe import escape

from optimiser.deliverability import wording
from optimiser.report.compare import Side, compare
from optimiser.report.render import report_html
from optimiser.report.view import check_view
from tests.console import REPO, run, shared_run, strict_json

SOMERSET = str(REPO / "data" / "somerset")
POUNDS = r"£[\d,]+(?:\.\d\d)?"


def pounds(text: str) -> float:
    assert re.fullmatch(POUNDS, text), text
    return float(text.strip("£").replace(",", ""))


@cache
def checked(*args: str) -> dict[str, Any]:
    done = shared_run("check", SOMERSET, *args, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    return strict_json(done.stdout)


def money_lever(result: dict[str, Any]) -> dict[str, Any]:
    return next(item for item in result["levers"] if item["lever"] == "budget")


SHORT_LIST = re.compile(rf"short by ({POUNDS}) in total: (.*?)\. ")


def sentence_figures(sentence: str) -> tuple[float, dict[str, float]]:
    """The total and each practice's figure of "... are short by £X in total: A (id) £a, B (id) £b."."""
    found = SHORT_LIST.search(sentence)
    assert found is not None, sentence
    parts = dict(re.findall(rf"\(([A-Z]\d+)\) ({POUNDS})", found.group(2)))
    return pounds(found.group(1)), {practice: pounds(figure) for practice, figure in parts.items()}


def test_the_shortfalls_listed_at_an_offered_rate_add_up_to_the_total_in_the_cli_json_desk_and_pdf() -> None:
    """#5: "6 of 58 practices are short by £943,551 in total: ..." listed six that add to £943,554."""
    result = checked("--offer-rate", "5")
    lever = money_lever(result)
    short = lever["details"]["practices_short"]
    assert len(short) == 6
    total, parts = sentence_figures(lever["sentence"])
    assert list(parts) == [row["practice_id"] for row in short]  # every practice short is listed
    assert total == sum(parts.values()) == 943_554  # was £943,551: the parts added to £3 more
    assert total >= lever["details"]["total_shortfall_gbp"]  # and the total still suffices
    for row in short:  # each part is money needed: rounded up, never a whole pound over
        assert 0 <= parts[row["practice_id"]] - row["shortfall_gbp"] < 1
    # The CLI prints the same sentence.
    text = shared_run("check", SOMERSET, "--offer-rate", "5").stdout
    assert lever["sentence"] in text
    # The desk and the PDF: the table's rows and total say what the sentence says, and add up.
    view = check_view(result)
    rows = {str(row[0]): row for row in view.practices}
    for practice, figure in parts.items():
        budget, short_by, needs = (rows[practice][i] for i in (1, 2, 3))
        assert pounds(short_by.text) == figure  # type: ignore[union-attr]
        assert pounds(budget.text) + pounds(short_by.text) == pounds(needs.text)  # type: ignore[union-attr]
    shown_total = dict(view.offer)[wording.OFFER_ROWS["total_shortfall"]]
    assert pounds(shown_total.text) == total
    html = report_html(view, None)
    assert "£943,554" in html and "£943,551" not in html
    assert escape(wording.PRACTICES_ROUNDING_NOTE) in html


def test_the_pooled_rows_and_their_total_add_up_and_a_share_reads_as_the_budget_at_the_rate() -> None:
    """#5 and #2: pooled, "Needed above an equal share" £905,402 beside rows adding to £905,405; SYMPHONY
    SOUTH's share £67,019 (67,018.45) where the per-practice report says £67,018."""
    pooled = checked()
    view = check_view(pooled)
    rows = {str(row[0]): row for row in view.practices}
    allocation = pooled["least_cost_allocation"]
    assert len(rows) == allocation["practices_short"] == 6
    total = dict(view.practices_summary)[wording.PRACTICES_SUMMARY_ROWS["total_shortfall"]]
    shorts = [pounds(row[3].text) for row in rows.values()]  # type: ignore[union-attr]
    assert pounds(total.text) == sum(shorts) == 905_405
    assert pounds(total.text) >= allocation["total_shortfall_gbp"]
    for row in rows.values():
        needs, share, short = (pounds(cell.text) for cell in row[1:])  # type: ignore[union-attr]
        assert needs == share + short
    by_id = {row["practice_id"]: row for row in allocation["most_short"]}
    assert by_id["L85004"]["offer_share_gbp"] == pytest.approx(67_018.45, abs=0.01)
    # The same money as a rate (£5 per weighted patient): the same share, the same shortfall.
    at_rate = checked("--offer-rate", "5")
    rate_rows = {str(row[0]): row for row in check_view(at_rate).practices}
    _, rate_parts = sentence_figures(money_lever(at_rate)["sentence"])
    share_text, short_text = rows["L85004"][2].text, rows["L85004"][3].text  # type: ignore[union-attr]
    assert share_text == rate_rows["L85004"][1].text == "£67,018"  # type: ignore[union-attr]
    assert pounds(short_text) == rate_parts["L85004"] == 586_462
    for practice, row in rows.items():  # every share within 50p of its value, as the nearest pound
        assert abs(pounds(row[2].text) - by_id[practice]["offer_share_gbp"]) <= 0.5  # type: ignore[union-attr]
    # One paragraph explains the equal-share split; the rounding is said under the table.
    html = report_html(view, None)
    lowered = html.lower()
    assert lowered.count("split equally per weighted patient") + lowered.count("split by weighted patients") == 1
    assert "How the least-cost plan falls on practices" not in html
    assert "offsets it" in view.practices_caption
    assert escape(wording.PRACTICES_ROUNDING_NOTE) in html


def test_a_sentence_that_lists_only_the_largest_shortfalls_says_so_and_its_total_suffices() -> None:
    """#5: with more practices short than are listed, "the largest" and a total rounded up."""
    count = wording.PRACTICES_LISTED + 2
    short = pd.DataFrame(
        {
            "practice_id": [f"P{i:02d}" for i in range(count)],
            "budget_gbp": [10_000.0] * count,
            "shortfall_gbp": [50_000.25 - 1_000 * i for i in range(count)],
            "needs_gbp": [60_000.25 - 1_000 * i for i in range(count)],
        }
    )
    total = float(short["shortfall_gbp"].sum())
    sentence = wording.offer_rate_sentence(1.0, 5.0, 6.0, short, 40, total)
    assert f"{count} of 40 practices are short by {wording.least_money(total)} in total; the largest: " in sentence
    assert "P00 £50,001, " in sentence and f"P{count - 3:02d} £{50_001 - 1_000 * (count - 3):,} and 2 more." in sentence
    assert f"P{count - 1:02d}" not in sentence
    # All listed: the total is the parts as shown, added up (each rounded up).
    few = short.head(3)
    listed = wording.offer_rate_sentence(1.0, 5.0, 6.0, few, 40, float(few["shortfall_gbp"].sum()))
    assert "3 of 40 practices are short by £147,003 in total: P00 £50,001, P01 £49,001, P02 £48,001." in listed
    assert math.ceil(float(few["shortfall_gbp"].sum())) == 147_001  # the exact total, rounded up, is less


def test_data_readme_quotes_what_check_prints_on_the_shipped_somerset() -> None:
    """#1: data/README.md quoted "... £2,848,155, leaving £1,564,381 spare"; the command prints pence."""
    readme = (REPO / "data" / "README.md").read_text()
    found = re.search(r"\*\*`commission check data/somerset`\*\*: \*DELIVERABLE\* \(exit 0\): \"(.*?)\"", readme, re.S)
    assert found is not None
    quoted = " ".join(found.group(1).split())
    done = shared_run("check", SOMERSET)
    assert done.returncode == 0, done.stderr
    assert quoted in " ".join(done.stdout.split())


def test_practices_tied_for_the_lowest_are_counted_and_the_quintile_table_shows_new_fte() -> None:
    """#10: "£0.00 (FRENCH WEIR HEALTH CENTRE, L85001)" was one of 49 practices at £0.00; quintiles 2 and
    3 both read £0.00 per weighted patient, but only 2 gains staff (0.060 new FTE per 1,000)."""
    result = checked()
    spread = result["least_cost_allocation"]["distribution"]["spend_gbp_per_weighted_patient"]
    assert spread["min"] == 0 and spread["min_practices"] == 49 and spread["max_practices"] == 1
    view = check_view(result)
    money = view.distribution[0]
    assert money[1].text == "£0.00 (49 practices, e.g. L85001)"  # type: ignore[union-attr]
    assert money[2].text == "£48.75 (L85004)"  # type: ignore[union-attr]
    column = wording.QUINTILE_COLUMNS.index("New FTE per 1,000 weighted patients")
    assert view.quintile_columns[column] == "New FTE per 1,000 weighted patients"
    by_quintile = {row[0].text: row for row in view.quintiles}  # type: ignore[union-attr]
    assert [by_quintile[q][column].text for q in ("2", "3")] == ["0.060", "0.000"]  # type: ignore[union-attr]
    html = report_html(view, None)
    assert "New FTE per 1,000 weighted patients" in html and "49 practices, e.g. L85001" in html
    # The CLI's fair-shares table says so too.
    text = run("solve", SOMERSET).stdout
    assert "49 practices, e.g. L85001" in text


def test_shares_in_a_comparison_column_share_one_format() -> None:
    """#8: "70%" and "50%" beside "80.2%" in the coverage column of the comparison."""

    def side(coverage: dict[str, float], reachable: float) -> dict[str, Any]:
        return {
            "deliverable": False,
            "levers": [{"lever": "standards", "amount": reachable}],
            "least_cost_allocation": {"coverage_by_service": {s: {"coverage": c} for s, c in coverage.items()}},
        }

    a = side({"dementia": 0.7, "diabetes": 0.8023, "reviews": 0.5}, 1.0)
    b = side({"dementia": 0.7, "diabetes": 0.81, "reviews": 0.47}, 0.94)
    rows = compare(Side("A", "check", a), Side("B", "check", b)).rows
    texts = [getattr(cell, "text", "") for row in rows for cell in (row.a, row.b)]
    shares = [text for text in texts if text.endswith("%")]
    assert {"70.0%", "80.2%", "50.0%", "47.0%", "81.0%", "100.0%", "94.0%"} <= set(shares), shares
    assert all(re.fullmatch(r"\d+\.\d%", text) for text in shares), shares
