"""Verify 4 (N1, N5, N7, N8), audit 5 (F3): the comparison's figures add up. Each side's offer,
least cost and shortfall (or spare) visibly subtract, as its result page shows them
(``wording.gap_figures``), and both sides of a row are at one precision (both to the pound when
either is); each B − A is the difference of the two unrounded values at the coarser precision
of the two figures, "same" when that leaves nothing; a highest share that fits is rounded down
in the downloads too; the CSV keeps each practice's id; the page calls the per-practice figure
what the headline row calls it."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from api.orm import JobStatus
from optimiser.deliverability import wording
from optimiser.deliverability.wording import COMPARE_HEADLINE as HEADLINE
from optimiser.io import read_document
from optimiser.report.compare import Comparison, Side, compare
from optimiser.report.view import Num
from optimiser.runs import run_job
from tests.test_check_exact import pooled_two_practices
from tests.web.conftest import Desk, tenant, tiny_document
from tests.web.test_compare import assert_every_number_is_the_jobs, documents_of, two_checks_compared

OFFER = Path(__file__).resolve().parents[2] / "data" / "undeliverable_offer"
REACHABLE = wording.COMPARE_STANDARDS_REACHABLE_AS_WRITTEN


def pooled(offer: float, least: float, **extra: Any) -> dict[str, Any]:
    """A pooled check that finds ``offer`` short of the least cost ``least``."""
    details = {"budget_gbp": offer, "least_spend_gbp": least, "shortfall_gbp": least - offer}
    return {"deliverable": False, "levers": [{"lever": "budget", "details": details}], **extra}


def shown(text: str) -> tuple[float, float]:
    """A figure as the reader reads it, and the precision it is shown to: "£11.56m" (to £10,000),
    "£204" (to £1), "269", "6.43", "99.5%" (to a tenth of a point), a signed difference "−£3.40m"."""
    sign = -1.0 if text.startswith("−") else 1.0
    body = text.lstrip("+−").replace(",", "").replace("£", "").replace(" points", "%")
    scale = 1e6 if body.endswith("m") else 0.01 if body.endswith("%") else 1.0
    body = body.rstrip("m%")
    decimals = len(body.partition(".")[2])
    return sign * float(body) * scale, 10.0**-decimals * scale


def headline_cells(result: Comparison) -> dict[str, tuple[Any, Any, Any]]:
    return {
        row.label: (row.a, row.b, row.difference) for row in result.rows if row.group == wording.COMPARE_HEADLINE_GROUP
    }


def headline(result: Comparison) -> dict[str, tuple[str, str, str]]:
    return {
        row.label: tuple(getattr(cell, "text", cell) for cell in (row.a, row.b, row.difference))  # type: ignore[misc]
        for row in result.rows
        if row.group == wording.COMPARE_HEADLINE_GROUP
    }


def assert_adds_up(offer: str, least: str, gap: str, short: bool) -> None:
    """Offer − least cost = spare (or −shortfall) exactly as shown."""
    (o, _), (lc, _), (g, _) = shown(offer), shown(least), shown(gap)
    assert o - lc == pytest.approx(-g if short else g, abs=1e-6), (offer, least, gap)


def assert_difference_agrees(a: tuple[float, str], b: tuple[float, str], difference: str) -> None:
    """B − A is the difference shown: of the figures as shown when both are to one precision (the
    row subtracts), else of the two values (each given as (value, text)) to the precision of the
    coarser figure; "same" where it is nothing at that precision. Where one side is exactly zero,
    the other figure as shown."""
    (shown_a, step_a), (shown_b, step_b) = shown(a[1]), shown(b[1])
    one_zero = (a[0] == 0) != (b[0] == 0)  # the other figure as shown (verify 5, N3)
    if one_zero or (step_a == step_b and shown_a != 0 and shown_b != 0):
        expected = shown_b - shown_a
    else:
        step = max((step for value, step in ((shown_a, step_a), (shown_b, step_b)) if value != 0), default=1.0)
        expected = round((b[0] - a[0]) / step) * step
    if difference == wording.COMPARE_SAME:
        assert expected == 0, (a, b)
        return
    assert shown(difference)[0] == pytest.approx(expected, abs=1e-6), (a, b, difference)


def assert_row_agrees(cells: tuple[Any, Any, Any]) -> None:
    """A row's two figures and B − A (``Num`` cells)."""
    a, b, difference = cells
    assert_difference_agrees((a.value, a.text), (b.value, b.text), difference.text)


