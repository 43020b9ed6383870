"""A bad command line is answered as any invalid input is, run as a user runs it (the installed
console script): under ``--format json`` one ``{"status": "invalid", ...}`` document on stdout
naming the option or argument, exit 2; otherwise one plain ``error:`` line. Outputs that would be
lost or misplaced (a filled-in workbook, a PDF aimed at a folder) are refused before any work,
and ``--help`` shows flags as flags."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from optimiser.runs import checked_override
from optimiser.units import parse_fraction, parse_money
from tests.console import TINY, run, strict_json


def shared_message(parse: Any, value: str) -> str:
    """What the parser every entry point shares says about ``value``."""
    with pytest.raises(ValueError, match=r"\S") as error:  # a message, not a bare ValueError; callers read it whole
        parse(value)
    return str(error.value)


def option_problem(column: str | None, message: str) -> dict[str, Any]:
    return {"table": "options", "row": None, "column": column, "message": message}


def invalid_json(*args: str) -> list[dict[str, Any]]:
    """The problems of the invalid-input document a command prints on stdout (exit 2, nothing else)."""
    done = run(*args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "error:" not in done.stderr, done.stderr
    document = strict_json(done.stdout)
    assert document["status"] == "invalid", document
    return document["problems"]


def error_lines(stderr: str) -> list[str]:
    """The ``error:`` lines of stderr (a library's banner may come before them)."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize("command", ["solve", "check"])
def test_bad_what_if_options_are_one_json_document_naming_every_option(command: str) -> None:
    problems = invalid_json(command, str(TINY), "--budget", "-5", "--standards-fraction", "1.5", "--format", "json")
    assert problems == [
        option_problem("--budget", shared_message(parse_money, "-5")),
        option_problem("--standards-fraction", shared_message(parse_fraction, "1.5")),
    ]


@pytest.mark.parametrize("amount", ["lots", "nan", "inf"])
def test_a_budget_that_is_not_an_amount_is_one_json_document(amount: str) -> None:
    problems = invalid_json("solve", str(TINY), "--budget", amount, "-f", "json")
    assert problems == [option_problem("--budget", shared_message(parse_money, amount))]


def test_bad_objective_is_one_json_document() -> None:
    problems = invalid_json("solve", str(TINY), "--objective", "foo", "--format=json")
    assert problems == [
        option_problem("--objective", "must be one of min_cost, max_value, max_min_coverage (got 'foo')")
    ]


def test_sweep_without_a_range_and_with_a_wrong_objective_are_json_documents() -> None:
    assert invalid_json("sweep", str(TINY), "-f", "json") == [
        option_problem(None, "give exactly one of --budget, --offer-rate or --standards, each START:STOP:N")
    ]
    assert invalid_json("sweep", str(TINY), "--standards", "0.5:1:2", "--objective", "max_value", "-fjson") == [
        option_problem(
            "--objective",
            "is for a --budget or --offer-rate sweep; a --standards sweep is by least cost (got 'max_value')",
        )
    ]


def test_import_without_an_area_is_a_json_document(tmp_path: Path) -> None:
    args = ["--mapping", "m.csv", "--list-sizes", "l.csv", "--out", str(tmp_path / "out")]
    assert invalid_json("import", "nhs", *args, "--format", "json") == [
        option_problem(None, "give --icb CODE or --sub-icb CODE (or both)")
    ]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            ["solve", str(TINY), "--bogus"],
            option_problem("--bogus", "No such option: --bogus (Possible options: --out)"),
        ),
        (
            ["check", str(TINY), "--time-limit"],
            option_problem("--time-limit", "Option '--time-limit' requires an argument."),
        ),
        (
            ["validate"],
            {"table": "arguments", "row": None, "column": "PATH", "message": "Missing argument 'path'."},
        ),
        (
            ["validate", str(TINY), "extra"],
            {"table": "arguments", "row": None, "column": None, "message": "Got unexpected extra argument(s) (extra)"},
        ),
    ],
    ids=["unknown option", "option without its value", "missing argument", "argument too many"],
)
def test_what_typer_finds_wrong_with_the_command_line_is_a_json_document(
    args: list[str], problem: dict[str, Any]
) -> None:
    assert invalid_json(*args[:1], "--format", "json", *args[1:]) == [problem]


