"""New FTE reads the same in the comparison as in ``commission solve``: three decimals
(``wording.hire_fte``). The comparison showed two ("0.18" beside solve's "0.180")."""

from __future__ import annotations

import copy
import re
from pathlib import Path

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.compare import Side, compare
from optimiser.report.view import Num
from optimiser.runs import run_job
from tests.console import run

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny"


def test_the_comparison_shows_each_roles_new_fte_as_solve_does() -> None:
    document = read_document(TINY)
    richer = copy.deepcopy(document)
    for row in richer["services"]:
        row["min_coverage"] = "0.5"
    a, b = run_job("solve", document), run_job("solve", richer)
    comparison = compare(Side("A", "solve", a.result, a.tables["practices"]), Side("B", "solve", b.result))
    cells = [
        cell
        for row in comparison.rows
        if row.group.startswith(wording.COMPARE_FTE_GROUP)
        for cell in (row.a, row.b)
        if isinstance(cell, Num)
    ]
    assert cells
    for cell in cells:
        assert re.fullmatch(r"-?[\d,]+\.\d{3}", cell.text), cell.text
        assert cell.value is not None and cell.text == wording.hire_fte(float(cell.value)), cell
    solved = run("solve", str(TINY))  # what the user reads from solve, the installed console script
    assert solved.returncode == 0, solved.stderr
    a_texts = {
        cell.text
        for row in comparison.rows
        if row.group.startswith(wording.COMPARE_FTE_GROUP)
        for cell in (row.a,)
        if isinstance(cell, Num)
    }
    assert a_texts and all(text in solved.stdout for text in a_texts), (a_texts, solved.stdout)
