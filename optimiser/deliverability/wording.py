"""Every sentence a user reads about deliverability, sensitivity and sweeps, and the formatters.

The computing modules (conflict, levers, relaxation, sensitivity, check, sweep) hand numbers
and names to the functions here; nothing else in the engine writes a sentence, so the wording
can be reviewed (and translated) in one place. Every number in a sentence comes from a solve
or from the user's data. The reader's view (optimiser/report: the desk page, the PDF report,
the comparison and the frontier chart) takes its labels, captions and sentences from here too.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

# money, number and rate_money are the wording module's formatters too: re-exported (view, compare, cli).
from models.formats import RATE_STEP, numbers_apart
from models.formats import money as money
from models.formats import number as number
from models.formats import rate_money as rate_money
from models.formulation import ProgrammeData
from models.plausibility import budget_looks_like_rate
from models.scenario import Problem
from models.schema import ScenarioSettings

# --------------------------------------------------------------------------------------
# Formatters (``money``, ``number`` and ``rate_money``: models.formats, for models' messages too)
# --------------------------------------------------------------------------------------


def money_or_missing(value: float | None) -> str:
    """``money`` for a table cell that may have no figure: "-" for None or NaN (a sweep point without
    an answer), else the figure as ``money`` shows it ("£0" for solver noise, never "-£0")."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return money(value)


def percent(share: float, digits: int = 1) -> str:
    text = f"{share * 100:,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


# --- amounts that suffice -----------------------------------------------------------------
# The one rule: a plan's spend is stated to the nearest. An amount a negotiator would feed back
# (the money or rate needed, a least cost, the least budget or rate that suffices, a raise of a
# cap) is rounded up at the precision shown (£6,860,203 needed shows as £6.87m, not £6.86m, which
# would not suffice); money spare and the highest share of the standards that fits are rounded
# down. Figures read together (an offer, a least cost and the gap between them) go through
# ``gap_figures``, which shows them in full where, rounded, they would not subtract. Solver noise
# (37000.00000000001) is not a reason to round up a whole step.
_NOISE = 1e-9
# What a solve's figure may be off by, relative to its size: a whole-step plan's 0.180 FTE comes
# back as 0.18000000118 (7e-9), which is 0.18 needed, not 0.181. Kept small, so that a level and
# its cut shown side by side (99.8% and 0.2%) are rounded from figures that differ visibly.
_SOLVER_NOISE = 1e-8
# Noise is never more than this share of one step: relative noise on millions at a penny step
# (£6,860,203.2857: hundreds of pennies) would otherwise round a needed amount down (to .28).
_MOST_NOISE_IN_STEPS = 0.01


def _towards_sufficiency(value: float, step: float, up: bool) -> float:
    steps = value / step
    slack = min(_SOLVER_NOISE * max(1.0, abs(steps)), _MOST_NOISE_IN_STEPS)
    return (math.ceil(steps - slack) if up else math.floor(steps + slack)) * step


def _money_step(value: float) -> float:
    """The precision ``money`` shows ``value`` at: £10m in £bn (from the figure that would read
    £1,000.00m, as ``money`` switches), £10k in £m, £1 from £100, else 1p."""
    size = abs(value)
    return 1e7 if round(size / 1e6, 2) >= 1_000 else 1e4 if size >= 1e6 else 1.0 if size >= 100 else 0.01


def least_money(value: float) -> str:
    """An amount of money that suffices (money needed, a least budget or rate), rounded up."""
    return money(_towards_sufficiency(value, _money_step(value), up=True))


def spare_money(value: float) -> str:
    """Money left over, rounded down at the precision shown: a least cost rounded up and the spare
    rounded down never add up to more than the budget."""
    return money(_towards_sufficiency(value, _money_step(value), up=False))


def _nearest(value: float, step: float) -> float:
    return round(value / step) * step


def _to_step(value: float, step: float) -> str:
    """``value`` (already a whole number of ``step``) in full: "£11,560,204" or "£35.50"."""
    return f"£{value:,.0f}" if step >= 1 else f"£{value:,.2f}"


def _has_pence(value: float) -> bool:
    """Whether an offer as typed has pence: more than a tenth of a penny off the pound."""
    return abs(value - round(value)) > 1e-3


def _offer_step(value: float) -> float:
    """The step an offer is shown at in full: the penny where it has pence (or is under £100), else the pound."""
    return 0.01 if _has_pence(value) or 0 < abs(value) < 100 else 1.0


def offer_in_full(value: float) -> str:
    """An offer in full, as given: "£4,700,000", "£999.99", "£35.50" (``gap_figures`` in full)."""
    step = _offer_step(value)
    return _to_step(_nearest(value, step), step)


def offer_money(value: float) -> str:
    """An offer as given: ``money``'s figure where it shows the offer exactly ("£4.70m", "£37,000"),
    else in full at the precision that does, "£11,560,200" or "£999.99", never "£1,000" in one place
    and "£999.99" in another (audit 9, A2)."""
    if abs(value - _nearest(value, _money_step(value))) <= 1e-3:
        return money(value)
    return offer_in_full(value)


def _practice_step(need: float) -> float:
    """The step a practice's row is shown at: the pound, the penny where its need is under £100."""
    return 1.0 if abs(need) >= 100 else 0.01


def practice_short(need: float, short: float) -> float:
    """A practice's shortfall (money it needs on top of its budget or share) as every place shows it:
    rounded up at its row's step (``_practice_step`` of its need), so that it suffices."""
    return _towards_sufficiency(max(short, 0.0), _practice_step(need), up=True) + 0.0


def practice_need_figures(need: float, share: float) -> tuple[str, str, str]:
    """A practice's need, its budget or share of the offer, and the money it needs on top (need,
    share, short) as a row shows them, in the pooled report and the per-practice one alike (audit 10,
    #2): the share to the nearest pound (£67,018.45 is "£67,018" in both), the shortfall rounded up
    (money needed: the figure the money lever's sentence gives, ``practice_short``), and the need their
    sum as shown, so the row adds up; the need is then within £1.50 of the plan's figure
    (``PRACTICES_ROUNDING_NOTE`` says so beside the table). To the pound, to the penny where the need
    is under £100."""
    step = _practice_step(need)
    share_s = _nearest(share, step) + 0.0
    short_s = practice_short(need, need - share)
    return _to_step(share_s + short_s, step), _to_step(share_s, step), _to_step(short_s, step)


def shortfalls_in_total(total: float, parts: Sequence[tuple[float, float]], every_part_shown: bool) -> str:
    """The total of practices' shortfalls, shown beside (some of) them: ``parts`` are (need, shortfall)
    of every practice short. Where every part is shown, the total is the sum of the parts as shown
    (each rounded up, ``practice_short``), so a reader who adds the list gets the total, and it still
    suffices (audit 10, #5); where only the largest are shown, the total rounded up (``least_money``)."""
    if not every_part_shown:
        return least_money(total)
    shown = [practice_short(need, short) for need, short in parts]
    step = min((_practice_step(need) for need, _ in parts), default=1.0)
    added = _nearest(sum(shown), step) + 0.0
    return _to_step(added, 0.01 if abs(added - round(added)) > 1e-6 else 1.0)


def gap_figures(
    least: float, offer: float, nearest_gap: bool = False, in_full: bool = False, derived: bool = False
) -> tuple[str, str, str]:
    """A least cost, an offer, and the gap between them, as shown side by side (a least rate, an
    offered rate and their difference: ``rate_gap_figures``).

    The one rule for figures that are read together (audit 9, A2): the least cost is rounded up at
    the precision shown (fed back, it suffices: £11,560,203.29 is "£11,560,204" or "£11.57m",
    £37,000.00 is "£37,000"), never below the true least cost and never a whole step above it; the
    offer is shown as given (``offer_money``: "£999.99" to the penny, never "£1,000"); the gap is
    money spare (rounded down) when the offer covers the least cost, else money short (rounded up),
    and the three as shown always subtract. In £m where they subtract there; else all three in
    full: the least cost to the pound (to the penny under £100), the offer at the precision that
    shows it exactly, and the gap the difference of the two as shown, so it absorbs the rounding
    (pence where the offer has pence: £37,000 less £999.99 is £36,000.01 short).
    ``nearest_gap``: in £m, the gap is to the nearest (a practice's need above its share, one
    figure among many, as the comparison shows it). ``in_full``: in full even where in £m they
    would subtract (a comparison's side beside a side shown in full). ``derived``: the offer is no
    one's typed figure but a practice's budget at an offered rate (£882,667.95), shown to the pound
    with the gap rounded up as the sentences list each practice's shortfall, and the need as the
    budget plus the gap, within £1 of its value. Returns (least, offer, gap)."""
    gap = offer - least
    spare = gap >= 0
    least_step, offer_step, gap_step = _money_step(least), _money_step(offer), _money_step(abs(gap))
    least_s = _towards_sufficiency(least, least_step, up=True)
    offer_s = _nearest(offer, offer_step)
    gap_s = _nearest(abs(gap), gap_step) if nearest_gap else _towards_sufficiency(abs(gap), gap_step, up=not spare)
    signed = gap_s if spare else -gap_s
    as_given = abs(offer - offer_s) <= 1e-3  # else in full, as ``offer_money`` shows it
    if not in_full and as_given and abs((offer_s - least_s) - signed) <= 1e-3:  # a tenth of a penny: float noise
        return money(least_s), money(offer_s), money(gap_s)
    if derived and max(abs(least), abs(offer)) >= 100:
        offer_p = _nearest(offer, 1.0)
        gap_p = _towards_sufficiency(abs(gap), 1.0, up=not spare)
        return (
            _to_step(offer_p - gap_p if spare else offer_p + gap_p, 1.0),
            _to_step(offer_p, 1.0),
            _to_step(gap_p, 1.0),
        )
    offer_fine = _offer_step(offer)
    # The pound from £100 (a pooled offer of £0 keeps the least cost to the pound, audit 8, A5),
    # the penny where the offer covers it by less than the pound rounded up.
    least_fine = 1.0 if abs(least) >= 100 else 0.01
    least_f = _towards_sufficiency(least, least_fine, up=True)
    offer_f = _nearest(offer, offer_fine)
    if spare and least_f > offer_f:
        least_fine = 0.01
        least_f = min(_towards_sufficiency(least, least_fine, up=True), offer_f)
    fine = min(least_fine, offer_fine)
    gap_f = _nearest(abs(offer_f - least_f), fine)
    return _to_step(least_f, least_fine), _to_step(offer_f, offer_fine), _to_step(gap_f, fine)


# --- rates: £ per weighted patient ----------------------------------------------------------
# A rate keeps its pence at any size (the Global Sum's £112.50, a least rate of £14.11): the annual
# amounts' rules above (to the pound from £100, in £m from £1m) are for money a year, not for a
# rate, where a pound is 7% of the figure. A least rate is rounded up to the penny, so that, fed
# back as an offer, it suffices; the figures of an offer, a least rate and the difference between
# them always subtract (``rate_gap_figures``). ``rate_money`` itself is in models.formats.


def least_rate(value: float) -> str:
    """A rate that suffices (the least rate at which every practice can deliver, a rise of the
    offer needed), rounded up to the penny: £14.1093 is "£14.11", never "£14.10" or "£14"."""
    return rate_money(_towards_sufficiency(value, RATE_STEP, up=True))


def rate_gap_figures(least: float, offer: float) -> tuple[str, str, str]:
    """A least rate, an offered rate and the difference between them, as shown side by side: the
    least rate rounded up to the penny (it suffices when offered), the offer to the nearest penny,
    and the difference of those two figures, so the three always subtract. Returns (least, offer,
    difference) as text."""
    least_s = _towards_sufficiency(least, RATE_STEP, up=True)
    offer_s = _nearest(offer, RATE_STEP)
    return rate_money(least_s), rate_money(offer_s), rate_money(abs(offer_s - least_s))


def money_in_full(value: float) -> str:
    """Money to the nearest pound (penny under £100), as ``gap_figures`` shows figures in full."""
    fine = 1.0 if abs(value) >= 100 else 0.01
    return _to_step(_nearest(value, fine), fine)


def least_money_in_full(value: float) -> str:
    """Money needed to the pound (penny under £100), rounded up: a shortfall beside figures in full."""
    fine = 1.0 if abs(value) >= 100 else 0.01
    return _to_step(_towards_sufficiency(value, fine, up=True), fine)


def raised_to(cap: float, raise_: float) -> tuple[str, str]:
    """A raise of a cap (rounded up, as ``least_number``) and the new cap at the raise's precision:
    25 raised by 0.001 is "25.001", not "25.01"; the two shown always add up."""
    raise_text = least_number(raise_)
    decimals = len(raise_text.partition(".")[2])
    new = cap + float(raise_text.replace(",", ""))
    text = f"{new:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return raise_text, text


def least_number(value: float) -> str:
    """A number that suffices (FTE, contacts per FTE-day needed), rounded up at ``number``'s precision."""
    if value == 0:
        return "0"
    step = 1.0 if abs(value) >= 100 else 0.01 if abs(value) >= 1 else 10.0 ** (math.floor(math.log10(abs(value))) - 2)
    return number(_towards_sufficiency(value, step, up=True))


# How far under a level a share may be and still be that level: float noise on the level itself
# (1 - 1e-12). A real cut is far above it: £0.01 short of £11.56m cuts the standards by ~1e-10.
_EXACT = 1e-11


def _last_step_below(level: float, step: float) -> float:
    """The highest multiple of ``step`` strictly below ``level`` (0.8 at 0.001: 0.799)."""
    steps = level / step
    whole = round(steps) if abs(steps - round(steps)) <= 1e-6 else math.ceil(steps)
    return (whole - 1) * step


FTE_STEP = 0.001  # FTE are shown to 3 decimal places at most (README: "FTE to 3 decimal places")


def least_fte(value: float) -> str:
    """FTE needed (more than the hiring limits allow), rounded up at ``number``'s precision but never
    finer than the FTE unit's 0.001: 2.29e-05 FTE needed reads "0.001", never "2.29e-05" (audit 8, A3)."""
    if value <= 0:
        return "0"
    if abs(value) >= 1:
        return least_number(value)
    step = max(10.0 ** (math.floor(math.log10(abs(value))) - 2), FTE_STEP)
    return f"{_towards_sufficiency(value, step, up=True):.{max(0, -math.floor(math.log10(step) + 1e-9))}f}".rstrip(
        "0"
    ).rstrip(".")


def highest_percent(share: float, digits: int = 1, below: float = 1.0) -> str:
    """The highest share that fits (of the standards, of the floors), rounded down; a level cut
    short keeps its trailing zero (93.0%, not 93%, for 0.93099), an exact one drops it (75%).

    A share under ``below`` (by default 1: the whole) is never shown at it, however little under:
    0.9999999959 (a real cut, £0.29 short on £11.56m) is "99.9%", never "100.0%" (audit 8, A3); a
    service's coverage cut below its standard of 80% reads "79.9%", never "80.0%". Solver noise is
    no reason to round it up to the whole: fed back, 100% is the offer that was not deliverable."""
    step = 10.0 ** -(digits + 2)
    fits = _towards_sufficiency(share, step, up=False)
    if share < below - _EXACT:
        fits = min(fits, _last_step_below(below, step))
    exact = abs(share - fits) <= _NOISE * max(1.0, abs(share))
    return percent(fits, digits) if exact else f"{fits * 100:,.{digits}f}%"


def largest_percent(share: float, digits: int = 1) -> str:
    """The largest share of something (the largest cut, "by up to"), rounded up: the complement of
    ``highest_percent``, so a level and its cut shown side by side add up to 100% (0.4545 shows as
    a level of 54.5% and a cut of 45.5%, not 45.4%). A share rounded keeps its trailing zero, as
    ``highest_percent``'s does (6.0% beside 94.0%)."""
    most = _towards_sufficiency(share, 10.0 ** -(digits + 2), up=True)
    exact = abs(share - most) <= _NOISE * max(1.0, abs(share))
    return percent(most, digits) if exact else f"{most * 100:,.{digits}f}%"


def rise_percent(share: float, signed: bool = True) -> str:
    """A rise (a shortfall) as a share of what it adds to: "+146.0%", "+2.4%", "under +0.1%".

    At one decimal at any size, rounded to the nearest (£25,000 on £75,000 is +33.3%), so one
    shortfall reads the same wherever it appears: in the headline beside other shares at one
    decimal, in the money lever's sentence and in the PDF's offer table (audit 9, A8: "+17.1%" in
    the headline had been "+17%" in the lever's sentence); ``percents_alike`` never has to give a
    whole rise a decimal it was not rounded to. A rise too small for one decimal is "under +0.1%",
    never "+0%"."""
    sign = "+" if signed else ""
    if share <= 0:
        return f"{sign}0%"
    if share >= 99.5:  # a hundred times or more: "+32,563,853%" reads as noise; say how many times
        return f"{_three_figures(1 + share)} times as much"
    text = f"{share * 100:,.1f}%"
    return f"under {sign}0.1%" if text == "0.0%" else sign + text


def _three_figures(value: float) -> str:
    """A large ratio to three significant figures: 325,634.6 as "326,000", 104.2 as "104"."""
    digits = max(0, math.floor(math.log10(abs(value))) - 2)
    return f"{round(value, -digits):,.0f}"


def a_or_an(text: str) -> str:
    """The article for a figure as read aloud: "an 11% cut", "an 8.5% cut", "an 80% cut", "a 12% cut"."""
    whole = text.lstrip("£").split(".")[0].replace(",", "").rstrip("%")
    spoken_an = whole.startswith("8") or (whole[:2] in ("11", "18") and len(whole) % 3 == 2)
    return ("an " if spoken_an else "a ") + text


def spare_percent(share: float) -> str:
    """What is left over as a share (of the budget, of the offer), rounded down as the money spare
    is (``spare_money``); a share too small for one decimal is "under 0.1%", never "0%"."""
    if 0 < share < 0.001 - _NOISE:
        return "under 0.1%"
    return percent(_towards_sufficiency(share, 0.001, up=False))


def plural_amount(value: float, word: str) -> str:
    return f"{number(value)} {word if value == 1 else word + 's'}"


def listing(items: Sequence[str], limit: int = 5) -> str:
    items = list(items)
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def entity(key: object) -> str:
    """A rule instance's index as a user reads it: "A / dm", "gp", or "area" for an area-wide rule."""
    if key is None:
        return "area"
    if isinstance(key, tuple):
        return " / ".join(str(k) for k in key)
    return str(key)


def _sentence(phrase: str) -> str:
    return phrase[0].upper() + phrase[1:] + "."


# --------------------------------------------------------------------------------------
# The verdict: the same words in the plain-text check, on the desk page, in the PDF and
# (in sentence case) in the comparison
# --------------------------------------------------------------------------------------
VERDICT_DELIVERABLE = "DELIVERABLE"
VERDICT_NOT_DELIVERABLE = "NOT DELIVERABLE"
VERDICT_NO_ANSWER_IN_TIME = "NO ANSWER IN TIME"
VERDICT_NO_ANSWER = "NO ANSWER"


