"""A check's least-cost plan and conflict do not depend on the objective it is given (audit 6, A16).

A check given ``objective = "max_value"`` (a batch manifest or an API job; the CLI's check has no
such option) solved its least-cost plan on the max_value programme, whose columns are in another
order: the least-cost LP has many optimal vertices, and it showed practice P2 needing £31,000
(short £23,000) where ``solve`` and a min_cost check say £30,000 (short £22,000), and another
conflict. The objective now adds only its own sentence.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = str(Path(sys.executable).with_name("commission"))
OBJECTIVES = ("min_cost", "max_value", "max_min_coverage")
BUDGETS = (20_000, 60_000)  # data/tiny's least cost is £37,000: one short, one deliverable


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, int], dict[str, Any]]:
    """data/tiny checked by ``commission batch`` at each objective and budget."""
    work = tmp_path_factory.mktemp("check-objective")
    manifest = work / "checks.toml"
    manifest.write_text(
        f'[[runs]]\nid = "tiny"\nscenario = "{(ROOT / "data" / "tiny").as_posix()}"\nkind = "check"\n'
        f"grid = {{ objective = {json.dumps(list(OBJECTIVES))}, budget_gbp = {list(BUDGETS)} }}\n"
    )
    done = subprocess.run(
        [COMMAND, "batch", str(manifest), "--out", str(work / "out"), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    found = {}
    for objective in OBJECTIVES:
        for budget in BUDGETS:
            run = work / "out" / f"tiny--budget_gbp={budget}--objective={objective}" / "result.json"
            found[objective, budget] = json.loads(run.read_text())
    return found


def plan(result: dict[str, Any]) -> list[tuple[str, float, float]]:
    return [
        (row["practice_id"], row["spend_gbp"], row["shortfall_gbp"])
        for row in result["least_cost_allocation"]["most_short"]
    ]


@pytest.mark.parametrize("budget", BUDGETS)
def test_the_least_cost_plan_is_the_same_whatever_the_objective(checks: dict, budget: int) -> None:
    reference = checks["min_cost", budget]
    assert plan(reference)[0] == ("P2", pytest.approx(30_000), pytest.approx(22_000 if budget == 20_000 else 6_000))
    for objective in OBJECTIVES[1:]:
        result = checks[objective, budget]
        assert result["deliverable"] == reference["deliverable"]
        assert plan(result) == plan(reference)
        assert result["least_cost_allocation"]["distribution"] == reference["least_cost_allocation"]["distribution"]


def test_the_conflict_is_the_same_whatever_the_objective(checks: dict) -> None:
    reference = checks["min_cost", 20_000]["conflict"]
    for objective in OBJECTIVES[1:]:
        assert checks[objective, 20_000]["conflict"]["rules"] == reference["rules"]
        assert checks[objective, 20_000]["conflict"]["sentences"] == reference["sentences"]


def test_the_objective_still_adds_its_own_sentence(checks: dict) -> None:
    assert "The best value reachable is 11,083 (spending £60,000)." in checks["max_value", 60_000]["summary"]
    fairest = checks["max_min_coverage", 60_000]["summary"]
    assert "The fairest allocation brings every practice to at least 85.2% coverage" in fairest
    assert "best value" not in checks["min_cost", 60_000]["summary"]
