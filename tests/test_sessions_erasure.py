"""Audit 12 #4: deleting erases. `DELETE /jobs/{id}`, `DELETE /scenarios/{id}` and the desk's
Delete (after a confirmation page) erase the data at once, and nothing of it is then served by
any route; `commission purge` erases what an earlier version only hid, and what is older than a
retention period. A real server (`commission serve`) on SQLite and PostgreSQL, as in
tests/test_sessions_sign_out.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api import crud
from api.db import create_db_engine, create_session_factory, upgrade_database
from api.documents import accept_document
from api.orm import Job, JobStatus, Role, ScenarioVersion
from api.settings import Settings
from optimiser.io import read_document
from tests.servers import BACKENDS, Server, postgres_schema, running_server, schema_url
from tests.test_sessions_sign_out import ORGANISATION, REPO, create_scenario, csrf_of, signed_in

MARKER = "to-delete-DPIA-marker"


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per backend for the module: each test is an organisation (or two) of its own on it,
    and counts only its own rows."""
    yield from running_server(request.param, tmp_path_factory.mktemp("erasure"))


def jobs_of(server: Server, organisation: str) -> int:
    return int(
        server.sql(f"select count(*) from jobs where organisation_id = {ORGANISATION}", organisation=organisation)[0][0]
    )


def versions_of(server: Server, scenario: str) -> int:
    return int(
        server.sql(
            "select count(*) from scenario_versions v join scenarios s on s.id = v.scenario_id where s.public_id = :id",
            id=scenario,
        )[0][0]
    )


