"""What a reader sees of a check result, in order, built from the job's result JSON only.

Every number is a :class:`Num`: the value read from the JSON, the text shown and the path
it was read from (``levers.0.amount``; ``sweep:marked`` for the frontier's sweep result;
``len:PATH`` for a count of a list). ``resolve(documents, path)`` reads a path back, which
is how tests check that every number on the page and in the PDF equals the job's JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from optimiser.deliverability import wording
from optimiser.deliverability.wording import money, number
from optimiser.runs import SETTING_OVERRIDES

# The overrides a check applies to the scenario before hashing it (optimiser.runs.load_scenario).
SCENARIO_CHANGES = (*SETTING_OVERRIDES, "standards_fraction")

PRODUCT = "primary-care-commissioning"
LEVER_ORDER = ("budget", "standards", "safe_working", "workforce_supply", "practice_floor")
MOST_SHORT = wording.PRACTICES_LISTED  # the desk page and the PDF list the same practices as the sentence names


# The tables of money practices are short by (``wording.practice_need_figures``), at a rate or pooled.
MONEY_SHORT_COLUMNS = (wording.PRACTICES_SHORT_AT_RATE_COLUMNS, wording.POOLED_PRACTICES_COLUMNS)


@dataclass(frozen=True)
class Num:
    """A number as shown: its JSON value, its text and the JSON path it came from."""

    value: float | int | None
    text: str
    src: str


@dataclass
class Lever:
    lever: str
    title: str
    fixable: bool
    amount: Num | None
    unit: str
    sentence: str


@dataclass
class CheckView:
    """A check result as the desk page and the report show it, in reading order."""

    deliverable: bool | None
    verdict_label: str
    verdict: str
    verdict_numbers: list[Num]
    pooled: bool
    offer: list[tuple[str, Num]]
    levers: list[Lever]
    conflict_headline: str | None
    conflict: list[str]
    conflict_intro: str | None
    practices_caption: str
    practices_columns: list[str]
    practices: list[list[str | Num]]
    practices_total: Num | None
    summary: str
    practices_summary: list[tuple[str, Num]] = field(default_factory=list)
    practices_summary_caption: str | None = None
    # How the rows of practices short and their total are rounded (a note under the table).
    practices_note: str | None = None
    distribution_caption: str | None = None
    distribution_columns: list[str] = field(default_factory=list)
    distribution: list[list[str | Num]] = field(default_factory=list)
    quintile_columns: list[str] = field(default_factory=list)
    quintiles: list[list[str | Num]] = field(default_factory=list)
    assumptions: list[tuple[str, str | Num]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Figures that look like the wrong unit (the result's ``data_warnings``), listed under their heading.
    data_warnings: list[str] = field(default_factory=list)
    data_warnings_heading: str = wording.DATA_WARNINGS_HEADING
    # Where every figure comes from, naming the programme's kind (linear, or whole-step hiring).
    method_note: str = wording.figures_from_solves(False)


def product_version() -> str:
    try:
        return metadata.version(PRODUCT)
    except metadata.PackageNotFoundError:
        return wording.UNKNOWN


def resolve(documents: dict[str, Any], src: str) -> Any:
    """The value at ``src`` in ``documents`` ({"result": ..., "sweep": ..., "job": ...})."""
    count = src.startswith("len:")
    if count:
        src = src[4:]
    name, _, path = src.partition(":") if ":" in src else ("result", "", src)
    value: Any = documents[name]
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return len(value) if count else value


def _get(result: dict[str, Any], src: str) -> Any:
    try:
        return resolve({"result": result}, src)
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def num(result: dict[str, Any], src: str, formatter: Any = None) -> Num:
    value = _get(result, src)
    if value is None:
        return Num(None, wording.NOT_AVAILABLE, src)
    text = formatter(value) if formatter is not None else number(float(value))
    return Num(value, text, src)


def count(result: dict[str, Any], src: str) -> Num:
    value = _get(result, src)
    n = len(value) if isinstance(value, list) else 0
    return Num(n, f"{n:,}", "len:" + src)


def first_sentence(text: str) -> str:
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text.strip(), maxsplit=1)
    return parts[0] if parts else text


def _lever_index(result: dict[str, Any], lever: str) -> int | None:
    for index, item in enumerate(result.get("levers") or []):
        if item.get("lever") == lever:
            return index
    return None


def _lever_amount(result: dict[str, Any], index: int, lever: str, per_practice: bool) -> Num | None:
    src = f"levers.{index}.amount"
    value = _get(result, src)
    if value is None:
        return None
    # fair shares: the practice floor's amount is its cost (deliverable) or the share of every floor that fits
    floor_cost = lever == "practice_floor" and _get(result, f"levers.{index}.unit") == "£/year"
    offer = _get(result, f"levers.{index}.details.budget_gbp") if lever == "budget" and not per_practice else None
    # The floor's cost as its sentence gives it, beside the least spend with and without it.
    between = [_get(result, f"levers.{index}.details.least_spend_{side}_floor_gbp") for side in ("with", "without")]
    floor_between = (float(between[0]), float(between[1])) if floor_cost and None not in between else None
    shown = wording.lever_amount(
        lever, float(value), per_practice, floor_cost, None if offer is None else float(offer), floor_between
    )
    return Num(value, shown, src)


def _levers(result: dict[str, Any], per_practice: bool) -> list[Lever]:
    levers = []
    for lever in LEVER_ORDER:
        index = _lever_index(result, lever)
        if index is None:
            continue
        item = result["levers"][index]
        levers.append(
            Lever(
                lever=lever,
                title=wording.LEVER_TITLES[lever],
                fixable=bool(item.get("fixable")) and item.get("amount") is not None,
                amount=_lever_amount(result, index, lever, per_practice),
                unit=str(item.get("unit", "")),
                sentence=str(item.get("sentence", "")),
            )
        )
    return levers


def _gap(
    result: dict[str, Any],
    least_src: str,
    offer_src: str,
    gap_src: str,
    rates: bool = False,
    nearest_gap: bool = False,
    derived: bool = False,
) -> list[Num]:
    """A least cost, an offer and the gap between them, as shown side by side
    (``wording.gap_figures``: they visibly subtract); ``rates``: a least rate, an offered rate and
    the difference, in £ per weighted patient to the penny (``wording.rate_gap_figures``); [] if
    the JSON lacks one of them."""
    values = [_get(result, src) for src in (least_src, offer_src, gap_src)]
    if any(value is None for value in values):
        return []
    texts = (
        wording.rate_gap_figures(float(values[0]), float(values[1]))
        if rates
        else wording.gap_figures(float(values[0]), float(values[1]), nearest_gap=nearest_gap, derived=derived)
    )
    return [
        Num(value, text, src) for value, text, src in zip(values, texts, (least_src, offer_src, gap_src), strict=True)
    ]


def _practice_need(result: dict[str, Any], row: str, srcs: tuple[str, str, str] | None = None) -> list[Num]:
    """A practice's need, its share of the offer (or budget at the offered rate) and its shortfall
    (``wording.practice_need_figures``: one rule in the pooled and the per-practice report; the row
    adds up); ``srcs``: the paths of the three, the pooled plan's by default."""
    srcs = srcs or (f"{row}.spend_gbp", f"{row}.offer_share_gbp", f"{row}.shortfall_gbp")
    values = [_get(result, src) for src in srcs]
    if any(value is None for value in values):
        return []
    texts = wording.practice_need_figures(float(values[0]), float(values[1]))
    return [Num(value, text, src) for value, text, src in zip(values, texts, srcs, strict=True)]


