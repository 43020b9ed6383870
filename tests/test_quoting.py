"""A user's value is quoted in every message the same way (``models.schema.shown``): in plain
quotes, with an invisible character named rather than escaped Python-style (``'\\xa0'``), so
"1 000" typed with a non-breaking space reads as what it is. Run as users run it: the installed
console script."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from models.schema import AMOUNT_FORMS
from tests import nhs_files
from tests.console import TINY, run, strict_json

NBSP = "\xa0"
THOUSAND = f"1{NBSP}000"  # as a spreadsheet or a web page may copy "1 000"
SHOWN = "'1<non-breaking space>000'"


def problems(*args: str) -> list[dict[str, object]]:
    done = run(*args, "--format", "json")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    return strict_json(done.stdout)["problems"]


def tiny_with(tmp_path: Path, settings: dict[str, object] | None = None, practices: str | None = None) -> Path:
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    if settings:
        document = json.loads((target / "settings.json").read_text())
        (target / "settings.json").write_text(json.dumps({**document, **settings}))
    if practices:
        (target / "practices.csv").write_text(practices, encoding="utf-8")
    return target


def test_an_amount_with_a_non_breaking_space_names_it_on_the_command_line_and_in_settings(tmp_path: Path) -> None:
    message = f"expected {AMOUNT_FORMS} (got {SHOWN})"
    by_option = problems("solve", str(TINY), "--budget", THOUSAND)
    by_settings = problems("validate", str(tiny_with(tmp_path, settings={"budget_gbp": THOUSAND})))
    assert [(p["table"], p["column"], p["message"]) for p in by_option] == [("options", "--budget", message)]
    assert [(p["table"], p["column"], p["message"]) for p in by_settings] == [("settings", "budget_gbp", message)]


def test_a_cell_with_a_non_breaking_space_names_it(tmp_path: Path) -> None:
    csv = (TINY / "practices.csv").read_text().replace("P1,PCN1,6000,", f"P1,PCN1,6{NBSP}000,")
    found = problems("validate", str(tiny_with(tmp_path, practices=csv)))
    assert found == [
        {
            "table": "practices",
            "row": 1,
            "column": "list_size",
            "message": "must be a number (got '6<non-breaking space>000')",
        }
    ]


@pytest.mark.parametrize(
    ("value", "quoted"),
    [("col\tumn", "'col<tab>umn'"), (f"col{NBSP}umn", "'col<non-breaking space>umn'")],
    ids=["tab", "non-breaking space"],
)
def test_the_role_map_quotes_a_value_as_every_message_does(tmp_path: Path, value: str, quoted: str) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    header, _ = run("import", "role-map", cwd=tmp_path).stdout.splitlines()[:2]
    role_map = nhs_files.write(tmp_path / "roles.csv", [header, f'practice_workforce,"{value}",TOTAL_GP_FTE,gp,'])
    assert problems(*nhs_files.import_args(files, tmp_path / "out", "--role-map", str(role_map))) == [
        {
            "table": "roles.csv",
            "row": 1,
            "column": "match",
            "message": f"practice_workforce rows match a column (got {quoted})",
        }
    ]
