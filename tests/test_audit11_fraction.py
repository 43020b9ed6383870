"""Audit 11 #11: a share of the standards is not read with the money reader. "£0.5" and "0.0005k"
were both 0.5 to ``parse_fraction``; now the one check in ``optimiser.units`` refuses them for the
CLI (exit 2), a batch manifest and (tests/api/test_audit11_fraction_api.py) the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.scenario import ScenarioInvalid
from optimiser.batch import ManifestInvalid, parse_manifest
from optimiser.units import money_form, parse_fraction, parse_range
from tests.console import TINY, run

MONEY = "must be a number between 0 and 1 such as 0.9, not an amount of money"


@pytest.mark.parametrize("text", ["£0.5", "0.0005k", " 0.5 m", "£ .5", "0.0000005M"])
def test_a_share_written_as_money_is_refused(text: str) -> None:
    assert money_form(text)
    with pytest.raises(ValueError, match="not an amount of money") as refused:
        parse_fraction(text)
    assert str(refused.value).startswith(MONEY)


@pytest.mark.parametrize(("text", "expected"), [("0.9", 0.9), (".5", 0.5), ("5e-1", 0.5), (0.25, 0.25), ("1", 1.0)])
def test_a_share_written_as_a_number_is_read(text: object, expected: float) -> None:
    assert not money_form(text)
    assert parse_fraction(text) == pytest.approx(expected)


def test_a_standards_range_written_as_money_is_refused() -> None:
    with pytest.raises(ScenarioInvalid) as refused:
        parse_range("£0.5:1:3", "standards")
    assert refused.value.problems[0].message == (
        "'£0.5' is an amount of money; fractions of the standards are numbers such as 0.9 "
        "(got '£0.5:1:3'; expected START:STOP:N)"
    )
    # a budget range still takes £ and suffixes
    assert list(parse_range("£10k:20k:2", "budget")) == [10_000, 20_000]


@pytest.mark.parametrize("text", ["£0.5", "0.0005k"])
def test_the_cli_refuses_a_standards_fraction_written_as_money(text: str) -> None:
    completed = run("solve", str(TINY), "--standards-fraction", text)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert f"--standards-fraction: {MONEY} (got '{text}')" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_a_manifest_refuses_a_standards_fraction_written_as_money(tmp_path: Path) -> None:
    manifest = {"runs": [{"scenario": "s.json", "overrides": {"standards_fraction": "£0.5"}}]}
    with pytest.raises(ManifestInvalid) as refused:
        parse_manifest(manifest, tmp_path / "m.toml")
    [problem] = refused.value.problems
    assert f"{MONEY} (got '£0.5')" in problem, problem
