"""Audit 11 #13, #12, #2: archives are opened one way, tables are held to one row limit.

#13: a publication zip holding one wrong (or Latin-1) CSV is exit 2 / HTTP 422 naming the file
and the problem, as the plain CSV is; never "unexpected failure" or a 500.
#12: the importer's command line refuses a zip bomb from its directory, as the API and
``commission validate`` do, in the same words.
#2: a table of too many rows is refused in one wording whether it comes as CSV in a zip, a sheet
or a JSON list, and by the service as by the reader.
"""

from __future__ import annotations

import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.orm import Role
from models.scenario import ScenarioInvalid
from optimiser import io as reader
from optimiser.io import (
    ReadLimits,
    read_bytes,
    read_document,
    write_document_as_csv,
    write_document_as_workbook,
)
from tests import nhs_files
from tests.api.helpers import Service, service_settings
from tests.console import run, strict_json

REPO = Path(__file__).resolve().parents[1]
LATIN_1_HEADER = "PRÁCTICE,NAME\n".encode("latin-1") + b"A\x81,x\n"  # 0x81: neither UTF-8 nor Windows-1252


def zip_of(path: Path, member: str, data: bytes) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return path


def cli_problems(files: dict[str, Path], out: Path) -> tuple[int, list[dict[str, object]], str]:
    done = run(*nhs_files.import_args(files, out, "--format", "json"), cwd=out.parent)
    assert "Traceback" not in done.stdout + done.stderr
    assert "unexpected failure" not in done.stdout + done.stderr
    problems = strict_json(done.stdout)["problems"] if done.stdout.strip() else []
    return done.returncode, problems, done.stderr


# --- #13: one wrong CSV in a zip ---------------------------------------------------------------


