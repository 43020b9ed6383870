"""Route and template tests of the desk: sessions, CSRF, every job state, numbers equal to
the job's JSON, organisations, bad input, the report and the comparison."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select, update

from api.orm import Job, JobKind, JobStatus, Scenario
from models.scenario import ScenarioInvalid
from models.validate import validate_document
from optimiser.deliverability import wording
from optimiser.io import rounded_for_output, write_document_as_workbook
from optimiser.report.view import resolve
from tests.require import require_or_skip
from tests.web.conftest import Desk, csrf_of, tenant, tiny_document

DATA = re.compile(r'<data value="([^"]*)" data-src="([^"]*)">([^<]*)</data>')


def frontier_for(desk: Desk, token: str, scenario_id: str, check_id: str, runs: dict[str, Any]) -> str:
    """The budget sweep the desk would run for `check_id`, already finished."""
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        from api import crud
        from api.orm import utc_now
        from api.schemas import JobIn, Overrides
        from api.serialise import json_safe

        request = JobIn(scenario_id=scenario_id, kind=JobKind.SWEEP, overrides=Overrides(budget="0:50000:6"))
        settings = desk.client.app.state.settings  # type: ignore[attr-defined]
        job = crud.submit_job(session, desk.principal(token), request, f"desk-frontier-{check_id}", settings)
        job.status = JobStatus.SUCCEEDED
        job.result = json_safe(runs["sweep"].result)
        job.finished_at = utc_now()
        session.commit()
        return job.public_id


# Sessions and CSRF ---------------------------------------------------------------------------


def test_sign_in_sets_an_http_only_strict_cookie_and_sign_out_clears_it(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.client.__class__(desk.client.app, raise_server_exceptions=False)
    response = client.post("/desk/sign-in", data={"api_key": token}, follow_redirects=False)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "desk_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert token not in cookie, "the key itself must never be in the cookie"
    home = client.get("/")
    assert "Your scenarios and checks" in home.text and "negotiator" in home.text
    out = client.post("/desk/sign-out", data={"csrf": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert 'desk_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    client.cookies.clear()
    assert "Sign in" in client.get("/").text


def test_a_wrong_key_is_refused_on_the_page(desk: Desk) -> None:
    client = desk.client.__class__(desk.client.app, raise_server_exceptions=False)
    response = client.post("/desk/sign-in", data={"api_key": "cmk_nothing_here"})
    assert response.status_code == 401
    assert "not recognised" in response.text
    assert "set-cookie" not in response.headers


def test_pages_need_a_session_and_a_forged_cookie_is_ignored(desk: Desk) -> None:
    client = desk.client.__class__(desk.client.app, raise_server_exceptions=False)
    assert client.get("/desk/check", follow_redirects=False).headers["location"] == "/"
    client.cookies.set("desk_session", "eyJrIjoxLCJlIjo5OTk5OTk5OTk5LCJuIjoiYSJ9.forged")
    assert client.get("/desk/check", follow_redirects=False).status_code == 303


def test_form_posts_need_the_csrf_token(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    job_id = desk.job(token, scenario_id, JobStatus.QUEUED)
    assert client.post("/desk/sign-out", data={}).status_code == 403
    assert client.post(f"/desk/jobs/{job_id}/cancel", data={"csrf": "wrong"}).status_code == 403
    assert client.post("/desk/check", data={"source": "stored", "scenario": f"{scenario_id}:1"}).status_code == 403
    assert "Sign out" in client.get("/").text, "still signed in"
    home = client.get("/").text
    foreign = {"Origin": "https://evil.example"}
    assert client.post("/desk/sign-out", data={"csrf": csrf_of(home)}, headers=foreign).status_code == 403
    assert client.post("/desk/sign-in", data={"api_key": token}, headers=foreign).status_code == 403
    assert (
        client.post("/desk/sign-out", data={"csrf": csrf_of(home)}, headers={"Origin": "http://testserver"}).status_code
        == 200
    )


def test_a_revoked_key_ends_its_sessions(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    assert "Sign out" in client.get("/").text
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        from api.orm import ApiKey, utc_now

        key = session.scalar(select(ApiKey).where(ApiKey.prefix == token.split("_")[1]))
        key.revoked_at = utc_now()
        session.commit()
    assert "Sign in" in client.get("/").text


# Every job state --------------------------------------------------------------------------


@pytest.mark.parametrize("state", [JobStatus.QUEUED, JobStatus.RUNNING])
def test_an_unfinished_job_shows_progress_that_can_be_left(desk: Desk, state: JobStatus) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    job_id = desk.job(token, desk.scenario(token), state)
    page = client.get(f"/desk/jobs/{job_id}")
    assert page.status_code == 200
    assert f'id="job-status" class="status status-{state}">{state}<' in page.text
    assert "You can leave this page" in page.text and "Cancel this check" in page.text
    assert 'id="verdict"' not in page.text
    status = client.get(f"/desk/jobs/{job_id}/status").json()
    assert status["status"] == state and status["finished"] is False
    cancelled = client.post(f"/desk/jobs/{job_id}/cancel", data={"csrf": csrf_of(page.text)})
    assert "The check was cancelled" in cancelled.text


def test_a_deliverable_check(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    job_id = desk.job(token, desk.scenario(token, tiny_document()), JobStatus.SUCCEEDED, runs["deliverable"])
    page = client.get(f"/desk/jobs/{job_id}").text
    assert "✔</span> DELIVERABLE" in page
    assert "Deliverable: the least cost of the specification is £37,000 a year against the offer of £50,000" in page
    assert "leaving £13,000 spare" in page
    assert "Every practice can deliver the specification with this offer: the pooled budget covers" in page
    # The practices that need more than their share of the offer (carried by the pool), and no other:
    # a practice short by £0.00 is not short.
    allocation = runs["deliverable"].result["least_cost_allocation"]
    for i, item in enumerate(allocation["most_short"]):
        for column in ("spend_gbp", "offer_share_gbp", "shortfall_gbp"):
            shown = f'data-src="least_cost_allocation.most_short.{i}.{column}"' in page
            assert shown == (item["shortfall_gbp"] > 0), (i, column)


def test_an_undeliverable_check_reads_in_the_issues_order(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    job_id = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"])
    frontier_for(desk, token, scenario_id, job_id, runs)
    page = client.get(f"/desk/jobs/{job_id}").text
    assert "✘</span> NOT DELIVERABLE" in page
    assert "the offer of £20,000 a year is £17,000 short of the least cost of the specification, £37,000 a year" in page
    marks = [
        'id="verdict"',
        "The offer against the least cost",
        'id="lever-budget"',
        'id="lever-standards"',
        'id="lever-safe_working"',
        'id="lever-workforce_supply"',
        "The requirements that conflict",
        '<svg xmlns="http://www.w3.org/2000/svg"',
        "Practices most short",
        "Assumptions: how to reproduce",
    ]
    positions = [page.index(mark) for mark in marks]
    assert positions == sorted(positions), "the result must read in the issue's order"
    assert "irreducible infeasible set" in page and "cannot be negative" not in page
    assert "Least deliverable £37,000" in page and "Offer £20,000" in page


def test_failed_check_says_why(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    job_id = desk.job(
        token, desk.scenario(token), JobStatus.FAILED, error="the job's worker stopped 3 times before it finished"
    )
    page = client.get(f"/desk/jobs/{job_id}").text
    assert "The check failed" in page and "Why it failed:</strong> the job&#39;s worker stopped 3 times" in page


def test_cancelled_check_says_so(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    job_id = desk.job(token, desk.scenario(token), JobStatus.CANCELLED, error="cancelled on request")
    page = client.get(f"/desk/jobs/{job_id}").text
    assert "The check was cancelled" in page and "Nothing was concluded" in page and 'id="verdict"' not in page


# Every number equals the job's JSON ---------------------------------------------------------


@pytest.mark.parametrize("run", ["deliverable", "undeliverable", "per_practice"])
def test_every_number_on_the_result_page_equals_the_jobs_json(desk: Desk, runs: dict[str, Any], run: str) -> None:
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    overrides = {"offer_rate_gbp_per_weighted_patient": 3.1} if run == "per_practice" else {}
    job_id = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs[run], overrides=overrides)
    sweep_id = frontier_for(desk, token, scenario_id, job_id, runs) if run == "undeliverable" else None
    page = client.get(f"/desk/jobs/{job_id}").text
    api = client.get(f"/jobs/{job_id}", headers={"X-API-Key": token}).json()
    documents = {"result": api["result"], "job": {"duration_s": api["duration_s"]}}
    if run == "undeliverable":
        sweep = desk.client.get(f"/jobs/{sweep_id}", headers={"X-API-Key": token}).json()
        documents["sweep"] = sweep["result"]
    numbers = DATA.findall(page)
    assert len(numbers) >= (8 if run != "deliverable" else 4)
    for value, src, text in numbers:
        expected = resolve(documents, html.unescape(src))
        assert float(value) == pytest.approx(float(expected), rel=0, abs=0), (src, value, expected)
        assert text.strip(), src
    if run == "per_practice":
        assert "1 practice cannot deliver" in page
        assert "Needs per weighted patient" in page
    sources = {html.unescape(src) for _value, src, _text in numbers}
    # Fair shares: the distribution of the check's least-cost allocation, on every check with one.
    assert ("least_cost_allocation" in api["result"]) == (run != "per_practice")
    if run != "per_practice":
        assert "Fair shares: who gets what" in page
        assert "least_cost_allocation.distribution.spend_gbp_per_weighted_patient.min" in sources
        assert "least_cost_allocation.distribution.coverage.max" in sources
    if run == "undeliverable":
        # A pooled offer: the practices most short, with the money each would need.
        allocation = api["result"]["least_cost_allocation"]
        assert allocation["practices_short"] >= 1
        assert "least_cost_allocation.practices_short" in sources
        assert "least_cost_allocation.total_shortfall_gbp" in sources
        for i, item in enumerate(allocation["most_short"]):
            shown = f"least_cost_allocation.most_short.{i}.shortfall_gbp" in sources
            assert shown == (item["shortfall_gbp"] > 0), item
            if shown:
                assert f"least_cost_allocation.most_short.{i}.spend_gbp" in sources
                assert f"least_cost_allocation.most_short.{i}.offer_share_gbp" in sources
        assert "Short by" in page and "Share of the offer" in page


# Organisations and roles --------------------------------------------------------------------


def test_another_organisations_scenario_and_job_are_not_reachable(desk: Desk, runs: dict[str, Any]) -> None:
    owner = desk.key(tenant(), "commissioner")
    scenario_id = desk.scenario(owner, name="private spec")
    job_id = desk.job(owner, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"])
    stranger = desk.signed_in(desk.key(tenant(), "negotiator"))
    home = stranger.get("/").text
    assert "private spec" not in home
    for url in (f"/desk/jobs/{job_id}", f"/desk/jobs/{job_id}/report.pdf", f"/desk/jobs/{job_id}/status"):
        assert stranger.get(url).status_code == 404, url
    assert stranger.get(f"/desk/compare?a={job_id}&b={job_id}").status_code == 404
    assert stranger.get(f"/desk/compare.csv?a={job_id}&b={job_id}").status_code == 404
    form = stranger.get("/desk/check").text
    assert "private spec" not in form
    response = stranger.post(
        "/desk/check", data={"csrf": csrf_of(form), "source": "stored", "scenario": f"{scenario_id}:1"}
    )
    assert response.status_code == 404


def test_a_negotiator_sees_own_and_shared_scenarios_and_checks_a_shared_one(desk: Desk) -> None:
    icb, lmc = tenant(), tenant()
    commissioner = desk.key(icb, "commissioner")
    shared_id = desk.scenario(commissioner, name="shared spec")
    desk.scenario(commissioner, name="unshared spec")
    negotiator = desk.key(lmc, "negotiator")
    shared = desk.client.put(f"/scenarios/{shared_id}/shares/{lmc}", headers={"X-API-Key": commissioner})
    assert shared.status_code == 200, shared.text
    desk.scenario(negotiator, name="own spec")
    client = desk.signed_in(negotiator)
    home = client.get("/").text
    assert "shared spec" in home and "own spec" in home and "unshared spec" not in home
    assert "shared with you (read-only)" in home
    form = client.get("/desk/check").text
    response = client.post(
        "/desk/check",
        data={
            "csrf": csrf_of(form),
            "source": "stored",
            "scenario": f"{shared_id}:1",
            "offer_kind": "pooled",
            "offer_amount": "4.7m",
            "standards_percent": "90",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    job_id = response.headers["location"].rsplit("/", 1)[1]
    job = client.get(f"/jobs/{job_id}", headers={"X-API-Key": negotiator}).json()
    assert job["kind"] == "check" and job["status"] == "queued"
    assert job["overrides"] == {"budget_gbp": 4_700_000.0, "standards_fraction": 0.9}
    assert client.get(f"/jobs/{job_id}", headers={"X-API-Key": commissioner}).status_code == 404
    # Viewing the finished check (its page, its PDF) submits nothing; its button draws the frontier
    # under the negotiator's own key, once (audit 12, #10).
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        session.execute(
            update(Job)
            .where(Job.public_id == job_id)
            .values(status=JobStatus.SUCCEEDED, result=desk_result(desk, negotiator))
        )
        session.commit()
    before = job_count(desk, lmc)
    page = client.get(f"/desk/jobs/{job_id}").text
    assert client.get(f"/desk/jobs/{job_id}/report.pdf").status_code in (200, 503)  # 503: no PDF libraries
    assert job_count(desk, lmc) == before, "a GET submitted a job"
    assert 'data-wait-job="' not in page
    assert wording.frontier_not_drawn_desk_sentence(True, 11) in html.unescape(page)
    button_form = re.search(r'<form method="post" action="([^"]+)" id="draw-frontier">(.*?)</form>', page, re.S)
    assert button_form is not None and button_form.group(1) == f"/desk/jobs/{job_id}/frontier"
    assert 'name="csrf"' in button_form.group(2) and wording.TEMPLATE_WORDS["draw_frontier"] in button_form.group(2)
    assert client.post(button_form.group(1), data={}, follow_redirects=False).status_code == 403, "no CSRF token"
    assert job_count(desk, lmc) == before
    drawn = client.post(button_form.group(1), data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert drawn.status_code == 303 and drawn.headers["location"] == f"/desk/jobs/{job_id}#frontier-h"
    assert job_count(desk, lmc) == before + 1
    page = client.get(drawn.headers["location"]).text
    assert 'data-wait-job="' in page and 'id="draw-frontier"' not in page
    sweep_id = page.split('data-wait-job="', 1)[1].split('"', 1)[0]
    sweep = client.get(f"/jobs/{sweep_id}", headers={"X-API-Key": negotiator}).json()
    assert sweep["kind"] == "sweep" and sweep["status"] == "queued"
    assert client.get(f"/jobs/{sweep_id}", headers={"X-API-Key": commissioner}).status_code == 404
    # A second press (a page left open, a double click) finds the same sweep.
    again = client.post(button_form.group(1), data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert again.status_code == 303 and job_count(desk, lmc) == before + 1
    assert f'data-wait-job="{sweep_id}"' in client.get(f"/desk/jobs/{job_id}").text


def job_count(desk: Desk, organisation: str) -> int:
    """Every job of the organisation, read from the database (whatever a page shows)."""
    from api.orm import Organisation

    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        org = session.scalar(select(Organisation.id).where(Organisation.name == organisation))
        return int(session.scalar(select(func.count()).select_from(Job).where(Job.organisation_id == org)) or 0)


def desk_result(desk: Desk, token: str) -> dict[str, Any]:
    from optimiser.runs import run_job

    return run_job("check", tiny_document(budget_gbp=20000)).result


# Bad input ------------------------------------------------------------------------------------


def scenario_count(desk: Desk) -> int:
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Scenario)) or 0)


def test_an_invalid_workbook_shows_the_validate_problems_beside_the_upload(desk: Desk, tmp_path: Any) -> None:
    document = tiny_document()
    document["practices"][1]["list_size"] = -5
    document["roles"][0]["cost_per_fte_gbp"] = "lots"
    path = tmp_path / "bad.xlsx"
    write_document_as_workbook(document, path)
    with pytest.raises(ScenarioInvalid) as invalid:
        from optimiser.io import read_document

        validate_document(read_document(path))
    client = desk.signed_in(desk.key(tenant(), "negotiator"))
    form = client.get("/desk/check").text
    before = scenario_count(desk)
    response = client.post(
        "/desk/check",
        data={"csrf": csrf_of(form), "source": "upload", "offer_kind": "scenario"},
        files={"file": ("bad.xlsx", path.read_bytes(), "application/octet-stream")},
    )
    assert response.status_code == 422
    assert scenario_count(desk) == before, "nothing may be stored"
    page = html.unescape(response.text)
    count = len(invalid.value.problems)
    assert count >= 2 and f"bad.xlsx was not stored: {count} problems." in page
    upload_at = page.index('id="upload-problems"')
    for problem in invalid.value.problems:
        cells = f"<td>{problem.table}</td><td>{problem.row if problem.row is not None else ''}</td><td>{problem.column or ''}</td><td>{problem.message}</td>"
        assert cells in page, cells
        assert page.index(cells) > upload_at


def test_an_unreadable_file_and_a_bad_offer_are_answered_on_the_page(desk: Desk) -> None:
    client = desk.signed_in(desk.key(tenant(), "negotiator"))
    form = client.get("/desk/check").text
    before = scenario_count(desk)
    response = client.post(
        "/desk/check",
        data={"csrf": csrf_of(form), "source": "upload"},
        files={"file": ("spec.pdf", b"%PDF-1.4", "application/pdf")},
    )
    assert response.status_code == 422 and "unsupported file" in html.unescape(response.text)
    response = client.post(
        "/desk/check",
        data={"csrf": csrf_of(form), "source": "upload", "offer_kind": "pooled", "offer_amount": "lots"},
        files={"file": ("tiny.json", b"{}", "application/json")},
    )
    message = "Amount offered: expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got 'lots')"
    assert response.status_code == 422 and message in html.unescape(response.text)
    assert scenario_count(desk) == before


def test_an_oversize_upload_is_refused_before_it_is_read(desk: Desk) -> None:
    client = desk.signed_in(desk.key(tenant(), "negotiator"))
    form = client.get("/desk/check").text
    assert 'data-max-bytes="300000"' in form, "the page's script refuses larger files before sending them"
    response = client.post(
        "/desk/check",
        data={"csrf": csrf_of(form), "source": "upload"},
        files={"file": ("big.json", b"{" + b" " * 400_000 + b"}", "application/json")},
    )
    assert response.status_code == 413
    assert "larger than this service's limit of 300,000 bytes" in response.text


# The report and the comparison ----------------------------------------------------------------


def test_the_report_route_gives_a_pdf_with_the_verdict(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    scenario_id = desk.scenario(token)
    job_id = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"])
    frontier_for(desk, token, scenario_id, job_id, runs)
    response = desk.client.get(f"/reports/jobs/{job_id}.pdf", headers={"X-API-Key": token})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    desk_pdf = desk.signed_in(token).get(f"/desk/jobs/{job_id}/report.pdf")
    assert desk_pdf.status_code == 200 and desk_pdf.content.startswith(b"%PDF")
    stranger = desk.key(tenant(), "commissioner")
    assert desk.client.get(f"/reports/jobs/{job_id}.pdf", headers={"X-API-Key": stranger}).status_code == 404
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True).stdout
    words = " ".join(text.decode().split())
    assert "NOT DELIVERABLE" in words
    assert (
        "the offer of £20,000 a year is £17,000 short of the least cost of the specification, £37,000 a year" in words
    )
    assert "Least deliverable £37,000" in words
    pages = subprocess.run(["pdfinfo", "-"], input=response.content, capture_output=True, check=True).stdout.decode()
    assert 2 <= int(re.search(r"Pages:\s+(\d+)", pages).group(1)) <= 3  # type: ignore[union-attr]


def test_two_offers_side_by_side(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    scenario_id = desk.scenario(token)
    a = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"])
    b = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["deliverable"], overrides={"budget_gbp": 50000})
    headers = {"X-API-Key": token}
    body = desk.client.get(f"/reports/compare?a={a}&b={b}", headers=headers).json()
    rows = {(row["section"], row["item"]): row for row in body["rows"]}
    assert rows[("Headline", "Verdict")]["a"] == "Not deliverable"
    assert rows[("Headline", "Verdict")]["b"] == "Deliverable"
    least = rows[("Headline", "Least cost")]
    assert least["a"] == round(runs["undeliverable"].result["levers"][0]["details"]["least_spend_gbp"], 2)
    assert least["b"] == round(runs["deliverable"].result["headline"]["least_spend_gbp"], 2)
    assert rows[("Headline", "Offer (budget)")]["b_minus_a"] == pytest.approx(30000)
    # Per practice: each practice's shortfall against its share of the offer in each check's
    # least-cost plan (the checks' `least_cost_practices` tables, every practice, as downloaded: rounded).
    assert body["per_practice"]["unit"] == "needed above an equal share of the offer in the least-cost plan, £ a year"
    short = {
        side: dict(zip(table["practice_id"], table["shortfall_gbp"], strict=True))
        for side, table in (
            ("a", rounded_for_output(runs["undeliverable"].tables["least_cost_practices"])),
            ("b", rounded_for_output(runs["deliverable"].tables["least_cost_practices"])),
        )
    }
    listed = {row["practice_id"] for row in body["per_practice"]["rows"]}
    assert set(short["a"]) == set(short["b"]) >= listed and listed
    assert all(short["a"][p] == short["b"][p] == 0 for p in set(short["a"]) - listed), (
        "only practices short are left out"
    )
    for row in body["per_practice"]["rows"]:
        assert row["a"] == short["a"][row["practice_id"]] and row["b"] == short["b"][row["practice_id"]]
        assert row["b_minus_a"] == pytest.approx(row["b"] - row["a"], rel=1e-12)
    differences = [abs(row["b_minus_a"]) for row in body["per_practice"]["rows"]]
    assert differences == sorted(differences, reverse=True), "largest difference first"
    counts = {side: sum(1 for value in values.values() if value > 0) for side, values in short.items()}
    assert counts["a"] == runs["undeliverable"].result["least_cost_allocation"]["practices_short"]
    assert body["practices_short"] == counts
    csv = desk.client.get(f"/reports/compare?a={a}&b={b}&format=csv", headers=headers)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith('section,item,practice_id,service_id,role_id,"A: job')
    assert "pooled budget £20,000 a year" in csv.text.splitlines()[0], "an offer left as written is named"
    workbook = openpyxl.load_workbook(
        io.BytesIO(desk.client.get(f"/reports/compare?a={a}&b={b}&format=xlsx", headers=headers).content)
    )
    assert workbook.sheetnames == ["comparison"] and workbook["comparison"].max_row == len(csv.text.splitlines())
    client = desk.signed_in(token)
    page = client.get(f"/desk/compare?a={a}&b={b}").text
    assert (
        f"Practices needing more than an equal share of the offer: {counts['a']} under A, {counts['b']} under B."
        in page
    )
    assert "Coverage by service (least-cost plan)" in page and "New FTE by role (least-cost plan)" in page
    assert client.get(f"/desk/compare.xlsx?a={a}&b={b}").status_code == 200


def test_compare_solves_reports_coverage_and_new_fte(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    scenario_id = desk.scenario(token, tiny_document())
    a = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["solve"], kind=JobKind.SOLVE)
    b = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["solve"], kind=JobKind.SOLVE)
    body = desk.client.get(f"/reports/compare?a={a}&b={b}", headers={"X-API-Key": token}).json()
    items = {(row["section"], row["item"]): row for row in body["rows"]}
    kpis = runs["solve"].result["kpis"]
    # Services and roles as the scenario names them, their ids kept (audit 5, F12).
    coverage = items[("Coverage by service (the solve's allocation)", "Same-day access")]
    assert coverage["a"] == kpis["coverage_by_service"]["same_day_access"]["coverage"]
    assert coverage["service_id"] == "same_day_access"
    hires = items[("New FTE by role", "Salaried GP")]
    assert hires["b"] == kpis["new_fte_by_role"]["salaried_gp"] and hires["role_id"] == "salaried_gp"
    assert body["per_practice"]["unit"] == "spend £ a year"
    assert all(row["b_minus_a"] == 0 for row in body["per_practice"]["rows"])


def test_the_check_form_creates_the_same_job_as_the_api(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    form = client.get("/desk/check").text
    document = tiny_document()
    response = client.post(
        "/desk/check",
        data={
            "csrf": csrf_of(form),
            "source": "upload",
            "name": "tiny upload",
            "offer_kind": "rate",
            "offer_amount": "£3.10",
        },
        files={"file": ("tiny.json", __import__("json").dumps(document).encode(), "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].rsplit("/", 1)[1]
    job = client.get(f"/jobs/{job_id}", headers={"X-API-Key": token}).json()
    scenario = client.get(f"/scenarios/{job['scenario_id']}", headers={"X-API-Key": token}).json()
    assert scenario["name"] == "tiny upload"
    assert scenario["versions"][0]["scenario_hash"] == validate_document(document).scenario_hash
    assert job["kind"] == "check" and job["overrides"] == {"offer_rate_gbp_per_weighted_patient": 3.1}


def test_the_empty_workbook_is_offered_beside_the_upload(desk: Desk) -> None:
    client = desk.signed_in(desk.key(tenant(), "negotiator"))
    assert 'href="/desk/template.xlsx"' in client.get("/desk/check").text
    workbook = openpyxl.load_workbook(io.BytesIO(client.get("/desk/template.xlsx").content))
    assert {"settings", "practices", "services"} <= set(workbook.sheetnames)


def test_static_assets_are_served_locally(desk: Desk) -> None:
    for name, kind in (("desk.css", "text/css"), ("desk.js", "text/javascript")):
        response = desk.client.get(f"/desk/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
    assert desk.client.get("/desk/static/..%2Fpages.py").status_code == 404
    page = desk.client.get("/").text
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page


def test_a_frontier_that_cannot_be_submitted_is_explained_not_a_500(
    desk: Desk, runs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from api import crud
    from models.scenario import Problem

    def refuse(*_: Any, **__: Any) -> Any:
        raise ScenarioInvalid([Problem("overrides", None, "budget", "a sweep takes 2 to 1 points")])

    token = desk.key(tenant(), "commissioner")
    job_id = desk.job(token, desk.scenario(token), JobStatus.SUCCEEDED, runs["undeliverable"])
    monkeypatch.setattr(crud, "submit_job", refuse)  # the module api.web.results calls it through
    client = desk.signed_in(token)
    page = client.get(f"/desk/jobs/{job_id}")
    assert page.status_code == 200 and "NOT DELIVERABLE" in page.text
    drawn = client.post(f"/desk/jobs/{job_id}/frontier", data={"csrf": csrf_of(page.text)})
    assert drawn.status_code == 409
    assert "No frontier: the budget sweep could not be submitted" in html.unescape(drawn.text)
    assert "a sweep takes 2 to 1 points" in html.unescape(drawn.text)


def test_a_role_that_may_not_run_sweeps_gets_no_button_and_its_post_is_refused(
    desk: Desk, runs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No shipped role reads jobs but may not run sweeps: a negotiator without the permission stands in."""
    from api.orm import Role
    from api.security import ROLE_PERMISSIONS, Permission

    organisation = tenant()
    token = desk.key(organisation, "negotiator")
    job_id = desk.job(token, desk.scenario(token), JobStatus.SUCCEEDED, runs["undeliverable"])
    client = desk.signed_in(token)
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.NEGOTIATOR, ROLE_PERMISSIONS[Role.NEGOTIATOR] - {Permission.RUN_SWEEPS})
    before = job_count(desk, organisation)
    page = client.get(f"/desk/jobs/{job_id}")
    assert page.status_code == 200 and 'id="draw-frontier"' not in page.text
    assert wording.frontier_not_permitted_sentence("negotiator") in html.unescape(page.text)
    drawn = client.post(f"/desk/jobs/{job_id}/frontier", data={"csrf": csrf_of(page.text)})
    assert drawn.status_code == 403
    assert wording.desk_role_may_not("negotiator", "run sweeps") in html.unescape(drawn.text)
    api = client.post(f"/reports/jobs/{job_id}/frontier", headers={"X-API-Key": token})
    assert api.status_code == 403 and api.json()["detail"] == wording.frontier_not_permitted_sentence("negotiator")
    assert job_count(desk, organisation) == before


