"""The FastAPI application: `create_app(settings)`."""

from __future__ import annotations

import gc
import logging
import re
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, get_args

import anyio.to_thread
from fastapi import FastAPI, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from prometheus_client import Counter
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import configure_mappers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import offline_docs, web
from api.db import (
    READINESS_POOL,
    ServiceUnusable,
    create_db_engine,
    create_session_factory,
    service_settings,
    upgrade_database,
)
from api.documents import UPLOADS_BUSY_RETRY_AFTER_S, DocumentSlots, UploadsBusy
from api.errors import Conflict, Forbidden, NotFound
from api.ids import PUBLIC_ID_PATTERN, old_numeric_id_kind
from api.logs import configure_logging, request_id_var
from api.metrics import create_registry
from api.middleware import (
    BodySizeLimitMiddleware,
    DocumentAdmissionMiddleware,
    LivenessMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    docs_page_policy,
)
from api.routes import health, imports, jobs, keys, reports, scenarios
from api.schemas import PLAIN_TEXT_PATTERN, MessageResponse, Overrides, ProblemsResponse
from api.settings import Settings
from api.web import session as desk_session
from api.web.pages import page as desk_page
from api.web.pages import unexpected_error_page
from api.worker import WorkerPool
from models.scenario import ScenarioInvalid
from models.schema import shown
from optimiser.deliverability import wording
from optimiser.deliverability.wording import (
    SERVICE_UNAVAILABLE_TITLE,
    database_unavailable_sentence,
    unexpected_error_sentence,
)
from optimiser.io import ReadCancelled
from optimiser.runs import unknown_override_message

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"
SERVER_THREADS = 16
DESCRIPTION = """\
Submit primary-care commissioning scenarios, run solves, deliverability checks and sweeps
as durable jobs, and download their results. Every endpoint but `/healthz` and `/readyz`
needs an API key, sent as `X-API-Key: KEY` or `Authorization: Bearer KEY`.
"""

ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": MessageResponse, "description": "No valid API key."},
    403: {"model": MessageResponse, "description": "Your role may not do this."},
    404: {"model": MessageResponse, "description": "Not found, or not visible to your organisation."},
    409: {"model": MessageResponse, "description": "Conflicts with the resource's current state."},
    408: {"model": MessageResponse, "description": "The request body did not arrive in time."},
    413: {"model": MessageResponse, "description": "The request body is too large."},
    422: {"model": ProblemsResponse, "description": "Invalid input, by table, row and column."},
    500: {"model": MessageResponse, "description": "An unexpected failure, logged with the request id it names."},
    503: {
        "model": MessageResponse,
        "description": "The database is unreachable or full, or the service is reading its most documents at once:"
        " try again after Retry-After seconds.",
    },
}


def create_app(settings: Settings | None = None) -> FastAPI:
    if settings is None:  # called by an ASGI server: `uvicorn api.main:create_app --factory`
        try:
            settings = service_settings()
        except ServiceUnusable as error:
            # As `commission serve` says it: one line and exit 2, before the server listens.
            print(f"error: {error}", file=sys.stderr)
            raise SystemExit(2) from None
    configure_logging(settings.log_level)
    engine = create_db_engine(settings.database_url)
    readiness_engine = create_db_engine(settings.database_url, READINESS_POOL)
    sessions = create_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Few server threads: they share one interpreter lock with the event loop, which
        # must stay free to answer /healthz and to run waiting requests.
        anyio.to_thread.current_default_thread_limiter().total_tokens = SERVER_THREADS
        if settings.migrate_on_start:
            await run_in_threadpool(upgrade_database, settings.database_url)
        # FastAPI builds each router's dependencies and models when a request first reaches
        # it: 0.1 s of the event loop per router, stalling every waiting request and /healthz
        # as the first requests arrive. Building the OpenAPI schema builds them all now, and
        # the ORM's mappers are configured before the first query rather than during it.
        await run_in_threadpool(_app.openapi)
        await run_in_threadpool(configure_mappers)
        # The interpreter's full garbage collections walk every object, hold the interpreter
        # lock and so stop the event loop: with the service's libraries loaded that is 0.1 s
        # on an idle machine and was 0.45 s (with /healthz waiting on it) on a loaded one.
        # What exists now lives as long as the process: leave it out of every collection.
        gc.collect()
        gc.freeze()
        workers: WorkerPool = _app.state.workers
        workers.start()
        try:
            yield
        finally:
            await run_in_threadpool(workers.stop)
            engine.dispose()
            readiness_engine.dispose()
            gc.unfreeze()  # an app stopped in a longer-lived process (tests) can be collected

    app = FastAPI(
        title="Primary-care commissioning API",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served from the package by offline_docs.install, not from a CDN
        redoc_url=None,
    )
    offline_docs.install(app)
    app.state.settings = settings
    app.state.engine = engine
    app.state.readiness_engine = readiness_engine
    app.state.sessions = sessions
    app.state.workers = WorkerPool(settings)  # started with the app (lifespan); /readyz and /metrics count them
    app.state.registry = create_registry(sessions, app.state.workers)
    app.state.abandoned_reads = Counter(
        "commission_uploads_abandoned",
        "Uploads and scenario documents whose reading stopped because the client disconnected.",
        registry=app.state.registry,
    )

    app.add_middleware(UnexpectedErrorMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware, max_bytes=settings.max_request_bytes, read_timeout_s=settings.body_read_timeout_s
    )
    # Outside the body's buffer, so the memory given back after a document includes it.
    app.add_middleware(DocumentAdmissionMiddleware, slots=DocumentSlots(settings.max_concurrent_uploads))
    app.add_middleware(LivenessMiddleware)
    app.add_middleware(SecurityHeadersMiddleware, policies=_docs_policies(app))
    app.add_middleware(RequestContextMiddleware)
    _add_error_handlers(app)

    # No key, but a query parameter these operations do not take is refused as on every other.
    app.include_router(health.router, responses={422: ERROR_RESPONSES[422]})
    for router in (scenarios.router, jobs.router, keys.router, imports.router, reports.router):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(web.router)
    return app


