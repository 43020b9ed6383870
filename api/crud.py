"""Storage operations, each confined to what the calling principal may see and do."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.documents import AcceptedDocument, time_limit_problem
from api.errors import Conflict, Forbidden, NotFound
from api.orm import (
    FINISHED_STATUSES,
    ApiKey,
    DeskSession,
    Job,
    JobKind,
    JobStatus,
    JobTable,
    Organisation,
    Role,
    Scenario,
    ScenarioVersion,
    Share,
)
from api.orm import utc_now as utc_now  # re-exported: the service's clock (pages read crud.utc_now)
from api.schemas import JobIn
from api.security import PERMISSION_TO_RUN, Permission, Principal, generate_key, prefix_of, token_matches
from api.settings import Settings
from models.scenario import Problem, ScenarioInvalid
from models.schema import shown

# Keys and organisations


def begin_read(session: Session) -> None:
    """Begin ``session``'s transaction as a read (unless one is open): on SQLite a snapshot taken
    without the write lock (WAL), so it never waits behind a writer (a job storing its result, or a
    worker stopped in the middle of a write); on PostgreSQL reads never wait for writers anyway."""
    if not session.in_transaction():
        session.connection(execution_options={"commission_read_only": True})


def authenticate(session: Session, token: str) -> Principal | None:
    prefix = prefix_of(token)
    if prefix is None:
        return None
    begin_read(session)
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix, ApiKey.revoked_at.is_(None)))
    if key is None or not token_matches(token, key.secret_sha256):
        return None
    return principal_of(key)


def principal_of(key: ApiKey) -> Principal:
    """Who holds ``key``: the key, its organisation and its role."""
    return Principal(
        key_id=key.id,
        organisation_id=key.organisation_id,
        organisation_name=key.organisation.name,
        role=key.role,
    )


def get_or_create_organisation(session: Session, name: str) -> Organisation:
    organisation = session.scalar(select(Organisation).where(Organisation.name == name))
    if organisation is None:
        organisation = Organisation(name=name)
        session.add(organisation)
        session.flush()
    return organisation


def create_key(session: Session, organisation: Organisation, role: Role, label: str | None) -> tuple[ApiKey, str]:
    """A new key for `organisation`; returns it with its token, which is not stored."""
    new_key = generate_key()
    key = ApiKey(
        organisation=organisation,
        role=role,
        prefix=new_key.prefix,
        secret_sha256=new_key.secret_sha256,
        label=label,
    )
    session.add(key)
    session.commit()
    return key, new_key.token


def create_key_for(session: Session, principal: Principal, role: Role, label: str | None) -> tuple[ApiKey, str]:
    """A new key in the principal's own organisation."""
    _require(principal, Permission.MANAGE_KEYS)
    organisation = session.get_one(Organisation, principal.organisation_id)
    return create_key(session, organisation, role, label)


def list_keys(session: Session, principal: Principal) -> Sequence[ApiKey]:
    _require(principal, Permission.MANAGE_KEYS)
    return session.scalars(
        select(ApiKey).where(ApiKey.organisation_id == principal.organisation_id).order_by(ApiKey.id)
    ).all()


def revoke_key(session: Session, principal: Principal, key_id: str) -> ApiKey:
    _require(principal, Permission.MANAGE_KEYS)
    key = session.scalar(
        select(ApiKey).where(ApiKey.public_id == key_id, ApiKey.organisation_id == principal.organisation_id)
    )
    if key is None:
        raise NotFound(f"key {key_id} not found")
    if key.revoked_at is None:
        key.revoked_at = utc_now()
        session.commit()
    return key


# Scenarios


@dataclass(frozen=True)
class ScenarioView:
    """A scenario as one principal sees it."""

    scenario: Scenario
    latest_version: int
    is_owner: bool


def _visible_to(principal: Principal) -> ColumnElement[bool]:
    shared_with_principal = select(Share.scenario_id).where(Share.organisation_id == principal.organisation_id)
    return and_(
        Scenario.deleted_at.is_(None),
        or_(
            Scenario.organisation_id == principal.organisation_id,
            Scenario.id.in_(shared_with_principal),
        ),
    )


