"""Two offers side by side: verdict, least cost, spend, coverage by service, new FTE by role and
the per-practice differences, largest first, from two check or solve results. Practices,
services and roles read by the scenario's names (``wording.Names``), the downloads keeping their
ids. Both sides of a row are shown at one precision where they would not be (a least cost in £m
beside one to the pound; a share of 100% beside 93.0%, shown 100.0%), and each B − A is of the
figures as shown where both are at one precision or one side is zero, else of the unrounded
values at the coarser precision (``difference_text``). The rows follow each side's budget mode:
an offer per weighted patient compares its rates, not a pooled offer.

Each side is a :class:`Side` (a label, the job's kind, result JSON and its per-practice
table: a solve's ``practices``, a check's ``least_cost_practices``). Numbers keep their JSON
path (``a:levers.0.amount``); a number read from a side's table names the table, its row and
column (``a.least_cost_practices:3.shortfall_gbp``, the row as ``GET /jobs/{id}/tables/NAME``
lists it).

A check makes no allocation within an offer it finds undeliverable, but it has solved the
least-cost allocation that meets every standard (``least_cost_allocation``): its coverage by
service, new FTE by role and each practice's need against its share of the offer are compared
under "least-cost plan". A solve and a check are compared on what both have (spend per
practice: the solve's allocation against the check's least-cost plan), and say so.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from optimiser.deliverability import wording
from optimiser.deliverability.wording import COMPARE_HEADLINE as HEADLINE
from optimiser.deliverability.wording import COMPARE_NOT_IN as NOT_IN
from optimiser.deliverability.wording import (
    least_money,
    least_number,
    money,
    number,
    spare_money,
    table_highest_share,
    table_share,
)
from optimiser.io import number_places
from optimiser.report.view import Num, resolve, shortfall_parts, shortfalls_total_text

# How each headline row's B − A difference reads, by the row's key (never by words in its label,
# which the wording module may change or translate): shares in percentage points, counts and
# plain numbers as numbers, everything else in £.
_SHARES = ("standards_reachable", "lowest_coverage")
# The standards rows: what each side reaches and at what share it was checked, both as shares of
# the standards as the spec writes them (a check at 95% reaching 93.9% of its scaled standards
# reaches 89.2% of the written ones).
STANDARDS_REACHABLE = wording.COMPARE_STANDARDS_REACHABLE_AS_WRITTEN
STANDARDS_CHECKED_AT = wording.COMPARE_STANDARDS_CHECKED_AT
# A per-weighted-patient side's summed practice budgets and their excess over the least cost, in
# its result page's words (not an "Offer" with money "Spare": no practice's budget funds another's).
BUDGETS_IN_TOTAL = wording.OFFER_ROWS["budgets_in_total"]
ABOVE_LEAST = wording.OFFER_ROWS["above_least"]
_NUMBERS = (
    "new_fte",
    "practices_short",
    "plan_practices_short",
    "plan_new_fte",
    "safe_working_raise",
    "floor_losers",
    "gini",
    "below_prior",
)
# Decimal places of each headline row in the downloads, as every result table is rounded
# (optimiser.io.RESULT_PRECISION): £ to 2, shares to 4, FTE and contacts per FTE-day to 3.
_COUNTS = ("practices_short", "plan_practices_short", "floor_losers", "below_prior")
_DIFFERENCE_UNIT = {
    HEADLINE[key]: "points"
    if key in _SHARES
    else "count"
    if key in _COUNTS
    else "number"
    if key in _NUMBERS
    else "money"
    for key in HEADLINE
} | {STANDARDS_REACHABLE: "points", STANDARDS_CHECKED_AT: "points", BUDGETS_IN_TOTAL: "money", ABOVE_LEAST: "money"}
_FTE = ("new_fte", "plan_new_fte")
_PLACES = {
    HEADLINE[key]: 4 if key in (*_SHARES, "gini") else 0 if key in _COUNTS else 3 if key in _FTE else 2
    for key in HEADLINE
} | {STANDARDS_REACHABLE: 4, STANDARDS_CHECKED_AT: 4, BUDGETS_IN_TOTAL: 2, ABOVE_LEAST: 2}
SHARE_PLACES, FTE_PLACES, PRACTICE_PLACES = 4, 3, 2  # coverage sections, FTE sections, £ or patients


# The downloads' id columns: what a row's item is, by id, where it is a practice, service or role.
ID_COLUMNS = ("practice_id", "service_id", "role_id")


@dataclass
class Side:
    label: str
    kind: str
    result: dict[str, Any]
    practices: pd.DataFrame | None = None  # a solve's ``practices`` table
    least_cost_practices: pd.DataFrame | None = None  # a check's ``least_cost_practices`` table
    names: wording.Names = wording.NO_NAMES  # what the side's scenario calls its practices
    # The share of every minimum standard the side was checked at (the job's ``standards_fraction``
    # override); None: the standards as the spec writes them.
    standards_fraction: float | None = None


@dataclass
class Row:
    group: str
    label: str
    a: Num | str
    b: Num | str
    difference: Num | str = ""
    places: int | None = None  # decimal places in the downloads
    # A highest share that fits (standards reachable, coverage reachable at the offer): rounded
    # down in the downloads, as on the page, and B − A the difference of the two as downloaded.
    fits: bool = False
    # A service's or a role's row: its id column and id ({"service_id": "dm"}), kept beside its
    # name in the downloads.
    ids: dict[str, str] = field(default_factory=dict)
    # An amount needed (a least offer, a shortfall, a raise of a cap): rounded up in the downloads, as
    # on the page, so that a figure fed back suffices.
    needs: bool = False
    # Each figure at the places its sentence shows it (``io.number_places``): a raise of the
    # safe-working cap, 1.41 contacts per FTE-day on the page and in the downloads (audit 9, A8).
    as_shown: bool = False


@dataclass
class Comparison:
    a_label: str
    b_label: str
    rows: list[Row]
    practice_unit: str
    practice_rows: list[list[Any]] = field(default_factory=list)
    practice_note: str = ""
    practices_short: tuple[int | None, int | None] = (None, None)
    names: wording.Names = wording.NO_NAMES
    measure: str = ""  # the per-practice measure both sides have (MEASURES), "" if none

    def practice(self, practice_id: str) -> str:
        """A practice as the reader knows it: its name with its id where the scenario names it."""
        return self.names.practice(practice_id)

    def practices_short_line(self) -> str:
        """The lead line: how many practices each side counts, in the per-practice measure's words
        ("Practices needing more than an equal share of the offer: 2 under A, 1 under B.")."""
        under_a, under_b = self.practices_short
        if under_a is None or under_b is None or self.measure not in wording.COMPARE_PRACTICES_SHORT:
            return ""
        return wording.compare_practices_short(self.measure, under_a, under_b)

    def practice_difference(self, a: Num | float, b: Num | float) -> str:
        """A practice's B − A as the page shows it (``difference_text``)."""
        cells = [
            value if isinstance(value, Num) else Num(value, practice_text(self.practice_unit, value), "")
            for value in (a, b)
        ]
        unit = "number" if self.practice_unit.startswith("patients") else "money"
        return difference_text(cells[0], cells[1], unit) or ""

    def downloaded_rows(self) -> list[dict[str, Any]]:
        """The metrics as the downloads give them, each number rounded to its unit (a highest
        share that fits rounded down)."""
        records = []
        for row in self.rows:
            if row.fits or row.needs:
                towards = highest if row.fits else needed
                places_a, places_b = (_places(row, value) for value in (row.a, row.b))
                a, b = towards(_given(row.a), places_a), towards(_given(row.b), places_b)
                both = all(isinstance(v, float) for v in (a, b))
                places = max(places_a or 0, places_b or 0) if row.as_shown else row.places
                difference = rounded(b - a, places) if both else rounded(row.difference, row.places)
            else:
                a, b = rounded(_given(row.a), row.places), rounded(_given(row.b), row.places)
                difference = rounded(row.difference, row.places)
            records.append(
                {"section": row.group, "item": row.label, **row.ids, "a": a, "b": b, "b_minus_a": difference}
            )
        return records

    def downloaded_practices(self) -> list[tuple[str, Any, Any, Any]]:
        """Each practice's row as the downloads give it: practice id, A, B and B − A, rounded."""
        return [
            (practice, *(rounded(value, PRACTICE_PLACES) for value in (a, b, difference)))
            for practice, a, b, difference in self.practice_rows
        ]

    def document(self) -> dict[str, Any]:
        """The JSON download."""
        return {
            "a": self.a_label,
            "b": self.b_label,
            "practices_short": {"a": self.practices_short[0], "b": self.practices_short[1]},
            "rows": [
                {**row, "b_minus_a": row["b_minus_a"] if row["b_minus_a"] != "" else None}
                for row in self.downloaded_rows()
            ],
            "per_practice": {
                "unit": self.practice_unit,
                "note": self.practice_note,
                "rows": [
                    {"practice_id": p, "practice": self.practice(p), "a": a, "b": b, "b_minus_a": d}
                    for p, a, b, d in self.downloaded_practices()
                ],
            },
        }

    def frame(self) -> pd.DataFrame:
        """Everything as one table (CSV/XLSX download): the metrics (a service's or a role's name
        in ``item``, its id in ``service_id`` or ``role_id``), then each practice (its name in
        ``item``, its id in ``practice_id``)."""
        records: list[dict[str, Any]] = [{**dict.fromkeys(ID_COLUMNS, ""), **row} for row in self.downloaded_rows()]
        section = wording.compare_practice_section(self.practice_unit)
        for practice, a, b, difference in self.downloaded_practices():
            item = self.practice(practice)
            records.append(
                {
                    **dict.fromkeys(ID_COLUMNS, ""),
                    "section": section,
                    "item": item,
                    "practice_id": practice,
                    "a": a,
                    "b": b,
                    "b_minus_a": difference,
                }
            )
        # Each practice's, service's or role's id beside its name, as every machine-readable table
        # keeps ids (empty where the row is not one of them).
        frame = pd.DataFrame(records, columns=["section", "item", *ID_COLUMNS, "a", "b", "b_minus_a"])
        return frame.rename(columns={"a": f"A: {self.a_label}", "b": f"B: {self.b_label}"})


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
    return wording.compare_verdict(side.result.get("deliverable"), side.result.get("status"))


