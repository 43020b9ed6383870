"""A message comparing two figures never reads "x > x": when rounding shows two different figures
alike, both are shown to the decimals that tell them apart (models.formats.numbers_apart)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from models import formats
from tests.require import require_or_skip

REPO = Path(__file__).resolve().parents[1]
COMMISSION = Path(sys.executable).with_name("commission")


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (0.8, 0.7, ("0.8", "0.7")),  # apart as number() shows them: unchanged
        (1000.4, 1000.0, ("1,000.4", "1,000.0")),
        (0.80000001, 0.8, ("0.80000001", "0.80000000")),
        (1.004, 1.0, ("1.004", "1.000")),
        (5.0, 5.0, ("5", "5")),
    ],
)
def test_two_figures_read_apart_when_they_differ(first: float, second: float, expected: tuple[str, str]) -> None:
    assert formats.numbers_apart(first, second) == expected


def test_validate_shows_min_coverage_above_max_coverage_apart(tmp_path: Path) -> None:
    require_or_skip(COMMISSION.exists(), "the console script is not installed (pip install -e .)")
    scenario = tmp_path / "tiny"
    shutil.copytree(REPO / "data" / "tiny", scenario)
    services = scenario / "services.csv"
    text = services.read_text(encoding="utf-8")
    services.write_text(text.replace("same_day_access,2,0.8,1,", "same_day_access,2,0.8004,0.8,"), encoding="utf-8")
    done = subprocess.run(
        [str(COMMISSION), "validate", str(scenario)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    output = " ".join((done.stdout + done.stderr).split())
    assert "must be <= max_coverage (0.8004 > 0.8000)" in output, output
    assert "(0.8 > 0.8)" not in output
