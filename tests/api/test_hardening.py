"""Issue 9 at the HTTP edge: one reader and one validator, limits after coercion, text
checked before the database sees it, non-countable ids, operators-only metrics."""

from __future__ import annotations

import contextlib
import io
import json
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from api.db import alembic_config, create_db_engine
from api.ids import is_public_id
from api.main import create_app
from optimiser.deliverability import wording
from tests.api.helpers import OPERATOR, Service, create_scenario, example_document, service_settings
from tests.api.test_scenarios import scenario_workbook, scenario_zip

JSON = {"Content-Type": "application/json"}


def test_infinity_in_a_json_body_is_named_not_blanked(client: TestClient, commissioner: dict) -> None:
    document = example_document()
    document["roles"][0]["max_contacts_per_day"] = float("inf")
    document["practices"][0]["weighted_list_size"] = float("nan")
    body = json.dumps(document)  # Python writes Infinity and NaN, as a careless client would
    assert "Infinity" in body
    response = client.post("/scenarios", content=body, headers={**commissioner, **JSON})
    assert response.status_code == 422, response.text
    problems = response.json()["detail"]
    assert {
        "table": "roles",
        "row": 1,
        "column": "max_contacts_per_day",
        "message": "must be a finite number (got inf)",
    } in problems
    assert any(p["table"] == "practices" and p["column"] == "weighted_list_size" for p in problems)
    upload = client.post("/scenarios/upload", files={"file": ("s.json", body.encode())}, headers=commissioner)
    assert upload.status_code == 422
    assert upload.json()["detail"] == problems


def test_bom_json_body_and_upload_are_accepted(client: TestClient, commissioner: dict) -> None:
    reference = client.post("/scenarios", json=example_document(), headers=commissioner).json()
    content = b"\xef\xbb\xbf" + json.dumps(example_document()).encode()
    body = client.post("/scenarios", content=content, headers={**commissioner, **JSON})
    upload = client.post("/scenarios/upload", files={"file": ("s.json", content)}, headers=commissioner)
    for response in (body, upload):
        assert response.status_code == 201, response.text
        assert response.json()["versions"][0]["scenario_hash"] == reference["versions"][0]["scenario_hash"]


def test_xlsm_uploads_like_xlsx(client: TestClient, commissioner: dict) -> None:
    workbook = scenario_workbook(example_document())
    hashes = set()
    for name in ("s.xlsx", "s.xlsm"):
        response = client.post("/scenarios/upload", files={"file": (name, workbook)}, headers=commissioner)
        assert response.status_code == 201, response.text
        hashes.add(response.json()["versions"][0]["scenario_hash"])
    assert len(hashes) == 1


def test_booleans_are_not_numbers(client: TestClient, commissioner: dict) -> None:
    response = client.post("/scenarios", json=example_document(budget_gbp=True), headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "budget_gbp"
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": "solve", "overrides": {"budget_gbp": True}}
    assert client.post("/jobs", json=job, headers=commissioner).status_code == 422


def test_absurd_magnitudes_are_named(client: TestClient, commissioner: dict) -> None:
    document = example_document()
    document["roles"][0]["cost_per_fte_gbp"] = 1e308
    body = json.dumps(document).replace('"list_size": 8000', '"list_size": 1' + "0" * 400)
    response = client.post("/scenarios", content=body, headers={**commissioner, **JSON})
    assert response.status_code == 422
    columns = {(p["table"], p["row"], p["column"]) for p in response.json()["detail"]}
    assert {("roles", 1, "cost_per_fte_gbp"), ("practices", 1, "list_size")} <= columns


def test_time_limit_as_text_cannot_pass_the_service_limit(service: Service, commissioner: dict) -> None:
    client = service.client
    too_long = str(int(service.settings.max_time_limit_s * 10))
    body = client.post("/scenarios", json=example_document(time_limit_s=too_long), headers=commissioner)
    assert body.status_code == 422, body.text
    assert body.json()["detail"][0]["column"] == "time_limit_s"
    document = example_document(time_limit_s=too_long)
    upload = client.post("/scenarios/upload", files={"file": ("s.zip", scenario_zip(document))}, headers=commissioner)
    assert upload.status_code == 422, upload.text
    assert upload.json()["detail"][0]["column"] == "time_limit_s"
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": "solve", "overrides": {"time_limit_s": too_long}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "body.overrides.time_limit_s"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("budget", "-100000:200000:3"),
        ("budget", "1e400:1e401:3"),
        ("budget", "a:b:3"),
        ("standards", "0.5:1.5:3"),
        ("standards", "0.5:1:1"),
    ],
)
def test_bad_sweep_ranges_are_refused_at_submission(
    client: TestClient, commissioner: dict, name: str, text: str
) -> None:
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": "sweep", "overrides": {name: text}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422, response.text
    assert any(p["column"] == f"body.overrides.{name}" for p in response.json()["detail"])


