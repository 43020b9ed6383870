"""Batches: manifests, grid expansion, results and summaries, skipping, resuming, failures,
the local process pool and a real Dask ``LocalCluster`` with a worker that dies."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from optimiser.batch import (
    ManifestInvalid,
    Reporter,
    execute_run,
    grid_run_id,
    load_manifest,
    parse_manifest,
    run_batch,
)
from tests import console
from tests.conftest import base_document

REPO = Path(__file__).resolve().parents[1]
COMMISSION = [sys.executable, "-c", "from optimiser.cli import main; main()"]


class InlineExecutor:
    """Runs each task at once in this process (for tests of the batch logic, not of execution)."""

    def __init__(self) -> None:
        self.calls = 0

    def submit(self, fn: Any, /, *args: Any) -> Future:
        self.calls += 1
        future: Future = Future()
        future.set_result(fn(*args))
        return future

    def shutdown(self) -> None:
        pass


class Quiet(Reporter):
    def start(self, total: int, cached: int) -> None: ...

    def advance(self, record: dict[str, Any], done: int, total: int) -> None: ...

    def finish(self, counts: dict[str, int]) -> None: ...

    def interrupted(self, signal_name: str, done: int, total: int) -> None: ...


def kill_worker_once_then_run(
    marker_dir: str, doomed: tuple, kind: str, document: dict, overrides: dict, *stage: str
) -> dict:
    """The first attempt of the doomed run (its overrides include ``doomed``) kills its own worker process."""
    if all(overrides.get(key) == value for key, value in doomed):
        marker = Path(marker_dir) / "killed-once"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        (Path(marker_dir) / "retried").write_text(str(os.getpid()))
    return execute_run(kind, document, overrides, *stage)


def write_scenarios(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny.json").write_text(json.dumps(base_document()))
    bad = base_document()
    bad["practices"][0]["list_size"] = -5
    (folder / "bad.json").write_text(json.dumps(bad))


def write_manifest(folder: Path, text: str, name: str = "batch.toml") -> Path:
    write_scenarios(folder)
    path = folder / name
    path.write_text(text)
    return path


GRID_MANIFEST = """
[defaults]
overrides = { time_limit_s = 30 }

