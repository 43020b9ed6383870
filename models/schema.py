"""Column contracts of every scenario table and the settings model.

This module *is* the data contract of ``shared/docs/formulation.md`` section 1, in code:
validation, the Excel template's notes sheet and the API's documentation are all read
from it, so a column is described in exactly one place.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

ColumnKind = Literal["id", "str", "int", "float", "choice"]

ROLE_CATEGORIES = ("gp", "nurse", "arrs", "other")
DEFAULT_ARRS_RATE_GBP = 22.894

# Upper bounds: far above any real value, low enough that no figure can overflow the
# solver's arithmetic (a larger number is a typing error, reported by table, row, column).
MAX_PATIENTS = 1_000_000  # the largest practices in England have about 100,000
MAX_AREA_GBP = 1e12  # £ a year: several times the whole NHS England budget
MAX_PER_FTE_GBP = 1e7  # £ a year per FTE
MAX_FTE = 100_000.0
HOURS_PER_YEAR = 8_784  # 366 days of 24 hours
MINUTES_PER_DAY = 1_440
MAX_RATE_GBP_PER_PATIENT = 100_000.0
MAX_TIME_LIMIT_S = 86_400.0  # one day
# Text cells: ids and names longer than these, or holding control characters, are refused.
MAX_ID_LENGTH = 100
MAX_TEXT_LENGTH = 200
MAX_SOURCES_LENGTH = 4_000  # the data_sources setting: a dozen publications with their dates
MAX_NOTE_LENGTH = 500  # practices.data_note: a few warnings about one practice's figures


# Amounts as people write them, in settings and in every entry point's overrides: an optional
# £, thousands separated by commas (or spaces) only between groups of three digits, and a k/m
# suffix. "1,0" or "12,50,00" is refused rather than read as 10 or 125000.
AMOUNT_FORMS = "a number such as 4700000, 4.7m, 250k or 1,250,000"
# A rate's own examples: a rate of £35.50 explained with budgets' 4.7m would mislead.
RATE_FORMS = "a number of £ per weighted patient such as 35.50, £35.50 or 125"
AMOUNT_SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6}
_AMOUNT = re.compile(
    r"\s*£?\s*([-+]?(?:[0-9]{1,3}(?P<sep>[, ])[0-9]{3}(?:(?P=sep)[0-9]{3})*(?:\.[0-9]*)?"
    r"|[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([kKmM]?)\s*"
)
# "4,7" is most likely a decimal comma: worth saying so.
_DECIMAL_COMMA = re.compile(r"\s*£?\s*[-+]?[0-9]+,[0-9]{1,2}\s*[kKmM]?\s*")


# Characters that a quoted value cannot show as themselves, by the names a user knows them by;
# any other unprintable character is named by Unicode. "1 000" typed with a non-breaking space
# must not read as an ordinary space (nor as Python's '\xa0').
_INVISIBLE_NAMES = {
    "\t": "tab",
    "\n": "line break",
    "\r": "carriage return",
    "\xa0": "non-breaking space",
    "\u202f": "narrow non-breaking space",
    "\u200b": "zero-width space",
    "\ufeff": "byte order mark",
}
SHOWN_LENGTH = 60  # a quoted value longer than this is cut short with "..."


def shown(value: Any) -> str:
    """``value`` as a user wrote it, for messages: text in plain quotes with each invisible character
    named (``'1<non-breaking space>000'``), true/false and null as in JSON/TOML, a whole number
    without ``.0``, a sheet's dates and times as the sheet shows them, lists and objects as JSON.

    The one quoting of a user's value in every message of the product.
    """
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, str):
        text = "'" + _shortened("".join(map(_visible, value)), SHOWN_LENGTH - 2) + "'"
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    elif isinstance(value, int | float):
        text = repr(value)
    elif isinstance(value, datetime.datetime) and value.time() == datetime.time():
        text = value.date().isoformat()
    elif isinstance(value, datetime.datetime):
        text = value.isoformat(sep=" ")
    elif isinstance(value, datetime.date | datetime.time):
        text = value.isoformat()
    elif isinstance(value, datetime.timedelta):
        text = str(value)
    else:
        text = json.dumps(value, default=str, ensure_ascii=False)
    return _shortened(text, SHOWN_LENGTH)


def _visible(character: str) -> str:
    if character.isprintable() or character == " ":
        return character
    name = _INVISIBLE_NAMES.get(character) or unicodedata.name(character, "").lower()
    return f"<{name or f'character U+{ord(character):04X}'}>"


def _shortened(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 3] + "..."


def decimal_comma_hint(text: str) -> str | None:
    """How to write ``text`` if it looks like a number with a decimal comma ("4,7"), else None."""
    if _DECIMAL_COMMA.fullmatch(text):
        return f"write decimals with a point: {text.strip().replace(',', '.')}"
    return None


def parse_amount(value: Any, forms: str = AMOUNT_FORMS) -> float:
    """A number, or text with an optional £, thousands commas and a ``k``/``m`` suffix.

    Raises ``ValueError`` with a plain message for anything else (text, NaN, infinity), giving
    ``forms`` as the examples of what is expected (``RATE_FORMS`` for a rate).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str) and (match := _AMOUNT.fullmatch(value)):
        digits = match.group(1).replace(",", "").replace(" ", "")
        number = float(digits) * AMOUNT_SUFFIXES[match.group(3).lower()]
    elif isinstance(value, str) and (hint := decimal_comma_hint(value)):
        raise ValueError(f"expected {forms} (got {shown(value)}; {hint})")
    else:
        raise ValueError(f"expected {forms} (got {shown(value)})")
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number (got {shown(value)})")
    return number


