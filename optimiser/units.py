"""Amounts as people write them: ``4.7m``, ``250k``, ``£1,200``, and ``START:STOP:N`` ranges.

One parser for every entry point (the CLI's ``--budget``/``--offer-rate``/``--standards-fraction``,
sweeps, batch manifests, the API's overrides, the desk and the scenario's £ settings; the amount
parser itself lives with the settings in ``models.schema``), so the same text means the same
number everywhere. Errors are plain sentences that name what was given and what is expected.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from models.scenario import Problem, ScenarioInvalid
from models.schema import AMOUNT_FORMS, MAX_AREA_GBP, RATE_FORMS, parse_amount, shown

__all__ = [
    "AMOUNT_FORMS",
    "MAX_POINTS",
    "RATE_FORMS",
    "SWEEP_RANGES",
    "check_range",
    "money_form",
    "parse_amount",
    "parse_fraction",
    "parse_money",
    "parse_range",
]

# A sweep's range, START:STOP:N, and the budget mode each sweeps in (None: the scenario's own):
# ``budget`` always means a pooled budget, as ``budget_gbp`` does in a solve or a check, and
# ``offer_rate`` an offer rate in £ per weighted patient, as ``offer_rate_gbp_per_weighted_patient``.
SWEEP_RANGES: dict[str, str | None] = {"budget": "pooled", "offer_rate": "per_practice", "standards": None}

# A sweep draws a frontier: at least two points, and at most this many solves.
MIN_POINTS = 2
MAX_POINTS = 1000


def parse_money(value: Any, forms: str = AMOUNT_FORMS) -> float:
    """A non-negative amount of £ (``parse_amount`` forms; ``forms``: the examples an error gives)."""
    number = parse_amount(value, forms)
    if number < 0:
        raise ValueError(f"must not be negative (got {shown(value)})")
    return number + 0.0  # -0 is 0: never shown as "£-0", and hashed as 0 is


# Text written as an amount of money: a £ sign, or a k/m suffix after a figure ("0.0005k").
_MONEY_FORM = re.compile(r"\s*£.*|.*[0-9.]\s*[kKmM]\s*", re.DOTALL)


def money_form(value: Any) -> bool:
    """True if ``value`` is text written as an amount of money (a £ sign or a k/m suffix).

    The one check that a share (``--standards-fraction``, the API's and a manifest's
    ``standards_fraction``, the desk's standards box) is not read with the money reader,
    which would take "£0.5" and "0.0005k" as 0.5.
    """
    return isinstance(value, str) and _MONEY_FORM.fullmatch(value) is not None


def parse_fraction(value: Any) -> float:
    """A fraction between 0 and 1 (e.g. ``0.9``); text with a £ sign or a k/m suffix is refused."""
    if money_form(value):
        raise ValueError(f"must be a number between 0 and 1 such as 0.9, not an amount of money (got {shown(value)})")
    try:
        number = parse_amount(value)
    except ValueError:
        raise ValueError(f"must be a number between 0 and 1 such as 0.9 (got {shown(value)})") from None
    if not 0 <= number <= 1:
        raise ValueError(f"must be a number between 0 and 1 (got {shown(value)})")
    return number + 0.0  # -0 is 0: never shown as "-0%", and hashed as 0 is


def parse_range(text: str, name: str) -> np.ndarray:
    """``START:STOP:N`` → N evenly spaced values from START to STOP inclusive (k/m suffixes allowed).

    ``name`` is the override: ``standards`` ranges are fractions of the standards (0 to 1),
    ``budget`` ranges amounts of £ (or £ per weighted patient). Raises ``ScenarioInvalid``
    naming the override.
    """

    def bad(message: str) -> ScenarioInvalid:
        return ScenarioInvalid(
            [Problem("overrides", None, name, f"{message} (got {shown(text)}; expected START:STOP:N)")]
        )

    parts = str(text).strip().split(":")
    if len(parts) != 3:
        raise bad("must have three parts")
    values = []
    for part in parts[:2]:
        if name == "standards" and money_form(part):
            raise bad(f"{shown(part)} is an amount of money; fractions of the standards are numbers such as 0.9")
        try:
            values.append(parse_amount(part))
        except ValueError:
            raise bad(f"{shown(part)} is not {RATE_FORMS if name == 'offer_rate' else AMOUNT_FORMS}") from None
    try:
        count = int(parts[2])
    except ValueError:
        raise bad(f"{parts[2]!r} is not a whole number of points") from None
    if not MIN_POINTS <= count <= MAX_POINTS:
        raise bad(f"the number of points must be between {MIN_POINTS} and {MAX_POINTS}")
    if min(values) < 0:
        raise bad("values must not be negative")
    if values[0] == values[1]:
        raise bad(f"START and STOP are the same: {count} points would all be one value")
    if name == "standards" and max(values) > 1:
        raise bad("fractions of the standards must be between 0 and 1")
    if max(values) > MAX_AREA_GBP:
        raise bad(f"amounts must be at most {MAX_AREA_GBP:,.0f}")
    return np.linspace(values[0], values[1], count) + 0.0  # a START or STOP of -0 is 0


def check_range(text: Any, name: str) -> str:
    """``text`` stripped if it is a valid ``START:STOP:N`` range; ``ValueError`` with a plain message if not."""
    if not isinstance(text, str):
        raise ValueError(f"must be a range START:STOP:N such as 15m:25m:5 (got {shown(text)})")
    try:
        parse_range(text, name)
    except ScenarioInvalid as invalid:
        raise ValueError(invalid.problems[0].message) from None
    return text.strip()
