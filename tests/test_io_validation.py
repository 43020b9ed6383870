"""The three encodings give the identical scenario and optimum; each class of bad input names its problem."""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from models.scenario import ScenarioInvalid
from models.validate import validate_document
from optimiser.io import (
    read_document,
    write_document_as_csv,
    write_document_as_workbook,
    write_template,
)
from tests.conftest import BASE, base_document, solve_checked


def rich_document() -> dict[str, Any]:
    """Every table and most optional columns in use."""
    return base_document(
        practices=[
            {"practice_id": "P1", "pcn_id": "N1", "list_size": 10_000, "weighted_list_size": 11_000.5, "name": "Elm"},
            {"practice_id": "P2", "pcn_id": "N1", "list_size": 4_000, "name": "Oak, Lane"},
        ],
        pcns=[{"pcn_id": "N1", "name": "North"}],
        roles=[
            {**BASE["roles"][0], "max_contacts_per_day": 25, "supply_max_fte": 3},
            {
                "role_id": "cp",
                "category": "arrs",
                "cost_per_fte_gbp": 60_000,
                "clinical_hours_per_fte": 1_200,
                "arrs_reimbursement_max_gbp": 50_000,
            },
        ],
        staff=[{"holder_id": "P1", "role_id": "gp", "fte": 0.05}, {"holder_id": "N1", "role_id": "cp", "fte": 0.02}],
        skill_mix=[*BASE["skill_mix"], {"service_id": "review", "role_id": "cp", "minutes_per_contact": 20}],
        eligibility=[{"practice_id": "P2", "service_id": "review", "eligible_patients": 321.5}],
    )


def encode_all(document: dict[str, Any], tmp_path: Path) -> dict[str, Path]:
    json_path = tmp_path / "scenario.json"
    json_path.write_text(json.dumps(document))
    csv_dir = tmp_path / "csv"
    write_document_as_csv(document, csv_dir)
    xlsx = tmp_path / "scenario.xlsx"
    write_document_as_workbook(document, xlsx)
    archive = tmp_path / "scenario.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in csv_dir.iterdir():
            handle.write(file, f"scenario/{file.name}")
    return {"json": json_path, "csv": csv_dir, "xlsx": xlsx, "zip": archive}


def test_encodings_give_identical_scenario_and_optimum(tmp_path: Path) -> None:
    document = rich_document()
    paths = encode_all(document, tmp_path)
    hashes = {kind: validate_document(read_document(path)).scenario_hash for kind, path in paths.items()}
    assert len(set(hashes.values())) == 1, hashes
    assert validate_document(document).scenario_hash == hashes["json"]
    optima = set()
    for path in paths.values():
        _, outcome = solve_checked(read_document(path))
        assert outcome.status == "optimal"
        optima.add(round(outcome.objective_value or 0.0, 6))
    assert len(optima) == 1


def test_settings_csv_is_accepted(tmp_path: Path) -> None:
    document = rich_document()
    write_document_as_csv(document, tmp_path)
    (tmp_path / "settings.json").unlink()
    (tmp_path / "settings.csv").write_text("key,value\nbudget_gbp,1000000\n")
    assert validate_document(read_document(tmp_path)).scenario_hash == validate_document(document).scenario_hash


def test_template_has_every_sheet_and_reads_back_as_empty_tables(tmp_path: Path) -> None:
    target = tmp_path / "template.xlsx"
    write_template(target)
    workbook = openpyxl.load_workbook(target)
    assert set(workbook.sheetnames) >= {"practices", "pcns", "roles", "staff", "services", "skill_mix", "settings", "notes"}
    assert [c.value for c in workbook["practices"][1]] == [
        "practice_id", "pcn_id", "list_size", "weighted_list_size", "name", "prior_funding_gbp", "imd_score"
    ]
    notes = {(row[0], row[1]) for row in workbook["notes"].iter_rows(min_row=2, values_only=True) if row[0]}
    assert ("roles", "max_contacts_per_day") in notes and ("settings", "budget_gbp") in notes
    with pytest.raises(ScenarioInvalid) as caught:
        validate_document(read_document(target))
    assert any(p.table == "practices" and "no rows" in p.message for p in caught.value.problems)


def problems_of(document: Any) -> list[str]:
    with pytest.raises(ScenarioInvalid) as caught:
        validate_document(document)
    return [str(p) for p in caught.value.problems]