def _metrics(side: Side, prefix: str, in_full: bool = False) -> dict[str, Num | str]:
    """A side's headline rows; ``in_full``: its offer, least cost, spend and money spare or short
    to the pound (``_ONE_PRECISION_ROWS``), as the other side's are.

    The rows follow the side's ``budget_mode``, not its verdict: a per-weighted-patient side gives
    its offered rate and the least rate at which every practice can deliver, and its budgets read
    as its result page's offer table reads them (summed practice budgets, none of which can fund
    another practice: no money "spare", no equal share of an offer)."""
    r = side.result
    per_practice = r.get("budget_mode") == "per_practice" or (r.get("kpis") or {}).get("budget_mode") == "per_practice"
    offer_label = BUDGETS_IN_TOTAL if per_practice else HEADLINE["offer"]
    out: dict[str, Num | str] = {HEADLINE["verdict"]: verdict(side)}
    if side.kind == "solve":
        to_gap_precision = wording.money_in_full if in_full else money
        offer_text = wording.offer_in_full if in_full else wording.offer_money
        out[offer_label] = _num(side, prefix, "kpis.budget_gbp", offer_text)
        spend = _num(side, prefix, "kpis.total_spend_gbp", to_gap_precision)
        least_cost = r.get("objective") == "min_cost"  # then its spend is its least cost: one figure
        out[HEADLINE["spend"]] = spend
        out[HEADLINE["least_cost"]] = spend if least_cost else NOT_IN
        out[HEADLINE["new_fte"]] = _num(side, prefix, "kpis.new_fte_total", number)
        _fair_shares(side, prefix, out)
        return out
    budget = _lever(side, "budget")
    if budget is not None and per_practice:
        out.update(_rates(side, prefix, f"levers.{budget}.details"))
    if r.get("deliverable") is True:
        least, offer, spare = _gap(
            side, prefix, "headline.least_spend_gbp", "headline.budget_gbp", "headline.headroom_gbp", True, in_full
        )
        out[offer_label] = offer
        out[HEADLINE["least_cost"]] = least
        out[HEADLINE["spend"]] = _spend(side, prefix, least, in_full)
        out[ABOVE_LEAST if per_practice else HEADLINE["spare"]] = spare
    elif budget is not None and per_practice:
        base = f"levers.{budget}.details"
        out[HEADLINE["practices_short"]] = (
            Num(len(_get(side, f"{base}.practices_short") or []), "", f"len:{prefix}:{base}.practices_short")
            if _get(side, f"{base}.practices_short") is not None
            else NOT_IN
        )
        # As its result page shows it: the rows added up where the page lists them all (audit 10, #5).
        total = shortfalls_total_text(shortfall_parts(side.result, base))
        out[HEADLINE["total_shortfall"]] = _num(side, prefix, f"{base}.total_shortfall_gbp", total)
        out[HEADLINE["spend"]] = wording.COMPARE_NO_ALLOCATION
    elif budget is not None:
        base = f"levers.{budget}.details"
        least, offer, short = _gap(
            side, prefix, f"{base}.least_spend_gbp", f"{base}.budget_gbp", f"{base}.shortfall_gbp", False, in_full
        )
        out[HEADLINE["offer"]] = offer
        out[HEADLINE["least_cost"]] = least
        out[HEADLINE["shortfall"]] = short
        out[HEADLINE["spend"]] = wording.COMPARE_NO_ALLOCATION
    # Need above an equal share of a pooled offer: a per-weighted-patient side has no pooled offer
    # to share (each practice has its own budget).
    if not per_practice and _get(side, f"{ALLOCATION}.practices_short") is not None:
        out[HEADLINE["plan_practices_short"]] = _num(side, prefix, f"{ALLOCATION}.practices_short", number)
        # Money needed, rounded up as its result page shows it (audit 8, A4; audit 10, #5).
        total = shortfalls_total_text(shortfall_parts(side.result, None))
        out[HEADLINE["plan_total_shortfall"]] = _num(side, prefix, f"{ALLOCATION}.total_shortfall_gbp", total)
    if _get(side, f"{ALLOCATION}.new_fte_total") is not None:
        out[HEADLINE["plan_new_fte"]] = _num(side, prefix, f"{ALLOCATION}.new_fte_total", number)
    standards = _lever(side, "standards")
    if standards is not None:
        out[STANDARDS_REACHABLE] = _as_written(side, prefix, f"levers.{standards}.amount")
    safe = _lever(side, "safe_working")
    if safe is not None:
        out[HEADLINE["safe_working_raise"]] = _num(side, prefix, f"levers.{safe}.amount", least_number)
    floor = _lever(side, "practice_floor")
    if floor is not None:
        out[HEADLINE["floor_cost"]] = _num(side, prefix, f"levers.{floor}.details.floor_cost_gbp", least_money)
        out[HEADLINE["floor_losers"]] = _num(
            side, prefix, f"levers.{floor}.details.practices_below_floor_without_it", number
        )
    return out


