"""The three encodings give the identical scenario and optimum; each class of bad input names its problem."""

from __future__ import annotations

import csv
import datetime
import json
import math
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from models.scenario import ScenarioInvalid
from models.validate import validate_document
from optimiser.io import (
    RESULT_PRECISION,
    ReadLimits,
    read_document,
    result_precision,
    write_document_as_csv,
    write_document_as_workbook,
    write_template,
)
from optimiser.runs import run_job
from tests import console
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
    assert set(workbook.sheetnames) >= {
        "practices",
        "pcns",
        "roles",
        "staff",
        "services",
        "skill_mix",
        "settings",
        "notes",
    }
    assert [c.value for c in workbook["practices"][1]] == [
        "practice_id",
        "pcn_id",
        "list_size",
        "weighted_list_size",
        "name",
        "prior_funding_gbp",
        "imd_score",
        "data_note",
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
        (mutate("practices", 1, list_size=-5), "practices row 2, column list_size: must be more than 0 (got -5)"),
        (mutate("practices", 0, list_size="many"), "practices row 1, column list_size: must be a number (got 'many')"),
        (mutate("practices", 0, list_size=10.5), "practices row 1, column list_size: must be a whole number"),
        (
            mutate("practices", 0, weighted_list_size=math.nan),
            "practices row 1, column weighted_list_size: must be a finite number",
        ),
        (mutate("roles", 0, cost_per_fte_gbp="inf"), "roles row 1, column cost_per_fte_gbp: must be a finite number"),
        (mutate("roles", 0, category="doctor"), "roles row 1, column category: must be one of gp, nurse, arrs, other"),
        (
            mutate("roles", 0, arrs_reimbursement_max_gbp=5),
            "roles row 1, column arrs_reimbursement_max_gbp: only roles of category arrs",
        ),
        (mutate("services", 0, min_coverage=1.2), "services row 1, column min_coverage: must be at most 1"),
        (
            mutate("services", 0, min_coverage=0.9, max_coverage=0.8),
            "services row 1, column min_coverage: must be <= max_coverage",
        ),
        (mutate("practices", 1, practice_id="P1"), "practices row 2, column practice_id: duplicate practice_id='P1'"),
        (mutate("practices", 0, pcn_id="N9"), "practices row 1, column pcn_id: unknown pcn_id 'N9'"),
        (mutate("staff", 0, role_id="surgeon"), "staff row 1, column role_id: unknown role_id 'surgeon'"),
        (mutate("staff", 1, holder_id="X"), "staff row 2, column holder_id: unknown practice_id or pcn_id 'X'"),
        (
            mutate("eligibility", 0, service_id="nope"),
            "eligibility row 1, column service_id: unknown service_id 'nope'",
        ),
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
        "settings offer_rate_gbp_per_weighted_patient: offer_rate_gbp_per_weighted_patient is required "
        "when budget_mode is per_practice" in problems_of(document)
    )
    document["settings"] = {"budget_gbp": 10, "budgett": 5}
    assert any(m.startswith("settings budgett: unknown setting") for m in problems_of(document))
    document["settings"] = {"budget_gbp": -1}
    assert any(m.startswith("settings budget_gbp") for m in problems_of(document))


def test_every_problem_is_reported_at_once() -> None:
    document = rich_document()
    document["practices"][0]["list_size"] = -1
    document["roles"][0]["clinical_hours_per_fte"] = 0
    document["services"][0]["prevalence"] = 2
    assert problems_of(document) == [
        "practices row 1, column list_size: must be more than 0 (got -1)",
        "roles row 1, column clinical_hours_per_fte: must be more than 0 (got 0)",
        "services row 1, column prevalence: must be at most 1 (got 2)",
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("bad.json", "{not json", "bad.json is not valid JSON"),
        ("list.json", "[1, 2]", "list.json must hold one JSON object"),
        ("bad.xlsx", "not a workbook", "bad.xlsx: is not a readable Excel workbook"),
        ("bad.zip", "not a zip", "bad.zip: is not a valid zip file"),
        ("notes.txt", "hello", "unsupported scenario file 'notes.txt'"),
    ],
)
def test_unreadable_files_are_input_errors(tmp_path: Path, name: str, content: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ScenarioInvalid) as caught:
        read_document(path)
    assert expected in str(caught.value)


# --- Hardening: one bounded reader, one validator (issue 9) ------------------------------

