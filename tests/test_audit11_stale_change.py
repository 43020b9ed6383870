"""Audit 11 #5: the import report states the threshold the importer applies (``STALE_CHANGE``),
not a literal "20%" that a change of the constant would leave wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimiser.nhs import build, report
from optimiser.nhs.report import markdown, summary_lines
from tests.test_nhs_dates_and_counts import _hand_made_report


@pytest.mark.parametrize(("threshold", "written"), [(0.2, "20%"), (0.35, "35%"), (0.125, "12.5%")])
def test_the_report_states_the_threshold_the_importer_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threshold: float, written: str
) -> None:
    # the rule applied (the name build reads) is the one stated
    assert vars(build)["STALE_CHANGE"] is report.STALE_CHANGE
    monkeypatch.setattr(report, "STALE_CHANGE", threshold)
    change = {"practice_id": "A81001", "name": "ALPHA", "registered_now": 1, "registered_in_payments_year": 2.0}
    made = {**_hand_made_report(tmp_path), "weighted_lists_to_check": [{**change, "change": -0.5}]}
    assert (
        f"1 practice whose list changed by more than {written} since the payments year: check its weighted list "
        "(see the report)" in summary_lines(made)
    )
    page = markdown(made)
    assert f"Registered list changed by more than {written} since the payments year" in page