def verdict_label(deliverable: object, status: object = None) -> str:
    """``deliverable``: a check's ``deliverable`` (None: the solver stopped without deciding);
    ``status``: the check's ``status`` ("time_limit" when it was the time limit that stopped it)."""
    if deliverable is True:
        return VERDICT_DELIVERABLE
    if deliverable is False:
        return VERDICT_NOT_DELIVERABLE
    return VERDICT_NO_ANSWER_IN_TIME if status == "time_limit" else VERDICT_NO_ANSWER


# --------------------------------------------------------------------------------------
# Names and units
# --------------------------------------------------------------------------------------
def given_names(table: pd.DataFrame | None, column: str = "name") -> dict[str, str]:
    """id -> text for the rows of a scenario table (indexed by id) whose optional ``column`` is given."""
    if table is None or column not in table.columns:
        return {}
    return {
        str(key): name.strip()
        for key, name in zip(table.index, table[column], strict=True)
        if isinstance(name, str) and name.strip()
    }


@dataclass(frozen=True)
class Names:
    """What a reader calls each practice, PCN, role and service, from the scenario's optional ``name``
    columns (docs/formulation.md section 2).

    A practice or a PCN reads as its name with its id, "FRENCH WEIR HEALTH CENTRE (L85001)", so the
    reader can find its row; a role or a service as its name alone, "GP partner". Without a name
    (blank, or no ``name`` column) each reads as its id, as given. Machine-readable fields (ids in
    the JSON, the CSV and the tables' id columns) never go through here.

    ``notes``: each practice's ``data_note`` where given (why its figures may be doubtful), said after
    a sentence that names the practice as setting a figure (``flagged_data``).
    """

    practices: Mapping[str, str] = field(default_factory=dict)
    pcns: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)
    services: Mapping[str, str] = field(default_factory=dict)
    notes: Mapping[str, str] = field(default_factory=dict)
    ids: frozenset[str] = frozenset()  # the ids of the scenario's tables that hold a percentage ("5%")

    def verbatim(self) -> tuple[str, ...]:
        """The user's own texts (names, ids, notes, and each practice's and PCN's "name (id)") that
        hold a percentage, longest first: ``percents_alike`` never changes them."""
        texts = {*self.ids, *self.notes.values()}
        for table in (self.practices, self.pcns, self.roles, self.services):
            texts.update(table.values())
            texts.update(table.keys())
        texts.update(_with_id(table, key) for table in (self.practices, self.pcns) for key in table)
        return tuple(sorted((t for t in texts if _PERCENT.search(t)), key=lambda t: (-len(t), t)))

    @classmethod
    def of(cls, scenario: Any) -> Names:
        """From a scenario's tables (``practices``, ``pcns``, ``roles``, ``services``, indexed by id)."""
        practices = getattr(scenario, "practices", None)
        return cls(
            given_names(practices),
            given_names(getattr(scenario, "pcns", None)),
            given_names(getattr(scenario, "roles", None)),
            given_names(getattr(scenario, "services", None)),
            given_names(practices, "data_note"),
            frozenset(
                str(key)
                for table in ("practices", "pcns", "roles", "services")
                if isinstance(getattr(scenario, table, None), pd.DataFrame)
                for key in getattr(scenario, table).index
                if _PERCENT.search(str(key))
            ),
        )

    @classmethod
    def of_document(cls, document: Any) -> Names:
        """From a scenario document as submitted (tables as lists of records), e.g. a stored version."""
        document = document if isinstance(document, dict) else {}

        def names(table: str, id_column: str, column: str = "name") -> dict[str, str]:
            records = document.get(table)
            return {
                str(record[id_column]): record[column].strip()
                for record in (records if isinstance(records, list) else [])
                if isinstance(record, dict)
                and record.get(id_column) is not None
                and isinstance(record.get(column), str)
                and record[column].strip()
            }

        return cls(
            names("practices", "practice_id"),
            names("pcns", "pcn_id"),
            names("roles", "role_id"),
            names("services", "service_id"),
            names("practices", "practice_id", "data_note"),
            frozenset(
                str(record[id_column])
                for table, id_column in (
                    ("practices", "practice_id"),
                    ("pcns", "pcn_id"),
                    ("roles", "role_id"),
                    ("services", "service_id"),
                )
                for record in (document.get(table) if isinstance(document.get(table), list) else [])
                if isinstance(record, dict)
                and record.get(id_column) is not None
                and _PERCENT.search(str(record[id_column]))
            ),
        )

    def practice(self, key: object) -> str:
        return _with_id(self.practices, key)

    def pcn(self, key: object) -> str:
        return _with_id(self.pcns, key)

    def holder(self, key: object) -> str:
        """A practice or a PCN (who holds staff, who gets money)."""
        return self.practice(key) if str(key) in self.practices else self.pcn(key)

    def role(self, key: object) -> str:
        return self.roles.get(str(key), str(key))

    def service(self, key: object) -> str:
        return self.services.get(str(key), str(key))

    def entity(self, key: object) -> str:
        """A rule instance's index (``entity``), each part named: "Synthetic Practice 001 (P0001) / GP partner"."""
        if key is None:
            return "area"
        parts = key if isinstance(key, tuple) else (key,)
        return " / ".join(self._any(part) for part in parts)

    def _any(self, key: object) -> str:
        text = str(key)
        for table in (self.practices, self.pcns):
            if text in table:
                return _with_id(table, text)
        for table in (self.roles, self.services):
            if text in table:
                return table[text]
        return text


NO_NAMES = Names()


def flagged_data(names: Names, setting: Sequence[object] = (), named: Sequence[object] = ()) -> str:
    """What follows a sentence naming practices whose data carry a note (their ``data_note``, which
    ``import nhs`` writes from its warnings and a user may write by hand): for each practice that
    sets the sentence's figure, its note; then the other practices it names that have one. Empty
    when none has a note."""
    setters = [p for p in dict.fromkeys(map(str, setting)) if p in names.notes]
    others = [p for p in dict.fromkeys(map(str, named)) if p in names.notes and p not in setters]
    sentences = [f"Note on the data of {names.practice(p)}: {names.notes[p].rstrip('. ')}." for p in setters]
    if others:
        named_others = [names.practice(p) for p in others]
        who = named_others[0] if len(others) == 1 else ", ".join(named_others[:-1]) + " and " + named_others[-1]
        sentences.append(
            f"The data of {who} {'also ' if setters else ''}carry a note "
            f"({'its' if len(others) == 1 else 'their'} data_note in the practices table)."
        )
    return " ".join(sentences)


def _with_id(names: Mapping[str, str], key: object) -> str:
    text = str(key)
    name = names.get(text)
    return text if name is None or name == text else f"{name} ({text})"


LEVER_UNITS = {
    "budget": "£/year",
    "budget_per_practice": "£ per weighted patient per year",
    "workforce_supply": "FTE",
    "standards": "fraction of every minimum standard",
    "safe_working": "contacts per FTE-day",
    "practice_floor": "£/year",
    "practice_floor_share": "fraction of every practice's floor",
}
# The levers' titles wherever a user reads them: the plain-text check's lines, the desk page's
# and the PDF's cards.
LEVER_TITLES = {
    "budget": "More money",
    "workforce_supply": "More staff",
    "standards": "Lower standards",
    "safe_working": "Higher safe-working caps",
    "practice_floor": "No practice worse off",
}
_LEVER_NOUNS = {
    "budget": "money",
    "workforce_supply": "staff supply",
    "standards": "lower standards",
    "safe_working": "higher caps",
    "practice_floor": "a lower practice floor",
}
_FAMILY_LABELS = {
    "min_standard": "the minimum standards",
    "max_coverage": "the coverage ceilings",
    "clinical_time": "staff clinical hours",
    "safe_working": "the safe-working caps",
    "workforce_supply": "the hiring limits",
    "budget": "the budget",
    "practice_budget": "the practice budgets",
    "gp_floor": "the GP floor",
    "gp_target_total": "the area GP target",
    "arrs_claim": "the ARRS reimbursement rules",
    "arrs_entitlement": "the ARRS entitlements",
    "pcn_deployment": "PCN-held staff",
    "hiring_step": "whole-step hiring",
    "activity": "contacts per covered patient",
    "practice_floor": "the practice floors (no practice below its prior funding)",
    "coverage_level": "the lowest practice coverage",
}


def family_label(family: str) -> str:
    return _FAMILY_LABELS.get(family, family)


# --------------------------------------------------------------------------------------
# Conflict
# --------------------------------------------------------------------------------------
def group_phrases(
    rule: str,
    keys: list[object],
    data: ProgrammeData,
    settings: ScenarioSettings,
    roles: pd.DataFrame,
    names: Names | None = None,
) -> list[str]:
    """Plain-English phrases for the rule instances ``keys`` of one family in a conflict.

    ``names``: what the reader calls each practice, PCN, role and service (``Names.of(scenario)``);
    without it, roles are named from ``roles`` and everything else by its id."""
    d = data
    named = names if names is not None else Names(roles=given_names(roles))

    def practices(n: int) -> str:
        return plural(n, "practice")

    if rule == "budget":
        return [f"the budget of {offer_money(float(settings.budget_gbp or 0.0))} a year"]
    if rule == "practice_budget":
        rate = float(settings.offer_rate_gbp_per_weighted_patient or 0.0)
        listed = listing([named.practice(k) for k in keys])
        return [f"the offer of {rate_money(rate)} per weighted patient at {practices(len(keys))} ({listed})"]
    if rule in ("workforce_supply",):
        return [f"the hiring limit of {number(d.supply_max[str(r)])} new FTE for {named.role(r)}" for r in keys]
    if rule == "gp_floor":
        per10k = settings.gp_fte_per_10k_weighted or 0.0
        return [f"the GP floor of {number(per10k)} FTE per 10,000 weighted patients at {practices(len(keys))}"]
    if rule == "gp_target_total":
        return [f"the area-wide GP target of {number(settings.gp_fte_target_total or 0.0)} FTE"]
    if rule == "arrs_claim":
        return [f"the ARRS reimbursement rules at {practices(len(keys))}"]
    if rule == "practice_floor":
        total = sum(d.practice_floor.get(str(k), 0.0) for k in keys)
        listed = listing([named.practice(k) for k in keys])
        return [f"the floor of {money(total)} a year for {practices(len(keys))} ({listed})"]
    if rule == "coverage_level":
        return [f"the lowest-coverage level at {practices(len(keys))}"]
    if rule == "arrs_entitlement":
        return [f"the ARRS entitlement of {plural(len(keys), 'PCN')} ({listing([named.pcn(k) for k in keys])})"]
    by_second: dict[str, list[str]] = defaultdict(list)
    for key in keys:
        if isinstance(key, tuple) and len(key) == 2:
            by_second[str(key[1])].append(str(key[0]))
        else:
            by_second[""].append(named.entity(key))
    phrases = []
    for second, firsts in by_second.items():
        n = len(firsts)
        where = f"at {practices(n)}"
        if rule == "min_standard":
            service = named.service(second)
            phrases.append(f"the minimum standard for {service} ({percent(d.min_coverage[second])} coverage) {where}")
        elif rule == "max_coverage":
            phrases.append(
                f"the coverage ceiling for {named.service(second)} ({percent(d.max_coverage[second])}) {where}"
            )
        elif rule == "activity":
            phrases.append(
                f"the {plural_amount(d.contacts_per_patient[second], 'contact')} a year each patient covered for "
                f"{named.service(second)} needs {where}"
            )
        elif rule == "clinical_time":
            hours = d.clinical_minutes[second] / 60
            phrases.append(
                f"the clinical hours of {named.role(second)} staff ({number(hours)} h per FTE a year) {where}"
            )
        elif rule == "safe_working":
            cap = float(roles.at[second, "max_contacts_per_day"])
            phrases.append(
                f"the safe-working cap for {named.role(second)} ({number(cap)} contacts per FTE-day) {where}"
            )
        elif rule == "pcn_deployment":
            listed = listing([named.pcn(k) for k in firsts])
            phrases.append(f"the PCN-held {named.role(second)} staff of {plural(n, 'PCN')} ({listed})")
        elif rule == "hiring_step":
            step = d.fte_step.get(second, 0.0)
            units = plural(n, "PCN") if second in d.arrs_roles else practices(n)
            phrases.append(f"hiring {named.role(second)} only in whole steps of {number(step)} FTE at {units}")
        else:
            phrases.append(f"{rule} {where}")
    return phrases


def conflict_sentences(
    instances: dict[str, list[object]],
    data: ProgrammeData,
    settings: ScenarioSettings,
    roles: pd.DataFrame,
    names: Names | None = None,
) -> list[str]:
    """One sentence per rule group of a conflict (``instances``: rule -> keys).

    Column bounds in a conflict (``bound:<variable>``: e.g. that no one is hired a negative
    amount) are how the solver states facts of the world, not requirements anyone set, so they
    get no sentence; they stay in the conflict's rule list and table. ``names``: as in
    ``group_phrases``.
    """
    return [
        _sentence(phrase)
        for rule, keys in instances.items()
        if not rule.startswith("bound:")
        for phrase in group_phrases(rule, keys, data, settings, roles, names)
    ]


def conflict_headline(
    method: str, sentences: list[str], size: int, groups: int, names: Names | None = None, irreducible: bool = True
) -> str:
    """``size``: the rule instances in the conflict (column bounds not counted); ``names``: the
    scenario's, left as written (``percents_alike``); ``irreducible``: whether the search proved every
    member needed (not when a solve in it ended undecided, or HiGHS' reduction ran out of time)."""
    shown = [s[0].lower() + s[1:-1] for s in sentences]
    what = "; ".join(shown[:8]) + (f"; and {len(shown) - 8} more" if len(shown) > 8 else "")
    what = what or "the rules listed"
    if not irreducible:
        counted = f"{plural(groups, 'rule group')} of " if method == "deletion_filter" else ""
        kind = f"{counted}{plural(size, 'rule')}; {CONFLICT_NOT_PROVEN}"
    else:
        kind = {
            "iis": f"an irreducible infeasible set of {plural(size, 'rule')}",
            "iis_lp_relaxation": f"an irreducible infeasible set of {plural(size, 'rule')}, "
            "found even without whole-step hiring",
            "deletion_filter": f"{plural(groups, 'rule group')} of {plural(size, 'rule')}, "
            "each needed for the conflict",
        }[method]
    return percents_alike(f"These requirements cannot all hold together ({kind}): {what}.", names)


# A conflict whose search could not decide every test (a programme infeasible by a margin close to
# the solver's tolerance, e.g. a pooled budget a few hundred pounds short of an £11.56m least cost).
CONFLICT_NOT_PROVEN = "not proven that each is needed: the solver could not decide every test"


NO_CONFLICT_FOUND = "No set of conflicting requirements could be isolated."

CONFLICT_METHODS = {
    "iis": "irreducible set from HiGHS",
    "iis_lp_relaxation": "irreducible set of the programme without whole-step hiring",
    "deletion_filter": "irreducible set of rule groups, found by relaxing one family (then one service or "
    "role) at a time",
}


# --------------------------------------------------------------------------------------
# Levers
# --------------------------------------------------------------------------------------
def cannot_alone(what: str, still_conflicting: Sequence[str]) -> str:
    binds = ", ".join(family_label(f) for f in still_conflicting) or "other rules"
    return f"{what} alone cannot make it deliverable: even without that limit, {binds} still conflict."


CANNOT_WHAT = {
    "budget": "More money",
    "budget_per_practice": "A higher offer",
    "workforce_supply": "More staff",
    "standards": "Lowering the standards",
    "safe_working": "Raising the safe-working caps",
    "practice_floor": "Dropping the practice floor",
}


def no_answer(lever: str, message: str) -> str:
    """``message``: HiGHS' words for how the solve ended (e.g. "Time limit reached")."""
    return f"No answer for {_LEVER_NOUNS.get(lever, lever)} within the time limit ({message})."


def _rise(share: float | None, prefix: str) -> str:
    return f"{prefix}{rise_percent(share)}" if share is not None else ""


def budget_sentence(least: float, budget: float, share: float | None) -> str:
    rise = _rise(share, " (") + (")" if share is not None else "")
    least_text, budget_text, short_text = gap_figures(least, budget)
    return (
        f"The spec needs {short_text} more a year{rise} at current workforce supply: "
        f"its least cost is {least_text} a year against a budget of {budget_text}."
    )


# How many practices short a sentence names and a table of practices most short lists: the same, so
# that a total shown beside its parts is their sum in both (``shortfalls_in_total``).
PRACTICES_LISTED = 10


def _listed_shortfalls(rows: pd.DataFrame, need_column: str, total: float, limit: int, names: Names) -> tuple[str, str]:
    """Practices' shortfalls as a sentence gives them: their total, and what follows it. A shortfall
    is money a practice needs, so rounded up at its row's step (``practice_short`` of its need,
    ``need_column``). Up to ``limit`` practices are named: all of them, and the total is the sum of
    the figures listed (audit 10, #5), ": P1 £1,001, P2 £10.01"; else the largest, and the exact total
    rounded up (``shortfalls_in_total``), "; the largest: P1 £80,001, ... and 42 more"."""
    parts = [(float(need), float(gap)) for need, gap in zip(rows[need_column], rows["shortfall_gbp"], strict=True)]
    every = len(parts) <= limit
    figures = [
        f"{names.practice(practice)} {_to_step(practice_short(need, gap), _practice_step(need))}"
        for practice, (need, gap) in zip(rows["practice_id"].head(limit), parts, strict=False)
    ]
    named = ", ".join(figures)
    listed = f": {named}" if every else f"; the largest: {named} and {len(parts) - limit} more"
    return shortfalls_in_total(total, parts, every), listed


def offer_rate_sentence(
    extra: float,
    rate: float,
    needed: float,
    short: pd.DataFrame,
    practices: int,
    total: float,
    names: Names = NO_NAMES,
    set_by: Sequence[str] = (),
) -> str:
    """``set_by``: the practices that need the most per weighted patient, so set the rate needed.
    A practice's shortfall is money it needs, so rounded up (``practice_short``, as the table of
    practices most short shows it). Up to ``PRACTICES_LISTED`` are named, as many as the table lists:
    all of them, and the total is the sum of the figures listed (audit 10, #5); else "the largest",
    and the total rounded up (``shortfalls_in_total``)."""
    total_text, listed = _listed_shortfalls(short, "needs_gbp", total, PRACTICES_LISTED, names)
    rise = _rise(extra / rate if rate > 0 else None, ", ")
    needed_text, rate_text, extra_text = rate_gap_figures(needed, rate)
    sentence = (
        f"The offer needs {extra_text} more per weighted patient a year (from {rate_text} to "
        f"{needed_text}{rise}) to cover every practice; at the current rate "
        f"{len(short)} of {practices} practices {'is' if len(short) == 1 else 'are'} short by "
        f"{total_text} in total{listed}."
    )
    if set_by:
        setters = listing([names.practice(p) for p in set_by])
        sentence += (
            f" {setters} {'sets' if len(set_by) == 1 else 'set'} the rate needed: "
            f"{'it needs' if len(set_by) == 1 else 'they need'} the most per weighted patient."
        )
    flagged = flagged_data(names, set_by, list(short["practice_id"])[:PRACTICES_LISTED])
    return f"{sentence} {flagged}" if flagged else sentence