def _latest_number(session: Session, scenario_id: int) -> int:
    latest = session.scalar(select(func.max(ScenarioVersion.number)).where(ScenarioVersion.scenario_id == scenario_id))
    return int(latest or 0)


def get_scenario(session: Session, principal: Principal, scenario_id: str) -> ScenarioView:
    _require(principal, Permission.READ_SCENARIOS)
    scenario = session.scalar(select(Scenario).where(Scenario.public_id == scenario_id, _visible_to(principal)))
    if scenario is None:
        raise NotFound(f"scenario {scenario_id} not found")
    return ScenarioView(
        scenario=scenario,
        latest_version=_latest_number(session, scenario.id),
        is_owner=scenario.organisation_id == principal.organisation_id,
    )


def get_owned_scenario(session: Session, principal: Principal, scenario_id: str) -> ScenarioView:
    _require(principal, Permission.WRITE_SCENARIOS)
    view = get_scenario(session, principal, scenario_id)
    if not view.is_owner:
        raise Forbidden(f"scenario {scenario_id} is shared with your organisation read-only")
    return view


def list_scenarios(session: Session, principal: Principal, offset: int, limit: int) -> tuple[list[ScenarioView], int]:
    _require(principal, Permission.READ_SCENARIOS)
    total = session.scalar(select(func.count()).select_from(Scenario).where(_visible_to(principal)))
    latest = (
        select(ScenarioVersion.scenario_id, func.max(ScenarioVersion.number).label("number"))
        .group_by(ScenarioVersion.scenario_id)
        .subquery()
    )
    rows = session.execute(
        select(Scenario, latest.c.number)
        .join(latest, latest.c.scenario_id == Scenario.id)
        .where(_visible_to(principal))
        .order_by(Scenario.id)
        .offset(offset)
        .limit(limit)
    ).all()
    views = [
        ScenarioView(
            scenario=scenario,
            latest_version=number,
            is_owner=scenario.organisation_id == principal.organisation_id,
        )
        for scenario, number in rows
    ]
    return views, int(total or 0)


def create_scenario(
    session: Session,
    principal: Principal,
    name: str,
    accepted: AcceptedDocument,
    idempotency_key: str | None,
    commit: bool = True,
) -> ScenarioView:
    """A new scenario with `accepted` as version 1; a repeated idempotency key returns the first
    (and is a conflict if the first request had another name or document). ``commit=False`` only
    flushes it, for a caller that commits it with what goes with it (the desk: with its job)."""
    _require(principal, Permission.WRITE_SCENARIOS)
    request_sha256 = hashlib.sha256(
        json.dumps({"name": name, "scenario": accepted.scenario_hash}, sort_keys=True).encode()
    ).hexdigest()
    if idempotency_key is not None:
        existing = _scenario_by_idempotency_key(session, principal, idempotency_key, request_sha256)
        if existing is not None:
            return existing
    scenario = Scenario(
        organisation_id=principal.organisation_id,
        name=name,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
    )
    scenario.versions.append(
        ScenarioVersion(number=1, document=accepted.document, scenario_hash=accepted.scenario_hash)
    )
    session.add(scenario)
    if not commit:
        session.flush()
        return ScenarioView(scenario=scenario, latest_version=1, is_owner=True)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key is not None:
            existing = _scenario_by_idempotency_key(session, principal, idempotency_key, request_sha256)
            if existing is not None:
                return existing
        raise
    return ScenarioView(scenario=scenario, latest_version=1, is_owner=True)


def _scenario_by_idempotency_key(
    session: Session, principal: Principal, idempotency_key: str, request_sha256: str
) -> ScenarioView | None:
    scenario = session.scalar(
        select(Scenario).where(
            Scenario.organisation_id == principal.organisation_id,
            Scenario.idempotency_key == idempotency_key,
        )
    )
    if scenario is None:
        return None
    if scenario.deleted_at is not None:
        raise Conflict("the Idempotency-Key was used for a scenario that has since been deleted")
    if scenario.request_sha256 is not None and scenario.request_sha256 != request_sha256:
        raise Conflict("the Idempotency-Key was already used for a different scenario document or name")
    return ScenarioView(scenario=scenario, latest_version=_latest_number(session, scenario.id), is_owner=True)


