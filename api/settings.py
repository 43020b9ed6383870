"""Service configuration, read from `COMMISSION_*` environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

MEBIBYTE = 1024 * 1024


class Settings(BaseSettings):
    """Every setting can be given as `COMMISSION_<NAME>` (e.g. `COMMISSION_DATABASE_URL`)."""

    model_config = SettingsConfigDict(env_prefix="COMMISSION_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./commission.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB.",
    )
    migrate_on_start: bool = Field(default=True, description="Apply Alembic migrations when the API starts.")
    workers: int = Field(default=2, ge=0, description="Job worker processes started with the API (0: none).")
    job_time_limit_s: float = Field(
        default=600.0, gt=0, description="Hard wall-clock limit per job; its process is killed at the limit."
    )
    job_lease_s: float = Field(
        default=30.0, gt=0, description="A running job whose worker stops heartbeating for this long is requeued."
    )
    job_max_attempts: int = Field(
        default=3,
        ge=1,
        description=("Times a job is started before it is failed (a start given back by a clean stop not counted)."),
    )
    job_poll_interval_s: float = Field(default=0.5, gt=0, description="How often an idle worker looks for jobs.")
    max_request_bytes: int = Field(default=10 * MEBIBYTE, gt=0, description="Largest request body (413 above).")
    max_upload_expanded_bytes: int = Field(
        default=100 * MEBIBYTE, gt=0, description="Largest uncompressed content of an uploaded workbook or zip."
    )
    max_table_rows: int = Field(default=50_000, gt=0, description="Most rows in any one scenario table.")
    max_time_limit_s: float = Field(
        default=300.0, gt=0, description="Largest solver time_limit_s a scenario or override may ask for."
    )
    max_sweep_points: int = Field(default=50, ge=1, description="Most points in one sweep.")
    max_wait_s: float = Field(default=30.0, ge=0, description="Longest `?wait=` a request may hold.")
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        description="Bearer token operators' Prometheus sends for /metrics; unset: /metrics is off (404).",
    )
    desk_idle_timeout_s: float = Field(
        default=1800.0,
        gt=0,
        description="A desk session unused for this long ends (sign in again); it ends 8 hours after sign-in anyway.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="`commission purge` erases jobs and scenarios unused this many days (unset: kept until deleted).",
    )
    dask_address: str | None = Field(
        default=None, description="Run jobs on this Dask scheduler (tcp://HOST:PORT) instead of locally."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")

    # Outages and slow or many clients (audit 12 #6, audit 13 #2 and #3).
    max_concurrent_uploads: int = Field(
        default=3,
        ge=1,
        description="Scenario documents read and validated at once; more are answered 503 with Retry-After.",
    )
    body_read_timeout_s: float = Field(
        default=30.0, gt=0, description="Longest a client may take to send a request body (408 after)."
    )
    max_connections: int = Field(
        default=200, ge=1, description="Connections `commission serve` holds open at once; more are answered 503."
    )
    keep_alive_s: int = Field(
        default=5, ge=1, description="Seconds `commission serve` keeps an idle connection open for a next request."
    )
    header_read_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="Longest a client may take to send a request's line and headers; the connection is closed after.",
    )