[[runs]]
scenario = "tiny.json"
grid = { objective = ["min_cost", "max_value"], budget_gbp = [5000, 1e6] }
"""


def results_of(out: Path) -> dict[str, dict]:
    return {r["run_id"]: r for r in json.loads((out / "summary.json").read_text())["runs"]}


# --- the manifest -------------------------------------------------------------------------------


def test_grid_expands_to_the_cartesian_product_with_stable_ids(tmp_path: Path) -> None:
    manifest = load_manifest(write_manifest(tmp_path, GRID_MANIFEST))
    ids = [run.run_id for run in manifest.runs]
    assert ids == [
        "tiny--budget_gbp=5000--objective=min_cost",
        "tiny--budget_gbp=1000000--objective=min_cost",
        "tiny--budget_gbp=5000--objective=max_value",
        "tiny--budget_gbp=1000000--objective=max_value",
    ]
    assert manifest.runs[1].overrides == {"time_limit_s": 30.0, "objective": "min_cost", "budget_gbp": 1e6}
    assert all(run.scenario == (tmp_path / "tiny.json").resolve() for run in manifest.runs)
    # The same manifest in JSON, with keys in another order, gives the same runs.
    as_json = {
        "defaults": {"overrides": {"time_limit_s": 30}},
        "runs": [
            {"scenario": "tiny.json", "grid": {"budget_gbp": [5000, 1000000], "objective": ["min_cost", "max_value"]}}
        ],
    }
    (tmp_path / "batch.json").write_text(json.dumps(as_json))
    assert sorted(r.run_id for r in load_manifest(tmp_path / "batch.json").runs) == sorted(ids)
    assert grid_run_id("icb", {"standards_fraction": 0.9, "objective": "max_value"}) == (
        "icb--objective=max_value--standards_fraction=0.9"
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"scenario": "tiny.json", "kind": "solv"}, "runs[0], field 'kind': must be one of solve, check, sweep"),
        ({"scenario": "tiny.json", "overrides": {"budget_gbp": "lots"}}, "runs[0], field overrides.budget_gbp"),
        (
            {"scenario": "tiny.json", "overrides": {"objectve": "min_cost"}},
            "field overrides.objectve: unknown override",
        ),
        ({"scenario": "tiny.json", "grid": {"standards_fraction": [0.5, 1.5]}}, "grid.standards_fraction[1]"),
        ({"scenario": "tiny.json", "grid": {"budget_gbp": []}}, "grid.budget_gbp: must be a non-empty list"),
        ({"kind": "solve"}, "runs[0], field 'scenario': required"),
        ({"id": "a b", "scenario": "tiny.json"}, "runs[0] (id 'a b'), field 'id'"),
        ({"scenario": "tiny.json", "overrides": {"budget": "0:1:3"}}, "overrides.budget: only sweeps take a range"),
        ({"scenario": "tiny.json", "colour": "red"}, "runs[0], field 'colour': unknown field"),
    ],
)
def test_invalid_manifest_names_the_entry_and_field(tmp_path: Path, entry: dict, expected: str) -> None:
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest({"runs": [entry]}, tmp_path / "m.toml")
    assert any(expected in problem for problem in caught.value.problems), caught.value.problems


def test_duplicate_run_ids_are_invalid(tmp_path: Path) -> None:
    with pytest.raises(ManifestInvalid, match=r"runs\[1\], field 'id': run id 'tiny' is already used by runs\[0\]"):
        parse_manifest({"runs": [{"scenario": "tiny.json"}, {"scenario": "other/tiny.json"}]}, tmp_path / "m.toml")


def test_a_repeated_run_id_is_listed_beside_the_entrys_other_problems(tmp_path: Path) -> None:
    """Audit 4, F2: "every problem is listed", but a repeated id went unlisted when its entry had
    another problem, so a scheduler fixed four problems and was then told of a fifth."""
    runs = [
        {"id": "a", "scenario": "tiny.json"},
        {"id": "a", "scenario": "tiny.json", "overrides": {"standards_fraction": 90}},
        {"id": "b", "scenario": "tiny.json", "kind": "solv"},
        {"id": "b", "scenario": "tiny.json"},
    ]
    with pytest.raises(ManifestInvalid) as caught:
        parse_manifest({"runs": runs}, tmp_path / "m.toml")
    problems = caught.value.problems
    assert "runs[1] (id 'a'), field 'id': run id 'a' is already used by runs[0] (id 'a')" in problems, problems
    assert "runs[3] (id 'b'), field 'id': run id 'b' is already used by runs[2] (id 'b')" in problems, problems
    assert any("standards_fraction" in problem for problem in problems) and any("'solv'" in p for p in problems)


# --- results, summaries, skipping and resuming -----------------------------------------------


def test_batch_writes_results_summaries_and_skips_unchanged_runs(tmp_path: Path) -> None:
    manifest = load_manifest(write_manifest(tmp_path, GRID_MANIFEST))
    out = tmp_path / "out"
    executor = InlineExecutor()
    report = run_batch(manifest, out, reporter=Quiet(), executor_factory=lambda: executor)
    assert report.exit_code == 0 and executor.calls == 4
    runs = results_of(out)
    cheap = runs["tiny--budget_gbp=1000000--objective=min_cost"]
    assert cheap["state"] == "succeeded" and cheap["status"] == "optimal"
    assert cheap["objective_value"] == pytest.approx(10_000)
    # Too little money is an answer (infeasible), not a failed run.
    assert runs["tiny--budget_gbp=5000--objective=min_cost"]["status"] == "infeasible"
    assert runs["tiny--budget_gbp=5000--objective=min_cost"]["state"] == "succeeded"
    result = json.loads((out / "tiny--budget_gbp=1000000--objective=min_cost" / "result.json").read_text())
    assert result["objective_value"] == pytest.approx(10_000)
    assert result["batch"]["input_hash"] == cheap["input_hash"]
    assert (out / "tiny--budget_gbp=1000000--objective=min_cost" / "practices.csv").exists()
    header = (out / "summary.csv").read_text().splitlines()[0]
    assert header.startswith("run_id,scenario,kind,overrides,state,cached,status,objective_value")

    # Unchanged inputs: nothing runs again.
    again = run_batch(manifest, out, reporter=Quiet(), executor_factory=lambda: executor)
    assert executor.calls == 4 and again.counts == {"total": 4, "succeeded": 4, "failed": 0, "cached": 4}
    assert results_of(out)["tiny--budget_gbp=1000000--objective=min_cost"]["objective_value"] == pytest.approx(10_000)
    # --force runs everything again.
    run_batch(manifest, out, reporter=Quiet(), executor_factory=lambda: executor, force=True)
    assert executor.calls == 8
    # A changed scenario document changes the input hash of its runs.
    document = base_document()
    document["settings"]["objective"] = "min_cost"
    document["practices"][0]["list_size"] = 20_000
    (tmp_path / "tiny.json").write_text(json.dumps(document))
    run_batch(manifest, out, reporter=Quiet(), executor_factory=lambda: executor)
    assert executor.calls == 12
    assert results_of(out)["tiny--budget_gbp=1000000--objective=min_cost"]["objective_value"] == pytest.approx(20_000)


def test_a_resumed_batch_runs_only_what_is_missing(tmp_path: Path) -> None:
    manifest = load_manifest(write_manifest(tmp_path, GRID_MANIFEST))
    out = tmp_path / "out"
    executor = InlineExecutor()
    run_batch(manifest, out, reporter=Quiet(), executor_factory=lambda: executor)
    # What a kill leaves behind: a run never finished, a half-written staging folder.
    lost = "tiny--budget_gbp=5000--objective=max_value"
    os.rename(out / lost, out / f".{lost}.partial-deadbeef")
    (out / "summary.json").unlink()
    report = run_batch(manifest, out, reporter=Quiet(), executor_factory=lambda: executor)
    assert executor.calls == 5
    assert report.counts == {"total": 4, "succeeded": 4, "failed": 0, "cached": 3}
    assert not list(out.glob(".*"))
    assert (out / lost / "result.json").exists()


def test_a_killed_batch_process_resumes(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        '[[runs]]\nscenario = "tiny.json"\ngrid = { budget_gbp = ['
        + ", ".join(str(20_000 + i) for i in range(8))
        + "] }\n",
    )
    out = tmp_path / "out"
    command = [*COMMISSION, "batch", str(manifest), "--out", str(out), "--workers", "1"]
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, start_new_session=True)
    assert process.stdout is not None
    for line in process.stdout:  # kill the whole process group once two runs are done
        if b'"done": 2,' in line:
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    finished = {p.parent.name for p in out.glob("*/result.json")}
    assert 2 <= len(finished) < 8 and not (out / "summary.json").exists()

    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    runs = results_of(out)
    assert len(runs) == 8 and all(r["state"] == "succeeded" for r in runs.values())
    assert {run_id for run_id, r in runs.items() if r["cached"]} == finished
    assert not list(out.glob(".*"))


# --- failures and the command line ----------------------------------------------------------------


def test_failing_runs_do_not_stop_the_others_and_exit_1(tmp_path: Path) -> None:
    manifest = write_manifest(
        tmp_path,
        """
