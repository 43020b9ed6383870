"""What every benchmark shares: the synthetic scales, the budgets and time limit, peak memory, logging.

The bottom of ``bench/``: the measuring modules (``bench.run``, ``bench.national``,
``bench.algorithms``) and the renderer of RESULTS.md (``bench.results``) import from here.
"""

from __future__ import annotations

import resource
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
# Generated from the raw numbers by bench.results (every section; check_speed rewrites its own).
RESULTS_MD = BENCH / "RESULTS.md"
# Sweep budgets: min-cost spend x these factors (all deliverable; the budget binds in max_value).
SWEEP_FROM, SWEEP_TO = 1.01, 1.10
# The scenarios' own solver time limit (60 s) would cut England's solves short; the baseline has none.
TIME_LIMIT_S = 3_600.0


@dataclass(frozen=True)
class Scale:
    name: str
    n_practices: int
    n_pcns: int
    n_roles: int = 15
    n_services: int = 25


SCALES = {
    "icb": Scale("icb", 250, 50),
    "region": Scale("region", 1_500, 300),
    "england": Scale("england", 6_300, 1_250),
}


def cpu_model() -> str:
    """The CPU's model name: every measurement records it, as results from several machines share one file."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or "unknown"


STATUS = Path("/proc/self/status")


def peak_bytes() -> int:
    """This process's own peak resident memory: ``VmHWM`` of ``/proc/self/status`` (in kB).

    Not ``ru_maxrss``: Linux keeps the peak of the memory image a process replaces at exec, so a
    child started by ``subprocess`` (vfork, then exec) reports at least its parent's peak, the
    driver's (bench/README.md: measured, a 300 MB driver made a 11 MB child read 319 MB). ``VmHWM``
    is the peak of the process's own address space since exec, its threads included. Where there
    is no ``/proc`` (not Linux), ``ru_maxrss``: kilobytes, except bytes on macOS.
    """
    try:
        for line in STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def log(message: str) -> None:
    print(f"[{datetime.now().strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
