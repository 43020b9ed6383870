"""Audit 7, A14 and A15: a report names the programme's kind (a whole-step scenario is not a
"linear programme"); the services' levels alone in the standards lever are read one against the
other at one precision; the comparison's new FTE by role keep one precision in the column."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.compare import Side, compare
from optimiser.report.render import report_html
from optimiser.report.view import Num, check_view
from optimiser.runs import run_job
from tests.console import TINY

PERCENT = re.compile(r"\d[\d,]*(?:\.(\d+))?%")


def _decimals(text: str) -> set[int]:
    return {len(m.group(1) or "") for m in PERCENT.finditer(text)}


def test_one_sentence_one_precision_of_percentages() -> None:
    assert wording.percents_alike("to 75.5% coverage (100% of its level); to 50% coverage (62.5%)") == (
        "to 75.5% coverage (100.0% of its level); to 50.0% coverage (62.5%)"
    )
    assert wording.percents_alike("from 80% to 75%") == "from 80% to 75%"  # all whole: left as they are
    records = [
        {
            "service_id": "same_day_access",
            "min_coverage": 0.8,
            "coverage_at_uniform": 0.75,
            "fraction_alone": 0.94375,
            "coverage_alone": 0.755,
        },
        {
            "service_id": "medication_reviews",
            "min_coverage": 0.8,
            "coverage_at_uniform": 0.75,
            "fraction_alone": 0.625,
            "coverage_alone": 0.5,
        },
    ]
    sentence = wording.standards_sentence(0.9375, records)
    alone = sentence.partition("Lowering one service at a time: ")[2]
    assert alone and _decimals(alone) == {1}, sentence
    assert "same_day_access alone to 75.5% coverage" in alone and "medication_reviews alone to 50.0% coverage" in alone


def test_a_check_sentence_of_the_audit_has_one_precision() -> None:
    """The audit's case: tiny with whole-step hiring of clinical pharmacists and a £40,000 budget."""
    document = read_document(TINY)
    document["roles"][1]["fte_step"] = "1"
    result = run_job("check", document, {"budget_gbp": 40_000}).result
    standards = next(lever for lever in result["levers"] if lever["lever"] == "standards")
    alone = standards["sentence"].partition("Lowering one service at a time: ")[2]
    assert "75.5% coverage" in alone and "50.0% coverage" in alone, standards["sentence"]
    assert len(_decimals(alone)) == 1, alone


@pytest.mark.parametrize("is_mip", [False, True])
def test_the_report_names_the_programme_kind(is_mip: bool) -> None:
    document = read_document(TINY)
    if is_mip:
        document["roles"][1]["fte_step"] = "0.5"
    result = run_job("check", document).result
    assert result["is_mip"] is is_mip
    html = report_html(check_view(result), None)
    assert ("mixed-integer programme (whole-step hiring)" in html) is is_mip
    assert ("linear programme" in html) is not is_mip


def _fte_texts(comparison: Any) -> list[str]:
    return [
        cell.text
        for row in comparison.rows
        if row.group.startswith(wording.COMPARE_FTE_GROUP)
        for cell in (row.a, row.b)
        if isinstance(cell, Num)
    ]


def test_the_comparison_shows_new_fte_at_one_precision() -> None:
    document = read_document(TINY)
    richer = copy.deepcopy(document)
    for row in richer["services"]:
        row["min_coverage"] = "0.5"
    a, b = run_job("solve", document), run_job("solve", richer)
    comparison = compare(Side("A", "solve", a.result, a.tables["practices"]), Side("B", "solve", b.result))
    texts = _fte_texts(comparison)
    assert texts and all(re.fullmatch(r"-?[\d,]+\.\d\d\d", text) for text in texts), texts  # as solve: hire_fte
    for row in comparison.rows:
        if row.group.startswith(wording.COMPARE_FTE_GROUP) and isinstance(row.difference, Num):
            a_value, b_value = (float(cell.text.replace(",", "")) for cell in (row.a, row.b) if isinstance(cell, Num))
            if row.difference.text != wording.COMPARE_SAME:
                shown = float(row.difference.text.replace("−", "-").replace("+", "").replace(",", ""))
                assert shown == pytest.approx(b_value - a_value, abs=0.0011), row
    assert wording.hire_fte(211.9349) == "211.935" and wording.hire_fte(49.19) == "49.190"
    assert wording.hire_fte(-0.0) == "0.000"