def test_a_check_without_an_answer_or_not_a_check_gets_no_button_and_no_sweep(desk: Desk, runs: dict[str, Any]) -> None:
    organisation = tenant()
    token = desk.key(organisation, "commissioner")
    scenario_id = desk.scenario(token)
    running = desk.job(token, scenario_id, JobStatus.RUNNING)
    solve = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["solve"], kind=JobKind.SOLVE)
    client = desk.signed_in(token)
    csrf = csrf_of(client.get("/").text)
    before = job_count(desk, organisation)
    for job_id in (running, solve):
        assert 'id="draw-frontier"' not in client.get(f"/desk/jobs/{job_id}").text
        refused = client.post(f"/desk/jobs/{job_id}/frontier", data={"csrf": csrf})
        assert refused.status_code == 409, refused.text
        api = client.post(f"/reports/jobs/{job_id}/frontier", headers={"X-API-Key": token})
        assert api.status_code == 409, api.text
    assert "only a check has a frontier to draw" in api.json()["detail"]
    assert client.post(f"/desk/jobs/{running}/frontier", data={"csrf": "forged"}).status_code == 403
    assert job_count(desk, organisation) == before
    stranger = desk.signed_in(desk.key(tenant(), "commissioner"))
    csrf = csrf_of(stranger.get("/").text)
    assert stranger.post(f"/desk/jobs/{solve}/frontier", data={"csrf": csrf}).status_code == 404


