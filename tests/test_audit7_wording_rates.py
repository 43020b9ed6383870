"""Audit 7, A1: a rate per weighted patient keeps its pence at any size, and a least rate as shown
suffices when it is fed back as the offer (rounded up, never down), wherever it is shown: the check's
sentences (text and JSON), the desk page and the PDF (optimiser/report/view.py), the comparison."""

from __future__ import annotations

import re

import pytest

from optimiser.deliverability import wording
from optimiser.deliverability.wording import COMPARE_HEADLINE as HEADLINE
from optimiser.io import read_document
from optimiser.report.compare import Side, compare
from optimiser.report.render import report_html
from optimiser.report.view import Num, check_view, describe_overrides
from optimiser.runs import run_job
from tests.console import REPO, shared_run, strict_json

ICB = REPO / "data" / "example_icb"
LEAST_RATE = re.compile(r"the least rate at which every practice still can is £([\d,]+\.\d\d)\.")


@pytest.mark.parametrize(
    ("value", "shown"),
    [(112.5, "£112.50"), (125, "£125.00"), (35.5, "£35.50"), (1234.567, "£1,234.57"), (-1e-12, "£0.00")],
)
def test_a_rate_keeps_its_pence_at_any_size(value: float, shown: str) -> None:
    assert wording.rate_money(value) == shown
    assert wording.rate_offer(value) == f"{shown} per weighted patient a year"


@pytest.mark.parametrize("least", [14.1093, 14.11, 14.1100000001, 112.4999, 0.004, 250.001])
def test_a_least_rate_is_rounded_up_to_the_penny_and_suffices(least: float) -> None:
    shown = float(wording.least_rate(least).lstrip("£").replace(",", ""))
    assert shown >= least - 1e-9  # never below what is needed (noise of 1e-10 is not a penny)
    assert shown - least < 0.01  # and never a penny more than needed


def test_the_audit_figures_subtract_and_the_least_suffices() -> None:
    # The audit's reproduction: gap_figures gave ('£14', '£112', '£98'), a least rate £0.11 short.
    assert wording.rate_gap_figures(14.1093, 112.5) == ("£14.11", "£112.50", "£98.39")
    assert wording.rate_gap_figures(14.1093, 125) == ("£14.11", "£125.00", "£110.89")
    assert wording.rate_gap_figures(14.1093, 14) == ("£14.11", "£14.00", "£0.11")
    # Read back as numbers: the least shown suffices and the three subtract.
    least, offer, gap = wording.rate_gap_figures(14.1093, 112.5)
    assert float(least.lstrip("£")) >= 14.1093 and float(offer.lstrip("£")) - float(least.lstrip("£")) == float(
        gap.lstrip("£")
    )


def test_every_rate_sentence_keeps_its_pence() -> None:
    covers = wording.offer_rate_covers_sentence(112.5, 14.1093)
    assert "at £112.50 per weighted patient" in covers and "still can is £14.11." in covers
    assert wording.report_chart_amount(112.5, pooled=False) == "£112.50/wp"
    assert wording.report_chart_amount(14.1093, pooled=False, least=True) == "£14.11/wp"
    assert wording.deliverable_from(14.1093, pooled=False) == "deliverable from £14.11 per weighted patient"
    summary = wording.budget_sweep_summary(False, 112.5, 14.1093)
    assert "from an offer of £14.11 per weighted patient; at the current £112.50 it is deliverable" in summary
    assert wording.lever_amount("budget", 0.1093, per_practice=True) == "£0.11 more per weighted patient a year"
    # Annual amounts keep their rules.
    assert wording.lever_amount("budget", 17_000.2) == "£17,001 more a year"
    assert wording.money(112.5) == "£112"


def _lever(result: dict, name: str) -> dict:
    return next(lever for lever in result["levers"] if lever["lever"] == name)