def test_without_json_a_bad_option_is_one_plain_line_and_typer_errors_keep_their_usage() -> None:
    done = run("solve", str(TINY), "--budget", "-5", "--standards-fraction", "2")
    assert done.returncode == 2 and done.stdout == ""
    assert error_lines(done.stderr) == [
        f"error: --budget: {shared_message(parse_money, '-5')}",
        f"error: --standards-fraction: {shared_message(parse_fraction, '2')}",
    ]
    typer_error = run("solve", str(TINY), "--bogus")
    assert typer_error.returncode == 2 and typer_error.stdout == ""
    assert "Usage: commission solve [OPTIONS] PATH" in typer_error.stderr
    assert "No such option: --bogus" in typer_error.stderr


@pytest.mark.parametrize("value", ["0", "abc", "1e5", "-1"])
@pytest.mark.parametrize("command", ["solve", "check"])
def test_a_bad_time_limit_is_judged_as_a_scenario_asking_for_it(tmp_path: Path, command: str, value: str) -> None:
    """--time-limit meets the same rule as time_limit_s in the scenario's settings and is refused in
    the same words, quoting the value as typed (not Typer's "Input should be a valid number", not
    1e5 as 100000); the problem names where the value came from (the option, or the settings)."""
    edited = tmp_path / "tiny_bad_limit"
    shutil.copytree(TINY, edited)
    settings = json.loads((edited / "settings.json").read_text())
    (edited / "settings.json").write_text(json.dumps({**settings, "time_limit_s": value}))
    by_option = invalid_json(command, str(TINY), "--time-limit", value, "--format", "json")
    by_settings = invalid_json(command, str(edited), "--format", "json")
    assert [(p["table"], p["column"]) for p in by_option] == [("options", "--time-limit")]
    assert [(p["table"], p["column"]) for p in by_settings] == [("settings", "time_limit_s")]
    message = f"must be a number of seconds greater than 0 and at most 86,400 (got '{value}')"
    assert by_option[0]["message"] == by_settings[0]["message"] == message
    plain = run(command, str(TINY), "--time-limit", value)
    assert plain.returncode == 2 and plain.stdout == "", plain.stderr
    assert error_lines(plain.stderr) == [f"error: --time-limit: {message}"] and "Usage:" not in plain.stderr
    report = run("report", str(TINY), "--time-limit", value, "--out", str(tmp_path / "r.pdf"))
    assert report.returncode == 2 and error_lines(report.stderr) == [f"error: --time-limit: {message}"]
    assert not (tmp_path / "r.pdf").exists()


def test_report_out_a_folder_is_refused_naming_it_before_any_work(tmp_path: Path) -> None:
    folder = tmp_path / "rdir"
    folder.mkdir()
    done = run("report", str(TINY), "--out", str(folder))
    assert done.returncode == 2, done.stderr
    assert error_lines(done.stderr) == [f"error: --out: {folder} is a directory; give a .pdf file name"]
    assert done.stdout == "" and list(tmp_path.iterdir()) == [folder] and not list(folder.iterdir())


@pytest.mark.parametrize("command", [["solve"], ["sweep", "--budget", "20k:40k:2"]], ids=["solve", "sweep"])
def test_out_a_file_is_refused_before_solving(tmp_path: Path, command: list[str]) -> None:
    existing = tmp_path / "notes.txt"
    existing.write_text("a user's file\n")
    problems = invalid_json(command[0], str(TINY), *command[1:], "--out", str(existing), "--format", "json")
    assert problems == [option_problem("--out", f"{existing} is a file; give a folder")]
    assert existing.read_text() == "a user's file\n"


def override_message(key: str, value: Any) -> str:
    """What the override check every entry point shares says about ``value``."""
    with pytest.raises(ValueError, match=r"\S") as error:  # a message, not a bare ValueError; callers read it whole
        checked_override(key, value)
    return str(error.value)


