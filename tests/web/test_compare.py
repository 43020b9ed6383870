"""Two offers side by side (issue 12): two checks compare the coverage by service, new FTE by role
and each practice's shortfall of their least-cost plans; a solve and a check compare what both
have. Every number on the page, in the API's JSON and in the downloads is the jobs' own."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from api.orm import JobKind, JobStatus
from optimiser.deliverability import wording
from optimiser.deliverability.wording import COMPARE_HEADLINE as HEADLINE
from optimiser.io import read_document, rounded_for_output
from optimiser.report.compare import Side, compare, practice_text
from optimiser.report.view import Num, resolve
from optimiser.runs import run_job
from tests.test_check_exact import pooled_two_practices
from tests.web.conftest import Desk, tenant, tiny_document

OFFER = Path(__file__).resolve().parents[2] / "data" / "undeliverable_offer"

DATA = re.compile(r'<data value="([^"]*)" data-src="([^"]*)">([^<]*)</data>')
PLAN_COVERAGE = "Coverage by service (least-cost plan)"
PLAN_FTE = "New FTE by role (least-cost plan)"
SHORTFALL = "needed above an equal share of the offer in the least-cost plan, £ a year"
REACHABLE = "Standards reachable (share of every minimum as the spec writes it)"
CHECKED_AT = "Standards checked at (share of every minimum as the spec writes it)"


def documents_of(desk: Desk, token: str, a: str, b: str) -> dict[str, Any]:
    """What a reader can fetch for two jobs: each result (`a`, `b`) and each result table
    (`a.NAME`: its rows as `GET /jobs/{id}/tables/NAME` gives them)."""
    headers = {"X-API-Key": token}
    documents: dict[str, Any] = {}
    for side, job_id in (("a", a), ("b", b)):
        job = desk.client.get(f"/jobs/{job_id}", headers=headers).json()
        documents[side] = job["result"]
        documents[f"{side}.job"] = job
        for table in job["tables"]:
            csv = desk.client.get(f"/jobs/{job_id}/tables/{table['name']}", headers=headers)
            frame = pd.read_csv(io.StringIO(csv.text), dtype={"practice_id": str})
            documents[f"{side}.{table['name']}"] = frame.to_dict("records")
    return documents


def figure(documents: dict[str, Any], src: str) -> float:
    """The value at `src`, or the product of the values at `X × Y` (a share of scaled standards
    times the share they were checked at). An empty source is the standards as the spec writes
    them: 100%."""
    if not src:
        return 1.0
    value = 1.0
    for part in src.split(" × "):
        value *= float(resolve(documents, part))
    return value


def assert_every_number_is_the_jobs(page: str, documents: dict[str, Any]) -> set[str]:
    """Every <data> on the page equals the value at its path; a difference `B - A` equals B − A."""
    numbers = DATA.findall(page)
    assert numbers
    for value, src, text in numbers:
        src = html.unescape(src)
        if " - " in src:
            later, earlier = src.split(" - ")
            expected = figure(documents, later) - figure(documents, earlier)
        else:
            expected = figure(documents, src)
        if not src:
            assert text == "100.0%", "only the standards as written have no source"
        assert float(value) == pytest.approx(expected, rel=0, abs=0), (src, value, expected)
        assert text.strip(), src
    return {html.unescape(src) for _value, src, _text in numbers}


def two_checks_compared(desk: Desk, revised: dict[str, Any]) -> tuple[str, tuple[str, str], tuple[Any, Any], Any]:
    """pooled_two_practices checked as written (A) and with ``revised`` (B), stored as two desk jobs
    of one negotiator: (key, (job A, job B), (result A, result B), the comparison's JSON)."""
    document = pooled_two_practices()
    first, second = run_job("check", document), run_job("check", document, revised)
    token = desk.key(tenant(), "negotiator")
    scenario_id = desk.scenario(token, document)
    a = desk.job(token, scenario_id, JobStatus.SUCCEEDED, first)
    b = desk.job(token, scenario_id, JobStatus.SUCCEEDED, second, overrides=revised)
    body = desk.client.get(f"/reports/compare?a={a}&b={b}", headers={"X-API-Key": token}).json()
    return token, (a, b), (first, second), body


def test_two_checks_at_different_offers_by_hand(desk: Desk) -> None:
    """tests/test_check_exact.py::pooled_two_practices: A (10,000 weighted patients) and B (30,000);
    the dm standard needs 500 and 300 patients -> 1.0 and 0.6 GP FTE -> £100,000 and £60,000.
    Offer A: £40,000 pooled -> shares £10,000 and £30,000 -> short £90,000 and £30,000.
    Offer B: £200,000 at 80% of the standards -> 400 and 240 patients, 0.8 and 0.48 FTE, need
    £80,000 and £48,000 against shares £50,000 and £150,000 -> A short £30,000, B not short.
    Coverage of dm 50% -> 40% (−10 points); new GP FTE 1.6 -> 1.28; per practice A −£60,000 (first),
    B −£30,000."""
    revised = {"budget_gbp": 200_000, "standards_fraction": 0.8}
    token, (a, b), (first, _second), body = two_checks_compared(desk, revised)
    headers = {"X-API-Key": token}
    rows = {(row["section"], row["item"]): row for row in body["rows"]}
    dm = rows[(PLAN_COVERAGE, "dm")]
    assert dm["a"] == pytest.approx(0.5, rel=1e-9) and dm["b"] == pytest.approx(0.4, rel=1e-9)
    assert dm["b_minus_a"] == pytest.approx(-0.1, rel=1e-9)
    gp = rows[(PLAN_FTE, "gp")]
    assert gp["a"] == pytest.approx(1.6, rel=1e-9) and gp["b"] == pytest.approx(1.28, rel=1e-9)
    assert gp["b_minus_a"] == pytest.approx(-0.32, rel=1e-9)
    hires = rows[("Headline", "New FTE in total (least-cost plan)")]  # GP is the only role hired here
    assert hires["a"] == pytest.approx(1.6, rel=1e-9) and hires["b"] == pytest.approx(1.28, rel=1e-9)
    assert hires["a"] == first.result["least_cost_allocation"]["new_fte_total"]
    short = rows[("Headline", "Practices needing more than an equal share of the offer (least-cost plan)")]
    assert (short["a"], short["b"], short["b_minus_a"]) == (2, 1, -1)
    total = rows[("Headline", "Needed above an equal share by those practices in total (least-cost plan)")]
    assert total["a"] == pytest.approx(120_000, rel=1e-9) and total["b"] == pytest.approx(30_000, rel=1e-9)
    per_practice = body["per_practice"]
    assert per_practice["unit"] == SHORTFALL and per_practice["note"] == ""
    assert [row["practice_id"] for row in per_practice["rows"]] == ["A", "B"], "largest difference first"
    for row, (was, now) in zip(per_practice["rows"], [(90_000, 30_000), (30_000, 0)], strict=True):
        assert row["a"] == pytest.approx(was, rel=1e-9) and row["b"] == pytest.approx(now, abs=1e-6)
        assert row["b_minus_a"] == pytest.approx(now - was, rel=1e-9)
    assert body["practices_short"] == {"a": 2, "b": 1}
    # The downloads carry the same rows.
    csv = desk.client.get(f"/reports/compare?a={a}&b={b}&format=csv", headers=headers)
    frame = pd.read_csv(io.StringIO(csv.text), dtype={"item": str})
    by_item = {(row.section, row.item): row for row in frame.itertuples()}
    assert by_item[(PLAN_COVERAGE, "dm")].b_minus_a == pytest.approx(-0.1, rel=1e-9)
    assert by_item[(PLAN_FTE, "gp")].b_minus_a == pytest.approx(-0.32, rel=1e-9)
    assert by_item[(f"per practice: {SHORTFALL}", "A")].b_minus_a == pytest.approx(-60_000, rel=1e-9)
    assert by_item[(f"per practice: {SHORTFALL}", "B")].b_minus_a == pytest.approx(-30_000, rel=1e-9)
    workbook = openpyxl.load_workbook(
        io.BytesIO(desk.client.get(f"/reports/compare?a={a}&b={b}&format=xlsx", headers=headers).content)
    )
    sheet = list(workbook["comparison"].iter_rows(values_only=True))
    assert len(sheet) == len(frame) + 1
    assert (PLAN_COVERAGE, "dm") in {(row[0], row[1]) for row in sheet}
    assert (f"per practice: {SHORTFALL}", "A") in {(row[0], row[1]) for row in sheet}
    # The page: the new sections, and every number is the jobs'.
    client = desk.signed_in(token)
    page = client.get(f"/desk/compare?a={a}&b={b}").text
    assert PLAN_COVERAGE in page and PLAN_FTE in page
    # Verify 4, N8: the page counts what the headline row names, not a "shortfall".
    assert "Practices needing more than an equal share of the offer: 2 under A, 1 under B." in page
    assert "shortfall against its share" not in page and "Practices short:" not in page
    sources = assert_every_number_is_the_jobs(page, documents_of(desk, token, a, b))
    assert "a:least_cost_allocation.coverage_by_service.dm.coverage" in sources
    assert "b:least_cost_allocation.new_fte_by_role.gp" in sources
    assert {"a.least_cost_practices:0.shortfall_gbp", "b.least_cost_practices:0.shortfall_gbp"} <= sources
    desk_csv = client.get(f"/desk/compare.csv?a={a}&b={b}")
    assert desk_csv.status_code == 200 and desk_csv.text == csv.text


def test_a_solve_and_a_check_compare_spend_per_practice_and_say_so(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    scenario_id = desk.scenario(token, tiny_document())
    a = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["solve"], kind=JobKind.SOLVE)
    b = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"], overrides={"budget_gbp": 20000})
    body = desk.client.get(f"/reports/compare?a={a}&b={b}", headers={"X-API-Key": token}).json()
    # A service's or a role's row by its id (its item is its name, audit 5 F12).
    rows = {(row["section"], row.get("service_id") or row.get("role_id") or row["item"]): row for row in body["rows"]}
    kpis = runs["solve"].result["kpis"]
    plan = runs["undeliverable"].result["least_cost_allocation"]
    section = "Coverage by service (A: the solve's allocation; B: least-cost plan)"
    for service, figures in kpis["coverage_by_service"].items():
        row = rows[(section, service)]
        # The download rounds a share to 4 places, as every table download does.
        assert row["a"] == round(figures["coverage"], 4)
        assert row["b"] == round(plan["coverage_by_service"][service]["coverage"], 4)
    fte = "New FTE by role (A: the solve's allocation; B: least-cost plan)"
    for role, value in kpis["new_fte_by_role"].items():
        assert rows[(fte, role)]["a"] == round(value, 3)
        assert rows[(fte, role)]["b"] == round(plan["new_fte_by_role"][role], 3)
    per_practice = body["per_practice"]
    assert per_practice["unit"].startswith("spend £ a year (a solve: its allocation; a check: its least-cost plan)")
    assert "least-cost plan" in per_practice["note"]
    # As the tables' downloads give them (GET /jobs/{id}/tables/NAME), which the page cites.
    practices = rounded_for_output(runs["solve"].tables["practices"])
    solve_spend = dict(zip(practices["practice_id"], practices["spend_gbp"], strict=True))
    table = rounded_for_output(runs["undeliverable"].tables["least_cost_practices"])
    need = dict(zip(table["practice_id"], table["spend_gbp"], strict=True))
    assert {row["practice_id"] for row in per_practice["rows"]} == set(need) == set(solve_spend)
    for row in per_practice["rows"]:
        assert row["a"] == solve_spend[row["practice_id"]] and row["b"] == need[row["practice_id"]]
    differences = [abs(row["b_minus_a"]) for row in per_practice["rows"]]
    assert differences == sorted(differences, reverse=True)
    assert body["practices_short"] == {"a": None, "b": None}, "spend is not a shortfall"
    page = desk.signed_in(token).get(f"/desk/compare?a={a}&b={b}").text
    assert "Practices short:" not in page
    sources = assert_every_number_is_the_jobs(page, documents_of(desk, token, a, b))
    assert "a.practices:0.spend_gbp" in sources and "b.least_cost_practices:0.spend_gbp" in sources


def test_a_check_without_its_least_cost_table_falls_back_to_patients_short(runs: dict[str, Any]) -> None:
    """A pooled check stored before checks carried `least_cost_practices`: patients below the standards
    in the smallest combined change, per practice; coverage and hires of the least-cost plan from the JSON."""
    undeliverable, deliverable = runs["undeliverable"], runs["deliverable"]
    result = compare(Side("A", "check", undeliverable.result), Side("B", "check", deliverable.result))
    short: dict[str, float] = {}
    for violation in undeliverable.result["relaxation"]["violations"]:
        if violation["lever"] == "standards":
            practice = violation["entity"].partition(" / ")[0]
            short[practice] = short.get(practice, 0.0) + violation["amount"]
    assert short and result.practice_unit == "patients short of the standards"
    largest = max(short, key=lambda practice: short[practice])
    practice, a, b, difference = result.practice_rows[0]
    assert practice == largest and a == pytest.approx(short[largest]) and b == 0.0
    assert difference == pytest.approx(-short[largest])
    assert result.practices_short == (len(short), 0)
    groups = {row.group for row in result.rows}
    assert PLAN_COVERAGE in groups and PLAN_FTE in groups


def test_each_headline_difference_reads_in_its_own_unit() -> None:
    """A count of practices reads as a count, even when its label mentions a share of the offer;
    shares read in percentage points and money in £ (the unit comes from the row, not its words)."""

    def check(practices_short: int, shortfall: float, reachable: float) -> dict[str, Any]:
        return {
            "deliverable": False,
            "levers": [{"lever": "standards", "amount": reachable}],
            "least_cost_allocation": {"practices_short": practices_short, "total_shortfall_gbp": shortfall},
        }

    result = compare(Side("A", "check", check(1, 1000.0, 0.8)), Side("B", "check", check(3, 4500.0, 0.9)))
    differences = {row.label: getattr(row.difference, "text", row.difference) for row in result.rows}
    assert differences["Practices needing more than an equal share of the offer (least-cost plan)"] == "+2"
    assert differences["Needed above an equal share by those practices in total (least-cost plan)"] == "+£3,500"
    assert differences[REACHABLE] == "+10.0 points"


def decimals(value: float) -> int:
    """How many decimal places ``value`` is written with (as JSON writes a float)."""
    text = repr(float(value))
    return len(text.split(".")[1].rstrip("0")) if "." in text and "e" not in text else 0


def solve_and_check_compared(desk: Desk, runs: dict[str, Any]) -> tuple[str, str, str, Any]:
    """tiny solved (A) and checked at £20,000 (B), stored as a commissioner's two desk jobs:
    (key, job A, job B, the comparison's JSON)."""
    token = desk.key(tenant(), "commissioner")
    scenario_id = desk.scenario(token, tiny_document())
    a = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["solve"], kind=JobKind.SOLVE)
    b = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"], overrides={"budget_gbp": 20000})
    body = desk.client.get(f"/reports/compare?a={a}&b={b}", headers={"X-API-Key": token}).json()
    return token, a, b, body


