"""Amounts as people write them: ``4.7m``, ``250k``, ``£1,200``, and ``START:STOP:N`` ranges.

One parser for every entry point (the CLI's ``--budget``/``--offer-rate``/``--standards-fraction``,
sweeps, batch manifests and the API's overrides), so the same text means the same number
everywhere. Errors are plain sentences that name what was given and what is expected.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from models.scenario import Problem, ScenarioInvalid

MAX_POINTS = 1000
SUFFIXES = {"": 1.0, "k": 1e3, "m": 1e6}
_AMOUNT = re.compile(r"\s*£?\s*([-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)\s*([kKmM]?)\s*")
AMOUNT_FORMS = "a number such as 4700000, 4.7m, 250k or 1,250,000"


def parse_amount(value: Any) -> float:
    """A number, or text with an optional £, thousands commas and a ``k``/``m`` suffix.

    Raises ``ValueError`` with a plain message for anything else (text, NaN, infinity).
    """
    if isinstance(value, bool):
        raise ValueError(f"expected {AMOUNT_FORMS} (got {value!r})")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = _AMOUNT.fullmatch(value.replace(",", ""))
        if not match:
            raise ValueError(f"expected {AMOUNT_FORMS} (got {value!r})")
        number = float(match.group(1)) * SUFFIXES[match.group(2).lower()]
    else:
        raise ValueError(f"expected {AMOUNT_FORMS} (got {value!r})")
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number (got {value!r})")
    return number


def parse_money(value: Any) -> float:
    """A non-negative amount of £ (``parse_amount`` forms)."""
    number = parse_amount(value)
    if number < 0:
        raise ValueError(f"must not be negative (got {value!r})")
    return number


def parse_fraction(value: Any) -> float:
    """A fraction between 0 and 1 (e.g. ``0.9``)."""
    try:
        number = parse_amount(value)
    except ValueError:
        raise ValueError(f"must be a number between 0 and 1 such as 0.9 (got {value!r})") from None
    if not 0 <= number <= 1:
        raise ValueError(f"must be a number between 0 and 1 (got {value!r})")
    return number


def parse_range(text: str, name: str) -> np.ndarray:
    """``START:STOP:N`` → N evenly spaced values from START to STOP inclusive (k/m suffixes allowed).

    Raises ``ScenarioInvalid`` naming the override ``name``.
    """

    def bad(message: str) -> ScenarioInvalid:
        return ScenarioInvalid([Problem("overrides", None, name, f"{message} (got {text!r}; expected START:STOP:N)")])

    parts = str(text).strip().split(":")
    if len(parts) != 3:
        raise bad("must have three parts")
    values = []
    for part in parts[:2]:
        try:
            values.append(parse_amount(part))
        except ValueError:
            raise bad(f"{part!r} is not a number") from None
    try:
        count = int(parts[2])
    except ValueError:
        raise bad(f"{parts[2]!r} is not a whole number of points") from None
    if not 1 <= count <= MAX_POINTS:
        raise bad(f"the number of points must be between 1 and {MAX_POINTS}")
    start, stop = values
    if start < 0 or stop < 0:
        raise bad("values must not be negative")
    if count == 1 and start != stop:
        raise bad("one point needs START equal to STOP")
    return np.linspace(start, stop, count)


def check_range(text: Any, name: str) -> str:
    """``text`` stripped if it is a valid ``START:STOP:N`` range; ``ValueError`` with a plain message if not."""
    if not isinstance(text, str):
        raise ValueError(f"must be a range START:STOP:N such as 15m:25m:5 (got {text!r})")
    try:
        parse_range(text, name)
    except ScenarioInvalid as invalid:
        raise ValueError(invalid.problems[0].message) from None
    return text.strip()
