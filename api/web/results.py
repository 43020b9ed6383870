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
    # A check with an answer and no frontier sweep yet, whose reader may run one: the desk offers
    # its button, the PDF says how to draw it.
    can_draw: bool = False


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


@dataclass
class FrontierRequest:
    """The sweep that would draw a check's frontier: its request, its points and what it varies."""

    request: JobIn
    points: int
    pooled: bool


def frontier_request(
    session: Session, principal: Principal, job: Job, settings: Settings
) -> FrontierRequest | tuple[str, type[Forbidden] | type[Conflict]]:
    """The budget sweep (an offer-rate sweep for a per-practice check) that draws the check's
    frontier; or why there can be none: the sentence the page and the PDF show in place of the
    chart, with the error a request to draw it is refused with. Submits nothing."""
    result = job.result or {}
    if result.get("deliverable") is None:
        # No answer in time: no least budget to mark, and the sweep would only take a worker.
        return wording.NO_FRONTIER_NO_ANSWER, Conflict
    if not principal.can(Permission.RUN_SWEEPS):
        return wording.frontier_not_permitted_sentence(principal.role), Forbidden
    document = session.scalar(select(ScenarioVersion.document).where(ScenarioVersion.id == job.scenario_version_id))
    offer = frontier_offer(result, job.overrides, (document or {}).get("settings") or {})
    points = min(FRONTIER_POINTS, settings.max_sweep_points)
    budget_range = sweep_range(result, points, offer)
    if budget_range is None or points < 2:
        return wording.NO_FRONTIER_RANGE, Conflict
    overrides = {
        k: v
        for k, v in job.overrides.items()
        if k in ("offer_rate_gbp_per_weighted_patient", "budget_gbp", "standards_fraction", "time_limit_s")
    }
    # Over what the check was offered: pooled budgets, or offer rates for a per-practice check.
    swept = money_range_override(result.get("budget_mode"))
    overrides[swept] = budget_range
    request = JobIn(
        scenario_id=job.version.scenario.public_id,
        version=job.version.number,
        kind=JobKind.SWEEP,
        overrides=Overrides(**overrides),
    )
    return FrontierRequest(request, points, pooled=swept == "budget")


def draw_frontier(session: Session, principal: Principal, job_id: str, settings: Settings) -> tuple[Job, bool]:
    """Submit the check's frontier sweep (a real sweep job under the caller's key, idempotency key
    ``desk-frontier-<check id>``), or find the one already submitted: (the sweep, whether this
    request submitted it). Only an explicit request draws it (the desk's button, POST
    /reports/jobs/{id}/frontier), never reading the result page or the PDF (audit 12, #10).

    NotFound for a job the caller's organisation cannot see; Conflict for a job that is not a check
    that finished with an answer; Forbidden for a role that may not run sweeps; ScenarioInvalid (or
    Conflict) for a sweep the service refuses (its limits)."""
    job = crud.get_job(session, principal, job_id)
    if job.kind != JobKind.CHECK:
        raise Conflict(wording.frontier_not_a_check(job_id, job.kind))
    existing = frontier_job(session, principal, job)
    if existing is not None:
        return existing, False
    if not job.ran or not job.result:
        raise Conflict(wording.frontier_check_unfinished(job_id, job.status))
    found = frontier_request(session, principal, job, settings)
    if not isinstance(found, FrontierRequest):
        why, error = found
        raise error(why)
    try:
        # Two requests at once find the same sweep: submit_job returns the key's first job.
        sweep = crud.submit_job(session, principal, found.request, FRONTIER_KEY.format(job_id=job.public_id), settings)
    except Exception:
        session.rollback()
        raise
    return sweep, True


def check_page(session: Session, principal: Principal, job_id: str, settings: Settings) -> CheckPage:
    """A job as the result page shows it (404 for another organisation's job). Reading it submits
    nothing: a check with an answer and no frontier sweep yet offers to draw it (``can_draw``)."""
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
    sweep_job = frontier_job(session, principal, job)
    note: str | None = None
    can_draw = False
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
    else:
        found = frontier_request(session, principal, job, settings)
        if isinstance(found, FrontierRequest):
            can_draw = True
            note = wording.frontier_not_drawn_desk_sentence(found.pooled, found.points)
        else:
            note = found[0]
    return CheckPage(job, view, chart, sweep_job, note, documents, can_draw)


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


def report_bytes(session: Session, principal: Principal, job_id: str, settings: Settings) -> tuple[bytes, str]:
    """The PDF report of a finished check, and a file name. Asking for it submits nothing: without
    a frontier sweep its frontier section says how to draw one (the desk's button, or POST
    /reports/jobs/{id}/frontier); the chart is in the PDF once that sweep is done."""
    from optimiser.report.render import report_pdf

    page = check_page(session, principal, job_id, settings)
    if page.view is None:
        raise NotFound(f"job {job_id} is not a finished check ({page.job.kind}, {page.job.status})")
    note = wording.frontier_not_drawn_pdf_sentence(page.job.public_id) if page.can_draw else page.frontier_note
    pdf = report_pdf(
        page.view,
        page.frontier,
        note,
        scenario_name=scenario_name(page.job),
        version=page.job.version.number,
        scenario_hash=(page.job.result or {}).get("scenario_hash"),
        run_at=when(page.job),
    )
    return pdf, f"check-{job_id}-report.pdf"