def mutate(table: str, row: int, **changes: Any) -> dict[str, Any]:
    document = rich_document()
    document[table][row].update(changes)
    return document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (mutate("practices", 1, list_size=-5), "practices row 2, column list_size: must be > 0 (got -5)"),
        (mutate("practices", 0, list_size="many"), "practices row 1, column list_size: must be a number (got 'many')"),
        (mutate("practices", 0, list_size=10.5), "practices row 1, column list_size: must be a whole number"),
        (mutate("practices", 0, weighted_list_size=math.nan), "practices row 1, column weighted_list_size: must be a finite number"),
        (mutate("roles", 0, cost_per_fte_gbp="inf"), "roles row 1, column cost_per_fte_gbp: must be a finite number"),
        (mutate("roles", 0, category="doctor"), "roles row 1, column category: must be one of gp, nurse, arrs, other"),
        (mutate("roles", 0, arrs_reimbursement_max_gbp=5), "roles row 1, column arrs_reimbursement_max_gbp: only roles of category arrs"),
        (mutate("services", 0, min_coverage=1.2), "services row 1, column min_coverage: must be <= 1"),
        (mutate("services", 0, min_coverage=0.9, max_coverage=0.8), "services row 1, column min_coverage: must be <= max_coverage"),
        (mutate("practices", 1, practice_id="P1"), "practices row 2, column practice_id: duplicate practice_id='P1'"),
        (mutate("practices", 0, pcn_id="N9"), "practices row 1, column pcn_id: unknown pcn_id 'N9'"),
        (mutate("staff", 0, role_id="surgeon"), "staff row 1, column role_id: unknown role_id 'surgeon'"),
        (mutate("staff", 1, holder_id="X"), "staff row 2, column holder_id: unknown practice_id or pcn_id 'X'"),
        (mutate("eligibility", 0, service_id="nope"), "eligibility row 1, column service_id: unknown service_id 'nope'"),
        (mutate("practices", 0, list_sise=3), "practices column list_sise: unknown column"),
        (mutate("practices", 0, practice_id=""), "practices row 1, column practice_id: required value is missing"),
    ],
)
def test_each_bad_input_names_table_row_and_column(document: dict[str, Any], expected: str) -> None:
    assert any(message.startswith(expected) for message in problems_of(document)), problems_of(document)


def test_missing_column_table_and_undeliverable_service() -> None:
    document = rich_document()
    for record in document["roles"]:
        del record["clinical_hours_per_fte"]
    assert "roles column clinical_hours_per_fte: required column is missing" in problems_of(document)
    document = rich_document()
    del document["skill_mix"]
    assert "skill_mix: table is missing" in problems_of(document)
    document = rich_document()
    document["services"].append({"service_id": "orphan", "contacts_per_patient": 1, "min_coverage": 0})
    assert "services row 2, column service_id: nobody can deliver 'orphan': no skill_mix row" in problems_of(document)
    document = rich_document()
    document["rotas"] = []
    assert any(m.startswith("rotas: unknown table") for m in problems_of(document))


def test_settings_problems() -> None:
    document = rich_document()
    document["settings"] = {"budget_mode": "per_practice"}
    assert (
        "settings setting offer_rate_gbp_per_weighted_patient: offer_rate_gbp_per_weighted_patient is required "
        "when budget_mode is per_practice" in problems_of(document)
    )
    document["settings"] = {"budget_gbp": 10, "budgett": 5}
    assert any(m.startswith("settings setting budgett: unknown setting") for m in problems_of(document))
    document["settings"] = {"budget_gbp": -1}
    assert any(m.startswith("settings setting budget_gbp") for m in problems_of(document))


def test_every_problem_is_reported_at_once() -> None:
    document = rich_document()
    document["practices"][0]["list_size"] = -1
    document["roles"][0]["clinical_hours_per_fte"] = 0
    document["services"][0]["prevalence"] = 2
    assert len(problems_of(document)) == 3


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.json", "{not json", "bad.json is not valid JSON"),
        ("list.json", "[1, 2]", "list.json must hold one JSON object"),
        ("bad.xlsx", "not a workbook", "bad.xlsx is not a readable Excel workbook"),
        ("bad.zip", "not a zip", "bad.zip is not a valid zip file"),
        ("notes.txt", "hello", "unsupported scenario file 'notes.txt'"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ScenarioInvalid) as caught:
        read_document(path)
    assert expected in str(caught.value)
