"""Sweeps: one compiled programme re-solved hot across budgets or standards, equal to cold solves.

Case (hand-derived): one practice A (10,000 patients), GP £100,000 per FTE with 60,000 clinical
minutes; dm: 1,000 eligible, standard 50% (500 patients × 120 min = 1 FTE = £100,000); bp
(value weight 2): 500 eligible, standard 20% (100 patients × 60 min = 0.1 FTE = £10,000).
The spec costs at least £110,000: the least budget at which it is deliverable.
"""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest
from typer.testing import CliRunner

from models.scenario import ScenarioInvalid
from optimiser.cli import app
from optimiser.programme import Programme
from optimiser.runs import load_scenario, run_job
from optimiser.sweep import sweep, write_outputs
from optimiser.units import MAX_POINTS, parse_range


def doc(**settings: object) -> dict:
    return {
        "settings": {"budget_gbp": 75_000, **settings},
        "practices": [{"practice_id": "A", "pcn_id": "N", "list_size": 10_000}],
        "pcns": [{"pcn_id": "N", "arrs_entitlement_gbp": 0}],
        "roles": [{"role_id": "gp", "category": "gp", "cost_per_fte_gbp": 100_000, "clinical_hours_per_fte": 1_000}],
        "staff": [],
        "services": [
            {"service_id": "dm", "contacts_per_patient": 1, "min_coverage": 0.5, "prevalence": 0.1},
            {"service_id": "bp", "contacts_per_patient": 1, "min_coverage": 0.2, "prevalence": 0.05, "value_weight": 2},
        ],
        "skill_mix": [
            {"service_id": "dm", "role_id": "gp", "minutes_per_contact": 120},
            {"service_id": "bp", "role_id": "gp", "minutes_per_contact": 60},
        ],
    }


@pytest.fixture
def spy(monkeypatch):
    """Record every Programme built and the Highs object (and thread) of every solve."""
    built: list[Programme] = []
    solved_on: list[int] = []
    threads: list[str] = []
    original_init = Programme.__init__
    original_solve = Programme.solve

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        built.append(self)

    def solve(self, *args, **kwargs):
        solved_on.append(id(self.highs))
        threads.append(threading.current_thread().name)
        return original_solve(self, *args, **kwargs)

    monkeypatch.setattr(Programme, "__init__", init)
    monkeypatch.setattr(Programme, "solve", solve)
    return built, solved_on, threads


def one_core(monkeypatch) -> None:
    monkeypatch.setattr("optimiser.programme.usable_cores", lambda: 1)


def two_cores(monkeypatch) -> None:
    monkeypatch.setattr("optimiser.programme.usable_cores", lambda: 2)


def test_budget_sweep_hot_start_equals_cold_solves(spy) -> None:
    built, solved_on, _threads = spy
    job = sweep(load_scenario(doc()), budget="50k:200k:7")
    # Two programmes: the scenario's, and the copy the frontier without the standards is solved on.
    assert len(built) == 2 and set(solved_on) == {id(b.highs) for b in built}
    assert job.result["programmes_compiled"] == 2 and job.result["solves"] == len(solved_on) >= 14
    table = job.tables["sweep_budget"]
    assert job.result["marked"] == pytest.approx(110_000)
    built.clear()
    for row in table.itertuples():
        cold = run_job("solve", doc(budget_gbp=row.budget_gbp, objective="max_value"))
        if cold.result["status"] == "optimal":
            assert row.deliverable and row.value == pytest.approx(cold.result["objective_value"], rel=1e-9)
        else:
            assert cold.result["status"] == "infeasible" and not row.deliverable
    assert len(built) == len(table)  # the cold solves each built their own programme
    # Deliverable exactly from the marked budget: 50k, 75k, 100k no; 125k and up yes.
    assert list(table["deliverable"]) == [False, False, False, True, True, True, True]
    # Hand check at £150,000: standards cost £110,000; the £40,000 left buys 0.4 FTE = 24,000 min:
    # bp (weight 2, 60 min) first: 400 more bp patients (weight 2 each) is 24,000 min -> value
    # 500 (dm) + 2 × 500 (bp) = 1,500 and bp coverage 100%.
    at_150k = table[table["budget_gbp"] == 150_000].iloc[0]
    assert at_150k["value"] == pytest.approx(1_500) and at_150k["coverage_bp"] == pytest.approx(1.0)
    # Below the mark, the frontier without the standards still shows what money buys.
    assert table["no_standards_value"].notna().all()


