"""The API's PDF of a check draws its frontier without the desk (audit 6, A11).

The chart comes from the check's budget sweep job, which only the desk's result page used to
submit: a check run through the API alone printed "No frontier has been drawn for this check."
The first request for the PDF now submits it, says so in the PDF, and the PDF has the chart once
the sweep has succeeded.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from optimiser.io import read_document
from tests.api.helpers import TINY, Service, create_scenario, run_job
from tests.require import require_or_skip

CAPTION = "Solid line, round markers: the value of the eligible patients covered"


def pdf_text(pdf: bytes) -> str:
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


def test_the_pdf_of_a_check_run_through_the_api_submits_and_then_draws_its_frontier(
    service: Service, commissioner: dict
) -> None:
    client = service.client
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    check = run_job(client, commissioner, scenario_id, kind="check", overrides={"budget_gbp": 20_000})
    assert check["status"] == "succeeded", check
    first = client.get(f"/reports/jobs/{check['id']}.pdf", headers=commissioner)
    assert first.status_code == 200, first.text
    text = pdf_text(first.content)
    assert "No frontier has been drawn" not in text
    found = re.search(r"sweep job ([0-9a-f-]{36})", text)
    if found is None:  # the sweep was already done by the time the PDF was drawn
        assert CAPTION in text
        return
    sweep = client.get(f"/jobs/{found.group(1)}?wait=60", headers=commissioner).json()
    assert (sweep["kind"], sweep["status"]) == ("sweep", "succeeded"), sweep
    again = client.get(f"/reports/jobs/{check['id']}.pdf", headers=commissioner)
    assert again.status_code == 200
    assert CAPTION in pdf_text(again.content)
