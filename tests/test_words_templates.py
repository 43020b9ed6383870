"""Every sentence a user reads lives in the wording module: the templates too.

The desk's check page (api/web/templates/result.html) and the PDF report
(optimiser/report/templates/report.html) wrote the same headings twice; both now read them from
``wording.TEMPLATE_WORDS``, as the desk's other pages read their headings. A heading (or a page's
title) written into a template as text fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from optimiser.deliverability import wording
from optimiser.io import read_document
from optimiser.report.render import report_html
from optimiser.report.view import check_view
from optimiser.runs import run_job

REPO = Path(__file__).resolve().parents[1]
PDF_TEMPLATE = REPO / "optimiser" / "report" / "templates" / "report.html"
TEMPLATES = [*sorted((REPO / "api" / "web" / "templates").glob("*.html")), PDF_TEMPLATE]
SHARED = (
    "check_heading",
    "offer_heading",
    "levers_heading",
    "lever_cannot",
    "conflict_heading",
    "frontier_heading",
    "practices_heading",
    "distribution_heading",
    "assumptions_heading",
)
# A heading, a page's title, or a title block a page fills in.
HEADING = re.compile(r"<(h1|h2|h3|title)\b[^>]*>(.*?)</\1>|{% block title %}(.*?){% endblock %}", re.S)
JINJA_OR_TAG = re.compile(r"{{.*?}}|{%.*?%}|<[^>]+>", re.S)
# The templates with no words of their own at all: every word they show is from the wording module.
WORDLESS = ("result.html", "progress.html", "error.html", "base.html", "home.html", "check.html", "compare.html")
STYLE_OR_COMMENT = re.compile(r"<style>.*?</style>|{#.*?#}", re.S)


def written_headings(source: str) -> list[str]:
    """The headings and titles in a template's source that carry words of their own."""
    found = []
    for match in HEADING.finditer(source):
        inside = match.group(2) if match.group(2) is not None else match.group(3)
        if re.search(r"[A-Za-z]", JINJA_OR_TAG.sub("", inside)):
            found.append(inside)
    return found


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_no_template_writes_a_heading_of_its_own(template: Path) -> None:
    assert written_headings(template.read_text(encoding="utf-8")) == []


def test_the_check_finds_a_heading_written_in_a_template() -> None:
    """The check can fail: the forms it must catch, and the forms it must let pass."""
    caught = '<h2 id="x">Budget against coverage</h2><title>{% block title %}Sign in{% endblock %}</title>'
    assert written_headings(caught) == ["Budget against coverage", "{% block title %}Sign in{% endblock %}"]
    passed = "<h2>{{ words.offer_heading }}</h2><h3>{{ lever.title }} <span>({{ lever.unit }})</span></h3>"
    assert written_headings(passed) == []


def written_words(source: str) -> list[str]:
    """The words a template's source shows of its own: text outside tags, Jinja and its style sheet
    (an attribute's value is not shown, so not counted)."""
    shown = JINJA_OR_TAG.sub(" ", STYLE_OR_COMMENT.sub("", source))
    return [line.strip() for line in shown.splitlines() if re.search(r"[A-Za-z]{2,}", line)]


@pytest.mark.parametrize(
    "template",
    [*(REPO / "api" / "web" / "templates" / name for name in WORDLESS), PDF_TEMPLATE],
    ids=lambda path: path.name,
)
def test_the_check_page_the_report_and_the_desks_frame_write_no_words_of_their_own(template: Path) -> None:
    # A path the page names is not a sentence: the API's address of a job's tables.
    assert [w for w in written_words(template.read_text(encoding="utf-8")) if w != "( /jobs/  )."] == []


def test_the_check_finds_words_written_in_a_template() -> None:
    caught = "<p>{{ words.status }} <span>{{ job.status }}</span> (waiting for a free worker)</p>"
    assert written_words(caught) == ["(waiting for a free worker)"]
    assert written_words('<style>h1 { font-size: 15pt; }</style><p class="hint">{{ words.levers_hint }}</p>') == []


@pytest.mark.parametrize("key", SHARED)
def test_the_page_and_the_report_take_each_shared_heading_from_the_wording_module(key: str) -> None:
    """Neither template writes a shared heading; both name its one home."""
    text = wording.TEMPLATE_WORDS[key]
    for template in (REPO / "api" / "web" / "templates" / "result.html", PDF_TEMPLATE):
        source = template.read_text(encoding="utf-8")
        assert text not in source, template.name
        assert f"words.{key}" in source, template.name


def test_the_report_shows_the_shared_headings_in_their_words() -> None:
    """An offer short of its least cost: the report's sections, each headed in the wording module's words."""
    document = read_document(REPO / "data" / "tiny")
    result = run_job("check", document, {"budget_gbp": 1000}).result
    assert result["deliverable"] is False
    html = report_html(check_view(result), None)
    words = wording.TEMPLATE_WORDS
    assert f"<h1>{words['check_heading']}</h1>" in html
    for key in ("offer_heading", "levers_heading", "frontier_heading", "practices_heading"):
        assert f"<h2>{words[key]}</h2>" in html, key
    assert f"{words['assumptions_heading']}</h2>" in html
    assert words["no_frontier_swept"] in html  # no frontier note given: the report's own sentence
