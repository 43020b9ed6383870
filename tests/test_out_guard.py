"""``solve --out`` and ``sweep --out`` never destroy a user's files (audit 6, A17); ``report
--frontier-points 1`` and ``batch --out FILE`` are bad command lines (audit 6, A15).

``commission solve my_area --out my_area`` used to replace the scenario's practices.csv and
pcns.csv with result tables (exit 0), and ``solve --out r`` silently replaced an unrelated
r/practices.csv. Now, checked before anything is solved or written:

- the folder the scenario is read from (or one above it) is refused, even with ``--force``;
- a folder holding a file the command writes (an earlier result, or another file of that name) is
  refused without ``--force``, as ``report`` refuses an existing PDF; ``--force`` replaces them;
- a new or empty folder, or one whose files the command does not write, is written into.

Each case runs the installed console script in a subprocess and reads the files on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from optimiser.cli import SOLVE_RESULT_FILES, sweep_result_files

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "data" / "tiny"
BATCH_MANIFEST = REPO / "data" / "batch_example.toml"
COMMISSION = Path(sys.executable).with_name("commission")


def commission(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [str(COMMISSION), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (hidden staging files too), by its path, with its bytes."""
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def area(tmp_path: Path) -> Path:
    """A user's own scenario folder, as ``commission import nhs`` or a copy of data/tiny leaves it."""
    shutil.copytree(TINY, tmp_path / "my_area")
    return tmp_path / "my_area"


# --- the scenario's own folder: never, even with --force ---------------------------------------