def _docs_policies(app: FastAPI) -> dict[str, str]:
    """The Content-Security-Policy of ``/docs`` and ``/redoc``, which allows their inline start-up
    script by its hash (the pages are the same on every request)."""
    return {
        route.path: docs_page_policy(bytes(route.endpoint().body))
        for route in app.routes
        if isinstance(route, APIRoute) and route.path in (offline_docs.DOCS_URL, offline_docs.REDOC_URL)
    }


# Seconds a client is asked to wait (Retry-After) when the database cannot serve its request.
DATABASE_RETRY_AFTER_S = 10
# SQLite reports these mistakes of the code's own SQL as OperationalError too: bugs, not outages.
_SQLITE_BUG = re.compile(r"no such (table|column|function)|syntax error")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot serve requests now (unreachable, its connection
    lost, full, read-only, locked, or no connection free in the pool) rather than a bug."""
    if isinstance(error, PoolTimeout) or (isinstance(error, DBAPIError) and error.connection_invalidated):
        return True
    return isinstance(error, OperationalError) and not _SQLITE_BUG.search(str(error.orig))


class UnexpectedErrorMiddleware:
    """The catch-all: an exception no handler answers (a bug) is logged with its traceback and the
    request id, and answered 500 in the API's error shape (``{"detail": ...}``), or as the desk's
    error page on a desk page, in plain words with the request id and no trace.

    A database that cannot serve the request (``database_unavailable``), or a document refused
    because the service is reading its most at once (``UploadsBusy``), is an outage rather than a
    bug: 503 with Retry-After, logged as a WARNING without a traceback.

    A middleware inside ``RequestContextMiddleware`` rather than an ``Exception`` handler: Starlette
    runs that handler outermost, after the request id is gone and without the X-Request-ID header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except UploadsBusy as busy:
            if started:
                raise
            await _unavailable_response(scope, str(busy), UPLOADS_BUSY_RETRY_AFTER_S)(scope, receive, send)
        except Exception as error:
            if database_unavailable(error):
                logger.warning(
                    "database unavailable answering %s %s: %s",
                    scope.get("method"),
                    scope.get("path"),
                    _first_line(error),
                    extra={"method": scope.get("method"), "path": scope.get("path"), "error": type(error).__name__},
                )
                if started:
                    raise
                message = database_unavailable_sentence(DATABASE_RETRY_AFTER_S, request_id_var.get())
                await _unavailable_response(scope, message, DATABASE_RETRY_AFTER_S)(scope, receive, send)
                return
            logger.exception(
                "unexpected failure answering %s %s",
                scope.get("method"),
                scope.get("path"),
                extra={"method": scope.get("method"), "path": scope.get("path")},
            )
            if started:  # part of an answer is sent: nothing sensible can follow it
                raise
            await _unexpected_error_response(scope)(scope, receive, send)


