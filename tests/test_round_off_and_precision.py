"""A least spend of solver round-off reads as nothing, and a table column has one precision (audit 6, A6).

On ``data/example_icb`` at 70% of the standards every new hire is an ARRS role, fully reimbursed:
the least spend is zero, which HiGHS returns as -4e-12. ``solve`` printed "-0.00" and its JSON a
negative objective; the check said "£0.00 a year against a budget of £19.00m". The coverage
table's standard column rounded 52.5% to "52%" and 59.5% to "60%" beside a coverage of 59.5%,
so a met standard read as missed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = [str(Path(sys.executable).with_name("commission"))]
AT_70 = ("data/example_icb", "--standards-fraction", "0.7")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*COMMAND, *args], capture_output=True, text=True, cwd=ROOT, timeout=600)


@pytest.fixture(scope="module")
def solved_text() -> str:
    done = run("solve", *AT_70)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_least_spend_of_round_off_is_zero_in_json_and_text(solved_text: str) -> None:
    done = run("solve", *AT_70, "--format", "json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["objective"] == "min_cost"
    assert result["objective_value"] == 0.0
    assert "Objective (least spend): 0.00" in solved_text
    assert "-0.00" not in solved_text


def test_the_checks_least_cost_of_nothing_reads_as_its_net_spend_does() -> None:
    done = run("check", *AT_70)
    assert done.returncode == 0, done.stderr
    assert "Its least cost is £0 a year against a budget of £19.00m" in done.stdout
    assert "£0.00" not in done.stdout


def test_the_standard_column_is_at_the_coverage_columns_precision(solved_text: str) -> None:
    rows = re.findall(r"│ (\w+)\s+│\s+[\d,]+ │\s+[\d,]+ │\s+([\d.]+%) │\s+([\d.]+%) │", solved_text)
    assert len(rows) == 14
    standards = dict((service, standard) for service, _coverage, standard in rows)
    assert standards["copd_review"] == "52.5%"  # 75% of the spec's level × 70%
    assert all(re.fullmatch(r"\d+\.\d%", share) for _, coverage, standard in rows for share in (coverage, standard))