def assert_one_precision(cells: tuple[Any, Any, Any]) -> None:
    """Both sides' figures are shown to one precision (a zero has none of its own)."""
    steps = {shown(cell.text)[1] for cell in cells[:2] if shown(cell.text)[0] != 0}
    assert len(steps) <= 1, [cell.text for cell in cells[:2]]


def test_each_sides_offer_least_cost_and_shortfall_subtract_and_so_does_b_minus_a() -> None:
    """N1, the verifier's three checks of data/undeliverable_offer: A at £11.56m (short by £204 of
    £11,560,203.29), B at £4.70m (short by £6,860,203.29), C at standards that cost £8.158m (short
    by £3.46m). In £m, A's £11.56m less £11.56m is not £204 and B's 11.56 − 4.70 is not 6.87: both
    sides are to the pound, as their result pages are. Beside B, C's figures, which subtract in £m,
    are to the pound too (F3: one precision in each row; its offer is not a whole £10k in any case):
    £4,698,000, £8,158,000, £3,460,000."""
    a = Side("A", "check", pooled(11_560_000, 11_560_203.29))
    b = Side("B", "check", pooled(4_700_000, 11_560_203.29))
    c = Side("C", "check", pooled(4_698_000, 8_158_000))
    rows = headline(compare(a, b))
    offer, least, short = (rows[HEADLINE[key]] for key in ("offer", "least_cost", "shortfall"))
    assert offer == ("£11,560,000", "£4,700,000", "−£6,860,000")
    assert least == ("£11,560,204", "£11,560,204", wording.COMPARE_SAME)
    assert short == ("£204", "£6,860,204", "+£6,860,000")
    for side in (0, 1):
        assert_adds_up(offer[side], least[side], short[side], short=True)
    # C's offer of £4,698,000 is no whole £10k: in full, as given (audit 9, A2).
    assert headline(compare(c, c))[HEADLINE["least_cost"]] == ("£8,158,000", "£8,158,000", wording.COMPARE_SAME)
    cells = headline_cells(compare(b, c))
    beside_b = [cells[HEADLINE[key]] for key in ("offer", "least_cost", "shortfall")]
    assert [row[1].text for row in beside_b] == ["£4,698,000", "£8,158,000", "£3,460,000"]
    assert_adds_up(beside_b[0][1].text, beside_b[1][1].text, beside_b[2][1].text, short=True)
    # B − A of the figures as shown, to the pound: 8,158,000 − 11,560,204 and 3,460,000 − 6,860,204.
    assert [row[2].text for row in beside_b] == ["−£2,000", "−£3,402,204", "−£3,400,204"]
    for row in beside_b:
        assert_one_precision(row)
        assert_row_agrees(row)
    # £11,560,203.29 (shown £11,560,204) against £11,560,000: −£204, as the row reads.
    d = Side("D", "check", pooled(4_700_000, 11_560_000))
    assert headline(compare(b, d))[HEADLINE["least_cost"]] == ("£11,560,204", "£11,560,000", "−£204")


def test_a_deliverable_sides_spare_subtracts() -> None:
    """A deliverable check: offer less least cost is the spare, as shown (£2.85m less £1.28m is not
    £1,564,381, so to the pound)."""
    headline_json = {"budget_gbp": 2_848_155.0, "least_spend_gbp": 1_283_773.58, "spend_gbp": 1_283_773.58}
    result = {"deliverable": True, "headline": {**headline_json, "headroom_gbp": 2_848_155.0 - 1_283_773.58}}
    cells = headline_cells(compare(Side("A", "check", result), Side("B", "check", pooled(2_000_000, 2_500_000))))
    offer, least, spare = (cells[HEADLINE[key]] for key in ("offer", "least_cost", "spare"))
    assert (offer[0].text, least[0].text, spare[0].text) == ("£2,848,155", "£1,283,774", "£1,564,381")
    assert_adds_up(offer[0].text, least[0].text, spare[0].text, short=False)
    assert (offer[1].text, least[1].text) == ("£2,000,000", "£2,500,000"), "B beside A: to the pound"
    for row in (offer, least):
        assert_one_precision(row)
        assert_row_agrees(row)


