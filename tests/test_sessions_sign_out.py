"""Audit 12 #3: signing out of the desk ends the session on the server, and an unused session
ends after COMMISSION_DESK_IDLE_TIMEOUT_S. A real server (`commission serve`, the installed
script) on SQLite and on PostgreSQL (a schema of its own), driven over HTTP as a browser does.

The fixtures here (a server, keys, a scenario) serve tests/test_sessions_erasure.py too.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from optimiser.io import read_document
from tests.servers import BACKENDS, Server, running_server

REPO = Path(__file__).resolve().parents[1]
IDLE_TIMEOUT_S = 3.0


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server per backend for the module: each test is an organisation of its own on it."""
    directory = tmp_path_factory.mktemp("sessions")
    yield from running_server(request.param, directory, COMMISSION_DESK_IDLE_TIMEOUT_S=str(IDLE_TIMEOUT_S))


# The id of the organisation named :organisation, for counting one test's rows on a shared server.
ORGANISATION = "(select id from organisations where name = :organisation)"


def desk_sessions_of(server: Server, organisation: str) -> int:
    return int(
        server.sql(
            "select count(*) from desk_sessions where key_id in"
            f" (select id from api_keys where organisation_id = {ORGANISATION})",
            organisation=organisation,
        )[0][0]
    )


def create_scenario(server: Server, api: dict[str, str], name: str) -> str:
    """The tiny hand-solved scenario, stored under ``name``; its public id."""
    response = httpx.post(
        f"{server.url}/scenarios", params={"name": name}, json=read_document(REPO / "data" / "tiny"), headers=api
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def signed_in(server: Server, key: str) -> httpx.Client:
    """A browser of its own, signed in to the desk with ``key``."""
    browser = httpx.Client(base_url=server.url, timeout=60)
    response = browser.post("/desk/sign-in", data={"api_key": key}, headers={"Origin": server.url})
    assert response.status_code == 303, response.text
    assert "desk_session" in browser.cookies
    return browser


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def is_signed_in(server: Server, cookie: str) -> bool:
    """Whether the home page, asked for with only this cookie, is a signed-in page."""
    page = httpx.get(f"{server.url}/", cookies={"desk_session": cookie}, timeout=60)
    assert page.status_code == 200
    return "Signed in for" in page.text


def test_a_copied_cookie_is_refused_after_sign_out(server: Server) -> None:
    organisation = f"org-{uuid.uuid4().hex[:8]}"
    key = server.key(organisation)
    api = {"Authorization": f"Bearer {key}"}
    scenario = create_scenario(server, api, "tiny")
    browser = signed_in(server, key)
    other_browser = signed_in(server, key)  # the same key, signed in elsewhere
    copied = browser.cookies["desk_session"]
    home = browser.get("/")
    assert "Signed in for" in home.text
    csrf = csrf_of(home.text)

    signed_out = browser.post("/desk/sign-out", data={"csrf": csrf}, headers={"Origin": server.url})
    assert signed_out.status_code == 303

    # The copy of the cookie, with its CSRF token, no longer reads or changes anything.
    assert not is_signed_in(server, copied)
    for path in ("/desk/check", "/desk/compare"):
        page = httpx.get(f"{server.url}{path}", cookies={"desk_session": copied}, follow_redirects=False)
        assert (page.status_code, page.headers.get("location")) == (303, "/"), path
    submitted = httpx.post(
        f"{server.url}/desk/check",
        cookies={"desk_session": copied},
        headers={"Origin": server.url},
        data={"csrf": csrf, "source": "stored", "scenario": scenario, "offer_kind": "pooled", "offer_amount": "25000"},
        follow_redirects=False,
    )
    assert (submitted.status_code, submitted.headers.get("location")) == (303, "/")
    assert httpx.get(f"{server.url}/jobs", headers=api).json()["total"] == 0, "a job was submitted after sign-out"
    # Only that session ended: the key's other session is still signed in.
    assert "Signed in for" in other_browser.get("/").text
    assert desk_sessions_of(server, organisation) == 1


def test_an_unused_session_ends_after_the_idle_timeout(server: Server) -> None:
    organisation = f"org-{uuid.uuid4().hex[:8]}"
    key = server.key(organisation)
    cookie = signed_in(server, key).cookies["desk_session"]
    # Used more often than the timeout, it stays open for longer than the timeout.
    used_since = time.monotonic()
    while time.monotonic() - used_since < 2 * IDLE_TIMEOUT_S:
        assert is_signed_in(server, cookie)
        time.sleep(IDLE_TIMEOUT_S / 3)
    time.sleep(IDLE_TIMEOUT_S + 1)
    assert not is_signed_in(server, cookie)
    page = httpx.get(f"{server.url}/desk/check", cookies={"desk_session": cookie}, follow_redirects=False)
    assert (page.status_code, page.headers.get("location")) == (303, "/")
    assert desk_sessions_of(server, organisation) == 0, "the ended session's row was kept"