@pytest.mark.parametrize("force", [[], ["--force"]])
@pytest.mark.parametrize(
    "command", [["solve"], ["sweep", "--budget", "10k:60k:3"], ["sweep", "--standards", "0.5:1:3"]]
)
def test_results_are_never_written_into_the_scenario_being_read(
    area: Path, tmp_path: Path, command: list[str], force: list[str]
) -> None:
    before = snapshot(tmp_path)
    done = commission(command[0], area, *command[1:], "--out", area, *force, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    line = error_line(done)
    assert line.startswith(f"error: --out: {area} is the scenario being read")
    assert "give another folder" in line and "--force never replaces a scenario" in line
    assert snapshot(tmp_path) == before  # byte-identical scenario, no partial or staging file anywhere
    assert commission("validate", area, cwd=tmp_path).returncode == 0


def test_the_same_folder_by_another_name_is_refused(area: Path, tmp_path: Path) -> None:
    """``./my_area/`` and a link to it are the scenario's folder too."""
    (tmp_path / "link").symlink_to(area, target_is_directory=True)
    before = snapshot(area)
    for out in ("./my_area/", "link", "my_area/../my_area"):
        done = commission("solve", "my_area", "--out", out, "--force", cwd=tmp_path)
        assert done.returncode == 2, (out, done.stderr)
        assert "is the scenario being read" in error_line(done)
    assert snapshot(area) == before


def test_a_folder_holding_the_scenario_is_refused(area: Path, tmp_path: Path) -> None:
    """The folder of a scenario file, or any folder above the scenario, is refused even with --force."""
    scenario_json = tmp_path / "offers" / "tiny.json"
    scenario_json.parent.mkdir()
    shutil.copy(REPO / "data" / "example_icb.json", scenario_json)
    before = snapshot(tmp_path)
    for scenario, out in ((scenario_json, scenario_json.parent), (area, tmp_path), (area, Path("."))):
        done = commission("solve", scenario, "--out", out, "--force", cwd=tmp_path)
        assert done.returncode == 2, (scenario, out, done.stderr)
        assert error_line(done) == (
            f"error: --out: {out} holds the scenario being read ({scenario}): "
            "give another folder (--force never replaces a scenario)"
        )
    assert snapshot(tmp_path) == before


def test_a_folder_inside_the_scenario_folder_may_hold_its_results(area: Path, tmp_path: Path) -> None:
    """my_area/results is not read as part of the scenario: it is written, and the scenario still validates."""
    before = snapshot(area)
    done = commission("solve", area, "--out", area / "results", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {path.name for path in (area / "results").iterdir()} == SOLVE_RESULT_FILES
    assert {name: data for name, data in snapshot(area).items() if not name.startswith("results")} == before
    assert commission("validate", area, cwd=tmp_path).returncode == 0


# --- another folder: files the command writes are replaced only with --force -------------------


def test_a_solve_writes_into_a_new_or_empty_folder(area: Path, tmp_path: Path) -> None:
    """A fresh folder gets every file SOLVE_RESULT_FILES names, and no other (the guard's list is the real one)."""
    (tmp_path / "empty").mkdir()
    for out in ("new/results", "empty"):
        done = commission("solve", area, "--out", out, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert {path.name for path in (tmp_path / out).iterdir()} == SOLVE_RESULT_FILES


def test_another_file_of_a_result_name_is_kept_without_force(area: Path, tmp_path: Path) -> None:
    """The audit's ``mkdir r; echo keep > r/practices.csv; commission solve data/tiny --out r``."""
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "practices.csv").write_text("keep\n")
    before = snapshot(tmp_path)
    done = commission("solve", area, "--out", "r", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert error_line(done) == (
        "error: --out: r holds files this solve would replace (practices.csv); "
        "give --force to replace them, or another folder"
    )
    assert snapshot(tmp_path) == before

    done = commission("solve", area, "--out", "r", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "practices.csv").read_text().startswith("practice_id,")


def test_files_the_solve_does_not_write_are_left_alone(area: Path, tmp_path: Path) -> None:
    (tmp_path / "meeting").mkdir()
    (tmp_path / "meeting" / "notes.txt").write_text("agenda\n")
    (tmp_path / "meeting" / "budget.csv").write_text("year,gbp\n2026,1\n")
    done = commission("solve", area, "--out", "meeting", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "meeting" / "notes.txt").read_text() == "agenda\n"
    assert (tmp_path / "meeting" / "budget.csv").read_text() == "year,gbp\n2026,1\n"
    assert {path.name for path in (tmp_path / "meeting").iterdir()} == {*SOLVE_RESULT_FILES, "notes.txt", "budget.csv"}


def test_a_solve_run_again_into_its_result_needs_force(area: Path, tmp_path: Path) -> None:
    """An earlier result is the user's too (the figures of an earlier meeting): replaced only with
    --force, and then wholly: an infeasible re-run leaves no tables of the earlier plan beside it."""
    assert commission("solve", area, "--out", "res", cwd=tmp_path).returncode == 0
    before = snapshot(tmp_path)
    done = commission("solve", area, "--budget", "1k", "--out", "res", "--format", "json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    problem = json.loads(done.stdout)["problems"][0]
    assert problem["column"] == "--out"
    assert problem["message"].startswith("res holds files this solve would replace (")
    assert problem["message"].endswith(" more); give --force to replace them, or another folder")
    assert snapshot(tmp_path) == before

    done = commission("solve", area, "--budget", "1k", "--out", "res", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads((tmp_path / "res" / "summary.json").read_text())
    assert summary["status"] == "infeasible"
    assert {path.name for path in (tmp_path / "res").iterdir()} == {"summary.json", "results.xlsx"}


def test_a_sweep_run_again_into_its_result_needs_force(area: Path, tmp_path: Path) -> None:
    budget = ("--budget", "10k:60k:3")
    done = commission("sweep", area, *budget, "--out", "sw", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert {path.name for path in (tmp_path / "sw").iterdir()} == sweep_result_files("budget")
    before = snapshot(tmp_path)

    done = commission("sweep", area, "--budget", "20k:60k:3", "--out", "sw", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert error_line(done) == (
        "error: --out: sw holds files this sweep would replace (sweep_budget.csv, sweep_budget.json, "
        "sweep_budget.png); give --force to replace them, or another folder"
    )
    assert snapshot(tmp_path) == before

    # A standards sweep replaces none of them: written beside them.
    done = commission("sweep", area, "--standards", "0.5:1:3", "--out", "sw", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = snapshot(tmp_path)
    assert {name: after[name] for name in before} == before
    assert set(after) - set(before) == {f"sw/{name}" for name in sweep_result_files("standards")}

    done = commission("sweep", area, "--budget", "20k:60k:3", "--out", "sw", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "sw" / "sweep_budget.json").read_text())["points"][0]["budget_gbp"] == 20_000


def test_the_default_sweep_folder_is_guarded_too(area: Path, tmp_path: Path) -> None:
    assert commission("sweep", area, "--standards", "0.5:1:2", cwd=tmp_path).returncode == 0
    before = snapshot(tmp_path)
    done = commission("sweep", area, "--standards", "0.5:1:2", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert error_line(done).startswith("error: --out: sweep_out holds files this sweep would replace (")
    assert snapshot(tmp_path) == before


# --- A15 -------------------------------------------------------------------------------------------


def test_a_frontier_of_one_budget_is_refused(tmp_path: Path) -> None:
    done = commission("report", TINY, "--frontier-points", "1", "--out", "fp1.pdf", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert error_line(done) == (
        "error: --frontier-points: a frontier needs at least 2 budgets: give 0 (no chart) or from 2 to 50 (got 1)"
    )
    assert snapshot(tmp_path) == {}

    done = commission("report", TINY, "--frontier-points", "2", "--out", "fp2.pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fp2.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("out", ["afile", "afile/sub"])
def test_a_batch_results_folder_that_is_a_file_is_refused_before_running(tmp_path: Path, out: str) -> None:
    (tmp_path / "afile").write_text("mine\n")
    before = snapshot(tmp_path)
    done = commission("batch", BATCH_MANIFEST, "--out", out, "--format", "json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [event["event"] for event in events] == ["invalid"]
    (problem,) = events[0]["problems"]
    assert problem["column"] == "--out"
    expected = "afile is a file; give a folder" if out == "afile" else "cannot write to afile/sub: afile is a file"
    assert problem["message"] == expected
    assert "resume" not in done.stdout + done.stderr
    assert snapshot(tmp_path) == before


def test_a_manifest_out_that_is_a_file_is_refused(tmp_path: Path) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    (tmp_path / "results").write_text("mine\n")
    manifest = tmp_path / "m.toml"
    manifest.write_text('out = "results"\n\n[[runs]]\nid = "a"\nscenario = "tiny"\n')
    before = snapshot(tmp_path)
    done = commission("batch", manifest, "--format", "text", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert error_line(done) == f"error: {manifest}: out: {(tmp_path / 'results').resolve()} is a file; give a folder"
    assert snapshot(tmp_path) == before
