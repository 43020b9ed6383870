"""The comparison reads both sides' scenarios by every name they give, PCNs, data notes and ids
holding a percentage too, as ``wording.Names.of`` does: ``percents_alike`` never pads a PCN named
"Top 5% PCN" to "Top 5.0% PCN" beside a figure at one decimal."""

from __future__ import annotations

import copy
from typing import Any

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.compare import Side, compare
from optimiser.runs import run_job
from tests.console import REPO


def renamed() -> dict[str, Any]:
    document = copy.deepcopy(read_document(REPO / "data" / "tiny"))
    document["pcns"][0]["name"] = "Top 5% PCN"
    document["practices"][0]["data_note"] = "list size 5% above last year's"
    return document


def test_the_comparison_keeps_each_sides_pcn_names_notes_and_ids() -> None:
    document = renamed()
    names = wording.Names.of_document(document)
    assert "Top 5% PCN" in names.pcns.values()
    solved = run_job("solve", document, {}).result
    a = Side("A", "solve", solved, names=names)
    b = Side("B", "solve", solved, names=wording.Names.of_document(read_document(REPO / "data" / "tiny")))
    comparison = compare(a, b)
    pcn = document["pcns"][0]["pcn_id"]
    assert comparison.names.pcns[pcn] == "Top 5% PCN"
    assert comparison.names.notes[document["practices"][0]["practice_id"]] == "list size 5% above last year's"
    assert comparison.names.practices == {**b.names.practices, **names.practices}
    for sentence in (
        "Top 5% PCN reaches 62.4% of its patients.",
        "Coverage 62.4% (list size 5% above last year's).",
    ):
        assert wording.percents_alike(sentence, comparison.names) == sentence
