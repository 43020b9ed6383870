"""Fixtures for the API tests: a running app per database backend, organisations and keys.

Every test runs against SQLite and, where it is reachable, PostgreSQL
(`COMMISSION_TEST_POSTGRES_URL`, default postgresql+psycopg://postgres@127.0.0.1:5432/test),
each in a fresh schema dropped at the end of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from api.db import create_db_engine, create_session_factory, upgrade_database
from api.main import create_app
from api.orm import Role
from tests.api.helpers import Service, service_settings
from tests.servers import BACKENDS, POSTGRES_URL, drop_schema, new_schema, postgres_reachable, schema_url


@pytest.fixture(scope="session")
def new_postgres_url() -> Iterator[Callable[[], str]]:
    """Makes URLs of fresh schemas on the PostgreSQL server, all dropped afterwards."""
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL is unreachable at {POSTGRES_URL}")
    schemas: list[str] = []

    def new_url() -> str:
        schemas.append(new_schema("api_test"))
        return schema_url(schemas[-1])

    try:
        yield new_url
    finally:
        for schema in schemas:
            drop_schema(schema)


def database_url(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "postgres":
        new_postgres_url: Callable[[], str] = request.getfixturevalue("new_postgres_url")
        return new_postgres_url()
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'api.db'}"


@pytest.fixture(scope="session", params=BACKENDS)
def service(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The app with two workers, on each database backend."""
    settings = service_settings(database_url(request, request.param, tmp_path_factory))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


@pytest.fixture(params=BACKENDS)
def migrated_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh, migrated database (no app, no workers) on each backend."""
    url = database_url(request, request.param, tmp_path_factory)
    upgrade_database(url)
    return url


@pytest.fixture
def sessions(migrated_database: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh, migrated database (no app, no workers): for the job queue's own tests."""
    engine = create_db_engine(migrated_database)
    yield create_session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(service: Service) -> TestClient:
    return service.client


@pytest.fixture
def commissioner(service: Service) -> dict[str, str]:
    return service.tenant(Role.COMMISSIONER)
