"""Shared fixtures: tiny hand-checkable scenario documents and a checked solve."""

from __future__ import annotations

import compileall
import copy
import fcntl
import json
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimiser.programme import Programme, SolveOutcome
from optimiser.runs import load_scenario, solve_scenario
from tests import console
from tests.invariants import check_invariants

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "data"

# One practice, one service, one GP role. The standard needs
# 0.5 × (0.1 × 10,000) = 500 patients × 1 contact × 12 min = 6,000 min = 100 h = 0.1 FTE
# of a 1,000-clinical-hour GP costing £100,000: least spend £10,000.
BASE: dict[str, Any] = {
    "settings": {"budget_gbp": 1_000_000},
    "practices": [{"practice_id": "P1", "pcn_id": "N1", "list_size": 10_000}],
    "pcns": [{"pcn_id": "N1", "arrs_entitlement_gbp": 0}],
    "roles": [
        {"role_id": "gp", "category": "gp", "cost_per_fte_gbp": 100_000, "clinical_hours_per_fte": 1_000},
    ],
    "services": [{"service_id": "review", "contacts_per_patient": 1, "min_coverage": 0.5, "prevalence": 0.1}],
    "skill_mix": [{"service_id": "review", "role_id": "gp", "minutes_per_contact": 12}],
}


def base_document(**tables: Any) -> dict[str, Any]:
    """A deep copy of BASE with whole tables (or the settings dict) replaced or added."""
    document = copy.deepcopy(BASE)
    for name, value in tables.items():
        document[name] = copy.deepcopy(value)
    return document


def with_settings(document: dict[str, Any], **settings: Any) -> dict[str, Any]:
    document = copy.deepcopy(document)
    document["settings"] = {**document["settings"], **settings}
    return document


def solve_checked(document: dict[str, Any], **overrides: Any) -> tuple[Programme, SolveOutcome]:
    """Solve and, when there is a solution, re-check every rule on it."""
    scenario = load_scenario(document, overrides)
    programme, outcome = solve_scenario(scenario)
    if outcome.has_solution:
        check_invariants(programme, outcome)
    return programme, outcome


@pytest.fixture
def tiny_document() -> dict[str, Any]:
    return base_document()


# Marks a module whose tests drive Chromium (pytestmark = [BROWSER]).
BROWSER = pytest.mark.browser


def session_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test session's own temporary folder, shared by its xdist workers."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if "PYTEST_XDIST_WORKER" in os.environ else base


@pytest.fixture(scope="session", autouse=True)
def _shared_runs(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Where ``tests.console.shared_run`` keeps the session's shared console runs."""
    console.SHARED_RUNS = session_folder(tmp_path_factory) / "shared-runs"


def pytest_configure(config: pytest.Config) -> None:
    """Byte-compile the product's modules once, before any test runs (in the controller, not in each
    xdist worker). Where PYTHONDONTWRITEBYTECODE is set, as on the CI machines, no process writes
    bytecode, so each of the suite's ~1,000 runs of the installed script, and each server and its
    workers, compiled every module of the product it imported from source; bytecode already on disk
    is read whatever that variable says."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        return
    for package in ("api", "models", "optimiser", "data"):
        compileall.compile_dir(REPO / package, quiet=1)
    if recorded := config.getoption("--record-module-times"):
        config.pluginmanager.register(ModuleTimes(Path(recorded)), "module-times")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--record-module-times",
        metavar="PATH",
        help="write each test module's seconds (setup, call and teardown of its tests) to PATH as JSON: "
        f"how {MODULE_TIMES.name} is made (pytest --record-module-times {MODULE_TIMES.relative_to(REPO)})",
    )


# Each module's seconds in a whole run on the CI machine (2 cores), for the order modules are handed
# out in; remade with --record-module-times whenever modules are added or grow.
MODULE_TIMES = REPO / "tests" / "module_times.json"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a test marked `alone` first, then every other module, longest first. Under `--dist
    loadfile` (pyproject.toml) each module is one unit of work on one worker, so its module-scoped
    fixtures (a server, a batch, a PDF) are made once, and units are handed to the workers in this
    order as they come free. The `alone` modules, run together, take turns with each other, where
    spread through the run each `alone` test left cores idle while it waited for the other workers'
    tests in flight (up to half a minute) as well as while it ran. Then longest first: a long module
    handed out last keeps one worker busy while the others have nothing left (a module not yet in
    MODULE_TIMES counts as the longest, so a new one is never the one left)."""
    known = json.loads(MODULE_TIMES.read_text()) if MODULE_TIMES.exists() else {}
    alone = {item.nodeid.split("::")[0] for item in items if item.get_closest_marker("alone")}

    def turn(item: pytest.Item) -> tuple[int, float]:
        module = item.nodeid.split("::")[0]
        return (0 if module in alone else 1, -known.get(module, math.inf))

    items.sort(key=turn)  # stable: each module's own order is kept


# The user property in which a test's setup notes the seconds it waited for its turn to run.
WAITED_FOR_TURN = "waited_for_turn_s"


class ModuleTimes:
    """Sums each module's test seconds as reports arrive (in the xdist controller, from every worker)
    and writes them, largest first, when the session ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seconds: dict[str, float] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Not the time a test waited for its turn (``_alone_when_marked``): that is another module's."""
        waited = dict(report.user_properties).get(WAITED_FOR_TURN, 0.0) if report.when == "setup" else 0.0
        assert isinstance(waited, float)
        module = report.nodeid.split("::")[0]
        self.seconds[module] = self.seconds.get(module, 0.0) + report.duration - waited

    def pytest_sessionfinish(self) -> None:
        ordered = dict(sorted(((m, round(s, 1)) for m, s in self.seconds.items()), key=lambda ms: -ms[1]))
        self.path.write_text(json.dumps(ordered, indent=1) + "\n")


@pytest.fixture(autouse=True)
def _alone_when_marked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Under pytest-xdist (three workers, pyproject.toml), a test marked `alone` runs while no other
    test runs: it is timed (seconds on the clock, a child's CPU seconds) or drives a browser, and a
    test on another worker would take its CPU. Every test holds a lock file shared; an `alone`
    test holds it exclusively. A second lock, held only while taking the first, makes the tests
    take turns, so an `alone` test waiting for the shared holders to finish is not overtaken."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        yield
        return
    folder = session_folder(tmp_path_factory)
    alone = request.node.get_closest_marker("alone") is not None
    with (folder / "tests-turn.lock").open("a") as turn, (folder / "tests-running.lock").open("a") as running:
        asked = time.monotonic()
        fcntl.flock(turn, fcntl.LOCK_EX)
        try:
            fcntl.flock(running, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        finally:
            fcntl.flock(turn, fcntl.LOCK_UN)
        request.node.user_properties.append((WAITED_FOR_TURN, time.monotonic() - asked))
        try:
            yield
        finally:
            fcntl.flock(running, fcntl.LOCK_UN)
