"""The negotiator's desk: server-rendered pages on top of the API's storage and jobs."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile, status
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from api import crud
from api.deps import SessionDep, SettingsDep, note_caller, note_refused_key
from api.documents import accept_document, read_upload
from api.errors import Conflict, Forbidden, NotFound
from api.ids import is_public_id, old_numeric_id_kind
from api.orm import FINISHED_STATUSES, Job, JobKind, ScenarioVersion
from api.routes.jobs import XLSX_MEDIA_TYPE
from api.routes.scenarios import upload_content
from api.schemas import MAX_ID, JobIn, Overrides, text_problem
from api.security import Permission, Principal
from api.serialise import csv_bytes, xlsx_bytes
from api.web import session as desk_session
from api.web.results import check_page, comparison, draw_frontier, report_bytes, side_label
from models.scenario import Problem, ScenarioInvalid
from models.schema import shown
from optimiser.deliverability import wording
from optimiser.deliverability.wording import JOB_CANCELLED_UNANSWERED, job_heading, percent, swept_range
from optimiser.io import SCENARIO_SUFFIXES, write_template
from optimiser.report.compare import practice_text
from optimiser.report.render import ReportUnavailable
from optimiser.report.view import describe_overrides
from optimiser.runs import SWEEP_RANGES, checked_override
from optimiser.units import money_form, parse_amount, parse_range

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png", ".svg": "image/svg+xml"}
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["practice_text"] = practice_text
templates.env.globals["percent"] = percent
templates.env.globals["scenario_suffixes"] = SCENARIO_SUFFIXES  # the upload accepts what the readers read
templates.env.globals["job_heading"] = job_heading
templates.env.globals["job_cancelled_unanswered"] = JOB_CANCELLED_UNANSWERED
templates.env.globals["words"] = wording.TEMPLATE_WORDS  # the pages' headings and labels, as the PDF's
templates.env.globals["plural"] = wording.plural


def describe_job(overrides: dict[str, Any], settings: dict[str, Any] | None = None) -> str:
    """What a job was run at, in words: a sweep's range (which it swept in place of any offer,
    "budgets £10,000 to £60,000 a year (3 points)"), else the offer it checked (``describe_overrides``)."""
    for swept in SWEEP_RANGES:
        if overrides.get(swept) is not None:
            values = parse_range(str(overrides[swept]), swept)
            return swept_range(swept, float(values[0]), float(values[-1]), len(values))
    return describe_overrides(overrides, settings)


templates.env.globals["describe"] = describe_job
templates.env.globals["erase_words"] = {
    "check_link": wording.DESK_DELETE_CHECK_LINK,
    "scenarios_heading": wording.DESK_DELETE_SCENARIOS_HEADING,
    "scenarios_note": wording.DESK_DELETE_SCENARIOS_NOTE,
    "scenario_link": wording.desk_delete_scenario_link,
}


def version_label(view: crud.ScenarioView, version: ScenarioVersion) -> str:
    """A stored scenario version as the desk's pickers list it. The same file uploaded twice is
    two scenarios of one name: when each version was stored and the end of its scenario's id
    (the random part of the id; its start is a time) tell them apart (audit 4 F9)."""
    scenario = view.scenario
    stored = version.created_at.strftime("%d %b %Y %H:%M UTC")
    label = f"{scenario.name}, version {version.number}, stored {stored}, id …{scenario.public_id[-6:]}"
    return label if view.is_owner else f"{label} (shared by {scenario.organisation.name})"


templates.env.globals["version_label"] = version_label

router = APIRouter(include_in_schema=False)


class Desk:
    """The signed-in user of a page request."""

    def __init__(self, request: Request, principal: Principal, csrf: str) -> None:
        self.request = request
        self.principal = principal
        self.csrf = csrf

    def can(self, permission: str) -> bool:
        return self.principal.can(Permission(permission))


def _desk(request: Request, session: SessionDep) -> Desk | None:
    desk = desk_session.read(request)
    if desk is None:
        return None
    principal = desk_session.principal_for(session, desk, request.app.state.settings.desk_idle_timeout_s)
    if principal is not None:
        note_caller(request, session, principal)  # on the access log line
    session.commit()
    if principal is None:
        return None
    return Desk(request, principal, desk_session.csrf_token(request, desk))


def signed_in(request: Request, session: SessionDep) -> Desk:
    desk = _desk(request, session)
    if desk is None:
        raise HTTPException(status.HTTP_303_SEE_OTHER, "sign in first", headers={"Location": "/"})
    return desk


DeskDep = Annotated[Desk, Depends(signed_in)]


def same_origin(request: Request) -> bool:
    """A browser's post names the page it came from; refuse posts from other sites."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", request.url.netloc)