def headers(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def finished_check(server: Server, api: dict[str, str], scenario: str) -> str:
    job = httpx.post(
        f"{server.url}/jobs",
        params={"wait": 30},
        json={"scenario_id": scenario, "kind": "check", "overrides": {"budget_gbp": 25000}},
        headers=api,
        timeout=60,
    )
    assert job.status_code == 200 and job.json()["status"] == "succeeded", job.text
    return str(job.json()["id"])


def job_routes(job: str) -> list[str]:
    """Every API route that serves a job or something made from it."""
    return [
        f"/jobs/{job}",
        f"/jobs/{job}/tables/least_cost_practices",
        f"/jobs/{job}/workbook",
        f"/reports/jobs/{job}.pdf",
    ]


def desk_routes(job: str) -> list[str]:
    return [f"/desk/jobs/{job}", f"/desk/jobs/{job}/report.pdf", f"/desk/jobs/{job}/status"]


def statuses(client: httpx.Client | Any, paths: list[str], **request: Any) -> dict[str, int]:
    return {path: client.get(path, **request).status_code for path in paths}


def tenant(server: Server) -> dict[str, str]:
    return headers(server.key(f"org-{uuid.uuid4().hex[:8]}"))


def test_deleting_a_scenario_erases_it_and_every_route_refuses_its_jobs(server: Server) -> None:
    organisation = f"org-{uuid.uuid4().hex[:8]}"
    key = server.key(organisation)
    api = headers(key)
    scenario = create_scenario(server, api, MARKER)
    job = finished_check(server, api, scenario)
    desk = signed_in(server, key)
    page = desk.get(f"/desk/jobs/{job}")
    assert page.status_code == 200
    # The check's frontier sweep, drawn as the desk's button draws it: it goes with the scenario too.
    drawn = desk.post(f"/desk/jobs/{job}/frontier", data={"csrf": csrf_of(page.text)}, headers={"Origin": server.url})
    assert drawn.status_code == 303, drawn.text
    assert jobs_of(server, organisation) == 2
    api_client = httpx.Client(base_url=server.url, headers=api, timeout=60)
    assert set(statuses(api_client, job_routes(job)).values()) == {200}
    job_ids = [
        row[0]
        for row in server.sql(f"select id from jobs where organisation_id = {ORGANISATION}", organisation=organisation)
    ]

    assert api_client.delete(f"/scenarios/{scenario}").status_code == 204

    assert statuses(api_client, job_routes(job)) == dict.fromkeys(job_routes(job), 404)
    assert statuses(desk, desk_routes(job)) == dict.fromkeys(desk_routes(job), 404)
    assert api_client.get("/jobs").json()["total"] == 0, "the scenario's check or its frontier sweep is still listed"
    assert MARKER not in desk.get("/").text
    # Erased, not hidden: only the tombstone's row is left, with no name.
    assert versions_of(server, scenario) == 0
    assert jobs_of(server, organisation) == 0
    tables = server.sql(f"select count(*) from job_tables where job_id in ({', '.join(map(str, job_ids))})")
    assert tables[0][0] == 0
    assert server.sql("select name from scenarios where public_id = :id", id=scenario) == [("",)]
    assert api_client.delete(f"/scenarios/{scenario}").status_code == 404


def test_a_scenario_shared_and_run_by_another_organisation_takes_their_jobs_with_it(server: Server) -> None:
    owner_organisation, lmc_organisation = f"org-{uuid.uuid4().hex[:8]}", f"lmc-{uuid.uuid4().hex[:8]}"
    owner = headers(server.key(owner_organisation))
    lmc = headers(server.key(lmc_organisation, "negotiator"))
    scenario = create_scenario(server, owner, MARKER)
    shared = httpx.put(f"{server.url}/scenarios/{scenario}/shares/{lmc_organisation}", headers=owner)
    assert shared.status_code == 200, shared.text
    theirs = finished_check(server, lmc, scenario)

    assert httpx.delete(f"{server.url}/scenarios/{scenario}", headers=owner).status_code == 204

    assert httpx.get(f"{server.url}/jobs/{theirs}", headers=lmc).status_code == 404
    assert jobs_of(server, lmc_organisation) == jobs_of(server, owner_organisation) == 0
    assert (
        server.sql(
            f"select count(*) from shares where organisation_id = {ORGANISATION}", organisation=lmc_organisation
        )[0][0]
        == 0
    )


def test_delete_job_erases_its_result_tables_and_report(server: Server) -> None:
    api, other = tenant(server), tenant(server)
    scenario = create_scenario(server, api, MARKER)
    job, kept = finished_check(server, api, scenario), finished_check(server, api, scenario)

    assert httpx.delete(f"{server.url}/jobs/{job}", headers=other).status_code == 404
    assert httpx.get(f"{server.url}/jobs/{job}", headers=api).status_code == 200
    assert httpx.delete(f"{server.url}/jobs/{job}", headers=api).status_code == 204

    api_client = httpx.Client(base_url=server.url, headers=api, timeout=60)
    assert statuses(api_client, job_routes(job)) == dict.fromkeys(job_routes(job), 404)
    assert api_client.delete(f"/jobs/{job}").status_code == 404
    assert server.sql("select count(*) from jobs where public_id = :job", job=job)[0][0] == 0
    assert server.sql("select count(*) from job_tables where job_id not in (select id from jobs)")[0][0] == 0
    # The other check and the scenario are untouched.
    assert api_client.get(f"/jobs/{kept}").status_code == 200
    assert api_client.get(f"/scenarios/{scenario}").status_code == 200


def test_a_job_deleted_while_queued_or_running_is_cancelled_and_erased(server: Server) -> None:
    organisation = f"org-{uuid.uuid4().hex[:8]}"
    api = headers(server.key(organisation))
    scenario = create_scenario(server, api, MARKER)
    sweep = httpx.post(
        f"{server.url}/jobs",
        json={"scenario_id": scenario, "kind": "sweep", "overrides": {"budget": "0:60000:40"}},
        headers=api,
    )
    assert sweep.status_code == 202, sweep.text
    assert httpx.delete(f"{server.url}/jobs/{sweep.json()['id']}", headers=api).status_code == 204
    assert httpx.get(f"{server.url}/jobs/{sweep.json()['id']}", headers=api).status_code == 404
    # The worker that held it carries on with the next job.
    finished_check(server, api, scenario)
    assert jobs_of(server, organisation) == 1


def test_the_desk_deletes_a_check_and_a_scenario_after_a_confirmation_page(server: Server) -> None:
    key = server.key(f"org-{uuid.uuid4().hex[:8]}")
    api = headers(key)
    scenario = create_scenario(server, api, MARKER)
    job = finished_check(server, api, scenario)
    desk = signed_in(server, key)
    origin = {"Origin": server.url}

    result = desk.get(f"/desk/jobs/{job}")
    assert f'href="/desk/jobs/{job}/delete"' in result.text
    confirm = desk.get(f"/desk/jobs/{job}/delete")
    assert confirm.status_code == 200
    assert "Delete this check?" in confirm.text and "cannot be undone" in confirm.text
    # A job of another kind is named as what it is, not as a check.
    sweep = httpx.post(
        f"{server.url}/jobs",
        json={"scenario_id": scenario, "kind": "sweep", "overrides": {"budget": "20000:30000:2"}},
        headers=api,
    )
    assert sweep.status_code == 202, sweep.text
    sweep_confirm = desk.get(f"/desk/jobs/{sweep.json()['id']}/delete")
    assert "Delete this sweep job?" in sweep_confirm.text and "Delete this check?" not in sweep_confirm.text
    assert httpx.get(f"{server.url}/jobs/{job}", headers=api).status_code == 200, "viewing the page deleted it"
    # A post without the session's token is refused, as every desk form's is.
    assert desk.post(f"/desk/jobs/{job}/delete", data={"csrf": "forged"}, headers=origin).status_code == 403
    deleted = desk.post(f"/desk/jobs/{job}/delete", data={"csrf": csrf_of(confirm.text)}, headers=origin)
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/")
    assert desk.get(f"/desk/jobs/{job}").status_code == 404
    assert httpx.get(f"{server.url}/jobs/{job}", headers=api).status_code == 404

    home = desk.get("/")
    assert f'href="/desk/scenarios/{scenario}/delete"' in home.text
    confirm = desk.get(f"/desk/scenarios/{scenario}/delete")
    assert "Delete this scenario?" in confirm.text and MARKER in confirm.text
    deleted = desk.post(f"/desk/scenarios/{scenario}/delete", data={"csrf": csrf_of(confirm.text)}, headers=origin)
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/")
    assert httpx.get(f"{server.url}/scenarios/{scenario}", headers=api).status_code == 404
    assert MARKER not in desk.get("/").text
    assert versions_of(server, scenario) == 0


def test_purge_erases_what_was_only_hidden_and_what_is_past_retention(server: Server) -> None:
    key = server.key(f"org-{uuid.uuid4().hex[:8]}")
    api = headers(key)
    hidden = create_scenario(server, api, "hidden by an earlier version")
    hidden_job = finished_check(server, api, hidden)
    old = create_scenario(server, api, "unused for 40 days")
    old_job = finished_check(server, api, old)
    recent = create_scenario(server, api, "in use")
    recent_job = finished_check(server, api, recent)
    # As the service before this one deleted: the scenario hidden, its content and jobs kept.
    server.sql("update scenarios set deleted_at = current_timestamp where public_id = :id", id=hidden)
    server.sql(
        "update scenario_versions set created_at = :when where scenario_id ="
        " (select id from scenarios where public_id = :id)",
        when="2020-01-01 00:00:00",
        id=old,
    )
    server.sql(
        "update jobs set created_at = :when, finished_at = :when where public_id = :id",
        when="2020-01-01 00:00:00",
        id=old_job,
    )
    desk = signed_in(server, key)
    api_client = httpx.Client(base_url=server.url, headers=api, timeout=60)
    # Hidden, it is not found on any route even before the purge.
    assert statuses(api_client, job_routes(hidden_job)) == dict.fromkeys(job_routes(hidden_job), 404)
    assert statuses(desk, desk_routes(hidden_job)) == dict.fromkeys(desk_routes(hidden_job), 404)

    no_retention = server.command("purge")
    assert no_retention.returncode == 0, no_retention.stderr
    assert "erased 1 scenario and 1 job (no retention period set)" in no_retention.stderr
    assert api_client.get(f"/jobs/{old_job}").status_code == 200

    purged = server.command("purge", "--older-than-days", "30")
    assert purged.returncode == 0, purged.stderr
    assert "erased 1 scenario and 1 job (kept for 30 days)" in purged.stderr
    assert api_client.get(f"/scenarios/{old}").status_code == 404
    assert api_client.get(f"/jobs/{old_job}").status_code == 404
    assert api_client.get(f"/jobs/{recent_job}").status_code == 200
    assert [versions_of(server, scenario) for scenario in (hidden, old, recent)] == [0, 0, 1]
    refused = server.command("purge", "--older-than-days", "0")
    assert refused.returncode == 2


@pytest.fixture
def erasure_schema() -> Iterator[str]:
    with postgres_schema("erasure") as schema:
        yield schema


@pytest.mark.postgres
def test_a_job_submitted_while_its_scenario_is_erased_is_erased_too(
    monkeypatch: pytest.MonkeyPatch, erasure_schema: str
) -> None:
    """PostgreSQL lets a job be stored after the erasure listed the scenario's jobs (a submit that
    found the scenario just before it was hidden): its version cannot go until that job does, and
    the erasure takes it on its next attempt instead of failing."""
    database_url = schema_url(erasure_schema)
    upgrade_database(database_url)
    engine, late_engine = create_db_engine(database_url), create_db_engine(database_url)
    try:
        sessions = create_session_factory(engine)
        settings = Settings(database_url=database_url)
        with sessions() as session:
            organisation = crud.get_or_create_organisation(session, "owner")
            _key, token = crud.create_key(session, organisation, Role.COMMISSIONER, None)
            principal = crud.authenticate(session, token)
            assert principal is not None
            accepted = accept_document(read_document(REPO / "data" / "tiny"), settings)
            scenario = crud.create_scenario(session, principal, MARKER, accepted, None).scenario
            version_id = scenario.versions[0].id
        listed = crud._erase_jobs

        def erase_then_a_late_job_arrives(session: Any, which: Any) -> int:
            erased = listed(session, which)
            if not late_jobs:
                with create_session_factory(late_engine)() as late:
                    late_job = Job(
                        organisation_id=principal.organisation_id,
                        scenario_version_id=version_id,
                        kind="check",
                        overrides={},
                        status=JobStatus.QUEUED,
                        request_sha256="0" * 64,
                    )
                    late.add(late_job)
                    late.commit()
                    late_jobs.append(late_job.id)
            return erased

        late_jobs: list[int] = []
        monkeypatch.setattr(crud, "_erase_jobs", erase_then_a_late_job_arrives)
        with sessions() as session:
            crud.delete_scenario(session, principal, scenario.public_id)
            assert late_jobs, "the late job was not stored"
            assert session.scalar(select(func.count()).select_from(Job)) == 0
            assert session.scalar(select(func.count()).select_from(ScenarioVersion)) == 0
    finally:
        engine.dispose()
        late_engine.dispose()
