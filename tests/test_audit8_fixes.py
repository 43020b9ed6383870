"""Audit 8's findings on -0, the chart's numbers and weights that are all 0 (/work/audit8.md).

* A6 (the task's A4): ``-0`` given as a budget or a fraction of the standards, or written in a
  scenario's cell or setting, is 0: the same answer, words and scenario hash as 0, and never
  "-0%", "£-0" or ``-0.0`` in the output, from the command line, a batch, the API and the desk.
* A7 (the task's A5): the desk's "The chart's numbers" keeps one precision down each coverage
  column (82.0% beside 80.8%, never 82%).
* A12 (the task's A10): weights that price no change at all are refused, by the one check of
  overrides, with exit 2, a 422 and a batch's ``invalid`` line, naming the weights.

The command line is the installed console script in a subprocess; the API and the desk are the
app with its real workers, through the test client, as tests/api runs them (SQLite).
"""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.orm import Role
from optimiser.io import read_document
from optimiser.report.chart import frontier
from optimiser.runs import run_job
from tests.api.helpers import Service, create_scenario, sqlite_service
from tests.api.helpers import run_job as run_api_job
from tests.console import TINY, run, strict_json, strict_json_lines
from tests.web.conftest import csrf_of

ZERO_WEIGHTS = "budget=0,workforce_supply=0,standards=0,safe_working=0"
ALL_ZERO_MESSAGE = (
    "at least one weight must be above 0 (budget, workforce_supply, standards or safe_working): "
    "with every change free, no change is smallest"
)
# "-0" as a number in words: "-0%", "-0.0%", "£-0", "-0.00", not "-0.5" or "10-0".
MINUS_ZERO_WORDS = re.compile(r"(?<![\w.])(?:£)?-(?:£)?0(?:\.0+)?(?![\d.]*[1-9])")


def negative_zeros(value: Any, path: str = "") -> list[str]:
    """The paths in a JSON document that hold -0.0."""
    if isinstance(value, float) and value == 0 and math.copysign(1.0, value) < 0:
        return [path]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in negative_zeros(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in negative_zeros(item, f"{path}.{index}")]
    return []


def without_timing(text: str) -> str:
    """Text output without the figures that say how long the solves took ("3 solves in 1.2s",
    "Status: optimal (Optimal) in 0.02s")."""
    return re.sub(r"(\d+ solves? )?\bin [\d.]+s\b", "", text)


def test_the_pattern_finds_minus_zero_and_only_it() -> None:
    """The premise of the text checks below (else they could not fail)."""
    for shown in ("at -0% of", "-0.0%", "budget £-0", "-£0", "(-0.00)"):
        assert MINUS_ZERO_WORDS.search(shown), shown
    for shown in ("at 0% of", "-0.5%", "10-0", "£0", "-£1,000", "-0.05"):
        assert not MINUS_ZERO_WORDS.search(shown), shown


# -0 on the command line ----------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--standards-fraction", "--budget"])
def test_minus_zero_on_the_command_line_is_zero(option: str) -> None:
    """``check --standards-fraction=-0`` printed "checked at -0% of its level" and its JSON
    ``"standards_fraction": -0.0``; ``--budget=-0`` hashed unlike ``--budget=0``."""
    text = {value: run("check", str(TINY), f"{option}={value}") for value in ("-0", "0")}
    assert text["-0"].returncode == text["0"].returncode, text["-0"].stderr
    assert text["-0"].returncode in (0, 1), text["-0"].stderr
    assert not MINUS_ZERO_WORDS.search(text["-0"].stdout), text["-0"].stdout
    assert without_timing(text["-0"].stdout) == without_timing(text["0"].stdout)
    if option == "--standards-fraction":
        assert "checked at 0% of its level" in text["-0"].stdout
    answers = {value: run("check", str(TINY), f"{option}={value}", "--format", "json") for value in ("-0", "0")}
    documents = {value: strict_json(done.stdout) for value, done in answers.items()}
    assert negative_zeros(documents["-0"]) == []
    assert documents["-0"]["scenario_hash"] == documents["0"]["scenario_hash"]
    assert documents["-0"]["summary"] == documents["0"]["summary"]
    solved = run("solve", str(TINY), f"{option}=-0")
    assert solved.returncode == 0, solved.stderr
    assert not MINUS_ZERO_WORDS.search(solved.stdout), solved.stdout


def test_a_standards_sweep_ending_at_minus_zero_ends_at_0_percent(tmp_path: Path) -> None:
    """``sweep --standards=1:-0:3`` printed a row "-0%" and its JSON ``"fraction": -0.0``."""
    text = run("sweep", str(TINY), "--standards=1:-0:3", "--out", str(tmp_path / "text"))
    assert text.returncode == 0, text.stderr
    assert not MINUS_ZERO_WORDS.search(text.stdout), text.stdout
    answer = run("sweep", str(TINY), "--standards=1:-0:3", "--out", str(tmp_path / "json"), "--format", "json")
    assert answer.returncode == 0, answer.stderr
    document = strict_json(answer.stdout)
    assert negative_zeros(document) == []
    assert "fraction" in json.dumps(document)  # the premise: the points carry their fractions


