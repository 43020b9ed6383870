"""Waiting clients cannot exhaust the service: a real server (uvicorn in a subprocess) on
SQLite and on PostgreSQL takes 100 concurrent long-polls and 20 submissions with no 5xx,
while `/healthz` answers in under a second throughout. The figures go to
docs/reliability.md (run with `-s` to see them)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from api import crud
from api.db import create_db_engine, create_session_factory, upgrade_database
from api.orm import Role
from optimiser.io import read_document
from tests.api.conftest import BACKENDS, database_url
from tests.api.helpers import TINY
from tests.servers import Server

# Times /healthz under load: it runs while no other test runs
# (marked alone: see tests/conftest.py).
pytestmark = pytest.mark.alone

LONG_POLLS = 100
SUBMISSIONS = 20
WAIT_S = 8
HEALTH_LIMIT_S = 1.0
TEST_LIMIT_S = 60


def make_key(url: str) -> dict[str, str]:
    upgrade_database(url)
    engine = create_db_engine(url)
    try:
        with create_session_factory(engine)() as session:
            organisation = crud.get_or_create_organisation(session, "load")
            _key, token = crud.create_key(session, organisation, Role.COMMISSIONER, None)
    finally:
        engine.dispose()
    return {"X-API-Key": token}


def peak_memory_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return -1


PROBE = """
import json, sys, time, pathlib, httpx
url, stop = sys.argv[1], pathlib.Path(sys.argv[2])
latencies, statuses, times = [], [], []
with httpx.Client(timeout=30) as client:
    while not stop.exists():
        started = time.perf_counter()
        times.append(time.time())
        try:
            statuses.append(client.get(url + "/healthz").status_code)
        except httpx.HTTPError:
            statuses.append(0)
        latencies.append(time.perf_counter() - started)
        time.sleep(0.1)
print(json.dumps({"latencies": latencies, "statuses": statuses, "times": times}))
"""


class HealthProbe:
    """Times GET /healthz every 100 ms from a process of its own (so that the load
    generator's work in this process cannot delay it)."""

    def __init__(self, url: str, stop_file: Path) -> None:
        self.stop_file = stop_file
        self.process = subprocess.Popen(
            [sys.executable, "-c", PROBE, url, str(stop_file)], stdout=subprocess.PIPE, text=True
        )
        self.latencies: list[float] = []
        self.statuses: list[int] = []
        self.times: list[float] = []
        self.started_at = time.time()

    def finish(self) -> None:
        self.stop_file.touch()
        output, _ = self.process.communicate(timeout=60)
        measured = json.loads(output)
        self.latencies, self.statuses, self.times = measured["latencies"], measured["statuses"], measured["times"]


async def load(url: str, headers: dict[str, str]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=LONG_POLLS + SUBMISSIONS + 10)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as client:
        created = await client.post("/scenarios", json=read_document(TINY))
        assert created.status_code == 201, created.text
        scenario_id = created.json()["id"]
        targets = []
        for budget in (40_000, 45_000, 50_000, 60_000, 70_000):
            body = {"scenario_id": scenario_id, "kind": "solve", "overrides": {"budget_gbp": budget}}
            submitted = await client.post("/jobs", json=body)
            assert submitted.status_code == 202, submitted.text
            targets.append(submitted.json()["id"])

        async def long_poll(number: int) -> httpx.Response:
            return await client.get(f"/jobs/{targets[number % len(targets)]}?wait={WAIT_S}")

        async def submit(number: int) -> httpx.Response:
            body = {"scenario_id": scenario_id, "kind": "check", "overrides": {"budget_gbp": 1_000 * (number + 1)}}
            return await client.post("/jobs", json=body)

        started = time.perf_counter()
        responses = await asyncio.gather(
            *(long_poll(n) for n in range(LONG_POLLS)), *(submit(n) for n in range(SUBMISSIONS))
        )
        elapsed = time.perf_counter() - started
    return {"responses": responses, "elapsed_s": elapsed}


@pytest.mark.slow
@pytest.mark.parametrize("backend", BACKENDS)
def test_long_polls_and_submissions_leave_the_service_responsive(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    url = database_url(request, backend, tmp_path_factory)
    headers = make_key(url)
    server = Server(
        url,
        tmp_path,
        COMMISSION_MIGRATE_ON_START="false",
        COMMISSION_MAX_WAIT_S=str(WAIT_S),
        COMMISSION_JOB_POLL_INTERVAL_S="0.2",
        COMMISSION_LOG_LEVEL="WARNING",
    )
    server.start()
    probe = HealthProbe(server.url, tmp_path / "stop-probe")
    try:
        time.sleep(1)  # the probe is up before the load starts
        started = time.perf_counter()
        outcome = asyncio.run(load(server.url, headers))
        total_s = time.perf_counter() - started
        probe.finish()
        assert server.process is not None
        memory_kb = peak_memory_kb(server.process.pid)
    finally:
        probe.stop_file.touch()
        server.stop()

    responses: list[httpx.Response] = outcome["responses"]
    polls, submissions = responses[:LONG_POLLS], responses[LONG_POLLS:]
    server_errors = [r for r in responses if r.status_code >= 500]
    figures = {
        "backend": backend,
        "requests": len(responses) + len(probe.latencies),
        "long_polls": len(polls),
        "submissions": len(submissions),
        "5xx": len(server_errors),
        "health_checks": len(probe.latencies),
        "worst_health_s": round(max(probe.latencies), 3),
        "load_s": round(outcome["elapsed_s"], 1),
        "server_peak_rss_mb": round(memory_kb / 1024, 1),
        "slowest_health_at_s": sorted(
            (
                (round(t, 3), round(at - probe.started_at, 1))
                for t, at in zip(probe.latencies, probe.times, strict=True)
            ),
            reverse=True,
        )[:3],
    }
    print("LOAD FIGURES", json.dumps(figures))
    assert server_errors == [], [(r.status_code, r.text[:200]) for r in server_errors]
    assert all(r.status_code == 200 for r in polls), {r.status_code for r in polls}
    assert all(r.json()["status"] in ("queued", "running", "succeeded") for r in polls)
    assert all(r.status_code == 202 for r in submissions), {r.status_code for r in submissions}
    assert set(probe.statuses) == {200}
    assert max(probe.latencies) < HEALTH_LIMIT_S, figures
    assert total_s < TEST_LIMIT_S, figures
