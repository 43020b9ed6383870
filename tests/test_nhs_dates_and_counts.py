"""Publication dates written one way (N5) and the import report's counts in correct singular and plural."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimiser.nhs import readers
from optimiser.nhs.build import Inputs, import_nhs
from optimiser.nhs.report import markdown, summary_lines
from optimiser.nhs.sources import Source, period
from optimiser.nhs.spec import load_spec
from tests import nhs_files


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("01Jul2026", "July 2026"),  # the registrations mapping's EXTRACT_DATE
        ("2026-07-01", "July 2026"),  # the 5-year age bands' EXTRACT_DATE
        ("01/07/2026", "July 2026"),  # day first, as UK files write it
        ("1-Jul-2026", "July 2026"),
        ("2026-06", "June 2026"),
        ("may2026", "May 2026"),  # a file name
        ("jun_2026", "June 2026"),
        ("October 2025", "October 2025"),
        ("2022-23", "2022-23"),  # a financial year
        ("2022/23", "2022-23"),
        ("2022-2023", "2022-23"),
        ("2025", "2025"),
    ],
)
def test_a_publication_date_is_written_as_nhs_england_titles_the_publication(given: str, written: str) -> None:
    assert period(given) == written


@pytest.mark.parametrize("given", ["2026-13", "2026-02-30x", "Q1 2026", "32/01/2026", "next week", ""])
def test_a_date_the_importer_cannot_read_is_not_guessed(given: str) -> None:
    assert period(given) is None


def test_dates_are_given_earliest_first_and_an_unread_one_as_the_file_gives_it() -> None:
    frame = pd.DataFrame({"extract_date": ["2026-07-01", "01Jun2026", "01Jul2026", "", "soon"]})
    date, where = readers._date(frame, "file.csv", ("EXTRACT_DATE",))
    assert date == "June 2026, July 2026, soon"
    assert where == "EXTRACT_DATE column (as the file gives it: soon is not a date the importer reads)"


def _hand_made_report(tmp_path: Path) -> dict[str, Any]:
    files = nhs_files.write_all(tmp_path)
    spec, label = load_spec(None)
    inputs = Inputs(**{k: Source.of(v) for k, v in files.items()})
    return import_nhs(inputs, icb="QAA", sub_icb=None, spec=spec, spec_label=label).report


def test_the_console_lines_count_practices_and_pcns_in_singular_and_plural(tmp_path: Path) -> None:
    report = _hand_made_report(tmp_path)
    lines = summary_lines(report)
    text = "\n".join(lines)
    assert "(s)" not in text
    # 3 practices: two in ALPHA PCN (the one PCN) and one unallocated, given a PCN of its own.
    assert lines[0].endswith(": 3 practices, 1 PCN + 1 unallocated practice given a PCN of its own")
    assert "estimated for 1 practice)" in text
    # A81002 (no weighted list in payments), A81009 (closed) and U00009 (a PCN the mapping lacks).
    pcns = {u["code"] for u in report["unmatched"] if u["file"] == "PCN workforce"}
    practices = {u["code"] for u in report["unmatched"]} - pcns
    assert (len(practices), len(pcns)) == (2, 1)
    assert "2 practices and 1 PCN not matched across files (see the report)" in lines

    page = markdown(report)
    assert "(s)" not in page
    assert "| of which estimated from age and sex (1 practice) |" in page
    assert "1 practice has an estimated weighted list: A81002 BETA SURGERY." in page


def test_one_weighted_list_to_check_is_named_in_the_singular(tmp_path: Path) -> None:
    report = _hand_made_report(tmp_path)
    change = {"practice_id": "A81001", "name": "ALPHA", "registered_now": 1, "registered_in_payments_year": 2.0}
    lines = summary_lines({**report, "weighted_lists_to_check": [{**change, "change": -0.5}]})
    assert (
        "1 practice whose list changed by more than 20% since the payments year: check its weighted list "
        "(see the report)" in lines
    )
    lines = summary_lines({**report, "weighted_lists_to_check": [{**change, "change": -0.5}] * 2})
    assert any(line.startswith("2 practices whose list") and "their weighted lists" in line for line in lines)