def _gap(
    side: Side, prefix: str, least_path: str, offer_path: str, gap_path: str, spare: bool, in_full: bool
) -> tuple[Num | str, ...]:
    """A side's least cost, offer and the money spare or short between them (least, offer, gap), as
    its result page shows them (``wording.gap_figures``): they visibly subtract, in full where in £m
    they would not (or ``in_full``). Each keeps its own value and path."""
    least, offer, gap = (_get(side, path) for path in (least_path, offer_path, gap_path))
    if least is None or offer is None or gap is None:
        return (
            _num(side, prefix, least_path, money),
            _num(side, prefix, offer_path, wording.offer_money),
            _num(side, prefix, gap_path, spare_money if spare else least_money),
        )
    texts = wording.gap_figures(float(least), float(offer), in_full=in_full)
    return tuple(
        Num(value, text, f"{prefix}:{path}")
        for value, text, path in zip((least, offer, gap), texts, (least_path, offer_path, gap_path), strict=True)
    )


def _rates(side: Side, prefix: str, base: str) -> dict[str, Num | str]:
    """A per-weighted-patient side's offered rate and the least rate at which every practice can
    deliver (its money lever's details, deliverable or not), as its result page shows them
    (``wording.rate_gap_figures``: to the penny, the least rate rounded up)."""
    rate_path, needed_path = (
        f"{base}.offer_rate_gbp_per_weighted_patient",
        f"{base}.needed_rate_gbp_per_weighted_patient",
    )
    rate, needed = _get(side, rate_path), _get(side, needed_path)
    if rate is None or needed is None:
        return {
            HEADLINE["rate"]: _num(side, prefix, rate_path, wording.rate_money),
            HEADLINE["needed_rate"]: _num(side, prefix, needed_path, wording.least_rate),
        }
    needed_text, rate_text, _ = wording.rate_gap_figures(float(needed), float(rate))
    return {
        HEADLINE["rate"]: Num(rate, rate_text, f"{prefix}:{rate_path}"),
        HEADLINE["needed_rate"]: Num(needed, needed_text, f"{prefix}:{needed_path}"),
    }


