"""Audit 9, A10: `/docs` and `/redoc` ask no other server for anything, in Chromium against a real
`commission serve` whose every request off the local machine is aborted and recorded. (ReDoc's
"API docs by Redocly" badge asked Redocly's CDN for its logo once the page had drawn itself.)"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.conftest import BROWSER
from tests.web.test_browser import Server, browser, page, start_server  # noqa: F401 (fixtures)

pytestmark = [BROWSER]

LOCAL = {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("docs-offline"), workers=0)


@pytest.mark.parametrize(
    ("path", "drawn"),
    [
        ("/redoc", "text=API docs by Redocly"),  # the badge: drawn last, and its logo asked for after it
        ("/docs", ".opblock"),  # Swagger UI's list of operations
    ],
)
def test_the_api_docs_pages_ask_no_other_server_for_anything(
    page: Any,  # noqa: F811 (the fixture imported above)
    server: Server,
    path: str,
    drawn: str,
) -> None:
    external: list[str] = []

    def route(request_route: Any) -> None:
        if urlsplit(request_route.request.url).hostname in LOCAL:
            request_route.continue_()
        else:
            external.append(request_route.request.url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(server.url + path)
    page.locator(drawn).first.wait_for()
    page.wait_for_load_state("networkidle")
    assert external == []