@pytest.mark.parametrize(
    "request_args",
    [
        {"method": "POST", "url": "/scenarios?name=a%00b", "json": example_document()},
        {"method": "POST", "url": "/scenarios?name=" + "n" * 201, "json": example_document()},
        {"method": "POST", "url": "/keys", "json": {"role": "negotiator", "label": "a\x00b"}},
        {"method": "POST", "url": "/keys", "json": {"role": "negotiator", "label": "l" * 201}},
        {"method": "PUT", "url": "/scenarios/{scenario}/shares/lmc%00x"},
        {"method": "PUT", "url": "/scenarios/{scenario}/shares/" + "o" * 101},
        {"method": "POST", "url": "/scenarios/upload", "files": {"file": ("a\x00b.json", b"{}")}},
        {"method": "POST", "url": "/scenarios/upload", "files": {"file": ("f" * 201 + ".json", b"{}")}},
        {
            "method": "POST",
            "url": "/scenarios/upload",
            "data": {"name": "a\x00b"},
            "files": {"file": ("s.json", b"{}")},
        },
    ],
)
def test_bad_text_is_422_before_the_database(service: Service, request_args: dict) -> None:
    client = service.client
    commissioner = service.tenant()
    admin = service.tenant("admin")
    scenario_id = create_scenario(client, commissioner)
    args = dict(request_args)
    args["url"] = args["url"].replace("{scenario}", scenario_id)
    headers = admin if args["url"] == "/keys" else commissioner
    response = client.request(**args, headers=headers)
    assert response.status_code == 422, response.text
    assert all(set(p) == {"table", "row", "column", "message"} for p in response.json()["detail"])