def test_differences_are_at_the_precision_of_the_figures() -> None:
    """N1's mixed-precision cells, each B − A of the values at the coarser precision (F3): new FTE
    268.9 → 206.1 (269 → 206) reads −63; a safe-working raise 0.001 → 6.425 (6.43, rounded up)
    reads +6.42 and 6.425 → 3.425 reads −3.00; coverage 99.5% and 99.5% reads "same" (not "−0.0
    points"); 50% → 40% reads −10.0 points."""

    def check(new_fte: float, raise_: float, smi: float) -> dict[str, Any]:
        plan = {
            "new_fte_total": new_fte,
            "coverage_by_service": {"smi": {"coverage": smi}, "dm": {"coverage": 0.5 if raise_ < 1 else 0.4}},
        }
        levers = [{"lever": "safe_working", "amount": raise_}]
        return {"deliverable": False, "levers": levers, "least_cost_allocation": plan}

    first, second, third = check(268.9, 0.001, 0.99501), check(206.1, 6.425, 0.99499), check(206.1, 3.425, 0.99499)
    result = compare(Side("A", "check", first), Side("B", "check", second))
    rows = headline(result)
    assert rows[HEADLINE["plan_new_fte"]] == ("269", "206", "−63")
    assert rows[HEADLINE["safe_working_raise"]] == ("0.001", "6.43", "+6.42")
    coverage = {row.label: row for row in result.rows if row.group.startswith("Coverage by service")}
    assert [getattr(cell, "text", "") for cell in (coverage["smi"].a, coverage["smi"].b)] == ["99.5%", "99.5%"]
    assert getattr(coverage["smi"].difference, "text", "") == wording.COMPARE_SAME
    assert getattr(coverage["dm"].difference, "text", "") == "−10.0 points"
    # The values behind the texts stay the exact differences (they trace to B − A on the page).
    assert getattr(coverage["smi"].difference, "value", None) == pytest.approx(0.99499 - 0.99501)
    later = compare(Side("B", "check", second), Side("C", "check", third))
    assert headline(later)[HEADLINE["safe_working_raise"]] == ("6.43", "3.43", "−3.00")
    for row in (*result.rows, *later.rows):
        text = getattr(row.difference, "text", "")
        if re.fullmatch(r"[+−]£?[\d,.]+m?( points)?", text) or text == wording.COMPARE_SAME:
            assert_row_agrees((row.a, row.b, row.difference))
    assert not any("−0.0" in text or "+0.0 " in text for row in result.rows for text in [str(row.difference)])


def test_a_practices_difference_on_the_page_agrees_with_its_two_figures() -> None:
    """Per practice, as on the headline: £1.23m (£1,234,567) and £456,789 differ by −£777,778, to
    £10,000: −£780,000."""
    result = compare(Side("A", "check", {}), Side("B", "check", {}))
    result.practice_unit = wording.COMPARE_PRACTICE_UNITS["shortfall_share"]
    a, b = Num(1_234_567.0, "£1.23m", "a"), Num(456_789.0, "£456,789", "b")
    assert result.practice_difference(a, b) == "−£780,000"
    same = Num(1_234_567.0, "£1,234,567", "b")  # one figure at two precisions: no difference made up
    assert result.practice_difference(a, same) == wording.COMPARE_SAME
    assert result.practice_difference(0.0, Num(35.5, "£35.50", "b")) == "+£35.50", "a £0 has no precision"
    assert result.practice_difference(Num(90_000.0, "£90,000", "a"), Num(30_000.0, "£30,000", "b")) == "−£60,000"


def test_a_highest_share_that_fits_is_rounded_down_in_the_downloads() -> None:
    """N5: a check not deliverable that reaches 99.9997% of the standards (the page: 99.9%) reads
    0.9999 in the JSON, CSV and XLSX, not 1.0; coverage reachable at the offer (0.7999976) 0.7999,
    not 0.8; a share exactly 0.8 (give or take solver noise) stays 0.8."""

    def check(share: float) -> dict[str, Any]:
        by_service = [{"service_id": "dm", "coverage_at_uniform": 0.8 * share}]
        lever = {"lever": "standards", "amount": share, "details": {"by_service": by_service}}
        return {"deliverable": False, "levers": [lever]}

    result = compare(Side("A", "check", check(0.999997)), Side("B", "check", check(1 - 1e-12)))
    rows = {(row["section"], row["item"]): row for row in result.document()["rows"]}
    reachable = rows[("Headline", REACHABLE)]
    assert (reachable["a"], reachable["b"], reachable["b_minus_a"]) == (0.9999, 1.0, 0.0001)
    page = {row.label: row for row in result.rows}[REACHABLE]
    # The row's two shares at one precision (audit 7, A15): 100.0% beside 99.9%.
    assert [getattr(page.a, "text", ""), getattr(page.b, "text", "")] == ["99.9%", "100.0%"]
    coverage = next(row for (section, item), row in rows.items() if item == "dm" and "reachable" in section)
    assert (coverage["a"], coverage["b"]) == (0.7999, 0.8)
    frame = result.frame()
    assert list(frame[frame["item"] == REACHABLE].iloc[0][["A: A", "B: B"]]) == [0.9999, 1.0]


