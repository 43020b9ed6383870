"""Health endpoints do not depend on what a loaded service runs short of: `/healthz` needs
no server thread and no database connection, and `/readyz` has a connection and a thread
of its own, so a full pool or a busy thread pool is not reported as a dead database."""

from __future__ import annotations

import gc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio.to_thread
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from api.db import upgrade_database
from api.main import create_app
from api.settings import Settings

ANSWER_WITHIN_S = 10


def test_health_needs_neither_the_pool_nor_the_server_threads(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade_database(url)
    app = create_app(Settings(database_url=url, workers=0, migrate_on_start=False))
    # The requests' pool, with its only connection taken.
    exhausted = create_engine(
        url, pool_size=1, max_overflow=0, pool_timeout=0.1, connect_args={"check_same_thread": False}
    )
    held = exhausted.connect()
    with TestClient(app) as client, ThreadPoolExecutor(2) as pool:
        app.state.engine.dispose()
        app.state.engine = exhausted
        assert client.portal is not None
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        borrowers = [object() for _ in range(int(limiter.total_tokens))]
        for borrower in borrowers:  # every server thread busy
            client.portal.call(limiter.acquire_on_behalf_of_nowait, borrower)
        try:
            health = pool.submit(client.get, "/healthz")
            ready = pool.submit(client.get, "/readyz")
            assert health.result(timeout=ANSWER_WITHIN_S).json() == {"status": "ok"}
            readiness = ready.result(timeout=ANSWER_WITHIN_S)
            assert readiness.status_code == 200, readiness.text
        finally:
            for borrower in borrowers:
                client.portal.call(limiter.release_on_behalf_of, borrower)
    held.close()
    exhausted.dispose()


def test_the_startup_heap_is_left_out_of_garbage_collections_while_serving(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'api.db'}"
    upgrade_database(url)
    before = gc.get_freeze_count()
    app = create_app(Settings(database_url=url, workers=0, migrate_on_start=False))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        # Full collections no longer walk the libraries, routes and models loaded at startup.
        assert gc.get_freeze_count() > max(before, 100_000)
    assert gc.get_freeze_count() == 0
