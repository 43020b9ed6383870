"""What the desk pages and the report routes read from storage, always through `api.crud`
(so organisations and roles apply exactly as in the API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import crud
from api.errors import Conflict, Forbidden, NotFound
from api.orm import FINISHED_STATUSES, Job, JobKind, ScenarioVersion
from api.schemas import JobIn, Overrides
from api.security import Permission, Principal
from api.serialise import stored_to_frame
from api.settings import Settings
from models.scenario import ScenarioInvalid
from optimiser.deliverability import wording
from optimiser.io import rounded_for_output
from optimiser.report.chart import FRONTIER_POINTS, Frontier, frontier, frontier_offer, sweep_range
from optimiser.report.compare import Comparison, Side, compare
from optimiser.report.view import CheckView, check_view, scenario_sources
from optimiser.runs import money_range_override

FRONTIER_KEY = crud.FRONTIER_KEY


@dataclass
class CheckPage:
    job: Job
    view: CheckView | None
    frontier: Frontier | None
    frontier_job: Job | None
    frontier_note: str | None
    documents: dict[str, Any]


def scenario_name(job: Job) -> str:
    return job.version.scenario.name


def when(job: Job) -> str | None:
    stamp = job.finished_at or job.created_at
    return stamp.strftime("%d %b %Y %H:%M UTC") if stamp else None


def frontier_job(session: Session, principal: Principal, job: Job) -> Job | None:
    """The budget sweep the desk ran for this check, if any (found by its idempotency key)."""
    found = session.scalar(
        select(Job).where(
            Job.organisation_id == principal.organisation_id,
            Job.idempotency_key == FRONTIER_KEY.format(job_id=job.public_id),
        )
    )
    return found


def ensure_frontier(
    session: Session, principal: Principal, job: Job, settings: Settings
) -> tuple[Job | None, str | None]:
    """The check's frontier sweep, submitting it (a real sweep job) the first time the result
    is viewed; or why there is none."""
    existing = frontier_job(session, principal, job)
    if existing is not None:
        return existing, None
    result = job.result or {}
    if result.get("deliverable") is None:
        # No answer in time: no least budget to mark, and the sweep would only take a worker.
        return None, wording.NO_FRONTIER_NO_ANSWER
    if not principal.can(Permission.RUN_SWEEPS):
        return None, wording.frontier_not_permitted_sentence(principal.role)
    document = session.scalar(select(ScenarioVersion.document).where(ScenarioVersion.id == job.scenario_version_id))
    offer = frontier_offer(result, job.overrides, (document or {}).get("settings") or {})
    points = min(FRONTIER_POINTS, settings.max_sweep_points)
    budget_range = sweep_range(result, points, offer)
    if budget_range is None or points < 2:
        return None, wording.NO_FRONTIER_RANGE
    overrides = {
        k: v
        for k, v in job.overrides.items()
        if k in ("offer_rate_gbp_per_weighted_patient", "budget_gbp", "standards_fraction", "time_limit_s")
    }
    # Over what the check was offered: pooled budgets, or offer rates for a per-practice check.
    overrides[money_range_override(result.get("budget_mode"))] = budget_range
    request = JobIn(
        scenario_id=job.version.scenario.public_id,
        version=job.version.number,
        kind=JobKind.SWEEP,
        overrides=Overrides(**overrides),
    )
    try:
        sweep = crud.submit_job(session, principal, request, FRONTIER_KEY.format(job_id=job.public_id), settings)
    except (ScenarioInvalid, Forbidden, Conflict) as error:
        session.rollback()
        return None, wording.no_frontier_submitted(str(error))
    return sweep, None


def check_page(session: Session, principal: Principal, job_id: str, settings: Settings, draw: bool = True) -> CheckPage:
    """A job as the result page shows it (404 for another organisation's job)."""
    job = crud.get_job(session, principal, job_id)
    documents: dict[str, Any] = {"result": job.result or {}, "job": {"duration_s": job.duration_s}}
    if not job.ran or job.kind != JobKind.CHECK or not job.result:
        return CheckPage(job, None, None, None, None, documents)
    version_document = session.scalar(
        select(ScenarioVersion.document).where(ScenarioVersion.id == job.scenario_version_id)
    )
    view = check_view(
        job.result,
        scenario_name=scenario_name(job),
        version=job.version.number,
        overrides=job.overrides,
        sources=scenario_sources(version_document),
        run_at=when(job),
        duration_s=job.duration_s,
        scenario_settings=(version_document or {}).get("settings") or {},
        names=wording.Names.of_document(version_document),
    )
    sweep_job, note = (
        ensure_frontier(session, principal, job, settings)
        if draw
        else (
            frontier_job(session, principal, job),
            None,
        )
    )
    chart = None
    if sweep_job is not None:
        if sweep_job.ran and sweep_job.result:
            # A sweep that failed for want of an answer at some points still draws the rest
            # (its points without one read "no answer" in the chart's table).
            documents["sweep"] = sweep_job.result
            chart = frontier(sweep_job.result)
            if chart is None:
                # Not a point to draw (none answered in time): the reason, never empty axes.
                why = sweep_job.error or "no points"
                note = (
                    wording.NO_FRONTIER_NO_ANSWER
                    if job.result.get("deliverable") is None
                    else wording.frontier_sweep_ended_sentence(sweep_job.public_id, sweep_job.status, why)
                )
        elif sweep_job.status in FINISHED_STATUSES:
            why = sweep_job.error or "no points"
            note = wording.frontier_sweep_ended_sentence(sweep_job.public_id, sweep_job.status, why)
        else:
            note = wording.frontier_being_drawn_sentence(sweep_job.public_id, sweep_job.status)
    elif note is None:
        note = wording.NO_FRONTIER_DRAWN
    return CheckPage(job, view, chart, sweep_job, note, documents)


def comparison_side(session: Session, principal: Principal, job_id: str, label: str) -> Side:
    job = crud.get_job(session, principal, job_id)
    if not job.ran or not job.result:
        raise NotFound(f"job {job_id} has no result to compare ({job.status})")
    if job.kind not in (JobKind.CHECK, JobKind.SOLVE):
        raise NotFound(f"job {job_id} is a {job.kind}; compare checks or solves")
    # Per practice, every practice: a solve's `practices` table, a check's `least_cost_practices`
    # (its JSON lists only the practices most short).
    name = "practices" if job.kind == JobKind.SOLVE else "least_cost_practices"
    table = next((t for t in job.tables if t.name == name), None)
    # Rounded as the table's download is, since each figure cites it as its source.
    frame = rounded_for_output(stored_to_frame(table.columns, table.rows)) if table is not None else None
    names = wording.Names.of_document(job.version.document)
    # The share of the standards the job was checked at: the comparison measures both sides
    # against the standards as the spec writes them.
    scaled = (job.overrides or {}).get("standards_fraction")
    fraction = float(scaled) if scaled is not None else None
    solve = job.kind == JobKind.SOLVE
    return Side(
        label=label,
        kind=str(job.kind),
        result=job.result,
        practices=frame if solve else None,
        least_cost_practices=None if solve else frame,
        names=names,
        standards_fraction=fraction,
    )


def side_label(job: Job) -> str:
    from optimiser.report.view import describe_overrides

    settings = (job.version.document or {}).get("settings") or {}
    offer = describe_overrides(job.overrides, settings)
    return f"job {job.public_id}: {scenario_name(job)} v{job.version.number}, {offer}"


def comparison(session: Session, principal: Principal, a: str, b: str) -> Comparison:
    job_a, job_b = crud.get_job(session, principal, a), crud.get_job(session, principal, b)
    return compare(
        comparison_side(session, principal, a, side_label(job_a)),
        comparison_side(session, principal, b, side_label(job_b)),
    )


def report_bytes(
    session: Session, principal: Principal, job_id: str, settings: Settings, draw: bool = False
) -> tuple[bytes, str]:
    """The PDF report of a succeeded check job, and a file name. ``draw``: submit the check's frontier
    sweep if no one has yet (the API's PDF: a check run through the API alone has none, as the desk
    submits it when its result page is first viewed); the chart is in the PDF once that sweep is done."""
    from optimiser.report.render import report_pdf

    page = check_page(session, principal, job_id, settings, draw=draw)
    if page.view is None:
        raise NotFound(f"job {job_id} is not a finished check ({page.job.kind}, {page.job.status})")
    pdf = report_pdf(
        page.view,
        page.frontier,
        page.frontier_note,
        scenario_name=scenario_name(page.job),
        version=page.job.version.number,
        scenario_hash=(page.job.result or {}).get("scenario_hash"),
        run_at=when(page.job),
    )
    return pdf, f"check-{job_id}-report.pdf"
