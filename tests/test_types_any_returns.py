"""The product's functions return what they declare: mypy's warn_return_any holds on models,
optimiser and api (tests/test_lint.py runs mypy), through a memo typed by its compute function
and a JSON cleaner typed as the object it returns."""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

import numpy as np

from optimiser.objectives import spend_coefficients
from optimiser.programme import Programme
from optimiser.results import clean_json, clean_json_object
from optimiser.runs import load_scenario
from tests.test_arrays import every_family

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ["models.*", "optimiser.*", "api.*"]


def test_the_product_may_not_return_any_as_a_declared_type() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    product = [override for override in config["overrides"] if override["module"] == PRODUCT]
    assert len(product) == 1
    assert product[0].get("warn_return_any") is True
    # No module of the product is let off it.
    assert not [override["module"] for override in config["overrides"] if override.get("warn_return_any") is False]


calls: list[str] = []


def _first(programme: Programme) -> tuple[int, str]:
    calls.append("first")
    return programme.num_cols, "first"


def _second(programme: Programme) -> float:
    calls.append("second")
    return float(programme.num_rows)


def test_a_memo_is_computed_once_per_programme_and_compute() -> None:
    calls.clear()
    programme = Programme(load_scenario(every_family()))
    first = programme.memo(_first)
    assert programme.memo(_first) is first
    assert first == (programme.num_cols, "first")
    # Another compute is its own entry: it never reads the first one's value.
    assert programme.memo(_second) == float(programme.num_rows)
    assert programme.memo(_second) == float(programme.num_rows)
    assert calls == ["first", "second"]
    # A fresh copy computes its own.
    copy = programme.fresh_copy()
    assert copy.memo(_first) == first
    assert calls == ["first", "second", "first"]
    # The spend costs, read through the memo, are one array per programme.
    assert spend_coefficients(programme) is spend_coefficients(programme)


def test_a_json_object_is_cleaned_as_clean_json_cleans_it() -> None:
    value = {1: np.float64(2.5), "nan": math.nan, "inf": np.float64(np.inf), "rows": [np.int64(3), (4, None)]}
    cleaned = clean_json_object(value)
    assert cleaned == {"1": 2.5, "nan": None, "inf": None, "rows": [3, [4, None]]}
    assert cleaned == clean_json(value)
    assert type(cleaned["1"]) is float and type(cleaned["rows"][0]) is int