def _spend(side: Side, prefix: str, least: Num | str, in_full: bool) -> Num | str:
    """A deliverable check's spend. A least-cost plan's spend is its least cost: one value, shown
    as the least cost's figure (which ``gap_figures`` may round up to subtract), not a second
    figure £1 from it."""
    spend = _num(side, prefix, "headline.spend_gbp", wording.money_in_full if in_full else money)
    if isinstance(spend, Num) and isinstance(least, Num) and spend.value == least.value:
        return Num(spend.value, least.text, spend.src)
    return spend


def _fair_shares(side: Side, prefix: str, out: dict[str, Num | str]) -> None:
    """Who gains and who loses (docs/fairness.md): the lowest practice and, where given, prior funding."""
    base = "kpis.distribution"
    if _get(side, base) is None:
        return
    out[HEADLINE["lowest_coverage"]] = _num(side, prefix, f"{base}.coverage.min", table_share)
    out[HEADLINE["gini"]] = _num(side, prefix, f"{base}.spend_gbp_per_weighted_patient.gini", number)
    if _get(side, f"{base}.prior_funding") is not None:
        out[HEADLINE["below_prior"]] = _num(side, prefix, f"{base}.prior_funding.practices_below_prior", number)
        out[HEADLINE["below_prior_shortfall"]] = _num(
            side, prefix, f"{base}.prior_funding.total_below_prior_gbp", money
        )


ALLOCATION = "least_cost_allocation"
# Where a side's standards fraction is read from: the job's overrides (GET /jobs/{id}).
FRACTION_SOURCE = "{prefix}.job:overrides.standards_fraction"


def _as_written(side: Side, prefix: str, path: str) -> Num | str:
    """The standards lever's amount: a share of the standards as the spec writes them, whatever
    share the side was checked at (docs/deliverability.md, "The verdict")."""
    value = _get(side, path)
    if value is None:
        return NOT_IN
    return Num(value, table_highest_share(float(value)), f"{prefix}:{path}")


def _checked_at(side: Side, prefix: str) -> Num:
    """The share of the written standards a side was checked at (100% unless it was scaled; the
    standards as written have no path of their own)."""
    if side.standards_fraction is None:
        return Num(1.0, table_share(1.0), "")
    fraction = side.standards_fraction
    return Num(fraction, table_share(fraction), FRACTION_SOURCE.format(prefix=prefix))


def _has_plan(side: Side) -> bool:
    """A check that carries its least-cost allocation's KPIs (older results may not)."""
    return side.kind == "check" and isinstance(_get(side, f"{ALLOCATION}.coverage_by_service"), dict)


def _allocation_kpi(side: Side, key: str) -> tuple[str, str]:
    """Where an allocation KPI sits: a solve's ``kpis.<key>``, or a check's least-cost plan
    ``least_cost_allocation.<key>`` (basis, JSON path); ("", "") if the side has neither."""
    if side.kind == "solve":
        return "solve", f"kpis.{key}"
    if _has_plan(side):
        return "least_cost", f"{ALLOCATION}.{key}"
    return "", ""


def _coverage(side: Side, prefix: str) -> tuple[str, dict[str, Num | str]]:
    """Coverage by service of an allocation: a solve's, or a check's least-cost plan (basis, values)."""
    basis, base = _allocation_kpi(side, "coverage_by_service")
    services = (_get(side, base) or {}) if basis else {}
    return basis, {str(s): _num(side, prefix, f"{base}.{s}.coverage", table_share) for s in services}


def _reachable(side: Side, prefix: str) -> dict[str, Num | str]:
    """A check's coverage reachable at the offer with every standard lowered alike (standards lever)."""
    if side.kind != "check":
        return {}
    standards = _lever(side, "standards")
    by_service = _get(side, f"levers.{standards}.details.by_service") if standards is not None else None
    if not isinstance(by_service, list):
        return {}
    return {
        str(item["service_id"]): _num(
            side, prefix, f"levers.{standards}.details.by_service.{i}.coverage_at_uniform", table_highest_share
        )
        for i, item in enumerate(by_service)
    }


def _fte(side: Side, prefix: str) -> tuple[str, dict[str, Num | str]]:
    """New FTE by role of an allocation: a solve's, or a check's least-cost plan (basis, values),
    each to three decimals as ``commission solve`` shows new FTE (``wording.hire_fte``), one precision
    in the column: 211.935 beside 49.190, never 212 beside 49.19; their differences too (unit "fte":
    to 0.001)."""
    basis, base = _allocation_kpi(side, "new_fte_by_role")
    roles = (_get(side, base) or {}) if basis else {}
    return basis, {str(r): _num(side, prefix, f"{base}.{r}", wording.hire_fte) for r in roles}


