"""A result without tables (a solve that found no plan) writes a workbook that states its verdict,
not a blank sheet (audit 7, A10), from the CLI's --out and from the API's workbook download alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from tests import console


def verdict(workbook: openpyxl.Workbook) -> dict[str, Any]:
    """The workbook's one ``summary`` sheet as field: value."""
    assert workbook.sheetnames == ["summary"]
    rows = list(workbook["summary"].values)
    assert rows[0] == ("field", "value")
    return dict(rows[1:])


def test_an_infeasible_solve_written_with_out_states_its_verdict_in_the_workbook(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done = console.run("solve", str(console.REPO / "data" / "tiny"), "--budget", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr  # 0: solved (proved infeasible)
    assert sorted(p.name for p in out.iterdir()) == ["results.xlsx", "summary.json"]
    stated = verdict(openpyxl.load_workbook(out / "results.xlsx"))
    assert stated["status"] == "infeasible"
    assert stated["deliverable"] is False
    assert stated["message"] == console.strict_json((out / "summary.json").read_text())["message"]

    # A feasible solve's workbook is its tables, as before.
    done = console.run("solve", str(console.REPO / "data" / "tiny"), "--out", str(out), "--force")
    assert done.returncode == 0, done.stderr
    assert "summary" not in openpyxl.load_workbook(out / "results.xlsx").sheetnames