def _verdict(result: dict[str, Any], per_practice: bool) -> tuple[str, str, list[Num]]:
    deliverable = result.get("deliverable")
    if deliverable is True:
        figures = _gap(result, "headline.least_spend_gbp", "headline.budget_gbp", "headline.headroom_gbp")
        if figures:
            least, budget, spare = figures
            sentence = wording.verdict_deliverable(least.text, budget.text, spare.text, per_practice)
            return wording.VERDICT_DELIVERABLE, sentence, [least, budget, spare]
        return wording.VERDICT_DELIVERABLE, first_sentence(str(result.get("summary", ""))), []
    if deliverable is False:
        index = _lever_index(result, "budget")
        if index is not None and per_practice:
            base = f"levers.{index}.details"
            rate = num(result, f"{base}.offer_rate_gbp_per_weighted_patient", wording.rate_money)
            needed = num(result, f"{base}.needed_rate_gbp_per_weighted_patient", wording.least_rate)
            short = count(result, f"{base}.practices_short")
            figures = _gap(
                result,
                f"{base}.needed_rate_gbp_per_weighted_patient",
                f"{base}.offer_rate_gbp_per_weighted_patient",
                f"{base}.extra_rate_gbp_per_weighted_patient",
                rates=True,
            )
            if figures:
                needed, rate, _ = figures
            if needed.value is not None:
                sentence = wording.verdict_rate_short(rate.text, int(short.value or 0), short.text, needed.text)
                return wording.VERDICT_NOT_DELIVERABLE, sentence, [rate, short, needed]
        if index is not None and not per_practice:
            base = f"levers.{index}.details"
            figures = _gap(result, f"{base}.least_spend_gbp", f"{base}.budget_gbp", f"{base}.shortfall_gbp")
            if figures:
                least, budget, shortfall = figures
                sentence = wording.verdict_budget_short(budget.text, shortfall.text, least.text)
                return wording.VERDICT_NOT_DELIVERABLE, sentence, [budget, shortfall, least]
        return wording.VERDICT_NOT_DELIVERABLE, first_sentence(str(result.get("summary", ""))), []
    summary = str(result.get("summary", wording.NO_ANSWER_IN_TIME))
    return wording.verdict_label(None, result.get("status")), first_sentence(summary), []


