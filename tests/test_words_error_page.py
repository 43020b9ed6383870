"""The desk's page for an unexpected failure (HTTP 500) has the navigation of its other error pages:
a signed-in user gets back home, to the check page and to the comparison from it. Before, the 500
page had only the brand link and "Back to your scenarios and checks" (no desk navigation)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.deps import get_session
from api.orm import Role
from optimiser.deliverability import wording
from tests.api.helpers import Service, sqlite_service

NAVIGATION = ('<a href="/">', '<a href="/desk/check"', '<a href="/desk/compare"')


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from sqlite_service(tmp_path_factory.mktemp("words-error-page"))


def broken_session() -> Iterator[None]:
    raise RuntimeError("the database is unreachable")
    yield  # pragma: no cover - a generator dependency, as get_session is


def navigation(html: str) -> list[str]:
    nav = html.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0] if '<nav aria-label="Main">' in html else ""
    return [link for link in NAVIGATION if link in nav]


def test_the_500_page_has_the_desks_navigation_for_a_signed_in_user(service: Service) -> None:
    key = service.key("org-words-500", Role.NEGOTIATOR)["X-API-Key"]
    desk = TestClient(service.client.app, raise_server_exceptions=False, base_url="http://testserver")
    assert desk.post("/desk/sign-in", data={"api_key": key}, follow_redirects=False).status_code == 303
    not_found = desk.get("/desk/jobs/0000000000000000000000000A")
    assert not_found.status_code == 404 and navigation(not_found.text) == list(NAVIGATION)
    service.client.app.dependency_overrides[get_session] = broken_session  # type: ignore[attr-defined]
    try:
        failed = desk.get("/desk/check")
    finally:
        service.client.app.dependency_overrides.pop(get_session)  # type: ignore[attr-defined]
    assert failed.status_code == 500
    assert f"<h1>{wording.UNEXPECTED_ERROR_TITLE}</h1>" in failed.text
    assert navigation(failed.text) == list(NAVIGATION)  # the same links as the 404 page's
    assert '<a href="/">' + wording.TEMPLATE_WORDS["back_home"] + "</a>" in failed.text
    assert "the database is unreachable" not in failed.text and "Traceback" not in failed.text


def test_the_500_page_shows_no_navigation_to_a_browser_that_is_not_signed_in(service: Service) -> None:
    """Who is signed in is read from the session cookie; without one, the page links home only."""
    browser = TestClient(service.client.app, raise_server_exceptions=False, base_url="http://testserver")
    service.client.app.dependency_overrides[get_session] = broken_session  # type: ignore[attr-defined]
    try:
        failed = browser.get("/desk/check")
    finally:
        service.client.app.dependency_overrides.pop(get_session)  # type: ignore[attr-defined]
    assert failed.status_code == 500
    assert navigation(failed.text) == []
    assert '<a href="/">' + wording.TEMPLATE_WORDS["back_home"] + "</a>" in failed.text
