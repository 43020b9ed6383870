"""Prometheus metrics, read from the database at scrape time so that every worker
process's jobs are counted and the numbers survive restarts."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, sessionmaker

from api.orm import Job, JobStatus

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
            session.commit()

        jobs = GaugeMetricFamily("commission_jobs", "Jobs by status.", labels=["status"])
        for status in JobStatus:
            jobs.add_metric([status.value], by_status.get(status, 0))
        yield jobs
        yield GaugeMetricFamily(
            "commission_job_queue_depth", "Jobs waiting for a worker.", value=by_status.get(JobStatus.QUEUED, 0)
        )
        histogram = HistogramMetricFamily(
            "commission_job_duration_seconds", "Wall-clock time of finished job runs.", labels=["kind"]
        )
        for kind, count, total, *cumulative in durations:
            buckets = [(f"{bound:g}", int(n or 0)) for bound, n in zip(DURATION_BUCKETS_S, cumulative, strict=True)]
            histogram.add_metric([str(kind)], [*buckets, ("+Inf", int(count))], sum_value=float(total))
        yield histogram


def create_registry(sessions: sessionmaker[Session]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(JobMetrics(sessions))
    return registry