def checked_form(request: Request, token: str | None) -> None:
    """CSRF: the session cookie is SameSite=Strict, posts must come from this site, and every
    form post carries the session's token."""
    if not same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form was posted from another site")
    state = desk_session.read(request)
    if state is None or not desk_session.csrf_ok(request, state, token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form has expired: reload the page and try again")


def page(request: Request, name: str, desk: Desk | None, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"desk": desk, **context}, status_code=status_code, headers={"Cache-Control": "no-store"}
    )


def forbidden(request: Request, desk: Desk, what: str) -> HTMLResponse:
    message = wording.desk_role_may_not(desk.principal.role, what)
    return page(request, "error.html", desk, 403, title=wording.DESK_NOT_ALLOWED_TITLE, message=message)


def not_found(request: Request, desk: Desk | None, what: str, public_id: str = "") -> HTMLResponse:
    """The desk's 404 page; ``what``: a key of ``wording.DESK_NOT_FOUND``. A job or scenario named
    by its number from before migration 0002 (/desk/jobs/17) is told where its new id is."""
    message = wording.desk_not_found(what, public_id)
    for name, given in request.path_params.items():
        old_kind = old_numeric_id_kind(name, str(given))
        if old_kind is not None:
            message = wording.old_numeric_id(old_kind, str(given))
    return page(request, "error.html", desk, 404, title=wording.DESK_NOT_FOUND_TITLE, message=message)


def unexpected_error_page(request: Request, message: str) -> HTMLResponse:
    """The desk's page for an unexpected failure (HTTP 500), with the navigation of the other error
    pages to a browser that is signed in. That is read from the session cookie alone: the database
    may be what failed, so the key's role is not known and every link of the navigation is shown."""
    signed_in = desk_session.read(request) is not None
    title = wording.UNEXPECTED_ERROR_TITLE
    return page(request, "error.html", None, 500, title=title, message=message, signed_in=signed_in)


# Sign in and out ---------------------------------------------------------------------------


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep) -> HTMLResponse:
    desk = _desk(request, session)
    if desk is None:
        return page(request, "sign_in.html", None)
    scenarios: list[Any] = []
    if desk.can("read scenarios"):
        scenarios, _ = crud.list_scenarios(session, desk.principal, 0, 100)
    jobs: list[Any] = []
    if desk.can("read jobs"):
        jobs_seq, _ = crud.list_jobs(session, desk.principal, 0, 30, None, None)
        jobs = list(jobs_seq)
    return page(request, "home.html", desk, scenarios=scenarios, jobs=jobs)


@router.post("/desk/sign-in")
def sign_in(request: Request, session: SessionDep, api_key: Annotated[str, Form(max_length=400)] = "") -> Response:
    if not same_origin(request):
        return page(request, "sign_in.html", None, 403, error=wording.SIGN_IN_FROM_ANOTHER_SITE)
    principal = crud.authenticate(session, api_key.strip()) if api_key.strip() else None
    if principal is not None:
        note_caller(request, session, principal)
    elif api_key.strip():
        note_refused_key(request, api_key.strip())
    session.commit()
    if principal is None:
        return page(request, "sign_in.html", None, 401, error=wording.SIGN_IN_KEY_NOT_RECOGNISED)
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    cookie = desk_session.issue(request, session, principal, request.app.state.settings.desk_idle_timeout_s)
    session.commit()
    desk_session.set_cookie(request, response, cookie)
    return response


@router.post("/desk/sign-out")
def sign_out(
    request: Request,
    desk: DeskDep,  # noqa: ARG001 - the dependency refuses a reader who is not signed in
    session: SessionDep,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    checked_form(request, csrf)
    cookie = desk_session.read(request)
    if cookie is not None:  # read by the dependency already: it is there
        desk_session.end(session, cookie)
        session.commit()
    response = RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)
    desk_session.clear_cookie(response)
    return response


