"""``commission solve`` imports only what it needs (issue 10 point 3).

The console script's module (``api.cli``) also carries the service's commands; a solve must not
pay for the web service, its database layer, the chart library or SciPy's statistics. Checked
in a fresh interpreter that runs the solve command and then lists what was imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = (
    "api.main",
    "api.orm",
    "api.crud",
    "fastapi",
    "starlette",
    "sqlalchemy",
    "uvicorn",
    "matplotlib",
    "scipy.stats",
)

RUN = """
import json, sys
from api.cli import main
sys.argv = ["commission", *ARGS]
try:
    main()
    code = 0
except SystemExit as done:
    code = done.code
loaded = sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))
sys.stderr.write("\\nIMPORTED " + json.dumps({"code": code, "loaded": loaded}) + "\\n")
"""


def imported_by(*args: str, env: dict[str, str] | None = None, forbidden: tuple[str, ...] = FORBIDDEN) -> dict:
    code = f"ARGS = {list(args)!r}\nFORBIDDEN = {forbidden!r}\n" + RUN
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    line = next(line for line in done.stderr.splitlines() if line.startswith("IMPORTED "))
    return json.loads(line[len("IMPORTED ") :])


@pytest.mark.parametrize(
    "args",
    [
        ("solve", "data/tiny", "--format", "json"),
        ("check", "data/tiny", "--format", "json"),
        ("validate", "data/tiny", "--format", "json"),
    ],
)
def test_engine_commands_import_no_service_charts_or_statistics(args: tuple[str, ...]) -> None:
    report = imported_by(*args)
    assert report["code"] == 0
    assert report["loaded"] == []


@pytest.mark.parametrize("args", [("solve", "data/tiny", "--format", "json"), ("validate", "data/tiny")])
def test_a_solve_or_validate_does_not_load_the_checks_machinery(args: tuple[str, ...]) -> None:
    """Only a check needs its conflict search and levers; a sentence from ``wording`` loads none of it."""
    modules = ("check", "conflict", "exact", "levers", "relaxation")
    report = imported_by(*args, forbidden=tuple(f"optimiser.deliverability.{name}" for name in modules))
    assert report["code"] == 0
    assert report["loaded"] == []


@pytest.mark.parametrize("args", [("solve", "data/example_icb", "--format", "json"), ("validate", "data/tiny")])
def test_a_csv_scenario_does_not_load_the_workbook_library(args: tuple[str, ...]) -> None:
    """openpyxl (and Pillow under it) took 0.15 s of a 1.3 s ``solve data/example_icb``: a CSV
    scenario's reader loads it only to name a repeated column's letters."""
    report = imported_by(*args, forbidden=("openpyxl", "PIL"))
    assert report["code"] == 0
    assert report["loaded"] == []


def test_a_workbook_scenario_does_load_the_workbook_library(tmp_path: Path) -> None:
    """The check above can fail: reading a workbook loads openpyxl."""
    workbook = tmp_path / "tiny.xlsx"
    assert imported_by("template", str(workbook))["code"] == 0
    report = imported_by("validate", str(workbook), forbidden=("openpyxl",))
    assert "openpyxl" in report["loaded"]


def test_a_service_command_does_import_the_service(tmp_path: Path) -> None:
    """The check above can fail: a command that uses the database loads SQLAlchemy."""
    report = imported_by("db", "upgrade", env={"COMMISSION_DATABASE_URL": f"sqlite:///{tmp_path / 'jobs.db'}"})
    assert report["code"] in (0, None)
    assert "sqlalchemy" in report["loaded"]


def test_the_role_choices_are_the_services_roles() -> None:
    from api.cli import ROLES
    from api.orm import Role

    assert tuple(role.value for role in Role) == ROLES
