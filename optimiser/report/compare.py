"""Two offers side by side: verdict, least cost, spend, coverage by service, new FTE by role
and the per-practice differences, largest first, from two check or solve results.

Each side is a :class:`Side` (a label, the job's kind, result JSON and, for solves, its
``practices`` table). Numbers keep their JSON path (``a:levers.0.amount``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from optimiser.deliverability.wording import money, number, percent
from optimiser.report.view import Num, resolve

NOT_IN = "not in this result"
# Headline rows that are counts or plain numbers, not money (their difference is shown as a number).
_COUNTS = ("Practices short", "Practices below", "Practice floor: practices", "Gini")


@dataclass
class Side:
    label: str
    kind: str
    result: dict[str, Any]
    practices: pd.DataFrame | None = None


@dataclass
class Row:
    group: str
    label: str
    a: Num | str
    b: Num | str
    difference: Num | str = ""


@dataclass
class Comparison:
    a_label: str
    b_label: str
    rows: list[Row]
    practice_unit: str
    practice_rows: list[list[Any]] = field(default_factory=list)
    practice_note: str = ""
    practices_short: tuple[int | None, int | None] = (None, None)

    def frame(self) -> pd.DataFrame:
        """Everything as one table (CSV/XLSX download): the metrics, then each practice."""
        records = [
            {
                "section": row.group,
                "item": row.label,
                "a": _plain(row.a),
                "b": _plain(row.b),
                "b_minus_a": _plain(row.difference),
            }
            for row in self.rows
        ]
        for practice, a, b, difference in self.practice_rows:
            records.append(
                {
                    "section": f"per practice: {self.practice_unit}",
                    "item": practice,
                    "a": a,
                    "b": b,
                    "b_minus_a": difference,
                }
            )
        frame = pd.DataFrame(records, columns=["section", "item", "a", "b", "b_minus_a"])
        return frame.rename(columns={"a": f"A: {self.a_label}", "b": f"B: {self.b_label}"})


def _plain(value: Num | str) -> Any:
    return value.value if isinstance(value, Num) else value


def _get(side: Side, path: str) -> Any:
    try:
        return resolve({"result": side.result}, path)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def _num(side: Side, prefix: str, path: str, formatter: Any) -> Num | str:
    value = _get(side, path)
    if value is None:
        return NOT_IN
    return Num(value, formatter(float(value)), f"{prefix}:{path}")


def _lever(side: Side, lever: str) -> int | None:
    for index, item in enumerate(side.result.get("levers") or []):
        if item.get("lever") == lever:
            return index
    return None


def verdict(side: Side) -> str:
    value = side.result.get("deliverable")
    return "Deliverable" if value is True else ("Not deliverable" if value is False else "No answer")


def _metrics(side: Side, prefix: str) -> dict[str, Num | str]:
    r = side.result
    per_practice = r.get("budget_mode") == "per_practice" or (r.get("kpis") or {}).get("budget_mode") == "per_practice"
    out: dict[str, Num | str] = {"Verdict": verdict(side)}
    if side.kind == "solve":
        out["Offer (budget)"] = _num(side, prefix, "kpis.budget_gbp", money)
        out["Spend"] = _num(side, prefix, "kpis.total_spend_gbp", money)
        out["Least cost"] = (
            _num(side, prefix, "kpis.total_spend_gbp", money) if r.get("objective") == "min_cost" else NOT_IN
        )
        out["New FTE in total"] = _num(side, prefix, "kpis.new_fte_total", number)
        _fair_shares(side, prefix, out)
        return out
    budget = _lever(side, "budget")
    if r.get("deliverable") is True:
        out["Offer (budget)"] = _num(side, prefix, "headline.budget_gbp", money)
        out["Least cost"] = _num(side, prefix, "headline.least_spend_gbp", money)
        out["Spend"] = _num(side, prefix, "headline.spend_gbp", money)
        out["Spare"] = _num(side, prefix, "headline.headroom_gbp", money)
    elif budget is not None and per_practice:
        base = f"levers.{budget}.details"
        out["Offer per weighted patient"] = _num(side, prefix, f"{base}.offer_rate_gbp_per_weighted_patient", money)
        out["Least offer per weighted patient"] = _num(
            side, prefix, f"{base}.needed_rate_gbp_per_weighted_patient", money
        )
        out["Practices short"] = (
            Num(len(_get(side, f"{base}.practices_short") or []), "", f"len:{prefix}:{base}.practices_short")
            if _get(side, f"{base}.practices_short") is not None
            else NOT_IN
        )
        out["Total shortfall of those practices"] = _num(side, prefix, f"{base}.total_shortfall_gbp", money)
        out["Spend"] = "no allocation within the offer"
    elif budget is not None:
        base = f"levers.{budget}.details"
        out["Offer (budget)"] = _num(side, prefix, f"{base}.budget_gbp", money)
        out["Least cost"] = _num(side, prefix, f"{base}.least_spend_gbp", money)
        out["Shortfall"] = _num(side, prefix, f"{base}.shortfall_gbp", money)
        out["Spend"] = "no allocation within the offer"
    standards = _lever(side, "standards")
    if standards is not None:
        out["Standards reachable (share of every minimum)"] = _num(side, prefix, f"levers.{standards}.amount", percent)
    safe = _lever(side, "safe_working")
    if safe is not None:
        out["Safe-working raise needed (contacts per FTE-day)"] = _num(side, prefix, f"levers.{safe}.amount", number)
    floor = _lever(side, "practice_floor")
    if floor is not None:
        out["Practice floor: cost a year"] = _num(side, prefix, f"levers.{floor}.details.floor_cost_gbp", money)
        out["Practice floor: practices that would otherwise lose"] = _num(
            side, prefix, f"levers.{floor}.details.practices_below_floor_without_it", number
        )
    return out


def _fair_shares(side: Side, prefix: str, out: dict[str, Num | str]) -> None:
    """Who gains and who loses (docs/fairness.md): the lowest practice and, where given, prior funding."""
    base = "kpis.distribution"
    if _get(side, base) is None:
        return
    out["Lowest practice coverage (share)"] = _num(side, prefix, f"{base}.coverage.min", percent)
    out["Gini of £ per weighted patient"] = _num(side, prefix, f"{base}.spend_gbp_per_weighted_patient.gini", number)
    if _get(side, f"{base}.prior_funding") is not None:
        out["Practices below prior funding"] = _num(
            side, prefix, f"{base}.prior_funding.practices_below_prior", number
        )
        out["Their shortfall against prior funding"] = _num(
            side, prefix, f"{base}.prior_funding.total_below_prior_gbp", money
        )


def _coverage(side: Side, prefix: str) -> tuple[str, dict[str, Num | str]]:
    if side.kind == "solve":
        services = (side.result.get("kpis") or {}).get("coverage_by_service") or {}
        return "coverage", {s: _num(side, prefix, f"kpis.coverage_by_service.{s}.coverage", percent) for s in services}
    standards = _lever(side, "standards")
    by_service = _get(side, f"levers.{standards}.details.by_service") if standards is not None else None
    if isinstance(by_service, list):
        return "coverage reachable at the offer", {
            str(item["service_id"]): _num(
                side, prefix, f"levers.{standards}.details.by_service.{i}.coverage_at_uniform", percent
            )
            for i, item in enumerate(by_service)
        }
    return "", {}


def _fte(side: Side, prefix: str) -> dict[str, Num | str]:
    roles = (side.result.get("kpis") or {}).get("new_fte_by_role") or {}
    return {r: _num(side, prefix, f"kpis.new_fte_by_role.{r}", number) for r in roles}


def _practice_values(side: Side) -> tuple[str, dict[str, float]]:
    """One number per practice and its unit: spend (solves), shortfall £ (per-practice
    checks) or patients short in the smallest combined change (pooled checks)."""
    r = side.result
    if side.kind == "solve" and side.practices is not None and "spend_gbp" in side.practices:
        return "spend £ a year", {
            str(p): float(v) for p, v in zip(side.practices["practice_id"], side.practices["spend_gbp"], strict=True)
        }
    budget = _lever(side, "budget")
    if r.get("budget_mode") == "per_practice":
        if r.get("deliverable") is True:
            return "shortfall £ a year", {}
        short = _get(side, f"levers.{budget}.details.practices_short") if budget is not None else None
        if isinstance(short, list):
            return "shortfall £ a year", {str(s["practice_id"]): float(s["shortfall_gbp"]) for s in short}
    if side.kind == "check":
        if r.get("deliverable") is True:
            return "patients short of the standards", {}
        values: dict[str, float] = {}
        for v in (r.get("relaxation") or {}).get("violations") or []:
            if v.get("lever") == "standards":
                practice = str(v.get("entity", "")).partition(" / ")[0]
                values[practice] = values.get(practice, 0.0) + float(v.get("amount") or 0.0)
        return "patients short of the standards", values
    return "", {}


def _difference(a: Num | str, b: Num | str, formatter: Any) -> Num | str:
    if isinstance(a, Num) and isinstance(b, Num) and a.value is not None and b.value is not None:
        value = float(b.value) - float(a.value)
        if abs(value) <= 1e-9 * max(abs(float(a.value)), abs(float(b.value)), 1.0):
            return Num(value, "same", f"{b.src} - {a.src}")
        sign = "+" if value > 0 else "−"
        return Num(value, sign + formatter(abs(value)), f"{b.src} - {a.src}")
    return ""


def compare(a: Side, b: Side) -> Comparison:
    rows: list[Row] = []
    ma, mb = _metrics(a, "a"), _metrics(b, "b")
    for label in list(dict.fromkeys([*ma, *mb])):
        va, vb = ma.get(label, NOT_IN), mb.get(label, NOT_IN)
        formatter = (
            _points
            if "share" in label
            else (number if ("contacts" in label or "FTE" in label or label.startswith(_COUNTS)) else money)
        )
        for value in (va, vb):
            if isinstance(value, Num) and not value.text:
                object.__setattr__(value, "text", f"{int(value.value or 0):,}")
        rows.append(Row("Headline", label, va, vb, _difference(va, vb, formatter)))
    cov_label_a, cov_a = _coverage(a, "a")
    cov_label_b, cov_b = _coverage(b, "b")
    for service in dict.fromkeys([*cov_a, *cov_b]):
        va, vb = cov_a.get(service, NOT_IN), cov_b.get(service, NOT_IN)
        label = cov_label_a or cov_label_b
        rows.append(Row(f"Coverage by service ({label})", service, va, vb, _difference(va, vb, _points)))
    fte_a, fte_b = _fte(a, "a"), _fte(b, "b")
    for role in dict.fromkeys([*fte_a, *fte_b]):
        va, vb = fte_a.get(role, NOT_IN), fte_b.get(role, NOT_IN)
        rows.append(Row("New FTE by role", role, va, vb, _difference(va, vb, number)))
    if not fte_a and not fte_b:
        rows.append(Row("New FTE by role", "all roles", "only a solve reports hires", "only a solve reports hires"))
    unit_a, values_a = _practice_values(a)
    unit_b, values_b = _practice_values(b)
    practice_rows: list[list[Any]] = []
    note = ""
    unit = unit_a or unit_b
    if unit_a and unit_b and unit_a != unit_b:
        note = f"The two results measure practices differently (A: {unit_a}; B: {unit_b}); no per-practice difference."
    elif unit:
        for practice in sorted(set(values_a) | set(values_b)):
            pa, pb = values_a.get(practice, 0.0), values_b.get(practice, 0.0)
            practice_rows.append([practice, pa, pb, pb - pa])
        practice_rows.sort(key=lambda row: (-abs(row[3]), row[0]))
        practice_rows = [row for row in practice_rows if abs(row[3]) > 1e-9 or row[1] or row[2]]
    short = (
        sum(1 for v in values_a.values() if v > 1e-9) if unit_a else None,
        sum(1 for v in values_b.values() if v > 1e-9) if unit_b else None,
    )
    return Comparison(
        a_label=a.label,
        b_label=b.label,
        rows=rows,
        practice_unit=unit,
        practice_rows=practice_rows,
        practice_note=note,
        practices_short=short,
    )


def _points(value: float) -> str:
    return f"{value * 100:,.1f} points"


def practice_text(unit: str, value: float) -> str:
    if unit.startswith("patients"):
        return number(value)
    return money(value)
