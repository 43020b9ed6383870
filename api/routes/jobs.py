"""Jobs: solves, checks and sweeps of a scenario version, run by the workers."""

from __future__ import annotations

import asyncio
import time
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from api import crud
from api.deps import IdempotencyKey, JobId, Limit, Offset, PrincipalDep, SessionDep, SettingsDep
from api.errors import Conflict
from api.ids import PUBLIC_ID_PATTERN
from api.orm import FINISHED_STATUSES, Job, JobKind, JobStatus
from api.routes import JsonBodyRoute
from api.schemas import AnyCaseId, JobIn, JobOut, JobSummary, MessageResponse, Page, TableSummary
from api.security import Principal
from api.serialise import stored_to_frame
from api.settings import Settings
from optimiser.io import result_csv_bytes, result_workbook_bytes
from optimiser.sweep import named_now, stored_table_name, table_named_now

router = APIRouter(prefix="/jobs", tags=["jobs"], route_class=JsonBodyRoute)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ScenarioIdFilter = Annotated[
    str | None, Query(min_length=36, max_length=36, pattern=PUBLIC_ID_PATTERN, description="Only its jobs."), AnyCaseId
]
# A longer wait than COMMISSION_MAX_WAIT_S is cut to it (docs/api.md), so it has no upper bound here.
WaitQuery = Annotated[
    float,
    Query(
        ge=0,
        allow_inf_nan=False,
        description="Hold the request up to this many seconds for the job to finish; "
        "a longer wait than the service's COMMISSION_MAX_WAIT_S (30 s by default) is cut to it.",
    ),
]


class TableFormat(StrEnum):
    CSV = "csv"
    XLSX = "xlsx"


def job_summary(job: Job) -> JobSummary:
    return JobSummary(
        id=job.public_id,
        kind=job.kind,
        status=job.status,
        scenario_id=job.version.scenario.public_id,
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
        # A job stored by an older version is read under today's names (an offer-rate sweep's table).
        result=named_now(job.result),
        tables=[
            TableSummary(name=table_named_now(job.result, table.name), columns=table.columns, rows=table.row_count)
            for table in job.tables
        ],
    )


# A waiting request sleeps on the event loop and looks at its job in short read
# transactions, first often, then at most every MAX_POLL_INTERVAL_S: it holds neither a
# database connection nor a server thread while it waits.
FIRST_POLL_INTERVAL_S = 0.2
MAX_POLL_INTERVAL_S = 1.0


async def wait_until_finished(request: Request, engine: Engine, job_id: str, wait_s: float) -> bool:
    """Wait up to `wait_s` for the job to finish; False at the deadline or if the client left."""
    deadline = time.monotonic() + wait_s
    interval = FIRST_POLL_INTERVAL_S
    while (remaining := deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(interval, remaining))
        interval = min(interval * 2, MAX_POLL_INTERVAL_S)
        if await request.is_disconnected():
            return False
        if await run_in_threadpool(crud.job_is_finished, engine, job_id):
            return True
    return False


def _job_out(sessions: sessionmaker[Session], principal: Principal, job_id: str) -> JobOut:
    """The job as it is now: a read, so a status poll answers while another process writes."""
    with sessions() as session:
        crud.begin_read(session)
        out = job_out(crud.get_job(session, principal, job_id))
        session.rollback()
    return out


def _submit(
    sessions: sessionmaker[Session], principal: Principal, body: JobIn, key: str | None, settings: Settings
) -> JobOut:
    with sessions() as session:
        out = job_out(crud.submit_job(session, principal, body, key, settings))
        session.commit()
    return out


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Run a solve, check or sweep of a scenario version",
    responses={200: {"model": JobOut, "description": "The job finished within `wait`."}},
)
async def submit_job(
    body: JobIn,
    request: Request,
    response: Response,
    principal: PrincipalDep,
    settings: SettingsDep,
    wait: WaitQuery = 0,
    idempotency_key: IdempotencyKey = None,
) -> JobOut:
    sessions = request.app.state.sessions
    job = await run_in_threadpool(_submit, sessions, principal, body, idempotency_key, settings)
    if job.status not in FINISHED_STATUSES and wait > 0:
        # Re-read whether or not it finished: a job still running by now is shown running, not queued.
        await wait_until_finished(request, request.app.state.engine, job.id, min(wait, settings.max_wait_s))
        job = await run_in_threadpool(_job_out, sessions, principal, job.id)
    response.headers["Location"] = f"/jobs/{job.id}"
    if job.status in FINISHED_STATUSES:
        response.status_code = status.HTTP_200_OK
    return job


