"""Audit 9, A13: figures and words a user reads, in the product's voice, where the user meets them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.console import TINY, run


def tiny_with(tmp_path: Path, table: str, old: str, new: str) -> Path:
    """data/tiny with ``old`` replaced by ``new`` in ``table``.csv."""
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    path = folder / f"{table}.csv"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return folder


def warnings_of(folder: Path, *options: str) -> list[str]:
    done = run("validate", str(folder), "--format", "json", *options)
    assert done.returncode == 0, done.stderr
    return [warning["message"] for warning in json.loads(done.stdout)["warnings"]]


def test_a_list_of_one_patient_is_singular(tmp_path: Path) -> None:
    practices = (TINY / "practices.csv").read_text().splitlines()
    first = practices[1].split(",")
    header = practices[0].split(",")
    first[header.index("list_size")] = "1"
    first[header.index("weighted_list_size")] = "1"
    folder = tiny_with(tmp_path, "practices", practices[1], ",".join(first))
    [message] = [m for m in warnings_of(folder) if m.startswith("a list of")]
    assert message.startswith("a list of 1 patient looks like thousands of patients (did you mean 1,000?)")


def test_a_tiny_cost_per_post_suggests_money_as_the_check_words_it(tmp_path: Path) -> None:
    folder = tiny_with(tmp_path, "roles", "salaried_gp,gp,100000,", "salaried_gp,gp,0.0001,")
    [message] = warnings_of(folder)
    assert message.endswith("(did you mean £0.10?)"), message


def test_budget_warnings_word_money_and_rates_as_the_check_does() -> None:
    small = run("solve", str(TINY), "--budget", "1000.01")
    assert "a pooled budget of £1,000 a year is £0.10 per weighted patient (10,000 weighted patients)" in small.stdout
    large = run("solve", str(TINY), "--budget", "1e12")
    assert "a pooled budget of £1,000.00bn a year is £100,000,000.00 per weighted patient" in large.stdout
    assert "more than £1,000.00: it looks like pence" in large.stdout
    assert "1000000000000" not in large.stdout


def test_a_budget_below_half_a_penny_per_weighted_patient_is_not_zero_pence() -> None:
    done = run("solve", str(TINY.parent / "example_icb"), "--budget", "2000")
    assert "a pooled budget of £2,000 a year is less than £0.01 per weighted patient (1,327,023 " in done.stdout


def problems_of(folder: Path) -> list[str]:
    done = run("validate", str(folder), "--format", "json")
    assert done.returncode == 2, done.stderr
    return [f"{p['table']} {p['column']}: {p['message']}" for p in json.loads(done.stdout)["problems"]]


def test_contract_bounds_are_written_as_people_write_numbers(tmp_path: Path) -> None:
    practices = (TINY / "practices.csv").read_text().splitlines()
    header, first = practices[0].split(","), practices[1].split(",")
    first[header.index("list_size")] = "900000000"
    folder = tiny_with(tmp_path, "practices", practices[1], ",".join(first))
    settings = json.loads((folder / "settings.json").read_text())
    (folder / "settings.json").write_text(json.dumps({**settings, "budget_gbp": -5}))
    problems = problems_of(folder)
    assert "practices list_size: must be at most 1,000,000 (got '900000000')" in problems, problems
    assert "settings budget_gbp: must be at least 0 (got -5)" in problems, problems


RATE_EXAMPLES = "expected a number of £ per weighted patient such as 35.50, £35.50 or 125 (got 'abc')"


def test_an_unreadable_rate_is_explained_with_rates_on_the_command_line() -> None:
    done = run("check", str(TINY), "--offer-rate", "abc")
    assert done.returncode == 2
    assert done.stderr.strip() == f"error: --offer-rate: {RATE_EXAMPLES}"
    swept = run("sweep", str(TINY), "--offer-rate", "1:abc:3")
    assert swept.returncode == 2
    assert "'abc' is not a number of £ per weighted patient such as 35.50" in swept.stderr
    budget = run("check", str(TINY), "--budget", "abc")
    assert "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got 'abc')" in budget.stderr


def test_an_unreadable_rate_is_explained_with_rates_in_a_batch_and_a_scenario(tmp_path: Path) -> None:
    manifest = tmp_path / "batch.toml"
    manifest.write_text(
        f'[[runs]]\nscenario = "{TINY}"\noverrides = {{ offer_rate_gbp_per_weighted_patient = "abc" }}\n'
    )
    done = run("batch", str(manifest), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert RATE_EXAMPLES in " ".join(done.stderr.split())
    folder = tmp_path / "tiny"
    shutil.copytree(TINY, folder)
    settings = json.loads((folder / "settings.json").read_text())
    (folder / "settings.json").write_text(json.dumps({**settings, "offer_rate_gbp_per_weighted_patient": "abc"}))
    assert f"settings offer_rate_gbp_per_weighted_patient: {RATE_EXAMPLES}" in problems_of(folder)


def test_option_errors_are_one_error_line_whoever_checks_the_option(tmp_path: Path) -> None:
    """Typer's range check (--frontier-points) and the product's own (--budget) read alike: one
    ``error:`` line naming the option, exit 2, no usage box."""
    checked_by_typer = run("report", str(TINY), "--frontier-points", "51", "--out", str(tmp_path / "r.pdf"))
    checked_by_us = run("sweep", str(TINY), "--budget", "0:50k:1")
    for done in (checked_by_typer, checked_by_us):
        assert done.returncode == 2 and done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith("error: --"), line
    assert checked_by_typer.stderr == (
        "error: --frontier-points: must be a whole number of budgets on the chart from 0 to 50 (got '51')\n"
    )
    assert not (tmp_path / "r.pdf").exists()


def test_a_sweep_of_a_service_named_in_cjk_prints_no_font_warnings(tmp_path: Path) -> None:
    """DejaVu Sans has no CJK glyphs: the name is kept (boxes in the PNG) without six library warnings."""
    folder = tiny_with(tmp_path, "services", ",Same-day access\n", ",当日预约\n")
    done = run("sweep", str(folder), "--budget", "30k:50k:3", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "Glyph" not in done.stderr and "Warning" not in done.stderr, done.stderr
    assert (tmp_path / "out" / "sweep_budget.png").stat().st_size > 0