def test_standards_sweep_least_cost_equals_cold_solves(spy) -> None:
    built, solved_on, _threads = spy
    job = sweep(load_scenario(doc()), standards="0:1:5")
    assert len(built) == 1 and len(set(solved_on)) == 1 and job.result["programmes_compiled"] == 1
    table = job.tables["sweep_standards"]
    # Least cost is linear here: £110,000 × fraction.
    assert list(table["least_cost_gbp"]) == pytest.approx([0, 27_500, 55_000, 82_500, 110_000])
    assert list(table["deliverable_at_budget"]) == [True, True, True, False, False]
    assert job.result["marked"] == pytest.approx(110_000)
    assert job.result["highest_fraction_within_budget"] == pytest.approx(75 / 110)
    for row in table.itertuples():
        cold = run_job("solve", doc(budget_gbp=10**9), {"standards_fraction": row.fraction})
        assert row.least_cost_gbp == pytest.approx(cold.result["objective_value"], abs=1e-6)


@pytest.mark.parametrize(
    "settings",
    [{}, {"objective": "max_min_coverage"}],
    ids=["max_value", "fair shares"],
)
def test_budget_sweep_frontiers_side_by_side_give_the_answer_of_one_core(spy, monkeypatch, settings) -> None:
    """With two cores the frontier without the standards is solved in a second thread; with one, in
    turn. The table is the same to the last bit, and so is every count."""
    built, _solved_on, threads = spy
    one_core(monkeypatch)
    alone = run_job("sweep", doc(**settings), {"budget": "50k:200k:7"})
    assert set(threads) == {threading.main_thread().name}
    threads.clear()
    two_cores(monkeypatch)
    beside = run_job("sweep", doc(**settings), {"budget": "50k:200k:7"})
    assert threading.main_thread().name in threads and any(t.startswith("beside") for t in threads)
    pd.testing.assert_frame_equal(alone.tables["sweep_budget"], beside.tables["sweep_budget"], check_exact=True)
    keep = {k: v for k, v in alone.result.items() if k != "seconds"}
    assert keep == {k: v for k, v in beside.result.items() if k != "seconds"}
    assert len(built) == 4  # each run: the scenario's programme and its copy


def test_budget_sweep_error_in_the_second_frontier_is_raised(monkeypatch) -> None:
    """A failure in the frontier solved in the other thread reaches the caller, as it would in turn."""
    two_cores(monkeypatch)

    def broken(self):
        raise RuntimeError("copy failed")

    monkeypatch.setattr(Programme, "fresh_copy", broken)
    with pytest.raises(RuntimeError, match="copy failed"):
        sweep(load_scenario(doc()), budget="50k:200k:3")


def test_per_practice_budget_sweep_uses_offer_rate() -> None:
    # An offer-rate range (a budget range is a pooled budget's, whatever the mode: audit 7, A3).
    document = doc(budget_mode="per_practice", offer_rate_gbp_per_weighted_patient=5.0)
    del document["settings"]["budget_gbp"]
    job = run_job("sweep", document, {"offer_rate": "10:12:3"})
    (name,) = job.tables  # named by the range swept, as its files are (audit 10 #11)
    table = job.tables[name]
    assert (name, job.result["sweep"]) == ("sweep_offer_rate", "offer_rate")
    assert job.result["x"] == "offer_rate_gbp_per_weighted_patient"
    assert job.result["marked"] == pytest.approx(11.0)  # £110,000 / 10,000 weighted patients
    assert list(table["deliverable"]) == [False, True, True]


@pytest.mark.parametrize("text", ["1:2", "a:2:3", "0:1:0", "0:1:x", "-1:2:3", "1:2:1"])
def test_parse_range_rejects_bad_input(text: str) -> None:
    with pytest.raises(ScenarioInvalid):
        parse_range(text, "budget")


