"""``/docs`` and ``/redoc`` work offline: their pages and every asset they load come from the
app itself (files shipped in the package), with no URL that leaves the server."""

from __future__ import annotations

import fnmatch
import re
import tomllib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.offline_docs import STATIC_DIR
from api.settings import Settings

REPO = Path(__file__).resolve().parents[1]
EXTERNAL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    database = tmp_path_factory.mktemp("docs") / "docs.db"
    app = create_app(Settings(database_url=f"sqlite:///{database}", workers=0, log_level="WARNING"))
    return TestClient(app)  # no lifespan: the pages need neither the database nor the workers


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_page_and_everything_it_loads_come_from_the_app(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    assert EXTERNAL.findall(html) == [], "the page names a URL on another server"
    parser = Assets()
    parser.feed(html)
    scripts_and_styles = [url for url in parser.urls if url.endswith((".js", ".css"))]
    assert scripts_and_styles, "expected the page to load its script (and styles) from the app"
    for url in parser.urls:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 100, url
    assert "/openapi.json" in html and client.get("/openapi.json").status_code == 200


def test_the_oauth2_redirect_page_is_served(client: TestClient) -> None:
    response = client.get("/docs/oauth2-redirect")
    assert response.status_code == 200 and EXTERNAL.findall(response.text) == []


def test_the_assets_are_package_data() -> None:
    """Every vendored file matches a package-data pattern, so a non-editable install ships it."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["api"]
    files = [p.relative_to(STATIC_DIR.parent).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file()]
    assert any(name.endswith("swagger-ui-bundle.js") for name in files)
    assert any(name.endswith("redoc.standalone.js") for name in files)
    unshipped = [name for name in files if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]
    assert unshipped == []