# Per-practice measures, in order of preference when both sides have them: two per-weighted-patient
# checks compare their practices short at the offered rate, deliverable or not.
MEASURES = ("shortfall_share", "shortfall_rate", "spend", "patients")
PracticeValues = dict[str, Num | float]


def _table_values(prefix: str, name: str, frame: pd.DataFrame, column: str) -> PracticeValues:
    return {
        str(practice): Num(float(value), "", f"{prefix}.{name}:{i}.{column}")
        for i, (practice, value) in enumerate(zip(frame["practice_id"], frame[column], strict=True))
    }


def _practice_measures(side: Side, prefix: str) -> dict[str, PracticeValues]:
    """Every per-practice measure this side has, each practice's value keyed by practice id.

    ``shortfall_share``: a pooled check's least-cost need less its equal share of the offer (0 if
    not short), from its ``least_cost_practices`` table; ``spend``: a solve's spend, or a check's
    need in the least-cost plan; ``shortfall_rate``: a per-practice check's money short at the
    offered rate (its budget lever; none when deliverable); ``patients``: patients below the
    standards in a pooled check's smallest combined change (checks that carry no least-cost table)."""
    r = side.result
    out: dict[str, PracticeValues] = {}
    if side.kind == "solve":
        if side.practices is not None and "spend_gbp" in side.practices:
            out["spend"] = _table_values(prefix, "practices", side.practices, "spend_gbp")
        return out
    if side.kind != "check":
        return out
    per_practice = r.get("budget_mode") == "per_practice"
    table = side.least_cost_practices
    if table is not None and {"spend_gbp", "shortfall_gbp"} <= set(table.columns):
        if not per_practice:  # each practice's own budget is no equal share of an offer
            out["shortfall_share"] = _table_values(prefix, "least_cost_practices", table, "shortfall_gbp")
        out["spend"] = _table_values(prefix, "least_cost_practices", table, "spend_gbp")
    budget = _lever(side, "budget")
    if per_practice:
        if r.get("deliverable") is True:
            out["shortfall_rate"] = {}
        short = _get(side, f"levers.{budget}.details.practices_short") if budget is not None else None
        if isinstance(short, list):
            base = f"levers.{budget}.details.practices_short"
            out["shortfall_rate"] = {
                str(s["practice_id"]): Num(float(s["shortfall_gbp"]), "", f"{prefix}:{base}.{i}.shortfall_gbp")
                for i, s in enumerate(short)
            }
        return out
    if "shortfall_share" in out:
        return out
    values: PracticeValues = {}
    if r.get("deliverable") is not True:
        for v in (r.get("relaxation") or {}).get("violations") or []:
            if v.get("lever") == "standards":
                practice = str(v.get("entity", "")).partition(" / ")[0]
                values[practice] = _value(values.get(practice, 0.0)) + float(v.get("amount") or 0.0)
    out["patients"] = values
    return out


def _value(value: Num | float) -> float:
    return float(value.value or 0.0) if isinstance(value, Num) else float(value)


def _practice_cell(unit: str, value: Num | float) -> Num | float:
    """A table value keeps its path; its text is the unit's format."""
    if isinstance(value, Num):
        return Num(value.value, practice_text(unit, _value(value)), value.src)
    return value


def _shown(text: str, unit: str) -> tuple[float, float] | None:
    """A figure as the reader sees it: (its value, the precision it is shown to), read back from
    its text ("£11.56m" is 11,560,000 to £10,000; "£6,860,204" to the pound; "99.5%" to a tenth of
    a point; "6.43" FTE to 0.01, as ``number`` shows it; "6.430" new FTE of a role to 0.001, as
    ``hire_fte`` shows it); None for a text that is not a figure."""
    figure = text.strip().replace(",", "").replace("−", "-")
    scale = 1.0
    if unit == "money":
        figure = figure.replace("£", "")
        if figure.endswith("m"):
            figure, scale = figure[:-1], 1e6
    elif unit == "points":
        if not figure.endswith("%"):
            return None
        figure, scale = figure[:-1], 0.01
    try:
        value = float(figure) * scale
    except ValueError:
        return None
    if unit == "points":
        return value, 0.001  # ``table_share`` and ``table_highest_share``: one decimal of a percent
    if unit == "count":
        return value, 1.0
    if unit == "fte":
        return value, wording.FTE_STEP  # ``wording.hire_fte``: three decimals
    if unit == "money":
        decimals = len(figure.partition(".")[2])
        return value, 10.0**-decimals * scale
    # ``number``: whole from 100, 2 decimals from 1 (trailing zeros dropped), else 3 significant figures.
    size = abs(value)
    step = 1.0 if size >= 100 else 0.01 if size >= 1 else 10.0 ** (math.floor(math.log10(size)) - 2) if size else 0.0
    return value, step