def test_an_admin_key_signs_in_but_is_told_what_it_may_not_do(desk: Desk) -> None:
    client = desk.signed_in(desk.key(tenant(), "admin"))
    assert "manages keys only" in client.get("/").text
    for url in ("/desk/check", "/desk/compare"):
        response = client.get(url)
        assert response.status_code == 403 and "The admin role may not" in response.text, url


def test_comparing_unfinished_checks_waits_for_them(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    scenario_id = desk.scenario(token)
    a = desk.job(token, scenario_id, JobStatus.RUNNING)
    b = desk.job(token, scenario_id, JobStatus.QUEUED)
    page = desk.signed_in(token).get(f"/desk/compare?a={a}&b={b}").text
    assert "Checking both offers" in page and f'data-jobs="{a},{b}"' in page
    assert "Download CSV" not in page


# Public ids ---------------------------------------------------------------------------------

PUBLIC_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_the_session_cookie_names_the_key_by_its_public_id(desk: Desk) -> None:
    import base64
    import json

    from api.orm import ApiKey

    token = desk.key(tenant(), "negotiator")
    client = desk.client.__class__(desk.client.app, raise_server_exceptions=False)
    client.post("/desk/sign-in", data={"api_key": token}, follow_redirects=False)
    payload = client.cookies["desk_session"].split(".", 1)[0]
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        key = session.scalar(select(ApiKey).where(ApiKey.prefix == token.split("_")[1]))
        assert key is not None
        assert body["k"] == key.public_id and body["k"] != key.id
    assert PUBLIC_ID.match(body["k"])


def test_links_and_form_values_name_jobs_and_scenarios_by_public_id(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token, name="public spec")
    job_id = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"])
    sweep_id = frontier_for(desk, token, scenario_id, job_id, runs)
    assert PUBLIC_ID.match(scenario_id) and PUBLIC_ID.match(job_id) and PUBLIC_ID.match(sweep_id)
    home = client.get("/").text
    assert f'href="/desk/jobs/{job_id}"' in home and f"/desk/check?scenario={scenario_id}:1" in home
    assert f'<option value="{scenario_id}:1"' in client.get("/desk/check").text
    result = client.get(f"/desk/jobs/{job_id}").text
    assert f"/desk/jobs/{job_id}/report.pdf" in result and f"/desk/compare?a={job_id}" in result
    assert f"From budget sweep job {sweep_id}." in result, "the frontier is found by desk-frontier-<public id>"
    compare_form = client.get(f"/desk/compare?a={job_id}").text
    assert f'<option value="{job_id}" selected>' in compare_form
    assert f'<option value="{scenario_id}:1">' in compare_form


def test_malformed_ids_are_not_found_never_a_500(desk: Desk, runs: dict[str, Any]) -> None:
    token = desk.key(tenant(), "commissioner")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    job_id = desk.job(token, scenario_id, JobStatus.SUCCEEDED, runs["undeliverable"])
    csrf = csrf_of(client.get("/desk/check").text)
    # Ids are hexadecimal in any case, on the desk as in the API (docs/api.md).
    assert client.get(f"/desk/jobs/{job_id.upper()}").status_code == 200
    assert client.get(f"/desk/jobs/{job_id.upper()}/status").json()["status"] == "succeeded"
    assert desk.client.get(f"/jobs/{job_id.upper()}", headers={"X-API-Key": token}).status_code == 200
    for bad in ("1", "0", "-1", "99999999999999999999", "not-an-id", job_id + "0", "%00"):
        for url in (f"/desk/jobs/{bad}", f"/desk/jobs/{bad}/report.pdf", f"/desk/jobs/{bad}/status"):
            assert client.get(url).status_code == 404, url
        assert client.post(f"/desk/jobs/{bad}/cancel", data={"csrf": csrf}).status_code == 404, bad
        assert client.get(f"/desk/compare?a={bad}&b={job_id}").status_code == 404, bad
        assert client.get(f"/desk/compare.csv?a={job_id}&b={bad}").status_code == 404, bad
        api = desk.client.get(f"/reports/jobs/{bad}.pdf", headers={"X-API-Key": token})
        assert api.status_code in (404, 422), (bad, api.status_code)
        compared = desk.client.get(f"/reports/compare?a={bad}&b={job_id}", headers={"X-API-Key": token})
        assert compared.status_code == 422 and compared.json()["detail"][0]["table"] == "request", bad
    before = scenario_count(desk)
    for value in (
        "1:1",
        f"{scenario_id}:0",
        f"{scenario_id}:99999999999",
        f"{scenario_id}:x",
        f"{scenario_id}:²",
        f"{scenario_id}x:1",
        "",
    ):
        response = client.post("/desk/check", data={"csrf": csrf, "source": "stored", "scenario": value})
        assert response.status_code == 422 and "choose a stored scenario" in response.text, value
        compared = client.post(
            "/desk/compare", data={"csrf": csrf, "scenario_a": value, "scenario_b": f"{scenario_id}:1"}
        )
        assert compared.status_code == 422 and "Offer A: choose a stored scenario" in compared.text, value
    # A well-formed id of a scenario nobody has, and a version it does not have, are 404s.
    unknown = "0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e"
    for value in (f"{unknown}:1", f"{scenario_id}:7"):
        response = client.post("/desk/check", data={"csrf": csrf, "source": "stored", "scenario": value})
        assert response.status_code == 404, value
    assert scenario_count(desk) == before


def test_a_stored_scenario_checked_from_the_form_runs_on_that_version(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    csrf = csrf_of(client.get("/desk/check").text)
    for value in (f"{scenario_id}:1", scenario_id):
        response = client.post(
            "/desk/check",
            data={"csrf": csrf, "source": "stored", "scenario": value, "offer_kind": "pooled", "offer_amount": "30k"},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        job = client.get(response.headers["location"].replace("/desk", ""), headers={"X-API-Key": token}).json()
        assert job["scenario_id"] == scenario_id and job["version"] == 1
        assert job["overrides"] == {"budget_gbp": 30000.0}


def test_uploads_are_read_by_the_apis_reader_and_limits(desk: Desk) -> None:
    """The page shows what POST /scenarios/upload answers, for a file the reader refuses."""
    import zipfile

    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    csrf = csrf_of(client.get("/desk/check").text)
    settings = desk.client.app.state.settings  # type: ignore[attr-defined]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("practices.csv", b"0" * (settings.max_upload_expanded_bytes + 1))
    bad_name = tiny_document()
    before = scenario_count(desk)
    for filename, content in (
        ("bomb.zip", bomb.getvalue()),
        ("offer.zip", b"PK\x03\x04 truncated"),
        ("offer.json", b"{"),
        ("offer.json", b'{"settings": {"budget_gbp": NaN}}'),
    ):
        assert len(content) < settings.max_request_bytes
        api = desk.client.post("/scenarios/upload", files={"file": (filename, content)}, headers={"X-API-Key": token})
        assert api.status_code == 422, (filename, api.text)
        page = client.post("/desk/check", data={"csrf": csrf, "source": "upload"}, files={"file": (filename, content)})
        assert page.status_code == 422, filename
        text = html.unescape(page.text)
        for problem in api.json()["detail"]:
            assert problem["message"] in text, (filename, problem)
    response = client.post(
        "/desk/check",
        data={"csrf": csrf, "source": "upload", "name": "two\nlines"},
        files={"file": ("tiny.json", __import__("json").dumps(bad_name).encode())},
    )
    assert response.status_code == 422 and "must not contain control characters" in response.text
    assert scenario_count(desk) == before