def test_the_csv_keeps_each_practices_id_beside_its_name() -> None:
    """N7: per-practice rows carry the practice's id in a `practice_id` column beside its name; the
    metric rows leave it empty."""
    table = pd.DataFrame({"practice_id": ["P1", "P2"], "spend_gbp": [100.0, 80.0], "shortfall_gbp": [40.0, 0.0]})
    names = wording.Names(practices={"P1": "Synthetic Practice 1"})
    sides = [
        Side(label, "check", {"deliverable": False}, least_cost_practices=frame, names=names)
        for label, frame in (("A", table), ("B", table.assign(shortfall_gbp=[10.0, 5.0])))
    ]
    frame = compare(*sides).frame()
    assert list(frame.columns[:3]) == ["section", "item", "practice_id"]
    practices = frame[frame["section"].str.startswith("per practice")]
    assert dict(zip(practices["practice_id"], practices["item"], strict=True)) == {
        "P1": "Synthetic Practice 1 (P1)",
        "P2": "P2",
    }
    assert set(frame[~frame["section"].str.startswith("per practice")]["practice_id"]) == {""}


def test_the_page_counts_practices_in_the_headline_rows_words(desk: Desk) -> None:
    """N8: the lead line and the per-practice heading say "needed above an equal share", as the
    headline row does (F7), not "shortfall"; the CSV names each practice's id."""
    token, (a, b), _results, body = two_checks_compared(desk, {"budget_gbp": 200_000})
    page = desk.signed_in(token).get(f"/desk/compare?a={a}&b={b}").text
    assert "Practices needing more than an equal share of the offer: 2 under A, 1 under B." in page
    assert "Per practice: needed above an equal share of the offer in the least-cost plan" in page
    assert "shortfall against its share" not in page
    csv = desk.client.get(f"/reports/compare?a={a}&b={b}&format=csv", headers={"X-API-Key": token}).text
    frame = pd.read_csv(io.StringIO(csv), dtype={"practice_id": str}, keep_default_na=False)
    practices = frame[frame["section"].str.startswith("per practice")]
    assert sorted(practices["practice_id"]) == ["A", "B"]
    assert [row["practice_id"] for row in body["per_practice"]["rows"]] == ["A", "B"]


def test_the_verifiers_two_checks_add_up_on_the_page(desk: Desk) -> None:
    """N1 end to end: data/undeliverable_offer checked at £11.56m (A) and as written, £4.70m (B): the
    page shows each side's offer, least cost and shortfall to the pound, as B's result page does
    ("£4,700,000 / £11,560,204 / £6,860,204"), each figure traced to its job's JSON."""
    document = read_document(OFFER)
    first = run_job("check", document, {"budget_gbp": "11.56m"})
    second = run_job("check", document)
    token = desk.key(tenant(), "negotiator")
    scenario_id = desk.scenario(token, document)
    a = desk.job(token, scenario_id, JobStatus.SUCCEEDED, first, overrides={"budget_gbp": "11.56m"})
    b = desk.job(token, scenario_id, JobStatus.SUCCEEDED, second)
    page = desk.signed_in(token).get(f"/desk/compare?a={a}&b={b}").text
    rows = {key: page_row(page, HEADLINE[key]) for key in ("offer", "least_cost", "shortfall")}
    assert [rows[key][1][1] for key in ("offer", "least_cost", "shortfall")] == [
        "£4,700,000",
        "£11,560,204",
        "£6,860,204",
    ]
    assert [rows[key][0][1] for key in ("offer", "least_cost", "shortfall")] == ["£11,560,000", "£11,560,204", "£204"]
    for key in ("offer", "least_cost", "shortfall"):
        assert len(rows[key]) == 3, rows[key]
        assert_difference_agrees(rows[key][0], rows[key][1], rows[key][2][1])
    assert_every_number_is_the_jobs(page, documents_of(desk, token, a, b))