def test_a_scenario_written_with_minus_zero_is_the_scenario_written_with_zero(tmp_path: Path) -> None:
    """A cell or a setting of -0 in the files: "£-0" and "-0.0%" were printed, and it hashed apart."""
    written = {}
    for sign in ("-", ""):
        folder = tmp_path / f"tiny{sign or '+'}"
        shutil.copytree(TINY, folder)
        services = (folder / "services.csv").read_text()
        (folder / "services.csv").write_text(services.replace("same_day_access,2,0.8,", f"same_day_access,2,{sign}0,"))
        staff = (folder / "staff.csv").read_text()
        (folder / "staff.csv").write_text(staff.replace("P2,salaried_gp,1", f"P2,salaried_gp,{sign}0"))
        settings = json.loads((folder / "settings.json").read_text())
        (folder / "settings.json").write_text(
            json.dumps(settings).replace('"budget_gbp": 50000.0', f'"budget_gbp": {sign}0.0')
        )
        written[sign] = folder
    assert "same_day_access,2,-0," in (written["-"] / "services.csv").read_text()
    assert '"budget_gbp": -0.0' in (written["-"] / "settings.json").read_text()
    for command in ("solve", "check"):
        texts = {sign: run(command, str(folder)) for sign, folder in written.items()}
        assert texts["-"].returncode == texts[""].returncode, texts["-"].stderr
        assert not MINUS_ZERO_WORDS.search(texts["-"].stdout), texts["-"].stdout
        assert without_timing(texts["-"].stdout) == without_timing(texts[""].stdout)
        answers = {sign: strict_json(run(command, str(f), "--format", "json").stdout) for sign, f in written.items()}
        assert negative_zeros(answers["-"]) == []
        assert answers["-"]["scenario_hash"] == answers[""]["scenario_hash"]


