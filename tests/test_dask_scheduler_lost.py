"""Audit 13, finding 6: a Dask scheduler killed mid-batch is the batch failing, not its runs.

A real cluster (``dask scheduler`` and ``dask worker`` processes) and the installed ``commission
batch``: the scheduler is killed (SIGKILL) while runs are in flight. The stream ends with the
documented ``error`` event naming the scheduler, the batch exits 1 without a traceback, no run is
recorded as failed, and the same command with a new scheduler at the same address runs what was
unfinished and skips what finished.
"""

from __future__ import annotations

import csv
import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import dask
import pytest

from optimiser.batch import SchedulerLost, load_manifest, run_batch
from optimiser.execution import connect_dask
from tests import console
from tests.conftest import base_document
from tests.servers import free_port

REPO = Path(__file__).resolve().parents[1]
# One quick solve, then sweeps of a few seconds each on the one worker thread: when the first
# run has reported, the sweeps are still running or queued.
MANIFEST = """
[[runs]]
id = "quick"
scenario = "tiny.json"

[[runs]]
id = "sweep"
scenario = "example_icb"
kind = "sweep"
grid = { budget = ["15000000:25000000:3", "16000000:26000000:3"] }
"""
RUN_IDS = {"quick", "sweep--budget=15000000_25000000_3", "sweep--budget=16000000_26000000_3"}
START_S = 30  # how long a scheduler may take to listen, on a busy machine


def dask_script() -> str:
    script = shutil.which("dask", path=str(Path(console.console_script()).parent))
    assert script is not None, "the dask console script (dask[distributed], in the lock) is not installed"
    return script


class Cluster:
    """A ``dask scheduler`` and one single-threaded ``dask worker`` (no nanny: one process each)."""

    def __init__(self, port: int, logs: Path, *, worker: bool = True):
        self.address = f"tcp://127.0.0.1:{port}"
        logs.mkdir(parents=True, exist_ok=True)
        self.logs: list[IO[str]] = []
        self.scheduler = subprocess.Popen(
            [dask_script(), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            stdout=subprocess.DEVNULL,
            stderr=self._log(logs / "scheduler.log"),
        )
        self.worker: subprocess.Popen[bytes] | None = None
        try:
            self._wait_listening(port)
        except AssertionError:
            self.stop()  # not yet in the test's list of clusters to stop
            raise
        if worker:
            self.worker = subprocess.Popen(
                [dask_script(), "worker", self.address, "--nthreads", "1", "--no-nanny", "--no-dashboard"],
                stdout=subprocess.DEVNULL,
                stderr=self._log(logs / "worker.log"),
            )

    def _log(self, path: Path) -> IO[str]:
        self.logs.append(path.open("w"))
        return self.logs[-1]

    def _wait_listening(self, port: int) -> None:
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            assert self.scheduler.poll() is None, "the scheduler exited"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"the scheduler did not listen on {port} within {START_S} s")

    def stop(self) -> None:
        """SIGKILL: a test cluster has nothing to save, and neither process has children."""
        for process in (self.worker, self.scheduler):
            if process is None:
                continue
            if process.poll() is None:
                process.kill()
            process.wait()
        for log in self.logs:
            log.close()


@pytest.fixture
def clusters() -> Iterator[list[Cluster]]:
    """The clusters a test starts; each stopped at the end, whatever happened."""
    started: list[Cluster] = []
    yield started
    for cluster in started:
        cluster.stop()


