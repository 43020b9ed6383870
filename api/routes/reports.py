"""Reports: the printable PDF of a check, and two results side by side (issue 12)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from api import crud
from api.deps import JobId, PrincipalDep, SessionDep, SettingsDep
from api.errors import Conflict
from api.ids import PUBLIC_ID_PATTERN
from api.orm import JobKind
from api.routes import JsonBodyRoute
from api.routes.jobs import XLSX_MEDIA_TYPE, require_result
from api.schemas import MessageResponse
from api.serialise import csv_bytes, json_safe, xlsx_bytes
from api.web.results import comparison, report_bytes
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
        pdf, filename = report_bytes(session, principal, job_id, settings, draw=True)
    except ReportUnavailable as error:
        return JSONResponse({"detail": str(error)}, status_code=503)
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


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
