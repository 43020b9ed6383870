"""A batch run that ends with no answer in time failed, whatever its kind (audit 6, A7).

A check whose time limit passed without a verdict used to be recorded as succeeded, so the batch
exited 0 and skipped the run as unchanged on every later invocation. Now a solve without a
solution, a check without a verdict and a sweep with points without a solution all fail (exit 1)
and are run again next time; a run that got its answer is still skipped as unchanged.

The batch is run as a scheduler runs it: the installed console script, in a subprocess.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from models.synthetic import generate_scenario
from optimiser.deliverability import wording
from optimiser.runs import NO_SOLUTION_IN_TIME
from tests.test_batch import write_scenarios

REPO = Path(__file__).resolve().parents[1]
COMMISSION = Path(sys.executable).with_name("commission")

# A 40-practice MIP (whole half-FTE hiring) with a time limit far too short to find a solution
# (as tests/test_cli.py's exit-3 test), beside runs on the tiny scenario that do get an answer.
MANIFEST = """
[[runs]]
id = "check-no-answer"
scenario = "mip.json"
kind = "check"
overrides = { time_limit_s = 0.001 }

[[runs]]
id = "solve-no-answer"
scenario = "mip.json"
overrides = { time_limit_s = 0.001 }

[[runs]]
id = "sweep-no-answer"
scenario = "mip.json"
kind = "sweep"
overrides = { time_limit_s = 0.001, budget = "1m:2m:2" }

[[runs]]
id = "check-answered"
scenario = "tiny.json"
kind = "check"

[[runs]]
id = "solve-answered"
scenario = "tiny.json"
"""
NO_ANSWER = ("check-no-answer", "solve-no-answer", "sweep-no-answer")
ANSWERED = ("check-answered", "solve-answered")


def run_batch(manifest: Path, out: Path) -> tuple[int, list[dict[str, Any]], str]:
    """The batch as a scheduler runs it; its exit code, its JSON lines and its stderr."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(
        [str(COMMISSION), "batch", str(manifest), "--out", str(out), "--workers", "1", "--format", "json"],
        cwd=manifest.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()], done.stderr


def runs_of(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {event["run_id"]: event for event in events if event["event"] == "run"}


def result_of(out: Path, run_id: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((out / run_id / "result.json").read_text())
    return result


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same batch three times: first, again unchanged, and again over a folder whose no-answer
    check an earlier version recorded as succeeded."""
    folder = tmp_path_factory.mktemp("no-answer")
    write_scenarios(folder)
    (folder / "mip.json").write_text(json.dumps(generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)))
    manifest = folder / "batch.toml"
    manifest.write_text(MANIFEST)
    out = folder / "out"
    first = run_batch(manifest, out)
    first_results = {run_id: result_of(out, run_id) for run_id in (*NO_ANSWER, *ANSWERED)}
    with (out / "summary.csv").open(newline="", encoding="utf-8") as handle:
        first_csv = {row["run_id"]: row for row in csv.DictReader(handle)}
    second = run_batch(manifest, out)
    # As the folder of a batch before this rule: the no-answer check said to have succeeded.
    old = result_of(out, "check-no-answer")
    old["batch"].update(state="succeeded", error=None)
    (out / "check-no-answer" / "result.json").write_text(json.dumps(old))
    third = run_batch(manifest, out)
    return {
        "out": out,
        "first": first,
        "first_results": first_results,
        "first_csv": first_csv,
        "second": second,
        "third": third,
    }


def test_the_no_answer_runs_really_had_no_answer(batches: dict[str, Any]) -> None:
    """The premise: each run below reached its time limit without an answer (else the tests below
    would test nothing)."""
    results = batches["first_results"]
    assert results["solve-no-answer"]["status"] == "time_limit"
    assert results["solve-no-answer"]["has_solution"] is False
    assert results["check-no-answer"]["status"] == "time_limit"
    assert results["check-no-answer"]["deliverable"] is None
    points = results["sweep-no-answer"]["points"]
    assert len(points) == 2 and all(point["status"] == "time_limit" for point in points)
    assert all(point.get("value") is None for point in points)


@pytest.mark.parametrize("invocation", ["first", "second"])
def test_a_run_without_an_answer_fails_and_the_batch_exits_1(batches: dict[str, Any], invocation: str) -> None:
    code, events, stderr = batches[invocation]
    assert code == 1, stderr
    assert events[-1]["event"] == "end"
    assert events[-1]["failed"] == len(NO_ANSWER)
    assert events[-1]["succeeded"] == len(ANSWERED)
    runs = runs_of(events)
    for run_id in NO_ANSWER:
        assert runs[run_id]["state"] == "failed", run_id
        assert runs[run_id]["cached"] is False, run_id  # run again, not skipped as unchanged
        assert runs[run_id]["status"] == "time_limit", run_id
        assert runs[run_id]["error"], run_id


def test_each_kind_fails_with_the_products_sentence_for_no_answer(batches: dict[str, Any]) -> None:
    runs = runs_of(batches["first"][1])
    check = batches["first_results"]["check-no-answer"]
    # The check's own sentence, as `commission check` prints it with NO ANSWER IN TIME.
    assert runs["check-no-answer"]["error"] == check["summary"] == wording.no_answer_summary(check["message"])
    assert runs["check-no-answer"]["error"].startswith("No answer in time")
    assert runs["solve-no-answer"]["error"] == NO_SOLUTION_IN_TIME
    sweep_error = runs["sweep-no-answer"]["error"]
    assert sweep_error == f"{NO_SOLUTION_IN_TIME} at 2 of 2 points (budget_gbp 1000000, 2000000)"


def test_a_failed_run_keeps_what_it_found_where_a_succeeded_run_would(batches: dict[str, Any]) -> None:
    out: Path = batches["out"]
    results = batches["first_results"]
    for run_id in NO_ANSWER:
        assert results[run_id]["batch"]["state"] == "failed", run_id
        assert results[run_id]["batch"]["error"] == runs_of(batches["first"][1])[run_id]["error"], run_id
        assert batches["first_csv"][run_id]["state"] == "failed", run_id
    # The sweep's table of what each point found (here: that each stopped at its time limit).
    with (out / "sweep-no-answer" / "sweep_budget.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["status"] for row in rows] == ["time_limit", "time_limit"]


def test_a_run_with_an_answer_is_still_skipped_as_unchanged(batches: dict[str, Any]) -> None:
    first = runs_of(batches["first"][1])
    second = runs_of(batches["second"][1])
    assert first["check-answered"]["deliverable"] is True
    assert first["solve-answered"]["status"] == "optimal"
    for run_id in ANSWERED:
        assert first[run_id]["state"] == second[run_id]["state"] == "succeeded", run_id
        assert first[run_id]["cached"] is False, run_id
        assert second[run_id]["cached"] is True, run_id
    assert batches["second"][1][0] == {**batches["second"][1][0], "event": "start", "cached": len(ANSWERED)}


def test_a_no_answer_run_an_earlier_version_recorded_as_succeeded_is_run_again(batches: dict[str, Any]) -> None:
    """Editing the batch module leaves the input hash as it was, so a folder written before this
    rule still says its no-answer check succeeded: it is judged again, not skipped."""
    code, events, stderr = batches["third"]
    assert code == 1, stderr
    runs = runs_of(events)
    assert runs["check-no-answer"]["cached"] is False
    assert runs["check-no-answer"]["state"] == "failed"
    assert runs["check-no-answer"]["previous_status"] == "time_limit"
    assert all(runs[run_id]["cached"] is True for run_id in ANSWERED)