def page_row(page: str, label: str) -> list[tuple[float, str]]:
    """The figures of the page's row ``label``: each (its value, its text), A, B and B − A."""
    row = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', page, re.S)
    assert row is not None, label
    return [
        (float(value), text) for value, text in re.findall(r'<data value="([^"]*)"[^>]*>([^<]*)</data>', row.group(1))
    ]


def named_two_practices(gp_cost: float) -> dict[str, Any]:
    """tests/test_check_exact.py::pooled_two_practices, its GP at ``gp_cost`` a year (least cost:
    1.6 GP FTE), its service and role named as a scenario's ``name`` columns name them."""
    document = pooled_two_practices()
    document["roles"][0].update(cost_per_fte_gbp=gp_cost, name="GP")
    document["services"][0]["name"] = "Diabetes review"
    return document


def test_two_checks_of_one_least_cost_read_same_on_the_page_and_in_the_api(desk: Desk) -> None:
    """Audit 5, F3: one scenario (least cost 1.6 × £7,891,322.86 = £12,626,116.58) checked at £19m
    (deliverable: £19.00m less £12.63m leaves £6.37m, which subtract in £m) and at £12m (not: short
    by £626,117, to the pound, so its least cost reads £12,626,117). The page showed £12.63m against
    £12,626,117 and −£3,883, a difference of the rounding only. Now both sides of each row are to
    the pound, the least cost reads "same" on the page as in the API, and each side adds up."""
    document = named_two_practices(7_891_322.86)
    token = desk.key(tenant(), "negotiator")
    scenario_id = desk.scenario(token, document)
    jobs = []
    for offer in (19_000_000, 12_000_000):
        outcome = run_job("check", document, {"budget_gbp": offer})
        jobs.append(desk.job(token, scenario_id, JobStatus.SUCCEEDED, outcome, overrides={"budget_gbp": offer}))
    a, b = jobs
    page = desk.signed_in(token).get(f"/desk/compare?a={a}&b={b}").text
    rows = {key: page_row(page, HEADLINE[key]) for key in ("offer", "least_cost")}
    least = rows["least_cost"]
    assert [text for _value, text in least] == ["£12,626,117", "£12,626,117", wording.COMPARE_SAME]
    assert least[2][0] == pytest.approx(0.0, abs=1e-6)
    assert [text for _value, text in rows["offer"]] == ["£19,000,000", "£12,000,000", "−£7,000,000"]
    # Only A has money spare, only B a shortfall: one figure in each row.
    spare, short = ([text for _value, text in page_row(page, HEADLINE[key])] for key in ("spare", "shortfall"))
    assert (spare, short) == (["£6,373,883"], ["£626,117"])
    assert_adds_up(rows["offer"][0][1], least[0][1], spare[0], short=False)
    assert_adds_up(rows["offer"][1][1], least[1][1], short[0], short=True)
    assert_every_number_is_the_jobs(page, documents_of(desk, token, a, b))
    body = desk.client.get(f"/reports/compare?a={a}&b={b}", headers={"X-API-Key": token}).json()
    api = next(row for row in body["rows"] if row["item"] == HEADLINE["least_cost"])
    assert api["a"] == api["b"] and api["b_minus_a"] == 0.0


def test_money_rows_show_both_sides_at_one_precision() -> None:
    """F3 beyond the least cost: money shown to the nearest (a total shortfall, a practice's need
    above its share) is in £m from £1m and to the pound below it; where one side is in £m and the
    other not (£1.02m beside £998,000), both are to the pound, and B − A is of the values."""

    def check(total: float, shortfalls: list[float]) -> Side:
        table = pd.DataFrame({"practice_id": ["P1", "P2"], "spend_gbp": [2e6, 2e6], "shortfall_gbp": shortfalls})
        plan = {"practices_short": 2, "total_shortfall_gbp": total}
        return Side("A", "check", {"deliverable": False, "least_cost_allocation": plan}, least_cost_practices=table)

    result = compare(check(1_020_432.4, [1_234_567.0, 0.0]), check(998_000.0, [456_789.0, 1_500_000.0]))
    total = headline_cells(result)[HEADLINE["plan_total_shortfall"]]
    # Money needed above an equal share: rounded up (audit 8, A4; was to the nearest, £1,020,432).
    assert [cell.text for cell in total] == ["£1,020,433", "£998,000", "−£22,433"]
    assert_one_precision(total)
    practices = {row[0]: row for row in result.practice_rows}
    assert [practices["P1"][1].text, practices["P1"][2].text] == ["£1,234,567", "£456,789"]
    assert result.practice_difference(practices["P1"][1], practices["P1"][2]) == "−£777,778"
    # £0 has no precision of its own: £1.50m stays in £m beside it.
    assert [practices["P2"][1].text, practices["P2"][2].text] == ["£0", "£1.50m"]
    same = compare(check(1_020_432.4, [0.0, 0.0]), check(1_020_432.4, [0.0, 0.0]))
    assert [getattr(cell, "text", "") for cell in headline_cells(same)[HEADLINE["plan_total_shortfall"]]] == [
        "£1.03m",
        "£1.03m",
        wording.COMPARE_SAME,
    ]


