"""A null override is refused by name at every entry point, in the words a batch manifest uses
(audit 9, A6): the API answered 202 and ran the job on the scenario's own budget. (The CLI cannot
give a null: an option is given with a value or not given.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from models.scenario import ScenarioInvalid
from optimiser.runs import checked_overrides, run_job
from tests import console
from tests.api.helpers import create_scenario

# Each override the API takes, with a kind that takes it, so its null is the only problem.
KIND_OF = {
    "objective": "solve",
    "budget_gbp": "check",
    "offer_rate_gbp_per_weighted_patient": "check",
    "standards_fraction": "check",
    "time_limit_s": "check",
    "sensitivity": "solve",
    "budget": "sweep",
    "offer_rate": "sweep",
    "standards": "sweep",
    "weights": "check",
}
BUDGET_WORDS = "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got null)"


@pytest.fixture(scope="module")
def batch_words(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What ``commission batch`` says of each null, by override: one manifest, every problem listed."""
    here = tmp_path_factory.mktemp("nulls")
    runs = [
        {"id": name, "scenario": str(console.TINY), "kind": kind, "overrides": {name: None}}
        for name, kind in KIND_OF.items()
    ]
    (here / "m.json").write_text(json.dumps({"runs": runs}))
    done = console.run("batch", "m.json", cwd=here)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()[1:]
    words = {}
    for position, name in enumerate(KIND_OF):
        # (a null range also leaves the sweep without one: said on a line of its own)
        prefix = f"  - runs[{position}] (id {name!r}), field overrides.{name}: "
        [line] = [line for line in lines if line.startswith(prefix)]
        words[name] = line.removeprefix(prefix)
        assert words[name].endswith("(got null)"), line
    assert not (here / "m-results").exists()
    return words


def test_the_batch_names_a_null_budget(batch_words: dict[str, str]) -> None:
    assert batch_words["budget_gbp"] == BUDGET_WORDS


@pytest.mark.parametrize("name", list(KIND_OF))
def test_the_api_refuses_a_null_override_in_the_batchs_words(
    client: TestClient, commissioner: dict, batch_words: dict[str, str], name: str
) -> None:
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": KIND_OF[name], "overrides": {name: None}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {"table": "request", "row": None, "column": f"body.overrides.{name}", "message": f"{name}: {batch_words[name]}"}
    ]


def test_the_api_names_every_null_of_the_audit_and_queues_nothing(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    overrides = {"budget_gbp": None, "objective": None, "weights": None}
    job = {"scenario_id": scenario_id, "kind": "check", "overrides": overrides}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422, response.text
    assert {problem["column"] for problem in response.json()["detail"]} == {
        f"body.overrides.{name}" for name in overrides
    }
    assert client.get("/jobs", headers=commissioner).json()["items"] == []


def test_a_run_from_python_names_a_null_override(tmp_path: Path) -> None:
    """``run_job`` and ``load_scenario`` read overrides through ``checked_overrides`` too."""
    with pytest.raises(ScenarioInvalid) as refused:
        checked_overrides({"budget_gbp": None}, "check")
    assert [(p.column, p.message) for p in refused.value.problems] == [("budget_gbp", BUDGET_WORDS)]
    from optimiser.io import read_document

    with pytest.raises(ScenarioInvalid, match="budget_gbp"):
        run_job("check", read_document(console.TINY), {"budget_gbp": None})
