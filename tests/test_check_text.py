"""`commission check` prints ``wording.check_text_lines`` of the JSON it would give with --format json.

Tests that read the plain-text report of a check may take it from the JSON run through
``check_text_lines`` (one run instead of two): this holds the two equal, as the installed console
script prints them, on checks with data warnings, a budget that reads as a rate, a deliverable and an
undeliverable offer.
"""

from __future__ import annotations

import re

import pytest

from optimiser.deliverability import wording
from tests.console import REPO, TINY, check_text, shared_run, strict_json

UNDELIVERABLE = str(REPO / "data" / "undeliverable_offer")
SOMERSET = str(REPO / "data" / "somerset")


@pytest.mark.parametrize(
    "args",
    [
        (UNDELIVERABLE,),
        (UNDELIVERABLE, "--budget", "11560200"),
        (SOMERSET,),
        (SOMERSET, "--offer-rate", "5"),
        (str(TINY), "--budget", "35.50"),
    ],
    ids=["undeliverable", "pennies-short", "somerset", "somerset-rate", "budget-reads-as-a-rate"],
)
def test_the_text_report_is_check_text_lines_of_the_json(args: tuple[str, ...]) -> None:
    text = shared_run("check", *args)
    answer = shared_run("check", *args, "--format", "json")
    assert text.returncode == answer.returncode, (text.stderr, answer.stderr)
    assert text.returncode in (0, 1), text.stderr
    result = strict_json(answer.stdout)
    # Only the solve's seconds may differ between the two runs.
    assert seconds_masked(text.stdout) == seconds_masked(check_text(result))


def seconds_masked(text: str) -> str:
    return re.sub(r" in [\d.]+s\)", " in Ns)", text)


def test_the_cases_above_show_data_warnings_and_a_budget_read_as_a_rate_once() -> None:
    """The two branches of ``check_text_lines`` are exercised above: warnings after the first two lines,
    and the rate hint, a data warning too, said once."""
    assert wording.DATA_WARNINGS_HEADING in shared_run("check", SOMERSET).stdout
    rate = strict_json(shared_run("check", str(TINY), "--budget", "35.50", "--format", "json").stdout)
    hint = wording.rate_as_budget_note(rate, option=None)
    assert hint is not None and any(warning["message"] == hint for warning in rate["data_warnings"])
    text = shared_run("check", str(TINY), "--budget", "35.50").stdout
    # Said once, by the report with the option to use; not again as a data warning.
    assert hint not in text and text.count(str(wording.rate_as_budget_note(rate))) == 1