# Verify 5 ------------------------------------------------------------------------------------------


def per_weighted_patient(rate: float, needed: float, **extra: Any) -> dict[str, Any]:
    """A per-weighted-patient check's money lever (levers.budget_lever / offer_rate_lever)."""
    details = {
        "offer_rate_gbp_per_weighted_patient": rate,
        "needed_rate_gbp_per_weighted_patient": needed,
        "extra_rate_gbp_per_weighted_patient": max(0.0, needed - rate),
        **extra,
    }
    return {"budget_mode": "per_practice", "levers": [{"lever": "budget", "details": details}]}


def deliverable(least: float, budget: float, spend: float | None = None, **extra: Any) -> dict[str, Any]:
    """A deliverable check: its least cost, its budget (a pooled offer, or per practice the
    practice budgets in total) and its plan's spend (the least cost unless given)."""
    figures = {"least_spend_gbp": least, "budget_gbp": budget, "headroom_gbp": budget - least}
    headline_json = {**figures, "spend_gbp": least if spend is None else spend}
    plan = {"practices_short": 0, "total_shortfall_gbp": 0.0}
    return {"deliverable": True, "headline": headline_json, "least_cost_allocation": plan, **extra}


POOLED_ONLY = (HEADLINE["offer"], HEADLINE["spare"], HEADLINE["plan_practices_short"], HEADLINE["plan_total_shortfall"])
BUDGETS_IN_TOTAL = wording.OFFER_ROWS["budgets_in_total"]
ABOVE_LEAST = wording.OFFER_ROWS["above_least"]


def test_a_per_weighted_patient_side_shows_its_rates_and_no_pooled_rows_deliverable_or_not() -> None:
    """Verify 5, N2: the rows follow the budget mode, not the verdict. Somerset at £40 (short: the
    least rate is £48.7537) against £50 (deliverable, summed budgets £28,481,554 above a least cost
    of £1,283,774): both sides give their rate and least rate, £40.00 against £50.00 and £48.76 on
    both; the deliverable side's budgets read as its result page's offer table reads them, never
    "Offer (budget)" and "Spare", and no side has equal-share rows. A pooled side, deliverable,
    keeps them."""
    short = per_weighted_patient(
        40.0,
        48.7537,
        practices_short=[{"practice_id": "P1", "shortfall_gbp": 117_332.4}],
        total_shortfall_gbp=117_332.4,
    )
    covered = {**deliverable(1_283_773.58, 28_481_554.0), **per_weighted_patient(50.0, 48.7537)}
    result = compare(Side("A", "check", {"deliverable": False, **short}), Side("B", "check", covered))
    rows = headline(result)
    assert rows[HEADLINE["rate"]] == ("£40.00", "£50.00", "+£10.00")
    assert rows[HEADLINE["needed_rate"]] == ("£48.76", "£48.76", wording.COMPARE_SAME)
    assert not set(POOLED_ONLY) & set(rows), set(POOLED_ONLY) & set(rows)
    budgets, least, above = (rows[label][1] for label in (BUDGETS_IN_TOTAL, HEADLINE["least_cost"], ABOVE_LEAST))
    # As B's result page: £28.48m less £1.28m is not £27.19m spare, so to the pound.
    assert (budgets, least, above) == ("£28,481,554", "£1,283,774", "£27,197,780")
    assert_adds_up(budgets, least, above, short=False)
    assert result.practices_short_line() == "Practices short at the offered rate: 1 under A, 0 under B."
    # The same deliverable money pooled: an offer with money spare, and the equal-share rows.
    pooled_rows = headline(
        compare(
            Side("A", "check", {"deliverable": False, **short}),
            Side("B", "check", deliverable(1_283_773.58, 28_481_554.0)),
        )
    )
    assert set(POOLED_ONLY) <= set(pooled_rows) and BUDGETS_IN_TOTAL not in pooled_rows


