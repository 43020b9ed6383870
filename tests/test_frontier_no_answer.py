"""A check with no answer in time gets no frontier (audit 9, A15): ``commission report`` runs no
sweep for it, as the desk does not, and says why in the sentence the desk uses; a sweep with no
point answered draws no chart (empty axes under a full legend and caption)."""

from __future__ import annotations

from typing import Any

import pytest

from models.synthetic import generate_scenario
from optimiser.deliverability import wording
from optimiser.report import build
from optimiser.report.chart import frontier
from optimiser.runs import run_job


def test_a_sweep_with_no_point_answered_draws_no_chart() -> None:
    points = [{"budget_gbp": 1000.0 * i, "status": "time_limit", "no_standards_status": "time_limit"} for i in range(3)]
    assert frontier({"sweep": "budget", "x": "budget_gbp", "points": points, "marked": None}) is None


def test_the_report_of_a_check_with_no_answer_runs_no_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    kinds: list[str] = []
    drawn: dict[str, Any] = {}

    def counted(kind: str, *args: Any, **kwargs: Any) -> Any:
        kinds.append(kind)
        return run_job(kind, *args, **kwargs)

    def printed(view: Any, chart: Any, note: Any, **kwargs: Any) -> bytes:
        drawn.update(chart=chart, note=note)
        return b"%PDF"

    monkeypatch.setattr(build, "run_job", counted)
    monkeypatch.setattr(build, "report_pdf", printed)
    document = generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)
    report = build.build_report(document, {"time_limit_s": 0.001}, scenario_name="mip")
    assert report.result["deliverable"] is None, report.result
    assert kinds == ["check"]
    assert drawn == {"chart": None, "note": wording.NO_FRONTIER_NO_ANSWER}