def test_a_scheduler_killed_mid_batch_stops_the_batch_and_a_rerun_resumes(
    tmp_path: Path, clusters: list[Cluster]
) -> None:
    here = tmp_path / "batch"
    here.mkdir()
    (here / "tiny.json").write_text(json.dumps(base_document()))
    shutil.copytree(REPO / "data" / "example_icb", here / "example_icb")
    (here / "nightly.toml").write_text(MANIFEST)
    port = free_port()
    clusters.append(Cluster(port, tmp_path / "first"))
    first = clusters[0]
    command = [console.console_script(), "batch", "nightly.toml", "--out", "out", "--dask", first.address]
    command += ["--format", "json"]

    stderr_path = tmp_path / "first" / "batch.stderr"
    with stderr_path.open("w") as stderr:
        batch = subprocess.Popen(command, cwd=here, stdout=subprocess.PIPE, stderr=stderr, text=True)
        assert batch.stdout is not None
        lines = [batch.stdout.readline(), batch.stdout.readline()]  # start, then the first run to finish
        assert [json.loads(line)["event"] for line in lines] == ["start", "run"], lines
        first.scheduler.kill()  # SIGKILL: gone without a word to anyone
        rest, _ = batch.communicate(timeout=120)
    events = console.strict_json_lines("".join(lines) + rest)
    stderr_text = stderr_path.read_text()

    assert batch.returncode == 1, stderr_text
    last = events[-1]
    assert (last["event"], last.get("status")) == ("error", "error"), events
    assert last["message"].startswith(
        f"the batch stopped: lost the connection to the Dask scheduler at {first.address}"
    )
    assert last["message"].endswith("run the same command again to resume")
    runs = [event for event in events if event["event"] == "run"]
    assert runs and all(run["state"] == "succeeded" for run in runs), "the runs in flight are not failures"
    finished = {run["run_id"] for run in runs}
    assert finished < RUN_IDS, "the scheduler was killed with runs unfinished"
    assert f"with {len(RUN_IDS) - len(finished)} of {len(RUN_IDS)} runs unfinished" in last["message"]
    assert "Traceback" not in stderr_text
    assert f"error: {last['message']}" in " ".join(stderr_text.split())
    out = here / "out"
    # What finished is in place; nothing else is, and no summary blames a run.
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == finished
    assert not (out / "summary.csv").exists()

    # The same command, with a new scheduler at the same address: what finished is skipped.
    first.stop()
    clusters.append(Cluster(port, tmp_path / "second"))
    again = subprocess.run(command, cwd=here, capture_output=True, text=True, timeout=180, check=False)
    assert again.returncode == 0, again.stderr
    events = console.strict_json_lines(again.stdout)
    assert events[0] == {**events[0], "event": "start", "total": len(RUN_IDS), "cached": len(finished)}
    runs = [event for event in events if event["event"] == "run"]
    assert {run["run_id"] for run in runs} == RUN_IDS
    assert {run["run_id"] for run in runs if run["cached"]} == finished
    assert all(run["state"] == "succeeded" for run in runs)
    assert events[-1] == {**events[-1], "event": "end", "succeeded": len(RUN_IDS), "failed": 0}
    with (out / "summary.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["run_id"]: row["state"] for row in rows} == dict.fromkeys(RUN_IDS, "succeeded")
    assert "Traceback" not in again.stderr


def test_runs_submitted_while_the_client_reconnects_are_not_failures_either(
    tmp_path: Path, clusters: list[Cluster]
) -> None:
    """The scheduler gone between the batch's connection and its first submission: the client is
    trying to reconnect, so the runs wait, and when it gives up (``distributed.comm.timeouts.connect``,
    here 8 s: longer than the batch takes to submit) it cancels them for no stated reason. That is the
    scheduler lost too, not a failed run."""
    (tmp_path / "tiny.json").write_text(json.dumps(base_document()))
    (tmp_path / "one.toml").write_text('[[runs]]\nid = "quick"\nscenario = "tiny.json"\n')
    clusters.append(Cluster(free_port(), tmp_path / "logs", worker=False))
    cluster = clusters[0]
    import distributed  # noqa: F401 - its settings, read below, come with it

    with dask.config.set({"distributed.comm.timeouts.connect": "8s"}):
        connected = connect_dask(cluster.address)
    cluster.scheduler.kill()
    cluster.scheduler.wait()
    reporter = Recorder()
    with pytest.raises(SchedulerLost) as lost:
        run_batch(
            load_manifest(tmp_path / "one.toml"),
            tmp_path / "out",
            dask_address=cluster.address,
            reporter=reporter,
            executor_factory=lambda: connected,
        )
    assert (lost.value.address, lost.value.unfinished, lost.value.total) == (cluster.address, 1, 1)
    assert reporter.runs == [], "no run recorded, failed or otherwise"
    assert not (tmp_path / "out" / "quick").exists() and not (tmp_path / "out" / "summary.csv").exists()


class Recorder:
    """A reporter that keeps the runs it is told of."""

    def __init__(self) -> None:
        self.runs: list[dict] = []

    def start(self, total: int, cached: int) -> None: ...

    def advance(self, record: dict, done: int, total: int) -> None:
        self.runs.append(record)

    def finish(self, counts: dict[str, int]) -> None: ...

    def interrupted(self, signal_name: str, done: int, total: int) -> None: ...
