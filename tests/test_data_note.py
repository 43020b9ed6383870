"""practices.data_note (audit F11): a practice's import warnings, carried by the scenario into
every sentence that names the practice as setting a figure, and ignored by the programme."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from models.arrays import build_arrays
from models.scenario import Problem, ScenarioInvalid
from models.schema import MAX_NOTE_LENGTH
from models.validate import validate_document
from optimiser.deliverability import wording
from optimiser.io import read_document, write_document_as_csv, write_document_as_workbook
from optimiser.nhs.build import Inputs, import_nhs
from optimiser.nhs.sources import Source
from optimiser.report.view import check_view
from optimiser.runs import load_scenario, run_job
from tests import nhs_files
from tests.conftest import base_document
from tests.test_arrays import differences

STALE = "registered list +124.6% since 2022-23; the published weighted list may be stale"
OTHER = "no PCN (unallocated): given a PCN of its own with no ARRS entitlement"


def two_practices(notes: dict[str, str] | None = None, rate: float = 0.5) -> dict[str, Any]:
    """P2 has half P1's weighted list for the same patients, so it needs twice as much per weighted
    patient and sets the rate needed; at ``rate`` both practices are short."""
    weighted = {"P1": 10_000, "P2": 5_000}
    names = {"P1": "Elm", "P2": "Oak"}
    practices = [
        {
            "practice_id": practice,
            "pcn_id": "N1",
            "list_size": 10_000,
            "weighted_list_size": weighted[practice],
            "name": names[practice],
            **({"data_note": notes[practice]} if notes and practice in notes else {}),
        }
        for practice in ("P1", "P2")
    ]
    return base_document(
        practices=practices,
        settings={"budget_mode": "per_practice", "offer_rate_gbp_per_weighted_patient": rate},
    )


def test_the_note_reads_back_the_same_from_json_csv_and_a_workbook(tmp_path: Path) -> None:
    note = 'registered list +124.6% since 2022-23; "stale", perhaps, at 1,000 patients'
    document = two_practices({"P2": note})
    (tmp_path / "scenario.json").write_text(json.dumps(document))
    write_document_as_csv(document, tmp_path / "csv")
    write_document_as_workbook(document, tmp_path / "scenario.xlsx")
    for path in (tmp_path / "scenario.json", tmp_path / "csv", tmp_path / "scenario.xlsx"):
        practices = validate_document(read_document(path)).practices
        assert practices.at["P2", "data_note"] == note, path
        assert practices.at["P1", "data_note"] is None, path  # blank = no note


def test_a_note_too_long_is_named_by_table_row_and_column_in_every_encoding(tmp_path: Path) -> None:
    document = two_practices({"P2": "x" * (MAX_NOTE_LENGTH + 1)})
    expected = Problem("practices", 2, "data_note", f"must be at most {MAX_NOTE_LENGTH} characters (got 501)")
    write_document_as_csv(document, tmp_path / "csv")
    write_document_as_workbook(document, tmp_path / "scenario.xlsx")
    for source in (document, read_document(tmp_path / "csv"), read_document(tmp_path / "scenario.xlsx")):
        with pytest.raises(ScenarioInvalid) as raised:
            validate_document(source)
        assert raised.value.problems == [expected]
    # A workbook's blank row is counted, as the sheet numbers it.
    workbook = openpyxl.load_workbook(tmp_path / "scenario.xlsx")
    workbook["practices"].insert_rows(2)
    workbook.save(tmp_path / "gap.xlsx")
    with pytest.raises(ScenarioInvalid) as raised:
        validate_document(read_document(tmp_path / "gap.xlsx"))
    assert [(p.row, p.column) for p in raised.value.problems] == [(3, "data_note")]
    # At the limit it is accepted.
    validate_document(two_practices({"P2": "x" * MAX_NOTE_LENGTH}))


def test_notes_change_neither_the_programme_nor_its_optimum() -> None:
    plain = load_scenario(two_practices(rate=5.0))
    noted = load_scenario(two_practices({"P1": OTHER, "P2": STALE}, rate=5.0))
    assert differences(build_arrays(plain), build_arrays(noted)) == []
    solved = [run_job("solve", two_practices(notes, rate=5.0)).result for notes in (None, {"P2": STALE})]
    assert solved[0]["status"] == solved[1]["status"] == "optimal"
    assert solved[0]["objective_value"] == solved[1]["objective_value"]
    # A scenario without notes keeps its canonical form, so its hash: the column adds nothing to it.
    assert "data_note" not in json.dumps(plain.document)
    assert noted.document["practices"][1]["data_note"] == STALE


def money_lever(result: dict[str, Any]) -> dict[str, Any]:
    return next(lever for lever in result["levers"] if lever["lever"] == "budget")


def test_a_lever_set_by_a_practice_with_a_note_says_so_in_text_json_and_the_page() -> None:
    document = two_practices({"P2": STALE})
    result = run_job("check", document).result
    lever = money_lever(result)
    assert result["deliverable"] is False
    details = lever["details"]
    assert details["rate_set_by"] == ["P2"]
    # P2 needs the most per weighted patient: the rate needed is its need.
    most = max(row["needs_gbp_per_weighted_patient"] for row in details["practices_short"])
    assert most == pytest.approx(details["needed_rate_gbp_per_weighted_patient"], rel=1e-6)
    notes = {row["practice_id"]: row.get("data_note") for row in details["practices_short"]}
    assert notes == {"P1": None, "P2": STALE}
    assert f"Note on the data of Oak (P2): {STALE}." in lever["sentence"]
    assert "Oak (P2) sets the rate needed" in lever["sentence"]
    # The desk page and the PDF show the lever's sentence as the JSON has it.
    view = check_view(result, names=wording.Names.of_document(document))
    assert next(item.sentence for item in view.levers if item.lever == "budget") == lever["sentence"]


def test_a_practice_named_but_not_setting_the_figure_is_flagged_without_its_note() -> None:
    lever = money_lever(run_job("check", two_practices({"P1": OTHER})).result)
    assert "The data of Elm (P1) carry a note (its data_note in the practices table)." in lever["sentence"]
    assert OTHER not in lever["sentence"]


def test_without_notes_the_lever_says_nothing_more() -> None:
    plain = money_lever(run_job("check", two_practices()).result)
    noted = money_lever(run_job("check", two_practices({"P2": STALE})).result)
    assert "flagged" not in plain["sentence"]
    assert noted["sentence"].startswith(plain["sentence"])
    assert all("data_note" not in row for row in plain["details"]["practices_short"])
    stripped = [{k: v for k, v in row.items() if k != "data_note"} for row in noted["details"]["practices_short"]]
    assert stripped == plain["details"]["practices_short"]


def imported(tmp_path: Path, *edits: Any) -> dict[str, dict[str, Any]]:
    files = nhs_files.write_all(tmp_path)
    for change in edits:
        change(files)
    spec = read_document(Path(__file__).resolve().parents[1] / "data" / "specs" / "default")
    inputs = Inputs(**{k: Source.of(v) for k, v in files.items()})
    result = import_nhs(inputs, icb="QAA", sub_icb=None, spec=spec, spec_label="the default spec")
    return {p["practice_id"]: p for p in result.document["practices"]}


def test_the_import_writes_each_flagged_practice_warnings_into_its_note(tmp_path: Path) -> None:
    before = imported(tmp_path / "as-published")
    assert "data_note" not in before["A81001"]  # its list is within 20% of the payments year's
    assert before["A81003"]["data_note"] == OTHER  # unallocated: no PCN
    assert before["A81002"]["data_note"].startswith("weighted list estimated from age and sex: no row in the payments")
    # A81001's registered list a quarter of today's in the payments year: its weighted list is stale.
    shrunk = nhs_files.edit("payments", "A81001,ALPHA SURGERY,,3900.5", "A81001,ALPHA SURGERY,,1000")
    after = imported(tmp_path / "grown", shrunk)
    assert after["A81001"]["data_note"] == (
        "registered list +300.0% since 2029-30; the published weighted list may be stale"
    )
    assert np.isclose(after["A81001"]["weighted_list_size"], before["A81001"]["weighted_list_size"])


def test_the_bundled_somerset_carries_the_import_notes() -> None:
    practices = validate_document(read_document(Path(__file__).resolve().parents[1] / "data" / "somerset")).practices
    assert practices.at["L85004", "data_note"] == STALE
    assert "1 registered patient" in practices.at["L85026", "data_note"]
    assert practices.at["L85001", "data_note"] is None  # a practice the import did not flag


def test_the_page_flags_a_practice_with_a_note_where_it_is_the_lowest_or_highest() -> None:
    """The distribution's highest £ per weighted patient is P2's (half P1's weighted list, same patients)."""
    cells = {}
    for notes in (None, {"P2": STALE}):
        document = two_practices(notes, rate=5.0)
        result = run_job("check", document).result
        assert (
            result["least_cost_allocation"]["distribution"]["spend_gbp_per_weighted_patient"]["max_practice_id"] == "P2"
        )
        view = check_view(result, names=wording.Names.of_document(document))
        cells[bool(notes)] = getattr(view.distribution[0][2], "text", "")
    assert cells[True] == cells[False].replace("P2)", f"P2; {wording.DATA_NOTED})")
    assert wording.DATA_NOTED not in cells[False]
