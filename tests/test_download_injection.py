"""Audit 8 A1: a scenario's text that starts like a formula stays text in every download.

A practice may be called "+Health" (the validator accepts it, rightly), and a shared spec may
name one ``=HYPERLINK(...)``. Workbooks hold such text as string cells, exactly as written;
CSVs give text that starts with = + - @ (or a tab or carriage return) a leading ``'``, as
OWASP recommends, and leave numbers, negative ones too, as they are. Checked through what a
user runs: the installed ``commission solve --out``, the API's downloads and the desk's.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from api.orm import Role
from optimiser.io import FORMULA_LEADS, csv_cell, csv_safe, read_document, write_document_as_csv
from tests.api.helpers import Service, run_job, sqlite_service
from tests.console import TINY, run

HYPERLINK = '=HYPERLINK("http://evil.example/","x")'
# Ids as a shared spec could give them: each starts with a character a spreadsheet reads as a formula.
IDS = {"P1": "+Health", "P2": "=2+2", "PCN1": "@home"}
NAMES = {"P1": HYPERLINK, "P2": "=1+2", "PCN1": "-Care"}


def formula_like_scenario(budget_gbp: float = 20_000) -> dict[str, Any]:
    """data/tiny (least cost £37,000) with formula-like practice and PCN ids and names."""
    document = copy.deepcopy(read_document(TINY))
    document["settings"]["budget_gbp"] = budget_gbp
    for practice in document["practices"]:
        old = practice["practice_id"]
        practice.update(practice_id=IDS[old], pcn_id=IDS[practice["pcn_id"]], name=NAMES[old])
    for pcn in document["pcns"]:
        pcn.update(pcn_id=IDS[pcn["pcn_id"]], name=NAMES[pcn["pcn_id"]])
    for staff in document["staff"]:
        staff["holder_id"] = IDS[staff["holder_id"]]
    services = document["services"]
    services[0]["name"] = "-Care"
    services[1]["name"] = "@home"
    return document


def string_cells(data: bytes) -> dict[str, str]:
    """Every text cell of a workbook, by sheet!coordinate; no cell may be a formula."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    texts = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    assert cell.data_type in ("s", "inlineStr"), (sheet.title, cell.coordinate, cell.data_type)
                    texts[f"{sheet.title}!{cell.coordinate}"] = cell.value
    return texts


def csv_rows(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) > 1, text
    return rows


def assert_neutralised(rows: list[list[str]]) -> None:
    """No CSV cell starts like a formula unless it is a number (a negative number stays one)."""
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_LEADS):
                float(cell)  # raises if a text cell was left live


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_the_one_rule_quotes_formula_like_text_and_leaves_numbers() -> None:
    for text in ("=1+2", "+Health", "-Care", "@home", "\tx", "\rx", HYPERLINK):
        assert csv_cell(text) == "'" + text
    for value in ("Health", "P1", "", "a=b", -4000.0, -1, 0.5, None, True):
        assert csv_cell(value) is value
    frame = pd.DataFrame({"id": ["=2+2", "P1"], "amount": [-4000.0, 5.0], "mixed": [-1.5, "-x"]})
    safe = csv_safe(frame)
    assert safe["id"].tolist() == ["'=2+2", "P1"]
    assert safe["amount"].tolist() == [-4000.0, 5.0] and safe["amount"].dtype == frame["amount"].dtype
    assert safe["mixed"].tolist() == [-1.5, "'-x"]
    assert frame["id"].tolist() == ["=2+2", "P1"], "the caller's frame is not changed"