@dataclass(frozen=True)
class Column:
    """One column of a scenario table.

    ``lower``/``upper`` are inclusive bounds unless ``lower_strict`` says the value must be
    strictly greater. ``default`` is used for blank cells of optional columns; a default of
    ``None`` on an optional column means "blank means absent" (e.g. no safe-working cap).
    ``max_length`` overrides the usual length limit of a text column.
    """

    name: str
    kind: ColumnKind
    required: bool
    unit: str
    description: str
    default: float | str | None = None
    lower: float | None = None
    lower_strict: bool = False
    upper: float | None = None
    choices: tuple[str, ...] = ()
    # Text columns: the most characters a cell may hold; None = MAX_ID_LENGTH for ids, MAX_TEXT_LENGTH else.
    max_length: int | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    required: bool = True

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "practices",
            "GP practices (one row each).",
            (
                Column("practice_id", "id", True, "-", "Unique practice code."),
                Column("pcn_id", "id", True, "-", "The practice's Primary Care Network; must exist in pcns."),
                Column(
                    "list_size",
                    "int",
                    True,
                    "patients",
                    "Registered list size.",
                    lower=0,
                    lower_strict=True,
                    upper=MAX_PATIENTS,
                ),
                Column(
                    "weighted_list_size",
                    "float",
                    False,
                    "weighted patients",
                    "Carr-Hill weighted list size; blank = list_size.",
                    lower=0,
                    lower_strict=True,
                    upper=2 * MAX_PATIENTS,
                ),
                Column("name", "str", False, "-", "Practice name (optional)."),
                Column(
                    "prior_funding_gbp",
                    "float",
                    False,
                    "£/year",
                    "What the practice receives today from the schemes being replaced (fair shares, "
                    "optional): the floor when settings.no_practice_below_prior is true, and the "
                    "baseline of the change shown in results.",
                    lower=0,
                ),
                Column(
                    "imd_score",
                    "float",
                    False,
                    "IMD score",
                    "Index of Multiple Deprivation score of the practice's population (higher = more "
                    "deprived; optional): results are broken down by deprivation quintile.",
                    lower=0,
                ),
                Column(
                    "data_note",
                    "str",
                    False,
                    "-",
                    f"Why this practice's figures may be doubtful (optional, at most {MAX_NOTE_LENGTH} characters; "
                    "commission import nhs writes the import report's warnings, e.g. a stale weighted list); "
                    "repeated wherever a sentence names the practice as setting a figure. Not used by the programme.",
                    max_length=MAX_NOTE_LENGTH,
                ),
            ),
        ),
        Table(
            "pcns",
            "Primary Care Networks.",
            (
                Column("pcn_id", "id", True, "-", "Unique PCN code."),
                Column(
                    "arrs_entitlement_gbp",
                    "float",
                    False,
                    "£/year",
                    "ARRS entitlement; blank = settings.arrs_rate_gbp_per_weighted_patient × the "
                    "weighted population of member practices.",
                    lower=0,
                    upper=MAX_AREA_GBP,
                ),
                Column("name", "str", False, "-", "PCN name (optional)."),
            ),
        ),
        Table(
            "roles",
            "Staff roles that can deliver services or be hired.",
            (
                Column("role_id", "id", True, "-", "Unique role code."),
                Column("category", "choice", True, "-", "gp, nurse, arrs or other.", choices=ROLE_CATEGORIES),
                Column(
                    "cost_per_fte_gbp",
                    "float",
                    True,
                    "£/FTE/year",
                    "Full annual employment cost including on-costs.",
                    lower=0,
                    lower_strict=True,
                    upper=MAX_PER_FTE_GBP,
                ),
                Column(
                    "clinical_hours_per_fte",
                    "float",
                    True,
                    "hours/FTE/year",
                    "Patient-facing hours per FTE per year.",
                    lower=0,
                    lower_strict=True,
                    upper=HOURS_PER_YEAR,
                ),
                Column(
                    "max_contacts_per_day",
                    "float",
                    False,
                    "contacts/FTE-day",
                    "Safe-working cap per FTE-day; blank = no cap.",
                    lower=0,
                    lower_strict=True,
                    upper=1_000,
                ),
                Column(
                    "working_days_per_fte",
                    "float",
                    False,
                    "days/FTE/year",
                    "Working days per FTE per year (used only with the cap).",
                    default=200.0,
                    lower=0,
                    lower_strict=True,
                    upper=366,
                ),
                Column(
                    "arrs_reimbursement_max_gbp",
                    "float",
                    False,
                    "£/FTE/year",
                    "Maximum ARRS reimbursement per FTE; only for category arrs.",
                    lower=0,
                    upper=MAX_PER_FTE_GBP,
                ),
                Column(
                    "supply_max_fte",
                    "float",
                    False,
                    "FTE",
                    "Most new FTE of this role the area can hire; blank = unlimited.",
                    lower=0,
                    upper=MAX_FTE,
                ),
                Column(
                    "fte_step",
                    "float",
                    False,
                    "FTE",
                    "New FTE come in whole multiples of this (makes the programme a MIP).",
                    lower=0,
                    lower_strict=True,
                    upper=1_000,
                ),
                Column("name", "str", False, "-", "Role name (optional)."),
            ),
        ),
        Table(
            "staff",
            "Existing workforce.",
            (
                Column(
                    "holder_id",
                    "id",
                    True,
                    "-",
                    "A practice_id (staff work only for that practice) or a pcn_id (staff can be "
                    "deployed across its member practices).",
                ),
                Column("role_id", "id", True, "-", "Role; must exist in roles."),
                Column("fte", "float", True, "FTE", "Full-time equivalents in post.", lower=0, upper=MAX_FTE),
            ),
            required=False,
        ),
        Table(
            "services",
            "Services in the specification and their minimum standards.",
            (
                Column("service_id", "id", True, "-", "Unique service code."),
                Column(
                    "contacts_per_patient",
                    "float",
                    True,
                    "contacts/patient/year",
                    "Contacts per covered patient per year.",
                    lower=0,
                    lower_strict=True,
                    upper=1_000,
                ),
                Column(
                    "min_coverage",
                    "float",
                    True,
                    "fraction",
                    "Minimum share of eligible patients covered (the standard).",
                    lower=0,
                    upper=1,
                ),
                Column(
                    "max_coverage",
                    "float",
                    False,
                    "fraction",
                    "Most share of eligible patients that can be covered.",
                    default=1.0,
                    lower=0,
                    upper=1,
                ),
                Column(
                    "prevalence",
                    "float",
                    False,
                    "fraction",
                    "Eligible = prevalence × list_size unless eligibility gives it.",
                    default=1.0,
                    lower=0,
                    upper=1,
                ),
                Column(
                    "value_weight",
                    "float",
                    False,
                    "value/patient",
                    "Value of covering one patient (max_value objective).",
                    default=1.0,
                    lower=0,
                    upper=1e6,
                ),
                Column("name", "str", False, "-", "Service name (optional)."),
            ),
        ),
        Table(
            "skill_mix",
            "Who can deliver what, and how long a contact takes.",
            (
                Column("service_id", "id", True, "-", "Service; must exist in services."),
                Column("role_id", "id", True, "-", "Role; must exist in roles."),
                Column(
                    "minutes_per_contact",
                    "float",
                    True,
                    "minutes",
                    "Clinical minutes per contact for this role.",
                    lower=0,
                    lower_strict=True,
                    upper=MINUTES_PER_DAY,
                ),
            ),
        ),
        Table(
            "eligibility",
            "Optional per-practice eligible counts (override prevalence × list size).",
            (
                Column("practice_id", "id", True, "-", "Practice; must exist in practices."),
                Column("service_id", "id", True, "-", "Service; must exist in services."),
                Column(
                    "eligible_patients",
                    "float",
                    True,
                    "patients",
                    "Eligible patients.",
                    lower=0,
                    upper=2 * MAX_PATIENTS,
                ),
            ),
            required=False,
        ),
    )
}

