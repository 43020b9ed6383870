"""Figures that look like the wrong unit (audit 5, F31): warned where users look, never refused or changed.

Each rule of models/plausibility.py is shown firing on data/tiny with one cell changed, and not on
data/tiny itself; the warning reaches `commission validate` (exit 0), every run's result JSON
(`data_warnings`), the text of solve and check, and the desk's and the PDF's notes (the API's jobs:
tests/api/test_data_warnings.py).
"""

from __future__ import annotations

import copy
import csv
import html
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from models import formats
from models.validate import validate_document
from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.render import report_html
from optimiser.report.view import check_view
from optimiser.runs import run_job, scenario_warnings
from tests.console import REPO, TINY, run, strict_json

EXAMPLE = REPO / "data" / "example_icb"


@cache
def tiny() -> dict[str, Any]:
    return read_document(TINY)


def changed(table: str, row: int, column: str, value: Any, **settings: Any) -> dict[str, Any]:
    """data/tiny with one cell of ``table`` (data row ``row``, 1-based) set to ``value``."""
    document = copy.deepcopy(tiny())
    if table == "settings":
        document["settings"] = {**document["settings"], column: value, **settings}
    else:
        document[table][row - 1][column] = value
    return document


def warnings_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return scenario_warnings(validate_document(document), document)


def test_data_tiny_and_the_example_icb_have_no_warnings() -> None:
    assert warnings_of(tiny()) == []
    example = read_document(EXAMPLE)
    assert warnings_of(example) == []


# (table, row, column, value, the warning's table/row/column, words of its message)
RULES = [
    ("roles", 1, "cost_per_fte_gbp", 95, ("roles", 1, "cost_per_fte_gbp"), "£95 a year for one full-time post"),
    ("roles", 2, "cost_per_fte_gbp", 6_000_000, ("roles", 2, "cost_per_fte_gbp"), "looks like pence"),
    ("roles", 1, "clinical_hours_per_fte", 37.5, ("roles", 1, "clinical_hours_per_fte"), "hours a week"),
    ("roles", 1, "clinical_hours_per_fte", 2_500, ("roles", 1, "clinical_hours_per_fte"), "looks like minutes"),
    ("roles", 1, "max_contacts_per_day", 125, ("roles", 1, "max_contacts_per_day"), "contacts a week"),
    ("roles", 1, "working_days_per_fte", 20, ("roles", 1, "working_days_per_fte"), "days a month"),
    ("skill_mix", 3, "minutes_per_contact", 0.5, ("skill_mix", 3, "minutes_per_contact"), "did you mean 30 minutes"),
    ("skill_mix", 1, "minutes_per_contact", 600, ("skill_mix", 1, "minutes_per_contact"), "seconds"),
    ("practices", 1, "weighted_list_size", 600, ("practices", 1, "weighted_list_size"), "0.1 times the list_size"),
    ("practices", 2, "weighted_list_size", 13_000, ("practices", 2, "weighted_list_size"), "3.25 times"),
    ("practices", 1, "weighted_list_size", 2_900, ("practices", 1, "weighted_list_size"), "0.483 times"),
    ("practices", 2, "weighted_list_size", 8_200, ("practices", 2, "weighted_list_size"), "2.05 times"),
    ("practices", 2, "list_size", 40, ("practices", 2, "list_size"), "did you mean 40,000?"),
    ("staff", 1, "fte", 37.5, ("staff", 1, "fte"), "'P1' has 37.5 staff FTE in post for 6000 registered"),
    (
        "settings",
        0,
        "budget_gbp",
        5_000,
        ("settings", None, "budget_gbp"),
        "£0.50 per weighted patient (10,000 weighted patients): it looks like thousands",
    ),
    ("settings", 0, "budget_gbp", 20_000_000, ("settings", None, "budget_gbp"), "£2,000.00 per weighted patient"),
]