[[runs]]
scenario = "tiny.json"

[[runs]]
id = "invalid"
scenario = "bad.json"

[[runs]]
id = "missing"
scenario = "nowhere.json"
""",
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [*COMMISSION, "batch", str(manifest), "--out", str(out), "--workers", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]  # JSON lines on stdout off a terminal
    assert events[0]["event"] == "start" and events[-1] == {**events[-1], "event": "end", "failed": 2, "succeeded": 1}
    assert {e["run_id"] for e in events if e["event"] == "run"} == {"tiny", "invalid", "missing"}
    runs = results_of(out)
    assert runs["tiny"]["status"] == "optimal"
    assert (out / "tiny" / "practices.csv").exists()  # written by the worker into the run's staging folder
    assert (
        runs["invalid"]["error"] == "invalid scenario: practices row 1, column list_size: must be more than 0 (got -5)"
    )
    assert "no such file or directory" in runs["missing"]["error"]
    problems = json.loads((out / "invalid" / "result.json").read_text())["problems"]
    assert problems == [
        {"table": "practices", "row": 1, "column": "list_size", "message": "must be more than 0 (got -5)"}
    ]


def test_invalid_manifest_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, '[[runs]]\nscenario = "tiny.json"\noverrides = { standards_fraction = 2 }\n')
    done = subprocess.run([*COMMISSION, "batch", str(manifest)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2
    assert "runs[0], field overrides.standards_fraction: must be a number between 0 and 1 (got 2)" in done.stderr
    assert not (tmp_path / "batch-results").exists()


# --- execution: local pool and Dask -----------------------------------------------------------------


def test_local_pool_retries_a_run_whose_worker_died(tmp_path: Path) -> None:
    manifest = load_manifest(write_manifest(tmp_path, GRID_MANIFEST))
    markers = tmp_path / "markers"
    markers.mkdir()
    task = functools.partial(
        kill_worker_once_then_run, str(markers), (("budget_gbp", 5000.0), ("objective", "min_cost"))
    )
    report = run_batch(manifest, tmp_path / "out", workers=2, reporter=Quiet(), task=task)
    assert report.exit_code == 0, report.records
    assert (markers / "killed-once").exists() and (markers / "retried").exists()
    runs = results_of(tmp_path / "out")
    assert runs["tiny--budget_gbp=5000--objective=min_cost"]["attempts"] >= 2
    assert runs["tiny--budget_gbp=1000000--objective=min_cost"]["objective_value"] == pytest.approx(10_000)


def test_dask_local_cluster_runs_a_batch_and_retries_a_dead_worker(tmp_path: Path) -> None:
    import distributed  # in the lock (dask[distributed]): never skipped

    manifest = load_manifest(write_manifest(tmp_path, GRID_MANIFEST))
    markers = tmp_path / "markers"
    markers.mkdir()
    task = functools.partial(kill_worker_once_then_run, str(markers), (("budget_gbp", 1e6), ("objective", "min_cost")))
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=50
    ) as cluster:
        report = run_batch(
            manifest, tmp_path / "out", dask_address=cluster.scheduler_address, reporter=Quiet(), task=task
        )
    assert report.exit_code == 0, report.records
    # The first attempt killed its worker; the scheduler ran it again on a live one.
    killed_pid = (markers / "killed-once").read_text()
    assert (markers / "retried").read_text() != killed_pid
    runs = results_of(tmp_path / "out")
    assert runs["tiny--budget_gbp=1000000--objective=min_cost"]["objective_value"] == pytest.approx(10_000)
    assert runs["tiny--budget_gbp=1000000--objective=max_value"]["objective_value"] == pytest.approx(1_000)
    assert all(r["state"] == "succeeded" for r in runs.values())


def test_overrides_that_would_fail_every_run_refuse_the_manifest(tmp_path: Path) -> None:
    """Audit M7: a time limit above a day and a sweep without a range are manifest errors (exit 2,
    nothing run), as the API refuses them at submission, not failures of every run."""
    manifest = write_manifest(
        tmp_path,
        '[[runs]]\nscenario = "tiny.json"\noverrides = { time_limit_s = 1e9 }\n\n'
        '[[runs]]\nid = "frontier"\nscenario = "tiny.json"\nkind = "sweep"\n\n'
        '[[runs]]\nid = "grouped"\nscenario = "tiny.json"\ngrid = { budget_gbp = ["12,50,00"] }\n',
    )
    done = subprocess.run([*COMMISSION, "batch", str(manifest)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    message = " ".join(done.stderr.split())
    assert (
        "runs[0], field overrides.time_limit_s: must be a number of seconds greater than 0 and at most 86,400 "
        "(got 1000000000)" in message
    )
    assert "runs[1] (id 'frontier'): a sweep needs one of budget, offer_rate or standards" in message
    assert (
        "runs[2] (id 'grouped'), field grid.budget_gbp[0]: expected a number such as 4700000, 4.7m, 250k or "
        "1,250,000 (got '12,50,00')" in message
    )
    assert not (tmp_path / "batch-results").exists()


def test_weights_on_a_solve_or_a_sweep_refuse_the_manifest(tmp_path: Path) -> None:
    """Audit 5 F5: only a check weighs its combined change; elsewhere the weights were ignored
    and the run succeeded. A check's weights are accepted."""
    manifest = write_manifest(
        tmp_path,
        '[[runs]]\nid = "s"\nscenario = "tiny.json"\nkind = "solve"\noverrides = { weights = { budget = 1 } }\n\n'
        '[[runs]]\nid = "w"\nscenario = "tiny.json"\nkind = "sweep"\n'
        'overrides = { budget = "10k:50k:3" }\ngrid = { weights = [{ standards = 5 }] }\n\n'
        '[[runs]]\nid = "c"\nscenario = "tiny.json"\nkind = "check"\noverrides = { weights = { budget = 2 } }\n',
    )
    done = console.run("batch", str(manifest), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[1:] == [
        "  - runs[0] (id 's'), field overrides.weights: only checks take weights",
        "  - runs[1] (id 'w'), field grid.weights: only checks take weights",
    ]
    assert not (tmp_path / "batch-results").exists()


def test_a_sweep_range_given_in_the_grid_satisfies_the_sweep(tmp_path: Path) -> None:
    manifest = parse_manifest(
        {"runs": [{"scenario": "tiny.json", "kind": "sweep", "grid": {"budget": ["0:1m:3", "0:2m:3"]}}]},
        tmp_path / "m.toml",
    )
    assert [run.overrides for run in manifest.runs] == [{"budget": "0:1m:3"}, {"budget": "0:2m:3"}]


def test_a_key_given_twice_in_a_json_manifest_is_named_and_nothing_runs(tmp_path: Path) -> None:
    """Audit N2: read by the JSON reader of scenarios (TOML refuses a repeated key itself); the
    run used to succeed with the second budget."""
    manifest = write_manifest(
        tmp_path,
        '{"runs": [{"id": "t", "scenario": "tiny.json", "kind": "check",'
        ' "overrides": {"budget_gbp": 1, "budget_gbp": 50000}}], "out": "a", "out": "b"}',
        name="batch.json",
    )
    done = console.run("batch", str(manifest), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[1:] == [
        "  - top level, field 'out': is given more than once ('a', then 'b'); give it once",
        "  - runs[0] (id 't'), field overrides.budget_gbp: is given more than once (1, then 50000); give it once",
    ]
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        (
            "huge.json",
            '{"runs": [{"id": "t", "scenario": "tiny.json", "overrides": {"budget_gbp": ' + "9" * 5000 + "}}]}",
            "  - not valid JSON: a number has more than 4,300 digits",
        ),
        ("deep.json", "[" * 100_000 + "]" * 100_000, "  - the manifest is nested too deeply to read"),
        ("deep.toml", "a = " + "[" * 100_000 + "]" * 100_000, "  - the manifest is nested too deeply to read"),
    ],
)
def test_a_manifest_python_cannot_read_is_invalid_not_a_traceback(
    tmp_path: Path, name: str, text: str, problem: str
) -> None:
    manifest = write_manifest(tmp_path, text, name=name)
    done = console.run("batch", str(manifest), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[1:] == [problem]
