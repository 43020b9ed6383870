"""A deliverable check states the money spare once in the headline and once in the money lever's
sentence beside it: the same amount reads the same figure in both (pence where the headline shows
pence: £150.75, never £150 in the lever beside £150.75 in the headline)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.require import require_or_skip

REPO = Path(__file__).resolve().parents[1]
COMMISSION = Path(sys.executable).with_name("commission")


@pytest.mark.parametrize(
    ("budget", "spare"),
    [("37150.75", "£150.75"), ("1234567.89", "£1,197,567.89"), ("37000.50", "£0.50"), ("50000", "£13,000")],
)
def test_the_lever_states_the_headlines_spare(budget: str, spare: str) -> None:
    require_or_skip(COMMISSION.exists(), "the console script is not installed (pip install -e .)")
    done = subprocess.run(
        [str(COMMISSION), "check", str(REPO / "data" / "tiny"), "--budget", budget, "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    headline = re.search(r"leaving (£[\d,.]+) spare", result["summary"])
    assert headline is not None, result["summary"]
    lever = next(lever for lever in result["levers"] if lever["lever"] == "budget")
    assert headline.group(1) == spare
    assert lever["sentence"] == f"No more money is needed: {spare} of the budget is spare."
    assert lever["details"]["headroom_gbp"] == pytest.approx(result["headline"]["headroom_gbp"], abs=0)