def test_a_per_weighted_patient_sides_practices_are_not_measured_against_an_equal_share() -> None:
    """Verify 5, N2: a deliverable per-weighted-patient check's least-cost table measures each
    practice against its own budget; the comparison does not call that "an equal share of the
    offer" (a pooled check beside it is compared on spend in the least-cost plan)."""
    table = pd.DataFrame({"practice_id": ["P1", "P2"], "spend_gbp": [9_000.0, 28_000.0], "shortfall_gbp": [0.0, 0.0]})
    covered = {**deliverable(37_000.0, 355_000.0), **per_weighted_patient(35.5, 7.0)}
    pooled = deliverable(37_000.0, 50_000.0)
    pooled_table = table.assign(shortfall_gbp=[0.0, 3_000.0])
    result = compare(
        Side("A", "check", pooled, least_cost_practices=pooled_table),
        Side("B", "check", covered, least_cost_practices=table),
    )
    assert result.measure == "spend" and result.practice_unit == wording.COMPARE_PRACTICE_UNITS["spend_plans"]
    assert "equal share" not in result.practice_unit and result.practices_short_line() == ""
    both = compare(Side("A", "check", covered, least_cost_practices=table), Side("B", "check", covered))
    assert both.measure == "shortfall_rate"
    assert both.practices_short_line() == "Practices short at the offered rate: 0 under A, 0 under B."


def test_a_difference_from_zero_is_the_other_figure_as_shown() -> None:
    """Verify 5, N3: a safe-working raise of 1.925 (shown rounded up, 1.93) against none read
    "−1.92", and new FTE 0.75 against none "−0.750": now the other figure as shown, in its own
    format, so the row subtracts; the other way round, "+". The value behind it stays the exact B − A."""

    def check(raise_: float, fte: float, reachable: float, total: float) -> dict[str, Any]:
        plan = {"new_fte_total": fte, "practices_short": 1 if total else 0, "total_shortfall_gbp": total}
        levers = [{"lever": "safe_working", "amount": raise_}, {"lever": "standards", "amount": reachable}]
        return {"deliverable": False, "levers": levers, "least_cost_allocation": plan}

    short, none = check(1.925, 0.75, 0.99997, 1_504_999.0), check(0.0, 0.0, 0.0, 0.0)
    for a, b, sign in ((short, none, "−"), (none, short, "+")):
        cells = headline_cells(compare(Side("A", "check", a), Side("B", "check", b)))
        expected = {
            HEADLINE["safe_working_raise"]: "1.93",
            HEADLINE["plan_new_fte"]: "0.75",
            HEADLINE["plan_total_shortfall"]: "£1.51m",  # money needed, rounded up (audit 8, A4)
        }
        for label, figure in expected.items():
            row = cells[label]
            assert {row[0].text, row[1].text} == {figure, "0" if "£" not in figure else "£0"}, label
            assert row[2].text == sign + figure, (label, row[2].text)
            assert_row_agrees(row)
            assert row[2].value == pytest.approx(row[1].value - row[0].value)
        # A share reads in points: 99.9% (rounded down, as the highest share that fits) against 0%.
        reachable = cells[REACHABLE]
        assert reachable[2].text == f"{sign}99.9 points"
        assert_row_agrees(reachable)
    # Both zero: nothing to show.
    assert headline(compare(Side("A", "check", none), Side("B", "check", none)))[HEADLINE["safe_working_raise"]][2] == (
        wording.COMPARE_SAME
    )