def test_a_batch_reads_minus_zero_as_zero(tmp_path: Path) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    (tmp_path / "m.toml").write_text(
        '[[runs]]\nid = "minus"\nscenario = "tiny"\nkind = "check"\n'
        'overrides = { budget_gbp = "-0", standards_fraction = -0.0 }\n\n'
        '[[runs]]\nid = "zero"\nscenario = "tiny"\nkind = "check"\n'
        "overrides = { budget_gbp = 0, standards_fraction = 0 }\n"
    )
    done = run("batch", "m.toml", "--out", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    results = {name: json.loads((tmp_path / "out" / name / "result.json").read_text()) for name in ("minus", "zero")}
    assert negative_zeros(results["minus"]) == []
    assert results["minus"]["scenario_hash"] == results["zero"]["scenario_hash"]
    assert results["minus"]["summary"] == results["zero"]["summary"]


# Weights that are all 0 ---------------------------------------------------------------------


def test_weights_all_zero_are_refused_on_the_command_line() -> None:
    """They were accepted, and gave an arbitrary plan worded "standards at 94.6% ... no practice
    below 0% of any standard" while dropping standards to nothing."""
    for weights in (ZERO_WEIGHTS, f"{ZERO_WEIGHTS},spread=0", f"{ZERO_WEIGHTS},spread=1"):
        done = run("check", str(TINY), "--weights", weights)
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert done.stderr.strip() == f"error: --weights: {ALL_ZERO_MESSAGE}"
        answer = run("check", str(TINY), "--weights", weights, "--format", "json")
        assert answer.returncode == 2
        assert strict_json(answer.stdout) == {
            "status": "invalid",
            "problems": [{"table": "options", "row": None, "column": "--weights", "message": ALL_ZERO_MESSAGE}],
        }
    # One weight above 0 (an omitted one keeps its default, 1) still prices a change.
    for weights in (
        "budget=0,workforce_supply=0,standards=0",
        "budget=0,workforce_supply=0,safe_working=0,standards=1e-3",
    ):
        done = run("check", str(TINY), "--weights", weights)
        assert done.returncode == 0, done.stderr


def test_weights_all_zero_are_an_invalid_batch_line(tmp_path: Path) -> None:
    shutil.copytree(TINY, tmp_path / "tiny")
    (tmp_path / "m.toml").write_text(
        '[[runs]]\nid = "w"\nscenario = "tiny"\nkind = "check"\n'
        "grid = { weights = [{ budget = 1 }, { budget = 0, workforce_supply = 0, standards = 0, safe_working = 0 }] }\n"
    )
    done = run("batch", "m.toml", "--out", "out", "--format", "json", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    [line] = strict_json_lines(done.stdout)
    assert line["event"] == "invalid"
    [problem] = line["problems"]
    assert problem["message"] == f"runs[0] (id 'w'), field grid.weights[1]: {ALL_ZERO_MESSAGE}"
    assert not (tmp_path / "out").exists()


# The chart's numbers -------------------------------------------------------------------------


def test_the_chart_numbers_keep_one_precision_down_each_column() -> None:
    """The desk's table read 77.6%, 80.8%, 82%, 83.2% (a whole percent lost its decimal)."""
    sweep = run_job("sweep", read_document(TINY), {"budget": "0:50000:11"}).result
    chart = frontier(sweep)
    assert chart is not None
    for column in (2, 3):
        cells = [cell for row in chart.rows if not isinstance(cell := row[column], str)]
        shown = [cell.text for cell in cells]
        assert shown, column
        assert all(re.fullmatch(r"\d{1,3}\.\d%", text) for text in shown), shown
        assert [f"{float(cell.value or 0):.1%}" for cell in cells] == shown
        if column == 3:
            # The case the audit saw: a whole percent in the column (84.0%, once shown as 84%).
            assert any(text.endswith(".0%") for text in shown), shown


# The API and the desk ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    yield from sqlite_service(tmp_path_factory.mktemp("db"))


def test_the_api_stores_echoes_and_hashes_minus_zero_as_zero(service: Service) -> None:
    client, headers = service.client, service.tenant(Role.COMMISSIONER)
    scenario_id = create_scenario(client, headers, read_document(TINY))
    jobs = {
        given: run_api_job(client, headers, scenario_id, "check", overrides=overrides)
        for given, overrides in (
            ("minus", {"budget_gbp": "-0", "standards_fraction": -0.0}),
            ("zero", {"budget_gbp": 0, "standards_fraction": 0}),
        )
    }
    assert jobs["minus"]["overrides"] == {"budget_gbp": 0.0, "standards_fraction": 0.0}
    assert negative_zeros(jobs["minus"]) == []
    assert jobs["minus"]["status"] == jobs["zero"]["status"] == "succeeded"
    assert jobs["minus"]["result"]["scenario_hash"] == jobs["zero"]["result"]["scenario_hash"]
    stored = client.get(f"/jobs/{jobs['minus']['id']}", headers=headers)
    assert '"budget_gbp":-0' not in stored.text.replace(" ", "") and negative_zeros(stored.json()) == []


def test_the_api_refuses_weights_all_zero_with_the_same_words(service: Service) -> None:
    client, headers = service.client, service.tenant(Role.COMMISSIONER)
    scenario_id = create_scenario(client, headers, read_document(TINY))
    weights = {"budget": 0, "workforce_supply": 0, "standards": 0, "safe_working": 0, "spread": 0.5}
    response = client.post(
        "/jobs", json={"scenario_id": scenario_id, "kind": "check", "overrides": {"weights": weights}}, headers=headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [
        {
            "table": "request",
            "row": None,
            "column": "body.overrides.weights",
            "message": f"weights: {ALL_ZERO_MESSAGE}",
        }
    ]
    allowed = run_api_job(client, headers, scenario_id, "check", overrides={"weights": {**weights, "standards": 1}})
    assert allowed["status"] == "succeeded"


def test_the_desk_checks_a_standards_box_of_minus_zero_at_0_percent(service: Service) -> None:
    """The desk listed the job as "every minimum standard at -0% of its level"."""
    token = service.key(f"org-desk-{id(service)}", Role.NEGOTIATOR)["X-API-Key"]
    client = TestClient(service.client.app, raise_server_exceptions=False, base_url="http://testserver")
    assert client.post("/desk/sign-in", data={"api_key": token}, follow_redirects=False).status_code == 303
    response = client.post(
        "/desk/check",
        data={
            "csrf": csrf_of(client.get("/desk/check").text),
            "source": "upload",
            "name": "tiny",
            "offer_kind": "pooled",
            "offer_amount": "50k",
            "standards_percent": "-0",
        },
        files={"file": ("tiny.json", json.dumps(read_document(TINY)).encode(), "application/json")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    job_id = response.headers["location"].rsplit("/", 1)[1]
    job = client.get(f"/jobs/{job_id}?wait=60", headers={"X-API-Key": token}).json()
    assert job["overrides"] == {"budget_gbp": 50_000.0, "standards_fraction": 0.0}
    assert negative_zeros(job) == []
    assert job["status"] == "succeeded", job
    page = client.get(f"/desk/jobs/{job_id}").text
    assert "every minimum standard at 0% of its level" in page
    for shown in (page, client.get("/").text):
        assert not MINUS_ZERO_WORDS.search(re.sub(r"<[^>]+>", " ", shown))
