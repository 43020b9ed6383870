"""Prometheus metrics, read from the database at scrape time so that every worker
process's jobs are counted and the numbers survive restarts; and this API process's job workers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from api.orm import Job, JobStatus, utc_now

if TYPE_CHECKING:
    from api.worker import WorkerPool

DURATION_BUCKETS_S = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class JobMetrics(Collector):
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self._sessions() as session:
            by_status = {
                status: count
                for status, count in session.execute(select(Job.status, func.count()).group_by(Job.status))
            }
            durations = session.execute(
                select(
                    Job.kind,
                    func.count(),
                    func.coalesce(func.sum(Job.duration_s), 0.0),
                    *(func.sum(case((Job.duration_s <= bound, 1), else_=0)) for bound in DURATION_BUCKETS_S),
                )
                .where(Job.duration_s.is_not(None))
                .group_by(Job.kind)
            ).all()
            oldest_queued = session.scalar(select(func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED))
            session.commit()

        jobs = GaugeMetricFamily("commission_jobs", "Jobs by status.", labels=["status"])
        for status in JobStatus:
            jobs.add_metric([status.value], by_status.get(status, 0))
        yield jobs
        yield GaugeMetricFamily(
            "commission_job_queue_depth", "Jobs waiting for a worker.", value=by_status.get(JobStatus.QUEUED, 0)
        )
        yield GaugeMetricFamily(
            "commission_oldest_queued_job_age_seconds",
            "How long the oldest queued job has waited since it was submitted (0: none is queued).",
            value=(utc_now() - oldest_queued).total_seconds() if oldest_queued else 0.0,
        )
        histogram = HistogramMetricFamily(
            "commission_job_duration_seconds", "Wall-clock time of finished job runs.", labels=["kind"]
        )
        for kind, count, total, *cumulative in durations:
            buckets = [(f"{bound:g}", int(n or 0)) for bound, n in zip(DURATION_BUCKETS_S, cumulative, strict=True)]
            histogram.add_metric([str(kind)], [*buckets, ("+Inf", int(count))], sum_value=float(total))
        yield histogram


class WorkerMetrics(Collector):
    """This API process's job workers (each API process runs its own pool)."""

    def __init__(self, workers: WorkerPool) -> None:
        self._workers = workers

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "commission_workers_configured",
            "Job workers this API process runs (COMMISSION_WORKERS).",
            value=self._workers.configured,
        )
        yield GaugeMetricFamily("commission_workers_alive", "Job workers alive now.", value=self._workers.alive())
        yield CounterMetricFamily(
            "commission_worker_deaths",
            "Job workers that died (killed, crashed) and were replaced since this API process started.",
            value=self._workers.deaths,
        )


def create_registry(sessions: sessionmaker[Session], workers: WorkerPool) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobMetrics(sessions))
    registry.register(WorkerMetrics(workers))
    return registry