def add_version(
    session: Session, principal: Principal, scenario_id: str, accepted: AcceptedDocument
) -> tuple[ScenarioVersion, bool]:
    """Save `accepted` as the next version, unless it is the latest one already.

    Returns the version and whether it is new.
    """
    view = get_owned_scenario(session, principal, scenario_id)
    latest = get_version(session, principal, scenario_id, view.latest_version)
    if latest.scenario_hash == accepted.scenario_hash:
        return latest, False
    version = ScenarioVersion(
        scenario_id=view.scenario.id,
        number=latest.number + 1,
        document=accepted.document,
        scenario_hash=accepted.scenario_hash,
    )
    session.add(version)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict("another version was saved at the same time; retry") from None
    return version, True


def get_version(session: Session, principal: Principal, scenario_id: str, number: int | None) -> ScenarioVersion:
    """Version `number` (the latest if None) of a scenario the principal can see."""
    view = get_scenario(session, principal, scenario_id)
    number = view.latest_version if number is None else number
    version = session.scalar(
        select(ScenarioVersion).where(ScenarioVersion.scenario_id == view.scenario.id, ScenarioVersion.number == number)
    )
    if version is None:
        raise NotFound(f"scenario {scenario_id} has no version {number}")
    return version


def delete_scenario(session: Session, principal: Principal, scenario_id: str) -> None:
    """Erase the scenario at once: every version's document, its shares, and every job run on it
    (by any organisation it was shared with), each with its tables and result; a queued or
    running job is cancelled first. Only a tombstone stays (public id, owner, Idempotency-Key,
    when it was deleted; no name or content), so a retried create with the same key is refused
    rather than storing the document again (docs/api.md "Storage")."""
    view = get_owned_scenario(session, principal, scenario_id)
    # Hidden first (no new job can be submitted on it) and its jobs stopped, in one commit.
    view.scenario.deleted_at = utc_now()
    _stop_jobs(session, _jobs_of_scenarios([view.scenario.id]))
    session.commit()
    for _ in range(ERASE_ATTEMPTS):
        try:
            erase_deleted_scenario(session, view.scenario.id)
            return
        except IntegrityError:
            # PostgreSQL: a job submitted on it just before it was hidden was stored after its
            # jobs were listed, so its version could not go: erased with it on the next attempt.
            session.rollback()
    from optimiser.deliverability.wording import scenario_erase_interrupted

    raise Conflict(scenario_erase_interrupted(scenario_id))


ERASE_ATTEMPTS = 3


def what_deleting_erases(session: Session, principal: Principal, scenario_id: str) -> tuple[ScenarioView, int, int]:
    """The principal's own scenario, with how many versions and jobs deleting it would erase."""
    view = get_owned_scenario(session, principal, scenario_id)
    jobs = session.scalar(select(func.count()).select_from(Job).where(_jobs_of_scenarios([view.scenario.id])))
    return view, view.latest_version, int(jobs or 0)


def _jobs_of_scenarios(scenario_ids: Sequence[int]) -> ColumnElement[bool]:
    versions = select(ScenarioVersion.id).where(ScenarioVersion.scenario_id.in_(scenario_ids))
    return Job.scenario_version_id.in_(versions)


