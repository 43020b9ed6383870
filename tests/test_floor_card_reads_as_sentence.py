"""The desk's (and the PDF's) practice-floor card gives the floor's cost as the sentence beside it
does: "£1,065,913.71 a year" on the card beside "The practice floor costs £1,065,913.71 a year
(least spend £12,626,117 against £11,560,203.29 without it)", never "£1.07m a year" beside it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from optimiser.io import read_document
from optimiser.report.view import check_view
from optimiser.runs import run_job

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    return run_job("check", read_document(REPO / "data" / "fair_shares"), {}).result


def test_the_floor_card_shows_the_sentences_cost(result: dict[str, Any]) -> None:
    assert result["deliverable"] is True
    view = check_view(result)
    [card] = [lever for lever in view.levers if lever.lever == "practice_floor"]
    assert card.amount is not None
    costs = re.search(r"The practice floor costs (£[\d,.]+(?:m|bn)?) a year", card.sentence)
    assert costs is not None, card.sentence
    assert card.amount.text == f"{costs.group(1)} a year"
    # The card's figure is the cost shown in full where the sentence shows it in full.
    assert not card.amount.text.endswith("m a year")
    [floor] = [lever for lever in result["levers"] if lever["lever"] == "practice_floor"]
    assert card.amount.value == floor["amount"]