NO_SUPPLY_LIMIT = "No role has a hiring limit in this scenario, so more staff supply cannot help."


def supply_sentence(total: float, needed: pd.DataFrame, names: Names = NO_NAMES) -> str:
    parts = listing(
        [
            f"{least_fte(row.extra_fte)} {names.role(row.role_id)} (limit {number(row.supply_max_fte)})"
            for row in needed.itertuples()
        ],
        8,
    )
    return (
        f"The spec needs {least_fte(total)} more FTE than can be hired ({parts}) "
        "within the current budget and standards."
    )


NO_STANDARDS = "No service has a minimum standard, so lowering standards cannot help."
STANDARDS_TO_ZERO = (
    "Only dropping every minimum standard entirely (to 0% of its level) would fit the current budget "
    "and workforce, so lowering standards is no real fix."
)


def standards_sentence(
    uniform: float, records: list[dict[str, Any]], names: Names = NO_NAMES, checked_at: float = 1.0
) -> str:
    """``uniform`` and each record's ``min_coverage``, ``fraction_alone``: of the standards as the spec
    writes them; ``checked_at`` < 1: the check held the other rules with every standard at that share."""
    scaled = checked_at < 1
    examples = listing(
        [
            f"{names.service(r['service_id'])} from {percent(r['min_coverage'])} "
            f"to {highest_percent(r['coverage_at_uniform'], below=r['min_coverage'])}"
            for r in records
        ],
        4,
    )
    level = f"of its level{AS_WRITTEN}" if scaled else "of its level"
    sentence = (  # the cut rounded up, the level down: the two add up to 100%
        f"Every minimum standard would have to fall to {highest_percent(uniform)} {level} "
        f"({a_or_an(largest_percent(1 - uniform))} cut: {examples}) "
        "for the spec to fit the current budget and workforce"
        + (f" (checked at {percent(checked_at)})." if scaled else ".")
    )
    # Said when some service alone differs from the uniform cut; then every service that can fix
    # it alone is named, one whose figure equals the uniform one too (else the clause reads as if
    # none could).
    differing = [r for r in records if r["fraction_alone"] is None or abs(r["fraction_alone"] - uniform) > 1e-6]
    if len(records) > 1 and differing:
        fixers = [r for r in records if r["fraction_alone"] is not None]
        cannot = [names.service(r["service_id"]) for r in records if r["fraction_alone"] is None]
        parts = [
            f"{names.service(r['service_id'])} alone to "
            f"{highest_percent(r['coverage_alone'], below=r['min_coverage'])} coverage "
            f"({highest_percent(r['fraction_alone'])} of its level)"
            for r in fixers
        ]
        if cannot:
            who = cannot[0] if len(cannot) == 1 else ("the other " if fixers else "") + plural(len(cannot), "service")
            parts.append(
                f"{who} cannot fix it alone"
                if len(cannot) == 1
                else f"{who} cannot fix it alone ({listing(cannot, 3)})"
            )
        others = f", the others at {percent(checked_at)} of their level" if scaled else ""
        sentence += f" Lowering one service at a time{others}: " + "; ".join(parts) + "."
    # Each sentence's levels, read one against the other, at one precision: "from 80.0% to 62.4%",
    # "75.5% coverage (100.0% of its level)".
    return percents_alike(sentence, names)


_PERCENT = re.compile(r"(?<![\d.,])(\d[\d,]*)(\.\d+)?%")
# Where one sentence ends and the next begins: a full stop (or a full stop closing a bracket) before
# a capital or an opening bracket. A decimal point ("62.4%", "£6.87m") has no space after it.
_SENTENCE_END = re.compile(r"(?<=\.)\)?\s+(?=[A-Z(])")


def percents_alike(text: str, names: Names | None = None) -> str:
    """Figures read one against another at one precision, sentence by sentence (audit 7, A15):
    where any percentage in a sentence has a decimal (62.4%), every whole one in that sentence gets
    it too ("checked at 80.0%" beside "63.1%"; "from 80.0% to 62.4%"). Only the display changes: a
    whole percentage here is one that ``percent``, ``highest_percent``, ``largest_percent`` or
    ``spare_percent`` showed to one decimal and dropped its zero (a rise, ``rise_percent``, is
    always at one decimal). A sentence whose percentages are all
    whole keeps them so ("from 80% to 75%").

    ``names``: the scenario's names and ids, which the rule never touches: a service named "Top 5%
    frailty" reads as named beside 62.4%, never "Top 5.0% frailty". Each name with a percentage in
    it is masked before the figures are aligned and put back after."""
    kept = names.verbatim() if names is not None else ()
    masked: list[str] = []
    for name in kept:  # longest first, so a name inside another is not masked alone
        if name in text:
            text = text.replace(name, f"\x01{len(masked)}\x02")
            masked.append(name)
    out, start = [], 0
    for end in [*_SENTENCE_END.finditer(text), None]:
        stop = len(text) if end is None else end.start()
        out.append(_one_precision(text[start:stop]))
        if end is not None:
            out.append(end.group(0))
            start = end.end()
    aligned = "".join(out)
    return re.sub("\x01(\\d+)\x02", lambda m: masked[int(m.group(1))], aligned) if masked else aligned


def _one_precision(sentence: str) -> str:
    decimals = max((len(m.group(2)) - 1 for m in _PERCENT.finditer(sentence) if m.group(2)), default=0)
    if not decimals:
        return sentence
    return _PERCENT.sub(lambda m: m.group(0) if m.group(2) else f"{m.group(1)}.{'0' * decimals}%", sentence)


def percent_figures_alike(figures: Sequence[str]) -> list[str]:
    """Percentages read one against another in a table's row (a comparison's A beside B: 100.0%
    beside 93.9%) at one precision, as ``percents_alike`` does in a sentence; words ("not in this
    result") are left as they are."""
    return _one_precision("\x00".join(figures)).split("\x00")


# A share of the standards as the spec writes them, beside a check run at a share of them.
AS_WRITTEN = " as the spec writes it"


def standards_met_sentence(fraction: float, checked_at: float, pooled: bool) -> str:
    """A spec deliverable with every minimum standard at ``checked_at`` of its level: the highest
    share of the standards as the spec writes them that ``fraction`` says is deliverable too."""
    offer = "budget" if pooled else "offer"
    level = "in full (100%)" if fraction >= 1 else f"at {highest_percent(fraction)} of its level"
    return percents_alike(
        f"At this {offer} every minimum standard can be met {level}{AS_WRITTEN} (checked at {percent(checked_at)})."
    )


def offer_rate_covers_sentence(rate: float, needed: float) -> str:
    """Practice budgets at ``rate`` that every practice can deliver within; ``needed``: the least rate
    at which every practice still can. No money is called spare: one practice's cannot fund another."""
    needed_text, rate_text, _ = rate_gap_figures(needed, rate)
    return (
        f"No more money is needed: at {rate_text} per weighted patient a year every practice can deliver "
        f"within its own budget; the least rate at which every practice still can is {needed_text}."
    )


NO_CAPS = "No role has a safe-working cap, so raising caps cannot help."


def safe_working_no_answer() -> str:
    return "No answer for higher caps within the time limit."


def safe_working_sentence(
    uniform: float, lower: float, exact: bool, records: list[dict[str, Any]], names: Names = NO_NAMES
) -> str:
    parts = listing(
        [
            f"{names.role(r['role_id'])} from {number(r['max_contacts_per_day'])} "
            f"to {raised_to(r['max_contacts_per_day'], uniform)[1]}"
            for r in records
        ],
        5,
    )
    how_much = least_number(uniform) if exact else f"at most {least_number(uniform)} (at least {number(lower)})"
    sentence = (
        f"The spec only fits by breaking the safe-working cap: {how_much} more contacts per FTE-day "
        f"for every capped role ({parts}) at the current budget and workforce."
    )
    if len(records) > 1:
        alone_parts = [
            f"{names.role(r['role_id'])} alone cannot fix it"
            if r["raise_alone"] is None
            else f"{names.role(r['role_id'])} alone +{least_number(r['raise_alone'])}"
            for r in records
        ]
        sentence += " One role at a time: " + "; ".join(alone_parts) + "."
    return sentence


# --- fair shares: the practice floor (docs/fairness.md) ---------------------------------
# How many practices below their floor the floor lever's sentence names.
FLOOR_PRACTICES_LISTED = 5


def floor_cost_sentence(
    least_with: float,
    least_without: float,
    floors: int,
    losers: pd.DataFrame,
    short: float,
    names: Names = NO_NAMES,
) -> str:
    if not len(losers):
        return (
            f"The practice floor costs nothing: the least-cost allocation already gives each of the "
            f"{plural(floors, 'practice')} with a floor at least that much."
        )
    total, listed = _listed_shortfalls(losers, "floor_gbp", short, FLOOR_PRACTICES_LISTED, names)
    with_text, without_text, cost_text = gap_figures(least_with, least_without)
    sentence = (
        f"The practice floor costs {cost_text} a year (least spend {with_text} against "
        f"{without_text} without it); without it, {len(losers)} of {plural(floors, 'practice')} would "
        f"get less than their floor, {total} in total (the least shortfall of any least-cost "
        f"allocation){listed}."
    )
    flagged = flagged_data(names, named=list(losers["practice_id"])[:FLOOR_PRACTICES_LISTED])
    return f"{sentence} {flagged}" if flagged else sentence


def floor_share_sentence(share: float, floors: int, losers: pd.DataFrame, short: float) -> str:
    text = (
        f"The practice floors cannot all be met with the rest of the spec: at most {highest_percent(share)} of every "
        f"practice's floor can be; without the floor the spec is deliverable"
    )
    if len(losers):
        text += f", but {len(losers)} of {plural(floors, 'practice')} would then get less than their floor, "
        text += f"{least_money(short)} in total"
    return text + "."


def deliverable_lever_sentences(least: float, budget: float) -> dict[str, str]:
    """The levers of a deliverable spec. The money spare is the headline's figure (``gap_figures``,
    as ``deliverable_summary`` shows it beside this sentence): one amount, one figure."""
    spare = gap_figures(least, budget)[2]
    return {
        "budget": f"No more money is needed: {spare} of the budget is spare.",
        "workforce_supply": "No more staff supply is needed.",
        "standards": "Every minimum standard can be met in full (100%).",
        "safe_working": "No safe-working cap needs to be raised.",
    }


# --------------------------------------------------------------------------------------
# Combined relaxation
# --------------------------------------------------------------------------------------
def package_sentence(package: dict[str, Any], names: Names = NO_NAMES) -> str:
    """The combined change as one package: "+£1.2m a year, standards at 95%, nothing above the safe-working cap"."""
    parts: list[str] = []
    money_gbp = package["money_gbp"]
    standards_cut = package["has_standards"] and package["lowest_service"] is not None  # with percentages
    if money_gbp > 0:
        where = "" if package["pooled"] else " in practice top-ups"
        rise = rise_percent(package["money_share"])
        parts.append(f"+{least_money(money_gbp)} a year{where} ({rise})")
    else:
        parts.append("no more money")
    if package["has_standards"]:
        if package["lowest_service"] is None:
            parts.append("every standard met in full")
        else:
            parts.append(
                f"standards at {highest_percent(package['standards_met_share'])} of what they require "
                f"(lowest: {names.service(package['lowest_service'])} at "
                f"{highest_percent(package['lowest_service_met_share'])}; "
                f"no practice below {highest_percent(1 - package['largest_cut_share'])} of any standard)"
            )
    if package["has_supply_limits"]:
        extra = package["extra_fte"]
        parts.append(f"{least_fte(extra)} FTE above the hiring limits" if extra > 0 else "no hiring above the limits")
    if package["has_caps"]:
        above = package["contacts_above_caps"]
        if above > 0:
            parts.append(
                f"{least_number(above)} contacts a year above the safe-working caps "
                f"(at most {least_number(package['largest_contacts_per_fte_day_above_cap'])} per FTE-day)"
            )
        else:
            parts.append("nothing above the safe-working cap")
    changed = money_gbp > 0 or standards_cut or package["extra_fte"] > 0 or package["contacts_above_caps"] > 0
    if not changed:  # NOT DELIVERABLE, yet no change found even under the tolerance: never "no change"
        return COMBINED_CHANGE_WITHIN_TOLERANCE
    tiny = "; each part under a ten-millionth of the requirement it relaxes" if package.get("below_tolerance") else ""
    return percents_alike("Smallest combined change: " + ", ".join(parts) + tiny + ".", names)


COMBINED_CHANGE_WITHIN_TOLERANCE = (
    "Smallest combined change: too small to state (under the solver's tolerance, a ten-millionth of each "
    "requirement); the changes one at a time above stand."
)


def combined_change_not_found(status: str | None) -> str:
    """In place of the package when the combined change's solve ended without one: said, never left out."""
    if status == "time_limit":
        return (
            "Smallest combined change: not found within the time limit (the solver stopped before finding "
            "one; the changes one at a time above stand). Try a longer time limit."
        )
    if status == "infeasible":
        return (
            "Smallest combined change: none: even with every lever moved together the spec cannot be met "
            "(something the levers do not move stops it)."
        )
    return "Smallest combined change: not found (the solver failed)."


def relaxation_sentences(table: pd.DataFrame, names: Names = NO_NAMES) -> list[str]:
    """Where the combined change falls, lever by lever.

    A practice's largest cut ("by up to") is rounded up, as ``largest_percent``: the package's
    "no practice below" level is rounded down, so the two add up to 100%."""
    sentences = []
    for lever, group in table.groupby("lever", sort=False):
        total = float(group["amount"].sum())
        pairs = list(zip(group.entity, group.amount, strict=True))
        if lever == "budget":
            where = listing([f"{names.holder(e)} {least_money(a)}" for e, a in pairs])
            # A holder that takes the whole top-up sets the figure.
            flagged = flagged_data(names, [e for e, _ in pairs] if len(pairs) == 1 else (), [e for e, _ in pairs[:5]])
            sentences.append(f"{least_money(total)} a year more money ({where})." + (f" {flagged}" if flagged else ""))
        elif lever == "workforce_supply":
            where = listing([f"{names.role(e)} {least_fte(a)}" for e, a in pairs])
            sentences.append(f"{least_fte(total)} FTE above the hiring limits ({where}).")
        elif lever == "standards":
            services = group.entity.str.split(" / ").str[-1]
            cuts = group.groupby(services, sort=False)["share_of_limit"].agg(["count", "max"])
            detail = listing(
                [
                    f"{names.service(service)} at {plural(int(row['count']), 'practice')} "
                    f"(by up to {largest_percent(float(row['max']))})"
                    for service, row in cuts.iterrows()
                ]
            )
            sentences.append(
                percents_alike(f"{number(total)} fewer patients than the minimum standards require: {detail}.", names)
            )
        else:
            sentences.append(
                f"{least_number(total)} {'contact' if total == 1 else 'contacts'} a year above the safe-working caps, "
                f"at {plural(len(group), 'practice-role pair')}."
            )
    return sentences


# --------------------------------------------------------------------------------------
# Summaries of a check
# --------------------------------------------------------------------------------------
def deliverable_summary(
    settings: ScenarioSettings,
    least: float,
    budget: float,
    headroom: float,
    value: float | None,
    spend: float | None,
    stopped: bool,
    checked_at: float | None = None,
) -> str:
    """``value``, ``spend``: the objective's (None: its solve found no allocation in time);
    ``checked_at``: the share of every minimum standard the check was run at (None: as written).
    Per-practice budgets leave no money spare in total: one practice's cannot fund another."""
    least_text, budget_text, spare_text = gap_figures(least, budget)
    share = spare_percent(headroom / budget) if budget > 0 else "n/a"
    at = "" if checked_at is None else f" with {standards_checked_at(checked_at)}"
    if settings.budget_mode == "pooled":
        against = f"against a budget of {budget_text}, leaving {spare_text} spare ({share} of the budget)"
    else:
        against = f"against practice budgets totalling {budget_text}, each practice within its own budget"
    summary = f"The spec is deliverable{at}. Its least cost is {least_text} a year {against}."
    if value is None or spend is None:  # the objective's own solve found no allocation in time
        if settings.objective in ("max_value", "max_min_coverage"):
            summary += f" The {objective_label(settings.objective)} was not found within the time limit."
    elif settings.objective == "max_value":
        summary += f" The best value reachable is {number(value)} (spending {money(spend)})."
    elif settings.objective == "max_min_coverage":
        summary += (
            f" The fairest allocation brings every practice to at least {highest_percent(value)} coverage "
            f"(spending {money(spend)})."
        )
    if stopped:
        summary += " (The solver stopped at its time limit with a feasible allocation, so this is not proven least.)"
    return percents_alike(summary)


def objective_label(objective: str) -> str:
    return {"min_cost": "least spend", "max_min_coverage": "lowest practice coverage"}.get(objective, "best value")


def money_needed(amount: float, offer: float | None) -> str:
    """Money a pooled budget of ``offer`` is short: the gap as the budget lever's sentence shows it
    beside the offer and the least cost (``gap_figures``), so a page says it one way: £0.29 short of
    £11,560,203 is "£1", never "£0.29" beside "£1" (audit 8, A3); £36,000.01 short of £999.99 is
    "£36,000.01". Without an offer, as ``least_money``."""
    if offer is None:
        return least_money(amount)
    return gap_figures(offer + amount, offer)[2]


def _offer_of(details: Mapping[str, Any]) -> float | None:
    offer = details.get("budget_gbp")
    return float(offer) if isinstance(offer, int | float) and not isinstance(offer, bool) else None