REPO_ROOT = Path(__file__).resolve().parents[1]
COMMISSION = str(Path(sys.executable).with_name("commission"))


def run_cli(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run([COMMISSION, *arguments], capture_output=True, text=True, timeout=300)


def test_utf8_bom_json_is_read_like_plain_json(tmp_path: Path) -> None:
    document = rich_document()
    plain, bom = tmp_path / "plain.json", tmp_path / "bom.json"
    plain.write_text(json.dumps(document), encoding="utf-8")
    bom.write_bytes(b"\xef\xbb\xbf" + json.dumps(document).encode())
    assert validate_document(read_document(bom)).scenario_hash == validate_document(read_document(plain)).scenario_hash


@pytest.mark.parametrize("encoding", ["json", "csv", "xlsx", "zip"])
def test_non_finite_numbers_are_named_in_every_encoding(tmp_path: Path, encoding: str) -> None:
    document = rich_document()
    document["roles"][0]["max_contacts_per_day"] = math.inf if encoding == "json" else "Infinity"
    document["practices"][0]["weighted_list_size"] = math.nan if encoding == "json" else "NaN"
    path = encode_all(document, tmp_path)[encoding]
    messages = problems_of(read_document(path))
    assert any(m.startswith("roles row 1, column max_contacts_per_day: must be a finite number") for m in messages)
    assert any(m.startswith("practices row 1, column weighted_list_size: must be a finite number") for m in messages)


def test_absurd_magnitudes_are_refused_naming_the_cell(tmp_path: Path) -> None:
    document = rich_document()
    document["roles"][0]["cost_per_fte_gbp"] = 1e308
    document["practices"][0]["list_size"] = 1e308
    document["settings"]["budget_gbp"] = 1e308
    path = tmp_path / "big.json"
    # 10**400 as a JSON literal: Python reads it as an exact integer.
    path.write_text(json.dumps(document).replace('"fte": 0.05', '"fte": 1' + "0" * 400))
    messages = problems_of(read_document(path))
    assert any(
        m.startswith("roles row 1, column cost_per_fte_gbp: must be at most 10,000,000 (got") for m in messages
    ), messages
    assert any(m.startswith("practices row 1, column list_size: must be at most 1,000,000 (got") for m in messages), (
        messages
    )
    assert any(m.startswith("staff row 1, column fte: must be") for m in messages), messages
    assert any(m.startswith("settings budget_gbp:") for m in messages), messages


def test_booleans_are_not_numbers_and_objects_are_not_ids() -> None:
    document = rich_document()
    document["settings"]["budget_gbp"] = True
    document["practices"][0]["list_size"] = True
    document["practices"][1]["practice_id"] = {"$ne": None}
    document["roles"][1]["role_id"] = ["cp"]
    messages = problems_of(document)
    assert "settings budget_gbp: must be a number (got true)" in messages
    assert "practices row 1, column list_size: must be a number (got true)" in messages
    assert 'practices row 2, column practice_id: must be text or a number (got {"$ne": null})' in messages
    assert 'roles row 2, column role_id: must be text or a number (got ["cp"])' in messages


def test_text_cells_are_bounded_and_free_of_control_characters() -> None:
    document = rich_document()
    document["practices"][0]["name"] = "Elm\x00Street"
    document["practices"][1]["practice_id"] = "P" * 101
    messages = problems_of(document)
    assert any(m.startswith("practices row 1, column name: must not contain control characters") for m in messages)
    assert any(m.startswith("practices row 2, column practice_id: must be at most 100 characters") for m in messages)


def test_type_and_reference_problems_are_reported_in_one_pass() -> None:
    """Issue 8.4: a bad number, an unknown pcn_id, a service nobody delivers and a staff
    role missing from roles, all in one list."""
    document = rich_document()
    document["practices"][0]["list_size"] = "many"
    document["practices"][1]["pcn_id"] = "N9"
    document["services"].append({"service_id": "orphan", "contacts_per_patient": 1, "min_coverage": 0})
    document["staff"][0]["role_id"] = "surgeon"
    messages = problems_of(document)
    expected = [
        "practices row 1, column list_size: must be a number (got 'many')",
        "practices row 2, column pcn_id: unknown pcn_id 'N9'",
        "staff row 1, column role_id: unknown role_id 'surgeon'",
        "services row 2, column service_id: nobody can deliver 'orphan': no skill_mix row",
    ]
    assert [m for m in expected if m not in messages] == [], messages


def test_a_missing_table_is_not_reported_again_for_every_reference() -> None:
    document = rich_document()
    del document["pcns"]
    messages = problems_of(document)
    assert "pcns: table is missing" in messages
    assert not any("unknown pcn_id" in m for m in messages), messages


def test_a_zip_holding_a_table_twice_is_an_error(tmp_path: Path) -> None:
    csv_dir = tmp_path / "csv"
    write_document_as_csv(rich_document(), csv_dir)
    archive = tmp_path / "twice.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in csv_dir.iterdir():
            handle.write(file, f"a/{file.name}")
        handle.write(csv_dir / "practices.csv", "b/practices.csv")
    with pytest.raises(ScenarioInvalid, match=r"holds practices\.csv twice"):
        read_document(archive)


def test_xlsm_reads_like_xlsx(tmp_path: Path) -> None:
    paths = encode_all(rich_document(), tmp_path)
    xlsm = tmp_path / "scenario.xlsm"
    xlsm.write_bytes(paths["xlsx"].read_bytes())
    assert validate_document(read_document(xlsm)).scenario_hash == validate_document(rich_document()).scenario_hash


def encrypted_zip(tmp_path: Path) -> Path:
    """A zip whose entries are flagged as encrypted (bit 0 of the general purpose flags)."""
    plain = tmp_path / "plain.zip"
    write_document_as_csv(rich_document(), tmp_path / "csv")
    with zipfile.ZipFile(plain, "w") as handle:
        for file in (tmp_path / "csv").iterdir():
            handle.write(file, file.name)
    data = bytearray(plain.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (start := data.find(signature, start)) != -1:
            data[start + offset] |= 0x01
            start += 4
    locked = tmp_path / "locked.zip"
    locked.write_bytes(bytes(data))
    return locked


def entity_bomb_workbook(tmp_path: Path) -> Path:
    paths = encode_all(rich_document(), tmp_path)
    entities = "".join(f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 10))
    doctype = f'<!DOCTYPE w [<!ENTITY e0 "lol">{entities}]>'
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(paths["xlsx"]) as source, zipfile.ZipFile(bomb, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                text = text[text.index("?>") + 2 :] if text.startswith("<?xml") else text
                data = (doctype + text).replace("<t>", "<t>&e9;", 1).encode()
            target.writestr(item, data)
    return bomb


def test_unreadable_archives_exit_2_on_the_cli(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.zip"
    corrupt.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    cases = {
        corrupt: "is not a valid zip file",
        encrypted_zip(tmp_path): "is encrypted",
        entity_bomb_workbook(tmp_path): "declares XML entities",
    }
    for path, expected in cases.items():
        with pytest.raises(ScenarioInvalid, match=expected):
            read_document(path)
    result = run_cli("validate", "--format", "json", *[])  # no path: typer's usage error
    assert result.returncode == 2
    for path, expected in cases.items():
        result = run_cli("validate", str(path), "--format", "json")
        assert result.returncode == 2, (path.name, result.stdout, result.stderr)
        assert expected in result.stdout
        assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def zip_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 1 MB of zip that expands to 1 GiB."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    chunk = b"0" * (16 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("settings.json", "{}")
        with archive.open("practices.csv", "w", force_zip64=True) as member:
            for _ in range(64):
                member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    return path


def peak_probe(command: list[str]) -> str:
    """A script running ``commission <command> PATH`` in-process, then writing its peak memory to stderr.

    The peak is VmHWM, this process's own: ru_maxrss would carry over the peak of the process that
    started it (Linux keeps it across exec), here the whole test session's.
    """
    return (
        "import re, sys\n"
        "from pathlib import Path\n"
        "from api.cli import main\n"
        f"sys.argv = ['commission', *{command!r}, sys.argv[1]]\n"
        "try:\n    main()\n"
        "finally:\n"
        "    status = Path('/proc/self/status').read_text()\n"
        "    sys.stderr.write('peak_kb=' + re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1))\n"
    )


def test_a_zip_bomb_is_refused_quickly_with_bounded_memory_on_the_cli(zip_bomb: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(ScenarioInvalid, match="expands to 1,073,741,826 bytes"):
        read_document(zip_bomb)
    assert time.perf_counter() - started < 2
    result = subprocess.run(
        [sys.executable, "-c", peak_probe(["validate"]), str(zip_bomb)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 2, result.stderr
    assert "expands to 1,073,741,826 bytes" in result.stderr
    peak_kb = int(result.stderr.rsplit("peak_kb=", 1)[1])
    assert peak_kb < 600 * 1024, f"peak memory {peak_kb} KB"


def huge_sheet_workbook(path: Path) -> Path:
    """A small workbook whose practices sheet declares 1,000,000 rows × 16,000 columns."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "practices"
    sheet.append(["practice_id", "pcn_id", "list_size"])
    sheet.append(["P1", "N1", 1000])
    sheet.cell(row=1_000_000, column=16_000, value=1)
    workbook.save(path)
    assert path.stat().st_size < 50_000
    return path


def test_a_sheet_declaring_a_million_rows_is_refused_before_reading(tmp_path: Path) -> None:
    path = huge_sheet_workbook(tmp_path / "huge.xlsx")
    started = time.perf_counter()
    with pytest.raises(ScenarioInvalid, match="declares 1,000,000 rows and 16,000 columns"):
        read_document(path)
    assert time.perf_counter() - started < 5


def test_rows_past_the_limit_are_never_read(tmp_path: Path) -> None:
    limits = ReadLimits(max_table_rows=3)
    document = rich_document()
    document["staff"] = [{"holder_id": "P1", "role_id": "gp", "fte": 0.01}] * 4
    paths = encode_all(document, tmp_path)
    for kind in ("csv", "xlsx", "zip"):
        with pytest.raises(ScenarioInvalid, match=r"more than 3 rows|declares 5 rows"):
            read_document(paths[kind], limits)


def test_the_cli_shows_user_text_as_typed(tmp_path: Path) -> None:
    """No markup or emoji codes are rendered from ids, file names or ranges."""
    document = rich_document()
    document["practices"][0]["practice_id"] = ":thumbs_up:"
    document["practices"][1]["practice_id"] = ":thumbs_up:"
    document["staff"][0]["holder_id"] = ":thumbs_up:"
    document["pcns"][0]["name"] = "[red]North[/red]"
    path = tmp_path / "[red]offer.json"
    path.write_text(json.dumps(document))
    result = run_cli("validate", str(path))
    assert result.returncode == 2
    assert "duplicate practice_id=':thumbs_up:'" in result.stderr, result.stderr
    valid = tmp_path / "valid.json"
    valid.write_text(json.dumps(rich_document()))
    result = run_cli("sweep", str(valid), "--budget", "a:smile:3", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "'a:smile:3'" in result.stderr.replace("\n", ""), result.stderr
    result = run_cli("validate", str(tmp_path / "[bold]missing:smile:.json"))
    assert result.returncode == 2
    assert "[bold]missing:smile:.json" in result.stderr.replace("\n", ""), result.stderr


# --- Cells named as the user sees them (audit M4, L1, L2, L5) ----------------------------


def cli_problems(path: Path) -> list[dict[str, Any]]:
    """`commission validate PATH --format json`'s problems (it must exit 2)."""
    result = run_cli("validate", str(path), "--format", "json")
    assert result.returncode == 2, (result.stdout, result.stderr)
    problems: list[dict[str, Any]] = json.loads(result.stdout)["problems"]
    return problems


def problem(table: str, row: int | None, column: str | None, message: str) -> dict[str, Any]:
    return {"table": table, "row": row, "column": column, "message": message}


def test_a_blank_row_is_skipped_but_counted_in_a_csv_zip_and_sheet(tmp_path: Path) -> None:
    """The bad cell is the third row under the header, whatever the encoding."""
    document = rich_document()
    document["practices"][1]["list_size"] = "abc"
    paths = encode_all(document, tmp_path)
    practices = paths["csv"] / "practices.csv"
    header, first, second = practices.read_text().splitlines()
    practices.write_text(f"\n{header}\n{first}\n,,\n{second}\n")  # a blank line above the header is not counted
    with zipfile.ZipFile(paths["zip"], "w") as archive:
        for file in paths["csv"].iterdir():
            archive.write(file, f"scenario/{file.name}")
    workbook = openpyxl.load_workbook(paths["xlsx"])
    workbook["practices"].insert_rows(3)
    workbook.save(paths["xlsx"])
    expected = [problem("practices", 3, "list_size", "must be a number (got 'abc')")]
    for kind in ("csv", "zip", "xlsx"):
        assert cli_problems(paths[kind]) == expected, kind

    practices.write_text(f"{header}\n\n{first},extra\n{second}\n")
    assert cli_problems(paths["csv"]) == [problem("practices", 2, None, "has 6 values but the header has 5 columns")]


def test_checks_across_rows_name_the_row_as_the_sheet_numbers_it(tmp_path: Path) -> None:
    document = rich_document()
    document["practices"][1]["practice_id"] = "P1"
    path = encode_all(document, tmp_path)["xlsx"]
    workbook = openpyxl.load_workbook(path)
    workbook["practices"].insert_rows(2, amount=2)
    workbook.save(path)
    assert problem("practices", 4, "practice_id", "duplicate practice_id='P1'") in cli_problems(path)


def test_a_formula_with_no_saved_value_is_named_not_taken_as_blank(tmp_path: Path) -> None:
    """openpyxl, like other scripts, saves formulas uncalculated; reading for values they are
    blank, which would be "missing" in a required column and silently the default in another."""
    path = encode_all(rich_document(), tmp_path)["xlsx"]
    workbook = openpyxl.load_workbook(path)
    workbook["practices"]["C2"] = "=1000*4"  # list_size, required
    workbook["practices"]["D3"] = "=4000*1.1"  # weighted_list_size, optional: defaults to list_size
    workbook.save(path)
    expected = "is a formula with no saved value; open the workbook in Excel and save it"
    assert cli_problems(path) == [
        problem("practices", 1, "list_size", expected),
        problem("practices", 2, "weighted_list_size", expected),
    ]


def test_a_key_given_twice_in_json_is_named_not_read_as_the_last(tmp_path: Path) -> None:
    text = json.dumps(rich_document())
    text = text.replace('"settings": {', '"settings": {"budget_gbp": 1, ', 1)
    text = text.replace('"practice_id": "P2",', '"practice_id": "P2", "list_size": 9,', 1)
    path = tmp_path / "twice.json"
    path.write_text(text)
    assert cli_problems(path) == [
        problem("settings", None, "budget_gbp", "is given more than once (1, then 1000000); give it once"),
        problem("practices", 2, "list_size", "is given more than once (9, then 4000); give it once"),
    ]
    path.write_text(text.replace('{"settings"', '{"pcns": [], "settings"', 1))
    assert problem("pcns", None, None, "is given more than once in twice.json; give each table once") in (
        cli_problems(path)
    )

    directory = encode_all(rich_document(), tmp_path)["csv"]
    (directory / "settings.json").write_text('{"budget_gbp": 5, "budget_gbp": 6}')
    assert cli_problems(directory) == [
        problem("settings", None, "budget_gbp", "is given more than once (5, then 6); give it once")
    ]


def test_values_are_quoted_as_the_user_wrote_them(tmp_path: Path) -> None:
    path = encode_all(rich_document(), tmp_path)["xlsx"]
    workbook = openpyxl.load_workbook(path)
    workbook["practices"]["C2"] = datetime.datetime(2024, 1, 1)  # list_size
    workbook["practices"]["A3"] = datetime.datetime(2024, 3, 5, 9, 30)  # practice_id
    workbook.save(path)
    problems = cli_problems(path)
    assert problem("practices", 1, "list_size", "must be a number, not a date or time (got 2024-01-01)") in problems
    assert (
        problem("practices", 2, "practice_id", "must be text or a number, not a date or time (got 2024-03-05 09:30:00)")
        in problems
    )

    document = rich_document()
    document["settings"].update(budget_gbp="abc", objective=3, no_practice_below_prior="maybe", time_limit_s=0)
    assert set(problems_of(document)) >= {
        "settings budget_gbp: expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got 'abc')",
        "settings objective: must be one of min_cost, max_value, max_min_coverage (got 3)",
        "settings no_practice_below_prior: must be true or false (got 'maybe')",
        "settings time_limit_s: must be a number of seconds greater than 0 and at most 86,400 (got 0)",
    }


def test_a_sweeps_value_columns_are_rounded_as_patients(tmp_path: Path) -> None:
    """Audit N9: value is value-weighted patients covered, so 2 decimal places as patients
    (it was written to 15 digits: 3466.66666666667)."""
    written = {}
    for sweep, points in (("standards", "0:1:4"), ("budget", "30k:40k:4")):
        done = console.run("sweep", str(console.TINY), f"--{sweep}", points, "--out", str(tmp_path / sweep))
        assert done.returncode == 0, done.stderr
        with (tmp_path / sweep / f"sweep_{sweep}.csv").open() as handle:
            written[sweep] = list(csv.DictReader(handle))
    assert [row["value"] for row in written["standards"]] == ["0", "3466.67", "6933.33", "10400"]
    assert [row["no_standards_value"] for row in written["budget"]] == ["10550", "10633.33", "10694.44", "10750"]
    assert [row["budget_gbp"] for row in written["budget"]] == ["30000", "33333.33", "36666.67", "40000"]


def test_the_value_rule_rounds_no_other_result_column() -> None:
    """The rule for value columns must not change how any other result table column is written."""
    document = read_document(console.TINY)
    runs: list[tuple[str, dict[str, Any]]] = [
        ("solve", {"sensitivity": True}),
        ("solve", {"objective": "max_min_coverage"}),
        ("check", {"budget_gbp": 1_000}),
        ("sweep", {"budget": "30k:40k:2"}),
        ("sweep", {"standards": "0.5:1:2"}),
    ]
    columns = {
        str(column)
        for kind, overrides in runs
        for table in run_job(kind, document, overrides).tables.values()
        for column in table.columns
    }

    def precision_before(column: str) -> int | None:
        name = column.lower()
        earlier = [
            places for words, places in RESULT_PRECISION if words != ("value",) and any(w in name for w in words)
        ]
        return earlier[0] if earlier else None

    changed = {column for column in columns if result_precision(column) != precision_before(column)}
    assert changed == {"value", "no_standards_value"}


def test_a_json_number_too_large_for_a_float_is_quoted_as_written(tmp_path: Path) -> None:
    """Audit3 10: 1e999 reads as infinity; a message quotes it as the file gives it, not as 'inf'."""
    folder = encode_all(rich_document(), tmp_path)["csv"]
    settings = json.loads((folder / "settings.json").read_text())
    (folder / "settings.json").write_text(
        json.dumps(settings).replace(f'"budget_gbp": {settings["budget_gbp"]}', '"budget_gbp": 1e999')
    )
    path = tmp_path / "big.json"
    document = rich_document()
    document["roles"][0]["max_contacts_per_day"] = 1
    path.write_text(json.dumps(document).replace('"max_contacts_per_day": 1', '"max_contacts_per_day": -2.5e400'))
    assert cli_problems(folder) == [problem("settings", None, "budget_gbp", "must be a finite number (got 1e999)")]
    assert problem("roles", 1, "max_contacts_per_day", "must be a finite number (got -2.5e400)") in cli_problems(path)


@pytest.fixture(scope="module")
def long_names_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/tiny with practices.csv of 50,000 rows (the API's row limit), each a duplicate
    practice_id with a 1,000-character name: 100,000 problems in 49 MiB of CSV, 0.2 MB zipped."""
    path = tmp_path_factory.mktemp("long") / "long_names.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table in console.TINY.iterdir():
            if table.suffix in (".csv", ".json") and table.name != "practices.csv":
                archive.write(table, table.name)
        row = "P1,PCN1,6000,6000," + "x" * 1_000 + "\n"
        archive.writestr("practices.csv", "practice_id,pcn_id,list_size,weighted_list_size,name\n" + row * 50_000)
    return path


def test_a_table_of_many_bad_rows_is_answered_in_bounded_memory_and_a_bounded_list(long_names_zip: Path) -> None:
    """Audit3 15: the first 1,000 problems and a count of the rest, in every output; the CLI's
    memory stays a small multiple of the expanded table (it was eight times it)."""
    problems = cli_problems(long_names_zip)
    assert len(problems) == 1_001
    assert problems[0] == problem("practices", 1, "name", "must be at most 200 characters (got 1000)")
    assert problems[-1] == problem(
        "scenario", None, None, "99,000 more problems are not listed; correct these and check again"
    )

    text = run_cli("validate", str(long_names_zip))
    assert text.returncode == 2
    assert "Invalid scenario: 100,000 problems" in text.stderr
    assert "  ... and 99,800 more (use --format json for the first 1,000)" in text.stderr

    result = subprocess.run(
        [sys.executable, "-c", peak_probe(["validate", "--format", "json"]), str(long_names_zip)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    peak_kb = int(result.stderr.rsplit("peak_kb=", 1)[1])
    assert peak_kb < 300 * 1024, f"peak memory {peak_kb} KB"