def difference_text(a: Num, b: Num, unit: str) -> str | None:
    """B − A of the two figures as shown when both are shown to one precision (so the row
    subtracts); otherwise of the two unrounded values, shown at the coarser precision of the two
    figures as shown (£12.63m against £12,626,117: to £10,000; 269 and 206 FTE: whole; 0.001 and 6.43: to
    0.01), "same" where that leaves nothing: a difference the rounding made (£12.63m and
    £12,626,117 of one least cost) is never shown. A zero is shown to no precision of its own:
    where one side is exactly zero, B − A is the other figure as shown, in its own format (1.93
    and 0: −1.93; 0.75 and 0: −0.75), so the row subtracts. None: not two figures."""
    shown_a, shown_b = _shown(a.text, unit), _shown(b.text, unit)
    if shown_a is None or shown_b is None or a.value is None or b.value is None:
        return None
    if (float(a.value) == 0) != (float(b.value) == 0):
        figure, as_shown, negated = (a, shown_a, True) if float(b.value) == 0 else (b, shown_b, False)
        if as_shown[0] != 0:  # (a figure shown as 0 is no difference to show)
            return wording.compare_difference_from_zero(figure.text, negated, unit)
    if shown_a[1] == shown_b[1] and shown_a[0] != 0 and shown_b[0] != 0:
        # Both to one precision: the difference of the figures as shown, so the row subtracts
        # (£11,560,000 against £11,560,204 is −£204, though the values are £203.29 apart).
        return wording.compare_difference(shown_b[0] - shown_a[0], shown_a[1], unit)
    step = max((step for value, step in (shown_a, shown_b) if value != 0 and step > 0), default=1.0)
    return wording.compare_difference(float(b.value) - float(a.value), step, unit)


def _difference(a: Num | str, b: Num | str, unit: str) -> Num | str:
    """B − A: its value the difference of the two values, its text that difference at the
    precision of the coarser figure (``difference_text``)."""
    if isinstance(a, Num) and isinstance(b, Num) and a.value is not None and b.value is not None:
        value = float(b.value) - float(a.value)
        text = difference_text(a, b, unit)
        if text is None:  # not figures (never so for a row of the comparison): the values' difference
            same = abs(value) <= 1e-9 * max(abs(float(a.value)), abs(float(b.value)), 1.0)
            text = wording.COMPARE_SAME if same else ("+" if value > 0 else "−") + number(abs(value))
        return Num(value, text, f"{b.src} - {a.src}")
    return ""


def _section(
    rows: list[Row],
    group: str,
    values_a: dict[str, Num | str],
    values_b: dict[str, Num | str],
    unit: str,
    places: int,
    id_column: str,
    name: Callable[[object], str],
    fits: bool = False,
) -> None:
    """One row per service or role (``values_*`` keyed by its id), labelled by its ``name``."""
    for item in dict.fromkeys([*values_a, *values_b]):
        va, vb = values_a.get(item, NOT_IN), values_b.get(item, NOT_IN)
        if unit == "points":
            va, vb = _shares_alike(va, vb)
        rows.append(Row(group, name(item), va, vb, _difference(va, vb, unit), places, fits, {id_column: item}))


def _one_new_fte_row(a: Side, b: Side, ma: dict[str, Num | str], mb: dict[str, Num | str]) -> str | None:
    """A solve's "New FTE in total" and a check's "New FTE in total (least-cost plan)" as one row.

    Both count the new FTE of an allocation (the solve's, the check's least-cost plan), so they
    are compared on one row naming each side's basis, in place of the first of the two rows; a
    side without the figure has none in it. Returns the row's label, None when A and B are of
    one kind (their rows already have one label).
    """
    if {a.kind, b.kind} != {"solve", "check"}:
        return None
    label = wording.compare_new_fte_total(
        wording.compare_basis(*("solve" if side.kind == "solve" else "least_cost" for side in (a, b)))
    )
    keys = (HEADLINE["new_fte"], HEADLINE["plan_new_fte"])
    for metrics in (ma, mb):
        value = next((metrics[key] for key in keys if key in metrics), NOT_IN)
        renamed = {label if key in keys else key: v for key, v in metrics.items()}
        renamed[label] = value
        metrics.clear()
        metrics.update(renamed)
    return label


def _shares_alike(a: Num | str, b: Num | str) -> tuple[Num | str, Num | str]:
    """A row's two shares, read one against the other, at one precision (100.0% beside 93.9%, not
    100%; ``wording.percent_figures_alike``): only the text changes, never the value."""
    if not (isinstance(a, Num) and isinstance(b, Num)):
        return a, b
    text_a, text_b = wording.percent_figures_alike([a.text, b.text])
    return Num(a.value, text_a, a.src), Num(b.value, text_b, b.src)


def _given(value: Num | str) -> Num | str | None:
    """A cell for the downloads: where a side has no figure the cell is empty, not words in a column of numbers."""
    return None if value == NOT_IN else value


# The rows whose figures a side shows at one precision (``wording.gap_figures``): its offer, least
# cost and the money spare or short between them, and its spend, which for a least-cost plan is
# the least cost's figure (``_spend``).
_ONE_PRECISION_ROWS = (
    *(HEADLINE[key] for key in ("offer", "least_cost", "spare", "shortfall", "spend")),
    BUDGETS_IN_TOTAL,
    ABOVE_LEAST,
)


# Rows of an amount needed, rounded up in the downloads as on the page (``Row.needs``).
_NEEDED = {
    HEADLINE[key]
    for key in (
        "needed_rate",
        "shortfall",
        "total_shortfall",
        "plan_total_shortfall",
        "safe_working_raise",
        "floor_cost",
    )
}
# Headline rows of money each side shows on its own (to the nearest, or rounded up where needed).
_NEAREST_MONEY = tuple(
    HEADLINE[key] for key in ("rate", "total_shortfall", "plan_total_shortfall", "below_prior_shortfall")
)


Cell = TypeVar("Cell", Num | str, Num | float)  # a headline cell, a practice's cell


