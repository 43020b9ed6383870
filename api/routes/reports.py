"""Reports: the printable PDF of a check, and two results side by side (issue 12)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import JSONResponse

from api import crud
from api.deps import JobId, PrincipalDep, SessionDep, SettingsDep
from api.errors import Conflict
from api.ids import PUBLIC_ID_PATTERN
from api.orm import JobKind
from api.routes import JsonBodyRoute
from api.routes.jobs import XLSX_MEDIA_TYPE, job_out, require_result
from api.schemas import JobOut, MessageResponse
from api.serialise import csv_bytes, json_safe, xlsx_bytes
from api.web.results import comparison, draw_frontier, report_bytes
from optimiser.report.render import ReportUnavailable

router = APIRouter(prefix="/reports", tags=["reports"], route_class=JsonBodyRoute)

OtherJob = Annotated[
    str,
    Query(
        min_length=36,
        max_length=36,
        pattern=PUBLIC_ID_PATTERN,
        description="A finished check or solve job's id (succeeded, or failed with no answer in time).",
    ),
]


class CompareFormat(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"


@router.get(
    "/jobs/{job_id}.pdf",
    summary="The printable PDF report of a finished check (a check with no answer in time too)",
    description="Reading the report submits nothing. Its frontier chart comes from the check's frontier "
    "sweep, drawn on request (`POST /reports/jobs/{job_id}/frontier`, or the desk's button): without one "
    "the PDF says how to draw it, while it runs the PDF says it is being drawn.",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        409: {
            "model": MessageResponse,
            "description": "The job is not a check, or has not finished with a result (queued, running, "
            "cancelled, or failed without one: an invalid scenario, a run that died).",
        },
    },
)
def check_report(job_id: JobId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep) -> Response:
    job = crud.get_job(session, principal, job_id)
    if job.kind != JobKind.CHECK:
        raise Conflict(f"job {job_id} is a {job.kind}: only a check has a PDF report")
    # A check that failed with no answer in time still has its NO ANSWER report, as the CLI writes it.
    require_result(job, job_id, "PDF report")
    try:
        pdf, filename = report_bytes(session, principal, job_id, settings)
    except ReportUnavailable as error:
        return JSONResponse({"detail": str(error)}, status_code=503)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@router.post(
    "/jobs/{job_id}/frontier",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Draw a check's budget frontier: submit its frontier sweep (once)",
    description="Submits the sweep job whose points the check's frontier chart draws (a budget sweep; an "
    "offer-rate sweep for a check per weighted patient), under the caller's key, with the idempotency key "
    "`desk-frontier-<check id>`: 202 with the new sweep job, 200 with the one already submitted (by this "
    "route or the desk's *Draw the budget frontier* button). The PDF report and the desk's result page "
    "draw the chart once it has succeeded; reading them never submits it.",
    responses={
        200: {"model": JobOut, "description": "The check's frontier sweep was already submitted: that job."},
        403: {"model": MessageResponse, "description": "The key's role may not run sweeps (or read jobs)."},
        409: {
            "model": MessageResponse,
            "description": "The job is not a check, or has not finished with an answer: queued, running, "
            "cancelled, failed without a result, or with no answer in time (no least budget to draw a "
            "frontier around).",
        },
    },
)
def draw_check_frontier(
    job_id: JobId, response: Response, session: SessionDep, principal: PrincipalDep, settings: SettingsDep
) -> JobOut:
    sweep, submitted = draw_frontier(session, principal, job_id, settings)
    response.headers["Location"] = f"/jobs/{sweep.public_id}"
    if not submitted:
        response.status_code = status.HTTP_200_OK
    return job_out(sweep)


@router.get(
    "/compare",
    summary="Two checks or solves side by side (JSON, CSV or XLSX)",
    response_model=None,
    responses={
        200: {
            "content": {
                "application/json": {},
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def compare(
    a: OtherJob,
    b: OtherJob,
    session: SessionDep,
    principal: PrincipalDep,
    format: CompareFormat = CompareFormat.JSON,
) -> Any:
    result = comparison(session, principal, a, b)
    frame = result.frame()
    headers = {"Content-Disposition": f'attachment; filename="compare-{a}-{b}.{format}"'}
    if format == CompareFormat.CSV:
        return Response(csv_bytes(frame), media_type="text/csv", headers=headers)
    if format == CompareFormat.XLSX:
        return Response(xlsx_bytes({"comparison": frame}), media_type=XLSX_MEDIA_TYPE, headers=headers)
    return json_safe(result.document())
