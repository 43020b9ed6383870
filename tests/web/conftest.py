"""Fixtures for the desk: canned results of real runs, an in-process app without workers
(route and template tests), and organisations, keys and signed-in clients."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from api import crud
from api.documents import accept_document
from api.main import create_app
from api.orm import Job, JobKind, JobStatus, JobTable, Role, utc_now
from api.schemas import JobIn, Overrides
from api.serialise import frame_to_stored, json_safe
from api.settings import Settings
from optimiser.io import read_document
from optimiser.runs import JobOutcome, run_job

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "data" / "tiny"
ARTEFACTS = Path(__file__).parent / "artefacts"


def tiny_document(**settings: Any) -> dict[str, Any]:
    document = copy.deepcopy(read_document(TINY))
    document["settings"].update(settings)
    return document


@pytest.fixture(scope="session")
def runs() -> dict[str, JobOutcome]:
    """Results of real runs on the hand-solved tiny scenario: deliverable at £50,000,
    not deliverable at £20,000 (pooled) and at £3.10 per weighted patient, and the sweep."""
    short = tiny_document(budget_gbp=20000)
    return {
        "deliverable": run_job("check", tiny_document()),
        "undeliverable": run_job("check", short),
        "per_practice": run_job("check", short, {"offer_rate_gbp_per_weighted_patient": 3.1}),
        "sweep": run_job("sweep", short, {"budget": "0:50000:6"}),
        "solve": run_job("solve", tiny_document()),
    }


@dataclass
class Desk:
    client: TestClient

    def key(self, organisation: str, role: Role | str) -> str:
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            org = crud.get_or_create_organisation(session, organisation)
            _key, token = crud.create_key(session, org, Role(role), None)
        return token

    def signed_in(self, token: str) -> TestClient:
        """A new client (own cookie jar) signed in with `token`."""
        client = TestClient(self.client.app, raise_server_exceptions=False, base_url="http://testserver")
        response = client.post("/desk/sign-in", data={"api_key": token}, follow_redirects=False)
        assert response.status_code == 303, response.text
        return client

    def principal(self, token: str) -> Any:
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            return crud.authenticate(session, token)

    def scenario(self, token: str, document: dict[str, Any] | None = None, name: str = "tiny") -> str:
        settings: Settings = self.client.app.state.settings  # type: ignore[attr-defined]
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            accepted = accept_document(document or tiny_document(budget_gbp=20000), settings)
            view = crud.create_scenario(session, self.principal(token), name, accepted, None)
            return view.scenario.public_id

    def job(
        self,
        token: str,
        scenario_id: str,
        state: JobStatus,
        outcome: JobOutcome | None = None,
        kind: JobKind = JobKind.CHECK,
        overrides: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> str:
        """A job put straight into `state` (no worker runs in this app)."""
        settings: Settings = self.client.app.state.settings  # type: ignore[attr-defined]
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            request = JobIn(scenario_id=scenario_id, kind=kind, overrides=Overrides(**(overrides or {})))
            job = crud.submit_job(session, self.principal(token), request, None, settings)
            values: dict[str, Any] = {"status": state}
            if state != JobStatus.QUEUED:
                values.update(started_at=utc_now(), attempts=1)
            if state in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED):
                values.update(finished_at=utc_now(), duration_s=1.25, error=error)
            if outcome is not None:
                values["result"] = json_safe(outcome.result)
            session.execute(update(Job).where(Job.id == job.id).values(**values))
            for position, (name, frame) in enumerate((outcome.tables if outcome else {}).items()):
                columns, rows = frame_to_stored(frame)
                session.add(
                    JobTable(
                        job_id=job.id, name=name, position=position, columns=columns, row_count=len(rows), rows=rows
                    )
                )
            session.commit()
            return job.public_id


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The app with no workers: jobs stay in whatever state a test puts them."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path_factory.mktemp('desk') / 'desk.db'}",
        workers=0,
        max_request_bytes=300_000,
        max_sweep_points=11,
        log_level="WARNING",
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Desk(client)


def tenant() -> str:
    return f"org-{uuid.uuid4().hex[:8]}"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)