def _at_one_precision(a: Cell, b: Cell, up: bool = False) -> tuple[Cell, Cell]:
    """Two sides' money of one row at one precision: where one is in £m and the other to the pound
    (£1.02m beside £998,000), both to the pound (``wording.money_in_full``; ``up``: money needed,
    rounded up to the pound); a zero has no precision of its own."""
    if not (isinstance(a, Num) and isinstance(b, Num)) or len(_money_precisions(a, b)) < 2:
        return a, b
    in_full = wording.least_money_in_full if up else wording.money_in_full
    return (
        Num(a.value, in_full(float(a.value or 0)), a.src),
        Num(b.value, in_full(float(b.value or 0)), b.src),
    )


def _gap_precisions_differ(ma: dict[str, Num | str], mb: dict[str, Num | str]) -> bool:
    """Whether a row of offers, least costs, spend or money spare or short shows its two sides at two
    precisions (£12.63m beside £12,626,117 of one least cost), a zero having none of its own."""
    return any(len(_money_precisions(ma.get(label), mb.get(label))) > 1 for label in _ONE_PRECISION_ROWS)


def _rounding_made_a_difference(ma: dict[str, Num | str], mb: dict[str, Num | str]) -> bool:
    """Whether a row of offers, least costs or the gap shows two figures in £m a step apart for
    values less than a step apart: least costs of £11,560,203.29 and £11,560,000, rounded up, are
    £11.57m and £11.56m, a difference of £10,000 that the rounding made (audit 9, A2); in full they
    are £11,560,204 and £11,560,000, −£204."""
    for label in _ONE_PRECISION_ROWS:
        a, b = ma.get(label), mb.get(label)
        if not (isinstance(a, Num) and isinstance(b, Num)) or a.value is None or b.value is None:
            continue
        shown_a, shown_b = _shown(a.text, "money"), _shown(b.text, "money")
        if shown_a is None or shown_b is None or shown_a[1] != shown_b[1] or shown_a[0] == shown_b[0]:
            continue
        if abs(float(b.value) - float(a.value)) < shown_a[1]:
            return True
    return False


def _money_precisions(*cells: Num | str | None) -> set[float]:
    """The precisions the figures among ``cells`` are shown to (£10,000 for "£12.63m", £1 for
    "£12,626,117"), a zero having none of its own."""
    shown = [_shown(cell.text, "money") for cell in cells if isinstance(cell, Num)]
    return {figure[1] for figure in shown if figure is not None and figure[0] != 0}


def _names(a: Side, b: Side) -> wording.Names:
    """What the two sides' scenarios call their practices, PCNs, services and roles (A's name where
    both name one), with their data notes and the ids holding a percentage, as ``Names.of`` builds
    them: ``percents_alike`` then leaves every one of the user's texts as written."""
    return wording.Names(
        practices={**b.names.practices, **a.names.practices},
        pcns={**b.names.pcns, **a.names.pcns},
        roles={**b.names.roles, **a.names.roles},
        services={**b.names.services, **a.names.services},
        notes={**b.names.notes, **a.names.notes},
        ids=a.names.ids | b.names.ids,
    )