def undeliverable_summary(
    settings: ScenarioSettings,
    conflict_sentences: list[str],
    levers: list[Any],
    checked_at: float | None = None,
    names: Names | None = None,
) -> str:
    """``levers``: objects with ``lever``, ``fixable``, ``amount`` and ``details``; ``checked_at``: the
    share of every minimum standard the check was run at (None: as written); ``names``: the
    scenario's, which the conflict's sentences quote and ``percents_alike`` leaves as written."""
    if settings.budget_mode == "pooled":
        money_text = f"a budget of {offer_money(float(settings.budget_gbp or 0.0))} a year"
    else:
        money_text = (
            f"an offer of {rate_money(float(settings.offer_rate_gbp_per_weighted_patient or 0.0))} per weighted patient"
        )
    phrases = conflict_sentences[1:]
    shown = [s[0].lower() + s[1:-1] for s in phrases[:6]]
    conflict_text = "; ".join(shown) + (f"; and {len(phrases) - 6} more" if len(phrases) > 6 else "")
    fixes = []
    by_name = {lever.lever: lever for lever in levers}
    budget = by_name["budget"]
    if budget.fixable and budget.amount is not None:
        if settings.budget_mode == "pooled":
            share = budget.details.get("shortfall_share")
            rise = f" ({rise_percent(share)})" if share else ""
            fixes.append(f"{money_needed(budget.amount, _offer_of(budget.details))} more a year{rise}")
        else:
            fixes.append(f"{least_rate(budget.amount)} more per weighted patient on the offer")
    supply = by_name["workforce_supply"]
    if supply.fixable and supply.amount is not None:
        fixes.append(f"{least_fte(supply.amount)} more FTE than the hiring limits allow")
    standards = by_name["standards"]
    if standards.fixable and standards.amount is not None:
        written = "" if checked_at is None else AS_WRITTEN
        fixes.append(f"every minimum standard cut to {highest_percent(standards.amount)} of its level{written}")
    safe = by_name["safe_working"]
    if safe.fixable and safe.amount is not None:
        bound = "" if safe.details.get("exact", True) else "at most "
        fixes.append(f"{bound}{least_number(safe.amount)} more contacts per FTE-day than the safe-working cap")
    floor = by_name.get("practice_floor")
    if floor is not None and floor.fixable and floor.amount is not None:
        fixes.append(f"every practice's floor cut to {highest_percent(floor.amount)} of its level")
    cannot = [_LEVER_NOUNS[lever.lever] for lever in levers if lever.fixable is False]
    at = "" if checked_at is None else f", with {standards_checked_at(checked_at)},"
    text = f"The spec is not deliverable with {money_text}{at} and the workforce that exists or can be hired. " + (
        f"The requirements that conflict are: {conflict_text}. " if conflict_text else f"{NO_CONFLICT_FOUND} "
    )
    if fixes:
        text += "Any one of these would make it deliverable on its own: " + "; or ".join(fixes) + ". "
    if cannot:
        text += f"On its own, {' or '.join(cannot)} cannot make it deliverable."
    return percents_alike(text.strip(), names)


def no_answer_summary(message: str) -> str:
    """``message``: HiGHS' words for how the solve ended; only a time limit is worth more time."""
    if "time limit" in message.lower():
        return (
            "No answer in time: the solver stopped at its time limit without deciding whether the spec is "
            "deliverable. Try a longer time limit."
        )
    return (
        "No answer: the solver could not decide whether the spec is deliverable (a numerical difficulty, "
        "not the time limit, so a longer time limit will not help)."
    )


# --------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------
NO_SENSITIVITY_SOLUTION = "No sensitivity: there is no solution to take shadow prices from."
NO_SENSITIVITY_DUALS = "No sensitivity: the solver gave no duals."


def _effect(objective: str, amount: float, per: str = "") -> str:
    tail = f" {per}" if per else ""
    if objective == "min_cost":
        if abs(amount) < 1e-9:
            return f"does not change the least spend{tail}"
        return f"{'adds' if amount > 0 else 'saves'} {money(abs(amount))} a year{tail}"
    if objective == "max_min_coverage":
        if abs(amount) < 1e-12:
            return f"does not change the lowest practice coverage{tail}"
        verb = "raises" if amount > 0 else "lowers"
        return f"{verb} the lowest practice coverage by {number(abs(amount) * 100, 4)} points{tail}"
    if abs(amount) < 1e-12:
        return f"does not change the best value{tail}"
    return f"{'adds' if amount > 0 else 'loses'} {number(abs(amount), 4)} value{tail}"


def price_unit(objective: str, per: str) -> str:
    unit = {"min_cost": "£/year", "max_min_coverage": "lowest coverage (share)"}.get(objective, "value")
    return f"{unit} {per}"


# --- how far a shadow price holds -------------------------------------------------------------
# A shadow price is the rate at which the objective changes at the margin; it holds only while the
# solve's basis stays optimal (HiGHS' ranging: ``holds``, in the sentence's unit; math.inf: however
# far; None: not known). A sentence states the effect of a whole unit ("One more ... FTE saves
# £1,000 a year") only where that range covers the unit; otherwise it states the rate and how far
# it holds ("saves £50,000 a year per FTE, but only for the first 0.02 FTE"). A range is rounded
# down at the precision shown: it never claims more than holds.


def _down_number(value: float) -> str:
    """A number rounded down at ``number``'s precision (how far a price holds, never more)."""
    if value <= 0:
        return "0"
    step = 1.0 if value >= 100 else 0.01 if value >= 1 else 10.0 ** (math.floor(math.log10(value)) - 2)
    return number(_towards_sufficiency(value, step, up=False))


def _holds_in_units(unit: str, plural_unit: str | None = None) -> Callable[[float], str]:
    return lambda value: f"{_down_number(value)} {unit if _down_number(value) == '1' else (plural_unit or unit)}"


def _holds_in_money(value: float) -> str:
    return spare_money(value) if value >= 0.01 else f"£{_down_number(value)}"


def _holds_in_rate(value: float) -> str:
    shown = (
        rate_money(_towards_sufficiency(value, RATE_STEP, up=False))
        if value >= RATE_STEP
        else f"£{_down_number(value)}"
    )
    return f"{shown} per weighted patient"


def _priced(
    objective: str,
    whole: str,
    rate: str,
    y: float,
    step: float,
    per: str,
    holds: float | None,
    amount: Callable[[float], str],
) -> str:
    """A shadow price ``y`` (per unit of the limit) in words. ``whole``: the subject for one ``step``
    of the limit ("One more Salaried GP FTE available to hire"); ``rate``: the subject for the rate
    ("More Salaried GP FTE available to hire"), said ``per`` ("per FTE") a ``step``; ``holds``: how
    many units it holds for; ``amount``: such a number of units in words ("0.02 FTE")."""
    if holds is None:
        return f"{rate} {_effect(objective, y * step, per)} at the margin (how far that holds is not known)"
    if math.isinf(holds):
        again = "" if abs(y) < 1e-12 else ", and as much again for each further step"
        return f"{whole} {_effect(objective, y * step)}{again}, however far it is raised"
    if holds >= step * (1 - 1e-9):
        return f"{whole} {_effect(objective, y * step)} (at that rate for up to {amount(holds)} in all)"
    if holds <= _NOISE * step:
        return (
            f"{rate} {_effect(objective, y * step, per)} at the margin only: that does not hold for any raise, "
            "however small (re-solve to see the effect of one)"
        )
    return (
        f"{rate} {_effect(objective, y * step, per)}, but only for the first {amount(holds)}; "
        "beyond that the effect may differ (re-solve to see)"
    )


def budget_price_sentence(objective: str, y: float, holds: float | None = None) -> str:
    """``holds``: how many £ of budget the price holds for (see ``_priced``)."""
    step = 1.0 if objective == "min_cost" else 1_000.0
    unit = "£1" if step == 1 else "£1,000"
    sentence = _priced(
        objective,
        f"Each extra {unit} of budget",
        "More budget",
        y,
        step,
        f"per {unit} of budget",
        holds,
        _holds_in_money,
    )
    if objective == "max_value":
        sentence += f" ({number(y, 4)} value per £)"
    return sentence + "."


def offer_rate_price_sentence(objective: str, y: float, binding: int, holds: float | None = None) -> str:
    """``holds``: how many £ per weighted patient the price holds for."""
    whole = "Each extra £1 per weighted patient on the offer rate"
    rate = "A higher offer rate"
    sentence = _priced(objective, whole, rate, y, 1.0, "per £1 per weighted patient", holds, _holds_in_rate)
    return f"{sentence} ({plural(binding, 'practice')} budget-bound)."


def supply_price_sentence(
    objective: str, role: str, y: float, names: Names = NO_NAMES, holds: float | None = None
) -> str:
    """``holds``: how many more FTE available to hire the price holds for."""
    whole = f"One more {names.role(role)} FTE available to hire"
    rate = f"More {names.role(role)} FTE available to hire"
    return _priced(objective, whole, rate, y, 1.0, "per FTE", holds, _holds_in_units("FTE")) + "."


def gp_floor_price_sentence(objective: str, y: float, binding: int, holds: float | None = None) -> str:
    """``y``: per FTE per 10,000 weighted patients; ``holds``: in FTE per 10,000 weighted patients."""
    unit = "FTE per 10,000 weighted patients"
    whole = f"Raising the GP floor by 0.1 {unit}"
    sentence = _priced(
        objective, whole, "Raising the GP floor", y, 0.1, f"per 0.1 {unit}", holds, _holds_in_units(unit)
    )
    return f"{sentence} (binding at {plural(binding, 'practice')})."


def gp_target_price_sentence(objective: str, y: float, holds: float | None = None) -> str:
    """``holds``: how many GP FTE on the target the price holds for."""
    whole = "Each extra GP FTE on the area-wide target"
    rate = "Raising the area-wide GP target"
    return _priced(objective, whole, rate, y, 1.0, "per FTE", holds, _holds_in_units("FTE")) + "."


def standard_price_sentence(
    objective: str, service: str, min_coverage: float, y: float, names: Names = NO_NAMES, holds: float | None = None
) -> str:
    """``holds``: how many percentage points of the standard the price holds for."""
    whole = f"Raising the {names.service(service)} standard by one percentage point (from {percent(min_coverage)})"
    rate = f"Raising the {names.service(service)} standard (from {percent(min_coverage)})"
    points = _holds_in_units("percentage point", "percentage points")
    return _priced(objective, whole, rate, y, 1.0, "per percentage point", holds, points) + "."


def binding_sentence(binding: list[dict[str, Any]]) -> str:
    """``binding``: rule families with how many of their rule instances are at their limit."""
    reached = "; ".join(f"{family_label(b['rule'])} ({b['binding_rows']:,} of {b['rows']:,})" for b in binding)
    return f"Limits reached by this allocation: {reached or 'none'}."


# --------------------------------------------------------------------------------------
# Text report (commission check)
# --------------------------------------------------------------------------------------
def check_text_lines(result: dict[str, Any]) -> list[str]:
    """What `commission check` prints for a check result (its JSON): ``report_lines`` with the
    scenario's data warnings after the verdict and the line saying what was solved, before the
    summary. A budget that reads as a rate is the report's own hint already: not said twice."""
    lines = report_lines(result)
    hint = rate_as_budget_note(result, option=None)
    warnings = [warning for warning in result["data_warnings"] if warning["message"] != hint]
    return [*lines[:2], *data_warning_lines(warnings), *lines[2:]]


def report_lines(result: dict[str, Any]) -> list[str]:
    """A short plain-text report of a check result for a non-technical reader."""
    verdict = verdict_label(result.get("deliverable"), result.get("status"))
    fraction = result.get("standards_fraction")
    if isinstance(fraction, int | float):
        verdict += f", with {standards_checked_at(float(fraction))}"
    solver = result.get("solver") or {}
    lines = [
        f"Verdict: {verdict}",
        f"(scenario {str(result.get('scenario_hash', ''))[:12]}, {solver.get('name', '')} {solver.get('version', '')},"
        f" {plural(int(result.get('solves', 0)), 'solve')} in {result.get('seconds', 0.0):.1f}s)",
        "",
        result.get("summary", ""),
    ]
    hint = rate_as_budget_note(result)
    if hint:
        lines += ["", hint]
    conflict = result.get("conflict")
    if conflict and conflict.get("rules"):
        lines += ["", "Why: these requirements cannot all be met together"]
        lines += [f"  - {sentence}" for sentence in conflict["sentences"][1:]]
        if conflict.get("irreducible") is False:
            lines.append(f"  ({CONFLICT_NOT_PROVEN})")
        else:
            how = CONFLICT_METHODS.get(conflict.get("method", ""), conflict.get("method", ""))
            lines.append(f"  (dropping any one of these would make the rest possible: {how})")
    if result.get("deliverable") is False:
        lines += ["", "What would make it deliverable, one change at a time (everything else unchanged):"]
        for lever in result.get("levers", []):
            lines.append(f"  - {LEVER_TITLES.get(lever['lever'], lever['lever'])}: {lever['sentence']}")
        relaxed = result.get("relaxation") or {}
        if relaxed.get("sentences") and relaxed.get("package") is None:
            lines += ["", *relaxed["sentences"]]
        elif relaxed.get("sentences"):
            if relaxed.get("weights") and not any(relaxed["weights"].values()):
                lines += ["", ALL_WEIGHTS_ZERO_NOTE]
            weights = ", ".join(f"{_LEVER_NOUNS.get(k, k)} {v:g}" for k, v in relaxed.get("weights", {}).items())
            package, *where = relaxed["sentences"]
            lines += ["", f"{package} (Weights: {weights}.)"]
            lines += [f"  - {sentence}" for sentence in where]
    elif result.get("deliverable"):
        for lever in result.get("levers", []):
            if lever["lever"] == "practice_floor":
                lines += ["", f"{LEVER_TITLES['practice_floor']}: {lever['sentence']}"]
    return lines


# --------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------
def budget_sweep_summary(
    pooled: bool,
    current: float | None,
    marked: float | None,
    mark_status: str = "optimal",
    unanswered: Sequence[float] = (),
    points: int = 0,
) -> str:
    """A budget sweep in a sentence or two: the least deliverable budget (offer rate) when its solve
    proved it, judged against ``current`` (None: the scenario writes no offer in the swept budget
    mode, e.g. a per-practice scenario swept over pooled budgets), that none exists only when its
    solve proved the spec infeasible at any budget, and what the sweep did not find (``mark_status``
    the mark solve's status; ``unanswered`` the budgets, or rates, of the points without an answer,
    of ``points``)."""
    if marked is not None:
        least = (
            f"a budget of {least_money(marked)} a year"
            if pooled
            else f"an offer of {least_rate(marked)} per weighted patient"
        )
        summary = f"The spec becomes deliverable from {least}"
        if current is None:
            summary += "."
        else:
            verdict = "deliverable" if current >= marked * (1 - 1e-9) else "not deliverable"
            summary += f"; at the current {money(current) if pooled else rate_money(current)} it is {verdict}."
    elif mark_status == "infeasible":
        summary = "No budget makes the spec deliverable: something other than money stops it (run commission check)."
    else:
        least = "least budget" if pooled else "least offer rate"
        summary = f"The {least} at which the spec is deliverable {not_found(mark_status)}."
    return summary + sweep_points_unanswered(
        unanswered, points, "budgets" if pooled else "offer rates", money if pooled else _per_weighted_patient
    )


def _per_weighted_patient(rate: float) -> str:
    return f"{rate_money(rate)} per weighted patient"


def not_found(status: str | None) -> str:
    """What a solve that ended without an answer did not do: "was not found within the time limit"."""
    return "was not found within the time limit" if status == "time_limit" else "was not found (the solver failed)"


def sweep_points_unanswered(unanswered: Sequence[float], points: int, what: str, label: Callable[[float], str]) -> str:
    """The sentence " No answer within the time limit at 2 of 9 budgets (£5.00m, £7.50m): …", or "" when every
    point has one. A point stopped at its limit with a solution has an answer (docs/batch.md)."""
    if not unanswered:
        return ""
    where = (
        f"any of the {points} {what}"
        if len(unanswered) == points
        else f"{len(unanswered)} of {points} {what} ({listing([label(v) for v in unanswered])})"
    )
    return (
        f" No answer within the time limit at {where}: the solver stopped before finding a solution, "
        "so nothing is said about deliverability there. Try a longer time limit."
    )


# What each sweep is called, by the range swept (its result's "sweep", optimiser.units.SWEEP_RANGES).
SWEEP_NAMES = {"budget": "budget", "offer_rate": "offer-rate", "standards": "standards"}


def sweep_title(kind: str, objective: str) -> str:
    """A sweep's table title: "offer-rate sweep (max_value)"."""
    return f"{SWEEP_NAMES.get(kind, kind)} sweep ({objective})"


def budget_sweep_mark_label(pooled: bool) -> str:
    return (
        "least budget at which the spec is deliverable"
        if pooled
        else "least offer rate at which the spec is deliverable"
    )


# --- sweeps by range: the desk's label of a sweep job (audit 7, A13) ------------------------------------------------
def swept_range(swept: str, start: float, stop: float, points: int) -> str:
    """What a sweep job swept, in place of an offer: "budgets £10,000 to £60,000 (3 points)";
    ``swept`` is its range override: budget, offer_rate or standards."""
    if swept == "budget":
        return f"budgets {money(start)} to {money(stop)} a year ({plural(points, 'point')})"
    if swept == "offer_rate":
        rates = f"{rate_money(start)} to {rate_money(stop)}"
        return f"offer rates {rates} per weighted patient a year ({plural(points, 'point')})"
    return percents_alike(
        f"every minimum standard at {percent(start)} to {percent(stop)} of its level ({plural(points, 'point')})"
    )


def standards_sweep_summary(
    pooled: bool,
    marked: float | None,
    budget: float,
    highest: float | None,
    full_status: str = "optimal",
    highest_status: str = "optimal",
    unanswered: Sequence[float] = (),
    points: int = 0,
) -> str:
    """A standards sweep in a sentence or two: the least cost of the full standards and how far they
    can be met within the budget, each only as its solve found it (``full_status``,
    ``highest_status``: those solves' statuses), and the fractions without an answer (as above)."""
    money_text = "a budget of" if pooled else "practice budgets totalling"
    missing = sweep_points_unanswered(unanswered, points, "levels of the standards", percent)
    if marked is None and full_status == "infeasible":
        return percents_alike(
            "The full standards cannot be met at any cost: something other than money stops it." + missing
        )
    if marked is None:
        summary = f"The least cost of meeting every minimum standard in full {not_found(full_status)}"
    else:
        summary = (
            f"The least cost of meeting every minimum standard in full is {money(marked)} a year "
            f"against {money_text} {money(budget)}"
        )
    if highest is not None:
        summary += f"; within the budget the standards can be met up to {highest_percent(highest)} of their level."
    elif highest_status == "infeasible":
        summary += "; within the budget not even 0% of the standards can be met."
    else:
        summary += f"; how far they can be met within the budget {not_found(highest_status)}."
    return percents_alike(summary + missing)


STANDARDS_SWEEP_MARK_LABEL = "least budget at which the full spec is deliverable"

