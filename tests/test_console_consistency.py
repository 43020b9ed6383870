"""The two newest commands keep the CLI's conventions, run as a user runs them (the installed
console script): ``report`` takes ``solve``/``check``'s what-if options with the same parsing and
the same messages, and its stdout carries only its answer; ``import nhs`` reports bad input as
every command does (exit 2 naming the file as the table, and the column; one JSON document under
``--format json``); and ``solve`` does not load the report's PDF and template libraries."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests import nhs_files
from tests.console import TINY, run, strict_json


@pytest.mark.parametrize(
    "what_if",
    [
        ["--budget", "lots"],
        ["--offer-rate", "-5"],
        ["--standards-fraction", "1.5"],
    ],
)
def test_report_rejects_bad_what_if_input_exactly_as_check_does(tmp_path: Path, what_if: list[str]) -> None:
    report = run("report", str(TINY), *what_if, "--out", str(tmp_path / "r.pdf"))
    check = run("check", str(TINY), *what_if)
    assert report.returncode == check.returncode == 2, report.stderr
    assert report.stderr.replace("report", "COMMAND") == check.stderr.replace("check", "COMMAND")
    assert "Traceback" not in report.stderr and report.stdout == ""
    assert not (tmp_path / "r.pdf").exists()


def test_the_reports_old_option_names_are_gone() -> None:
    for old in (["--rate", "3"], ["--standards", "0.9"]):
        done = run("report", str(TINY), *old)
        assert done.returncode == 2 and f"No such option: {old[0]}" in done.stderr, done.stderr


def test_report_what_if_matches_check_and_stdout_is_only_the_verdict(tmp_path: Path) -> None:
    options = ["--budget", "30k", "--standards-fraction", "0.8"]
    report = run("report", str(TINY), *options, "--frontier-points", "0", "--out", str(tmp_path / "r.pdf"))
    check = run("check", str(TINY), *options, "--format", "json")
    assert report.returncode == 0, report.stderr
    [verdict] = report.stdout.splitlines()  # one line: nothing else reaches stdout
    deliverable = strict_json(check.stdout)["deliverable"]
    assert check.returncode == (0 if deliverable else 1)
    assert verdict.startswith("Deliverable" if deliverable else "Not deliverable"), verdict
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging file is left behind"


def test_solve_does_not_load_the_report_libraries() -> None:
    probe = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from optimiser.cli import app\n"
        f"done = CliRunner().invoke(app, ['solve', {str(TINY)!r}, '--format', 'json'])\n"
        "assert done.exit_code == 0, done.output\n"
        "print(sorted(m for m in ('weasyprint', 'jinja2', 'markupsafe') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=300)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_import_bad_input_is_one_json_document_naming_file_and_column(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    out = tmp_path / "out"
    args = ["--mapping", str(files["mapping"]), "--list-sizes", str(files["list_sizes"]), "--out", str(out)]
    done = run("import", "nhs", "--icb", "QXX", *args, "--format", "json")
    assert done.returncode == 2, done.stderr
    [problem] = strict_json(done.stdout)["problems"]
    assert problem["table"] == "gp-reg-pat-prac-map.csv" and problem["column"] == "ICB_CODE" and problem["row"] is None
    assert "QXX" in problem["message"] and "Traceback" not in done.stderr
    text = run("import", "nhs", "--icb", "QXX", *args)
    assert text.returncode == 2 and text.stdout == ""
    assert f"  - gp-reg-pat-prac-map.csv column ICB_CODE: {problem['message']}" in text.stderr
    assert not out.exists()


def test_import_refuses_an_out_folder_holding_other_csvs_before_touching_it(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    (out / "practices.csv").write_text("from a previous import\n")
    (out / "mine.csv").write_text("a user's own file\n")
    args = ["--mapping", str(files["mapping"]), "--list-sizes", str(files["list_sizes"]), "--out", str(out)]
    done = run("import", "nhs", "--icb", "QAA", *args, "--force")
    assert done.returncode == 2 and "mine.csv" in done.stderr, done.stderr
    assert (out / "practices.csv").read_text() == "from a previous import\n"  # nothing was removed


def test_report_exits_3_like_check_when_there_is_no_answer_in_time(tmp_path: Path) -> None:
    """A 40-practice MIP with a time limit far too short: the PDF says NO ANSWER IN TIME and the exit is check's 3."""
    import json

    from models.synthetic import generate_scenario

    scenario = tmp_path / "mip.json"
    scenario.write_text(json.dumps(generate_scenario(n_practices=40, n_pcns=5, fte_step=0.5)))
    limits = ["--time-limit", "0.001"]
    report = run("report", str(scenario), *limits, "--frontier-points", "0", "--out", str(tmp_path / "r.pdf"))
    check = run("check", str(scenario), *limits, "--format", "json")
    assert strict_json(check.stdout)["deliverable"] is None and check.returncode == 3
    assert report.returncode == 3, report.stderr
    assert report.stdout.startswith("No answer in time:") and (tmp_path / "r.pdf").exists()
    # The same verdict in the same words: the check's text and the PDF.
    assert "Verdict: NO ANSWER IN TIME" in run("check", str(scenario), *limits).stdout
    if shutil.which("pdftotext"):
        pdf = subprocess.run(["pdftotext", str(tmp_path / "r.pdf"), "-"], capture_output=True, text=True, check=True)
        assert "NO ANSWER IN TIME" in pdf.stdout
