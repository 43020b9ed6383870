"""Audit 11 #4: the sentences a user reads live in the wording module. The modules whose sentences
moved there (the CLI's printing, batches, the shared override checks, the desk's pages and results)
build no sentence of their own: no f-string there starts with a capitalised word and a space
("Wrote {target}", "The {role} role may not ..."). The NHS import's report (optimiser/nhs/report.py:
its Markdown, console lines and practices' data notes) moved too; the templates' headings are
guarded by tests/test_words_templates.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MOVED = (
    "optimiser/cli.py",
    "optimiser/batch.py",
    "optimiser/runs.py",
    "api/web/pages.py",
    "api/web/results.py",
    "optimiser/nhs/report.py",
)
SENTENCE_START = re.compile(r"[A-Z][a-z]* ")


def sentences_built(source: str) -> list[tuple[int, str]]:
    """(line, opening words) of each f-string in ``source`` that starts like a sentence."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and SENTENCE_START.match(first.value):
                found.append((node.lineno, first.value))
    return found


@pytest.mark.parametrize("module", MOVED)
def test_no_sentence_is_built_outside_the_wording_module(module: str) -> None:
    assert sentences_built((REPO / module).read_text(encoding="utf-8")) == []


def test_the_check_finds_a_sentence_built_in_place() -> None:
    """The check can fail: the forms it must catch, and the forms it must let pass."""
    caught = 'out.print(f"Wrote {target}")\nx = f"The {role} role may not {what}."\n'
    assert sorted(line for line, _ in sentences_built(caught)) == [1, 2]
    passed = 'a = f"{n} succeeded"\nb = f"error: {e}"\nc = "Wrote it"\nd = f"{x:.1%}"\n'
    assert sentences_built(passed) == []