# The frontier chart's titles, axes and legend entries.
CHART = {
    "budget_title": "Best value against budget",
    "budget_axis": "budget (£m a year)",
    "offer_axis": "offer rate (£ per weighted patient a year)",
    "value_axis": "value (weighted patients covered)",
    "value_with_standards": "best value, minimum standards met",
    "value_without_standards": "best value without minimum standards",
    "coverage_axis": "coverage (share of eligible patients)",
    # The all-services lines: the value covered as a share of covering every eligible patient.
    "all_services": "all services, value-weighted",
    "all_services_without_standards": "all services, value-weighted, without minimum standards",
    # Over the coverage panel's legend: every line but the one marked without them is of plans meeting them.
    "coverage_legend_title": "minimum standards met unless said otherwise",
    "current": "current",
    "standards_title": "Least cost against the level of the minimum standards",
    "standards_axis": "share of every minimum standard (%)",
    "least_cost_axis": "least cost (£m a year)",
    "least_cost": "least cost",
    "budget": "budget",
    # fair shares (docs/fairness.md): a budget sweep under max_min_coverage
    "fair_budget_title": "Fairest coverage against budget",
    # An offer-rate sweep (per practice): the frontier against the offer rate, not a budget.
    "offer_rate_title": "Best value against offer rate",
    "fair_offer_rate_title": "Fairest coverage against offer rate",
    "lowest_coverage_axis": "lowest practice coverage (value-weighted share)",
    "lowest_coverage": "lowest practice coverage, minimum standards met",
    "lowest_coverage_without_standards": "lowest practice coverage without minimum standards",
}


def millions_ticks(values: list[float]) -> list[str]:
    """An axis's ticks in £m (``values`` in £m), all to the same decimals: the fewest that show
    every tick exactly to the penny, so no two ticks read alike and none is rounded down
    (£10,000 to £12,000: "£0.0100m", "£0.0105m", …, not "£0.01m" for both £10,000 and £10,500).
    A tick between pennies (never one of a matplotlib axis over pounds) is shown to the penny
    above it."""
    decimals = max((_decimals_to_the_penny(value) for value in values), default=0)
    step = 10.0**-decimals
    # Up to the step shown: a tick is never read as less than it is (0.0 for -0.0).
    return [f"£{math.ceil(round(value / step, 6)) * step + 0.0:,.{decimals}f}m" for value in values]


# A penny in £m: the finest a tick is shown to.
_PENNY_DECIMALS = 8


def _decimals_to_the_penny(value: float) -> int:
    """The fewest decimals of £m that show ``value`` (£m) exactly, at most a penny's."""
    for decimals in range(_PENNY_DECIMALS + 1):
        if abs(round(value, decimals) - value) <= 1e-6 * 10.0**-decimals:
            return decimals
    return _PENNY_DECIMALS


def deliverable_from(marked: float, pooled: bool) -> str:
    if pooled:
        return f"deliverable from {least_money(marked)}"
    return f"deliverable from {least_rate(marked)} per weighted patient"


def full_standards_from(marked: float) -> str:
    return f"full standards: least cost {money(marked)}"


def within_budget_up_to(highest: float) -> str:
    return f"within budget up to {highest_percent(highest)}"


# --------------------------------------------------------------------------------------
# Two offers side by side (optimiser/report/compare.py)
# --------------------------------------------------------------------------------------
# What a section's figures are read from: a solve's allocation, a check's least-cost
# allocation (least_cost_allocation), or a check's standards lever.
COMPARE_BASIS = {
    "solve": "the solve's allocation",
    "least_cost": "least-cost plan",
    "reachable": "coverage reachable at the offer, every standard lowered alike",
}
# The unit of the per-practice differences.
COMPARE_PRACTICE_UNITS = {
    "shortfall_share": "needed above an equal share of the offer in the least-cost plan, £ a year",
    "spend": "spend £ a year",
    "spend_mixed": "spend £ a year (a solve: its allocation; a check: its least-cost plan)",
    "spend_plans": "spend £ a year in the least-cost plan",
    "shortfall_rate": "shortfall £ a year",
    "patients": "patients short of the standards",
}
COMPARE_NO_HIRES = "only a solve or a check's least-cost plan reports hires"
COMPARE_SPEND_MIXED_NOTE = (
    "A check makes no allocation within its offer: its figure is what each practice needs in the "
    "least-cost plan that meets every standard; the solve's is what its allocation spends."
)


def compare_basis(basis_a: str, basis_b: str) -> str:
    """The section label's qualifier: one basis, or each side's when they differ."""
    a, b = COMPARE_BASIS[basis_a], COMPARE_BASIS[basis_b]
    return a if a == b else f"A: {a}; B: {b}"


def compare_measured_differently(unit_a: str, unit_b: str) -> str:
    return f"The two results measure practices differently (A: {unit_a}; B: {unit_b}); no per-practice difference."


COMPARE_NOT_IN = "not in this result"
COMPARE_SAME = "same"
COMPARE_NO_ALLOCATION = "no allocation within the offer"


def compare_verdict(deliverable: object, status: object = None) -> str:
    """The verdict's own words in sentence case ("Not deliverable"), for a table cell."""
    return verdict_label(deliverable, status).capitalize()


# The headline rows, in the order a side adds them.
COMPARE_HEADLINE = {
    "verdict": "Verdict",
    "offer": "Offer (budget)",
    "spend": "Spend",
    "least_cost": "Least cost",
    "new_fte": "New FTE in total",
    "spare": "Spare",
    "rate": "Offer per weighted patient",
    "needed_rate": "Least offer per weighted patient",
    "practices_short": "Practices short",
    "total_shortfall": "Total shortfall of those practices",
    "shortfall": "Shortfall",
    "plan_practices_short": "Practices needing more than an equal share of the offer (least-cost plan)",
    "plan_total_shortfall": "Needed above an equal share by those practices in total (least-cost plan)",
    "plan_new_fte": "New FTE in total (least-cost plan)",
    "standards_reachable": "Standards reachable (share of every minimum)",
    "safe_working_raise": "Safe-working raise needed (contacts per FTE-day)",
    "floor_cost": "Practice floor: cost a year",
    "floor_losers": "Practice floor: practices that would otherwise lose",
    # fair shares (docs/fairness.md): who gains and who loses
    "lowest_coverage": "Lowest practice coverage (share)",
    "gini": "Gini of £ per weighted patient",
    "below_prior": "Practices below prior funding",
    "below_prior_shortfall": "Their shortfall against prior funding",
}
COMPARE_HEADLINE_GROUP = "Headline"
COMPARE_FTE_GROUP = "New FTE by role"
COMPARE_ALL_ROLES = "all roles"


def compare_new_fte_total(basis: str) -> str:
    """The one headline row of new FTE in total when a solve is compared with a check (``basis``:
    compare_basis of the two), where each alone says "New FTE in total" or "... (least-cost plan)"."""
    return f"{COMPARE_HEADLINE['new_fte']} ({basis})"


def compare_coverage_group(basis: str) -> str:
    """``basis``: what the figures are read from (compare_basis, or COMPARE_BASIS)."""
    return f"Coverage by service ({basis})"


def compare_fte_group(basis: str) -> str:
    return f"{COMPARE_FTE_GROUP} ({basis})"


def compare_practice_section(unit: str) -> str:
    """The download's section for the per-practice rows."""
    return f"per practice: {unit}"


# --------------------------------------------------------------------------------------
# Reader's view: the desk page and the PDF report (optimiser/report/view.py)
# --------------------------------------------------------------------------------------
NOT_AVAILABLE = "not available"


def lever_amount(
    lever: str,
    value: float,
    per_practice: bool = False,
    floor_cost: bool = False,
    offer: float | None = None,
    floor_between: tuple[float, float] | None = None,
) -> str:
    """A lever card's amount: "£17,000 more a year", "92.5% of every minimum standard".

    ``floor_cost``: the practice floor's amount is its cost in £ a year (a deliverable check),
    not the share of every floor that fits; ``offer``: the pooled budget the money adds to
    (``money_needed``); ``floor_between``: the least spend with the floor and without it, so the
    floor's cost reads as its sentence gives it beside them (``floor_cost_sentence``)."""
    if lever == "budget":
        if per_practice:
            return f"{least_rate(value)} more per weighted patient a year"
        return f"{money_needed(value, offer)} more a year"
    if lever == "standards":
        return f"{highest_percent(value)} of every minimum standard"
    if lever == "safe_working":
        return f"{least_number(value)} more contacts per FTE-day"
    if lever == "practice_floor":
        if not floor_cost:
            return f"{highest_percent(value)} of every practice's floor"
        cost = gap_figures(*floor_between)[2] if floor_between is not None and value > 0 else least_money(value)
        return f"{cost} a year"
    return f"{least_fte(value)} more FTE"


# --- the verdict ------------------------------------------------------------------------
NO_ANSWER_IN_TIME = "No answer in time: the solver stopped at its time limit."


def verdict_deliverable(least: str, budget: str, spare: str, per_practice: bool) -> str:
    """``least``, ``budget``, ``spare``: the figures as shown (``gap_figures``). Per-practice budgets
    leave nothing "spare" in total: one practice's money cannot fund another."""
    if per_practice:
        return (
            f"Deliverable: every practice can deliver the specification within its own budget; its least "
            f"cost is {least} a year against practice budgets totalling {budget}."
        )
    return (
        f"Deliverable: the least cost of the specification is {least} a year against the offer of {budget}, "
        f"leaving {spare} spare."
    )


def verdict_rate_short(rate: str, practices_short: int, practices_short_text: str, needed: str) -> str:
    """An offer per weighted patient that leaves ``practices_short`` practices unable to deliver."""
    who = "1 practice cannot" if practices_short == 1 else f"{practices_short_text} practices cannot"
    return (
        f"Not deliverable: at {rate} per weighted patient {who} deliver "
        f"the specification; every practice can from {needed} per weighted patient."
    )


def verdict_budget_short(budget: str, shortfall: str, least: str) -> str:
    return (
        f"Not deliverable: the offer of {budget} a year is {shortfall} short of the "
        f"least cost of the specification, {least} a year."
    )


# --- the offer against the least cost ---------------------------------------------------
OFFER_ROWS = {
    # a deliverable check
    "offer": "Offer",
    "budgets_in_total": "Practice budgets in total",
    "least_cost": "Least cost of the specification",
    "spare": "Spare",
    "spare_share": "Spare, share of the offer",
    "above_least": "Budgets above the least cost, in total (no practice's can fund another)",
    "above_least_share": "Budgets above the least cost, share of the budgets",
    # an offer per weighted patient that is not deliverable
    "rate": "Offer, per weighted patient a year",
    "needed_rate": "Least offer at which every practice can deliver",
    "extra_rate": "Difference per weighted patient",
    "practices_short": "Practices short at the offer",
    "total_shortfall": "Their shortfall in total, a year",
    # a pooled budget that is not deliverable
    "offer_a_year": "Offer, a year",
    "least_cost_a_year": "Least cost of the specification, a year",
    "shortfall": "Shortfall, a year",
    "shortfall_share": "Shortfall, share of the offer",
}

# --- practices most short ---------------------------------------------------------------


def practices_short_at_rate_caption(shown: int, short: int) -> str:
    return f"Practices that cannot deliver at the offered rate, largest shortfall first ({shown} of {short} shown)."


PRACTICES_SHORT_AT_RATE_COLUMNS = ("Practice", "Budget at the offer", "Short by", "Needs", "Needs per weighted patient")


def pooled_short_caption(deliverable: object, shown: int, short: int) -> str:
    """A pooled offer's practices that need more than their share of it in the least-cost allocation
    (``shown`` of the ``short`` ones are listed)."""
    if deliverable is True and not short:
        return (
            "Every practice can deliver the specification with this offer: the pooled budget covers the "
            "least cost, and in the least-cost allocation no practice needs more than its share of the "
            "offer split by weighted patients."
        )
    # The equal-share split is explained once, here (audit 10, #2: a second paragraph said it again).
    listed = f" ({shown} of {short} shown)" if short > shown else ""
    table = (
        f"largest shortfall first{listed}: what each needs, its share, and the money it needs on top of that share. "
        "That money is not the offer's shortfall: the other practices need less than their equal share, which "
        "offsets it"
    )
    if deliverable is True:
        return (
            "Every practice can deliver the specification with this offer: the pooled budget covers the least "
            "cost. Split equally per weighted patient, the least-cost allocation of the specification would leave "
            f"the practices below short of their share, {table} (here in full: the pooled budget carries these "
            "practices)."
        )
    return (
        "Practices that need more than an equal share of the offer (split by weighted patients) in the "
        f"least-cost allocation of the specification, {table}, and what remains is the offer's shortfall."
    )


# How the rows of practices short are rounded, said under the table (audit 10, #2 and #5).
PRACTICES_ROUNDING_NOTE = (
    "Money to the pound (to the penny where a practice needs under £100): each practice's share of the "
    "offer, or budget at the offer, to the nearest pound; what it is short by rounded up, so that it "
    "suffices (as the sentences give it); what it needs is the two added, so each row "
    "adds up as shown and may read up to £1.50 from the plan's exact figure. The total is the rows' "
    "shortfalls added up where every practice short is listed, else their exact total rounded up."
)


POOLED_PRACTICES_COLUMNS = ("Practice", "Needs, a year", "Share of the offer", "Short by")


def standards_shortfall_caption(shown: int, pairs: int) -> str:
    """Practices below the standards in the smallest combined change (a pooled budget, not deliverable)."""
    return (
        "Practices carrying the largest shortfall in the smallest combined change: patients below the "
        f"minimum standard, largest first ({shown} of {pairs} practice-service pairs shown). "
        "With one pooled budget the money is not split by practice; check the same money as a rate per "
        "weighted patient to see what each practice would need."
    )


STANDARDS_SHORTFALL_COLUMNS = ("Practice", "Service", "Patients short", "Percentage points of coverage")
EVERY_PRACTICE_CAN_DELIVER = "Every practice can deliver the specification with this offer."
NO_PRACTICES_WITHOUT_VERDICT = "With no verdict, there is nothing to say about which practices could deliver."
PRACTICES_SUMMARY_ROWS = {
    "practices_short": "Practices needing more than an equal share of the offer per weighted patient",
    "practices": "Of practices in the scenario",
    "total_shortfall": "Needed above an equal share, by those practices in total, a year",
}
# The summary table's caption for assistive technology (its explanation is in ``pooled_short_caption``).
PRACTICES_SUMMARY_CAPTION = "Practices needing more than an equal share of the pooled offer, in total"

# --- fair shares: who gets what (docs/fairness.md) --------------------------------------
DISTRIBUTION_MEASURES = {
    "spend_gbp_per_weighted_patient": "£ per weighted patient",
    "coverage": "Coverage of eligible patients (value-weighted)",
}
DISTRIBUTION_CAPTION = (
    "Who gets what in the least-cost allocation of the specification: the lowest and highest practice, "
    "and the spread across practices weighted by their patients (Gini: 0 is an equal share for every "
    "weighted patient; 90/10: the 90th percentile over the 10th)."
)


DATA_NOTED = "its data carry a note"


# One column, one precision: the fair-shares tables show each figure at a fixed precision (83.0%
# between 83.5% and 82.9%, never 83%), the same in the CLI, the desk and the PDF.
def per_patient_money(value: float) -> str:
    """£ per weighted patient, to the penny: £48.75, £125.00 (``rate_money``)."""
    return rate_money(value)


def table_share(share: float) -> str:
    """A share in a table column, to one decimal: 83.0%."""
    return f"{share:.1%}"


def table_highest_share(share: float) -> str:
    """The highest share that fits (``highest_percent``: rounded down) in a table column, to one
    decimal always: 70.0% beside 47.0% and 80.2%, never 70% (audit 10, #8)."""
    text = highest_percent(share)
    return text if "." in text else f"{text[:-1]}.0%"


def table_ratio(value: float) -> str:
    """A ratio (90/10) to two decimals: 1.00."""
    return f"{value:,.2f}"


def table_gini(value: float) -> str:
    """A Gini coefficient to three decimals: 0.042."""
    return f"{value:.3f}"


def table_number(value: float) -> str:
    """Another figure in a table column (new FTE per 1,000 weighted patients) to three decimals."""
    return f"{value:,.3f}"


def of_practice(shown: str, practice: object, names: Names = NO_NAMES, tied: int = 1) -> str:
    """A figure and the practice it is of: "£21.69 (P0010)", "£21.69 (Synthetic Practice 010, P0010)";
    "£48.75 (SYMPHONY SOUTH HEALTHCARE, L85004; its data carry a note)" when it has a data_note;
    "£0.00 (49 practices, e.g. FRENCH WEIR HEALTH CENTRE, L85001)" where ``tied`` practices share the
    figure, so none is named as the lowest (audit 10, #10)."""
    name = names.practices.get(str(practice))
    flagged = f"; {DATA_NOTED}" if str(practice) in names.notes else ""
    who = str(practice) if name is None or name == str(practice) else f"{name}, {practice}"
    return f"{shown} ({tied_practices(who, tied)}{flagged})"


def tied_practices(who: str, tied: int) -> str:
    """The practice with the lowest (highest) figure, or "49 practices, e.g. L85001" where several tie."""
    return f"{plural(tied, 'practice')}, e.g. {who}" if tied > 1 else who


DISTRIBUTION_COLUMNS = ("Measure", "Lowest practice", "Highest practice", "Gini", "90/10 ratio")
QUINTILE_COLUMNS = (
    "IMD quintile (1 = most deprived)",
    "Practices",
    "£ per weighted patient",
    "New FTE per 1,000 weighted patients",
    "Mean coverage",
)

# --- assumptions: how to reproduce this result ------------------------------------------
ASSUMPTIONS = {
    "scenario": "Scenario",
    "scenario_hash": "Scenario hash",
    "sources": "Data sources and dates",
    "offer": "Offer checked",
    "solver": "Solver",
    "product_version": "Product version",
    "run_at": "Run at",
    "run_time": "Run time",
}
NOT_RECORDED = "not recorded"


def figures_from_solves(is_mip: bool) -> str:
    """The report's closing note on where its figures come from, by the programme's kind: a
    scenario with whole-step hiring (an ``fte_step``) is a mixed-integer programme, not a linear one."""
    kind = "mixed-integer programme (whole-step hiring)" if is_mip else "linear programme"
    return f"Every figure comes from solves of the scenario's {kind} with the offer above."


UNKNOWN = "unknown"


def scenario_hash_label(what_if: bool) -> str:
    """The check hashes the scenario it solved: with a what-if given (an offer, a time limit), the
    scenario as changed, which matches no file or stored version, so the label says so, briefly:
    the row under it says what offer was checked. Kept to one line of the PDF's narrow label column,
    so the same check's report has the same pages whether its offer is typed or the scenario's
    (audit 8, A8: the longer label wrapped to three lines and pushed the box to a fourth page)."""
    return f"{ASSUMPTIONS['scenario_hash']} as checked" if what_if else ASSUMPTIONS["scenario_hash"]


def scenario_label(name: str | None, version: int | None) -> str:
    return f"{name or 'unnamed'}" + (f", version {version}" if version else "")