@pytest.mark.parametrize(
    ("args", "option", "message"),
    [
        (["solve", "--time-limit", "0"], "--time-limit", override_message("time_limit_s", "0")),
        (["check", "--budget", "1e13"], "--budget", "must be at most 1,000,000,000,000 (got '1e13')"),
        (["check", "--budget", "2,000,000m"], "--budget", "must be at most 1,000,000,000,000 (got '2,000,000m')"),
        (
            ["report", "--offer-rate", "1m"],
            "--offer-rate",
            override_message("offer_rate_gbp_per_weighted_patient", "1m"),
        ),
        (["sweep", "--budget", "0:1:1"], "--budget", override_message("budget", "0:1:1")),
        (["sweep", "--standards", "0.5:1.5:3"], "--standards", override_message("standards", "0.5:1.5:3")),
        (["solve", "--engine", "fast"], "--engine", override_message("engine", "fast")),
        (["check", "--weights", "foo=1"], "--weights", override_message("weights", {"foo": 1.0})),
    ],
    ids=[
        "time limit",
        "budget 1e13",
        "budget as typed",
        "offer rate",
        "budget range",
        "standards range",
        "engine",
        "weights",
    ],
)
def test_an_option_the_shared_check_refuses_is_named_by_the_option(
    tmp_path: Path, args: list[str], option: str, message: str
) -> None:
    """The README's contract: a problem with an option is under the table ``options`` and the
    option's name, in the words of the one check every entry point shares, quoting the value as typed."""
    command, *options = args
    if command == "report":  # writes a PDF, not JSON: one error line
        done = run(command, str(TINY), *options, "--out", str(tmp_path / "r.pdf"))
        assert done.returncode == 2 and done.stdout == "", done.stderr
        assert error_lines(done.stderr) == [f"error: {option}: {message}"]
        assert not (tmp_path / "r.pdf").exists()
        return
    assert invalid_json(command, str(TINY), *options, "--format", "json") == [option_problem(option, message)]
    done = run(command, str(TINY), *options)
    assert done.returncode == 2 and error_lines(done.stderr) == [f"error: {option}: {message}"]


def test_a_weight_given_twice_is_refused_naming_both_never_the_last() -> None:
    """Audit 5 F6: as a key given twice in a JSON body, a manifest or the settings."""
    problems = invalid_json("check", str(TINY), "--weights", "budget=1,standards=2,budget=2", "--format", "json")
    assert problems == [
        option_problem("--weights", "weight 'budget' is given more than once (budget=1, then budget=2); give it once")
    ]
    done = run("check", str(TINY), "--weights", "spread=0.5, spread = 0.25")
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert error_lines(done.stderr) == [
        "error: --weights: weight 'spread' is given more than once (spread=0.5, then spread = 0.25); give it once"
    ]


@pytest.mark.parametrize(("typed", "quoted"), [("-1", "-1"), ("-1.5", "-1.5"), ("-2.0", "-2.0")])
def test_a_bad_weight_is_quoted_as_typed_in_the_apis_words(typed: str, quoted: str) -> None:
    """Audit 5 F6: `budget=-1` was quoted '(got -1.0)'; the API, given -1, says '(got -1)'."""
    problems = invalid_json("check", str(TINY), "--weights", f"budget={typed}", "--format", "json")
    assert problems == [option_problem("--weights", f"weight 'budget' must be a number ≥ 0 (got {quoted})")]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e400", "is too large (got 1e400)"),  # as the API quotes JSON's 1e999, not "(got inf)"
        ("inf", "must be a number ≥ 0 (got 'inf')"),  # no JSON number is infinite: text
        ("nan", "must be a number ≥ 0 (got 'nan')"),
    ],
)
def test_a_weight_too_large_for_a_number_is_quoted_as_typed(typed: str, message: str) -> None:
    """Verify 5, N7: `--weights budget=1e400` said "(got inf)"."""
    done = run("check", str(TINY), "--weights", f"budget={typed}")
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert error_lines(done.stderr) == [f"error: --weights: weight 'budget' {message}"]


def unwritable_outs(tmp_path: Path) -> list[tuple[Path, str]]:
    """Places an --out cannot be written, with the reason the command gives: under a file, and in /proc."""
    a_file = tmp_path / "ro.pdf"
    a_file.write_text("")
    return [
        (a_file / "x", f"{a_file} is a file"),
        (a_file / "sub" / "x", f"{a_file} is a file"),
        (Path("/proc/x"), "files cannot be created in /proc"),
    ]