def _offer(result: dict[str, Any], per_practice: bool) -> list[tuple[str, Num]]:
    label = wording.OFFER_ROWS
    if result.get("deliverable") is True:
        figures = _gap(result, "headline.least_spend_gbp", "headline.budget_gbp", "headline.headroom_gbp")
        if not figures:
            return []
        least, budget, spare = figures
        rows = [
            (label["budgets_in_total" if per_practice else "offer"], budget),
            (label["least_cost"], least),
            (label["above_least" if per_practice else "spare"], spare),
        ]
        share = num(result, "headline.headroom_share", wording.spare_percent)
        if share.value is not None:
            rows.append((label["above_least_share" if per_practice else "spare_share"], share))
        return rows
    index = _lever_index(result, "budget")
    if index is None:
        return []
    base = f"levers.{index}.details"
    if per_practice:
        rates = _gap(
            result,
            f"{base}.needed_rate_gbp_per_weighted_patient",
            f"{base}.offer_rate_gbp_per_weighted_patient",
            f"{base}.extra_rate_gbp_per_weighted_patient",
            rates=True,
        )
        if not rates:
            return []
        needed, rate, extra = rates
        return [
            (label["rate"], rate),
            (label["needed_rate"], needed),
            (label["extra_rate"], extra),
            (label["practices_short"], count(result, f"{base}.practices_short")),
            (
                label["total_shortfall"],
                _shortfalls_total(result, f"{base}.total_shortfall_gbp", _rate_parts(result, base)),
            ),
        ]
    figures = _gap(result, f"{base}.least_spend_gbp", f"{base}.budget_gbp", f"{base}.shortfall_gbp")
    if not figures:
        return []
    least, budget, shortfall = figures
    rows = [
        (label["offer_a_year"], budget),
        (label["least_cost_a_year"], least),
        (label["shortfall"], shortfall),
    ]
    share = num(result, f"{base}.shortfall_share", lambda v: wording.rise_percent(v, signed=False))
    if share.value is not None:
        rows.append((label["shortfall_share"], share))
    return [row for row in rows if row[1].value is not None]