def test_nul_in_a_cell_is_422(client: TestClient, commissioner: dict) -> None:
    document = example_document()
    document["pcns"][0]["name"] = "North\x00PCN"
    response = client.post("/scenarios", json=document, headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "name"


def test_reusing_a_scenario_idempotency_key_for_another_document_is_409(client: TestClient, commissioner: dict) -> None:
    headers = {**commissioner, "Idempotency-Key": "offer-v1"}
    first = client.post("/scenarios", json=example_document(), headers=headers)
    assert first.status_code == 201
    assert client.post("/scenarios", json=example_document(), headers=headers).json()["id"] == first.json()["id"]
    different = client.post("/scenarios", json=example_document(budget_gbp=1), headers=headers)
    assert different.status_code == 409
    upload = client.post(
        "/scenarios/upload", files={"file": ("s.zip", scenario_zip(example_document(budget_gbp=2)))}, headers=headers
    )
    assert upload.status_code == 409


def test_a_zip_holding_a_table_twice_is_422(client: TestClient, commissioner: dict) -> None:
    buffer = io.BytesIO(scenario_zip(example_document()))
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("copy/practices.csv", "practice_id,pcn_id,list_size\nP9,N1,10\n")
    response = client.post("/scenarios/upload", files={"file": ("s.zip", buffer.getvalue())}, headers=commissioner)
    assert response.status_code == 422
    assert "twice" in response.json()["detail"][0]["message"]


def _zip_with(document: dict, replaced: dict[str, str | None]) -> bytes:
    """``document`` as a zip of CSVs with some files replaced (or, given None, left out)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(scenario_zip(document))) as source, zipfile.ZipFile(buffer, "w") as archive:
        for name in source.namelist():
            if name not in replaced:
                archive.writestr(name, source.read(name))
        for name, content in replaced.items():
            if content is not None:
                archive.writestr(name, content)
    return buffer.getvalue()


def test_an_ambiguous_upload_is_422_naming_where(client: TestClient, commissioner: dict) -> None:
    """Audit 4 F27/F29: a column header given twice, or a setting on two rows, is never read as the last."""
    document = example_document()
    settings = "key,value\n" + "".join(f"{key},{value}\n" for key, value in document["settings"].items())
    twice = _zip_with(document, {"settings.json": None, "settings.csv": settings + "budget_gbp,5000\n"})
    response = client.post("/scenarios/upload", files={"file": ("s.zip", twice)}, headers=commissioner)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert (problem["table"], problem["column"]) == ("settings", "budget_gbp")
    assert problem["message"].startswith("is given more than once (") and "then '5000' on row" in problem["message"]

    practices = [",".join([*document["practices"][0], "list_size"])]
    practices += [",".join(str(value) for value in record.values()) + ",1" for record in document["practices"]]
    header_twice = _zip_with(document, {"practices.csv": "\n".join(practices) + "\n"})
    response = client.post("/scenarios/upload", files={"file": ("s.zip", header_twice)}, headers=commissioner)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert (problem["table"], problem["column"]) == ("practices", "list_size")
    assert problem["message"].startswith("is given twice (columns ")


def test_a_sheet_declaring_a_million_rows_is_refused_in_seconds(
    client: TestClient, commissioner: dict, tmp_path: Path
) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "practices"
    sheet.append(["practice_id", "pcn_id", "list_size"])
    sheet.cell(row=1_000_000, column=16_000, value=1)
    path = tmp_path / "huge.xlsx"
    workbook.save(path)
    started = time.perf_counter()
    response = client.post("/scenarios/upload", files={"file": ("huge.xlsx", path.read_bytes())}, headers=commissioner)
    assert response.status_code == 422
    assert "declares 1,000,000 rows" in response.json()["detail"][0]["message"]
    assert time.perf_counter() - started < 5


def test_ids_are_public_uuids_that_do_not_count_other_organisations(service: Service) -> None:
    client = service.client
    first, second = service.tenant(), service.tenant()
    ids = [create_scenario(client, headers) for headers in (first, second, first)]
    assert all(is_public_id(i) for i in ids), ids
    assert len(set(ids)) == 3
    # Nothing in organisation one's own view reveals that organisation two made a scenario.
    listed = client.get("/scenarios", headers=first).json()
    assert [s["id"] for s in listed["items"]] == [ids[0], ids[2]]
    assert listed["total"] == 2
    assert client.get(f"/scenarios/{ids[1]}", headers=first).status_code == 404
    # An id from before the UUIDs (a link to /scenarios/1) is named as such, whoever asks.
    old = client.get("/scenarios/1", headers=first)
    assert old.status_code == 404
    assert old.json()["detail"] == wording.old_numeric_id("scenario", "1")


def test_metrics_are_for_operators_only(service: Service, tmp_path: Path) -> None:
    client = service.client
    for role in ("admin", "commissioner", "negotiator"):
        assert client.get("/metrics", headers=service.tenant(role)).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer not-the-token"}).status_code == 401
    assert client.get("/metrics", headers=OPERATOR).status_code == 200
    settings = service_settings(f"sqlite:///{tmp_path / 'off.db'}", workers=0, metrics_token=None)
    with TestClient(create_app(settings)) as off:
        assert off.get("/metrics", headers=OPERATOR).status_code == 404


def test_a_database_made_before_public_ids_upgrades_in_place(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / 'old.db'}"]
    with contextlib.suppress(pytest.skip.Exception):
        urls.append(request.getfixturevalue("new_postgres_url")())
    for url in urls:
        engine = create_db_engine(url)
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "0001")
            connection.execute(
                text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'old', CURRENT_TIMESTAMP)")
            )
            connection.execute(
                text(
                    "INSERT INTO scenarios (id, organisation_id, name, created_at) "
                    "VALUES (1, 1, 'a', CURRENT_TIMESTAMP), (2, 1, 'b', CURRENT_TIMESTAMP)"
                )
            )
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        check = create_engine(url)
        with check.connect() as connection:
            public_ids = connection.execute(text("SELECT public_id FROM scenarios ORDER BY id")).scalars().all()
        check.dispose()
        engine.dispose()
        assert len(public_ids) == 2 and all(is_public_id(i) for i in public_ids) and len(set(public_ids)) == 2