def data_sources(sources: Sequence[str] | None) -> str:
    return "; ".join(sources) if sources else "none given in the scenario"


def run_time(seconds: float) -> str:
    return f"{seconds:,.1f} s"


# --- the offer a job checked, in words ---------------------------------------------------


def rate_as_budget_note(result: Mapping[str, Any], option: str | None = "--offer-rate") -> str | None:
    """``rate_as_budget_hint`` for a pooled check's result JSON whose budget reads as a rate, else None
    (the budget and the area's weighted patients are the result's ``least_cost_allocation``)."""
    allocation = result.get("least_cost_allocation")
    if result.get("budget_mode") != "pooled" or not isinstance(allocation, Mapping):
        return None
    budget, total = allocation.get("budget_gbp"), allocation.get("weighted_patients")
    if not isinstance(budget, int | float) or not isinstance(total, int | float):
        return None
    return rate_as_budget_hint(float(budget), float(total), option) if budget_looks_like_rate(budget, total) else None


def rate_as_budget_hint(budget: float, weighted_patients: float, option: str | None = "--offer-rate") -> str:
    """The hint beside a check of a pooled budget that reads as a rate (``budget_looks_like_rate``);
    ``option``: how the reader gives a rate (``--offer-rate`` on the command line; None on the desk,
    whose form says "per weighted patient")."""
    rate = f"{budget:.2f}".removesuffix(".00")
    how = f" ({option} {rate})" if option else ""
    return (
        f"A budget of {offer_money(budget)} a year is less than £1 per weighted patient "
        f"({number(weighted_patients)} weighted patients): did you mean an offer of {rate_money(budget)} "
        f"per weighted patient{how}?"
    )


# --- figures that look wrong: another unit, or out of date (models/plausibility.py) -----------
DATA_WARNINGS_HEADING = "Check these figures (they are allowed but look wrong: another unit, or out of date):"


def file_type_needed(what: str, file_type: str, given: str | None = None) -> str:
    """A file name of the wrong type refused, in the words ``commission template`` refuses one in
    ("the template must be an .xlsx file"): ``file_type_needed("report", "a .pdf", "'r.txt'")``
    is "the report must be a .pdf file (got 'r.txt')" (``given`` quoted by the caller)."""
    return f"the {what} must be {file_type} file" + (f" (got {given})" if given is not None else "")


def data_warning_lines(warnings: Sequence[Mapping[str, Any]]) -> list[str]:
    """A result's or a validation's ``data_warnings`` as the text outputs show them: the heading and
    one line each; none if none."""
    if not warnings:
        return []
    return [DATA_WARNINGS_HEADING, *(f"  - {warning}" for warning in located_warnings(warnings))]


def located_warnings(warnings: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each warning located as a problem is: "roles row 1, column cost_per_fte_gbp: ..."."""
    return [str(Problem(w["table"], w["row"], w["column"], w["message"])) for w in warnings]


ALL_WEIGHTS_ZERO = (
    "at least one weight must be above 0: with every weight 0 every combined change counts the same, "
    "so the smallest one would be arbitrary"
)
ALL_WEIGHTS_ZERO_NOTE = (
    "Every weight is 0, so every combined change counts the same: the package below is one of many and is arbitrary."
)


def pooled_budget_offer(budget: float) -> str:
    return f"pooled budget {offer_money(budget)} a year"


def rate_offer(rate: float) -> str:
    return f"{rate_money(rate)} per weighted patient a year"


def standards_offer(fraction: float) -> str:
    return f"every minimum standard at {percent(fraction)} of its level"


def as_in_the_scenario(offer: str) -> str:
    return f"as in the scenario: {offer}"


OFFER_AS_WRITTEN = "the offer written in the scenario"


# --- the frontier chart (optimiser/report/chart.py) ---------------------------------------
# Budget against coverage on the desk page and in the PDF report; CHART above labels the
# sweep command's chart.
REPORT_CHART = {
    "title": "Budget against coverage",
    "budget_axis": "Budget, £ a year",
    "offer_axis": "Offer, £ per weighted patient (wp) a year",
    "coverage_axis": "Eligible patients covered, weighted by value",
    "with_standards": "with every minimum standard met",
    "without_standards": "what the money buys without them",
    "deliverable": "yes",
    "not_deliverable": "no",
    "no_coverage_with_standards": "not deliverable",
    "no_coverage_without_standards": "no answer",
    # A fair-shares sweep (max_min_coverage, docs/fairness.md) maximises the lowest practice's coverage.
    "fair_coverage_axis": "Coverage of the practice covered least",
    "fair_with_standards": "lowest practice, every minimum standard met",
    "fair_without_standards": "lowest practice without them",
}
REPORT_CHART_COLUMNS = (
    "Deliverable",
    "Value-weighted coverage with the standards",
    "Value-weighted coverage without them",
)
REPORT_CHART_FAIR_COLUMNS = (
    "Deliverable",
    "Lowest practice's coverage with the standards",
    "Lowest practice's coverage without them",
)

_Amount = TypeVar("_Amount")


def report_chart_caption(
    *,
    with_standards: bool,
    without_standards: bool,
    fair: bool,
    pooled: bool,
    offer: _Amount | None,
    least: _Amount | None,
) -> list[tuple[str, str, _Amount | None]]:
    """The frontier chart's caption, one (line, what it shows, its amount or None) for each line
    drawn and no other. The lines are what the sweep maximises (docs/desk.md): the value covered
    as a share of the value of covering every eligible patient, which is the share of eligible
    patients covered when every service has the same value weight. A fair-shares sweep maximises
    the lowest practice's coverage instead (docs/fairness.md), with the standards and without them."""
    lines: list[tuple[str, str, _Amount | None]] = []
    if fair:
        lowest = (
            "the coverage of the practice covered least (the value of its eligible patients covered, as a "
            "share of the value of covering them all)"
        )
        if with_standards:
            what = (
                f"{lowest}, as high as the money can raise it with every minimum standard met (only budgets "
                "where that is possible)"
            )
            lines.append(("Solid line, round markers:", what, None))
        if without_standards:
            same = "the same coverage" if with_standards else lowest
            what = f"{same}, as high as the money can raise it with the standards lifted"
            lines.append(("Dashed line, square markers:", what, None))
        return lines + _report_chart_marks(pooled, offer, least)
    share = (
        "the value of the eligible patients covered, as a share of the value of covering them all "
        "(each patient counted at their service's value weight)"
    )
    plan = "the most the money buys"
    if with_standards:
        what = f"{share}, {plan} with every minimum standard met (only budgets where that is possible)"
        lines.append(("Solid line, round markers:", what, None))
    if without_standards:
        # "The same share" only after the line that says which share.
        what = f"{'the same share' if with_standards else share}, {plan} with the standards lifted"
        lines.append(("Dashed line, square markers:", what, None))
    return lines + _report_chart_marks(pooled, offer, least)


def _report_chart_marks(
    pooled: bool, offer: _Amount | None, least: _Amount | None
) -> list[tuple[str, str, _Amount | None]]:
    """The frontier chart caption's vertical lines: the offer and the least deliverable amount."""
    lines: list[tuple[str, str, _Amount | None]] = []
    if offer is not None:
        lines.append(("Dashed vertical line:", "the offer", offer))
    if least is not None:
        least_what = "the least deliverable budget" if pooled else "the least deliverable offer"
        lines.append(("Solid vertical line:", least_what, least))
    return lines


def report_chart_x_column(pooled: bool) -> str:
    """The chart's data table: the first column's heading."""
    return "Budget a year" if pooled else "Offer per weighted patient"


def report_chart_amount(value: float, pooled: bool, least: bool = False) -> str:
    """A budget, or an offer rate per weighted patient ("wp", as the axis explains); ``least``: the
    least deliverable one, rounded up as every amount that suffices."""
    if pooled:
        return least_money(value) if least else money(value)
    return f"{least_rate(value) if least else rate_money(value)}/wp"


def report_chart_ticks(values: Sequence[float], pooled: bool) -> list[str]:
    """The frontier chart's budget axis in one unit, every tick to the decimals the finest needs:
    in £bn when the axis reaches what ``money`` shows in £bn (£999,995,000 and up: "£0", "£0.5bn",
    "£1.0bn"; not "£1,000m"), else in £m when it reaches £1m ("£0", "£0.5m", "£1.0m"; not
    "£500,000" beside "£1.0m"); otherwise each as ``report_chart_amount`` shows it."""
    top = max(values, default=0.0)
    if not pooled or top < 1e6:
        return [report_chart_amount(value, pooled) for value in values]
    scale, unit = (1e9, "bn") if round(abs(top) / 1e6, 2) >= 1_000 else (1e6, "m")
    decimals = max(len(f"{value / scale:.3f}".rstrip("0").partition(".")[2]) for value in values)
    return ["£0" if value == 0 else f"£{value / scale:,.{decimals}f}{unit}" for value in values]


def report_chart_offer(amount: str) -> str:
    return f"Offer {amount}"


def report_chart_least_deliverable(amount: str) -> str:
    return f"Least deliverable {amount}"


# What each line drawn is, in the chart's text alternative (its SVG title in the PDF, its
# description on the desk page): a reader who cannot see the chart hears where each line starts and ends.
REPORT_CHART_LINE_NAMES = {
    "weighted_coverage": "value-weighted coverage with every minimum standard met",
    "no_standards_weighted_coverage": "value-weighted coverage with the standards lifted",
    "lowest_coverage": "the lowest practice's coverage with every minimum standard met",
    "no_standards_lowest_coverage": "the lowest practice's coverage with the standards lifted",
}


def report_chart_alternative(summary: str, lines: Sequence[tuple[str, str, str, str, str]]) -> str:
    """The frontier chart in words, from the sweep's numbers: its summary (the least deliverable
    amount against the offer), then each line drawn, (key, first amount, its share, last amount,
    its share), from its first point to its last."""
    spans = [
        f"{REPORT_CHART_LINE_NAMES[key]} goes from {first_share} at {first} to {last_share} at {last}"
        for key, first, first_share, last, last_share in lines
    ]
    described = "; ".join(spans)
    return f"{summary} {described[0].upper()}{described[1:]}." if spans else summary


def report_chart_swept(pooled: bool) -> str:
    """What a frontier's sweep varied: "From budget sweep job 7." or "From offer-rate sweep job 7."."""
    return "budget" if pooled else "offer-rate"


# --- notes on the frontier (the printable report, optimiser/report/build.py, and the desk) ---------
NO_FRONTIER_ASKED = "No frontier was asked for (--frontier-points 0)."
NO_FRONTIER_RANGE = "No frontier: the check gives no budget to draw it around."
NO_FRONTIER_DRAWN = "No frontier has been drawn for this check."
NO_FRONTIER_NO_ANSWER = "No frontier: the check found no answer in time, so none was drawn."


def no_frontier_submitted(reason: str) -> str:
    """The desk could not queue the check's budget sweep (``reason``: why, as the API says it)."""
    return f"No frontier: the budget sweep could not be submitted ({reason})."


# --- drawing a check's frontier: asked for, never a side effect of reading (audit 12, #10) ------
# The desk's result page offers a button (a POST), the API a route; GET of the page or of the PDF
# submits nothing.
FRONTIER_DRAW_PATH = "/reports/jobs/{job_id}/frontier"


def frontier_not_drawn_desk_sentence(pooled: bool, points: int) -> str:
    """The desk's result page of a check that has an answer and no frontier sweep yet, above its button."""
    swept = report_chart_swept(pooled)
    return (
        f"No frontier has been drawn for this check yet. Drawing it runs a {swept} sweep job "
        f"({plural(points, 'point')}) under your key; this page follows it."
    )


def frontier_not_drawn_pdf_sentence(job_id: str) -> str:
    """The PDF of a check with an answer and no frontier sweep: how to draw it (nothing is submitted by reading)."""
    path = FRONTIER_DRAW_PATH.format(job_id=job_id)
    return (
        f"No frontier has been drawn for this check: draw it with POST {path}, or the "
        f'"{TEMPLATE_WORDS["draw_frontier"]}" button on the check\'s desk page, '
        "then download this report again once its sweep has finished."
    )


def frontier_not_a_check(job_id: str, kind: object) -> str:
    """POST /reports/jobs/{id}/frontier of a job that is not a check (HTTP 409)."""
    return f"job {job_id} is a {kind}: only a check has a frontier to draw"


def frontier_check_unfinished(job_id: str, status: object) -> str:
    """POST /reports/jobs/{id}/frontier of a check with no result yet, or none ever (HTTP 409)."""
    return f"check {job_id} is {status}: only a check that finished with a result has a frontier to draw"


# The desk's page when its *Draw the budget frontier* could not submit the sweep (HTTP 409).
DESK_FRONTIER_NOT_DRAWN_TITLE = "The frontier was not drawn"


# --- the desk's job page without a check's verdict (api/web/templates/result.html) ---------------
def job_heading(kind: str, status: str, job_id: str) -> str:
    """The page's heading, naming the job's kind (check, solve or sweep): "The sweep failed", not
    "The check failed" (audit 9, A11)."""
    if status == "failed":
        return f"The {kind} failed"
    if status == "cancelled":
        return f"The {kind} was cancelled"
    return f"Job {job_id}: {kind}, {status}"


# What a cancelled job leaves unanswered, by its kind: only a check concludes about an offer.
JOB_CANCELLED_UNANSWERED = {
    "check": "Nothing was concluded about the offer.",
    "solve": "No allocation was made.",
    "sweep": "No frontier was drawn.",
}

# --- the words the templates show: the pages and the PDF write none of their own -----------------
# Given to both Jinja environments (api/web/pages.py, optimiser/report/render.py) as ``words``:
# the desk's check page (api/web/templates/result.html) and the PDF report
# (optimiser/report/templates/report.html) read their shared headings and sentences from this
# one mapping, so the page and the report cannot word one section two ways; the desk's other pages
# read their headings, navigation and labels from it too.
TEMPLATE_WORDS = {
    # The reader's view of a check: the desk page and the PDF alike.
    "check_heading": "Is this offer deliverable?",
    "offer_heading": "The offer against the least cost",
    "levers_heading": "What would make it deliverable, one change at a time",
    "lever_cannot": "Cannot make it deliverable on its own",
    "conflict_heading": "The requirements that conflict",
    "frontier_heading": "Budget against coverage",
    "practices_heading": "Practices most short",
    "distribution_heading": "Fair shares: who gets what",
    "assumptions_heading": "Assumptions: how to reproduce this result",
    "version": "version",
    "offer": "offer",
    # The PDF only: what it says without a frontier note, and of a scenario without a name.
    "no_frontier_swept": "No frontier: no budget sweep was run for this check.",
    "unnamed_scenario": "Unnamed scenario",
    "run": "run",
    "page": "page",
    "of": "of",
    "scenario": "scenario",
    # The desk page only.
    "verdict_heading": "Verdict",
    "job": "Job",
    "why_failed": "Why it failed:",
    "no_reason_recorded": "no reason was recorded",
    "problems_caption": "Problems in the scenario, by table, row and column",
    "cancelled": "Cancelled:",
    "cancelled_on_request": "cancelled on request",
    "check_again": "Check it again",
    "finished": "Finished: ",
    "download_pdf": "Download the PDF report",
    "compare_with_another": "Compare with another offer",
    "check_revised": "Check a revised offer",
    "offer_caption": "The offer, the least cost and the difference",
    "levers_hint": "Each change alone, with everything else as offered.",
    "chart_numbers": "The chart's numbers",
    "check_per_weighted_patient": "Check an offer per weighted patient",
    "per_weighted_patient_why": " to see the money each practice would need at one rate for every weighted patient.",
    "distribution_caption": "Distribution across practices of the least-cost allocation",
    "quintiles_caption": "By deprivation quintile",
    # The problems tables' columns (the check page and a failed job's page).
    "table": "Table",
    "row": "Row",
    "column": "Column",
    "problem": "Problem",
    "problem_title": "Problem: ",
    # The desk's pages: headings and the navigation between them.
    "desk": "Negotiator's desk",
    "product": "commission",
    "home_heading": "Your scenarios and checks",
    "check_offer_heading": "Check an offer",
    "compare_heading": "Compare two offers",
    "sign_in_heading": "Sign in",
    "checking_title": "Checking…",
    "checking_heading": "Checking the offer",
    "back_home": "Back to your scenarios and checks",
    "skip_to_content": "Skip to content",
    "sign_out": "Sign out",
    "footer": "Every figure comes from solves of the scenario's programme. Works with no internet connection.",
    "checks_heading": "Checks and runs",
    "scenarios_heading": "Scenarios",
    "no_checks_yet": "No checks yet.",
    "your_checks": "Your checks",
    # The sign-in page.
    "sign_in_intro": (
        "Is this primary-care offer deliverable? Sign in with the API key your organisation gave you. "
        "The key is checked once; the browser then keeps a session cookie until you sign out."
    ),
    "not_signed_in": "Not signed in.",
    "api_key": "API key",
    "api_key_starts": "It starts with",
    "api_key_ask": ". Ask your organisation's admin for one.",
    # The home page: the organisation's checks and scenarios.
    "signed_in_for": "Signed in for",
    "signed_in_as": "as a {role}.",
    "keys_only": "The {role} role manages keys only: scenarios and checks need a commissioner's or negotiator's key.",
    "jobs_caption": "Your organisation's jobs, newest first",
    "scenario_column": "Scenario",
    "kind": "Kind",
    "offer_column": "Offer",
    "status_column": "Status",
    "started": "Started",
    "deliverable": "deliverable",
    "not_deliverable": "not deliverable",
    "scenarios_caption": "Scenarios you own or that are shared with you",
    "owner": "Owner",
    "access": "Access",
    "latest_version": "Latest version",
    "action": "Action",
    "yours": "yours",
    "shared_with_you": "shared with you (read-only)",
    "on": "on",
    "no_scenarios_yet": "No scenarios yet: upload a specification workbook when you check an offer.",
    # The check page: the specification and the offer to check.
    "check_intro": (
        "Give the specification and the offer; the check finds whether the offer can deliver it, "
        "and if not, what would."
    ),
    "the_specification_legend": "1. The specification",
    "upload_specification": "Upload a specification",
    "file_label": "Workbook (.xlsx or .xlsm), zip of CSV files (.zip) or JSON (.json)",
    "file_hint": "At most {mb} MB. It is checked against the data contract before anything is stored.",
    "download_template": "Download an empty workbook",
    "download_template_what": "with every sheet, its headers and notes.",
    "choose_again": "Choose the file again:",
    "not_read": (
        "{name} was not read, because the offer has a problem (below), and a browser does not keep a chosen file."
    ),
    "scenario_name_label": "Name for the scenario (optional)",
    "the_specification": "The specification",
    "not_stored": "{name} was not stored: {problems}.",
    "correct_them": (
        "Correct them in the file (table = sheet or CSV file; row 1 is the first row under the headers) "
        "and upload it again."
    ),
    "correct_it": (
        "Correct it in the file (table = sheet or CSV file; row 1 is the first row under the headers) "
        "and upload it again."
    ),
    "upload_problems_caption": "Problems in the upload, by table, row and column",
    "use_stored": "Use a stored scenario",
    "no_stored_scenarios": "No stored scenarios yet",
    "the_offer_legend": "2. The offer",
    "check_the_offer_problem": "Check the offer:",
    "offer_in_settings": "The offer written in the scenario's settings",
    "a_pooled_budget": "A pooled budget, £ a year",
    "rate_option_own_budget": "£ per weighted patient a year (each practice gets its own budget)",
    "amount_offered": "Amount offered",
    "amount_hint": "For example 4.7m or 4,700,000 for a pooled budget; 35.50 per weighted patient.",
    "standards_label": "Minimum standards, % of their level (optional)",
    "standards_hint": (
        "Leave empty to check the standards as written; 90 (or 90%) checks every standard at 90% of its level."
    ),
    "check_the_offer": "Check the offer",
    # The comparison of two offers.
    "download_csv": "Download CSV",
    "download_xlsx": "Download Excel (XLSX)",
    "compare_caption": "A and B side by side (B − A in the last column)",
    "section": "Section",
    "item": "Item",
    "b_minus_a": "B − A",
    "per_practice_caption": "Per-practice differences",
    "practice": "Practice",
    "no_practice_differs": "No practice differs.",
    "checking_both": "Checking both offers; this page updates itself when both are done (or",
    "compare": "Compare",
    "how_offers_given": "How the offers are given",
    "pooled_budget_option": "Pooled budget, £ a year",
    "rate_option": "£ per weighted patient a year",
    "scenario_and_version": "Scenario and version",
    "amount_or_scenario": "Amount (empty: as in the scenario)",
    "check_both": "Check both and compare",
    "not_available": NOT_AVAILABLE,
    # The progress page of a job still running.
    "status": "Status:",
    "waiting_for_worker": "(waiting for a free worker)",
    "leave_this_page": "You can leave this page: the check keeps running on the server and is listed under",
    "page_updates_itself": ". This page updates itself; or",
    "reload_it": "reload it",
    "cancel_check": "Cancel this check",
    # What a page waiting on a job says, in its live region, when the job has finished: a link, not a
    # reload (audit 12, #9). The seconds run on beside it, not read out.
    "running_for": "Running for {seconds} s.",
    "result_ready": "Finished: view the result",
    "frontier_ready": "The frontier is drawn: show it",
    "comparison_ready": "Both checks have finished: compare them",
    "compare_results_heading": "Two results you already have",
    "compare_now_heading": "Check two offers now",
    "no_per_practice_figures": "no per-practice figures",
    # Sentences with a figure: ``.format`` fills the braces.
    "job_id": "Job {id}",
    "running_job": "Running job {id}",
    "per_practice_heading": "Per practice: {unit}, largest difference first",
    "frontier_points_caption": "Frontier points from {swept} sweep job {id}",
    "first_50": "The first 50 of {count} practices; the download has all.",
    "offer_side": "Offer {side}",
    "frontier_from_job": "From {swept} sweep job {id}.",
    "started_at": "(started {time} UTC)",
    "job_tables_in_api": "The desk shows checks in full; this {kind}'s tables are in the API",
    "standards_checked": "Standards checked: every minimum standard at {share} of its level",
    "not_as_written": ", not as written in the scenario.",
    # The desk's result page: the button that submits the check's frontier sweep (a POST).
    "draw_frontier": "Draw the budget frontier",
    # The desk refuses a file over COMMISSION_MAX_REQUEST_BYTES in the browser, before sending it: the
    # check page's form carries this sentence (``data-too-large``) and api/web/static/desk.js fills in
    # the file's size and the limit, in MB to one decimal place.
    "upload_too_large": (
        "The file is {size} MB; this service accepts at most {limit} MB. Nothing was sent. "
        "Upload a zip of CSV files, or ask your administrator to raise the limit."
    ),
}


# --- standards checked at a share of their level (audit 4, F24): the comparison and the verdict ---
# A check with ``standards_fraction`` checks every minimum standard at that share of its level; its
# standards lever is still a share of the standards as the spec writes them. The comparison reads
# both sides' so, and says at what share each side was checked.
COMPARE_STANDARDS_CHECKED_AT = "Standards checked at (share of every minimum as the spec writes it)"
COMPARE_STANDARDS_REACHABLE_AS_WRITTEN = "Standards reachable (share of every minimum as the spec writes it)"


def standards_checked_at(fraction: float) -> str:
    return f"every minimum standard checked at {percent(fraction)} of its level"


def verdict_at_standards(sentence: str, fraction: float) -> str:
    """A verdict sentence of a check whose standards were scaled to ``fraction`` of their level
    (docs/desk.md: the verdict carries the percentage the standards were checked at)."""
    head, colon, rest = sentence.partition(": ")
    if colon and head in ("Deliverable", "Not deliverable"):
        return percents_alike(f"{head} with {standards_checked_at(fraction)}: {rest}")
    checked = standards_checked_at(fraction)
    return percents_alike(f"{sentence} ({checked[0].upper()}{checked[1:]}.)")


# --- batch on an unreachable Dask scheduler (audit 4, F15; optimiser/batch.py) ---------------------
def dask_unreachable(address: str, reason: str) -> str:
    """``commission batch --dask ADDRESS`` when the scheduler cannot be reached: nothing has run."""
    return f"cannot reach the Dask scheduler at {address} ({reason}); nothing was run"


def batch_stopped(reason: str) -> str:
    """A batch that stopped on an unexpected failure after it started (its closing ``error`` event)."""
    return f"the batch stopped: {reason}; run the same command again to resume"


# --- the comparison's figures add up (verify 4: N1, N8) ---------------------------------------------
# What the lead line above the per-practice table counts, by the per-practice measure
# (optimiser/report/compare.py MEASURES): a pooled check's practices that need more than an equal
# share of the offer in its least-cost plan (the other practices need less, which offsets it: not
# the offer's shortfall), a per-weighted-patient check's practices short at the offered rate, or
# practices below the standards in the smallest combined change.
COMPARE_PRACTICES_SHORT = {
    "shortfall_share": "Practices needing more than an equal share of the offer",
    "shortfall_rate": "Practices short at the offered rate",
    "patients": "Practices below the standards",
}


def compare_practices_short(measure: str, under_a: int, under_b: int) -> str:
    """The comparison's lead line: how many practices each side counts (``measure``: the per-practice
    measure both sides have)."""
    return f"{COMPARE_PRACTICES_SHORT[measure]}: {under_a:,} under A, {under_b:,} under B."


def compare_difference(difference: float, step: float, unit: str) -> str:
    """A B − A difference (of the two unrounded values) at the precision of the coarser of the two
    figures (``step``): "−£3.40m" (a figure in £m), "+£6,860,000" (two to the pound), "+6.43" (FTE,
    2 decimals), "−63" (whole FTE), "+2" (a count), "−10.0 points" (shares). ``unit``: "money",
    "number", "count" or "points". A difference that is nothing at that precision reads "same"."""
    steps = round(difference / step)
    if steps == 0:
        return COMPARE_SAME
    sign = "+" if steps > 0 else "−"
    size = abs(steps) * step
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) if step < 1 else 0
    if unit == "points":
        return f"{sign}{size * 100:,.1f} points"
    if unit == "money":
        if step >= 1e4 and size >= 1e6:
            return f"{sign}{money(size)}"  # £m or £bn, as the figures are
        return f"{sign}£{size:,.{decimals}f}"
    if unit == "count":
        return f"{sign}{abs(steps) * step:,.0f}"
    return f"{sign}{size:,.{decimals}f}"


