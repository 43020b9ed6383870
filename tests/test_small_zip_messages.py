"""A scenario zip's own problems are named as every other archive problem is: the archive as the
table, its members as ``scenario.zip:a/practices.csv`` (as ``open_archive`` and the NHS importer
name them). Before, "holds no CSV files" and "holds practices.csv twice" came as table
``scenario`` with the zip's name inside the sentence and the members without it. Through the
installed command (exit 2) and the service (422), with real zips.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from api.orm import Role
from models.validate import validate_document
from optimiser.io import read_document, write_document_as_csv
from tests.api.helpers import Service, sqlite_service
from tests.console import TINY, run, strict_json

NO_CSV = "holds no CSV files; give one CSV file per table, as a scenario folder holds them"


def twice(label: str) -> str:
    return f"holds practices.csv twice ({label}:a/practices.csv and {label}:b/practices.csv); give each table once"


def zip_without_csv() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("settings.json", (TINY / "settings.json").read_text())
        archive.writestr("notes.txt", "the tables are still to come\n")
    return buffer.getvalue()


def zip_with_practices_twice(folder: Path) -> bytes:
    """data/tiny's CSVs in folder a/, and its practices.csv again in b/."""
    write_document_as_csv(read_document(TINY), folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, f"a/{file.name}")
        archive.write(folder / "practices.csv", "b/practices.csv")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def zips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    return {
        "empty.zip": zip_without_csv(),
        "twice.zip": zip_with_practices_twice(tmp_path_factory.mktemp("tiny_csv")),
    }


def expected(name: str) -> list[dict[str, object]]:
    message = NO_CSV if name == "empty.zip" else twice(name)
    return [{"table": name, "row": None, "column": None, "message": message}]


@pytest.mark.parametrize("name", ["empty.zip", "twice.zip"])
def test_the_command_names_the_archive_and_its_members(zips: dict[str, bytes], name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_bytes(zips[name])
    for command in ("validate", "solve", "check"):
        done = run(command, str(path), "--format", "json")
        assert done.returncode == 2, (command, done.stdout, done.stderr)
        assert strict_json(done.stdout) == {"status": "invalid", "problems": expected(name)}, command
    text = run("validate", str(path))
    assert text.returncode == 2
    assert f"{name}: {expected(name)[0]['message']}" in text.stdout + text.stderr
    assert "Traceback" not in text.stdout + text.stderr


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from sqlite_service(tmp_path_factory.mktemp("api"))


@pytest.mark.parametrize("name", ["empty.zip", "twice.zip"])
def test_the_service_answers_422_in_the_same_words(api: Service, zips: dict[str, bytes], name: str) -> None:
    headers = api.tenant(Role.COMMISSIONER)
    response = api.client.post("/scenarios/upload", files={"file": (name, zips[name])}, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == expected(name)


def test_a_zip_of_the_tables_in_one_folder_still_reads(zips: dict[str, bytes], tmp_path: Path) -> None:
    """The same tables once each, in one folder: read as the scenario (only the repeat is refused)."""
    with zipfile.ZipFile(io.BytesIO(zips["twice.zip"])) as source, zipfile.ZipFile(tmp_path / "once.zip", "w") as once:
        for member in source.namelist():
            if member.startswith("a/"):
                once.writestr(member, source.read(member))
    hashes = {validate_document(read_document(p)).scenario_hash for p in (tmp_path / "once.zip", TINY)}
    assert len(hashes) == 1
