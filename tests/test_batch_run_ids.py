"""Run ids the results folder cannot hold: a name the batch writes there itself, and ids that
differ only in case (audit 9, A1). Refused when the manifest is read, through the console script."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import console

TINY = console.TINY


def manifest_with(tmp_path: Path, *ids: str) -> Path:
    runs = [{"id": run_id, "scenario": str(TINY), "kind": "check"} for run_id in ids]
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"out": "res", "runs": runs}))
    return path


@pytest.mark.parametrize("run_id", ["summary.csv", "summary.json", "Summary.CSV"])
def test_an_id_that_names_a_summary_file_is_refused_before_anything_runs(tmp_path: Path, run_id: str) -> None:
    """It ran every run, then crashed writing the summary over the run's folder, and every resume
    crashed the same way."""
    manifest = manifest_with(tmp_path, "tiny", run_id)
    done = console.run("batch", str(manifest), "--format", "json", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    [event] = console.strict_json_lines(done.stdout)
    assert event["event"] == "invalid"
    [problem] = event["problems"]
    assert problem["message"].startswith(f"runs[1] (id {run_id!r}), field 'id': "), problem
    assert "summary.csv, summary.json" in problem["message"], problem
    assert not (tmp_path / "res").exists()


def test_ids_that_differ_only_in_case_are_refused_naming_both(tmp_path: Path) -> None:
    """On macOS and Windows ``Tiny`` and ``tiny`` are one folder: the second run's result would
    replace the first's."""
    manifest = manifest_with(tmp_path, "Tiny", "other", "tiny")
    done = console.run("batch", str(manifest), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[1:] == [
        "  - runs[2] (id 'tiny'), field 'id': run id 'tiny' differs only in case from 'Tiny' of runs[0] "
        "(id 'Tiny'); they would share a folder on macOS and Windows"
    ]
    assert not (tmp_path / "res").exists()


def test_a_grid_id_that_differs_only_in_case_from_another_run_is_refused(tmp_path: Path) -> None:
    runs = [
        {"id": "T--budget_gbp=50000", "scenario": str(TINY), "kind": "check"},
        {"id": "t", "scenario": str(TINY), "kind": "check", "grid": {"budget_gbp": [50000, 60000]}},
    ]
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"runs": runs}))
    done = console.run("batch", str(manifest), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "run id 't--budget_gbp=50000' differs only in case from 'T--budget_gbp=50000'" in done.stderr
