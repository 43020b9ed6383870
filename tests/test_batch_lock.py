"""One batch at a time in a results folder (audit 9, A12): a second ``commission batch`` into an
``--out`` another live batch is writing exits at once (exit 2) instead of doing every run again;
a batch killed outright leaves nothing that blocks the next, which resumes it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests import console


def many_runs(tmp_path: Path, runs: int) -> Path:
    budgets = [40_000 + 100 * i for i in range(runs)]
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps({"runs": [{"id": "t", "scenario": str(console.TINY), "grid": {"budget_gbp": budgets}}]})
    )
    return manifest


def start_batch(manifest: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [console.console_script(), "batch", str(manifest), "--out", str(out), "--workers", "1", "--format", "json"],
        cwd=manifest.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_for_runs(process: subprocess.Popen[bytes], done: int) -> None:
    """Read the batch's JSON lines until ``done`` runs have finished (0: until it has started)."""
    assert process.stdout is not None
    for line in process.stdout:
        event = json.loads(line)
        if (event["event"] == "start" and done == 0) or (event["event"] == "run" and event["done"] >= done):
            return
    raise AssertionError(f"the batch ended first (exit {process.wait()})")


def test_a_second_batch_into_the_same_folder_exits_at_once_naming_it(tmp_path: Path) -> None:
    # Enough runs (one worker) that the first batch is still running when the second has started.
    manifest, out = many_runs(tmp_path, 40), tmp_path / "out"
    first = start_batch(manifest, out)
    try:
        wait_for_runs(first, 0)
        started = time.monotonic()
        second = console.run("batch", str(manifest), "--out", str(out), "--workers", "1", "--format", "json")
        waited = time.monotonic() - started
        assert second.returncode == 2, second.stdout + second.stderr
        assert first.poll() is None, "the first batch must still be running for this to test anything"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGTERM)
        first.wait(timeout=60)
    [event] = console.strict_json_lines(second.stdout)  # no start: nothing ran
    [problem] = event["problems"]
    assert (event["event"], problem["table"], problem["column"]) == ("invalid", "options", "--out")
    assert problem["message"] == (
        f"{out} is in use by another batch (process {first.pid}); nothing was run. "
        "Run this batch when that one has finished, or give it another results folder"
    )
    assert f"--out: {out} is in use by another batch" in second.stderr
    assert waited < 30, f"the second batch took {waited:.0f} s to refuse"
    # The first batch, stopped, let go of the folder: its lock file is gone with it.
    assert not (out / ".batch.lock").exists()


def test_a_batch_killed_outright_does_not_block_the_next_which_resumes_it(tmp_path: Path) -> None:
    manifest, out = many_runs(tmp_path, 6), tmp_path / "out"
    first = start_batch(manifest, out)
    try:
        wait_for_runs(first, 2)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the lock file stays behind; the OS lets go of its lock
        first.wait(timeout=60)
    assert (out / ".batch.lock").exists()
    finished = {path.parent.name for path in out.glob("*/result.json")}
    assert len(finished) >= 2

    again = console.run("batch", str(manifest), "--out", str(out), "--workers", "1", "--format", "json")
    assert again.returncode == 0, again.stdout + again.stderr
    events = console.strict_json_lines(again.stdout)
    assert events[0] == {**events[0], "event": "start", "total": 6, "cached": len(finished)}
    assert events[-1] == {**events[-1], "event": "end", "succeeded": 6, "failed": 0}
    assert not list(out.glob(".*")), "the lock file is removed when the batch ends"