def _practices(
    result: dict[str, Any], per_practice: bool, names: wording.Names
) -> tuple[str, list[str], list[list[str | Num]], Num | None]:
    if result.get("deliverable") is not True and per_practice:
        index = _lever_index(result, "budget")
        base = f"levers.{index}.details.practices_short"
        short = _get(result, base) if index is not None else None
        if isinstance(short, list):
            rows: list[list[str | Num]] = []
            for i, item in enumerate(short[:MOST_SHORT]):
                row = f"{base}.{i}"
                srcs = (f"{row}.needs_gbp", f"{row}.budget_gbp", f"{row}.shortfall_gbp")
                figures = _practice_need(result, row, srcs)  # a practice's budget at the rate
                needs, budget, shortfall = figures or [
                    num(result, f"{row}.{key}", money) for key in ("needs_gbp", "budget_gbp", "shortfall_gbp")
                ]
                rows.append(
                    [
                        names.practice(item.get("practice_id")),
                        budget,
                        shortfall,
                        needs,
                        num(result, f"{row}.needs_gbp_per_weighted_patient", wording.least_rate),
                    ]
                )
            caption = wording.practices_short_at_rate_caption(min(len(short), MOST_SHORT), len(short))
            columns = list(wording.PRACTICES_SHORT_AT_RATE_COLUMNS)
            return caption, columns, rows, count(result, base)
    allocation = "least_cost_allocation.most_short"
    most_short = _get(result, allocation)
    if not per_practice and isinstance(most_short, list):
        rows = []
        for i, item in enumerate(most_short[:MOST_SHORT]):
            if float(item.get("shortfall_gbp") or 0.0) <= 0:
                continue
            row = f"{allocation}.{i}"
            figures = _practice_need(result, row)
            needs, share, shortfall = figures or [
                num(result, f"{row}.{key}", money) for key in ("spend_gbp", "offer_share_gbp", "shortfall_gbp")
            ]
            rows.append([names.practice(item.get("practice_id")), needs, share, shortfall])
        short = _get(result, "least_cost_allocation.practices_short")
        short_count = short if isinstance(short, int) else 0
        caption = wording.pooled_short_caption(result.get("deliverable"), len(rows), short_count)
        columns = list(wording.POOLED_PRACTICES_COLUMNS)
        return caption, columns, rows, num(result, "least_cost_allocation.practices_short", _count)
    violations = _get(result, "relaxation.violations")
    relaxed = result.get("relaxation") or {}
    if result.get("deliverable") is False and relaxed.get("package") is None and relaxed.get("sentences"):
        # No combined change was found (e.g. not within the time limit): its sentence says so.
        return str(relaxed["sentences"][0]), [], [], None
    if result.get("deliverable") is not True and isinstance(violations, list):
        order = sorted(
            (i for i, v in enumerate(violations) if v.get("lever") == "standards"),
            key=lambda i: -float(violations[i].get("amount") or 0.0),
        )
        rows = []
        for i in order[:MOST_SHORT]:
            practice, _, service = str(violations[i].get("entity", "")).partition(" / ")
            rows.append(
                [
                    names.practice(practice),
                    names.service(service),
                    num(result, f"relaxation.violations.{i}.amount", number),
                    num(result, f"relaxation.violations.{i}.percentage_points", number),
                ]
            )
        caption = wording.standards_shortfall_caption(len(rows), len(order))
        return caption, list(wording.STANDARDS_SHORTFALL_COLUMNS), rows, None
    if result.get("deliverable") is True:
        return wording.EVERY_PRACTICE_CAN_DELIVER, [], [], None
    return wording.NO_PRACTICES_WITHOUT_VERDICT, [], [], None


