"""Audit 7, A15 in full: within one sentence, percentages a reader reads one against another are
shown at one precision ("checked at 80.0%" beside "63.1%", "from 80.0% to 62.4%", "+146.0%" beside
"89.2%"), wherever the product prints a sentence: the plain-text check of the installed console
script, the check's JSON (summary, conflict, levers, combined change), the desk page and PDF
report (the reader's view and its HTML), the comparison's rows of shares and the sweep's
summaries and table. Only the display changes: every percentage shown is the figure the result
holds, at the precision shown.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.compare import Side, compare
from optimiser.report.render import report_html
from optimiser.report.view import Num, check_view
from optimiser.runs import run_job
from tests.console import REPO, TINY, check_text, run, shared_run, strict_json

PERCENT = re.compile(r"(?<![\d.,])(\d[\d,]*)(?:\.(\d+))?%")
# A sentence ends at a full stop (or a full stop closing a bracket) before a capital or a bracket,
# or at a line's end; a decimal point has no space after it.
SENTENCE_END = re.compile(r"(?<=\.)\)?\s+(?=[A-Z(])|\n+")


def sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(text) if s.strip()]


def precisions(sentence: str) -> set[int]:
    return {len(m.group(2) or "") for m in PERCENT.finditer(sentence)}


def mixed(texts: list[str]) -> list[str]:
    """The sentences among ``texts`` whose percentages are not at one precision."""
    return [s for text in texts for s in sentences(text) if len(precisions(s)) > 1]


def compared(texts: list[str]) -> list[str]:
    """The sentences with more than one percentage (what the rule is about)."""
    return [s for text in texts for s in sentences(text) if len(PERCENT.findall(s)) > 1]


def strings(value: Any) -> Iterator[str]:
    """Every string in a result's JSON or a reader's view (the figures' own texts included)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Num):
        yield value.text
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from strings(getattr(value, item.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)


class _Blocks(HTMLParser):
    """The text of each paragraph, list item, caption and heading of a page, one string each."""

    BLOCKS = ("p", "li", "caption", "h1", "h2", "h3", "td", "th", "div")

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.BLOCKS:
            self._open.append([])

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS and self._open:
            self.blocks.append(" ".join("".join(self._open.pop()).split()))

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1].append(data)


def page_blocks(html: str) -> list[str]:
    parser = _Blocks()
    parser.feed(html)
    return parser.blocks


def check(scenario: Path, *options: str) -> tuple[dict[str, Any], str]:
    """The installed ``commission check``: its JSON result (run once per session for the bundled data,
    which other tests check too) and its plain-text report, which is ``check_text`` of that JSON
    (tests/test_check_text.py holds the printed report equal to it)."""
    runner = shared_run if scenario.is_relative_to(REPO / "data") else run
    done = runner("check", str(scenario), *options, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    result = strict_json(done.stdout)
    return result, check_text(result)


def surfaces(result: dict[str, Any], text: str, overrides: dict[str, Any] | None = None) -> list[str]:
    """Every text a reader sees of one check: the CLI's report, the JSON, the desk's view and its page."""
    view = check_view(result, overrides=overrides)
    return [text, *strings(result), *strings(view), *page_blocks(report_html(view, None))]


def tiny_whole_steps(tmp_path: Path) -> Path:
    """The audit's case: data/tiny with clinical pharmacists hired in whole steps."""
    document = read_document(TINY)
    document["roles"][1]["fte_step"] = "1"
    target = tmp_path / "tiny_whole_steps.json"
    target.write_text(json.dumps(document))
    return target


def test_the_undeliverable_offer_reads_each_sentence_at_one_precision() -> None:
    result, text = check(REPO / "data" / "undeliverable_offer")
    assert result["deliverable"] is False
    texts = surfaces(result, text)
    assert not mixed(texts), mixed(texts)
    standards = next(lever for lever in result["levers"] if lever["lever"] == "standards")
    # The standards as written beside the levels they fall to: "from 70.0% to 62.4%", not "from 70% to".
    written = {round(s["min_coverage"] * 100, 1) for s in standards["details"]["by_service"]}
    assert any(value == int(value) for value in written)  # some written standard is a whole percent
    assert re.search(r"from \d+\.0% to \d+\.\d%", standards["sentence"]), standards["sentence"]
    assert re.search(r"from \d+\.0% to \d+\.\d%", text)
    # The summary's rise beside the standards' share: one decimal, the figure the result holds.
    budget = next(lever for lever in result["levers"] if lever["lever"] == "budget")
    rise = f"(+{budget['details']['shortfall_share'] * 100:.1f}%)"
    assert rise in result["summary"] and rise in text, result["summary"]
    # The same rise in the money lever's sentence, alone there, as in the summary (audit 9, A8).
    assert len(PERCENT.findall(budget["sentence"])) == 1 and rise in budget["sentence"]
    assert len(compared(texts)) >= 5  # the rule had sentences to act on


def test_a_low_budget_for_example_icb_reads_each_sentence_at_one_precision() -> None:
    result, text = check(REPO / "data" / "example_icb", "--budget", "2m")
    assert result["deliverable"] is False
    texts = surfaces(result, text)
    assert not mixed(texts), mixed(texts)
    assert len(compared(texts)) >= 5


@pytest.mark.parametrize(
    ("options", "overrides"),
    [
        (("--budget", "40k"), None),  # the audit's case, below, in whole steps
        (("--budget", "1k", "--standards-fraction", "0.8"), {"standards_fraction": 0.8}),
        (("--budget", "20k", "--standards-fraction", "0.8"), {"standards_fraction": 0.8}),
        (("--budget", "20k"), None),
    ],
)
def test_tiny_reads_each_sentence_at_one_precision(
    tmp_path: Path, options: tuple[str, ...], overrides: dict[str, Any] | None
) -> None:
    scenario = tiny_whole_steps(tmp_path) if options == ("--budget", "40k") else TINY
    result, text = check(scenario, *options)
    texts = surfaces(result, text, overrides)
    assert not mixed(texts), mixed(texts)
    assert compared(texts)
    if overrides:
        # "checked at 80%" beside a share with a decimal reads "checked at 80.0%" (the pinned mixed wording).
        standards = next(lever for lever in result["levers"] if lever["lever"] == "standards")
        assert "(checked at 80.0%)" in standards["sentence"], standards["sentence"]
        assert "(checked at 80.0%)" in text


def test_the_comparison_shows_a_rows_shares_at_one_precision() -> None:
    """A check meeting the standards in full (100%) beside one reaching 93.0% of them: 100.0%."""
    document = read_document(TINY)
    a = Side("A", "check", run_job("check", document, {"budget_gbp": 20_000}).result)
    b = Side("B", "check", run_job("check", document, {"budget_gbp": 50_000}).result)
    rows = [
        row for row in compare(a, b).rows if any(isinstance(c, Num) and c.text.endswith("%") for c in (row.a, row.b))
    ]
    assert rows
    for row in rows:
        figures = [cell.text for cell in (row.a, row.b) if isinstance(cell, Num)]
        assert len(precisions(" ".join(figures))) == 1, (row.label, figures)
    reachable = next(row for row in rows if row.label == wording.COMPARE_STANDARDS_REACHABLE_AS_WRITTEN)
    assert [reachable.a.text, reachable.b.text] == ["93.0%", "100.0%"]  # type: ignore[union-attr]
    assert reachable.b.value == 1.0  # type: ignore[union-attr]  # the value is untouched


def test_a_standards_sweep_shows_its_levels_at_one_precision(tmp_path: Path) -> None:
    done = run("sweep", str(TINY), "--standards", "0.5:0.875:4", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    levels = re.findall(r"│\s+(\d[\d.]*%)\s+│", done.stdout)
    # 0.625 and 0.875 are 62.5% and 87.5%, not "62%" and "88%"; the column at one precision.
    assert levels == ["50.0%", "62.5%", "75.0%", "87.5%"], done.stdout
    summary = json.loads((tmp_path / "sweep_standards.json").read_text())["summary"]
    assert not mixed([summary, done.stdout])
    # A sweep's range and its points without an answer, read one against the other.
    assert wording.swept_range("standards", 0.5, 0.875, 4) == (
        "every minimum standard at 50.0% to 87.5% of its level (4 points)"
    )
    missing = wording.standards_sweep_summary(True, 37_000, 50_000, 1.0, unanswered=[0.8, 0.825], points=4)
    assert "(80.0%, 82.5%)" in missing and not mixed([missing]), missing


def test_sentences_keep_their_figures_and_a_whole_sentence_stays_whole() -> None:
    """Only the display: 80% becomes 80.0%, never 80.1%; a sentence of whole percentages is left as it is."""
    assert (
        wording.percents_alike("from 80% to 75%. Then 62.4% beside 70%.") == "from 80% to 75%. Then 62.4% beside 70.0%."
    )
    assert wording.percent_figures_alike(["100%", "93.0%", "not in this result"]) == [
        "100.0%",
        "93.0%",
        "not in this result",
    ]
    # A rise is at one decimal at any size, alone or beside other percentages (audit 9, A8).
    assert wording.rise_percent(1.4562) == "+145.6%" and wording.rise_percent(0.0004) == "under +0.1%"
    package = {
        "money_gbp": 6_860_204.0,
        "pooled": True,
        "money_share": 1.4596,
        "has_standards": True,
        "lowest_service": "dm",
        "standards_met_share": 0.95,
        "lowest_service_met_share": 0.9,
        "largest_cut_share": 0.123,
        "has_supply_limits": False,
        "has_caps": False,
    }
    sentence = wording.package_sentence(package)
    assert "(+146.0%)" in sentence and "standards at 95.0%" in sentence and "dm at 90.0%" in sentence, sentence
    assert "below 87.7%" in sentence and not mixed([sentence])


def test_cli_money_is_wordings() -> None:
    """One formatter of money: the CLI's tables read wording's (a missing figure is "-", noise is "£0")."""
    assert wording.money_or_missing(None) == "-" and wording.money_or_missing(float("nan")) == "-"
    assert wording.money_or_missing(-4e-12) == "£0" and wording.money_or_missing(35.5) == "£35.50"
    assert wording.money_or_missing(6_860_204.0) == wording.money(6_860_204.0) == "£6.86m"
    from optimiser import cli

    assert not hasattr(cli, "money")
    kpis = {"total_spend_gbp": 37_000.0, "arrs_claimed_gbp": 0.003, "budget_gbp": 50_000.0, "budget_used_share": 0.74}
    lines = cli.money_lines(kpis, None)
    assert "-£0" not in "".join(lines) and "ARRS reimbursement:" in lines[1] and lines[1].split()[2] == "£0", lines
    claimed = cli.money_lines({**kpis, "arrs_claimed_gbp": 12_000.0}, None)
    assert claimed[1].split()[2] == "-£12,000", claimed