def test_the_downloads_are_rounded_to_their_units(desk: Desk, runs: dict[str, Any]) -> None:
    """README: £ to 2 places, shares to 4, FTE to 3, in every download, the comparison's included."""
    token, a, b, body = solve_and_check_compared(desk, runs)
    headers = {"X-API-Key": token}
    places = {"Coverage": 4, "New FTE": 3}
    for row in body["rows"]:
        most = next((n for start, n in places.items() if row["section"].startswith(start)), 4)
        for key in ("a", "b", "b_minus_a"):
            if isinstance(row[key], float):
                assert decimals(row[key]) <= most, (row, key)
    for row in body["per_practice"]["rows"]:
        assert all(decimals(row[key]) <= 2 for key in ("a", "b", "b_minus_a")), row
    csv = desk.client.get(f"/reports/compare?a={a}&b={b}&format=csv", headers=headers).text
    assert not re.search(r"\d\.\d{5,}", csv), csv


def test_a_solve_and_a_check_put_new_fte_in_total_on_one_row_and_name_each_practice(
    desk: Desk, runs: dict[str, Any]
) -> None:
    """N7: the solve's new FTE in total (its allocation) and the check's (its least-cost plan) are one
    row, B − A between them, on the page and in every download; each practice reads as the tiny
    scenario names it (practices.csv `name`), "Synthetic Practice 1 (P1)", its id kept in the JSON."""
    token, a, b, body = solve_and_check_compared(desk, runs)
    headers = {"X-API-Key": token}
    label = "New FTE in total (A: the solve's allocation; B: least-cost plan)"
    headline = [row for row in body["rows"] if row["section"] == "Headline" and "New FTE" in row["item"]]
    assert [row["item"] for row in headline] == [label]
    solve_total = runs["solve"].result["kpis"]["new_fte_total"]
    plan_total = runs["undeliverable"].result["least_cost_allocation"]["new_fte_total"]
    row = headline[0]
    assert row["a"] == round(solve_total, 3) and row["b"] == round(plan_total, 3)
    assert row["b_minus_a"] == round(plan_total - solve_total, 3)
    # A side without a figure has an empty cell in the download, not words in a column of numbers.
    assert all(row[key] != "not in this result" for row in body["rows"] for key in ("a", "b"))
    assert any(row["a"] is None or row["b"] is None for row in body["rows"])

    names = {"P1": "Synthetic Practice 1 (P1)", "P2": "Synthetic Practice 2 (P2)"}
    per_practice = body["per_practice"]["rows"]
    assert {row["practice_id"] for row in per_practice} == set(names)
    assert all(row["practice"] == names[row["practice_id"]] for row in per_practice)
    csv = desk.client.get(f"/reports/compare?a={a}&b={b}&format=csv", headers=headers)
    frame = pd.read_csv(io.StringIO(csv.text), dtype={"item": str})
    assert list(frame[frame["item"] == label].index) != []
    practice_items = set(frame[frame["section"].str.startswith("per practice")]["item"])
    assert practice_items == set(names.values())

    page = desk.signed_in(token).get(f"/desk/compare?a={a}&b={b}").text
    assert page.count("New FTE in total") == 1 and label in html.unescape(page)
    for name in names.values():
        assert f'<tr><th scope="row">{name}</th>' in page
    sources = assert_every_number_is_the_jobs(page, documents_of(desk, token, a, b))
    assert {"a:kpis.new_fte_total", "b:least_cost_allocation.new_fte_total"} <= sources