def _unexpected_error_response(scope: Scope) -> Response:
    request_id = request_id_var.get()
    message = unexpected_error_sentence(request_id)
    route = scope.get("route")
    if getattr(route, "path", None) in _DESK_PATHS:
        return unexpected_error_page(Request(scope), message)
    return JSONResponse({"detail": message}, status_code=500)


def _unavailable_response(scope: Scope, message: str, retry_after_s: int) -> Response:
    headers = {"Retry-After": str(retry_after_s)}
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    if getattr(scope.get("route"), "path", None) in _DESK_PATHS:
        request = Request(scope)
        signed_in = desk_session.read(request) is not None  # from the cookie alone, as a 500's page
        context = {"title": SERVICE_UNAVAILABLE_TITLE, "message": message, "signed_in": signed_in}
        response = desk_page(request, "error.html", None, status_code, **context)
        response.headers.update(headers)
        return response
    return JSONResponse({"detail": message}, status_code=status_code, headers=headers)


def _first_line(error: BaseException) -> str:
    """The driver's own first line ("connection refused", "database or disk is full"): not
    SQLAlchemy's, which quotes the statement and its parameters."""
    reason = getattr(error, "orig", None) or error
    return str(reason).strip().splitlines()[0] if str(reason).strip() else type(reason).__name__


_DESK_PATHS = frozenset(getattr(route, "path", None) for route in web.router.routes)


def _add_error_handlers(app: FastAPI) -> None:
    def message(status_code: int) -> Any:
        def handle(_request: Request, error: Exception) -> JSONResponse:
            return JSONResponse({"detail": str(error)}, status_code=status_code)

        return handle

    app.add_exception_handler(NotFound, message(404))
    app.add_exception_handler(Forbidden, message(403))
    app.add_exception_handler(Conflict, message(409))
    app.add_exception_handler(ScenarioInvalid, _invalid_scenario)
    app.add_exception_handler(ReadCancelled, _client_gone)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def _invalid_scenario(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ScenarioInvalid)
    problems = [problem.as_dict() for problem in error.problems]
    return JSONResponse({"detail": problems}, status_code=422)


CLIENT_CLOSED_REQUEST = 499  # nginx's status for a request its client abandoned; nobody reads it


