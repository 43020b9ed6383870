"""Helpers for tests that run the *installed* ``commission`` console script in a subprocess.

An in-process runner cannot see what a C library writes to file descriptor 1, so these
tests run the script the package installed next to this interpreter, as a user would.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "data" / "tiny"


def console_script() -> str:
    """The ``commission`` script installed into this interpreter's environment (fails if missing)."""
    bin_dir = Path(sys.prefix) / ("Scripts" if sys.platform == "win32" else "bin")
    script = shutil.which("commission", path=str(bin_dir))
    assert script is not None, f"the console script is not installed in {bin_dir}: pip install -e . first"
    return script


def run(*args: str, cwd: Path = REPO, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [console_script(), *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


# The folder where `shared_run` keeps what each command printed: set for the session by
# tests/conftest.py (shared by pytest-xdist's workers).
SHARED_RUNS: Path | None = None


def shared_run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``run(*args)`` from the repository, once per test session: every test, on any xdist worker,
    that asks for the same command (and the same COMMISSION_* environment) reads what that one run
    printed and its exit code. For commands that only read the repository's data and whose output
    tests only read (a check of data/undeliverable_offer); never for a test of what a second run
    does (that two runs agree, that a run is quick) or of anything a command writes."""
    assert SHARED_RUNS is not None, "tests/conftest.py sets SHARED_RUNS for the session"
    environment = {name: value for name, value in os.environ.items() if name.startswith("COMMISSION_")}
    key = hashlib.sha256(json.dumps([args, sorted(environment.items())]).encode()).hexdigest()[:32]
    SHARED_RUNS.mkdir(parents=True, exist_ok=True)
    stored = SHARED_RUNS / f"{key}.json"
    with (SHARED_RUNS / f"{key}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the first asker runs it; the others wait for its answer
        if not stored.exists():
            done = run(*args, timeout=timeout)
            written = stored.with_suffix(".part")
            written.write_text(
                json.dumps({"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr})
            )
            written.replace(stored)
    answer = json.loads(stored.read_text())
    return subprocess.CompletedProcess(
        [console_script(), *args], answer["returncode"], answer["stdout"], answer["stderr"]
    )


def check_text(result: dict[str, Any]) -> str:
    """What `commission check` prints for ``result``, its --format json answer: ``check_text_lines``
    (tests/test_check_text.py holds the two equal on the installed script's output)."""
    from optimiser.deliverability.wording import check_text_lines

    return "\n".join(check_text_lines(result)) + "\n"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"not strict JSON: {name}")


def strict_json(text: str) -> Any:
    """Parse ``text`` as exactly one JSON document: no leading/trailing lines, no NaN or Infinity."""
    return json.loads(text, parse_constant=_reject_constant)


def strict_json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` is one JSON object (and there is at least one)."""
    lines = text.splitlines()
    assert lines, "no output"
    events = [strict_json(line) for line in lines]
    assert all(isinstance(event, dict) for event in events)
    return events


def undeliverable_tiny(tmp_path: Path) -> Path:
    """data/tiny with a budget far below its £37,000 least cost: a small undeliverable case."""
    target = tmp_path / "tiny_undeliverable"
    shutil.copytree(TINY, target)
    settings = json.loads((target / "settings.json").read_text())
    settings["budget_gbp"] = 1_000
    (target / "settings.json").write_text(json.dumps(settings))
    return target


def session_processes(session_id: int) -> list[int]:
    """Pids of live processes in session ``session_id`` (read from /proc, no psutil)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, session = fields[0], int(fields[3])
        if session == session_id and state not in ("Z", "X"):
            pids.append(int(entry.name))
    return pids


@cache
def check_json(*args: str) -> dict[str, Any]:
    """``commission check ARGS --format json`` through the console script, once per session."""
    done = shared_run("check", *args, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = strict_json(done.stdout)
    return result


def lever(result: dict[str, Any], name: str) -> dict[str, Any]:
    """The lever named ``name`` of a check's JSON."""
    found: dict[str, Any] = next(item for item in result["levers"] if item["lever"] == name)
    return found
