"""Audit 4, F23: a nightly batch says what changed. Each run's `run` event, summary.csv and
summary.json carry the answer its folder held before (status, objective, verdict) and
`changed`; the JSON event carries `deliverable`. Through the installed `commission batch`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from tests import console
from tests.conftest import base_document

MANIFEST = """
[[runs]]
id = "offer"
scenario = "tiny.json"
kind = "check"
overrides = {{ budget_gbp = {budget} }}

[[runs]]
id = "steady"
scenario = "steady.json"
kind = "solve"
"""


def batch(folder: Path, budget: float) -> dict[str, dict]:
    (folder / "nightly.toml").write_text(MANIFEST.format(budget=budget))
    done = console.run(
        "batch", "nightly.toml", "--out", "out", "--workers", "1", "--format", "json", cwd=folder, timeout=240
    )
    assert done.returncode == 0, done.stderr
    events = console.strict_json_lines(done.stdout)
    assert events[-1]["event"] == "end"
    return {event["run_id"]: event for event in events if event["event"] == "run"}


def test_a_re_run_batch_says_which_answers_changed(tmp_path: Path) -> None:
    # base_document: least cost £10,000 (tests/test_batch.py), so £1m is deliverable, £5,000 not.
    (tmp_path / "tiny.json").write_text(json.dumps(base_document()))
    (tmp_path / "steady.json").write_text(json.dumps(base_document()))
    first = batch(tmp_path, 1_000_000)
    assert first["offer"]["deliverable"] is True and first["offer"]["state"] == "succeeded"
    # The first night has nothing to compare with.
    for event in first.values():
        assert event["changed"] is None and event["previous_status"] is None, event

    second = batch(tmp_path, 5_000)
    offer, steady = second["offer"], second["steady"]
    assert offer["cached"] is False and offer["deliverable"] is False
    assert (offer["previous_deliverable"], offer["changed"]) == (True, True)
    assert offer["previous_status"] == first["offer"]["status"]
    assert offer["previous_objective_value"] == first["offer"]["objective_value"]
    # An unchanged run is skipped and says so.
    assert steady["cached"] is True and steady["changed"] is False
    assert steady["previous_objective_value"] == steady["objective_value"] == first["steady"]["objective_value"]

    rows = {row["run_id"]: row for row in csv.DictReader((tmp_path / "out" / "summary.csv").open())}
    assert (rows["offer"]["changed"], rows["offer"]["previous_deliverable"], rows["offer"]["deliverable"]) == (
        "True",
        "True",
        "False",
    )
    assert rows["steady"]["changed"] == "False"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    by_id = {run["run_id"]: run for run in summary["runs"]}
    assert by_id["offer"]["changed"] is True and by_id["offer"]["previous_deliverable"] is True

    # The same inputs again, forced: the same answer is not a change.
    (tmp_path / "nightly.toml").write_text(MANIFEST.format(budget=5_000))
    forced = console.run(
        "batch", "nightly.toml", "--out", "out", "--force", "--workers", "1", "--format", "json", cwd=tmp_path
    )
    runs = {e["run_id"]: e for e in console.strict_json_lines(forced.stdout) if e["event"] == "run"}
    assert runs["offer"]["cached"] is False and runs["offer"]["changed"] is False
    assert runs["offer"]["previous_deliverable"] is False
