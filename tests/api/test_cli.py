"""The service's commands: `commission db upgrade` and `commission keys create`."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, inspect, select
from typer.testing import CliRunner

from api import crud
from api.cli import app
from api.db import create_db_engine, create_session_factory
from api.orm import ApiKey
from tests.servers import BACKENDS, Server, running_server

COMMISSION = str(Path(sys.executable).with_name("commission"))


@pytest.fixture
def database_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("COMMISSION_DATABASE_URL", url)
    return url


def test_db_upgrade_creates_the_schema(database_url: str) -> None:
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = create_engine(database_url)
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {"organisations", "api_keys", "scenarios", "scenario_versions", "shares", "jobs", "job_tables"} <= tables


def test_keys_create_prints_a_working_key_once(database_url: str) -> None:
    result = CliRunner().invoke(app, ["keys", "create", "--org", "birmingham-icb", "--role", "admin"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    engine = create_db_engine(database_url)
    with create_session_factory(engine)() as session:
        principal = crud.authenticate(session, token)
        stored = session.scalars(select(ApiKey.secret_sha256)).all()
    engine.dispose()
    assert principal is not None
    assert (principal.organisation_name, principal.role) == ("birmingham-icb", "admin")
    assert token not in stored
    # The id printed is the one DELETE /keys/{id} takes (audit 4, F16).
    engine = create_db_engine(database_url)
    with create_session_factory(engine)() as session:
        (key_id,) = session.scalars(select(ApiKey.public_id)).all()
    engine.dispose()
    assert f"created key {key_id} " in result.stderr and f"revoke it with DELETE /keys/{key_id};" in result.stderr


def test_keys_create_rejects_an_unknown_role(database_url: str) -> None:
    result = CliRunner().invoke(app, ["keys", "create", "--org", "x", "--role", "superuser"])
    assert result.exit_code == 2, result.output  # a usage error, not a crash (exit 1)
    words = " ".join(result.stderr.replace("│", " ").split())  # typer's error box, unwrapped
    assert "Invalid value for '--role'" in words
    assert "'superuser' is not one of 'admin', 'commissioner', 'negotiator'" in words


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--label", "l" * 201], "--label must be 1 to 200 characters"),
        (["--label", "a\x01b"], "--label must not contain control characters"),
        (["--label", ""], "--label must be 1 to 200 characters"),
    ],
)
def test_keys_create_refuses_a_bad_label_with_exit_2(database_url: str, arguments: list[str], expected: str) -> None:
    result = subprocess.run(
        [COMMISSION, "keys", "create", "--org", "birmingham-icb", "--role", "admin", *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COMMISSION_DATABASE_URL": database_url},
    )
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("port", ["99999", "70000", "-1"])
def test_serve_refuses_a_port_out_of_range_before_touching_the_database(
    database_url: str, tmp_path: Path, port: str
) -> None:
    result = subprocess.run(
        [COMMISSION, "serve", "--workers", "0", f"--port={port}"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COMMISSION_DATABASE_URL": database_url},
    )
    assert result.returncode == 2, result.stderr
    assert f"--port: must be 0 to 65,535 (got {port})" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "cli.db").exists()


@pytest.mark.parametrize(
    ("option", "given", "expected"),
    [
        ("--workers", "-1", "error: --workers: must be a whole number of worker processes, at least 0 (got '-1')"),
        ("--workers", "two", "error: --workers: must be a whole number of worker processes, at least 0 (got 'two')"),
        ("--port", "http", "error: --port: must be a whole number (got 'http')"),
    ],
)
def test_serve_refuses_a_bad_whole_number_in_the_products_words(
    database_url: str, tmp_path: Path, option: str, given: str, expected: str
) -> None:
    """Audit 4: `serve --workers -1` was answered in pydantic's words ("Input should be greater than
    or equal to 0"), where every other command's whole-number options use the product's; one
    `error:` line as every option error (audit 9, A13: it had been a usage box)."""
    result = subprocess.run(
        [COMMISSION, "serve", option, given],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COMMISSION_DATABASE_URL": database_url, "COLUMNS": "200"},
    )
    assert result.returncode == 2, result.stderr
    said = " ".join(result.stderr.replace("│", " ").split())
    assert expected in said, said
    assert "Input should" not in said
    assert not (tmp_path / "cli.db").exists()


@pytest.fixture(params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    yield from running_server(request.param, tmp_path)


def test_the_installed_keys_create_gives_a_key_a_running_server_takes(server: Server) -> None:
    """The command as an operator runs it, beside a running service on its database: the key it prints
    (its last line) opens the API for its organisation and role; no other line is on stdout."""
    created = server.command("keys", "create", "--org", "somerset-icb", "--role", "negotiator")
    assert created.returncode == 0, created.stderr
    [token] = created.stdout.splitlines()
    assert "the key is shown only this once" in created.stderr and token not in created.stderr
    assert httpx.get(f"{server.url}/scenarios", headers={"X-API-Key": token}).status_code == 200
    assert httpx.get(f"{server.url}/scenarios", headers={"X-API-Key": token + "x"}).status_code == 401