@pytest.mark.parametrize(("table", "row", "column", "value", "where", "words"), RULES)
def test_each_rule_warns_of_its_cell(
    table: str, row: int, column: str, value: Any, where: tuple[Any, ...], words: str
) -> None:
    document = changed(table, row, column, value)
    if (table, column) == ("practices", "list_size"):
        document["practices"][1]["weighted_list_size"] = None  # the weighted list follows the list
    found = {(w["table"], w["row"], w["column"]): w["message"] for w in warnings_of(document)}
    assert where in found, found
    assert words in found[where]
    assert quoted(column, value) in found[where]


def quoted(column: str, value: float) -> str:
    """The value as its warning quotes it: £ from £1,000 as the check words money (audit 9, A13)."""
    return formats.money(value) if column.endswith("_gbp") and value >= 1_000 else f"{value:g}"


def test_an_offer_rate_above_a_thousand_pounds_a_weighted_patient_warns() -> None:
    document = changed("settings", 0, "offer_rate_gbp_per_weighted_patient", 1_500, budget_mode="per_practice")
    [warning] = warnings_of(document)
    assert (warning["table"], warning["row"], warning["column"]) == (
        "settings",
        None,
        "offer_rate_gbp_per_weighted_patient",
    )
    assert "£1,500.00 per weighted patient" in warning["message"]
    assert (
        warnings_of(changed("settings", 0, "offer_rate_gbp_per_weighted_patient", 35.5, budget_mode="per_practice"))
        == []
    )


def test_a_budget_that_reads_as_a_rate_is_worded_as_the_checks_hint() -> None:
    [warning] = warnings_of(changed("settings", 0, "budget_gbp", 35.5))
    assert warning["message"] == wording.rate_as_budget_hint(35.5, 10_000, None)


def test_a_practice_with_a_data_note_is_warned_about_its_weighted_list_only() -> None:
    """Its note already says what is doubtful (Somerset's L85026: 1 patient and 8 staff FTE, as published):
    the list-size and staff rules pass it over, and still warn about the others. Its weighted list is still
    warned (audit 10, #9): it is what an offer per weighted patient pays the practice on."""
    document = changed("practices", 2, "list_size", 40)
    document["practices"][1]["weighted_list_size"] = 4_000
    located = {(w["table"], w["row"], w["column"]) for w in warnings_of(document)}
    assert {("practices", 2, "list_size"), ("practices", 2, "weighted_list_size"), ("staff", 2, "fte")} <= located
    document["practices"][1]["data_note"] = "registered list -99% since 2022-23"
    assert [(w["table"], w["row"], w["column"]) for w in warnings_of(document)] == [
        ("practices", 2, "weighted_list_size")
    ]