def compare_difference_from_zero(figure: str, negated: bool, unit: str) -> str:
    """B − A where one side is exactly zero: the other side's figure as shown (``figure``: "1.93",
    "£1.50m", "99.9%"), signed ("−1.93" when it is A's, ``negated``), in its own format; a share
    in percentage points as every share's difference reads ("−99.9 points")."""
    size = figure.strip()
    negative = size.startswith(("−", "-"))
    size = size.lstrip("−-")
    sign = "+" if negative == negated else "−"
    if unit == "points":
        return f"{sign}{float(size.rstrip('%').replace(',', '')):,.1f} points"
    return f"{sign}{size}"


def needed_amount(value: float, places: int = 2) -> float:
    """An amount needed (a least offer, a shortfall, a raise of a cap) as a download gives it,
    rounded up to ``places`` decimals as the page shows it: a least rate of £48.7537 is 48.76,
    not 48.75, which would fall short if offered."""
    return round(_towards_sufficiency(value, 10.0**-places, up=True), places) + 0.0


def highest_share(share: float, places: int = 4) -> float:
    """The highest share that fits (of the standards, a service's coverage reachable at the offer)
    as a download gives it, rounded down to ``places`` decimals as ``highest_percent`` shows it:
    0.999997 is 0.9999, not 1.0 beside "Not deliverable" (verify 4, N5); a share under 1 by more
    than float noise is never 1.0, as ``highest_percent`` never shows it as 100% (audit 8, A3)."""
    fits = _towards_sufficiency(share, 10.0**-places, up=False)
    if share < 1 - _EXACT:
        fits = min(fits, _last_step_below(1.0, 10.0**-places))
    return round(fits, places) + 0.0


# --- the NHS import report (optimiser/nhs/report.py): its Markdown, console lines and practice notes ---
# The import's figures come from the publications read (optimiser/nhs/build.py); these are its words.
IMPORT_NO_WORKFORCE = {
    "any": "No workforce file was given: practices and PCNs have no existing staff, so every clinician is a new hire",
    "practice": (
        "No practice workforce file was given: practices have no existing GPs, nurses or direct patient care "
        "staff, so every practice clinician is a new hire"
    ),
    "pcn": (
        "No PCN workforce file was given: PCNs have no existing staff, so every PCN-employed clinician "
        "(the ARRS roles included) is a new hire"
    ),
}
IMPORT_SEE_REPORT = "(see the report)"
IMPORT_BLANK = "(blank)"
IMPORT_UNKNOWN = "unknown"
IMPORT_NONE = "none"
IMPORT_UNALLOCATED = " (unallocated)"
IMPORT_PAYMENTS_YEAR = "the payments year"


def import_fte(value: float) -> str:
    """FTE in the import's console lines and notes: to two decimals ("2.67")."""
    return f"{value:,.2f}"


def import_some(items: Sequence[str], shown: int) -> str:
    """The first ``shown`` of ``items``, then how many more: "a; b; c; and 4 more"."""
    more = len(items) - shown
    return "; ".join(items[:shown]) + (f"; and {more} more" if more > 0 else "")


def import_implausible_at(first: Mapping[str, Any], figures: Sequence[Mapping[str, Any]]) -> str:
    """One practice's implausible figures: "L85026 (1 registered patient, row 23): TOTAL_NURSES_FTE 2.67 FTE ..."."""
    return (
        f"{first['practice_id']} ({plural(first['registered_patients'], 'registered patient')}, row {first['row']}): "
        + ", ".join(
            f"{f['column']} {import_fte(f['fte'])} FTE ({f['fte_per_1000_patients']:,.2f} per 1,000)" for f in figures
        )
    )


def import_blank_cells_line(count: int, pcn: bool, named: str) -> str:
    what = "blank PCN workforce cell" if pcn else "blank workforce cell"
    return f"{plural(count, what)} read as 0 FTE {IMPORT_SEE_REPORT}: " + named


def import_blank_cell(code: object, column: object, row: object) -> str:
    return f"{code} {column} (row {row})"


def import_implausible_line(figures: int, practices: int, limit: float, named: str) -> str:
    return (
        f"Check {plural(figures, 'workforce figure')} of {plural(practices, 'practice')} above "
        f"{limit:g} FTE per 1,000 registered patients, imported as published {IMPORT_SEE_REPORT}: " + named
    )


def import_gp_mismatch_line(practices: int, published_column: str, named: str) -> str:
    return (
        f"{plural(practices, 'practice')} whose GP columns in the role map do not add up to "
        f"the published {published_column} {IMPORT_SEE_REPORT}: " + named
    )


def import_gp_mismatch(practice: object, published_column: str, published: float, summed: float, row: object) -> str:
    return f"{practice} {published_column} {import_fte(published)}, columns {import_fte(summed)} (row {row})"


# --- a practice's data_note: its import warnings, one line ---
def import_note_stale(change: float, payments_year: str | None) -> str:
    return (
        f"registered list {change:+.1%} since {payments_year or IMPORT_PAYMENTS_YEAR}; "
        "the published weighted list may be stale"
    )


def import_note_estimated(issue: object) -> str:
    return f"weighted list estimated from age and sex: {issue}"


def import_note_issue(issue: object, action: object) -> str:
    return f"{issue}: {action}"


def import_note_implausible(limit: float, registered: int, figures: Sequence[Mapping[str, Any]]) -> str:
    return (
        f"more than {limit:g} FTE per 1,000 registered patients "
        f"({plural(registered, 'registered patient')}): "
        + ", ".join(f"{f['column']} {import_fte(f['fte'])} FTE" for f in figures)
        + ", imported as published"
    )


def import_note_blanks(columns: Sequence[str]) -> str:
    return f"{plural(len(columns), 'blank workforce cell')} read as 0 FTE (" + ", ".join(columns) + ")"


def import_note_gp_mismatch(summed: float, published_column: str, published: float) -> str:
    return (
        f"GP columns add up to {import_fte(summed)} FTE against the published "
        f"{published_column} of {import_fte(published)}"
    )


IMPORT_NOTE_UNALLOCATED = "no PCN (unallocated): given a PCN of its own with no ARRS entitlement"


# --- the console's summary ---
def import_area_line(area: Mapping[str, Any], counts: Mapping[str, int]) -> str:
    unallocated = counts["unallocated_practices"]
    return (
        f"Imported {area['filter']}"
        + (f" ({area['icb_name']})" if area.get("icb_name") else "")
        + f": {plural(counts['practices'], 'practice')}, {plural(counts['pcns'], 'PCN')}"
        + (
            f" + {plural(unallocated, 'unallocated practice')} given a PCN of "
            f"{'its' if unallocated == 1 else 'their'} own"
            if unallocated
            else ""
        )
    )


def import_dated(date: str | None, source: str) -> str:
    if date:
        return f"dated {date} (from the {source})"
    return f"date unknown ({source})"


def import_publication_line(publication: Mapping[str, Any], dated: str) -> str:
    return (
        f"  {publication['publication']}: {publication['file']}, {dated}; "
        f"{publication['rows_in_area']:,} of {publication['rows_read']:,} rows in the area"
    )


def import_patients_line(totals: Mapping[str, Any]) -> str:
    return (
        f"Registered patients {totals['registered_patients']:,}; weighted {totals['weighted_patients']:,.2f} "
        f"({totals['weighted_patients_from_payments']:,.2f} from payments, "
        f"{totals['weighted_patients_estimated']:,.2f} estimated for "
        f"{plural(totals['practices_with_estimated_weighted_list'], 'practice')})"
    )


def import_practice_staff_line(gp: float, nurse: float, dpc: float) -> str:
    return f"Practice staff FTE: GP {import_fte(gp)}, nurse {import_fte(nurse)}, direct patient care {import_fte(dpc)}"


def import_arrs_line(total: float, by_role: Mapping[str, float]) -> str:
    arrs = ", ".join(f"{role} {import_fte(fte)}" for role, fte in by_role.items())
    return f"PCN ARRS-role FTE {import_fte(total)}: {arrs or IMPORT_NONE}"


def import_stale_line(practices: int, stale_change: str) -> str:
    return (
        f"{plural(practices, 'practice')} whose list changed by more than "
        f"{stale_change} since the payments year: check "
        f"{'its weighted list' if practices == 1 else 'their weighted lists'} "
        f"{IMPORT_SEE_REPORT}"
    )


def import_not_matched_line(not_matched: str) -> str:
    return f"{not_matched} not matched across files {IMPORT_SEE_REPORT}"


def import_unmapped_line(roles: Sequence[Mapping[str, Any]]) -> str:
    unmapped = ", ".join(f"{r['role']} ({import_fte(r['fte'])} FTE)" for r in roles)
    return f"Unmapped staff roles, not imported: {unmapped}"


def import_left_out_line(fte: float) -> str:
    return f"Left out on purpose by the role map: {import_fte(fte)} FTE (trainees, admin, leadership; see the report)"


def import_budget_line(budget: object) -> str:
    return f"Budget: {budget}"


def import_imd_line(note: object) -> str:
    return f"IMD: {note}"


# --- the Markdown report: headings, sentences and its tables' columns ---
def import_title(area: Mapping[str, Any]) -> str:
    return f"# Import report: {area['filter']}" + (f" ({area['icb_name']})" if area.get("icb_name") else "")


def import_built_by(spec: object, role_map: object) -> str:
    return f"Built by `commission import nhs` from NHS England publications. Spec: {spec}. Role map: {role_map}."


IMPORT_HEADINGS = {
    "publications": "## Publications",
    "counts": "## Counts and totals",
    "workforce": "## Workforce checks",
    "weighted": "## Weighted lists",
    "unmatched": "## Not matched across files",
    "unallocated": "## Unallocated practices (no PCN)",
    "roles": "## Staff roles not imported",
    "imd": "## Deprivation (IMD)",
    "practices": "## Practices",
    "licence": "## Licence",
}
# Each table's columns; the report right-aligns its figures.
IMPORT_COLUMNS = {
    "publications": ("publication", "file", "date", "date from", "rows read", "rows in area"),
    "counts": ("figure", "value"),
    "stale": ("practice", "name", "registered now", "registered in payments year", "change"),
    "unmatched": ("code", "name", "file", "issue", "what was done"),
    "practices": ("practice", "name", "PCN", "registered", "weighted", "weighted from"),
    "pcn_blanks": ("PCN", "name", "row", "detailed staff role", "cell"),
    "blanks": ("practice", "name", "row", "column", "cell"),
    "implausible": ("practice", "name", "row", "column", "role", "FTE", "registered patients", "FTE per 1,000"),
}


def import_gp_mismatch_columns(published_column: str) -> tuple[str, ...]:
    return ("practice", "name", "row", published_column, "columns summed", "difference")


def import_rounding(rounding: object) -> str:
    return f"Rounding: {rounding}."