def compare(a: Side, b: Side) -> Comparison:
    rows: list[Row] = []
    ma, mb = _metrics(a, "a"), _metrics(b, "b")
    if _gap_precisions_differ(ma, mb) or _rounding_made_a_difference(ma, mb):  # both in full: one precision a row
        ma, mb = _metrics(a, "a", in_full=True), _metrics(b, "b", in_full=True)
    if a.standards_fraction is not None or b.standards_fraction is not None:
        # Right under the verdict: what each side's verdict was reached against.
        ma, mb = (
            {HEADLINE["verdict"]: m[HEADLINE["verdict"]], STANDARDS_CHECKED_AT: _checked_at(side, prefix), **m}
            for m, side, prefix in ((ma, a, "a"), (mb, b, "b"))
        )
    new_fte = _one_new_fte_row(a, b, ma, mb)
    difference_unit, places = dict(_DIFFERENCE_UNIT), dict(_PLACES)
    if new_fte is not None:
        difference_unit[new_fte], places[new_fte] = "number", _PLACES[HEADLINE["new_fte"]]
    for label in list(dict.fromkeys([*ma, *mb])):
        va, vb = ma.get(label, NOT_IN), mb.get(label, NOT_IN)
        row_unit = difference_unit[label]
        for value in (va, vb):
            if isinstance(value, Num) and not value.text:
                object.__setattr__(value, "text", f"{int(value.value or 0):,}")
        if label in _NEAREST_MONEY:
            va, vb = _at_one_precision(va, vb, up=label in _NEEDED)
        if row_unit == "points":
            va, vb = _shares_alike(va, vb)
        fits = label == STANDARDS_REACHABLE  # the highest share of the standards that fits: rounded down
        change = _difference(va, vb, row_unit)
        shown = label == HEADLINE["safe_working_raise"]
        group = wording.COMPARE_HEADLINE_GROUP
        row = Row(group, label, va, vb, change, places[label], fits, needs=label in _NEEDED, as_shown=shown)
        rows.append(row)
    # Coverage and hires of an allocation: a solve's, or a check's least-cost plan.
    names = _names(a, b)
    basis_a, cov_a = _coverage(a, "a")
    basis_b, cov_b = _coverage(b, "b")
    if basis_a or basis_b:
        basis = wording.compare_basis(basis_a or basis_b, basis_b or basis_a)
        group = wording.compare_coverage_group(basis)
        _section(rows, group, cov_a, cov_b, "points", SHARE_PLACES, "service_id", names.service)
    reach_a, reach_b = _reachable(a, "a"), _reachable(b, "b")
    if reach_a or reach_b:
        group = wording.compare_coverage_group(wording.COMPARE_BASIS["reachable"])
        _section(rows, group, reach_a, reach_b, "points", SHARE_PLACES, "service_id", names.service, fits=True)
    basis_a, fte_a = _fte(a, "a")
    basis_b, fte_b = _fte(b, "b")
    if basis_a or basis_b:
        basis = wording.compare_basis(basis_a or basis_b, basis_b or basis_a)
        group = wording.COMPARE_FTE_GROUP if basis_a == basis_b == "solve" else wording.compare_fte_group(basis)
        _section(rows, group, fte_a, fte_b, "fte", FTE_PLACES, "role_id", names.role)
    else:
        no_hires = wording.COMPARE_NO_HIRES
        rows.append(Row(wording.COMPARE_FTE_GROUP, wording.COMPARE_ALL_ROLES, no_hires, no_hires))
    # Per practice: the first measure both sides have.
    measures_a, measures_b = _practice_measures(a, "a"), _practice_measures(b, "b")
    measure = next((m for m in MEASURES if m in measures_a and m in measures_b), None)
    practice_rows: list[list[Any]] = []
    note = ""
    unit = ""
    short: tuple[int | None, int | None] = (None, None)
    if measure is None:
        first_a = next((m for m in MEASURES if m in measures_a), None)
        first_b = next((m for m in MEASURES if m in measures_b), None)
        if first_a and first_b:
            note = wording.compare_measured_differently(
                wording.COMPARE_PRACTICE_UNITS[first_a], wording.COMPARE_PRACTICE_UNITS[first_b]
            )
        first = first_a or first_b
        unit = wording.COMPARE_PRACTICE_UNITS[first] if first else ""
    else:
        mixed = measure == "spend" and a.kind != b.kind
        plans = measure == "spend" and a.kind == b.kind == "check"  # both sides' least-cost plans
        unit = wording.COMPARE_PRACTICE_UNITS["spend_mixed" if mixed else "spend_plans" if plans else measure]
        note = wording.COMPARE_SPEND_MIXED_NOTE if mixed else ""
        values_a, values_b = measures_a[measure], measures_b[measure]
        for practice in sorted(set(values_a) | set(values_b)):
            pa, pb = values_a.get(practice, 0.0), values_b.get(practice, 0.0)
            difference = _value(pb) - _value(pa)
            cell_a, cell_b = _practice_cell(unit, pa), _practice_cell(unit, pb)
            if not unit.startswith("patients"):
                cell_a, cell_b = _at_one_precision(cell_a, cell_b, up=_rounded_up(unit))
            practice_rows.append([practice, cell_a, cell_b, difference])
        practice_rows.sort(key=lambda row: (-abs(row[3]), row[0]))
        practice_rows = [row for row in practice_rows if abs(row[3]) > 1e-9 or _value(row[1]) or _value(row[2])]
        if measure != "spend":
            short = (
                sum(1 for v in values_a.values() if _value(v) > 1e-9),
                sum(1 for v in values_b.values() if _value(v) > 1e-9),
            )
    return Comparison(
        a_label=a.label,
        b_label=b.label,
        rows=rows,
        practice_unit=unit,
        practice_rows=practice_rows,
        practice_note=note,
        practices_short=short,
        names=names,
        measure=measure or "",
    )


def practice_text(unit: str, value: float) -> str:
    if unit.startswith("patients"):
        return number(value)
    # A practice's shortfall at an offered rate is money it needs: rounded up, as its result page,
    # the check's text and the PDF show it (£148,527 for £148,526.33), never to the nearest.
    return least_money(value) if _rounded_up(unit) else money(value)


def _rounded_up(unit: str) -> bool:
    """Money a practice needs (short at an offered rate, or above an equal share of a pooled offer):
    rounded up, as its result page's Short by (``wording.practice_need_figures``; audit 8, A11)."""
    return unit in (wording.COMPARE_PRACTICE_UNITS["shortfall_rate"], wording.COMPARE_PRACTICE_UNITS["shortfall_share"])


def _places(row: Row, value: Any) -> int | None:
    """The places a row's figure is downloaded at: the row's, or the figure's as shown (``Row.as_shown``)."""
    figure = value.value if isinstance(value, Num) else value
    if row.as_shown and isinstance(figure, int | float) and not isinstance(figure, bool):
        return number_places(float(figure))
    return row.places


def highest(value: Any, places: int | None) -> Any:
    """A highest share that fits for the downloads: rounded down to ``places`` (``rounded`` otherwise)."""
    return _downloaded_towards(value, places, wording.highest_share)


def needed(value: Any, places: int | None) -> Any:
    """An amount needed for the downloads: rounded up to ``places`` (``rounded`` otherwise)."""
    return _downloaded_towards(value, places, wording.needed_amount)


def _downloaded_towards(value: Any, places: int | None, towards: Callable[[float, int], float]) -> Any:
    figure = value.value if isinstance(value, Num) else value
    if places is None or isinstance(figure, bool) or not isinstance(figure, int | float):
        return rounded(value, places)
    return towards(float(figure), places)


def rounded(value: Any, places: int | None) -> Any:
    """A cell's value for JSON, CSV and XLSX: a number's value rounded to ``places`` (no -0), a text as is."""
    figure = value.value if isinstance(value, Num) else value
    if places is None or isinstance(figure, bool) or not isinstance(figure, int | float):
        return figure
    if places == 0:
        return round(figure)
    return round(float(figure), places) + 0.0
