"""One answer for one input (issue 9.1): a random scenario, written in every encoding
(JSON, CSV directory, zip of CSVs, workbook) and fed to every entry point (the CLI, the
API, a batch run), gives the identical scenario hash and result, or the identical list
of problems.

Problems are compared exactly between entry points for one encoding; between encodings
their locations (table, row, column) are compared, since a message quotes the cell as the
file gave it (`-5` in JSON is `'-5'` in a CSV)."""

from __future__ import annotations

import copy
import json
import math
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.main import create_app
from optimiser.batch import execute_run
from optimiser.cli import app as cli
from optimiser.io import read_document, write_document_as_csv, write_document_as_workbook
from tests.api.helpers import Service, service_settings

ENCODINGS = ("json", "csv", "zip", "xlsx")
EXAMPLES = 6


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    url = f"sqlite:///{tmp_path_factory.mktemp('same') / 'same.db'}"
    configured = service_settings(url, workers=1)
    with TestClient(create_app(configured), raise_server_exceptions=False) as client:
        yield Service(client=client, settings=configured)


quarter = st.integers(min_value=1, max_value=400).map(lambda n: n / 4)  # exact in every encoding


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    pcns = [{"pcn_id": f"N{i}"} for i in range(draw(st.integers(1, 2)))]
    practices = [
        {
            "practice_id": f"P{i}",
            "pcn_id": draw(st.sampled_from(pcns))["pcn_id"],
            "list_size": draw(st.integers(500, 20_000)),
        }
        for i in range(draw(st.integers(1, 3)))
    ]
    roles = [
        {
            "role_id": f"R{i}",
            "category": draw(st.sampled_from(["gp", "nurse", "other"])),
            "cost_per_fte_gbp": draw(st.integers(20_000, 120_000)),
            "clinical_hours_per_fte": draw(st.integers(800, 1_600)),
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    if draw(st.booleans()):
        roles[0]["max_contacts_per_day"] = draw(st.integers(10, 40))
    services = [
        {
            "service_id": f"S{i}",
            "contacts_per_patient": draw(quarter),
            "min_coverage": draw(st.integers(0, 8)) / 8,
            "prevalence": draw(st.integers(1, 8)) / 8,
        }
        for i in range(draw(st.integers(1, 2)))
    ]
    skill_mix = [
        {"service_id": s["service_id"], "role_id": r["role_id"], "minutes_per_contact": draw(st.integers(5, 30))}
        for s in services
        for r in roles
    ]
    document: dict[str, Any] = {
        "settings": {
            "budget_gbp": draw(st.integers(0, 2_000_000)),
            "objective": draw(st.sampled_from(["min_cost", "max_value"])),
        },
        "pcns": pcns,
        "practices": practices,
        "roles": roles,
        "services": services,
        "skill_mix": skill_mix,
    }
    if draw(st.booleans()):
        document["staff"] = [
            {"holder_id": practices[0]["practice_id"], "role_id": roles[0]["role_id"], "fte": draw(quarter)}
        ]
    # Sometimes break it, in ways each encoding can carry.
    breakage = draw(st.sampled_from(["none", "none", "negative", "reference", "non_finite", "orphan", "several"]))
    if breakage in ("negative", "several"):
        document["practices"][0]["list_size"] = -draw(st.integers(1, 100))
    if breakage in ("reference", "several"):
        document["practices"][-1]["pcn_id"] = "NX"
    if breakage in ("non_finite", "several"):
        document["roles"][0]["cost_per_fte_gbp"] = math.inf
    if breakage in ("orphan", "several"):
        document["services"].append({"service_id": "SX", "contacts_per_patient": 1, "min_coverage": 0})
    return document


def encode(document: dict[str, Any], directory: Path) -> dict[str, Path]:
    paths = {"json": directory / "scenario.json", "csv": directory / "csv", "xlsx": directory / "scenario.xlsx"}
    paths["json"].write_text(json.dumps(document))  # inf is written as Infinity
    textual = copy.deepcopy(document)
    for records in textual.values():
        for record in records if isinstance(records, list) else []:
            for key, value in record.items():
                if isinstance(value, float) and math.isinf(value):
                    record[key] = "Infinity"  # how a CSV or a sheet carries it
    write_document_as_csv(textual, paths["csv"])
    write_document_as_workbook(textual, paths["xlsx"])
    paths["zip"] = directory / "scenario.zip"
    with zipfile.ZipFile(paths["zip"], "w") as archive:
        for file in paths["csv"].iterdir():
            archive.write(file, f"scenario/{file.name}")
    return paths


def via_cli(path: Path) -> dict[str, Any]:
    validated = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    report = json.loads(validated.stdout)
    if validated.exit_code == 2:
        return {"problems": report["problems"]}
    assert validated.exit_code == 0, validated.output
    solved = CliRunner().invoke(cli, ["solve", str(path), "--format", "json"])
    result = json.loads(solved.stdout)
    return {"hash": report["scenario_hash"], "solve_hash": result["scenario_hash"], "result": summary(result)}


def post_scenario(client: TestClient, headers: dict[str, str], path: Path) -> Any:
    """Create a scenario from a file as a user would: a JSON body, or an upload of the other encodings."""
    if path.suffix == ".json":
        return client.post(
            "/scenarios", content=path.read_bytes(), headers={**headers, "Content-Type": "application/json"}
        )
    return client.post("/scenarios/upload", files={"file": (path.name, path.read_bytes())}, headers=headers)


def via_api(client: TestClient, headers: dict[str, str], path: Path) -> dict[str, Any]:
    if path.is_dir():
        return {}  # the API takes files; the same directory zipped is the zip encoding
    response = post_scenario(client, headers, path)
    if response.status_code == 422:
        return {"problems": response.json()["detail"]}
    assert response.status_code == 201, response.text
    created = response.json()
    job = client.post("/jobs?wait=60", json={"scenario_id": created["id"], "kind": "solve"}, headers=headers)
    assert job.status_code == 200, job.text
    result = job.json()["result"]
    scenario_hash = created["versions"][0]["scenario_hash"]
    return {"hash": scenario_hash, "solve_hash": result["scenario_hash"], "result": summary(result)}


def via_batch(path: Path) -> dict[str, Any]:
    run = execute_run("solve", read_document(path), {})
    if not run["ok"]:
        return {"problems": run["problems"]}
    result = run["result"]
    return {"hash": result["scenario_hash"], "solve_hash": result["scenario_hash"], "result": summary(result)}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    value = result.get("objective_value")
    return {
        "status": result["status"],
        "deliverable": result.get("deliverable"),
        "objective_value": None if value is None else round(value, 4),
    }


def locations(problems: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted((p["table"], p["row"], p["column"]) for p in problems)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=scenarios(), solve_encoding=st.sampled_from(ENCODINGS))
def test_every_encoding_and_entry_point_gives_one_answer(
    api: Service, document: dict[str, Any], solve_encoding: str
) -> None:
    headers = api.tenant()
    with tempfile.TemporaryDirectory() as directory:
        paths = encode(document, Path(directory))
        answers: dict[tuple[str, str], dict[str, Any]] = {}
        for encoding, path in paths.items():
            # Solving is the slow part: solve one encoding per example on every entry point;
            # for the others compare validation (hash or problems) only.
            answers[(encoding, "batch")] = via_batch(path) if encoding == solve_encoding else validation(path)
            answers[(encoding, "cli")] = via_cli(path) if encoding == solve_encoding else validation(path, cli=True)
            # The API takes files: for the CSV directory it solves the same directory zipped.
            api_solves = encoding == solve_encoding or (solve_encoding, encoding) == ("csv", "zip")
            api_answer = via_api(api.client, headers, path) if api_solves or path.is_dir() else None
            if api_answer is None:
                api_answer = api_validation(api.client, headers, path)
            if api_answer:
                answers[(encoding, "api")] = api_answer

    invalid = {key for key, answer in answers.items() if "problems" in answer}
    assert invalid in (set(), set(answers)), f"some paths accepted what others refused: {sorted(invalid)}"
    if invalid:
        for encoding in ENCODINGS:
            lists = [answer["problems"] for (enc, _), answer in answers.items() if enc == encoding]
            assert all(problems == lists[0] for problems in lists), (encoding, lists)
        assert len({tuple(locations(answer["problems"])) for answer in answers.values()}) == 1
        return
    assert len({answer["hash"] for answer in answers.values()}) == 1, answers
    solved = [answer for answer in answers.values() if "result" in answer]
    assert len(solved) == 3
    assert all(answer["solve_hash"] == answer["hash"] for answer in solved)
    assert all(answer["result"] == solved[0]["result"] for answer in solved), solved


def validation(path: Path, cli: bool = False) -> dict[str, Any]:
    if cli:
        validated = CliRunner().invoke(cli_app(), ["validate", str(path), "--format", "json"])
        report = json.loads(validated.stdout)
        return {"problems": report["problems"]} if validated.exit_code == 2 else {"hash": report["scenario_hash"]}
    from models.scenario import ScenarioInvalid
    from models.validate import validate_document

    try:
        return {"hash": validate_document(read_document(path)).scenario_hash}
    except ScenarioInvalid as invalid:
        return {"problems": [p.as_dict() for p in invalid.problems]}


def cli_app() -> Any:
    return cli


def api_validation(client: TestClient, headers: dict[str, str], path: Path) -> dict[str, Any]:
    response = post_scenario(client, headers, path)
    if response.status_code == 422:
        return {"problems": response.json()["detail"]}
    assert response.status_code == 201, response.text
    return {"hash": response.json()["versions"][0]["scenario_hash"]}
