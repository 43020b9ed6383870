"""Storage: organisations, API keys, desk sessions, scenarios with immutable versions, shares and jobs."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from api.ids import new_public_id


def utc_now() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(
        self,
        value: datetime | None,
        dialect: Dialect,  # noqa: ARG002 - SQLAlchemy's TypeDecorator signature; only binding reads it
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Role(enum.StrEnum):
    ADMIN = "admin"
    COMMISSIONER = "commissioner"
    NEGOTIATOR = "negotiator"


class JobKind(enum.StrEnum):
    SOLVE = "solve"
    CHECK = "check"
    SWEEP = "sweep"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED_STATUSES = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


def _enum_values(enum_class: type[enum.Enum]) -> list[str]:
    return [str(member.value) for member in enum_class]


def _string_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(enum_class, name=name, native_enum=False, length=20, values_callable=_enum_values)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime(), dict[str, Any]: JSON()}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class ApiKey(Base):
    """A key is shown once; only the SHA-256 of its secret is kept. `prefix` finds the row."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[Role] = mapped_column(_string_enum(Role, "role"))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    revoked_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class DeskSession(Base):
    """A signed-in desk session. Its cookie carries the nonce, this row only its SHA-256: signing
    out deletes the row, and a session unused for COMMISSION_DESK_IDLE_TIMEOUT_S ends (docs/desk.md)."""

    __tablename__ = "desk_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[datetime] = mapped_column(default=utc_now)
    expires_at: Mapped[datetime]


class Scenario(Base):
    __tablename__ = "scenarios"
    __table_args__ = (UniqueConstraint("organisation_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    deleted_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(lazy="joined")
    versions: Mapped[list[ScenarioVersion]] = relationship(back_populates="scenario", order_by="ScenarioVersion.number")
    shares: Mapped[list[Share]] = relationship(order_by="Share.id")


class ScenarioVersion(Base):
    """One immutable version of a scenario's document."""

    __tablename__ = "scenario_versions"
    __table_args__ = (UniqueConstraint("scenario_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    number: Mapped[int]
    document: Mapped[dict[str, Any]] = mapped_column(deferred=True)
    scenario_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    scenario: Mapped[Scenario] = relationship(back_populates="versions")


class Share(Base):
    """Read-only access to a scenario for another organisation."""

    __tablename__ = "shares"
    __table_args__ = (UniqueConstraint("scenario_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scenario_id: Mapped[int] = mapped_column(ForeignKey("scenarios.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)

    organisation: Mapped[Organisation] = relationship(lazy="joined")


class Job(Base):
    """A solve, check or sweep of one scenario version; claimed by workers under a lease."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("organisation_id", "idempotency_key"),
        Index("ix_jobs_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(36), unique=True, default=new_public_id)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    scenario_version_id: Mapped[int] = mapped_column(ForeignKey("scenario_versions.id"))
    kind: Mapped[JobKind] = mapped_column(_string_enum(JobKind, "job_kind"))
    overrides: Mapped[dict[str, Any]]
    status: Mapped[JobStatus] = mapped_column(_string_enum(JobStatus, "job_status"))
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)  # every start (docs/api.md)
    # starts given back to the queue by a worker stopping cleanly: not held against the retry limit
    released_starts: Mapped[int] = mapped_column(default=0, server_default="0")
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_expires_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    duration_s: Mapped[float | None]

    version: Mapped[ScenarioVersion] = relationship(lazy="joined")
    tables: Mapped[list[JobTable]] = relationship(order_by="JobTable.position")

    @property
    def ran(self) -> bool:
        """Its run ended with a result of its kind: it succeeded, or it failed without an answer
        (``optimiser.runs.run_failed``: a check without a verdict, a solve or a sweep's point
        stopped at its time limit without a solution) and keeps what the run found. Such a job's
        result, tables and (a check's) report are served as a succeeded job's are (docs/api.md)."""
        if self.status == JobStatus.SUCCEEDED:
            return True
        if self.status != JobStatus.FAILED or not self.result or self.result.get("kind") != str(self.kind):
            return False
        from optimiser.runs import run_failed

        return run_failed(self.result) is not None


class JobTable(Base):
    """One result table of a finished job, stored column names plus rows."""

    __tablename__ = "job_tables"
    __table_args__ = (UniqueConstraint("job_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    columns: Mapped[list[str]] = mapped_column(JSON)
    row_count: Mapped[int]
    rows: Mapped[list[list[Any]]] = mapped_column(JSON, deferred=True)