@router.get("", summary="List your organisation's jobs, newest first")
def list_jobs(
    session: SessionDep,
    principal: PrincipalDep,
    offset: Offset = 0,
    limit: Limit = 20,
    status: JobStatus | None = None,
    scenario_id: ScenarioIdFilter = None,
    kind: JobKind | None = None,
) -> Page[JobSummary]:
    jobs, total = crud.list_jobs(session, principal, offset, limit, status, scenario_id, kind)
    return Page(items=[job_summary(job) for job in jobs], total=total, offset=offset, limit=limit)


@router.get("/{job_id}", summary="A job's status and, once finished, its result")
async def get_job(
    job_id: JobId, request: Request, principal: PrincipalDep, settings: SettingsDep, wait: WaitQuery = 0
) -> JobOut:
    sessions = request.app.state.sessions
    job = await run_in_threadpool(_job_out, sessions, principal, job_id)
    if job.status not in FINISHED_STATUSES and wait > 0:
        # As for a submit: the job as it is at the end of the wait, finished or not.
        await wait_until_finished(request, request.app.state.engine, job_id, min(wait, settings.max_wait_s))
        job = await run_in_threadpool(_job_out, sessions, principal, job_id)
    return job


@router.post(
    "/{job_id}/cancel",
    summary="Cancel a queued or running job",
    description="A job already cancelled is returned as it is, so a repeated cancel is safe; "
    "a job that succeeded or failed is 409.",
)
def cancel_job(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> JobOut:
    return job_out(crud.cancel_job(session, principal, job_id))


@router.delete(
    "/{job_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Erase a job: its result, its tables and its report",
    description="A queued or running job is cancelled first, then erased. A check's frontier sweep "
    "(drawn for its chart on request: the desk's button or `POST /reports/jobs/{job_id}/frontier`) "
    "is erased with it. Another organisation's job, or one "
    "already erased, is 404.",
)
def delete_job(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> None:
    crud.delete_job(session, principal, job_id)


# What each download of a job's result is called: (its ... is/are, has ...). The PDF report is
# a check's (api/routes/reports.py); the same words refuse every one of them until the job has a result.
RESULT_DOWNLOADS = {
    "workbook": ("its workbook is", "a workbook"),
    "tables": ("its tables are", "result tables"),
    "PDF report": ("its PDF report is", "a PDF report"),
}
NO_RESULT_YET = {
    "model": MessageResponse,
    "description": "The job has not finished with a result: queued, running, cancelled, or failed "
    "without one (an invalid scenario, a run that died). A job that failed with no answer in time has one.",
}


def require_result(job: Job, job_id: str, download: str) -> None:
    """409 unless the job's run ended with a result (``Job.ran``: it succeeded, or failed with no
    answer in time and keeps what it found). Until then it has no tables, and a download would be
    an empty workbook that reads as a finished job that found nothing (audit 8)."""
    if job.ran:
        return
    ready, has = RESULT_DOWNLOADS[download]
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise Conflict(f"{job.kind} {job_id} is {job.status}: {ready} ready once it finishes")
    raise Conflict(
        f"{job.kind} {job_id} is {job.status}: only a job that finished with a result "
        f"(succeeded, or failed with no answer in time) has {has}"
    )


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
        },
        409: NO_RESULT_YET,
    },
)
def download_table(
    job_id: JobId, name: str, session: SessionDep, principal: PrincipalDep, format: TableFormat = TableFormat.CSV
) -> Response:
    job = crud.get_job(session, principal, job_id)
    require_result(job, job_id, "tables")
    table = crud.get_job_table(session, principal, job_id, stored_table_name(job.result, name))
    frame = stored_to_frame(table.columns, table.rows)
    named = table_named_now(job.result, table.name)
    filename = f"job-{job_id}-{named}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == TableFormat.XLSX:
        return Response(result_workbook_bytes({named: frame}), media_type=XLSX_MEDIA_TYPE, headers=headers)
    return Response(result_csv_bytes(frame), media_type="text/csv", headers=headers)


@router.get(
    "/{job_id}/workbook",
    summary="Download every result table as one XLSX workbook",
    response_class=Response,
    responses={
        200: {"content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
        409: NO_RESULT_YET,
    },
)
def download_workbook(job_id: JobId, session: SessionDep, principal: PrincipalDep) -> Response:
    job = crud.get_job(session, principal, job_id)
    require_result(job, job_id, "workbook")
    frames = {table_named_now(job.result, t.name): stored_to_frame(t.columns, t.rows) for t in job.tables}
    return Response(
        result_workbook_bytes(frames, named_now(job.result)),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="job-{job_id}.xlsx"'},
    )