@router.get("/desk/static/{name}")
def static(name: str) -> Response:
    path = STATIC / name
    if not re.fullmatch(r"[a-z0-9_.-]+", name) or path.suffix not in STATIC_TYPES or not path.is_file():
        return Response("not found", status_code=404, media_type="text/plain")
    return FileResponse(path, media_type=STATIC_TYPES[path.suffix], headers={"Cache-Control": "max-age=3600"})


# Check an offer --------------------------------------------------------------------------


@router.get("/desk/template.xlsx")
def template(desk: DeskDep) -> Response:  # noqa: ARG001 - the dependency refuses a reader not signed in
    """The empty workbook of `commission template`."""
    with tempfile.TemporaryDirectory(prefix="commission-template-") as directory:
        path = Path(directory) / "scenario-template.xlsx"
        write_template(path)
        content = path.read_bytes()
    return Response(
        content,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="scenario-template.xlsx"'},
    )


def _check_form(request: Request, desk: Desk, session: SessionDep, status_code: int = 200, **context: Any) -> Response:
    scenarios, _ = crud.list_scenarios(session, desk.principal, 0, 100)
    settings = request.app.state.settings
    values = {"source": "upload", "offer_kind": "scenario", **context.pop("values", {})}
    return page(
        request,
        "check.html",
        desk,
        status_code,
        scenarios=scenarios,
        values=values,
        max_bytes=settings.max_request_bytes,
        **context,
    )


@router.get("/desk/check", response_class=HTMLResponse)
def check_form(request: Request, desk: DeskDep, session: SessionDep) -> Response:
    if not desk.can("run checks"):
        return forbidden(request, desk, "run checks")
    values = {k: v for k, v in request.query_params.items() if k in ("scenario", "offer_kind", "offer_amount")}
    if "scenario" in values:
        values["source"] = "stored"
    return _check_form(request, desk, session, values=values)


STANDARDS_LABEL = wording.DESK_STANDARDS_LABEL


def offer_amount(text: str, column: str) -> float:
    """The amount offered, read and checked as every entry point reads it (e.g. 4.7m, £4,700,000, 35.50)."""
    try:
        return float(checked_override(column, text))
    except ValueError as error:
        raise ScenarioInvalid([Problem("offer", None, column, wording.desk_amount_offered_problem(error))]) from None


def standards_fraction(text: str) -> float:
    """The standards box is a percentage: 90 (or 90%) means every standard at 90% of its level.

    A bare figure above 0 and at most 1 is refused rather than read as under 1%: it is almost
    certainly a fraction typed as the CLI and API take it (0.9), and would check a far weaker
    specification than meant. With a percent sign ("1%") the figure is unambiguous. A £ sign or a
    k/m suffix is refused by the check every share is read with (``optimiser.units.money_form``):
    the box is not an amount of money, and the amount reader would take "£90" as 90.
    """
    given = text.strip()

    def refused(problem: str) -> ScenarioInvalid:
        message = wording.desk_standards_problem(problem, shown(given))
        return ScenarioInvalid([Problem("offer", None, "standards_fraction", message)])

    if money_form(given.removesuffix("%")):
        raise refused("money")
    has_percent_sign = given.endswith("%")
    try:
        percent = parse_amount(given.removesuffix("%"))
    except ValueError:
        raise refused("unreadable") from None
    if 0 < percent <= 1 and not has_percent_sign:
        raise refused("fraction")
    if not 0 <= percent <= 100:
        raise refused("range")
    return float(checked_override("standards_fraction", percent / 100))


def offer_overrides(offer_kind: str, offer_amount_text: str, standards_percent: str) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    problems: list[Problem] = []
    if offer_kind in ("pooled", "rate"):
        column = "budget_gbp" if offer_kind == "pooled" else "offer_rate_gbp_per_weighted_patient"
        if not offer_amount_text.strip():
            problems.append(Problem("offer", None, column, "Amount offered: enter an amount"))
        else:
            try:
                overrides[column] = offer_amount(offer_amount_text, column)
            except ScenarioInvalid as invalid:
                problems.extend(invalid.problems)
    elif offer_kind != "scenario":
        problems.append(Problem("offer", None, "offer_kind", "choose how the offer is given"))
    if standards_percent.strip():
        try:
            overrides["standards_fraction"] = standards_fraction(standards_percent)
        except ScenarioInvalid as invalid:
            problems.extend(invalid.problems)
    if problems:
        raise ScenarioInvalid(problems)
    return overrides


