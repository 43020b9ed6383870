"""A sweep (and a check) that runs out of time says so, and never claims what no solve found (audit 6 A13, A14).

* A13: a sweep whose solves stopped at the time limit said "No budget makes the spec deliverable:
  something other than money stops it" (a standards sweep: "The full standards cannot be met at
  any cost"), and each point without an answer read ``deliverable: false``. Now an unknown stays
  ``null`` ("no answer" in the table), and the summary says what was not found.
* A14: a point that stopped at its limit inside presolve left no basis, so every later point
  started from cold again and stopped at the same limit: one slow cold solve left the whole
  sweep without an answer. Now the rest of the frontier carries on from the basis reached.
* A14: ``check --time-limit`` dropped the "Smallest combined change" without a word; now its
  sentence says it was not found within the time limit.

The sweeps run the installed console script in a subprocess, as a user or a scheduler runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from models.synthetic import generate_scenario
from optimiser.deliverability import wording

REPO = Path(__file__).resolve().parents[1]
COMMISSION = Path(sys.executable).with_name("commission")
NO_BUDGET = "No budget makes the spec deliverable"
AT_ANY_COST = "cannot be met at any cost"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [str(COMMISSION), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def sweep_json(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    done = run(
        "sweep",
        str(path),
        *args,
        "--out",
        tempfile.mkdtemp(prefix="out-", dir=path.parent),  # a new folder for each run: --out never replaces one
        "--format",
        "json",
        cwd=path.parent,
    )
    assert done.returncode in (0, 3), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, result


@pytest.fixture(scope="module")
def mip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-practice MIP (whole half-FTE hiring) with a time limit far too short for any solution
    (as tests/test_batch_no_answer.py)."""
    document = generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)
    document["settings"]["time_limit_s"] = 0.001
    path = tmp_path_factory.mktemp("mip") / "mip.json"
    path.write_text(json.dumps(document))
    return path


def without_answer(point: dict[str, Any]) -> bool:
    return point.get("status") == "time_limit" and point.get("value") is None


def test_budget_sweep_without_answers_claims_nothing(mip: Path) -> None:
    code, result = sweep_json(mip, "--budget", "1m:3m:3")
    points = result["points"]
    missing = [p for p in points if without_answer(p)]
    assert missing, "premise: the points stopped at their time limit without a solution"
    # An unknown stays unknown: null, never "not deliverable".
    assert all(p["deliverable"] is None for p in missing)
    # No claim no solve made: the mark's solve stopped too, so nothing is said of money.
    assert result["marked"] is None
    assert NO_BUDGET not in result["summary"]
    assert "was not found within the time limit" in result["summary"]
    assert f"No answer within the time limit at any of the {len(points)} budgets" in result["summary"] or (
        f"at {len(missing)} of {len(points)} budgets" in result["summary"]
    )
    # As a batch judges it (docs/batch.md): a point without a solution, exit 3.
    assert code == 3
    # The table a user reads: "no answer", not "no".
    done = run("sweep", str(mip), "--budget", "1m:3m:3", "--out", str(mip.parent / "table"), cwd=mip.parent)
    assert done.returncode == 3, done.stderr
    assert "no answer" in done.stdout and NO_BUDGET not in done.stdout


def test_standards_sweep_without_answers_claims_nothing(mip: Path) -> None:
    code, result = sweep_json(mip, "--standards", "0.5:1:3")
    points = result["points"]
    missing = [p for p in points if without_answer(p)]
    assert missing, "premise: the points stopped at their time limit without a solution"
    assert all(p["deliverable_at_budget"] is None for p in missing)
    # The full standards' least cost stopped too (the highest level within the budget, one LP with
    # its own solve, may be found: then it is said, as found).
    assert result["marked"] is None
    assert AT_ANY_COST not in result["summary"]
    assert "not even 0%" not in result["summary"]
    assert "was not found within the time limit" in result["summary"]
    assert code == 3


@pytest.fixture(scope="module")
def icb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """data/example_icb (an LP whose cold solve takes about half a second) at a limit of 0.2 s a solve."""
    folder = tmp_path_factory.mktemp("icb") / "icb"
    shutil.copytree(REPO / "data" / "example_icb", folder)
    settings = json.loads((folder / "settings.json").read_text())
    settings["time_limit_s"] = 0.2
    (folder / "settings.json").write_text(json.dumps(settings))
    return folder


@pytest.mark.alone  # timed (0.2 s a solve): runs while no other test runs (pytest-xdist)
def test_a_point_at_its_limit_does_not_leave_the_rest_without_answers(icb: Path) -> None:
    """The first point's cold solve cannot finish in 0.2 s. Each point used to start from cold
    again (a stop inside presolve leaves no basis) and stop at the same limit: not one of 30 points
    had an answer. Now the frontier carries on from the basis reached, and the points it answers
    have the answers of a sweep without the limit."""
    budgets = "12m:25m:30"
    _code, limited = sweep_json(icb, "--budget", budgets)
    with_standards = [p for p in limited["points"] if p.get("value") is not None]
    without_standards = [p for p in limited["points"] if p.get("no_standards_value") is not None]
    assert with_standards and without_standards, limited["summary"]
    # What was not answered is said, and nothing else is claimed.
    missing = [p for p in limited["points"] if without_answer(p) or p.get("no_standards_value") is None]
    if missing:
        assert f"at {len(missing)} of 30 budgets" in limited["summary"]
    assert NO_BUDGET not in limited["summary"]
    # The same answers as with time to spare (every budget here is deliverable).
    settings = json.loads((icb / "settings.json").read_text())
    settings["time_limit_s"] = 60
    (icb / "settings.json").write_text(json.dumps(settings))
    _code, free = sweep_json(icb, "--budget", budgets)
    by_budget = {p["budget_gbp"]: p for p in free["points"]}
    for point in with_standards:
        reference = by_budget[point["budget_gbp"]]
        assert point["deliverable"] is True and reference["deliverable"] is True
        assert point["value"] == pytest.approx(reference["value"], rel=1e-9)
    for point in without_standards:
        reference = by_budget[point["budget_gbp"]]
        assert point["no_standards_value"] == pytest.approx(reference["no_standards_value"], rel=1e-9)


def test_check_says_the_combined_change_was_not_found_in_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check's verdict, conflict and levers in time, its combined change not: that solve alone is
    given a limit too short for it (1e-4 s), as ``--time-limit 2`` left it on a busy machine."""
    from optimiser.deliverability import check as check_module
    from optimiser.deliverability.relaxation import relaxation as real  # what check.py calls by that name
    from optimiser.io import read_document
    from optimiser.runs import run_job

    def short_of_time(programme: Any, weights: Any = None) -> Any:
        before = programme.time_limit_s
        programme.time_limit_s = 1e-4
        try:
            return real(programme, weights)
        finally:
            programme.time_limit_s = before

    monkeypatch.setattr(check_module, "relaxation", short_of_time)
    result = run_job("check", read_document(REPO / "data" / "undeliverable_offer")).result
    assert result["deliverable"] is False
    relaxed = result["relaxation"]
    assert relaxed["status"] == "time_limit" and relaxed["package"] is None, "premise: it stopped at its limit"
    # Said, never left out (it was an empty list).
    assert len(relaxed["sentences"]) == 1 and "not found within the time limit" in relaxed["sentences"][0]
    sentence = relaxed["sentences"][0]
    assert sentence == wording.combined_change_not_found("time_limit")
    # The text `commission check` prints.
    assert sentence in wording.report_lines(result)
