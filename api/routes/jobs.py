"""Jobs: solves, checks and sweeps of a scenario version, run by the workers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api import crud
from api.deps import IdempotencyKey, JobId, Limit, Offset, PrincipalDep, SessionDep, SettingsDep
from api.orm import FINISHED_STATUSES, Job, JobStatus
from api.schemas import MAX_ID, JobIn, JobOut, JobSummary, Page, TableSummary
from api.serialise import csv_bytes, stored_to_frame, xlsx_bytes

router = APIRouter(prefix="/jobs", tags=["jobs"])

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WaitQuery = Annotated[
    float,
    Query(ge=0, le=3600, description="Hold the request up to this many seconds (capped) for the job to finish."),
]


class TableFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def job_summary(job: Job) -> JobSummary:
    return JobSummary(
        id=job.id,
        kind=job.kind,
        status=job.status,
        scenario_id=job.version.scenario_id,
        version=job.version.number,
        overrides=job.overrides,
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        duration_s=job.duration_s,
        error=job.error,
    )


def job_out(job: Job) -> JobOut:
    return JobOut(
        **job_summary(job).model_dump(),
        result=job.result,
        tables=[TableSummary(name=table.name, columns=table.columns, rows=table.row_count) for table in job.tables],
    )


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Run a solve, check or sweep of a scenario version",
    responses={200: {"model": JobOut, "description": "The job finished within `wait`."}},
)
def submit_job(
    body: JobIn,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    wait: WaitQuery = 0,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    job = crud.submit_job(session, principal, body, idempotency_key, settings)
    job = crud.wait_for_job(session, job, min(wait, settings.max_wait_s))
    response.headers["Location"] = f"/jobs/{job.id}"
    if job.status in FINISHED_STATUSES:
        response.status_code = status.HTTP_200_OK
    return job_out(job)


@router.get("", summary="List your organisation's jobs, newest first")
def list_jobs(
    session: SessionDep,
    principal: PrincipalDep,
    offset: Offset = 0,
    limit: Limit = 20,
    status: JobStatus | None = None,
    scenario_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Page[JobSummary]:
    jobs, total = crud.list_jobs(session, principal, offset, limit, status, scenario_id)
    return Page(items=[job_summary(job) for job in jobs], total=total, offset=offset, limit=limit)


@router.get("/{job_id}", summary="A job's status and, once finished, its result")
def get_job(
    job_id: JobId, session: SessionDep, principal: PrincipalDep, settings: SettingsDep, wait: WaitQuery = 0
) -> JobOut:
    job = crud.wait_for_job(session, crud.get_job(session, principal, job_id), min(wait, settings.max_wait_s))
    return job_out(job)


@router.post("/{job_id}/cancel", summary="Cancel a queued or running job")
def cancel_job(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> JobOut:
    return job_out(crud.cancel_job(session, principal, job_id))


@router.get(
    "/{job_id}/tables/{name}",
    summary="Download one result table as CSV or XLSX",
    response_class=Response,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            }
        }
    },
)
def download_table(
    job_id: JobId, name: str, session: SessionDep, principal: PrincipalDep, format: TableFormat = TableFormat.CSV
) -> Response:
    table = crud.get_job_table(session, principal, job_id, name)
    frame = stored_to_frame(table.columns, table.rows)
    filename = f"job-{job_id}-{table.name}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == TableFormat.XLSX:
        return Response(xlsx_bytes({table.name: frame}), media_type=XLSX_MEDIA_TYPE, headers=headers)
    return Response(csv_bytes(frame), media_type="text/csv", headers=headers)


@router.get(
    "/{job_id}/workbook",
    summary="Download every result table as one XLSX workbook",
    response_class=Response,
    responses={200: {"content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}}},
)
def download_workbook(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> Response:
    job = crud.get_job(session, principal, job_id)
    frames = {table.name: stored_to_frame(table.columns, table.rows) for table in job.tables}
    return Response(
        xlsx_bytes(frames),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="job-{job_id}.xlsx"'},
    )
