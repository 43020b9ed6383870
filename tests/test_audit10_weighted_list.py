"""Audit 10, finding 9: a weighted list far from the registered list is a data warning.

Somerset's L85026 has 1 registered patient and a published weighted list of 6,096.13, so an offer
per weighted patient pays it for 6,096 patients; it had passed validate and check without a word
because its data_note silenced the rule. Weighted lists are typically 0.7 to 1.6 times the
registered list: below half or above twice it is warned (models/plausibility.py), never refused.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from models.plausibility import WEIGHTED_LIST_ABOVE_SHARE, WEIGHTED_LIST_BELOW_SHARE
from models.validate import validate_document
from optimiser.io import read_document
from optimiser.runs import scenario_warnings
from tests.console import REPO, TINY, run, shared_run, strict_json

SOMERSET = REPO / "data" / "somerset"
# The two Somerset practices whose weighted list is outside half to twice the registered list, by
# the row practices.csv gives them: SYMPHONY SOUTH (0.471 times) and HAMDON (6,096 times).
SOMERSET_WARNED = [("practices", 4, "weighted_list_size"), ("practices", 23, "weighted_list_size")]


def located(warnings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(w["table"], w["row"], w["column"]) for w in warnings]


def test_validate_warns_of_hamdons_weighted_list_and_still_accepts_it() -> None:
    done = run("validate", str(SOMERSET), "--format", "json")
    assert done.returncode == 0, done.stderr
    warnings = strict_json(done.stdout)["warnings"]
    assert located(warnings) == SOMERSET_WARNED
    hamdon = warnings[1]["message"]
    assert hamdon.startswith("6096.13 weighted patients is 6,096 times the list_size of 1 registered patient ")
    assert "about 0.7 to 1.6 times" in hamdon
    assert warnings[0]["message"].startswith(
        "13403.69 weighted patients is 0.471 times the list_size of 28468 registered patients "
    )
    text = run("validate", str(SOMERSET))
    assert text.returncode == 0 and text.stdout.startswith("Valid: ")
    assert "practices row 23, column weighted_list_size: 6096.13 weighted patients" in text.stdout


def test_check_carries_the_warning_in_its_data_warnings_and_its_verdict_is_unchanged() -> None:
    done = shared_run("check", str(SOMERSET), "--format", "json")
    assert done.returncode == 0, done.stderr  # deliverable, as before: a warning never refuses
    result = strict_json(done.stdout)
    assert located(result["data_warnings"]) == SOMERSET_WARNED
    assert result["deliverable"] is True


@pytest.mark.parametrize("scenario", ["tiny", "example_icb", "undeliverable_offer", "fair_shares"])
def test_no_other_bundled_scenario_warns(scenario: str) -> None:
    document = read_document(REPO / "data" / scenario)
    assert scenario_warnings(validate_document(document), document) == []


@pytest.mark.parametrize(
    ("share", "warned"),
    [
        (WEIGHTED_LIST_BELOW_SHARE - 0.001, True),
        (WEIGHTED_LIST_BELOW_SHARE, False),
        (0.7, False),
        (1.6, False),
        (WEIGHTED_LIST_ABOVE_SHARE, False),
        (WEIGHTED_LIST_ABOVE_SHARE + 0.001, True),
    ],
)
def test_the_rule_warns_beyond_half_or_twice_the_list_with_or_without_a_note(share: float, warned: bool) -> None:
    base = read_document(TINY)
    for note in (None, "registered list -99% since 2022-23"):
        document = copy.deepcopy(base)
        practice = document["practices"][0]
        practice["weighted_list_size"] = float(practice["list_size"]) * share
        if note:
            practice["data_note"] = note
        found = located(scenario_warnings(validate_document(document), document))
        assert found == ([("practices", 1, "weighted_list_size")] if warned else []), (share, note)
