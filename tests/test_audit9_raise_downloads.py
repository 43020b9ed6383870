"""Audit 9, A8: a raise of the safe-working cap is downloaded (levers.csv, the comparison's CSV,
JSON and XLSX) at the places its sentence shows it: 1.41, never 1.402 beside 1.41."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from optimiser.deliverability import wording
from optimiser.io import rounded_for_output
from optimiser.report.compare import Side, compare
from tests.console import REPO, check_json, lever

UNDELIVERABLE = str(REPO / "data" / "undeliverable_offer")


def test_a_raise_of_the_cap_is_downloaded_as_its_sentence_shows_it() -> None:
    """Audit 9, A8: levers.csv and the comparison said 1.402 where every sentence said 1.41."""
    levers = pd.DataFrame(
        {"lever": ["safe_working"] * 3 + ["workforce_supply"], "amount": [1.4020000000000001, 0.000123, 126.2, 2.3451]}
    ).assign(unit=["contacts per FTE-day"] * 3 + ["FTE"])
    assert list(rounded_for_output(levers)["amount"]) == [1.41, 0.000123, 127.0, 2.346]
    assert [wording.least_number(v) for v in (1.4020000000000001, 0.000123, 126.2)] == ["1.41", "0.000123", "127"]
    a, b = check_json(UNDELIVERABLE), check_json(UNDELIVERABLE, "--budget", "11560200")
    raise_a, raise_b = lever(a, "safe_working")["amount"], lever(b, "safe_working")["amount"]
    rows = compare(Side("A", "check", a), Side("B", "check", b)).downloaded_rows()
    row = next(r for r in rows if r["item"] == wording.COMPARE_HEADLINE["safe_working_raise"])
    shown = [wording.least_number(raise_a), wording.least_number(raise_b)]
    assert [row["a"], row["b"]] == [float(text) for text in shown], (row, raise_a, raise_b)
    assert row["b_minus_a"] == pytest.approx(row["b"] - row["a"], abs=1e-12)
    assert re.fullmatch(r"\d+\.\d{2}", shown[0]) and row["a"] != pytest.approx(raise_a, abs=1e-4)