def stored_choice(value: str, what: str = "choose a stored scenario") -> tuple[str, int | None]:
    """A form's "scenario public id:version" (version optional: the latest)."""
    chosen, _, number = value.strip().partition(":")
    if not is_public_id(chosen) or (
        number and not (re.fullmatch(r"[0-9]{1,10}", number) and 1 <= int(number) <= MAX_ID)
    ):
        raise ScenarioInvalid([Problem("scenario", None, None, what)])
    return chosen, int(number) if number else None


def check_request(scenario_id: str, version: int | None, overrides: dict[str, Any]) -> JobIn:
    """The check job's request, exactly as `POST /jobs` takes it (problems as a 422, never a 500)."""
    try:
        return JobIn(scenario_id=scenario_id, version=version, kind=JobKind.CHECK, overrides=Overrides(**overrides))
    except ValidationError as error:
        raise ScenarioInvalid(
            [
                Problem("overrides", None, ".".join(str(part) for part in item.get("loc", ())) or None, item["msg"])
                for item in error.errors()
            ]
        ) from None


def desk_job_id(job_id: str) -> str | None:
    """A job's public id from a desk URL (ids are hexadecimal in any case, read in lower case as the
    API reads them), or None if it cannot name a job (answered 404)."""
    lowered = job_id.lower()
    return lowered if is_public_id(lowered) else None


@router.post("/desk/check")
def submit_check(
    request: Request,
    desk: DeskDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Form()] = None,
    source: Annotated[str, Form()] = "upload",
    file: Annotated[UploadFile | None, File()] = None,
    name: Annotated[str, Form(max_length=200)] = "",
    scenario: Annotated[str, Form(max_length=100)] = "",
    offer_kind: Annotated[str, Form()] = "scenario",
    offer_amount: Annotated[str, Form(max_length=50)] = "",
    standards_percent: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    checked_form(request, csrf)
    if not desk.can("run checks"):
        return forbidden(request, desk, "run checks")
    values = {
        "source": source,
        "name": name,
        "scenario": scenario,
        "offer_kind": offer_kind,
        "offer_amount": offer_amount,
        "standards_percent": standards_percent,
    }
    try:
        overrides = offer_overrides(offer_kind, offer_amount, standards_percent)
    except ScenarioInvalid as invalid:
        # The upload is not read when the offer has a problem, and no browser can refill a file
        # input: the page says beside it that the file must be chosen again (audit 7, A17).
        chosen = file.filename if source == "upload" and file is not None and file.filename else None
        return _check_form(
            request, desk, session, 422, values=values, offer_problems=invalid.problems, upload_not_read=chosen
        )
    version: int | None
    try:
        if source == "upload":
            if file is None or not file.filename:
                raise ScenarioInvalid([Problem("upload", None, None, "choose a workbook, zip of CSVs or JSON file")])
            if name.strip() and (problem := text_problem("name", name.strip(), 200)):
                raise ScenarioInvalid([Problem("upload", None, "name", problem)])
            # The same bounded reader, limits and validator as POST /scenarios/upload.
            document = read_upload(file.filename, upload_content(file, settings), settings)
            accepted = accept_document(document, settings)
            # Stored with its job in one transaction (submit_job commits both): a job refused, or a
            # process that dies in between, leaves no scenario behind for a retry to copy (audit 11 #10).
            view = crud.create_scenario(
                session, desk.principal, name.strip() or file.filename, accepted, None, commit=False
            )
            scenario_id, version = view.scenario.public_id, 1
        else:
            scenario_id, version = stored_choice(scenario)
    except ScenarioInvalid as invalid:
        upload_name = file.filename if source == "upload" and file is not None and file.filename else None
        return _check_form(
            request, desk, session, 422, values=values, upload_problems=invalid.problems, upload_name=upload_name
        )
    except Forbidden as error:
        return _check_form(request, desk, session, 403, values=values, upload_problems=[str(error)])
    try:
        job = crud.submit_job(session, desk.principal, check_request(scenario_id, version, overrides), None, settings)
    except ScenarioInvalid as invalid:
        session.rollback()  # an uploaded scenario goes with its job: not stored without it
        return _check_form(request, desk, session, 422, values=values, offer_problems=invalid.problems)
    except NotFound:
        session.rollback()
        return not_found(request, desk, "scenario", scenario_id)
    except Forbidden as error:
        session.rollback()
        return _check_form(request, desk, session, 403, values=values, offer_problems=[str(error)])
    return RedirectResponse(f"/desk/jobs/{job.public_id}", status_code=status.HTTP_303_SEE_OTHER)