def _count(value: float) -> str:
    return f"{int(value):,}"


def _practices_summary(result: dict[str, Any], per_practice: bool) -> list[tuple[str, Num]]:
    """For a pooled offer: how many practices are short of their share, and by how much."""
    if per_practice or _get(result, "least_cost_allocation") is None:
        return []
    label = wording.PRACTICES_SUMMARY_ROWS
    base = "least_cost_allocation"
    rows = [
        (label["practices_short"], num(result, f"{base}.practices_short", _count)),
        (label["practices"], num(result, f"{base}.practices", _count)),
        # Money needed, so rounded up (audit 8, A4): £11,560,203 needed is £11.57m, as the money lever's;
        # the sum of the rows as shown where the table lists them all (audit 10, #5).
        (label["total_shortfall"], _shortfalls_total(result, f"{base}.total_shortfall_gbp", _pooled_parts(result))),
    ]
    return [row for row in rows if row[1].value is not None]


def _rate_parts(result: dict[str, Any], base: str) -> list[tuple[float, float]] | None:
    """(need, shortfall) of every practice short at an offered rate; None if the JSON lacks one."""
    short = _get(result, f"{base}.practices_short")
    if not isinstance(short, list):
        return None
    try:
        return [(float(item["needs_gbp"]), float(item["shortfall_gbp"])) for item in short]
    except (KeyError, TypeError, ValueError):
        return None


def _pooled_parts(result: dict[str, Any]) -> list[tuple[float, float]] | None:
    """(need, need above an equal share) of every practice short of its share in the pooled least-cost
    plan, or None where the JSON's most_short does not list them all."""
    short = _get(result, "least_cost_allocation.practices_short")
    rows = _get(result, "least_cost_allocation.most_short")
    if not isinstance(short, int) or not isinstance(rows, list):
        return None
    try:
        parts = [
            (float(item["spend_gbp"]), float(item["spend_gbp"]) - float(item["offer_share_gbp"]))
            for item in rows
            if float(item.get("shortfall_gbp") or 0.0) > 0
        ]
    except (KeyError, TypeError, ValueError):
        return None
    return parts if len(parts) == short else None


def _shortfalls_total(result: dict[str, Any], src: str, parts: list[tuple[float, float]] | None) -> Num:
    """Practices' shortfalls in total beside the table of them (``wording.shortfalls_in_total``): the
    sum of the rows as shown where the table lists every practice short, else rounded up."""
    return num(result, src, shortfalls_total_text(parts))


def shortfalls_total_text(parts: list[tuple[float, float]] | None) -> Any:
    """The formatter of practices' shortfalls in total, as the result page shows it (the comparison too)."""
    every = parts is not None and len(parts) <= MOST_SHORT
    return lambda value: wording.shortfalls_in_total(float(value), parts or [], every)


def shortfall_parts(result: dict[str, Any], lever_details: str | None) -> list[tuple[float, float]] | None:
    """(need, shortfall) of every practice short: at an offered rate (``lever_details``: the money
    lever's details path), else above an equal share of the pooled offer."""
    return _rate_parts(result, lever_details) if lever_details else _pooled_parts(result)


def _cell(
    result: dict[str, Any],
    src: str,
    formatter: Any,
    who: str | None = None,
    names: wording.Names = wording.NO_NAMES,
    tied: str | None = None,
) -> str | Num:
    """A number read from the JSON, or a dash when the JSON has none (so no empty number is rendered);
    ``who``: the path of the practice it is of; ``tied``: the path of how many practices share it."""
    value = _get(result, src)
    if value is None:
        return "–"
    shown = formatter(float(value))
    practice = _get(result, who) if who else None
    ties = _get(result, tied) if tied else None
    count = ties if isinstance(ties, int) else 1
    return Num(value, wording.of_practice(shown, practice, names, count) if practice is not None else shown, src)