def import_count_rows(counts: Mapping[str, Any], totals: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The counts and totals table's (figure, value) rows before the ARRS roles'."""
    estimated = totals["practices_with_estimated_weighted_list"]
    return [
        (f"practices imported (of {counts['practices_in_mapping']} in the mapping)", f"{counts['practices']}"),
        ("PCNs", f"{counts['pcns']}"),
        ("unallocated practices (own PCN, flagged)", f"{counts['unallocated_practices']}"),
        ("registered patients", f"{totals['registered_patients']:,}"),
        ("weighted patients", f"{totals['weighted_patients']:,.2f}"),
        ("of which from the payments file", f"{totals['weighted_patients_from_payments']:,.2f}"),
        (
            f"of which estimated from age and sex ({plural(estimated, 'practice')})",
            f"{totals['weighted_patients_estimated']:,.2f}",
        ),
        ("GP FTE (practice-employed, as mapped)", f"{totals['gp_fte']:,.4f}"),
        ("nurse FTE (practice-employed)", f"{totals['nurse_fte']:,.4f}"),
        ("direct patient care FTE (practice-employed)", f"{totals['dpc_fte']:,.4f}"),
        ("PCN ARRS-role FTE", f"{totals['pcn_arrs_fte']:,.4f}"),
    ]


def import_arrs_role_row(role: str) -> str:
    return f"&nbsp;&nbsp;{role}"


def import_other_pcn_role_row(role: str) -> str:
    return f"PCN-employed, not ARRS: {role}"


IMPORT_PUBLISHED_TOTALS = "Published headline columns for the same practices (for comparison):"


def import_budget(budget: object) -> str:
    return f"Budget: {budget}."


def import_estimate_basis(basis: object, scale: object) -> str:
    return f"Age-sex estimate {basis} (scale factor {scale})."


def import_estimated_lists(practices: Sequence[Mapping[str, Any]]) -> str:
    return (
        f"{plural(len(practices), 'practice')} {'has' if len(practices) == 1 else 'have'} an estimated weighted list"
        + (": " + ", ".join(f"{p['practice_id']} {p['name']}" for p in practices) if practices else "")
        + "."
    )


def import_stale_intro(stale_change: str) -> str:
    return (
        f"Registered list changed by more than {stale_change} since the payments year (published weighted "
        "list used as it is; check it):"
    )


IMPORT_EVERY_PRACTICE_MATCHED = "Every practice matched in every file given."
IMPORT_NO_UNALLOCATED = "None."


def import_unallocated_item(unallocated: Mapping[str, Any]) -> str:
    practice, pcn = f"{unallocated['practice_id']} {unallocated['name']}", unallocated["pcn_id"]
    return f"- {practice}: {unallocated['action']} (PCN id `{pcn}`)"


IMPORT_UNMAPPED_INTRO = "Unmapped (no row of the role map matches them):"
IMPORT_LEFT_OUT_INTRO = "Left out on purpose by the role map:"
IMPORT_NO_ROLES = "- none"


def import_unmapped_item(role: Mapping[str, Any]) -> str:
    return f"- {role['publication']}: {role['role']}: {role['fte']:,.4f} FTE ({role['reason']})"


def import_left_out_item(role: Mapping[str, Any]) -> str:
    return f"- {role['publication']}: {role['role']}: {role['fte']:,.4f} FTE. {role['reason']}"


IMPORT_IGNORED_COLUMNS = "Practice workforce columns not in the role map (breakdowns of the mapped totals, ignored):"
IMPORT_NO_IMD = "no IMD file given"


def import_licence(licence: str, publications: Sequence[str]) -> str:
    return licence + " Publications: " + "; ".join(publications) + "."


IMPORT_NO_PCN_BLANKS = "No blank or suppressed FTE cell in the PCN workforce file's rows of the area's PCNs."
IMPORT_NO_PRACTICE_BLANKS = "No blank or suppressed cell in the practice workforce columns the role map names."


def import_pcn_blanks_intro(count: int) -> str:
    return f"{plural(count, 'blank or suppressed FTE cell')} of the PCN workforce file, read as 0 FTE:"


def import_blanks_intro(count: int) -> str:
    return f"{plural(count, 'blank or suppressed cell')} of the practice workforce file, read as 0 FTE:"


def import_implausible_intro(limit: float) -> str:
    return (
        f"Imported as published, but more than {limit:g} FTE in one column per 1,000 registered patients "
        "(check the figure, or the practice's list):"
    )


def import_none_implausible(limit: float) -> str:
    return f"No practice has more than {limit:g} FTE in one column per 1,000 registered patients."


def import_gp_mismatch_intro(columns: str, published_column: str, tolerance: object) -> str:
    return (
        f"GP columns the role map names ({columns}) that do not add up to the published "
        f"`{published_column}` (by more than {tolerance} FTE):"
    )


def import_gp_columns_add_up(columns: str, published_column: str, summed: float) -> str:
    return (
        f"The GP columns the role map names ({columns}) add up to the published "
        f"`{published_column}` for every practice ({summed:,.4f} FTE in all)."
    )


def import_absent_columns(absent: str, published_column: str, mismatches: bool) -> str:
    if mismatches:
        return f"Not in the file: {absent}."
    return f"Not in the file: {absent}. The GP columns present add up to `{published_column}`, so no GP FTE is lost."


# --- audit 11: sentences moved from cli/batch/runs/pages ---
# Every sentence below is the one its caller used to write itself (audit 11 #4), plus the service's
# answer to an unexpected failure (audit 11 #9). Keep new ones here, at the end.

UNEXPECTED_ERROR_TITLE = "Something went wrong"


def unexpected_error_sentence(request_id: str | None) -> str:
    """The service's answer to a failure it did not expect: plain words, no stack trace; the request
    id the log line carries, for the person who reports it."""
    quote = f" Quote request id {request_id} if you report it." if request_id else ""
    return f"The service failed unexpectedly while answering this request; the failure has been logged.{quote}"


def hire_fte(value: float) -> str:
    """FTE in ``solve``'s table of new staff to 3 decimals, the unit's precision as the CSVs give it
    (README: "FTE to 3 decimal places"; ``FTE_STEP``): a 0.004-FTE hire reads 0.004, never 0.00;
    the comparison's new FTE by role too (optimiser/report/compare.py); -0 reads 0.000."""
    return f"{round(value, 3) + 0.0:,.3f}"


def table_share_or_missing(value: Any) -> str:
    """A share in a table column as ``table_share`` writes it; "-" where there is none (a sweep
    point without an answer: None or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return table_share(value)


def budget_used_note(share: float | None) -> str:
    """The share of the budget a plan spends, after its net spend: " (74.1% of it)". Rounded down
    as a level is: a plan that leaves anything unspent never reads "100.0% of it" (99.96% is 99.9%)."""
    return "" if share is None else f" ({highest_percent(share)} of it)"


def objective_figure(objective: str, value: float) -> str:
    """A solve's objective value as the CLI states it: the lowest practice coverage as a level to 2
    decimals, rounded down (never 100.00% when short of it); a least spend or a value to 2 places,
    as the CSVs give them (a solver's -4e-12 is 0.00, never -0.00)."""
    if objective == "max_min_coverage":
        return highest_percent(value, 2)
    return f"{round(value, 2) + 0.0:,.2f}"


# The CLI's solve (optimiser/cli.py).
SOLVE_INFEASIBLE_NEXT_STEP = "Run [bold]commission check[/] on it to see why and what it would take."
# Whether a solve's spec is deliverable, by its status (rich markup: the CLI prints them).
SOLVE_DELIVERABLE = {
    "optimal": (
        "[bold]Deliverable[/]: [green]yes[/]: this allocation meets every minimum standard within the "
        "budget, the workforce that exists or can be hired, and the safe-working caps."
    ),
    "infeasible": (
        "[bold]Deliverable[/]: [red]no[/]: no allocation meets every minimum standard within the budget, "
        "the workforce that exists or can be hired, and the safe-working caps."
    ),
    # a time limit that stopped the search after an allocation was found
    "time_limit": (
        "[bold]Deliverable[/]: [green]yes[/]: the allocation below meets every requirement, but the time "
        "limit stopped the search for the best one."
    ),
    "unknown": "[bold]Deliverable[/]: [yellow]not known[/]: the solver found no allocation in the time it had.",
}
# Each money line of a solve: its label and what follows the figure (net = gross - ARRS).
SOLVE_MONEY_LINES = {
    "gross": ("Gross cost of new staff", "a year"),
    "arrs": ("ARRS reimbursement", "a year, claimed by the PCNs"),
    "net": ("Net spend", "a year"),
}


def tables_written_sentence(out_dir: object) -> str:
    return f"Tables written to {out_dir}/ (CSV per table, summary.json, results.xlsx)"


def wrote_sentence(*written: object) -> str:
    """ "Wrote a", "Wrote a, b and c": the files a command wrote, as it names them."""
    names = [str(name) for name in written]
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"Wrote {listed}"


def wrote_with_import_report_sentence(target: object, json_name: str, md_name: str) -> str:
    return f"Wrote {target} with its import report ({json_name}, {md_name})."


# A batch's last line on a terminal (optimiser/batch.py).
def batch_done_sentence(counts: Mapping[str, int], target: object) -> str:
    return (
        f"{counts['succeeded']} succeeded ({counts['cached']} unchanged, skipped), {counts['failed']} failed; "
        f"summary in {target}/summary.csv"
    )


# What every entry point says of overrides it cannot take (optimiser/runs.py).
def all_weights_zero_sentence(levers: Sequence[str]) -> str:
    """Weights that make every change of the combined change free (``spread`` only shares the
    standards' price out, so it prices nothing on its own)."""
    names = list(levers)
    return (
        f"at least one weight must be above 0 ({', '.join(names[:-1])} or {names[-1]}): "
        "with every change free, no change is smallest"
    )


def unknown_override_sentence(known: Sequence[str] | Mapping[str, Any]) -> str:
    return f"unknown override (known: {', '.join(known)})"


def one_offer_sentence(budget: str, rate: str) -> str:
    """A pooled budget and an offer rate given together, each named as its entry point spells it."""
    return f"give one offer: {budget} (a pooled budget) or {rate} (£ per weighted patient), not both"


# The desk (api/web/pages.py, api/web/results.py).
SIGN_IN_FROM_ANOTHER_SITE = "The sign-in form was posted from another site."
SIGN_IN_KEY_NOT_RECOGNISED = "That key was not recognised (or has been revoked)."
DESK_STANDARDS_LABEL = "Minimum standards, %"


def desk_role_may_not(role: object, what: str) -> str:
    return f"The {role} role may not {what}. Sign in with a commissioner's or negotiator's key."


DESK_NOT_FOUND_TITLE = "Not found"
DESK_NOT_ALLOWED_TITLE = "Not allowed"
# What a desk page could not find, by what the page asked for ({id}: the id it was given).
DESK_NOT_FOUND = {
    "that job": "That job",
    "job": "Job {id}",
    "scenario": "Scenario {id}",
    "finished check": "A finished check {id}",
    "one of two jobs": "One of the two jobs",
    "one of two finished jobs": "One of the two finished jobs",
    "download": "That download",
}


def desk_not_found(what: str, public_id: str = "") -> str:
    """ "Job 0193... was not found.": ``what`` is a key of ``DESK_NOT_FOUND``."""
    return f"{DESK_NOT_FOUND[what].format(id=public_id)} was not found."


def desk_offer_problem(side: str, message: object) -> str:
    """A comparison's problem with one side's offer: "Offer A: ..."."""
    return f"Offer {side}: {message}"


def desk_amount_offered_problem(message: object) -> str:
    return f"Amount offered: {message}"


def desk_standards_problem(problem: str, given: str) -> str:
    """The standards box's refusals (``problem``: one of ``DESK_STANDARDS_PROBLEMS``), naming what was typed."""
    return f"{DESK_STANDARDS_LABEL}: {DESK_STANDARDS_PROBLEMS[problem].format(given=given)}"


DESK_STANDARDS_PROBLEMS = {
    "money": "enter a percentage such as 90, not an amount of money (got {given})",
    "unreadable": "enter a percentage such as 90 (got {given})",
    "fraction": "enter a percentage such as 90, not a fraction (got {given}; for 90% enter 90, for 1% enter 1%)",
    "range": "enter a percentage between 0 and 100 (got {given})",
}


def frontier_not_permitted_sentence(role: object) -> str:
    return (
        f"The frontier chart comes from a budget sweep, which the {role} role may not run. "
        "A commissioner's key draws it for the same scenario."
    )


def frontier_sweep_ended_sentence(job_id: str, status: object, why: str) -> str:
    return f"The frontier sweep (job {job_id}) {status}: {why}."


def frontier_being_drawn_sentence(job_id: str, status: object) -> str:
    return f"The frontier is being drawn (sweep job {job_id}, {status})."


def request_too_large(limit_bytes: int) -> str:
    """A request body over the service's limit (HTTP 413), the limit written as the reader's are."""
    return f"the request body is larger than this service's limit of {limit_bytes:,} bytes"


# --------------------------------------------------------------------------------------
# The service's limit on a solver time limit (api.documents.time_limit_problem)
# --------------------------------------------------------------------------------------


def time_limit_over_service_limit(limit_s: float, got_s: float) -> str:
    """A solver time limit over the service's ``COMMISSION_MAX_TIME_LIMIT_S`` (HTTP 422), in a
    scenario's settings or a job's overrides alike: "must be at most 120 s on this service (got 400)"."""
    limit, got = numbers_apart(limit_s, got_s)
    return f"must be at most {limit} s on this service (got {got})"


# --------------------------------------------------------------------------------------
# A Dask batch that lost its scheduler mid-batch (optimiser.batch.SchedulerLost)
# --------------------------------------------------------------------------------------


def dask_scheduler_lost(address: str, unfinished: int, total: int) -> str:
    """Why a Dask batch stopped (inside ``batch_stopped``): the runs it had not finished are not
    failures of theirs, and the next invocation runs them."""
    return (
        f"lost the connection to the Dask scheduler at {address} with {unfinished:,} of {plural(total, 'run')} "
        "unfinished (not counted as failed)"
    )


# --------------------------------------------------------------------------------------
# Erasing from the desk: a check or a scenario, after a confirmation page (api/web/pages.py)
# --------------------------------------------------------------------------------------

DESK_DELETE_SCENARIO_TITLE = "Delete this scenario?"
DESK_DELETE_BUTTON = "Delete it"
DESK_KEEP_LINK = "Keep it"
DESK_DELETE_CHECK_LINK = "Delete this check…"
DESK_DELETE_SCENARIOS_HEADING = "Delete a scenario"
DESK_DELETE_SCENARIOS_NOTE = (
    "Deleting a scenario erases its uploaded data and every check run on it. You are asked to confirm first."
)


def desk_delete_job_title(kind: object) -> str:
    """The confirmation page's title: "Delete this check?"; for a sweep or a solve, "Delete this sweep job?"."""
    return "Delete this check?" if str(kind) == "check" else f"Delete this {kind} job?"


def desk_delete_check_sentence(kind: object, job_id: str, scenario: str, version: int) -> str:
    """What deleting a job erases, on its confirmation page."""
    erased = (
        "its result, its tables, its PDF report and its frontier chart"
        if str(kind) == "check"
        else "its result and its tables"
    )
    return (
        f"This erases {kind} {job_id} on {scenario} version {version}: {erased}."
        " If it is still running it is cancelled first. This cannot be undone."
    )


def desk_delete_scenario_sentence(scenario: str, versions: int, jobs: int) -> str:
    """What deleting a scenario erases, on its confirmation page."""
    stored = plural(versions, "version")
    run = plural(jobs, "check and run", "checks and runs")
    return (
        f"This erases {scenario}: the data of its {stored} and the {run} made on it, with their results,"
        " including any run by an organisation it is shared with. Anything still running is cancelled first."
        " This cannot be undone."
    )


def desk_delete_scenario_link(scenario: str) -> str:
    return f"Delete {scenario}…"


def purge_summary(scenarios: int, jobs: int, retention_days: int | None) -> str:
    """What `commission purge` erased."""
    kept = f"kept for {retention_days} days" if retention_days is not None else "no retention period set"
    return f"erased {plural(scenarios, 'scenario')} and {plural(jobs, 'job')} ({kept})"


def scenario_erase_interrupted(scenario_id: str) -> str:
    """A scenario deleted while jobs were still being submitted on it (HTTP 409)."""
    return (
        f"scenario {scenario_id} is deleted, but jobs were still being submitted on it:"
        " what is left of it is erased by the next `commission purge`"
    )


# --------------------------------------------------------------------------------------
# The service when its database, its memory or a client's connection fails it
# (api.main, api.middleware, api.documents: HTTP 503 and 408)
# --------------------------------------------------------------------------------------

SERVICE_UNAVAILABLE_TITLE = "The service is unavailable just now"


def database_unavailable_sentence(retry_after_s: int, request_id: str | None) -> str:
    """A request the database could not serve (unreachable, full, read-only): HTTP 503, not a bug."""
    quote = f" Quote request id {request_id} if it goes on." if request_id else ""
    return (
        "The service cannot use its database just now (it is unreachable or full); "
        f"try again in {retry_after_s} seconds.{quote}"
    )


def uploads_busy_sentence(limit: int, retry_after_s: int) -> str:
    """A scenario document refused because the service is reading its most at once: HTTP 503."""
    documents = "document" if limit == 1 else "documents"
    return (
        f"The service is already reading {limit} scenario {documents}, the most it reads at once; "
        f"send this one again in {retry_after_s} seconds."
    )


def request_body_too_slow(timeout_s: float) -> str:
    """A request body that did not arrive within ``COMMISSION_BODY_READ_TIMEOUT_S``: HTTP 408."""
    return f"the request body did not arrive within {timeout_s:g} seconds, this service's limit; send it again"


def request_head_too_slow(timeout_s: float) -> str:
    """A request line and headers that did not arrive within ``COMMISSION_HEADER_READ_TIMEOUT_S``: HTTP
    408 from `commission serve`, the connection closed (api/protocol.py)."""
    return (
        f"the request line and headers did not arrive within {timeout_s:g} seconds, this service's limit;"
        " send the request again"
    )


# --- links from before the upgrade to UUIDs (migration 0002) ---
# A job, scenario or key named by its number from before migration 0002 (a link such as /jobs/17):
# the API and the desk answer 404 with this one sentence (api.main, api.web.pages.not_found), for
# each kind in api.ids.OLD_NUMERIC_ID_KINDS.
OLD_NUMERIC_ID_PLURALS = {"job": "jobs", "scenario": "scenarios", "key": "keys"}


def old_numeric_id(kind: str, given: str) -> str:
    """Why an old numeric id is not found ("Job 17 is a number from before the upgrade ..."):
    ``kind`` is job, scenario or key."""
    listed = OLD_NUMERIC_ID_PLURALS[kind]
    where = f"GET /{listed}" + ("" if kind == "key" else ", or the desk's home page")
    return (
        f"{kind.capitalize()} {given} is a number from before the upgrade that gave every {kind} a UUID"
        f" (such as 0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e) for its id; list your {listed} ({where})"
        f" to find its new id."
    )
