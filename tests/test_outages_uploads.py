"""Audit 13 #3: no more than COMMISSION_MAX_CONCURRENT_UPLOADS scenario documents are read and
validated at once; a request past the limit is 503 with Retry-After and a plain message, on the
API and the desk alike, and the slot is given back however the request ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.documents import UPLOADS_BUSY_RETRY_AFTER_S
from api.main import create_app
from api.orm import Role
from optimiser.deliverability.wording import uploads_busy_sentence
from tests.api.helpers import Service, example_document, service_settings

LIMIT = 2


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    folder = tmp_path_factory.mktemp("uploads")
    settings = service_settings(f"sqlite:///{folder / 'api.db'}", workers=0, max_concurrent_uploads=LIMIT)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=settings)


@pytest.fixture
def slots_taken(service: Service) -> Iterator[None]:
    """Every slot held, as by LIMIT uploads being read at this moment."""
    app: Any = service.client.app
    slots = next(middleware.kwargs["slots"] for middleware in app.user_middleware if "slots" in middleware.kwargs)
    for _ in range(LIMIT):
        assert slots.take()
    try:
        yield
    finally:
        for _ in range(LIMIT):
            slots.give_back()


def document_upload() -> dict:
    return {"file": ("scenario.json", json.dumps(example_document()).encode(), "application/json")}


def test_a_document_past_the_limit_is_503_with_retry_after(service: Service, slots_taken: None) -> None:
    key = service.tenant(Role.COMMISSIONER)
    for response in (
        service.client.post("/scenarios", json=example_document(), headers=key),
        service.client.post("/scenarios/upload", files=document_upload(), headers=key),
    ):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"] == str(UPLOADS_BUSY_RETRY_AFTER_S)
        assert response.json() == {"detail": uploads_busy_sentence(LIMIT, UPLOADS_BUSY_RETRY_AFTER_S)}
    assert service.client.get("/scenarios", headers=key).json()["total"] == 0  # nothing stored
    # Requests that read no document are not limited.
    assert service.client.get("/scenarios", headers=key).status_code == 200


def test_the_desk_says_so_on_its_page(service: Service, slots_taken: None) -> None:
    key = service.tenant(Role.COMMISSIONER)["X-API-Key"]
    client = service.client
    origin = {"Origin": "http://testserver"}
    assert (
        client.post("/desk/sign-in", data={"api_key": key}, headers=origin, follow_redirects=False).status_code == 303
    )
    form = client.get("/desk/check")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    response = client.post(
        "/desk/check", data={"csrf": csrf, "source": "upload"}, files=document_upload(), headers=origin
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(UPLOADS_BUSY_RETRY_AFTER_S)
    assert "The service is unavailable just now" in response.text
    assert "the most it reads at once" in response.text
    client.cookies.clear()


def test_slots_are_given_back_whatever_the_answer(service: Service) -> None:
    """More requests than slots, one after another: refused (422), accepted (201), too large
    (413): each gives its slot back, so the next is served."""
    key = service.tenant(Role.COMMISSIONER)
    bad = example_document()
    bad["practices"][0]["list_size"] = -1
    for _ in range(LIMIT + 1):
        assert service.client.post("/scenarios", json=bad, headers=key).status_code == 422
        assert service.client.post("/scenarios", json=example_document(), headers=key).status_code in (200, 201)
        assert service.client.post("/scenarios", content=b"x" * 300_000, headers=key).status_code == 413
    assert service.client.post("/scenarios/upload", files=document_upload(), headers=key).status_code == 201


def test_the_limit_holds_for_real_concurrent_uploads(tmp_path: Path) -> None:
    """With one slot and uploads sent at once, each is stored (201) or refused 503; never a 500."""
    import concurrent.futures

    settings = service_settings(
        f"sqlite:///{tmp_path / 'api.db'}",
        workers=0,
        max_concurrent_uploads=1,
        max_request_bytes=1_000_000,
        max_table_rows=10_000,
    )
    document = (Path(__file__).resolve().parents[1] / "data" / "example_icb.json").read_bytes()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        key = Service(client=client, settings=settings).tenant(Role.COMMISSIONER)
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda _: client.post("/scenarios", content=document, headers=key), range(6)))
        codes = sorted(response.status_code for response in answers)
        assert set(codes) <= {201, 503}, codes
        assert codes.count(201) >= 1
        assert client.get("/scenarios", headers=key).json()["total"] == codes.count(201)