# Jobs and results -------------------------------------------------------------------------


@router.get("/desk/jobs/{job_id}", response_class=HTMLResponse)
def job_page(job_id: str, request: Request, desk: DeskDep, session: SessionDep, settings: SettingsDep) -> Response:
    known = desk_job_id(job_id)
    if known is None:
        return not_found(request, desk, "that job")
    job_id = known
    try:
        result = check_page(session, desk.principal, job_id, settings)
    except NotFound:
        return not_found(request, desk, "job", job_id)
    except Forbidden:
        return forbidden(request, desk, "read jobs")
    job = result.job
    if job.status not in FINISHED_STATUSES:
        return page(request, "progress.html", desk, job=job, scenario=job.version.scenario)
    return page(
        request,
        "result.html",
        desk,
        job=job,
        scenario=job.version.scenario,
        view=result.view,
        frontier=result.frontier,
        frontier_job=result.frontier_job,
        frontier_note=result.frontier_note,
        can_draw=result.can_draw,
        can_check=desk.can("run checks"),
    )


@router.post("/desk/jobs/{job_id}/frontier")
def draw_frontier_form(
    job_id: str,
    request: Request,
    desk: DeskDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Form()] = None,
) -> Response:
    """The result page's *Draw the budget frontier*: submit the check's frontier sweep (once; a second
    press finds the same sweep), then back to the page's frontier, where its live region follows it."""
    checked_form(request, csrf)
    known = desk_job_id(job_id)
    if known is None:
        return not_found(request, desk, "that job")
    try:
        draw_frontier(session, desk.principal, known, settings)
    except NotFound:
        return not_found(request, desk, "job", known)
    except Forbidden:
        return forbidden(request, desk, "run sweeps")
    except (Conflict, ScenarioInvalid) as error:
        # Not a check with an answer (a page left open meanwhile), or a sweep the service refuses.
        message = str(error) if isinstance(error, Conflict) else wording.no_frontier_submitted(str(error))
        return page(request, "error.html", desk, 409, title=wording.DESK_FRONTIER_NOT_DRAWN_TITLE, message=message)
    return RedirectResponse(f"/desk/jobs/{known}#frontier-h", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/desk/jobs/{job_id}/status")
def job_status(job_id: str, desk: DeskDep, session: SessionDep) -> JSONResponse:
    try:
        known = desk_job_id(job_id)
        if known is None:
            raise NotFound(job_id)
        job = crud.get_job(session, desk.principal, known)
    except NotFound:
        return JSONResponse({"detail": "not found"}, status_code=404)
    elapsed = None
    if job.started_at is not None:
        end = job.finished_at or crud.utc_now()
        elapsed = (end - job.started_at).total_seconds()
    return JSONResponse(
        {"status": str(job.status), "finished": job.status in FINISHED_STATUSES, "elapsed_s": elapsed},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/desk/jobs/{job_id}/cancel")
def cancel(
    job_id: str, request: Request, desk: DeskDep, session: SessionDep, csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked_form(request, csrf)
    known = desk_job_id(job_id)
    if known is None:
        return not_found(request, desk, "that job")
    job_id = known
    try:
        crud.cancel_job(session, desk.principal, job_id)
    except NotFound:
        return not_found(request, desk, "job", job_id)
    except (Conflict, Forbidden):
        pass
    return RedirectResponse(f"/desk/jobs/{job_id}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/desk/jobs/{job_id}/report.pdf")
def report(job_id: str, request: Request, desk: DeskDep, session: SessionDep, settings: SettingsDep) -> Response:
    known = desk_job_id(job_id)
    if known is None:
        return not_found(request, desk, "that job")
    job_id = known
    try:
        pdf, filename = report_bytes(session, desk.principal, job_id, settings)
    except NotFound:
        return not_found(request, desk, "finished check", job_id)
    except ReportUnavailable as error:
        return page(request, "error.html", desk, 503, title="The PDF report is unavailable", message=str(error))
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


# Erasing a job or a scenario, after a confirmation page --------------------------------------


def confirm_delete(request: Request, desk: Desk, title: str, message: str, action: str, back: str) -> HTMLResponse:
    return page(
        request,
        "confirm_delete.html",
        desk,
        title=title,
        message=message,
        action=action,
        back=back,
        delete_button=wording.DESK_DELETE_BUTTON,
        keep_link=wording.DESK_KEEP_LINK,
    )


@router.get("/desk/jobs/{job_id}/delete", response_class=HTMLResponse)
def confirm_delete_job(job_id: str, request: Request, desk: DeskDep, session: SessionDep) -> Response:
    known = desk_job_id(job_id)
    if known is None:
        return not_found(request, desk, "that job")
    try:
        job = crud.get_job(session, desk.principal, known)
    except NotFound:
        return not_found(request, desk, "job", known)
    except Forbidden:
        return forbidden(request, desk, "read jobs")
    message = wording.desk_delete_check_sentence(job.kind, known, job.version.scenario.name, job.version.number)
    return confirm_delete(
        request,
        desk,
        wording.desk_delete_job_title(job.kind),
        message,
        f"/desk/jobs/{known}/delete",
        f"/desk/jobs/{known}",
    )


@router.post("/desk/jobs/{job_id}/delete")
def delete_job(
    job_id: str, request: Request, desk: DeskDep, session: SessionDep, csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked_form(request, csrf)
    known = desk_job_id(job_id)
    if known is None:
        return not_found(request, desk, "that job")
    try:
        crud.delete_job(session, desk.principal, known)
    except NotFound:
        return not_found(request, desk, "job", known)
    except Forbidden:
        return forbidden(request, desk, "run checks")
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/desk/scenarios/{scenario_id}/delete", response_class=HTMLResponse)
def confirm_delete_scenario(scenario_id: str, request: Request, desk: DeskDep, session: SessionDep) -> Response:
    known = desk_job_id(scenario_id)  # a scenario's public id is read as a job's is
    if known is None:
        return not_found(request, desk, "scenario")
    try:
        view, versions, jobs = crud.what_deleting_erases(session, desk.principal, known)
    except NotFound:
        return not_found(request, desk, "scenario", known)
    except Forbidden:
        return forbidden(request, desk, "create and change scenarios")
    message = wording.desk_delete_scenario_sentence(view.scenario.name, versions, jobs)
    action = f"/desk/scenarios/{known}/delete"
    return confirm_delete(request, desk, wording.DESK_DELETE_SCENARIO_TITLE, message, action, "/")


@router.post("/desk/scenarios/{scenario_id}/delete")
def delete_scenario(
    scenario_id: str, request: Request, desk: DeskDep, session: SessionDep, csrf: Annotated[str | None, Form()] = None
) -> Response:
    checked_form(request, csrf)
    known = desk_job_id(scenario_id)
    if known is None:
        return not_found(request, desk, "scenario")
    try:
        crud.delete_scenario(session, desk.principal, known)
    except NotFound:
        return not_found(request, desk, "scenario", known)
    except Forbidden:
        return forbidden(request, desk, "create and change scenarios")
    return RedirectResponse("/", status_code=status.HTTP_303_SEE_OTHER)


# Two offers side by side --------------------------------------------------------------------


def comparable_jobs(session: SessionDep, desk: Desk) -> list[Job]:
    """The checks and solves of the last 100 jobs that ran to their end (``Job.ran``: succeeded,
    or failed with no answer in time and compared as such), newest first."""
    jobs, _ = crud.list_jobs(session, desk.principal, 0, 100, None, None)
    return [job for job in jobs if job.kind in (JobKind.CHECK, JobKind.SOLVE) and job.ran]


@router.get("/desk/compare", response_class=HTMLResponse)
def compare_page(
    request: Request, desk: DeskDep, session: SessionDep, a: str | None = None, b: str | None = None
) -> Response:
    if not desk.can("read jobs"):
        return forbidden(request, desk, "read jobs")
    jobs = comparable_jobs(session, desk)
    scenarios, _ = crud.list_scenarios(session, desk.principal, 0, 100)
    context: dict[str, Any] = {"jobs": jobs, "scenarios": scenarios, "a": a, "b": b, "labels": {}}
    if a is not None and b is not None:
        known_a, known_b = desk_job_id(a), desk_job_id(b)
        if known_a is None or known_b is None:
            return not_found(request, desk, "one of two jobs")
        a, b = known_a, known_b
        context.update(a=a, b=b)
        try:
            job_a, job_b = crud.get_job(session, desk.principal, a), crud.get_job(session, desk.principal, b)
        except NotFound:
            return not_found(request, desk, "one of two jobs")
        pending = [job for job in (job_a, job_b) if job.status not in FINISHED_STATUSES]
        if pending:
            return page(request, "compare.html", desk, waiting=[job_a, job_b], **context)
        try:
            context["comparison"] = comparison(session, desk.principal, a, b)
        except NotFound as error:
            return page(request, "compare.html", desk, 422, compare_error=str(error), **context)
        context["labels"] = {"a": side_label(job_a), "b": side_label(job_b)}
    return page(request, "compare.html", desk, **context)


@router.post("/desk/compare")
def submit_compare(
    request: Request,
    desk: DeskDep,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Form()] = None,
    scenario_a: Annotated[str, Form(max_length=100)] = "",
    scenario_b: Annotated[str, Form(max_length=100)] = "",
    offer_kind: Annotated[str, Form()] = "pooled",
    offer_a: Annotated[str, Form(max_length=50)] = "",
    offer_b: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    """Two offers: check each (two real check jobs), then show them side by side.

    Both offers are read and checked, as the API would check their jobs, before either job is
    submitted: a bad offer B never leaves a check of offer A running.
    """
    checked_form(request, csrf)
    if not desk.can("run checks"):
        return forbidden(request, desk, "run checks")
    # What the user typed and chose, shown again in the form if either offer is refused.
    values = {
        "offer_kind": offer_kind,
        "scenario_a": scenario_a,
        "scenario_b": scenario_b,
        "offer_a": offer_a,
        "offer_b": offer_b,
    }
    requests: list[JobIn] = []
    problems: list[tuple[str | None, str]] = []  # (the field it concerns, the message)
    for side, chosen, amount in (("A", scenario_a, offer_a), ("B", scenario_b, offer_b)):
        try:
            scenario_id, version = stored_choice(chosen)
            overrides = offer_overrides(offer_kind if amount.strip() else "scenario", amount, "")
            request_body = check_request(scenario_id, version, overrides)
            crud.get_version(session, desk.principal, scenario_id, version)
            crud.checked_overrides(request_body, settings)
            requests.append(request_body)
        except ScenarioInvalid as invalid:
            for problem in invalid.problems:  # tied to its box: a stored choice's, else the amount's
                box = "scenario" if problem.table == "scenario" else "offer"
                problems.append((f"{box}_{side.lower()}", wording.desk_offer_problem(side, problem.message)))
        except (NotFound, Forbidden) as error:
            problems.append((f"scenario_{side.lower()}", wording.desk_offer_problem(side, error)))
    if problems:
        return _compare_form_error(request, desk, session, problems, values)
    try:
        jobs = [crud.submit_job(session, desk.principal, body, None, settings) for body in requests]
    except (ScenarioInvalid, NotFound, Forbidden) as error:  # checked above: only a change meanwhile
        return _compare_form_error(request, desk, session, [(None, str(error))], values)
    return RedirectResponse(
        f"/desk/compare?a={jobs[0].public_id}&b={jobs[1].public_id}", status_code=status.HTTP_303_SEE_OTHER
    )


def _compare_form_error(
    request: Request, desk: Desk, session: SessionDep, problems: list[tuple[str | None, str]], values: dict[str, str]
) -> Response:
    jobs = comparable_jobs(session, desk)
    scenarios, _ = crud.list_scenarios(session, desk.principal, 0, 100)
    return page(
        request,
        "compare.html",
        desk,
        422,
        jobs=jobs,
        scenarios=scenarios,
        a=None,
        b=None,
        labels={},
        offer_problems=problems,
        values=values,
    )


@router.get("/desk/compare.{fmt}")
def compare_download(fmt: str, a: str, b: str, request: Request, desk: DeskDep, session: SessionDep) -> Response:
    if fmt not in ("csv", "xlsx"):
        return not_found(request, desk, "download")
    known_a, known_b = desk_job_id(a), desk_job_id(b)
    if known_a is None or known_b is None:
        return not_found(request, desk, "one of two finished jobs")
    a, b = known_a, known_b
    try:
        frame = comparison(session, desk.principal, a, b).frame()
    except NotFound:
        return not_found(request, desk, "one of two finished jobs")
    filename = f"compare-{a}-{b}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "xlsx":
        return Response(xlsx_bytes({"comparison": frame}), media_type=XLSX_MEDIA_TYPE, headers=headers)
    return Response(csv_bytes(frame), media_type="text/csv", headers=headers)
