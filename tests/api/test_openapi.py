"""Schemathesis against the OpenAPI document: no input gives a 5xx, and every response
matches its documented status, media type and schema."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import crud
from api.main import create_app
from api.orm import Role
from tests.api.helpers import create_scenario, service_settings

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 15

# The app without workers (jobs stay queued), on a database of its own.
DATABASE = Path(tempfile.mkdtemp(prefix="commission-openapi-")) / "openapi.db"
APP = create_app(service_settings(f"sqlite:///{DATABASE}", workers=0, max_wait_s=0.2))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
def api_key() -> dict[str, str]:
    """A commissioner key whose organisation has scenarios, so that some generated ids exist."""
    with TestClient(APP) as client, APP.state.sessions() as session:
        organisation = crud.get_or_create_organisation(session, "openapi")
        _key, token = crud.create_key(session, organisation, Role.COMMISSIONER, None)
        headers = {"X-API-Key": token}
        for _ in range(3):
            create_scenario(client, headers)
    return headers


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_honours_its_openapi_document(case: schemathesis.Case, api_key: dict[str, str]) -> None:
    case.call_and_validate(headers=api_key, checks=CHECKS)
