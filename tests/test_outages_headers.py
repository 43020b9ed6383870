"""Audit 12 #2: Strict-Transport-Security only on a request that came over HTTPS (a proxy in
front that uvicorn trusts sets the scheme); the other security headers on every response."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.main import create_app
from tests.api.helpers import service_settings


def test_hsts_is_sent_over_https_only(tmp_path: Path) -> None:
    app = create_app(service_settings(f"sqlite:///{tmp_path / 'api.db'}", workers=0))
    with TestClient(app, base_url="https://testserver") as secure, TestClient(app) as plain:
        over_https = secure.get("/healthz")
        over_http = plain.get("/healthz")
    assert over_https.headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in over_http.headers
    for response in (over_https, over_http):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