def _client_gone(request: Request, _error: Exception) -> Response:
    """The client disconnected while its upload was being read: the reading stopped and
    nothing was stored."""
    request.app.state.abandoned_reads.inc()
    logger.warning(
        "upload abandoned: the client disconnected before it was read; nothing was stored",
        extra={"method": request.method, "path": request.url.path},
    )
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def _http_error(request: Request, error: Exception) -> Response:
    """FastAPI answers 400 to a body it cannot parse; report that as the 422 it is."""
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == status.HTTP_400_BAD_REQUEST:
        problem = {"table": "request", "row": None, "column": "body", "message": str(error.detail)}
        return JSONResponse({"detail": [problem]}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return await http_exception_handler(request, error)


# A request-validation message from pydantic's custom validators starts so; the rest is ours.
_VALUE_ERROR_PREFIX = "Value error, "
_ID_EXAMPLE = "0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e"
_ID_FAILURES = {"string_pattern_mismatch", "string_too_short", "string_too_long"}


def _invalid_request(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    unknown = _unknown_id_in_path(error)
    if unknown is not None:
        return JSONResponse({"detail": unknown}, status_code=status.HTTP_404_NOT_FOUND)
    body_model = _body_model(request)
    problems = [
        {
            "table": "request",
            "row": None,
            "column": ".".join(str(part) for part in item.get("loc", ())),
            "message": _request_message(item, body_model),
        }
        for item in error.errors()
    ]
    return JSONResponse({"detail": problems}, status_code=422)


def _body_model(request: Request) -> type[BaseModel] | None:
    """The model of the route's JSON body (``JobIn``, ``KeyIn``), if it has one."""
    body_field = getattr(request.scope.get("route"), "body_field", None)
    annotation = body_field.field_info.annotation if body_field is not None else None
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _model_at(model: type[BaseModel] | None, path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model of the object at ``path`` inside a body of ``model`` (``("overrides",)``: ``Overrides``)."""
    for step in path:
        field = model.model_fields.get(str(step)) if model is not None else None
        if field is None:
            return None
        candidates = (field.annotation, *get_args(field.annotation))
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    return model


def _request_message(item: Any, body_model: type[BaseModel] | None) -> str:
    names_an_id = (
        str(item.get("loc", ("",))[-1]).endswith("_id") or (item.get("ctx") or {}).get("pattern") == PUBLIC_ID_PATTERN
    )
    if item.get("type") in _ID_FAILURES and names_an_id:
        return f"must be an id such as {_ID_EXAMPLE} (got {shown(item.get('input'))})"
    location = tuple(item.get("loc", ()))
    if item.get("type") == "extra_forbidden":
        return _unknown_field_message(location, body_model)
    if item.get("type") == "string_pattern_mismatch" and (item.get("ctx") or {}).get("pattern") == PLAIN_TEXT_PATTERN:
        return f"must not contain control characters such as NUL or newline (got {shown(item.get('input'))})"
    in_products_words = _CHECK_MESSAGES.get(str(item.get("type")))
    if in_products_words is not None:
        return f"{in_products_words(item.get('ctx') or {})} (got {shown(item.get('input'))})"
    if item.get("type") == "missing":
        return "is required"
    return str(item.get("msg", "invalid")).removeprefix(_VALUE_ERROR_PREFIX)


def _unknown_field_message(location: tuple[Any, ...], body_model: type[BaseModel] | None) -> str:
    """A field the body's model does not have, named with the fields it has, as a batch
    manifest names an unknown field; an unknown override in the words of the CLI and batches."""
    name, model = location[-1], _model_at(body_model, location[1:-1])
    if model is Overrides:
        return f"{name}: {unknown_override_message(Overrides.model_fields)}"
    known = f" (known: {', '.join(model.model_fields)})" if model is not None else ""
    return f"unknown field {shown(name)}{known}"


def _bound(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a bound of a float parameter, such as ?wait='s 0, reads "0", not "0.0"
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


# A parameter's or field's failed check, in the product's words rather than pydantic's ("Input
# should be less than or equal to 100"): what the value must be, from the check's own bounds.
_CHECK_MESSAGES: dict[str, Any] = {
    "greater_than_equal": lambda ctx: f"must be at least {_bound(ctx.get('ge'))}",  # as a scenario's bounds read
    "greater_than": lambda ctx: f"must be more than {_bound(ctx.get('gt'))}",
    "less_than_equal": lambda ctx: f"must be at most {_bound(ctx.get('le'))}",
    "less_than": lambda ctx: f"must be less than {_bound(ctx.get('lt'))}",
    "int_parsing": lambda _ctx: "must be a whole number",
    "int_from_float": lambda _ctx: "must be a whole number",
    "int_type": lambda _ctx: "must be a whole number",
    "float_parsing": lambda _ctx: "must be a number",
    "float_type": lambda _ctx: "must be a number",
    "finite_number": lambda _ctx: "must be a number",  # nan, inf
    "model_attributes_type": lambda _ctx: "must be an object",  # a body or its overrides given as [] or text
    "model_type": lambda _ctx: "must be an object",
    "dict_type": lambda _ctx: "must be an object",
    "list_type": lambda _ctx: "must be a list",
    "bool_parsing": lambda _ctx: "must be true or false",
    "bool_type": lambda _ctx: "must be true or false",
    "enum": lambda ctx: f"must be one of {ctx.get('expected')}",
    "literal_error": lambda ctx: f"must be one of {ctx.get('expected')}",
    "string_too_short": lambda ctx: (
        "must not be empty"
        if ctx.get("min_length") == 1
        else f"must be at least {_bound(ctx.get('min_length'))} characters"
    ),
    "string_too_long": lambda ctx: f"must be at most {_bound(ctx.get('max_length'))} characters",
    "string_type": lambda _ctx: "must be text",
}


def _unknown_id_in_path(error: RequestValidationError) -> str | None:
    """The 404 message ("job … not found") when the path names a job, scenario or key by a
    well-formed UUID that is not one of ours (every public id is version 7): like any unknown
    id, a 404 (api.md)."""
    items = error.errors()
    if len(items) != 1 or items[0].get("type") not in _ID_FAILURES:
        return None
    location, given = tuple(items[0].get("loc", ())), items[0].get("input")
    if len(location) != 2 or location[0] != "path" or not str(location[1]).endswith("_id"):
        return None
    old_kind = old_numeric_id_kind(str(location[1]), str(given))
    if old_kind is not None:
        # A link or a stored id from before migration 0002 (/jobs/17): say where the new id is.
        return wording.old_numeric_id(old_kind, str(given))
    try:
        well_formed = str(uuid.UUID(str(given))) == str(given).lower()  # any case: ids are hexadecimal
    except ValueError:
        well_formed = False
    return f"{str(location[1]).removesuffix('_id')} {given} not found" if well_formed else None