@pytest.mark.parametrize(
    "command",
    [
        ["solve"],
        ["sweep", "--budget", "20k:40k:2"],
        ["import", "nhs", "--icb", "QSL", "--mapping", "m.csv", "--list-sizes", "l.csv"],
    ],
    ids=["solve", "sweep", "import nhs"],
)
def test_an_out_that_cannot_be_written_is_refused_before_any_work(tmp_path: Path, command: list[str]) -> None:
    """Refused with exit 2 naming the user's path (not a hidden staging file beside it), before
    the solve (HiGHS never prints its banner), and answered on stdout under --format json."""
    arguments = command if command[0] == "import" else [command[0], str(TINY), *command[1:]]
    for target, reason in unwritable_outs(tmp_path):
        done = run(*arguments, "--out", str(target), "--format", "json")
        assert done.returncode == 2, (target, done.stderr)
        assert strict_json(done.stdout)["problems"] == [option_problem("--out", f"cannot write to {target}: {reason}")]
        assert "HiGHS" not in done.stderr and "error:" not in done.stderr, done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ro.pdf"]


def test_report_to_a_place_that_cannot_be_written_is_refused_before_the_check(tmp_path: Path) -> None:
    for target, reason in unwritable_outs(tmp_path):
        pdf = target.with_suffix(".pdf")
        done = run("report", str(TINY), "--out", str(pdf))
        assert done.returncode == 2 and done.stdout == "", done.stderr
        assert error_lines(done.stderr) == [f"error: --out: cannot write to {pdf}: {reason}"]
        assert "HiGHS" not in done.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["ro.pdf"]


def test_an_invalid_manifest_under_json_is_answered_on_stdout(tmp_path: Path) -> None:
    """``batch --format json`` writes JSON lines on stdout; an invalid manifest is one line there,
    ``{"status": "invalid", "problems": [...]}`` as other commands answer, each naming the manifest
    (and, for the batch's log, in words on stderr)."""
    manifest = tmp_path / "bad.json"
    manifest.write_text(json.dumps({"runs": [{"id": "t", "scenario": str(TINY), "overrides": {"budget_gbp": -1}}]}))
    done = run("batch", str(manifest), "--out", str(tmp_path / "out"), "--format", "json")
    assert done.returncode == 2, done.stderr
    [line] = done.stdout.splitlines()
    event = strict_json(line)
    assert (event["event"], event["status"]) == ("invalid", "invalid")
    assert event["problems"] == [
        {
            "table": str(manifest),
            "row": None,
            "column": None,
            "message": "runs[0] (id 't'), field overrides.budget_gbp: must not be negative (got -1)",
        }
    ]
    assert "  - runs[0] (id 't'), field overrides.budget_gbp: must not be negative (got -1)" in done.stderr
    assert not (tmp_path / "out").exists()


def test_docs_batch_quotes_the_message_a_bad_grid_value_gets(tmp_path: Path) -> None:
    """docs/batch.md's example of an invalid manifest is what the batch says for it today."""
    example = (TINY.parent / "batch_example.toml").read_text(encoding="utf-8")
    grid = 'grid = { budget_gbp = [18e6, 21e6, 24e6], objective = ["min_cost", "max_value"] }'
    assert grid in example
    manifest = tmp_path / "nightly.toml"
    manifest.write_text(
        example.replace(grid, 'grid = { budget_gbp = [18e6, "lots"] }').replace(
            'scenario = "', f'scenario = "{TINY.parent.as_posix()}/'
        ),
        encoding="utf-8",
    )
    done = run("batch", str(manifest), "--out", str(tmp_path / "out"), "--format", "json")
    assert done.returncode == 2, done.stderr
    [problem] = strict_json(done.stdout)["problems"]
    docs = " ".join((TINY.parents[1] / "docs" / "batch.md").read_text(encoding="utf-8").split())
    assert f"`{problem['message']}`" in docs


