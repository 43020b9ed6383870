"""Audit 8 A8: a batch grid's size is checked from its lists' lengths before it is expanded.

A 2,000 x 2,000 grid (a list pasted into another key) took 2 GB and more than a minute before
the batch said anything. Now a manifest makes at most ``MAX_MANIFEST_RUNS`` (10,000) runs; a
larger one is one ``invalid`` line naming the entry, its keys and the count, exit 2, and
nothing is run or written. ``commission batch`` has no planning-only mode, so a manifest just
under the limit is checked with the function the command plans with (``load_manifest``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from optimiser.batch import MAX_MANIFEST_RUNS, ManifestInvalid, load_manifest
from tests.console import TINY, run, strict_json_lines


def grid_manifest(tmp_path: Path, *grids: dict[str, list[Any]]) -> Path:
    """A JSON manifest with one entry on data/tiny per grid, ids g0, g1, ..."""
    runs = [{"id": f"g{i}", "scenario": str(TINY), "grid": grid} for i, grid in enumerate(grids)]
    path = tmp_path / "grid.json"
    path.write_text(json.dumps({"runs": runs}))
    return path


def budgets(n: int) -> list[float]:
    return [float(i) for i in range(n)]


def fractions(n: int) -> list[float]:
    return [i / n for i in range(n)]


def test_a_grid_of_millions_is_one_invalid_line_naming_it(tmp_path: Path) -> None:
    manifest = grid_manifest(tmp_path, {"budget_gbp": budgets(2000), "standards_fraction": fractions(2000)})
    out = tmp_path / "out"
    done = run("batch", str(manifest), "--out", str(out), "--format", "json", timeout=120)
    assert done.returncode == 2, done.stderr
    [event] = strict_json_lines(done.stdout)
    assert event["event"] == "invalid"
    [problem] = event["problems"]
    assert problem["table"] == str(manifest)
    assert problem["message"] == (
        "runs[0] (id 'g0'), field 'grid': budget_gbp (2,000 values) x standards_fraction (2,000 values) "
        "make 4,000,000 runs; a manifest may make at most 10,000 (shorten the lists, or split the grid "
        "across manifests)"
    )
    assert not out.exists(), "nothing is run or written"


def test_the_text_format_says_the_same(tmp_path: Path) -> None:
    manifest = grid_manifest(tmp_path, {"budget_gbp": budgets(101), "standards_fraction": fractions(100)})
    done = run("batch", str(manifest), "--out", str(tmp_path / "out"), "--format", "text", timeout=120)
    assert done.returncode == 2
    assert "make 10,100 runs; a manifest may make at most 10,000" in done.stderr
    assert "runs[0] (id 'g0'), field 'grid': budget_gbp (101 values) x standards_fraction (100 values)" in (done.stderr)


def test_a_grid_at_the_limit_is_planned_run_by_run(tmp_path: Path) -> None:
    assert MAX_MANIFEST_RUNS == 10_000, "docs/batch.md states the limit"
    manifest = grid_manifest(tmp_path, {"budget_gbp": budgets(100), "standards_fraction": fractions(100)})
    planned = load_manifest(manifest)
    assert len(planned.runs) == MAX_MANIFEST_RUNS
    assert len({spec.run_id for spec in planned.runs}) == MAX_MANIFEST_RUNS
    assert planned.runs[-1].overrides == {"budget_gbp": 99.0, "standards_fraction": 0.99}


def test_runs_each_within_the_limit_are_refused_together_above_it(tmp_path: Path) -> None:
    manifest = grid_manifest(
        tmp_path, {"budget_gbp": budgets(100), "standards_fraction": fractions(60)}, {"budget_gbp": budgets(4001)}
    )
    with pytest.raises(ManifestInvalid) as invalid:
        load_manifest(manifest)
    assert invalid.value.problems == [
        "top level, field 'runs': the runs and grids make 10,001 runs together; a manifest may make at most "
        "10,000 (split it into several manifests)"
    ]


def test_a_large_grid_is_named_beside_the_manifests_other_problems(tmp_path: Path) -> None:
    manifest = grid_manifest(
        tmp_path, {"budget_gbp": budgets(5000), "objective": ["min_cost", "max_value", "max_min_coverage"]}
    )
    raw = json.loads(manifest.read_text())
    raw["runs"].append({"id": "bad", "scenario": str(TINY), "grid": {"standards_fraction": [0.5, 2]}})
    manifest.write_text(json.dumps(raw))
    with pytest.raises(ManifestInvalid) as invalid:
        load_manifest(manifest)
    first, second = invalid.value.problems
    assert first.startswith("runs[0] (id 'g0'), field 'grid': budget_gbp (5,000 values) x objective (3 values) make")
    assert "15,000 runs" in first
    assert second.startswith("runs[1] (id 'bad'), field grid.standards_fraction[1]:")
