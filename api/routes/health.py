"""Liveness, readiness and metrics."""

from __future__ import annotations

import hmac
from typing import Annotated

import anyio
from fastapi import APIRouter, Request, Response, Security
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.db import database_problem
from api.routes import JsonBodyRoute
from api.schemas import MessageResponse, ReadinessOut
from api.worker import WorkerPool

metrics_token = HTTPBearer(
    auto_error=False, scheme_name="MetricsToken", description="The operators' COMMISSION_METRICS_TOKEN."
)

router = APIRouter(tags=["operations"], route_class=JsonBodyRoute)


@router.get("/healthz", response_model=ReadinessOut, summary="The process is alive")
async def healthz() -> ReadinessOut:
    # Answered before routing by api.middleware.LivenessMiddleware, with this same answer:
    # on the event loop, with no server thread and no database connection.
    return ReadinessOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    summary="The database can be written and, if the service runs job workers, one is alive",
    responses={503: {"model": ReadinessOut, "description": "Not ready: `detail` says why."}},
)
async def readyz(request: Request) -> Response:
    state = request.app.state
    problems = []
    workers: WorkerPool = state.workers
    if workers.configured and not workers.alive():
        problems.append(f"no job worker is alive (COMMISSION_WORKERS is {workers.configured})")
    # Its own connection (app.state.readiness_engine) and its own thread, so a busy pool or
    # a full thread pool is not mistaken for an unreachable database.
    if getattr(state, "readiness_limiter", None) is None:
        state.readiness_limiter = anyio.CapacityLimiter(1)
    database = await anyio.to_thread.run_sync(
        database_problem,
        state.readiness_engine,
        state.settings.max_request_bytes,
        limiter=state.readiness_limiter,
    )
    if database:
        problems.append(database)
    if problems:
        return JSONResponse({"status": "unavailable", "detail": "; ".join(problems)}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics: jobs by status, queue depth, job durations",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        401: {"model": MessageResponse},
        404: {"model": MessageResponse},
    },
)
def metrics(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(metrics_token)]
) -> Response:
    """For operators only: every organisation's jobs are counted, so the figures are served
    only to the bearer of `COMMISSION_METRICS_TOKEN` (and not at all without one)."""
    expected = request.app.state.settings.metrics_token
    if not expected:
        return JSONResponse({"detail": "metrics are not enabled (set COMMISSION_METRICS_TOKEN)"}, status_code=404)
    given = credentials.credentials if credentials else ""
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return JSONResponse(
            {"detail": "the operators' metrics token is required (Authorization: Bearer TOKEN)"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