def _stop_jobs(session: Session, which: ColumnElement[bool]) -> None:
    """Cancel the queued and running jobs among ``which``: a worker running one stops at its next
    heartbeat and can no longer record a result (``api.worker.finish_job`` needs it running)."""
    session.execute(
        update(Job)
        .where(which, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .values(status=JobStatus.CANCELLED, finished_at=utc_now(), error="cancelled on request")
    )


def _erase_jobs(session: Session, which: ColumnElement[bool]) -> int:
    """Delete the jobs among ``which`` with their tables (each job's result is in its row)."""
    job_ids = session.scalars(select(Job.id).where(which)).all()
    if job_ids:
        session.execute(delete(JobTable).where(JobTable.job_id.in_(job_ids)))
        session.execute(delete(Job).where(Job.id.in_(job_ids)))
    return len(job_ids)


def erase_deleted_scenario(session: Session, scenario_id: int) -> None:
    """Erase a deleted scenario's content, leaving its tombstone (``delete_scenario``); committed."""
    scenario = session.get_one(Scenario, scenario_id)
    _erase_jobs(session, _jobs_of_scenarios([scenario_id]))
    session.execute(delete(Share).where(Share.scenario_id == scenario_id))
    session.execute(delete(ScenarioVersion).where(ScenarioVersion.scenario_id == scenario_id))
    scenario.name = ""
    session.commit()


def list_shares(session: Session, principal: Principal, scenario_id: str) -> Sequence[Share]:
    view = get_owned_scenario(session, principal, scenario_id)
    return session.scalars(select(Share).where(Share.scenario_id == view.scenario.id).order_by(Share.id)).all()


def share_scenario(session: Session, principal: Principal, scenario_id: str, organisation_name: str) -> Share:
    _require(principal, Permission.SHARE_SCENARIOS)
    internal_id = get_owned_scenario(session, principal, scenario_id).scenario.id
    organisation = session.scalar(select(Organisation).where(Organisation.name == organisation_name))
    if organisation is None:
        raise NotFound(f"organisation {shown(organisation_name)} not found")
    if organisation.id == principal.organisation_id:
        raise ScenarioInvalid([Problem("share", None, "organisation", "a scenario cannot be shared with its owner")])
    existing = select(Share).where(Share.scenario_id == internal_id, Share.organisation_id == organisation.id)
    share = session.scalar(existing)
    if share is not None:
        return share
    share = Share(scenario_id=internal_id, organisation=organisation)
    session.add(share)
    try:
        session.commit()
    except IntegrityError:  # shared by a concurrent request
        session.rollback()
        return session.scalars(existing).one()
    return share


def unshare_scenario(session: Session, principal: Principal, scenario_id: str, organisation_name: str) -> None:
    _require(principal, Permission.SHARE_SCENARIOS)
    internal_id = get_owned_scenario(session, principal, scenario_id).scenario.id
    share = session.scalar(
        select(Share)
        .join(Organisation, Share.organisation_id == Organisation.id)
        .where(Share.scenario_id == internal_id, Organisation.name == organisation_name)
    )
    if share is None:
        raise NotFound(f"scenario {scenario_id} is not shared with {shown(organisation_name)}")
    session.delete(share)
    session.commit()


# Jobs


def submit_job(
    session: Session,
    principal: Principal,
    request: JobIn,
    idempotency_key: str | None,
    settings: Settings,
) -> Job:
    """Record a queued job, committed before returning; a repeated idempotency key returns the first."""
    _require(principal, PERMISSION_TO_RUN[request.kind])
    version = get_version(session, principal, request.scenario_id, request.version)
    overrides = checked_overrides(request, settings)
    request_sha256 = hashlib.sha256(
        json.dumps({"version": version.id, "kind": request.kind, "overrides": overrides}, sort_keys=True).encode()
    ).hexdigest()
    if idempotency_key is not None:
        existing = _job_by_idempotency_key(session, principal, idempotency_key, request_sha256)
        if existing is not None:
            return existing
    job = Job(
        organisation_id=principal.organisation_id,
        scenario_version_id=version.id,
        kind=request.kind,
        overrides=overrides,
        status=JobStatus.QUEUED,
        idempotency_key=idempotency_key,
        request_sha256=request_sha256,
    )
    session.add(job)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        if idempotency_key is not None:
            existing = _job_by_idempotency_key(session, principal, idempotency_key, request_sha256)
            if existing is not None:
                return existing
        raise
    return job


def _job_by_idempotency_key(
    session: Session, principal: Principal, idempotency_key: str, request_sha256: str
) -> Job | None:
    job = session.scalar(
        select(Job).where(Job.organisation_id == principal.organisation_id, Job.idempotency_key == idempotency_key)
    )
    if job is not None and job.request_sha256 != request_sha256:
        raise Conflict("the Idempotency-Key was already used for a different request")
    return job


def checked_overrides(request: JobIn, settings: Settings) -> dict[str, Any]:
    """The job's overrides as a plain dict: which go with which kind (the rule every entry point
    shares, ``optimiser.runs.kind_problems``), then this service's own limits. Each value was
    checked when the request was read (``api.schemas.Overrides``: the shared check). Every
    problem is named as the request's schema names a bad value (``override_problem``)."""
    from optimiser.runs import SWEEP_RANGES, kind_problems

    overrides = request.overrides.as_dict()
    problems = [override_problem(problem.column, problem.message) for problem in kind_problems(request.kind, overrides)]
    time_limit = overrides.get("time_limit_s")
    if time_limit is not None and (too_long := time_limit_problem(time_limit, settings)):
        problems.append(override_problem("time_limit_s", too_long))
    for name in SWEEP_RANGES:
        if overrides.get(name) is not None:
            problems.extend(_sweep_points_problems(name, overrides[name], settings))
    if problems:
        raise ScenarioInvalid(problems)
    return overrides


def override_problem(name: str | None, message: str) -> Problem:
    """A problem with a job's overrides, named one way wherever it is found (docs/api.md): the
    request's location ``body.overrides.NAME`` (``body.overrides`` for the overrides together) and
    a message that starts with the override's name, as the request's schema names a bad value."""
    if name is None:
        return Problem("request", None, "body.overrides", message)
    return Problem("request", None, f"body.overrides.{name}", f"{name}: {message}")


def _sweep_points_problems(name: str, text: str, settings: Settings) -> list[Problem]:
    """This service's cap on the points of a sweep (the range itself is already checked)."""
    from optimiser.units import parse_range

    points = len(parse_range(text, name))
    if points > settings.max_sweep_points:
        return [override_problem(name, f"a sweep takes 2 to {settings.max_sweep_points} points (got {points})")]
    return []


def _of_a_kept_scenario() -> ColumnElement[bool]:
    """A job whose scenario has not been deleted. Deleting erases a scenario's jobs at once; a
    scenario hidden by an earlier version of the service keeps them until `commission purge`, and
    they are not found, on every route, until then."""
    deleted = (
        select(ScenarioVersion.id)
        .join(Scenario, Scenario.id == ScenarioVersion.scenario_id)
        .where(Scenario.deleted_at.is_not(None))
    )
    return Job.scenario_version_id.not_in(deleted)


def get_job(session: Session, principal: Principal, job_id: str) -> Job:
    _require(principal, Permission.READ_JOBS)
    job = session.scalar(
        select(Job).where(
            Job.public_id == job_id, Job.organisation_id == principal.organisation_id, _of_a_kept_scenario()
        )
    )
    if job is None:
        raise NotFound(f"job {job_id} not found")
    return job


# The Idempotency-Key of the sweep that draws a check's frontier (the desk's button, POST /reports/jobs/{id}/frontier).
FRONTIER_KEY = "desk-frontier-{job_id}"


def delete_job(session: Session, principal: Principal, job_id: str) -> None:
    """Erase a job: its row (with its result), its tables, and so its report. A queued or running
    job is cancelled first. A check's frontier sweep, drawn for its result page and report, goes
    with it."""
    job = get_job(session, principal, job_id)
    _require(principal, PERMISSION_TO_RUN[job.kind])
    which = and_(
        Job.organisation_id == principal.organisation_id,
        or_(Job.id == job.id, Job.idempotency_key == FRONTIER_KEY.format(job_id=job.public_id)),
    )
    # Stopped and committed before the rows go: a worker finishing meanwhile either recorded its
    # result already (erased below) or can no longer record one.
    _stop_jobs(session, which)
    session.commit()
    _erase_jobs(session, which)
    session.commit()


def list_jobs(
    session: Session,
    principal: Principal,
    offset: int,
    limit: int,
    status: JobStatus | None,
    scenario_id: str | None,
    kind: JobKind | None = None,
) -> tuple[Sequence[Job], int]:
    _require(principal, Permission.READ_JOBS)
    conditions = [Job.organisation_id == principal.organisation_id, _of_a_kept_scenario()]
    if status is not None:
        conditions.append(Job.status == status)
    if kind is not None:
        conditions.append(Job.kind == kind)
    if scenario_id is not None:
        conditions.append(
            Job.scenario_version_id.in_(
                select(ScenarioVersion.id)
                .join(Scenario, Scenario.id == ScenarioVersion.scenario_id)
                .where(Scenario.public_id == scenario_id)
            )
        )
    total = session.scalar(select(func.count()).select_from(Job).where(*conditions))
    jobs = session.scalars(select(Job).where(*conditions).order_by(Job.id.desc()).offset(offset).limit(limit)).all()
    return jobs, int(total or 0)


def job_is_finished(engine: Engine, job_id: str) -> bool:
    """Whether the job has finished, read in one short read-only transaction."""
    with engine.connect().execution_options(commission_read_only=True) as connection:
        status = connection.scalar(select(Job.status).where(Job.public_id == job_id))
        connection.rollback()
    return status is None or JobStatus(status) in FINISHED_STATUSES


def cancel_job(session: Session, principal: Principal, job_id: str) -> Job:
    """Cancel a queued or running job. A cancelled one is returned as it is (a repeated cancel,
    such as a client's retry, is safe: docs/api.md); one that succeeded or failed is a conflict."""
    job = get_job(session, principal, job_id)
    _require(principal, PERMISSION_TO_RUN[job.kind])
    now = utc_now()
    session.execute(
        update(Job)
        .where(Job.id == job.id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .values(status=JobStatus.CANCELLED, finished_at=now, error="cancelled on request")
    )
    session.commit()
    session.refresh(job)
    if job.status != JobStatus.CANCELLED:
        raise Conflict(f"job {job_id} has already finished ({job.status})")
    return job


def purge(session: Session, retention_days: int | None) -> tuple[int, int]:
    """What `commission purge` erases: every deleted scenario's remaining content (left by an
    earlier version of the service, or by a delete that stopped half way), desk sessions that
    have ended, and with ``retention_days``: finished jobs that finished longer ago than that,
    and scenarios with no version stored and no job run since then (with their jobs).
    Returns how many scenarios and jobs it erased."""
    now = utc_now()
    session.execute(delete(DeskSession).where(DeskSession.expires_at <= now))
    session.commit()
    scenario_ids = set(
        session.scalars(
            select(ScenarioVersion.scenario_id)
            .join(Scenario, Scenario.id == ScenarioVersion.scenario_id)
            .where(Scenario.deleted_at.is_not(None))
        ).all()
    )
    jobs = 0
    if retention_days is not None:
        cutoff = now - timedelta(days=retention_days)
        recent_versions = select(ScenarioVersion.scenario_id).where(ScenarioVersion.created_at > cutoff)
        recent_jobs = (
            select(ScenarioVersion.scenario_id)
            .join(Job, Job.scenario_version_id == ScenarioVersion.id)
            .where(Job.created_at > cutoff)
        )
        unused = session.scalars(
            select(Scenario.id).where(
                Scenario.deleted_at.is_(None), Scenario.id.not_in(recent_versions), Scenario.id.not_in(recent_jobs)
            )
        ).all()
        if unused:
            session.execute(update(Scenario).where(Scenario.id.in_(unused)).values(deleted_at=now))
            _stop_jobs(session, _jobs_of_scenarios(unused))
            session.commit()
            scenario_ids.update(unused)
        jobs += _erase_jobs(session, and_(Job.status.in_(FINISHED_STATUSES), Job.finished_at < cutoff))
        session.commit()
    for scenario_id in sorted(scenario_ids):
        jobs += session.scalar(select(func.count()).select_from(Job).where(_jobs_of_scenarios([scenario_id]))) or 0
        erase_deleted_scenario(session, scenario_id)
    return len(scenario_ids), jobs


def get_job_table(session: Session, principal: Principal, job_id: str, name: str) -> JobTable:
    job = get_job(session, principal, job_id)
    table = session.scalar(select(JobTable).where(JobTable.job_id == job.id, JobTable.name == name))
    if table is None:
        raise NotFound(f"job {job_id} has no table {shown(name)}")
    return table


def _require(principal: Principal, permission: Permission) -> None:
    if not principal.can(permission):
        raise Forbidden(f"the {principal.role} role may not {permission}")
