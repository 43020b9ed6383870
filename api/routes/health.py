"""Liveness, readiness and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.db import database_is_reachable
from api.deps import PrincipalDep
from api.schemas import MessageResponse, ReadinessOut

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=ReadinessOut, summary="The process is alive")
def healthz() -> ReadinessOut:
    return ReadinessOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    summary="The database is reachable",
    responses={503: {"model": ReadinessOut, "description": "The database is unreachable."}},
)
def readyz(request: Request) -> Response:
    if database_is_reachable(request.app.state.engine):
        return JSONResponse({"status": "ok"})
    return JSONResponse({"status": "unavailable"}, status_code=503)


@router.get(
    "/metrics",
    summary="Prometheus metrics: jobs by status, queue depth, job durations",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}},
        401: {"model": MessageResponse},
    },
)
def metrics(request: Request, _principal: PrincipalDep) -> Response:
    return Response(generate_latest(request.app.state.registry), media_type=CONTENT_TYPE_LATEST)
