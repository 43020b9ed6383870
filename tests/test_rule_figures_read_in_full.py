"""A cross-field rule's figures and the template's column notes read as the other bounds do
(models.formats.number): "1,000,000", never "1e+06"."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl

from tests.console import TINY, run


def test_eligible_patients_beyond_the_list_are_quoted_in_full_through_the_console_script(tmp_path: Path) -> None:
    case = tmp_path / "tiny"
    shutil.copytree(TINY, case)
    service = (case / "services.csv").read_text().splitlines()[1].split(",")[0]
    (case / "eligibility.csv").write_text(f"practice_id,service_id,eligible_patients\nP1,{service},1000000\n")
    result = run("check", str(case))
    assert result.returncode == 2, result.stdout
    assert (
        "eligibility row 1, column eligible_patients: must be <= the list_size of practice 'P1' "
        "(1,000,000 > 6,000): eligible patients are patients on the practice's list"
    ) in result.stdout + result.stderr


def test_the_templates_notes_give_bounds_in_full(tmp_path: Path) -> None:
    workbook = tmp_path / "template.xlsx"
    assert run("template", str(workbook)).returncode == 0
    notes = {
        (row[0], row[1]): str(row[6]) for row in openpyxl.load_workbook(workbook)["notes"].iter_rows(values_only=True)
    }
    assert notes["practices", "list_size"].startswith("[> 0, <= 1,000,000] ")
    assert notes["pcns", "arrs_entitlement_gbp"].startswith("[>= 0, <= 1,000,000,000,000] ")
    assert notes["services", "min_coverage"].startswith("[>= 0, <= 1] ")
    assert not any("e+" in rule for rule in notes.values())
