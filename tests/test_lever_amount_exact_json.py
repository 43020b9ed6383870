"""``commission check --format json`` gives a lever's amount as solved (docs/deliverability.md,
"Exact in the JSON, rounded in words"), its sentence the rounded figure: the docs say so, and the
output of the installed console script agrees."""

from __future__ import annotations

import json
import math
import re

from tests.console import REPO, shared_run


def test_the_docs_say_the_json_amount_is_exact_and_the_sentence_rounded() -> None:
    text = " ".join((REPO / "docs" / "deliverability.md").read_text(encoding="utf-8").split())
    assert "**Exact in the JSON, rounded in words.**" in text
    assert "A lever's `amount` and the figures in its `details` are the exact solved values" in text


def test_the_json_amount_is_the_exact_shortfall_and_the_sentence_rounds_it_up() -> None:
    done = shared_run("check", str(REPO / "data" / "undeliverable_offer"), "--format", "json")
    assert done.returncode == 1, done.stderr
    budget = next(lever for lever in json.loads(done.stdout)["levers"] if lever["lever"] == "budget")
    details = budget["details"]
    # As solved: the least spend less the budget, not rounded to the pound or the penny.
    assert budget["amount"] == details["shortfall_gbp"] == details["least_spend_gbp"] - details["budget_gbp"]
    assert budget["amount"] != round(budget["amount"], 2)
    # The docs quote it to more digits than any rounding would keep, and it agrees to 1e-12
    # (its last digits differ between processors); the sentence rounds it up at its precision.
    docs = " ".join((REPO / "docs" / "deliverability.md").read_text(encoding="utf-8").split())
    quoted = re.search(r"`amount` is (\d+\.(\d+))", docs)
    assert quoted is not None, "the docs no longer quote the budget lever's amount"
    assert len(quoted.group(2)) >= 6
    assert math.isclose(float(quoted.group(1)), budget["amount"], rel_tol=1e-12)
    assert "£6.87m more a year" in budget["sentence"]