def test_a_comparison_without_names_shows_ids() -> None:
    """A scenario without practice names (or a side built without them) reads each practice by its id."""
    result = compare(Side("A", "check", {"deliverable": False}), Side("B", "check", {"deliverable": False}))
    assert result.practice("P1") == "P1"


def test_a_check_at_scaled_standards_is_compared_against_the_standards_as_written(desk: Desk) -> None:
    """Audit 4, F24. tests/test_check_exact.py::pooled_two_practices at its £40,000 offer: the
    least cost at the written standards is £160,000, linear in the standards, so £40,000 reaches
    25% of them. Checked at 80% of the standards, the same £40,000 reaches 31.25% of the scaled
    ones: 25% of the written ones again, which the lever gives (audit 5, F1). The comparison says
    25% and 25% ("same"), and that A was checked at 100% and B at 80%; the verdict of B says 80% too."""
    token, (a, b), (_first, second), body = two_checks_compared(desk, {"standards_fraction": 0.8})
    standards = {i["lever"]: i for i in second.result["levers"]}["standards"]
    assert standards["amount"] == pytest.approx(0.25, rel=1e-6), "the lever is a share of the written standards"
    assert standards["details"]["standards_fraction"] == 0.8
    rows = {(row["section"], row["item"]): row for row in body["rows"]}
    reachable = rows[("Headline", REACHABLE)]
    assert reachable["a"] == pytest.approx(0.25, abs=1e-4) and reachable["b"] == pytest.approx(0.25, abs=1e-4)
    assert reachable["b_minus_a"] == pytest.approx(0.0, abs=1e-4)
    checked = rows[("Headline", CHECKED_AT)]
    assert (checked["a"], checked["b"], checked["b_minus_a"]) == (1.0, 0.8, -0.2)
    items = [row["item"] for row in body["rows"]]
    assert items.index(CHECKED_AT) == items.index("Verdict") + 1, "right under the verdict"
    client = desk.signed_in(token)
    page = client.get(f"/desk/compare?a={a}&b={b}").text
    reachable_row = re.search(rf"<th scope=\"row\">{re.escape(REACHABLE)}</th>(.*?)</tr>", page, re.S)
    assert reachable_row is not None
    assert [text for _v, _s, text in DATA.findall(reachable_row.group(1))] == ["25.0%", "25.0%", "same"]
    checked_row = re.search(rf"<th scope=\"row\">{re.escape(CHECKED_AT)}</th>(.*?)</tr>", page, re.S)
    assert checked_row is not None
    assert [text for _v, _s, text in DATA.findall(checked_row.group(1))] == ["100.0%", "80.0%", "−20.0 points"]
    sources = assert_every_number_is_the_jobs(page, documents_of(desk, token, a, b))
    assert "b.job:overrides.standards_fraction" in sources
    # The verdict of the check at 80% says so, on the result page (and so in the PDF, built from
    # the same view); the check as written does not.
    result_b = client.get(f"/desk/jobs/{b}").text
    assert "Not deliverable with every minimum standard checked at 80% of its level: the offer of" in result_b
    sentence_a = re.search(r'<p class="verdict-sentence">(.*?)</p>', client.get(f"/desk/jobs/{a}").text)
    assert sentence_a is not None and sentence_a.group(1).startswith("Not deliverable: the offer of")


