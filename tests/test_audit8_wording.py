"""Audit 8 (A2, A3, A4, A5, A8, A11) and names in sentences: what a negotiator reads agrees with itself.

Run as a user runs it (the installed console script), and through the desk's and the PDF's view
functions on the JSON that script prints. ``data/undeliverable_offer``'s least cost is
£11,560,203.2857; the audit's offers are £3.29, £0.29 and £0.09 short of it, £0 and £4.7m.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.report.compare import Side, compare
from optimiser.report.view import Num, check_view
from tests.console import REPO, check_text, run, shared_run, strict_json
from tests.require import require_or_skip

UNDELIVERABLE = REPO / "data" / "undeliverable_offer"
ALL_MET = "no more money, every standard met in full, no hiring above the limits, nothing above the safe-working cap"


@functools.cache
def checked(budget: str) -> tuple[str, dict[str, Any]]:
    """The text and the JSON of ``commission check data/undeliverable_offer --budget <budget>``."""
    done = shared_run("check", str(UNDELIVERABLE), "--budget", budget, "--format", "json")
    assert done.returncode == 1, done.stderr
    result = strict_json(done.stdout)
    return check_text(result), result


def verdict(*args: str) -> str:
    done = shared_run("check", str(UNDELIVERABLE), *args, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    return check_text(strict_json(done.stdout)).splitlines()[0]


# --- A2: the combined change under NOT DELIVERABLE is never "no change" ----------------------


@pytest.mark.parametrize("budget", ["11560200", "11560203", "11560203.2"])
def test_a_budget_just_short_gets_a_combined_change_that_changes_something(budget: str) -> None:
    text, result = checked(budget)
    assert text.startswith("Verdict: NOT DELIVERABLE")
    package_line = next(line for line in text.splitlines() if line.startswith("Smallest combined change:"))
    assert ALL_MET not in package_line
    # The change the solve found, stated: standards a fraction under their level, and where.
    assert "standards at 99.9% of what they require" in package_line, package_line
    assert "each part under a ten-millionth of the requirement it relaxes" in package_line
    assert re.search(r"^  - [\d.]+ fewer patients than the minimum standards require", text, re.M), text
    relaxed = result["relaxation"]
    assert relaxed["status"] == "optimal" and relaxed["penalty"] > 0
    package = relaxed["package"]
    assert package["below_tolerance"] is True
    assert package["standards_met_share"] < 1 and package["lowest_service"] is not None
    assert relaxed["violations"], "the change found is listed"
    # Each part is real: the JSON's amounts are the solve's, above 0.
    assert all(v["amount"] > 0 for v in relaxed["violations"])


def test_a_budget_far_short_keeps_its_package_above_the_tolerance() -> None:
    """At £4.7m the package is far above the tolerance: nothing said about a ten-millionth."""
    text, result = checked("4.7m")
    assert result["relaxation"]["package"]["below_tolerance"] is False
    assert "ten-millionth" not in text


def test_a_package_with_no_change_never_reads_as_none_needed() -> None:
    package = {
        "pooled": True,
        "money_gbp": 0.0,
        "money_share": 0.0,
        "has_supply_limits": True,
        "extra_fte": 0.0,
        "has_standards": True,
        "standards_met_share": 1.0,
        "lowest_service": None,
        "lowest_service_met_share": None,
        "largest_cut_share": 0.0,
        "has_caps": True,
        "contacts_above_caps": 0.0,
        "largest_contacts_per_fte_day_above_cap": 0.0,
        "below_tolerance": True,
    }
    sentence = wording.package_sentence(package)
    assert "no more money" not in sentence and "too small to state" in sentence


# --- A3: a needed cut is never shown as 100%; one figure for the money; FTE at the FTE unit ------


@pytest.mark.parametrize(("budget", "needed"), [("11560203", "£1"), ("11560203.2", "£0.80")])
def test_a_real_cut_of_the_standards_never_reads_100_percent(budget: str, needed: str) -> None:
    text, result = checked(budget)
    standards = next(lever for lever in result["levers"] if lever["lever"] == "standards")
    assert 0.999 < standards["amount"] < 1  # the engine's figure is as solved
    assert "100.0%" not in text and "100%" not in text
    assert "every minimum standard cut to 99.9% of its level" in text
    assert "Every minimum standard would have to fall to 99.9% of its level (a 0.1% cut:" in text
    assert "Diabetes annual review (two contacts) from 80.0% to 79.9%" in text
    assert "Routine (pre-bookable) appointments alone to 84.9% coverage (99.9% of its level)" in text
    # FTE needed at the FTE unit, rounded up, never in scientific notation.
    assert not re.search(r"\de-\d", text), text
    assert "0.001 more FTE than the hiring limits allow" in text
    assert "The spec needs 0.001 more FTE than can be hired (0.001 Paramedic (limit 7.5))" in text
    # One figure for the money needed: the summary's is the lever's, to the penny where the offer
    # has pence (£11,560,204 less £11,560,203.20: audit 9, A2).
    assert f"Any one of these would make it deliverable on its own: {needed} more a year" in text
    assert f"The spec needs {needed} more a year" in text
    assert "£0.29" not in text and "£0.09" not in text


def test_at_three_pounds_short_the_summary_and_the_lever_agree() -> None:
    text, _ = checked("11560200")
    assert "on its own: £4 more a year" in text and "The spec needs £4 more a year" in text
    assert "£3.29" not in text


@pytest.mark.parametrize(("budget", "fraction"), [("11560203", "0.999"), ("11560200", "0.999")])
def test_the_printed_cut_fed_back_is_deliverable(budget: str, fraction: str) -> None:
    assert verdict("--budget", budget, "--standards-fraction", fraction).startswith("Verdict: DELIVERABLE")
    assert verdict("--budget", budget, "--standards-fraction", "1").startswith("Verdict: NOT DELIVERABLE")


def test_the_desk_view_of_pennies_short_agrees_with_the_text() -> None:
    _, result = checked("11560203")
    view = check_view(result)
    cards = {lever.lever: lever.amount.text for lever in view.levers if lever.amount is not None}
    assert cards["budget"] == "£1 more a year"
    assert cards["standards"] == "99.9% of every minimum standard"
    assert cards["workforce_supply"] == "0.001 more FTE"


def test_shares_and_fte_round_towards_what_suffices() -> None:
    assert wording.highest_percent(0.9999999959065551) == "99.9%"
    assert wording.highest_percent(1.0) == "100%"
    assert wording.highest_percent(0.7999999967, below=0.8) == "79.9%"
    assert wording.highest_percent(0.75) == "75%"
    assert wording.least_fte(2.289016791172905e-05) == "0.001"
    assert wording.least_fte(0.18000000118) == "0.18"
    assert wording.least_fte(0.0264) == "0.027"


# --- A4, A5, A11: money one way on a page, and comparisons subtract as shown ----------------------


def texts(obj: Any, out: dict[str, list[str]]) -> dict[str, list[str]]:
    """Every figure of a view, by its JSON path: {src: [text, ...]}."""
    if isinstance(obj, Num):
        out.setdefault(obj.src, []).append(obj.text)
    elif isinstance(obj, list | tuple):
        for item in obj:
            texts(item, out)
    elif isinstance(obj, dict):
        for item in obj.values():
            texts(item, out)
    elif hasattr(obj, "__dataclass_fields__"):
        for name in obj.__dataclass_fields__:
            texts(getattr(obj, name), out)
    return out


def pounds(text: str) -> float:
    """A figure shown to the pound ("£11,560,204", "−£4,700,000", "+£4,700,000") as a number."""
    match = re.fullmatch(r"([+−-]?)£([\d,]+(?:\.\d\d)?)", text)
    assert match, text
    return (-1 if match.group(1) in "−-" and match.group(1) else 1) * float(match.group(2).replace(",", ""))


def millions(text: str) -> float:
    """A figure shown in £m or to the pound ("£11.57m", "−£4.70m", "£0") as a number."""
    match = re.fullmatch(r"([+−-]?)£([\d,]+(?:\.\d\d)?)(m?)", text)
    assert match, text
    value = float(match.group(2).replace(",", "")) * (1e6 if match.group(3) else 1)
    return -value if match.group(1) in ("−", "-") else value


def test_an_offer_of_nothing_is_shown_to_the_pound_and_its_need_rounded_up() -> None:
    _, result = checked("0")
    view = check_view(result)
    figures = texts(view, {})
    assert "£11,560,203.29" not in view.verdict, view.verdict
    # The least cost rounded up at £m and the shortfall subtract (audit 9, A2), as the lever says it.
    assert "the offer of £0 a year is £11.57m short" in view.verdict
    assert "£11.57m a year" in view.verdict
    # A4: needed above an equal share in total is money needed, rounded up as the money lever.
    assert figures["least_cost_allocation.total_shortfall_gbp"] == ["£11.57m"]
    assert figures["levers.0.amount"] == ["£11.57m more a year"]


def most_short(result: dict[str, Any], practice: str) -> tuple[int, dict[str, Any]]:
    rows = result["least_cost_allocation"]["most_short"]
    return next((i, row) for i, row in enumerate(rows) if row["practice_id"] == practice)


@pytest.mark.parametrize("practice", ["P0224", "P0088"])
def test_a_practice_needs_the_same_at_every_offer_and_its_row_subtracts(practice: str) -> None:
    shown = []
    for budget in ("0", "4.7m"):
        _, result = checked(budget)
        i, row = most_short(result, practice)
        figures = texts(check_view(result), {})
        base = f"least_cost_allocation.most_short.{i}"
        need, share, short = (figures[f"{base}.{key}"][0] for key in ("spend_gbp", "offer_share_gbp", "shortfall_gbp"))
        assert pounds(need) - pounds(share) == pounds(short), (need, share, short)
        assert pounds(short) >= row["shortfall_gbp"] - 1e-6  # money needed, never rounded down
        assert pounds(need) >= row["spend_gbp"] - 1e-6
        assert abs(pounds(share) - row["offer_share_gbp"]) < 1
        shown.append(need)
    assert shown[0] == shown[1], shown


def test_the_comparison_of_4_7m_and_nothing_subtracts_as_shown() -> None:
    a, b = checked("4.7m")[1], checked("0")[1]
    comparison = compare(Side("A", "check", a), Side("B", "check", b))
    rows = {row.label: row for row in comparison.rows if row.group == wording.COMPARE_HEADLINE_GROUP}
    least = rows[wording.COMPARE_HEADLINE["least_cost"]]
    # Both sides in £m, the least cost rounded up (audit 9, A2): they subtract there.
    assert least.a.text == least.b.text == "£11.57m"  # type: ignore[union-attr]
    assert least.difference.text == wording.COMPARE_SAME  # type: ignore[union-attr]
    for key in ("offer", "shortfall"):
        row = rows[wording.COMPARE_HEADLINE[key]]
        a_text, b_text = row.a.text, row.b.text  # type: ignore[union-attr]
        difference = millions(b_text) - millions(a_text)
        assert difference == pytest.approx(millions(row.difference.text), abs=1e-6), (a_text, b_text)  # type: ignore[union-attr]
    total = rows[wording.COMPARE_HEADLINE["plan_total_shortfall"]]
    assert total.b.text == "£11.57m" and total.needs  # type: ignore[union-attr]
    # A practice's need above its share reads as on its result page (rounded up).
    i, practice = most_short(b, "P0088")
    page = texts(check_view(b), {})[f"least_cost_allocation.most_short.{i}.shortfall_gbp"][0]
    assert page == wording.least_money(practice["shortfall_gbp"])


# --- A user's names are never changed by the one-precision rule ------------------------------------


def test_a_name_with_a_percentage_is_printed_as_written(tmp_path: Path) -> None:
    scenario = tmp_path / "named"
    shutil.copytree(UNDELIVERABLE, scenario)
    services = scenario / "services.csv"
    services.write_text(services.read_text().replace("Diabetes annual review (two contacts)", "Top 5% frailty"))
    done = run("check", str(scenario), "--format", "json")
    assert done.returncode == 1, done.stderr
    result = strict_json(done.stdout)
    text = check_text(result)
    # The sentence that names it has decimals ("from 80.0% to 71.4%"); the name is as written.
    line = next(line for line in text.splitlines() if "Lower standards:" in line)
    assert "Top 5% frailty from 80.0% to" in line, line
    assert "Top 5.0% frailty" not in text
    sentences = [lever["sentence"] for lever in result["levers"]] + result["relaxation"]["sentences"]
    assert any("Top 5% frailty" in s for s in sentences)
    assert not any("Top 5.0% frailty" in s for s in [*sentences, result["summary"]])


def test_names_are_masked_but_figures_still_share_one_precision() -> None:
    names = wording.Names(services={"frail": "Top 5% frailty"})
    text = "Top 5% frailty from 80% to 62.4%. Next 5% alone."
    assert wording.percents_alike(text, names) == "Top 5% frailty from 80.0% to 62.4%. Next 5% alone."
    assert wording.percents_alike(text) == "Top 5.0% frailty from 80.0% to 62.4%. Next 5% alone."


# --- A8: the same check's PDF has the same pages, its offer typed or not --------------------------


def pages(path: Path) -> int:
    require_or_skip(shutil.which("pdfinfo") is not None, "pdfinfo (poppler-utils) is not installed")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    assert match, info
    return int(match.group(1))


def test_the_pdf_has_the_same_pages_with_the_offer_typed(tmp_path: Path) -> None:
    plain, typed = tmp_path / "a.pdf", tmp_path / "b.pdf"
    for out, extra in ((plain, []), (typed, ["--budget", "4.7m"])):
        done = run("report", str(UNDELIVERABLE), *extra, "--out", str(out))
        assert done.returncode == 0, done.stderr
    assert pages(plain) == pages(typed) == 3
    words = subprocess.run(["pdftotext", str(typed), "-"], capture_output=True, text=True, check=True).stdout
    assert "Scenario hash as checked" in " ".join(words.split())