def test_parse_range_suffixes() -> None:
    assert list(parse_range("0:1.5m:4", "budget")) == [0, 500_000, 1_000_000, 1_500_000]
    with pytest.raises(ScenarioInvalid, match="the number of points must be between 2 and 1000"):
        parse_range("100k:100k:1", "budget")  # one point is a solve, not a frontier


def test_sweep_needs_exactly_one_range() -> None:
    with pytest.raises(ScenarioInvalid):
        sweep(load_scenario(doc()))
    with pytest.raises(ScenarioInvalid):
        sweep(load_scenario(doc()), budget="0:1:2", standards="0:1:2")


def test_outputs_and_cli(tmp_path) -> None:
    job = sweep(load_scenario(doc()), budget="0:200k:5")
    paths = write_outputs(job, tmp_path / "direct")
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads(paths["json"].read_text())["marked"] == pytest.approx(110_000)
    assert "budget_gbp" in paths["csv"].read_text().splitlines()[0]

    path = tmp_path / "s.json"
    path.write_text(json.dumps(doc()))
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["sweep", str(path), "--standards", "0.5:1:3", "--out", str(out)])
    assert done.exit_code == 0, done.output
    assert (out / "sweep_standards.csv").exists() and (out / "sweep_standards.png").stat().st_size > 1000
    assert "£110,000" in done.output
    done = CliRunner().invoke(app, ["sweep", str(path), "--budget", "0:1m:3", "--out", str(out), "--format", "json"])
    assert done.exit_code == 0 and json.loads(done.output)["points"][0]["budget_gbp"] == 0
    assert CliRunner().invoke(app, ["sweep", str(path), "--out", str(out)]).exit_code == 2
    assert CliRunner().invoke(app, ["sweep", str(path), "--budget", "1:2", "--out", str(out)]).exit_code == 2
    assert MAX_POINTS == 1000


def _drawn(figure):
    figure.canvas.draw()
    return figure


def test_frontier_chart_is_readable() -> None:
    """Legends sit beside the plots (not over the data); every service has its own colour and its
    own marker; the money axis reads in £m with no offset or 1e6 factor."""
    from models.synthetic import generate_scenario
    from optimiser.sweep import frontier_figure

    document = generate_scenario(5, n_practices=3, n_pcns=1, n_roles=6, n_services=12)
    budget = document["settings"]["budget_gbp"]
    job = sweep(load_scenario(document), budget=f"{budget * 0.5}:{budget * 3}:4")
    figure = _drawn(frontier_figure(job.result, job.tables["sweep_budget"]))
    top, bottom = figure.axes
    # Each service by its name, as the desk names it (audit 7, A15).
    services_by_name = job.result["service_names"]
    names = [
        services_by_name[c[len("coverage_") :]] for c in job.tables["sweep_budget"].columns if c.startswith("coverage_")
    ]
    services = [line for line in bottom.get_lines() if line.get_label() in names]
    assert len(services) == len(names) == 12
    assert len({tuple(line.get_color()) for line in services}) == 12
    assert len({line.get_marker() for line in services}) == 12
    for axis in (top, bottom):
        legend = axis.get_legend()
        assert legend is not None
        assert legend.get_window_extent().x0 >= axis.get_window_extent().x1  # beside, not over, the data
        assert axis.xaxis.get_offset_text().get_text() == "" and axis.yaxis.get_offset_text().get_text() == ""
    ticks = [t.get_text() for t in bottom.get_xticklabels() if t.get_text()]
    assert ticks and all(t.startswith("£") and t.endswith("m") for t in ticks), ticks
    assert "£m" in bottom.get_xlabel()

    job = sweep(load_scenario(document), standards="0.2:1:3")
    figure = _drawn(frontier_figure(job.result, job.tables["sweep_standards"]))
    (axis,) = figure.axes
    ticks = [t.get_text() for t in axis.get_yticklabels() if t.get_text()]
    assert ticks and all(t.startswith("£") and t.endswith("m") for t in ticks), ticks
    assert axis.get_legend().get_window_extent().x0 >= axis.get_window_extent().x1
    assert axis.yaxis.get_offset_text().get_text() == ""