def test_two_checks_at_the_written_standards_have_no_checked_at_row() -> None:
    def check(reachable: float) -> dict[str, Any]:
        return {"deliverable": False, "levers": [{"lever": "standards", "amount": reachable}]}

    result = compare(Side("A", "check", check(0.8)), Side("B", "check", check(0.9)))
    assert CHECKED_AT not in [row.label for row in result.rows]
    scaled = compare(Side("A", "check", check(0.8)), Side("B", "check", check(0.9), standards_fraction=0.5))
    values = {row.label: (row.a, row.b) for row in scaled.rows}
    assert [n.text for n in values[REACHABLE]] == ["80.0%", "90.0%"]  # type: ignore[union-attr]
    assert [n.text for n in values[CHECKED_AT]] == ["100.0%", "50.0%"]  # type: ignore[union-attr]


def test_a_deliverable_checks_least_cost_is_solves_figure_and_its_spare_is_rounded_down() -> None:
    """Audit 4 (F1, F8): in the comparison a plan's least cost is the figure `solve` prints (to
    within £1: £11,560,204 for £11,560,203.29, not £11.57m), and the money spare rounded down
    (£9,796 of £9,796.71), as on the result page; no shortfall reads "£0" among whole pounds.
    Verify 4, N1: in £m the three would not subtract (£11.57m less £11.56m is not £9,796), so all
    three are to the pound, as the result page shows them (wording.gap_figures)."""
    document = read_document(OFFER)
    job = run_job("check", document, {"budget_gbp": "11.57m"})
    result = job.result
    assert result["deliverable"] is True
    side = Side("A", "check", result, least_cost_practices=job.tables.get("least_cost_practices"))
    rows = {row.label: row for row in compare(side, side).rows if row.group == "Headline"}
    least, spare = result["headline"]["least_spend_gbp"], result["headline"]["headroom_gbp"]
    solve = run_job("solve", document, {"budget_gbp": "11.57m"}).result
    assert least == pytest.approx(solve["kpis"]["total_spend_gbp"], abs=0.01)
    shown = {key: rows[HEADLINE[key]].a for key in ("least_cost", "offer", "spare")}
    assert all(isinstance(value, Num) for value in shown.values())
    texts = [getattr(shown[key], "text", None) for key in ("least_cost", "offer", "spare")]
    assert texts == ["£11,560,204", "£11,570,000", "£9,796"]
    assert tuple(texts) == wording.gap_figures(least, result["headline"]["budget_gbp"])
    assert [getattr(shown[key], "value", None) for key in ("least_cost", "spare")] == [least, spare]
    assert practice_text("£", 0.0) == "£0" and practice_text("£", 1234.4) == "£1,234"


