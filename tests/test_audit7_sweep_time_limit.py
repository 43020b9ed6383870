"""Every solve of a whole-step (MIP) sweep honours the per-solve time limit (audit 7, A5).

HiGHS measures an LP's ``time_limit`` against its run time summed over every run of one instance
(HiGHS issue #1477), so each solve's limit was offset by the time already run. A MIP's branch and
bound measures it against its own clock, started at zero each run, so with the offset every solve
that stopped at its limit doubled the next one's: an 11-point sweep of whole-step example_icb at
3 s a solve was still running after ten minutes, and the desk's frontier job was killed at the
API's hard limit. Now an N-point sweep ends within about N x (solves per point) x the limit, and
says which points have no answer.

The sweeps run the installed console script in a subprocess, as a user or a scheduler runs them.
The only timing asserted is a bound ten times the expected ceiling: it catches a hang, not a speed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from models.synthetic import generate_scenario

REPO = Path(__file__).resolve().parents[1]
COMMISSION = Path(sys.executable).with_name("commission")
LIMIT_S = 0.5
POINTS = 10
# Start-up, reading, building and writing the chart: generous, as the machine may be shared.
OVERHEAD_S = 30.0


@pytest.fixture(scope="module")
def mip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An 80-practice scenario with whole half-FTE hiring whose solves all run to a 0.5 s limit."""
    document = generate_scenario(n_practices=80, n_pcns=10, fte_step=0.5)
    document["settings"]["time_limit_s"] = LIMIT_S
    path = tmp_path_factory.mktemp("mip") / "mip.json"
    path.write_text(json.dumps(document))
    return path


def timed_sweep(path: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    out = path.parent / f"out-{args[0].strip('-')}"
    started = time.perf_counter()
    done = subprocess.run(
        [str(COMMISSION), "sweep", str(path), *args, "--out", str(out), "--format", "json"],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    return time.perf_counter() - started, done


def no_answer(point: dict[str, Any], prefix: str = "") -> bool:
    return point.get(f"{prefix}status") == "time_limit" and point.get(f"{prefix}value") is None


@pytest.mark.alone
@pytest.mark.parametrize(
    ("option", "values", "solves_per_point", "x"),
    [
        # Budgets and shares of the standards whose solves all run to the limit (below the least
        # cost, where branch and bound must prove there is no plan): with the offset, each such
        # solve doubled the next one's limit.
        # With and without the standards at each budget, plus the least-budget mark.
        ("--budget", f"3.5m:7m:{POINTS}", 2, "budget_gbp"),
        # The least cost, and whether any allocation keeps the budget; plus the full standards and the highest share.
        ("--standards", f"0.5:1:{POINTS}", 2, "fraction"),
    ],
)
def test_a_mip_sweep_ends_within_its_time_limits_and_says_what_it_did_not_answer(
    mip: Path, option: str, values: str, solves_per_point: int, x: str
) -> None:
    seconds, done = timed_sweep(mip, option, values)
    ceiling = (POINTS * solves_per_point + 2) * LIMIT_S
    assert seconds < 10 * ceiling + OVERHEAD_S, f"{seconds:.0f} s: the sweep overran its time limits"
    assert done.returncode in (0, 3), done.stderr
    result = json.loads(done.stdout)
    assert result["is_mip"] is True
    points = result["points"]
    assert len(points) == POINTS
    unanswered = [p[x] for p in points if no_answer(p) or no_answer(p, "no_standards_")]
    assert unanswered, "premise: some points stopped at their time limit without a solution"
    # Unanswered points are said to be so: exit 3, and the summary counts them.
    assert done.returncode == 3
    assert f"{len(unanswered)} of {POINTS}" in result["summary"] or f"any of the {POINTS}" in result["summary"]
    verdict = "deliverable" if x == "budget_gbp" else "deliverable_at_budget"
    for point in points:
        if point.get("status") == "time_limit" and point.get("value") is None:
            # Unknown, never "no".
            assert point[verdict] is None
        if point[verdict] is False:
            # "No" only when proved: infeasible, or (standards) a proved least cost above the budget.
            assert point["status"] in ("infeasible", "optimal")