def _distribution(
    result: dict[str, Any], names: wording.Names
) -> tuple[str | None, list[str], list[list[str | Num]], list[str], list[list[str | Num]]]:
    """The fair-shares summary (optimiser.results.distribution) of the check's least-cost allocation."""
    base = "least_cost_allocation.distribution"
    if not isinstance(_get(result, base), dict):
        return None, [], [], [], []
    measures = [("spend_gbp_per_weighted_patient", wording.per_patient_money), ("coverage", wording.table_share)]
    rows: list[list[str | Num]] = []
    for key, formatter in measures:
        src = f"{base}.{key}"
        if not _get(result, f"{src}.practices"):
            continue
        rows.append(
            [
                wording.DISTRIBUTION_MEASURES[key],
                _cell(result, f"{src}.min", formatter, f"{src}.min_practice_id", names, f"{src}.min_practices"),
                _cell(result, f"{src}.max", formatter, f"{src}.max_practice_id", names, f"{src}.max_practices"),
                _cell(result, f"{src}.gini", wording.table_gini),
                _cell(result, f"{src}.ratio_90_10", wording.table_ratio),
            ]
        )
    quintiles: list[list[str | Num]] = []
    for i, _item in enumerate(_get(result, f"{base}.by_imd_quintile") or []):
        src = f"{base}.by_imd_quintile.{i}"
        quintiles.append(
            [
                _cell(result, f"{src}.imd_quintile", _count),
                _cell(result, f"{src}.practices", _count),
                _cell(result, f"{src}.spend_gbp_per_weighted_patient", wording.per_patient_money),
                _cell(result, f"{src}.new_fte_per_1k_weighted", wording.table_number),
                _cell(result, f"{src}.coverage_mean", wording.table_share),
            ]
        )
    columns = list(wording.DISTRIBUTION_COLUMNS)
    quintile_columns = list(wording.QUINTILE_COLUMNS) if quintiles else []
    return wording.DISTRIBUTION_CAPTION, columns, rows, quintile_columns, quintiles


def check_view(
    result: dict[str, Any],
    *,
    scenario_name: str | None = None,
    version: int | None = None,
    overrides: dict[str, Any] | None = None,
    sources: list[str] | None = None,
    run_at: str | None = None,
    duration_s: float | None = None,
    scenario_settings: dict[str, Any] | None = None,
    names: wording.Names | None = None,
) -> CheckView:
    """The reader's view of a check job's result JSON (``names``: what the reader calls each practice
    and service, ``wording.Names.of_document`` of the scenario checked; ids without it)."""
    per_practice = result.get("budget_mode") == "per_practice"
    label, verdict, numbers = _verdict(result, per_practice)
    if (overrides or {}).get("standards_fraction") is not None:
        verdict = wording.verdict_at_standards(verdict, float((overrides or {})["standards_fraction"]))
    conflict = result.get("conflict") or {}
    sentences = [str(s) for s in conflict.get("sentences") or []]
    named = names or wording.NO_NAMES
    caption, columns, rows, total = _practices(result, per_practice, named)
    spread_caption, spread_columns, spread, quintile_columns, quintiles = _distribution(result, named)
    plain = [s for s in sentences[1:] if "cannot be negative" not in s]
    intro = sentences[0] if sentences else None
    if intro and plain and ":" in intro:
        intro = intro.split(":", 1)[0] + ":"
    solver = result.get("solver") or {}
    what_if = any((overrides or {}).get(key) is not None for key in SCENARIO_CHANGES)
    row = wording.ASSUMPTIONS
    assumptions: list[tuple[str, str | Num]] = [
        (row["scenario"], wording.scenario_label(scenario_name, version)),
        (wording.scenario_hash_label(what_if), str(result.get("scenario_hash", wording.NOT_RECORDED))),
        (row["sources"], wording.data_sources(sources)),
        (row["offer"], describe_overrides(overrides or {}, scenario_settings)),
        (row["solver"], f"{solver.get('name', wording.UNKNOWN)} {solver.get('version', '')}".strip()),
        (row["product_version"], f"{PRODUCT} {product_version()}"),
        (row["run_at"], run_at or wording.NOT_RECORDED),
    ]
    if duration_s is not None:
        assumptions.append((row["run_time"], Num(duration_s, wording.run_time(duration_s), "job:duration_s")))
    return CheckView(
        deliverable=result.get("deliverable"),
        verdict_label=label,
        verdict=verdict,
        verdict_numbers=numbers,
        pooled=not per_practice,
        offer=_offer(result, per_practice),
        levers=_levers(result, per_practice),
        conflict_headline=sentences[0] if sentences else None,
        conflict=plain,
        conflict_intro=intro,
        practices_caption=caption,
        practices_columns=columns,
        practices=rows,
        practices_total=total,
        summary=str(result.get("summary", "")),
        assumptions=assumptions,
        method_note=wording.figures_from_solves(bool(result.get("is_mip"))),
        practices_summary=_practices_summary(result, per_practice),
        practices_summary_caption=wording.PRACTICES_SUMMARY_CAPTION,
        practices_note=wording.PRACTICES_ROUNDING_NOTE if rows and tuple(columns) in MONEY_SHORT_COLUMNS else None,
        notes=_notes(result),
        data_warnings=_data_warnings(result),
        distribution_caption=spread_caption,
        distribution_columns=spread_columns,
        distribution=spread,
        quintile_columns=quintile_columns,
        quintiles=quintiles,
    )