# Unique keys of each table (single or composite).
TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "practices": ("practice_id",),
    "pcns": ("pcn_id",),
    "roles": ("role_id",),
    "services": ("service_id",),
    "skill_mix": ("service_id", "role_id"),
    "eligibility": ("practice_id", "service_id"),
}

Objective = Literal["min_cost", "max_value", "max_min_coverage"]
OBJECTIVES: tuple[str, ...] = ("min_cost", "max_value", "max_min_coverage")
BudgetMode = Literal["pooled", "per_practice"]
# The setting that holds the offer in each budget mode.
OFFER_SETTINGS: dict[str, str] = {"pooled": "budget_gbp", "per_practice": "offer_rate_gbp_per_weighted_patient"}


def checked_time_limit(value: Any) -> float:
    """A solver time limit in seconds: above 0 and at most a day. One rule, and one wording, for the
    scenario's ``time_limit_s`` setting and for every entry point's time-limit override."""
    expected = f"must be a number of seconds greater than 0 and at most {MAX_TIME_LIMIT_S:,.0f} (got {shown(value)})"
    try:
        seconds = parse_amount(value)
    except ValueError:
        raise ValueError(expected) from None
    if not 0 < seconds <= MAX_TIME_LIMIT_S:
        raise ValueError(expected)
    return seconds


