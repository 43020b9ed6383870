"""Fixtures for the API tests: a running app per database backend, organisations and keys.

Every test runs against SQLite and, where it is reachable, PostgreSQL
(`COMMISSION_TEST_POSTGRES_URL`, default postgresql+psycopg://postgres@127.0.0.1:5432/test),
each in a fresh schema dropped at the end of the session.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from api.db import create_db_engine, create_session_factory, upgrade_database
from api.main import create_app
from api.orm import Role
from tests.api.helpers import Service, service_settings

POSTGRES_URL = os.environ.get("COMMISSION_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def postgres_reachable() -> bool:
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    finally:
        engine.dispose()
    return True


@pytest.fixture(scope="session")
def new_postgres_url() -> Iterator[Callable[[], str]]:
    """Makes URLs of fresh schemas on the PostgreSQL server, all dropped afterwards."""
    if not postgres_reachable():
        pytest.skip(f"PostgreSQL is unreachable at {POSTGRES_URL}")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    schemas: list[str] = []

    def new_url() -> str:
        schema = f"api_test_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    try:
        yield new_url
    finally:
        with admin.connect() as connection:
            for schema in schemas:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