def _notes(result: dict[str, Any]) -> list[str]:
    """The hint for a budget that reads as a rate."""
    hint = wording.rate_as_budget_note(result, option=None)
    return [hint] if hint else []


def _data_warnings(result: dict[str, Any]) -> list[str]:
    """The figures that look like the wrong unit (the result's ``data_warnings``), located; the rate
    hint is not said twice when it is one of them (it is a note already)."""
    hint = wording.rate_as_budget_note(result, option=None)
    return wording.located_warnings([w for w in result.get("data_warnings") or [] if w["message"] != hint])


def describe_overrides(overrides: dict[str, Any], settings: dict[str, Any] | None = None) -> str:
    """The offer a job checked, in words (``settings``: the scenario's, for an offer left as written)."""
    parts = []
    if overrides.get("budget_gbp") is not None:
        parts.append(wording.pooled_budget_offer(float(overrides["budget_gbp"])))
    if overrides.get("offer_rate_gbp_per_weighted_patient") is not None:
        parts.append(wording.rate_offer(float(overrides["offer_rate_gbp_per_weighted_patient"])))
    if overrides.get("standards_fraction") is not None:
        parts.append(wording.standards_offer(float(overrides["standards_fraction"])))
    if not parts and settings:
        if settings.get("budget_mode") == "per_practice" and settings.get("offer_rate_gbp_per_weighted_patient"):
            rate = float(settings["offer_rate_gbp_per_weighted_patient"])
            return wording.as_in_the_scenario(wording.rate_offer(rate))
        if settings.get("budget_gbp") is not None:
            return wording.as_in_the_scenario(wording.pooled_budget_offer(float(settings["budget_gbp"])))
    return "; ".join(parts) if parts else wording.OFFER_AS_WRITTEN


def scenario_sources(document: dict[str, Any] | None) -> list[str]:
    """The scenario's ``data_sources`` setting, one source per item ("; " separates them)."""
    settings = document.get("settings") if isinstance(document, dict) else None
    sources = settings.get("data_sources") if isinstance(settings, dict) else None
    if not isinstance(sources, str):
        return []
    return [source.strip() for source in sources.split("; ") if source.strip()]