def test_a_least_cost_plans_spend_reads_as_its_least_cost() -> None:
    """Verify 5, N4 (a): somerset at £25m pooled, least cost £848,292.09: the result page states
    £848,293 (the £25m offer less £24,151,707 spare, rounded down), and the plan's spend is that
    same value, so the Spend row reads £848,293 too, not £848,292; beside another side its B − A is
    the least cost's. A plan whose spend is not its least cost (best value within the offer) keeps
    its own figure. A solve of least cost reads one figure in both rows, to the pound beside a side
    that is."""
    a = Side("A", "check", deliverable(412_811.3, 20_000_000.0))
    b = Side("B", "check", deliverable(848_292.09, 25_000_000.0))
    rows = headline(compare(a, b))
    assert rows[HEADLINE["least_cost"]] == ("£412,812", "£848,293", "+£435,481")
    assert rows[HEADLINE["spend"]] == rows[HEADLINE["least_cost"]]
    assert_adds_up(rows[HEADLINE["offer"]][1], rows[HEADLINE["least_cost"]][1], rows[HEADLINE["spare"]][1], short=False)
    best_value = Side("C", "check", deliverable(848_292.09, 25_000_000.0, spend=24_990_000.4))
    cells = headline_cells(compare(a, best_value))
    assert cells[HEADLINE["spend"]][1].text == "£24,990,000" and cells[HEADLINE["least_cost"]][1].text == "£848,293"
    solve = Side(
        "S", "solve", {"objective": "min_cost", "kpis": {"budget_gbp": 19e6, "total_spend_gbp": 12_626_116.58}}
    )
    for pair in ((solve, b), (solve, solve)):
        cells = headline_cells(compare(*pair))
        for side in (0, 1):
            assert cells[HEADLINE["spend"]][side].text == cells[HEADLINE["least_cost"]][side].text
        assert_one_precision(cells[HEADLINE["spend"]])
    assert headline(compare(solve, b))[HEADLINE["spend"]][0] == "£12,626,117"
    assert headline(compare(solve, solve))[HEADLINE["spend"]][0] == "£12.63m"


def test_two_rate_offers_on_tiny_compare_their_rates_on_the_page_and_in_the_downloads(desk: Desk) -> None:
    """Verify 5, N2 end to end: data/tiny checked at £1 per weighted patient (not deliverable:
    every practice can deliver from £7.00) and at £35.50 (deliverable: practice budgets £355,000
    in total, £318,000 above the least cost of £37,000). The page and the API give both rates and
    the least rate; B's budgets read in its result page's words and figures; no pooled offer,
    spare or equal share; every number is the jobs'."""
    document = tiny_document()
    token = desk.key(tenant(), "negotiator")
    scenario_id = desk.scenario(token, document)
    jobs = []
    for rate in (1.0, 35.5):
        overrides = {"offer_rate_gbp_per_weighted_patient": rate}
        outcome = run_job("check", document, overrides)
        assert outcome.result["budget_mode"] == "per_practice"
        jobs.append(desk.job(token, scenario_id, JobStatus.SUCCEEDED, outcome, overrides=overrides))
    a, b = jobs
    client = desk.signed_in(token)
    page = client.get(f"/desk/compare?a={a}&b={b}").text
    assert [text for _value, text in page_row(page, HEADLINE["rate"])] == ["£1.00", "£35.50", "+£34.50"]
    assert [text for _value, text in page_row(page, HEADLINE["needed_rate"])] == [
        "£7.00",
        "£7.00",
        wording.COMPARE_SAME,
    ]
    for label in POOLED_ONLY:
        assert f'<th scope="row">{label}</th>' not in page, label
    assert "equal share" not in page
    # B's budgets in its result page's words and figures.
    plain, result_page = html.unescape(page), html.unescape(client.get(f"/desk/jobs/{b}").text)
    for label, figure in (
        (BUDGETS_IN_TOTAL, "£355,000"),
        (HEADLINE["least_cost"], "£37,000"),
        (ABOVE_LEAST, "£318,000"),
    ):
        assert [text for _value, text in page_row(plain, label)] == [figure], label
        if label != HEADLINE["least_cost"]:
            assert re.search(rf"{re.escape(label)}</th>\s*<td[^>]*>\s*<data[^>]*>{figure}<", result_page), label
    assert "Practices short at the offered rate: 2 under A, 0 under B." in page
    assert_every_number_is_the_jobs(page, documents_of(desk, token, a, b))
    body = desk.client.get(f"/reports/compare?a={a}&b={b}", headers={"X-API-Key": token}).json()
    rows = {row["item"]: row for row in body["rows"]}
    assert (rows[HEADLINE["rate"]]["a"], rows[HEADLINE["rate"]]["b"], rows[HEADLINE["rate"]]["b_minus_a"]) == (
        1.0,
        35.5,
        34.5,
    )
    assert rows[HEADLINE["needed_rate"]]["a"] == pytest.approx(7.0) == rows[HEADLINE["needed_rate"]]["b"]
    assert rows[ABOVE_LEAST]["b"] == 318_000.0 and not set(POOLED_ONLY) & set(rows)
