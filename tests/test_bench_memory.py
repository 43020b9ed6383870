"""bench.common.peak_bytes is the measuring process's own peak, not its parent's (Linux keeps the
peak of the image a process replaces at exec, so ``ru_maxrss`` of a fresh child is at least its
parent's peak)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELD = 200 * 1024 * 1024

CHILD = "import json, resource; from bench.common import peak_bytes; " + (
    "print(json.dumps([peak_bytes(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024]))"
)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="VmHWM is Linux's /proc")
def test_a_fresh_child_reports_its_own_peak_not_the_drivers() -> None:
    held = bytearray(HELD)
    held[::4096] = b"\x01" * len(range(0, HELD, 4096))  # touch every page: it is resident
    done = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, check=True)
    own, inherited = json.loads(done.stdout)
    del held
    # The driver holds 200 MB; the child (an interpreter importing bench.common) holds far less.
    assert inherited >= HELD, "ru_maxrss carries the driver's peak over exec (why peak_bytes does not read it)"
    assert 1_000_000 < own < HELD / 2


def test_peak_bytes_is_in_bytes_and_covers_what_this_process_holds() -> None:
    from bench.common import peak_bytes

    held = bytearray(64 * 1024 * 1024)
    held[::4096] = b"\x01" * len(range(0, len(held), 4096))
    assert len(held) <= peak_bytes() < 64 * len(held)
    del held
