"""SIGTERM / Ctrl-C to the installed ``commission`` script: worker processes stop within seconds,
nothing half-written is left where a complete result is expected, ``batch`` ends its JSON lines
with an ``interrupted`` event, the exit code is 128 + the signal (130 / 143), and a rerun resumes.

Process checks read /proc: each command is started in its own session, so every process it
starts (the fork server and the pool's workers) carries that session id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from models.synthetic import generate_scenario
from tests.console import TINY, console_script, session_processes, strict_json, strict_json_lines

# Timed (stopped within seconds) and waits on a child's CPU seconds: it runs while no other test runs
# (marked alone: see tests/conftest.py).
pytestmark = pytest.mark.alone

STOP_WITHIN_S = 10.0  # generous for a loaded CI machine; the batch itself waits at most 3 s for workers
# A command prints nothing while it solves under --format json. Starting up (imports, reading and
# building the 40-practice scenario) takes about 1 CPU second here, so a process that has used
# this much CPU is solving; the sweep and the check below take 6 or more.
SOLVING_AFTER_CPU_S = 2.0


class Lines:
    """Every line a pipe gives, read by a thread, so a test can wait for one without blocking."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._ended = False
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(text in line for line in self.lines):
                remaining = deadline - time.monotonic()
                assert not self._ended, f"the command ended before printing {text!r}: {self.lines}"
                assert remaining > 0, f"no {text!r} within {timeout} s: {self.lines}"
                self._changed.wait(remaining)

    def text(self, timeout: float = 30) -> str:
        self._thread.join(timeout)
        return "".join(self.lines)


def start(*args: str, cwd: Path) -> tuple[subprocess.Popen[str], Lines, Lines]:
    process = subprocess.Popen(
        [console_script(), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None and process.stderr is not None
    return process, Lines(process.stdout), Lines(process.stderr)


def stop(process: subprocess.Popen[str], signum: int) -> float:
    """Send ``signum``; seconds until the process ended."""
    os.kill(process.pid, signum)
    signalled = time.monotonic()
    process.wait(timeout=60)
    return time.monotonic() - signalled


def wait_until_gone(session_id: int, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = session_processes(session_id)
        if not left:
            return []
        time.sleep(0.2)
    return session_processes(session_id)


def wait_until_solving(process: subprocess.Popen[str], timeout: float) -> None:
    """Until the process has used SOLVING_AFTER_CPU_S of CPU (Linux: /proc/PID/stat), still running."""
    deadline = time.monotonic() + timeout
    ticks = os.sysconf("SC_CLK_TCK")
    while time.monotonic() < deadline:
        assert process.poll() is None, "the command ended before it could be interrupted"
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        if (int(fields[11]) + int(fields[12])) / ticks >= SOLVING_AFTER_CPU_S:  # utime + stime
            return
        time.sleep(0.05)
    raise AssertionError(f"the command had not used {SOLVING_AFTER_CPU_S} s of CPU after {timeout} s")


def slow_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "icb40.json"
    path.write_text(json.dumps(generate_scenario(n_practices=40, n_pcns=5)))
    return path


def test_sigterm_stops_a_batch_and_its_workers_and_a_rerun_resumes(tmp_path: Path) -> None:
    slow = slow_scenario(tmp_path)
    manifest = tmp_path / "batch.toml"
    manifest.write_text(
        f'[[runs]]\nid = "tiny"\nscenario = "{TINY.as_posix()}"\ngrid = {{ budget_gbp = [40000, 45000] }}\n\n'
        f'[[runs]]\nid = "slow"\nscenario = "{slow.name}"\nkind = "sweep"\n'
        'grid = { budget = ["1m:6m:120", "1m:6m:121"] }\n'
    )
    out = tmp_path / "out"
    command = ("batch", str(manifest), "--out", str(out), "--workers", "2", "--format", "json")
    process, stdout, stderr = start(*command, cwd=tmp_path)
    try:
        stdout.wait_for('"done": 2,', timeout=240)
        workers = [pid for pid in session_processes(process.pid) if pid != process.pid]
        assert len(workers) >= 2, "the pool's workers should be running the slow sweeps"  # fork server + workers
        stopped_after = stop(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 143, stderr.text()
    assert stopped_after < STOP_WITHIN_S, f"took {stopped_after:.1f} s to stop"
    assert wait_until_gone(process.pid, STOP_WITHIN_S) == [], "worker processes outlived the batch"

    events = strict_json_lines(stdout.text())
    assert events[-1]["event"] == "interrupted" and events[-1]["signal"] == "SIGTERM"
    assert events[-1]["total"] == 4 and events[-1]["done"] == sum(e["event"] == "run" for e in events)
    assert not list(out.glob(".*")), "staging folders or temporary files were left behind"
    assert not (out / "summary.json").exists(), "a batch that did not finish must not write its summary"
    finished = set()
    for result_path in out.glob("*/result.json"):
        result = strict_json(result_path.read_text())  # complete, or absent
        assert result["batch"]["state"] == "succeeded"
        finished.add(result_path.parent.name)
    assert {"tiny--budget_gbp=40000", "tiny--budget_gbp=45000"} <= finished
    assert {p.name for p in out.iterdir()} == finished

    rerun = subprocess.run(
        [console_script(), *command], cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    runs = [e for e in strict_json_lines(rerun.stdout) if e["event"] == "run"]
    assert {e["run_id"] for e in runs if e["cached"]} == finished
    assert len(runs) == 4 and all(e["state"] == "succeeded" for e in runs)
    assert (out / "summary.json").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_a_sweep_mid_solve_and_leaves_no_output(tmp_path: Path, signum: int) -> None:
    slow = slow_scenario(tmp_path)
    out = tmp_path / "sweep"
    process, stdout, stderr = start(
        "sweep", str(slow), "--budget", "1m:6m:1000", "--out", str(out), "--format", "json", cwd=tmp_path
    )
    try:
        wait_until_solving(process, timeout=240)
        assert process.poll() is None, "the sweep ended before it could be interrupted"
        stopped_after = stop(process, signum)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 128 + signum, stderr.text()
    assert stopped_after < STOP_WITHIN_S
    assert stdout.text() == "", "an interrupted sweep must not print a result"
    assert "interrupted" in stderr.text() and "Traceback" not in stderr.text()
    assert not out.exists() and not list(tmp_path.glob(".*")), "partial sweep output was left behind"
    assert wait_until_gone(process.pid, STOP_WITHIN_S) == []


def test_a_signal_stops_check(tmp_path: Path) -> None:
    process, stdout, stderr = start(
        "check", str(slow_scenario(tmp_path)), "--budget", "100k", "--format", "json", cwd=tmp_path
    )
    try:
        wait_until_solving(process, timeout=240)
        stopped_after = stop(process, signal.SIGTERM)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 143, stderr.text()
    assert stopped_after < STOP_WITHIN_S
    assert stdout.text() == "", "an interrupted check must not print a verdict"