def test_services_and_roles_read_by_name_and_the_downloads_keep_their_ids(desk: Desk, runs: dict[str, Any]) -> None:
    """Audit 5, F12: tiny names its services and roles (services.csv and roles.csv `name`); the page
    and the CSV's `item` read "Same-day access" and "Salaried GP", as the result page does, and the
    CSV keeps each id in `service_id` or `role_id` (the JSON's rows too); a scenario without a name
    for one reads it by its id."""
    token, a, b, body = solve_and_check_compared(desk, runs)
    document = tiny_document()
    services = {row["service_id"]: row["name"] for row in document["services"]}
    roles = {row["role_id"]: row["name"] for row in document["roles"]}
    hired = runs["solve"].result["kpis"]["new_fte_by_role"]
    assert set(runs["solve"].result["kpis"]["coverage_by_service"]) == set(services) and set(hired) <= set(roles)
    page = html.unescape(desk.signed_in(token).get(f"/desk/compare?a={a}&b={b}").text)
    for name in (*services.values(), *(roles[role] for role in hired)):
        assert f'<th scope="row">{name}</th>' in page, name
    for key in (*services, *hired):
        assert f'<th scope="row">{key}</th>' not in page, key
    csv = desk.client.get(f"/reports/compare?a={a}&b={b}&format=csv", headers={"X-API-Key": token}).text
    frame = pd.read_csv(io.StringIO(csv), dtype=str, keep_default_na=False)
    coverage = frame[frame["section"].str.startswith("Coverage by service")]
    assert set(coverage["service_id"]) == set(services) and set(coverage["role_id"]) == {""}
    assert all(services[key] == item for key, item in zip(coverage["service_id"], coverage["item"], strict=True))
    fte = frame[frame["section"].str.startswith("New FTE by role")]
    assert set(fte["role_id"]) == set(hired)
    assert all(roles[key] == item for key, item in zip(fte["role_id"], fte["item"], strict=True))
    assert set(frame[frame["section"] == "Headline"]["service_id"]) == {""}
    by_id = {row.get("service_id") or row.get("role_id"): row["item"] for row in body["rows"]}
    assert {key: by_id[key] for key in services} == services
    # Without names, ids.
    unnamed = compare(Side("A", "solve", runs["solve"].result), Side("B", "solve", runs["solve"].result))
    assert {row.label for row in unnamed.rows if row.group.startswith("Coverage")} == set(services)
