"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from files in the package, not a CDN.

FastAPI's own pages load their JavaScript, CSS, favicon and fonts from the internet, so they
are blank on a machine (or an NHS network) without it. ``install(app)`` serves the vendored
copies in ``api/static/`` (package data, present in any install) under ``/static/docs``.
Create the app with ``docs_url=None, redoc_url=None`` and call ``install(app)``.

ReDoc's bundle also draws an "API docs by Redocly" badge whose logo it loads from Redocly's CDN,
with no option to turn it off: the bundle is served with that address emptied, so the browser
fetches nothing and the bundle leaves the logo out, as it does when the CDN cannot be reached.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_URL = "/static/docs"
DOCS_URL = "/docs"
REDOC_URL = "/redoc"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
REDOC_JS = "redoc/redoc.standalone.js"
REDOC_CDN_LOGO = b'src:"https://cdn.redoc.ly/redoc/logo-mini.svg"'


def install(app: FastAPI) -> None:
    """Add ``/docs``, ``/docs/oauth2-redirect`` and ``/redoc``, and the assets they load."""
    redoc_js = (STATIC_DIR / REDOC_JS).read_bytes().replace(REDOC_CDN_LOGO, b'src:""')

    @app.get(f"{STATIC_URL}/{REDOC_JS}", include_in_schema=False)  # before the mount, so it answers first
    def redoc_bundle() -> Response:
        return Response(redoc_js, media_type="text/javascript")

    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="docs-static")
    openapi_url = app.openapi_url or "/openapi.json"
    favicon = f"{STATIC_URL}/swagger-ui/favicon-32x32.png"

    @app.get(DOCS_URL, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{STATIC_URL}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_URL}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=favicon,
        )

    @app.get(OAUTH2_REDIRECT_URL, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{STATIC_URL}/{REDOC_JS}",
            redoc_favicon_url=favicon,
            with_google_fonts=False,
        )