def test_a_zip_of_one_wrong_csv_is_exit_2_naming_the_member_and_the_column(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    files["mapping"] = zip_of(tmp_path / "mapping.zip", "a.csv", b"a,b\n1,2\n")
    code, problems, stderr = cli_problems(files, tmp_path / "out")
    assert code == 2, stderr
    [problem] = problems
    assert problem["table"] == "mapping.zip:a.csv"
    assert problem["column"] == "PRACTICE_CODE"
    assert "required column is missing" in str(problem["message"])
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_zip_of_one_csv_in_neither_encoding_is_exit_2_naming_it(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    files["mapping"] = zip_of(tmp_path / "mapping.zip", "latin.csv", LATIN_1_HEADER)
    code, problems, stderr = cli_problems(files, tmp_path / "out")
    assert code == 2, stderr
    assert problems == [
        {
            "table": "mapping.zip:latin.csv",
            "row": None,
            "column": None,
            "message": "is not a text CSV file (neither UTF-8 nor Windows-1252)",
        }
    ]


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Service]:
    settings = service_settings(f"sqlite:///{tmp_path / 'api.db'}", max_request_bytes=2_000_000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


def post_import(service: Service, mapping: tuple[str, bytes], files: dict[str, Path]) -> list[dict[str, object]]:
    parts = [
        ("mapping", (mapping[0], mapping[1], "application/zip")),
        ("list_sizes", (files["list_sizes"].name, files["list_sizes"].read_bytes(), "text/csv")),
    ]
    response = service.client.post(
        "/imports/nhs", data={"icb": "QAA"}, files=parts, headers=service.tenant(Role.COMMISSIONER)
    )
    assert response.status_code == 422, response.text
    detail: list[dict[str, object]] = response.json()["detail"]
    return detail


def test_the_api_gives_422_for_the_same_zips(api: Service, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    wrong = zip_of(tmp_path / "mapping.zip", "a.csv", b"a,b\n1,2\n").read_bytes()
    [problem] = post_import(api, ("mapping.zip", wrong), files)
    assert (problem["table"], problem["column"]) == ("mapping.zip:a.csv", "PRACTICE_CODE")
    latin = zip_of(tmp_path / "latin.zip", "latin.csv", LATIN_1_HEADER).read_bytes()
    [problem] = post_import(api, ("mapping.zip", latin), files)
    assert problem == {
        "table": "mapping.zip:latin.csv",
        "row": None,
        "column": None,
        "message": "is not a text CSV file (neither UTF-8 nor Windows-1252)",
    }


# --- #12: one archive opener -------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Under 1 MB of zip whose one CSV expands to 1 GiB."""
    path = tmp_path_factory.mktemp("bomb") / "mapping.zip"
    chunk = b"0" * (16 * 1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("gp-reg-pat-prac-map.csv", "w", force_zip64=True) as member,
    ):
        for _ in range(64):
            member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    return path


EXPANDS = "expands to 1,073,741,824 bytes; the most an archive may expand to is 209,715,200"


def test_the_importer_command_refuses_a_zip_bomb_from_its_directory(bomb: Path, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    files["mapping"] = bomb
    started = time.perf_counter()
    code, problems, stderr = cli_problems(files, tmp_path / "out")
    elapsed = time.perf_counter() - started
    assert code == 2, stderr
    assert problems == [{"table": "mapping.zip", "row": None, "column": None, "message": EXPANDS}]
    # Before: 25 s and 6.4 GB peak RSS inflating it (exit 1); now the directory alone: about 1 s.
    assert elapsed < 10, elapsed


def test_the_scenario_reader_and_the_service_refuse_in_the_same_words(bomb: Path, api: Service) -> None:
    scenario_bomb = bomb.read_bytes()
    with pytest.raises(ScenarioInvalid) as refused:
        read_bytes("mapping.zip", scenario_bomb)
    assert [p.as_dict() for p in refused.value.problems] == [
        {"table": "mapping.zip", "row": None, "column": None, "message": EXPANDS}
    ]
    limit = api.settings.max_upload_expanded_bytes
    files = nhs_files.write_all(Path(str(bomb.parent)) / "in")
    [problem] = post_import(api, ("mapping.zip", scenario_bomb), files)
    assert problem == {
        "table": "mapping.zip",
        "row": None,
        "column": None,
        "message": f"expands to 1,073,741,824 bytes; the most an archive may expand to is {limit:,}",
    }


def test_a_member_named_outside_the_archive_is_refused(tmp_path: Path) -> None:
    path = zip_of(tmp_path / "evil.zip", "../practices.csv", b"practice_id\nP1\n")
    with pytest.raises(ScenarioInvalid) as refused:
        read_document(path)
    [problem] = refused.value.problems
    assert problem.table == "evil.zip"
    assert problem.message == "holds '../practices.csv', named outside the archive; give files with plain names"


# --- #2: one row limit, one wording ------------------------------------------------------------


@pytest.fixture(scope="module")
def encodings(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], int]:
    """The example scenario as a zip of CSVs, a workbook and JSON, and its longest table's rows."""
    folder = tmp_path_factory.mktemp("encodings")
    document = json.loads((REPO / "data" / "example_icb.json").read_text())
    longest = max(len(records) for records in document.values() if isinstance(records, list))
    assert len(document["eligibility"]) == longest
    assert sorted(len(r) for r in document.values() if isinstance(r, list))[-2] < longest  # the one longest
    write_document_as_csv(document, folder / "csv")
    with zipfile.ZipFile(folder / "s.zip", "w") as archive:
        for file in sorted((folder / "csv").iterdir()):
            archive.write(file, file.name)
    write_document_as_workbook(document, folder / "s.xlsx")
    (folder / "s.json").write_text(json.dumps(document))
    return {name: folder / name for name in ("s.zip", "s.xlsx", "s.json")}, longest


def too_many(limit: int) -> dict[str, object]:
    return {
        "table": "eligibility",
        "row": None,
        "column": None,
        "message": f"has more than {limit:,} rows, the most a table may have",
    }


def test_the_same_tables_are_refused_alike_as_csv_zip_workbook_and_json(
    encodings: tuple[dict[str, Path], int], monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, longest = encodings
    # At the limit every encoding is read whole (so it is the lowered limit below that refuses them)...
    for path in paths.values():
        assert len(read_document(path, ReadLimits(max_table_rows=longest))["eligibility"]) == longest
    # ...and one row under it (the reader's own limit, lowered), each is refused in the one wording.
    monkeypatch.setattr(reader, "DEFAULT_LIMITS", ReadLimits(max_table_rows=longest - 1))
    for name, path in paths.items():
        with pytest.raises(ScenarioInvalid) as refused:
            read_document(path, reader.DEFAULT_LIMITS)
        assert [p.as_dict() for p in refused.value.problems] == [too_many(longest - 1)], name


def test_the_service_refuses_them_in_the_same_words(encodings: tuple[dict[str, Path], int], tmp_path: Path) -> None:
    paths, longest = encodings
    settings = service_settings(
        f"sqlite:///{tmp_path / 'rows.db'}", max_table_rows=longest - 1, max_request_bytes=2_000_000
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        headers = Service(client=client, settings=settings).tenant(Role.COMMISSIONER)
        for name, path in paths.items():
            response = client.post("/scenarios/upload", files={"file": (name, path.read_bytes())}, headers=headers)
            assert response.status_code == 422, (name, response.text)
            assert response.json()["detail"] == [too_many(longest - 1)], name
        body = paths["s.json"].read_bytes()
        response = client.post("/scenarios", content=body, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == [too_many(longest - 1)]


def test_a_publication_csv_with_a_huge_field_is_exit_2_not_an_unexpected_failure(tmp_path: Path) -> None:
    """Found while measuring the bomb on main: Python's csv module refuses a field of over 131,072
    characters with its own error, which the importer let through as exit 1."""
    files = nhs_files.write_all(tmp_path / "in")
    files["mapping"].write_text(files["mapping"].read_text() + "A" * 200_000 + "\n")
    code, problems, stderr = cli_problems(files, tmp_path / "out")
    assert code == 2, stderr
    assert problems == [
        {
            "table": "gp-reg-pat-prac-map.csv",
            "row": None,
            "column": None,
            "message": "is not a well-formed CSV (field larger than field limit (131072))",
        }
    ]