@pytest.mark.parametrize(
    ("args", "column"),
    [(["--workers", "abc"], "--workers"), (["--workers", "0"], "--workers"), (["--bogus"], "--bogus")],
    ids=["workers not a number", "no workers", "unknown option"],
)
@pytest.mark.parametrize("fmt", [["--format", "json"], []], ids=["json", "default off a terminal"])
def test_a_bad_batch_command_line_is_its_one_invalid_json_line(
    tmp_path: Path, args: list[str], column: str, fmt: list[str]
) -> None:
    """Where ``batch`` writes JSON lines (asked to, or by default off a terminal), a bad command line
    is answered as a bad manifest is: one ``invalid`` line on stdout naming the option under
    ``options``, the problem in words on stderr, exit 2, nothing run (was: Typer's box, empty stdout)."""
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"runs": [{"id": "t", "scenario": str(TINY)}]}))
    done = run("batch", str(manifest), "--out", str(tmp_path / "out"), *fmt, *args)
    assert done.returncode == 2, done.stderr
    [line] = done.stdout.splitlines()
    event = strict_json(line)
    assert (event["event"], event["status"]) == ("invalid", "invalid")
    [problem] = event["problems"]
    assert (problem["table"], problem["row"], problem["column"]) == ("options", None, column)
    assert error_lines(done.stderr) == [f"error: {column}: {problem['message']}"]
    assert "Traceback" not in done.stderr and "╭" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_batch_command_line_under_text_is_one_error_line_or_typers_usage(tmp_path: Path) -> None:
    """A bad option value is one ``error:`` line as every option's (audit 9, A13); an unknown
    option keeps Typer's usage, which points to --help."""
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps({"runs": [{"id": "t", "scenario": str(TINY)}]}))
    done = run("batch", str(manifest), "--format", "text", "--workers", "abc")
    assert done.returncode == 2 and done.stdout == ""
    message = "must be a whole number of worker processes, at least 1 (got 'abc')"
    assert error_lines(done.stderr) == [f"error: --workers: {message}"] and "Usage:" not in done.stderr
    unknown = run("batch", str(manifest), "--format", "text", "--bogus")
    assert unknown.returncode == 2 and unknown.stdout == ""
    assert "Usage: commission batch [OPTIONS] MANIFEST" in unknown.stderr


def test_template_keeps_an_existing_workbook_unless_forced(tmp_path: Path) -> None:
    import openpyxl

    workbook = tmp_path / "scenario.xlsx"
    assert run("template", str(workbook)).returncode == 0
    filled = openpyxl.load_workbook(workbook)
    filled["practices"].append(["P1", "PCN1", 5000])
    filled.save(workbook)
    kept = workbook.read_bytes()

    again = run("template", str(workbook))
    assert again.returncode == 2 and again.stdout == ""
    assert error_lines(again.stderr) == [f"error: {workbook} exists; give --force to replace it"]
    assert workbook.read_bytes() == kept

    forced = run("template", str(workbook), "--force")
    assert forced.returncode == 0, forced.stderr
    assert openpyxl.load_workbook(workbook)["practices"].max_row == 1  # the headers only: a fresh template


@pytest.mark.parametrize(
    ("command", "usage", "flags"),
    [
        ([], "commission [OPTIONS] COMMAND [ARGS]...", ["--help"]),
        (["solve"], "commission solve [OPTIONS] PATH", ["--sensitivity", "--help"]),
        (["template"], "commission template [OPTIONS] TARGET", ["--force", "--help"]),
        (["batch"], "commission batch [OPTIONS] MANIFEST", ["--force", "--help"]),
        (["import", "nhs"], "commission import nhs [OPTIONS]", ["--force", "--help"]),
        (["serve"], "commission serve [OPTIONS]", ["--help"]),
        (["keys", "create"], "commission keys create [OPTIONS]", ["--help"]),
    ],
    ids=["commission", "solve", "template", "batch", "import nhs", "serve", "keys create"],
)
def test_help_shows_flags_without_a_value_and_arguments_by_name(
    command: list[str], usage: str, flags: list[str]
) -> None:
    done = run(*command, "--help")
    assert done.returncode == 0, done.stderr
    [usage_line] = [line.strip() for line in done.stdout.splitlines() if "Usage:" in line]
    assert usage_line == f"Usage: {usage}"
    assert "<bool>" not in done.stdout, done.stdout
    for flag in flags:  # its row in the options panel: the flag, then straight to its help
        [row] = [line for line in done.stdout.splitlines() if re.match(rf"^│\s+{flag}\s", line)]
        assert re.match(rf"^│\s+{flag}\s+[A-Z]", row), row
