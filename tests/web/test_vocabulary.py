"""One vocabulary: the verdict and the lever titles read the same in `commission check`, on the
desk's result page, in its PDF report and in the comparison's CSV, for the same scenario.

A negotiator reads the command line or the page and takes the PDF into the meeting; the same
lever must have the same name in each. Everything here is what a user runs: the installed
console script, a real `commission serve` and the PDF it serves, read back with `pdftotext`.
"""

from __future__ import annotations

import csv
import html
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from optimiser.io import read_document
from tests.console import REPO, shared_run
from tests.require import require_or_skip
from tests.web.test_browser import Server, pdf_text, start_server

UNDELIVERABLE = REPO / "data" / "undeliverable_offer"

require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")


@pytest.fixture(scope="module")
def vocabulary_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("vocabulary-server"), workers=1)


def cli_verdict_and_levers() -> tuple[str, list[str]]:
    """The verdict and the lever titles of `commission check`'s plain-text report."""
    done = shared_run("check", str(UNDELIVERABLE))
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    verdict = next(line for line in lines if line.startswith("Verdict: ")).removeprefix("Verdict: ")
    start = next(i for i, line in enumerate(lines) if line.startswith("What would make it deliverable"))
    titles = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        titles.append(line.removeprefix("  - ").split(": ", 1)[0])
    return verdict, titles


def test_check_text_desk_page_pdf_and_comparison_use_the_same_verdict_and_lever_titles(
    vocabulary_server: Server, tmp_path: Path
) -> None:
    verdict, titles = cli_verdict_and_levers()
    assert verdict == "NOT DELIVERABLE"
    assert len(titles) >= 3, titles

    key = vocabulary_server.key("lmc-vocabulary", "negotiator")
    with httpx.Client(base_url=vocabulary_server.url, timeout=300) as client:
        api = {"X-API-Key": key}
        scenario = client.post("/scenarios?name=undeliverable", json=read_document(UNDELIVERABLE), headers=api)
        assert scenario.status_code == 201, scenario.text
        job = client.post("/jobs?wait=240", json={"scenario_id": scenario.json()["id"], "kind": "check"}, headers=api)
        assert job.status_code == 200 and job.json()["status"] == "succeeded", job.text
        job_id = job.json()["id"]

        signed_in = client.post("/desk/sign-in", data={"api_key": key})
        assert signed_in.status_code == 303, signed_in.text
        page = client.get(f"/desk/jobs/{job_id}")
        assert page.status_code == 200, page.text
        label = re.search(r'<p class="verdict-label">.*?</span>\s*(.*?)</p>', page.text, re.S)
        assert label is not None and html.unescape(label.group(1)).strip() == verdict
        cards = [
            html.unescape(title).strip() for title in re.findall(r'<h3>(.*?) <span class="unit">', page.text, re.S)
        ]
        assert sorted(cards) == sorted(titles), (cards, titles)

        pdf = client.get(f"/desk/jobs/{job_id}/report.pdf")
        assert pdf.status_code == 200, pdf.text[:500]
        (tmp_path / "report.pdf").write_bytes(pdf.content)
        text = pdf_text(tmp_path / "report.pdf")
        assert verdict in text
        for title in titles:
            assert f"{title} (" in text, f"the PDF has no lever card {title!r}"

        compared = client.get(f"/desk/compare.csv?a={job_id}&b={job_id}")
        assert compared.status_code == 200, compared.text
        verdict_row = next(row for row in csv.DictReader(io.StringIO(compared.text)) if row["item"] == "Verdict")
        sides = [value for column, value in verdict_row.items() if column.startswith(("A: ", "B: "))]
        assert sides == [verdict.capitalize()] * 2, verdict_row
