"""The printable report of an offer, made on this machine: the check, the frontier sweep, the PDF.

``build_report(document, overrides, ...)`` is what ``commission report`` runs (the command is
declared in ``optimiser/cli.py`` with the other commands); the desk's report route reads
the same check and sweep from stored jobs instead (``api/web/results.py``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from optimiser.deliverability import wording
from optimiser.report.chart import FRONTIER_POINTS, frontier, frontier_offer, sweep_range
from optimiser.report.render import report_pdf
from optimiser.report.view import CheckView, check_view, scenario_sources
from optimiser.runs import money_range_override, run_job


@dataclass(frozen=True)
class Report:
    pdf: bytes
    view: CheckView
    result: dict[str, Any]  # the check's result JSON


def build_report(
    document: dict[str, Any],
    overrides: dict[str, Any],
    *,
    scenario_name: str,
    frontier_points: int = FRONTIER_POINTS,
    progress: Callable[[float], None] | None = None,
) -> Report:
    """Check the offer, draw its frontier from a budget sweep and print the PDF.

    Raises ``ScenarioInvalid`` for bad input and ``ReportUnavailable`` when the PDF library
    cannot load its system libraries.
    """
    started = time.perf_counter()
    result = run_job("check", document, overrides, progress=progress).result
    settings = document.get("settings") or {}
    chart = None
    note = wording.NO_FRONTIER_ASKED
    if frontier_points >= 2 and result.get("deliverable") is None:
        # No answer in time: no least budget to mark, and the sweep's points would fare no better (as on the desk).
        note = wording.NO_FRONTIER_NO_ANSWER
    elif frontier_points >= 2:
        budget_range = sweep_range(result, frontier_points, frontier_offer(result, overrides, settings))
        if budget_range is None:
            note = wording.NO_FRONTIER_RANGE
        else:
            swept = money_range_override(result.get("budget_mode"))
            chart = frontier(run_job("sweep", document, {**overrides, swept: budget_range}).result)
            if chart is None:  # not a point answered in time
                note = wording.NO_FRONTIER_DRAWN
    run_at = datetime.now(UTC).strftime("%d %b %Y %H:%M UTC")
    view = check_view(
        result,
        scenario_name=scenario_name,
        overrides=overrides,
        sources=scenario_sources(document),
        run_at=run_at,
        duration_s=time.perf_counter() - started,
        scenario_settings=settings,
        names=wording.Names.of_document(document),
    )
    pdf = report_pdf(
        view, chart, note, scenario_name=scenario_name, scenario_hash=result.get("scenario_hash"), run_at=run_at
    )
    return Report(pdf=pdf, view=view, result=result)
