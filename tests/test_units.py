"""One parser for amounts and ranges (``optimiser.units``), used alike by the CLI, batches and the API."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest
from pydantic import ValidationError

from api.schemas import JobIn, Overrides
from models.scenario import ScenarioInvalid
from models.validate import validate_document
from optimiser.batch import ManifestInvalid, parse_manifest
from optimiser.io import read_document, write_document_as_workbook
from optimiser.runs import checked_overrides
from optimiser.units import parse_amount, parse_fraction, parse_money, parse_range
from tests.conftest import base_document
from tests.console import TINY, run, strict_json


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
    # Audit 4, F26: three identical budgets were swept without a word.
    with pytest.raises(ScenarioInvalid, match="START and STOP are the same: 3 points would all be one value"):
        parse_range("1m:1m:3", "budget")


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
        ("budget_gbp", "lots", "budget_gbp: expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got 'lots')"),
        ("budget_gbp", -1, "budget_gbp: must not be negative (got -1)"),
        ("standards_fraction", 2, "standards_fraction: must be a number between 0 and 1 (got 2)"),
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
    with pytest.raises(ManifestInvalid, match=r"4\.7m, 250k or 1,250,000 \(got 'lots'\)"):
        parse_manifest({"runs": [{"scenario": "s.json", "overrides": {"budget_gbp": "lots"}}]}, tmp_path / "m.toml")


# --- thousands separators: only between groups of three digits (audit H1) ------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,250,000", 1_250_000), ("£1,200", 1_200), ("1,200.50", 1_200.5), ("4 700 000", 4_700_000), ("1,500k", 1.5e6)],
)
def test_thousands_separated_in_threes_are_read(text: str, expected: float) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("12,50,00", "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '12,50,00')"),
        ("1,2,3", "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '1,2,3')"),
        ("1234,567", "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '1234,567')"),
        ("1,250 000", "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '1,250 000')"),
        (
            "4,7",
            "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '4,7'; write decimals with a point: 4.7)",
        ),
        (
            "1,0",
            "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '1,0'; write decimals with a point: 1.0)",
        ),
    ],
)
def test_badly_grouped_thousands_are_refused_not_read_as_another_amount(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        parse_amount(text)


# --- one check of every override, for every entry point (audit M3, M7) ----------------------------


@pytest.mark.parametrize(
    ("kind", "overrides", "problem"),
    [
        ("solve", {"budget_gbp": "12,50,00"}, ("budget_gbp", "expected a number such as 4700000, 4.7m, 250k or")),
        (
            "solve",
            {"time_limit_s": 0},
            ("time_limit_s", "must be a number of seconds greater than 0 and at most 86,400"),
        ),
        ("solve", {"time_limit_s": 1e9}, ("time_limit_s", "must be a number of seconds greater than 0 and at most")),
        ("solve", {"sensitivity": "yes"}, ("sensitivity", "must be true or false (got 'yes')")),
        ("solve", {"budget_gbp": 1e13}, ("budget_gbp", "must be at most 1,000,000,000,000 (got 10000000000000)")),
        (
            "sweep",
            {"standards": "0:1.5:4"},
            ("standards", "fractions of the standards must be between 0 and 1 (got '0:1.5:4'; expected START:STOP:N)"),
        ),
        (
            "sweep",
            {"budget": "0:0:1"},
            ("budget", "the number of points must be between 2 and 1000 (got '0:0:1'; expected START:STOP:N)"),
        ),
        ("sweep", {}, (None, "a sweep needs one of budget, offer_rate or standards")),
        (
            "sweep",
            {"budget": "0:1m:3", "standards": "0.5:1:3"},
            (None, "a sweep takes one of budget, offer_rate or standards, not more"),
        ),
        ("check", {"sensitivity": True}, ("sensitivity", "only solves report sensitivity")),
        ("solve", {"budget": "0:1m:3"}, ("budget", "only sweeps take a range")),
        ("solve", {"weights": {"budget": 1}}, ("weights", "only checks take weights")),
        ("sweep", {"budget": "0:1m:3", "weights": {}}, ("weights", "only checks take weights")),
    ],
)
def test_one_check_names_each_bad_override(kind: str, overrides: dict, problem: tuple) -> None:
    with pytest.raises(ScenarioInvalid) as raised:
        checked_overrides(overrides, kind)
    (found,) = raised.value.problems
    assert (found.table, found.column) == ("overrides", problem[0])
    assert found.message.startswith(problem[1]), found.message


def test_valid_overrides_are_read_as_before() -> None:
    given = {"budget_gbp": "1,250,000", "standards_fraction": "0.9", "time_limit_s": 30, "sensitivity": False}
    assert checked_overrides(given, "solve") == {
        "budget_gbp": 1_250_000.0,
        "standards_fraction": 0.9,
        "time_limit_s": 30.0,
        "sensitivity": False,
    }


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("solve", {"budget_gbp": "12,50,00"}, "expected a number such as 4700000, 4.7m, 250k or 1,250,000"),
        ("solve", {"time_limit_s": 0}, "must be a number of seconds greater than 0 and at most 86,400 (got 0)"),
        ("solve", {"time_limit_s": 1e9}, "must be a number of seconds greater than 0 and at most 86,400"),
        ("solve", {"sensitivity": "yes"}, "must be true or false (got 'yes')"),
        ("sweep", {"standards": "0:1.5:4"}, "fractions of the standards must be between 0 and 1 (got '0:1.5:4'"),
        ("sweep", {"budget": "0:0:1"}, "the number of points must be between 2 and 1000 (got '0:0:1'"),
        ("check", {"weights": {"budget": -1}}, "weight 'budget' must be a number ≥ 0 (got -1)"),
        ("check", {"weights": {"foo": 1}}, "unknown weight 'foo' (known: budget, workforce_supply, standards,"),
    ],
)
def test_the_api_schema_and_a_batch_manifest_give_the_same_error(
    tmp_path: Path, kind: str, body: dict, message: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        JobIn.model_validate({"scenario_id": "0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e", "kind": kind, "overrides": body})
    (error,) = raised.value.errors()
    assert message in error["msg"], error["msg"]
    with pytest.raises(ManifestInvalid) as refused:
        parse_manifest({"runs": [{"scenario": "s.json", "kind": kind, "overrides": body}]}, tmp_path / "m.toml")
    (problem,) = refused.value.problems
    assert message in problem, problem


# --- £ settings take the same forms (audit L3) ---------------------------------------------------


def test_settings_amounts_take_the_forms_of_every_entry_point(tmp_path: Path) -> None:
    plain = validate_document(base_document())
    for written in ("1m", "£1,000,000", "1,000k"):
        document = base_document(settings={**base_document()["settings"], "budget_gbp": written})
        assert validate_document(document).scenario_hash == plain.scenario_hash
        write_document_as_workbook(document, tmp_path / "s.xlsx")
        assert validate_document(read_document(tmp_path / "s.xlsx")).scenario_hash == plain.scenario_hash
    bad = base_document(settings={**base_document()["settings"], "budget_gbp": "5,0"})
    with pytest.raises(ScenarioInvalid) as raised:
        validate_document(bad)
    assert [str(problem) for problem in raised.value.problems] == [
        "settings budget_gbp: expected a number such as 4700000, 4.7m, 250k or 1,250,000 "
        "(got '5,0'; write decimals with a point: 5.0)"
    ]


# --- what the user runs: the installed console script ---------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["check", str(TINY), "--budget", "12,50,00"],
            "--budget: expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '12,50,00')",
        ),
        (
            ["sweep", str(TINY), "--standards", "0:1.5:4"],
            "--standards: fractions of the standards must be between 0 and 1 (got '0:1.5:4'; expected START:STOP:N)",
        ),
        (
            ["sweep", str(TINY), "--budget", "0:0:1"],
            "--budget: the number of points must be between 2 and 1000 (got '0:0:1'; expected START:STOP:N)",
        ),
    ],
)
def test_the_console_script_refuses_bad_overrides_with_exit_2(tmp_path: Path, args: list, message: str) -> None:
    done = run(*args, "--out", str(tmp_path / "out")) if args[0] == "sweep" else run(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in " ".join(done.stderr.split()), done.stderr
    assert not (tmp_path / "out").exists()


def test_the_console_script_reads_grouped_thousands_and_settings_in_k_as_plain_numbers(tmp_path: Path) -> None:
    grouped = strict_json(run("solve", str(TINY), "--budget", "1,250,000", "-f", "json").stdout)
    plain = strict_json(run("solve", str(TINY), "--budget", "1250000", "-f", "json").stdout)
    assert grouped["scenario_hash"] == plain["scenario_hash"] and grouped["objective_value"] == plain["objective_value"]
    scenario = tmp_path / "tiny"
    shutil.copytree(TINY, scenario)
    settings = json.loads((scenario / "settings.json").read_text())
    (scenario / "settings.json").write_text(json.dumps({**settings, "budget_gbp": "50k"}))
    in_k = strict_json(run("solve", str(scenario), "-f", "json").stdout)
    written = strict_json(run("solve", str(TINY), "-f", "json").stdout)
    assert in_k["scenario_hash"] == written["scenario_hash"] and in_k["objective_value"] == written["objective_value"]
