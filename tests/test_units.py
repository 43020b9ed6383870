"""One parser for amounts and ranges (``optimiser.units``), used alike by the CLI, batches and the API."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.schemas import Overrides
from models.scenario import ScenarioInvalid
from optimiser.batch import ManifestInvalid, parse_manifest
from optimiser.units import parse_amount, parse_fraction, parse_money, parse_range


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4.7m", 4_700_000),
        ("4.7M", 4_700_000),
        ("250k", 250_000),
        ("£1,250,000", 1_250_000),
        (" 36.9k ", 36_900),
        ("1e6", 1_000_000),
        (".5m", 500_000),
        (42, 42),
        (0.5, 0.5),
        ("0", 0),
    ],
)
def test_amounts_in_the_forms_people_write(text: object, expected: float) -> None:
    assert parse_amount(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["lots", "4.7mm", "m", "", "1,2.3.4", "nan", "inf", True, None, [1]])
def test_what_is_not_an_amount_is_refused_in_words(text: object) -> None:
    with pytest.raises(ValueError, match="expected"):
        parse_amount(text)


def test_money_and_fractions_have_their_ranges() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_money("-1k")
    assert parse_fraction("0.9") == 0.9
    with pytest.raises(ValueError, match="between 0 and 1"):
        parse_fraction(1.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        parse_fraction(math.inf)


def test_ranges_take_the_same_suffixes() -> None:
    assert list(parse_range("15m:25m:3", "budget")) == [15e6, 20e6, 25e6]
    with pytest.raises(ScenarioInvalid, match="three parts"):
        parse_range("1:2", "budget")


def test_the_api_overrides_accept_the_cli_forms() -> None:
    overrides = Overrides(budget_gbp="4.7m", offer_rate_gbp_per_weighted_patient="1,200", standards_fraction="0.9")
    assert overrides.as_dict() == {
        "budget_gbp": 4_700_000,
        "offer_rate_gbp_per_weighted_patient": 1_200,
        "standards_fraction": 0.9,
    }
    assert Overrides(budget="15m:25m:5").budget == "15m:25m:5"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget_gbp", "lots", "budget_gbp expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got 'lots')"),
        ("budget_gbp", -1, "budget_gbp must not be negative (got -1)"),
        ("standards_fraction", 2, "standards_fraction must be a number between 0 and 1 (got 2)"),
        ("budget", "lots", "budget: must have three parts (got 'lots'; expected START:STOP:N)"),
    ],
)
def test_the_api_says_what_is_wrong_in_words(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Overrides.model_validate({field: value})
    (error,) = raised.value.errors()
    assert error["msg"] == message


def test_batch_manifests_take_the_same_forms(tmp_path: Path) -> None:
    manifest = parse_manifest(
        {"runs": [{"scenario": "s.json", "grid": {"budget_gbp": ["4.7m", "250k"]}}]}, tmp_path / "m.toml"
    )
    assert sorted(run.overrides["budget_gbp"] for run in manifest.runs) == [250_000, 4_700_000]
    with pytest.raises(ManifestInvalid, match=r"4\.7m or 250k"):
        parse_manifest({"runs": [{"scenario": "s.json", "overrides": {"budget_gbp": "lots"}}]}, tmp_path / "m.toml")