def test_solve_out_writes_ids_as_text_in_results_xlsx_and_quoted_in_the_csvs(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario"
    write_document_as_csv(formula_like_scenario(budget_gbp=50_000), scenario)
    assert run("validate", str(scenario)).returncode == 0, "such ids are valid: the fix is at the writers"
    out = tmp_path / "out"
    done = run("solve", str(scenario), "--out", str(out))
    assert done.returncode == 0, done.stderr
    texts = string_cells((out / "results.xlsx").read_bytes())
    for text in IDS.values():
        assert text in texts.values(), f"{text!r} missing from results.xlsx"
    practices = csv_rows((out / "practices.csv").read_text(encoding="utf-8"))
    assert_neutralised(practices)
    header = practices[0]
    by_id = {row[header.index("practice_id")]: row for row in practices[1:]}
    assert set(by_id) == {"'+Health", "'=2+2"}
    assert {row[header.index("pcn_id")] for row in by_id.values()} == {"'@home"}
    # Numbers are untouched: the list sizes as the scenario gives them, and the spend of the plan.
    assert float(by_id["'+Health"][header.index("list_size")]) == 6000
    assert float(by_id["'=2+2"][header.index("list_size")]) == 4000
    assert all(is_number(row[header.index("spend_gbp")]) for row in by_id.values())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["objective_value"] == pytest.approx(37_000, rel=1e-6), "the same plan as data/tiny"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from sqlite_service(tmp_path_factory.mktemp("db"))


def test_the_comparison_and_job_downloads_keep_text_as_text(service: Service) -> None:
    client = service.client
    token = service.key(f"org-{uuid.uuid4().hex[:10]}", Role.NEGOTIATOR)
    response = client.post("/scenarios", json=formula_like_scenario(), headers=token)
    assert response.status_code == 201, response.text
    scenario_id = response.json()["id"]
    first = run_job(client, token, scenario_id, "check", overrides={"budget_gbp": 2_000})
    second = run_job(client, token, scenario_id, "check", overrides={"budget_gbp": 5_000})
    assert first["status"] == second["status"] == "succeeded", (first, second)
    a, b = first["id"], second["id"]

    body = client.get(f"/reports/compare?a={a}&b={b}", headers=token).json()
    compared = {row["practice_id"]: row for row in body["per_practice"]["rows"]}
    assert set(compared) == {"+Health", "=2+2"}, body["per_practice"]

    workbook = client.get(f"/reports/compare?a={a}&b={b}&format=xlsx", headers=token)
    assert workbook.status_code == 200
    texts = set(string_cells(workbook.content).values())
    assert {"+Health", "=2+2"} <= texts, "the ids, exactly"
    for name in ("=1+2", HYPERLINK, "-Care", "@home"):
        assert any(text.startswith(name) for text in texts), f"{name!r} missing from the comparison workbook"

    download = client.get(f"/reports/compare?a={a}&b={b}&format=csv", headers=token)
    assert download.status_code == 200
    rows = csv_rows(download.text)
    assert_neutralised(rows)
    header = rows[0]
    column = {name: header.index(name) for name in ("item", "practice_id", "b_minus_a")}
    by_id = {row[column["practice_id"]]: row for row in rows[1:] if row[column["practice_id"]]}
    assert set(by_id) == {"'+Health", "'=2+2"}
    assert by_id["'=2+2"][column["item"]].startswith("'=1+2")
    assert by_id["'+Health"][column["item"]].startswith("'" + HYPERLINK)
    for practice, row in compared.items():
        # Numbers are as the JSON gives them; a negative difference is a number, not quoted text.
        difference = by_id["'" + practice][column["b_minus_a"]]
        assert float(difference) == pytest.approx(row["b_minus_a"], abs=0.01)
    assert any(float(row[column["b_minus_a"]]) < 0 for row in by_id.values()), "a smaller shortfall at £5,000"

    job_workbook = client.get(f"/jobs/{a}/workbook", headers=token)
    assert job_workbook.status_code == 200
    assert {"+Health", "=2+2"} <= set(string_cells(job_workbook.content).values())
    tables = [table["name"] for table in first["tables"]]
    assert "least_cost_practices" in tables, tables
    for name in tables:
        shown = client.get(f"/jobs/{a}/tables/{name}?format=csv", headers=token)
        assert shown.status_code == 200
        assert_neutralised(csv_rows(shown.text))

    # The desk's downloads are the API's, byte for byte in the CSV, and text in the workbook.
    desk = TestClient(client.app, raise_server_exceptions=False, base_url="http://testserver")
    signed = desk.post("/desk/sign-in", data={"api_key": token["X-API-Key"]}, follow_redirects=False)
    assert signed.status_code == 303, signed.text
    desk_csv = desk.get(f"/desk/compare.csv?a={a}&b={b}")
    assert desk_csv.status_code == 200 and desk_csv.text == download.text
    desk_xlsx = desk.get(f"/desk/compare.xlsx?a={a}&b={b}")
    assert desk_xlsx.status_code == 200
    assert set(string_cells(desk_xlsx.content).values()) == texts


def test_a_batch_summary_csv_keeps_a_formula_like_scenario_path_as_text(tmp_path: Path) -> None:
    """The batch's summary.csv holds the manifest's scenario path: a folder named like a formula is
    quoted there as in every CSV download, and summary.json keeps the path exactly."""
    folder = tmp_path / "=1+2"
    write_document_as_csv(formula_like_scenario(), folder)
    manifest = tmp_path / "batch.json"
    manifest.write_text(json.dumps({"runs": [{"id": "r1", "scenario": "=1+2", "kind": "solve"}]}))
    out = tmp_path / "out"
    done = run("batch", str(manifest), "--out", str(out), "--format", "json", cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    with (out / "summary.csv").open(newline="", encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    assert row["scenario"] == "'=1+2"
    assert row["state"] == "succeeded"
    [record] = json.loads((out / "summary.json").read_text())["runs"]
    assert record["scenario"] == "=1+2"