@pytest.mark.parametrize("offer", ["112.50", "125"])
def test_the_least_rate_shown_fed_back_into_check_is_deliverable(offer: str) -> None:
    """The installed ``commission check``: the least rate its sentence shows at a Global-Sum-sized
    offer, fed back as the offer, is deliverable, and a penny less is not (so it is the least)."""
    done = shared_run("check", str(ICB), "--offer-rate", offer, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = strict_json(done.stdout)
    sentence = _lever(result, "budget")["sentence"]
    assert f"at £{float(offer):,.2f} per weighted patient" in sentence, sentence
    found = LEAST_RATE.search(sentence)
    assert found is not None, sentence
    least = found.group(1).replace(",", "")
    assert float(least) >= _lever(result, "budget")["details"]["needed_rate_gbp_per_weighted_patient"]
    again = shared_run("check", str(ICB), "--offer-rate", least, "--format", "json")
    assert again.returncode == 0 and strict_json(again.stdout)["deliverable"] is True, again.stdout[-2000:]
    penny_less = f"{float(least) - 0.01:.2f}"
    short = shared_run("check", str(ICB), "--offer-rate", penny_less, "--format", "json")
    assert short.returncode == 1 and strict_json(short.stdout)["deliverable"] is False


@pytest.fixture(scope="module")
def icb_checks() -> dict[float, dict]:
    document = read_document(ICB)
    return {
        offer: run_job("check", document, {"offer_rate_gbp_per_weighted_patient": offer}).result
        for offer in (112.5, 14.0)
    }


def _texts(view: object) -> list[str]:
    """Every figure and sentence of a view as shown."""
    shown: list[str] = []
    for value in vars(view).values():
        for item in value if isinstance(value, list) else [value]:
            for part in item if isinstance(item, list | tuple) else [item]:
                if isinstance(part, Num):
                    shown.append(part.text)
                elif isinstance(part, str):
                    shown.append(part)
                elif hasattr(part, "sentence"):
                    shown += [part.sentence, part.amount.text if part.amount else ""]
    return shown


def test_the_desk_page_and_the_report_show_rates_to_the_penny(icb_checks: dict[float, dict]) -> None:
    overrides = {"offer_rate_gbp_per_weighted_patient": 112.5}
    view = check_view(icb_checks[112.5], overrides=overrides)
    texts = " | ".join(_texts(view))
    assert "£112.50 per weighted patient a year" in texts and "£14.11" in texts
    assert not re.search(r"£112(?![.,\d])", texts), texts
    assert describe_overrides(overrides) == "£112.50 per weighted patient a year"
    html = report_html(view, None)
    assert "£112.50" in html and not re.search(r"£112(?![.,\d])", html)

    short = check_view(icb_checks[14.0])
    rate, needed, extra = (dict(short.offer)[wording.OFFER_ROWS[key]] for key in ("rate", "needed_rate", "extra_rate"))
    assert (rate.text, needed.text, extra.text) == ("£14.00", "£14.11", "£0.11")
    assert "every practice can from £14.11 per weighted patient" in short.verdict
    # Each practice's need per weighted patient: a rate, rounded up to the penny.
    for row in short.practices:
        need = row[-1]
        assert isinstance(need, Num) and re.fullmatch(r"£[\d,]+\.\d\d", need.text), need
        assert float(need.text.lstrip("£").replace(",", "")) >= float(need.value or 0) - 1e-9


def test_the_comparison_shows_rates_to_the_penny(icb_checks: dict[float, dict]) -> None:
    comparison = compare(Side("A", "check", icb_checks[112.5]), Side("B", "check", icb_checks[14.0]))
    rows = {row.label: row for row in comparison.rows}
    rate, needed = rows[HEADLINE["rate"]], rows[HEADLINE["needed_rate"]]
    assert isinstance(rate.a, Num) and isinstance(rate.b, Num) and isinstance(needed.a, Num)
    assert (rate.a.text, rate.b.text, needed.a.text) == ("£112.50", "£14.00", "£14.11")
    assert isinstance(rate.difference, Num) and rate.difference.text == "−£98.50"