class ScenarioSettings(BaseModel):
    """The ``settings`` object of a scenario (formulation.md section 1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget_gbp: float | None = Field(
        None,
        ge=0,
        le=MAX_AREA_GBP,
        allow_inf_nan=False,
        description="New recurrent money for the whole area, £/year (pooled mode).",
    )
    budget_mode: BudgetMode = Field("pooled", description="pooled (one pot) or per_practice.")
    offer_rate_gbp_per_weighted_patient: float | None = Field(
        None,
        ge=0,
        le=MAX_RATE_GBP_PER_PATIENT,
        allow_inf_nan=False,
        description="£ per weighted patient per year (per_practice mode).",
    )
    objective: Objective = Field(
        "min_cost",
        description="min_cost, max_value, or max_min_coverage (raise the lowest practice's coverage; fair shares).",
    )
    gp_fte_per_10k_weighted: float | None = Field(
        None,
        ge=0,
        le=10_000,
        allow_inf_nan=False,
        description="GP FTE floor per practice per 10,000 weighted patients.",
    )
    gp_fte_target_total: float | None = Field(
        None, ge=0, le=MAX_FTE, allow_inf_nan=False, description="Area-wide GP FTE floor."
    )
    arrs_rate_gbp_per_weighted_patient: float = Field(
        DEFAULT_ARRS_RATE_GBP,
        ge=0,
        le=MAX_RATE_GBP_PER_PATIENT,
        allow_inf_nan=False,
        description="Used for missing PCN entitlements.",
    )
    time_limit_s: float = Field(
        60.0, gt=0, le=MAX_TIME_LIMIT_S, allow_inf_nan=False, description="Solver wall-clock limit, seconds."
    )
    # None (not False) by default so that scenarios without it keep their canonical form and hash.
    no_practice_below_prior: bool | None = Field(
        None,
        description="Fair shares: every practice receives at least its prior_funding_gbp (practice_floor rule); "
        "blank or false = off.",
    )
    practice_floor_gbp_per_weighted_patient: float | None = Field(
        None,
        ge=0,
        le=MAX_RATE_GBP_PER_PATIENT,
        allow_inf_nan=False,
        description="Fair shares: every practice receives at least this many £ per weighted patient "
        "(practice_floor rule).",
    )
    mip_rel_gap: float = Field(1e-4, ge=0, le=1, allow_inf_nan=False, description="MIP relative gap.")
    data_sources: str | None = Field(
        None,
        max_length=MAX_SOURCES_LENGTH,
        description="Where the scenario's figures come from and their dates (commission import nhs writes "
        "each publication it read); quoted in the report's assumptions. Not used by the programme.",
    )

    @field_validator(
        "budget_gbp",
        "offer_rate_gbp_per_weighted_patient",
        "gp_fte_per_10k_weighted",
        "gp_fte_target_total",
        "arrs_rate_gbp_per_weighted_patient",
        "time_limit_s",
        "mip_rel_gap",
        "practice_floor_gbp_per_weighted_patient",
        mode="before",
    )
    @classmethod
    def _numbers_are_not_booleans(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError(f"must be a number (got {str(value).lower()})")
        if isinstance(value, int) and abs(value) > 2**53:
            raise ValueError(f"must be a number of at most 16 digits (got {len(str(abs(value)))} digits)")
        return value

    @field_validator(
        "budget_gbp",
        "offer_rate_gbp_per_weighted_patient",
        "arrs_rate_gbp_per_weighted_patient",
        "practice_floor_gbp_per_weighted_patient",
        mode="before",
    )
    @classmethod
    def _money_as_people_write_it(cls, value: object, info: ValidationInfo) -> object:
        """£ settings take the amounts every entry point takes (``4.7m``, ``£1,200``), by one parser."""
        if isinstance(value, str):
            rate = str(info.field_name).endswith("_per_weighted_patient")
            return parse_amount(value, RATE_FORMS if rate else AMOUNT_FORMS)
        return value

    @field_validator("time_limit_s", mode="before")
    @classmethod
    def _time_limit_as_every_entry_point_reads_it(cls, value: object) -> float:
        return checked_time_limit(value)

    @model_validator(mode="after")
    def _mode_needs_its_money(self) -> ScenarioSettings:
        if self.budget_mode == "pooled" and self.budget_gbp is None:
            raise ValueError("budget_gbp is required when budget_mode is pooled")
        if self.budget_mode == "per_practice" and self.offer_rate_gbp_per_weighted_patient is None:
            raise ValueError("offer_rate_gbp_per_weighted_patient is required when budget_mode is per_practice")
        return self
