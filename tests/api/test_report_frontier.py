"""The API draws a check's frontier on request, without the desk (audit 6, A11; audit 12, #10).

The chart comes from the check's budget sweep job. Asking for the PDF used to submit it: a GET with
a side effect, which link prefetchers, crawlers and retried GETs set off. Now the PDF only reads: a
check with no sweep has a PDF that says how to draw one; ``POST /reports/jobs/{id}/frontier``
submits it (202, and 200 with the same sweep when asked again); and the PDF has the chart once the
sweep has succeeded.
"""

from __future__ import annotations

import re
import shutil
import subprocess

from api.orm import Role
from optimiser.deliverability import wording
from optimiser.io import read_document
from tests.api.helpers import TINY, Service, create_scenario, run_job
from tests.require import require_or_skip

CAPTION = "Solid line, round markers: the value of the eligible patients covered"


def pdf_text(pdf: bytes) -> str:
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(text.split())


def unbroken(text: str) -> str:
    return re.sub(r"[\s-]", "", text)


def job_total(service: Service, headers: dict[str, str]) -> int:
    return int(service.client.get("/jobs?limit=1", headers=headers).json()["total"])


def test_the_pdf_submits_nothing_and_the_post_draws_the_frontier_once(service: Service, commissioner: dict) -> None:
    client = service.client
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    check = run_job(client, commissioner, scenario_id, kind="check", overrides={"budget_gbp": 20_000})
    assert check["status"] == "succeeded", check
    before = job_total(service, commissioner)
    for _ in range(2):  # a retried GET, a prefetcher: still nothing
        first = client.get(f"/reports/jobs/{check['id']}.pdf", headers=commissioner)
        assert first.status_code == 200, first.text
    assert job_total(service, commissioner) == before, "a GET of the PDF submitted a job"
    # The path breaks across lines wherever it falls (pdftotext drops a hyphen it breaks at, and
    # reads a line break as a space): compared without either.
    text = unbroken(pdf_text(first.content))
    assert unbroken(wording.frontier_not_drawn_pdf_sentence(check["id"])) in text
    assert unbroken(f"POST /reports/jobs/{check['id']}/frontier") in text and unbroken(CAPTION) not in text

    drawn = client.post(f"/reports/jobs/{check['id']}/frontier", headers=commissioner)
    assert drawn.status_code == 202, drawn.text
    sweep = drawn.json()
    assert sweep["kind"] == "sweep" and sweep["status"] in ("queued", "running", "succeeded"), sweep
    assert drawn.headers["location"] == f"/jobs/{sweep['id']}"
    assert "budget" in sweep["overrides"] and sweep["overrides"]["budget_gbp"] == 20_000
    assert job_total(service, commissioner) == before + 1
    again = client.post(f"/reports/jobs/{check['id']}/frontier", headers=commissioner)
    assert again.status_code == 200 and again.json()["id"] == sweep["id"], again.text
    assert job_total(service, commissioner) == before + 1

    done = client.get(f"/jobs/{sweep['id']}?wait=60", headers=commissioner).json()
    assert (done["kind"], done["status"]) == ("sweep", "succeeded"), done
    drawn_pdf = client.get(f"/reports/jobs/{check['id']}.pdf", headers=commissioner)
    assert drawn_pdf.status_code == 200
    assert CAPTION in pdf_text(drawn_pdf.content)
    assert job_total(service, commissioner) == before + 1


def test_drawing_is_refused_with_a_named_error(service: Service, commissioner: dict) -> None:
    client = service.client
    scenario_id = create_scenario(client, commissioner, read_document(TINY))
    solve = run_job(client, commissioner, scenario_id, kind="solve")
    before = job_total(service, commissioner)
    not_a_check = client.post(f"/reports/jobs/{solve['id']}/frontier", headers=commissioner)
    assert not_a_check.status_code == 409
    assert not_a_check.json()["detail"] == wording.frontier_not_a_check(solve["id"], "solve")
    missing = client.post("/reports/jobs/0193a1f2-6c4e-7d2a-9b1c-000000000000/frontier", headers=commissioner)
    assert missing.status_code == 404
    admin = service.key(f"admin-{scenario_id[-6:]}", Role.ADMIN)
    assert client.post(f"/reports/jobs/{solve['id']}/frontier", headers=admin).status_code == 403
    assert job_total(service, commissioner) == before
