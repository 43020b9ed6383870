"""Helpers for the API tests."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api import crud
from api.main import create_app
from api.orm import Role
from api.schemas import EXAMPLE_DOCUMENT
from api.settings import Settings


def example_document(**settings: Any) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE_DOCUMENT)
    document["settings"].update(settings)
    return document


METRICS_TOKEN = "operators-metrics-token-for-tests"
OPERATOR = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def service_settings(database_url: str, **changes: Any) -> Settings:
    """Settings for a test app: small limits so tests of the limits stay small."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "workers": 2,
        "job_lease_s": 3.0,
        "job_poll_interval_s": 0.1,
        "job_time_limit_s": 60.0,
        "max_request_bytes": 200_000,
        "max_table_rows": 100,
        "max_time_limit_s": 120.0,
        "max_sweep_points": 5,
        "max_wait_s": 60.0,
        "log_level": "WARNING",
        "metrics_token": METRICS_TOKEN,
    }
    return Settings(**{**values, **changes})


@dataclass
class Service:
    """A running app (with its workers) and a way to make organisations and keys in it."""

    client: TestClient
    settings: Settings

    def key(self, organisation: str, role: Role | str) -> dict[str, str]:
        with self.client.app.state.sessions() as session:  # type: ignore[attr-defined]
            org = crud.get_or_create_organisation(session, organisation)
            _key, token = crud.create_key(session, org, Role(role), None)
        return {"X-API-Key": token}

    def tenant(self, role: Role | str = Role.COMMISSIONER) -> dict[str, str]:
        """A key for a new organisation of its own."""
        return self.key(f"org-{uuid.uuid4().hex[:10]}", role)


def sqlite_service(directory: Path) -> Iterator[Service]:
    """The app with its workers on a SQLite database in ``directory``, as tests/api/conftest.py starts
    it: for a module-scoped fixture of a test outside tests/api."""
    settings = service_settings(f"sqlite:///{directory / 'api.db'}")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


def create_scenario(client: TestClient, headers: dict[str, str], document: dict[str, Any] | None = None) -> str:
    response = client.post("/scenarios", json=document or example_document(), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def run_job(
    client: TestClient, headers: dict[str, str], scenario_id: str, kind: str = "solve", **body: Any
) -> dict[str, Any]:
    """Submit a job and wait for it to finish (a few minutes at most, for a busy machine)."""
    response = client.post("/jobs?wait=60", json={"scenario_id": scenario_id, "kind": kind, **body}, headers=headers)
    for _ in range(3):
        if response.status_code != 202:
            break
        response = client.get(f"/jobs/{response.json()['id']}?wait=60", headers=headers)
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    assert job["status"] in ("succeeded", "failed", "cancelled"), job
    return job


TINY = Path(__file__).resolve().parents[2] / "data" / "tiny"