def test_a_warning_names_the_row_as_the_sheet_numbers_it(tmp_path: Path) -> None:
    """A blank line in roles.csv is counted, as problems count it."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    with (folder / "roles.csv").open(newline="") as file:
        header, *rows = list(csv.reader(file))
    rows[1][header.index("cost_per_fte_gbp")] = "60"
    with (folder / "roles.csv").open("w", newline="") as file:
        csv.writer(file).writerows([header, rows[0], [], rows[1]])
    [warning] = warnings_of(read_document(folder))
    assert (warning["row"], warning["column"]) == (3, "cost_per_fte_gbp")


def cheap_gp(tmp_path: Path) -> Path:
    """data/tiny with its GP costing £95 a year (£95k typed in thousands)."""
    folder = tmp_path / "cheap_gp"
    shutil.copytree(TINY, folder)
    roles = (folder / "roles.csv").read_text().replace("salaried_gp,gp,100000,", "salaried_gp,gp,95,")
    (folder / "roles.csv").write_text(roles)
    return folder


WARNING_LINE = (
    "roles row 1, column cost_per_fte_gbp: £95 a year for one full-time post looks like thousands of pounds "
    "(did you mean £95,000?)"
)


def test_validate_warns_and_exits_0_in_text_and_json(tmp_path: Path) -> None:
    folder = cheap_gp(tmp_path)
    text = run("validate", str(folder))
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].startswith("Valid: ")
    assert lines[1:] == [wording.DATA_WARNINGS_HEADING, f"  - {WARNING_LINE}"]
    as_json = run("validate", str(folder), "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert strict_json(as_json.stdout)["warnings"] == [
        {"table": "roles", "row": 1, "column": "cost_per_fte_gbp", "message": WARNING_LINE.split(": ", 1)[1]}
    ]
    plain = run("validate", str(TINY), "--format", "json")
    assert strict_json(plain.stdout)["warnings"] == []
    assert wording.DATA_WARNINGS_HEADING not in run("validate", str(TINY)).stdout


def test_solve_and_check_carry_the_warnings_in_json_and_say_them_once_in_text(tmp_path: Path) -> None:
    folder = cheap_gp(tmp_path)
    solved = run("solve", str(folder), "--format", "json")
    assert solved.returncode == 0, solved.stderr
    assert [w["column"] for w in strict_json(solved.stdout)["data_warnings"]] == ["cost_per_fte_gbp"]
    assert strict_json(run("solve", str(TINY), "--format", "json").stdout)["data_warnings"] == []
    for command, first in (("solve", "Status: "), ("check", "Verdict: ")):
        done = run(command, str(folder))
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith(first)
        assert lines.count(wording.DATA_WARNINGS_HEADING) == 1
        assert lines.count(f"  - {WARNING_LINE}") == 1
        # After the status or verdict, before the allocation or the summary.
        assert lines.index(wording.DATA_WARNINGS_HEADING) <= 2


def test_a_budget_read_as_a_rate_is_said_once_by_check() -> None:
    done = run("check", str(TINY), "--budget", "35.50")
    assert done.returncode == 1, done.stderr
    assert done.stdout.count("did you mean an offer of £35.50 per weighted patient") == 1
    assert wording.DATA_WARNINGS_HEADING not in done.stdout


def test_a_warning_changes_neither_the_scenario_nor_the_programme_nor_its_optimum() -> None:
    """The pharmacist has no safe-working cap, so its working days are not in the programme: a
    warning about them must leave the optimum exactly as it was."""
    document = changed("roles", 2, "working_days_per_fte", 20)
    scenario = validate_document(document)
    before = scenario.scenario_hash
    assert [w["column"] for w in scenario_warnings(scenario, document)] == ["working_days_per_fte"]
    assert scenario.scenario_hash == before == validate_document(copy.deepcopy(document)).scenario_hash
    warned, plain = run_job("solve", document).result, run_job("solve", copy.deepcopy(tiny())).result
    assert [w["column"] for w in warned["data_warnings"]] == ["working_days_per_fte"]
    assert plain["data_warnings"] == []
    assert warned["objective_value"] == plain["objective_value"]
    assert warned["kpis"] == plain["kpis"]


@pytest.mark.parametrize("kind", ["check", "sweep"])
def test_every_kind_of_run_carries_data_warnings(kind: str) -> None:
    overrides = {"budget": "40k:60k:2"} if kind == "sweep" else None
    result = run_job(kind, changed("skill_mix", 1, "minutes_per_contact", 600), overrides).result
    assert [(w["table"], w["row"]) for w in result["data_warnings"]] == [("skill_mix", 1)]


def test_the_desk_and_the_pdf_list_the_warnings_under_their_heading() -> None:
    result = run_job("check", changed("roles", 1, "cost_per_fte_gbp", 95)).result
    view = check_view(result)
    assert view.notes == [] and view.data_warnings == [WARNING_LINE]
    page = html.unescape(report_html(view, None))
    assert f"{wording.DATA_WARNINGS_HEADING}</strong></p>\n  <ul><li>{WARNING_LINE}</li></ul>" in page
    # A budget read as a rate: the hint once, as a note, not again as a warning.
    rate = check_view(run_job("check", changed("settings", 0, "budget_gbp", 35.5)).result)
    assert rate.notes == [wording.rate_as_budget_hint(35.5, 10_000, None)] and rate.data_warnings == []
    plain = check_view(run_job("check", copy.deepcopy(tiny())).result)
    assert plain.notes == [] and plain.data_warnings == []
