"""Audit 9, A8: a shortfall percentage reads the same in every sentence and table of one output
("+146.0%" in the summary had been "+146%" in the money lever's sentence)."""

from __future__ import annotations

from optimiser.deliverability import wording
from optimiser.report.view import check_view
from tests.console import REPO, check_json, lever

UNDELIVERABLE = str(REPO / "data" / "undeliverable_offer")


def test_shortfall_percent_reads_the_same_everywhere() -> None:
    """Audit 9, A8: "(+146.0%)" in the headline, "(+146%)" in the lever's sentence."""
    assert wording.rise_percent(1.4596) == "+146.0%" and wording.rise_percent(0.171, signed=False) == "17.1%"
    assert wording.rise_percent(1 / 3) == "+33.3%" and wording.rise_percent(0.0004) == "under +0.1%"
    result = check_json(UNDELIVERABLE)
    share = lever(result, "budget")["details"]["shortfall_share"]
    shown = wording.rise_percent(share)
    assert shown == "+146.0%"
    assert f"({shown})" in result["summary"] and f"({shown})" in lever(result, "budget")["sentence"]
    view = check_view(result)
    assert shown.lstrip("+") in [num.text for _label, num in view.offer]
