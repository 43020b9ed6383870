"""`commission sweep --objective max_min_coverage` prints the lowest coverage without the standards
beside the one with them, read from the sweep's own CSV (the installed script, in a subprocess)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.console import TINY, run


def test_the_fair_sweep_table_shows_the_lowest_coverage_without_the_standards(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    done = run("sweep", str(TINY), "--objective", "max_min_coverage", "--budget", "20000:60000:3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "lowest coverage without standards" in done.stdout
    csv = pd.read_csv(out / "sweep_budget.csv")
    rows = [line for line in done.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == len(csv) == 3
    for line, (_, point) in zip(rows, csv.iterrows(), strict=True):
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        # The last column is the without-standards lowest coverage, to one decimal as the CSV's value.
        assert cells[-1] == f"{point['no_standards_lowest_coverage']:.1%}", (cells, dict(point))
        with_standards = point["lowest_coverage"]
        assert cells[2] == ("-" if pd.isna(with_standards) else f"{with_standards:.1%}")
    # Below the least deliverable budget the standards cannot be met, yet the money still buys coverage.
    assert rows[0].split("│")[3].strip() == "-" and rows[0].strip("│").split("│")[-1].strip().endswith("%")
