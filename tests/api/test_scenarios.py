"""Scenarios: create, upload, version, list, get, delete, share; limits and bad input."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
from fastapi.testclient import TestClient

from tests.api.helpers import Service, create_scenario, example_document


def scenario_zip(document: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("settings.json", json.dumps(document["settings"]))
        for table, records in document.items():
            if table != "settings":
                archive.writestr(f"{table}.csv", pd.DataFrame(records).to_csv(index=False))
    return buffer.getvalue()


def scenario_workbook(document: dict) -> bytes:
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        settings = pd.DataFrame({"key": list(document["settings"]), "value": list(document["settings"].values())})
        settings.to_excel(writer, sheet_name="settings", index=False)
        for table, records in document.items():
            if table != "settings":
                pd.DataFrame(records).to_excel(writer, sheet_name=table, index=False)
    return buffer.getvalue()


def test_create_get_and_read_back_a_scenario(client: TestClient, commissioner: dict) -> None:
    response = client.post("/scenarios?name=winter%20offer", json=example_document(), headers=commissioner)
    assert response.status_code == 201
    created = response.json()
    assert created["name"] == "winter offer"
    assert created["access"] == "owner"
    assert created["latest_version"] == 1
    assert len(created["versions"][0]["scenario_hash"]) == 64

    fetched = client.get(f"/scenarios/{created['id']}", headers=commissioner).json()
    assert fetched == created
    version = client.get(f"/scenarios/{created['id']}/versions/1", headers=commissioner).json()
    assert version["document"] == example_document()


def test_invalid_scenario_is_422_with_table_row_and_column(client: TestClient, commissioner: dict) -> None:
    document = example_document()
    document["practices"][1]["list_size"] = -5
    document["practices"][0]["colour"] = "blue"
    response = client.post("/scenarios", json=document, headers=commissioner)
    assert response.status_code == 422
    problems = response.json()["detail"]
    assert {
        "table": "practices",
        "row": 2,
        "column": "list_size",
        "message": "must be more than 0 (got -5)",
    } in problems
    assert any(p["table"] == "practices" and p["column"] == "colour" for p in problems)


def test_unknown_table_is_rejected(client: TestClient, commissioner: dict) -> None:
    response = client.post("/scenarios", json={**example_document(), "practises": []}, headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["table"] == "practises"


def test_non_object_body_is_422(client: TestClient, commissioner: dict) -> None:
    for body in ("[1, 2]", "not json", '{"practices": "x"}', "null"):
        response = client.post("/scenarios", content=body, headers={**commissioner, "Content-Type": "application/json"})
        assert response.status_code == 422, body
        assert all(set(p) == {"table", "row", "column", "message"} for p in response.json()["detail"])


def test_limits_on_rows_time_and_size(service: Service, commissioner: dict) -> None:
    client = service.client
    document = example_document()
    document["staff"] = [{"holder_id": "P1", "role_id": "gp", "fte": 0.01}] * (service.settings.max_table_rows + 1)
    response = client.post("/scenarios", json=document, headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["table"] == "staff"

    response = client.post("/scenarios", json=example_document(time_limit_s=10_000), headers=commissioner)
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "time_limit_s"

    huge = {"settings": {"budget_gbp": 1}, "practices": [{"practice_id": "x" * 1000}] * 300}
    response = client.post("/scenarios", json=huge, headers=commissioner)
    assert response.status_code == 413


def test_upload_zip_and_workbook_give_the_json_scenario(client: TestClient, commissioner: dict) -> None:
    reference = client.post("/scenarios", json=example_document(), headers=commissioner).json()
    reference_hash = reference["versions"][0]["scenario_hash"]
    for filename, content in (
        ("offer.zip", scenario_zip(example_document())),
        ("offer.xlsx", scenario_workbook(example_document())),
    ):
        response = client.post(
            "/scenarios/upload", files={"file": (filename, content)}, data={"name": filename}, headers=commissioner
        )
        assert response.status_code == 201, response.text
        assert response.json()["name"] == filename
        assert response.json()["versions"][0]["scenario_hash"] == reference_hash


def test_bad_uploads_are_422(client: TestClient, commissioner: dict) -> None:
    for filename, content in (
        ("offer.xlsx", b"not a workbook"),
        ("offer.zip", b"PK\x03\x04 truncated"),
        ("offer.exe", b"MZ"),
        ("offer.json", b"{"),
    ):
        response = client.post("/scenarios/upload", files={"file": (filename, content)}, headers=commissioner)
        assert response.status_code == 422, (filename, response.text)
        assert response.json()["detail"][0]["message"]


def test_zip_bomb_is_refused(service: Service, commissioner: dict) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("practices.csv", b"0" * (service.settings.max_upload_expanded_bytes + 1))
    response = service.client.post(
        "/scenarios/upload", files={"file": ("bomb.zip", buffer.getvalue())}, headers=commissioner
    )
    assert response.status_code == 422
    assert "expands to" in response.json()["detail"][0]["message"]


def test_versions_are_immutable_and_an_unchanged_document_is_not_a_new_version(
    client: TestClient, commissioner: dict
) -> None:
    scenario_id = create_scenario(client, commissioner)
    response = client.post(f"/scenarios/{scenario_id}/versions", json=example_document(), headers=commissioner)
    assert response.status_code == 200
    assert response.json()["number"] == 1

    changed = example_document(budget_gbp=300_000)
    response = client.post(f"/scenarios/{scenario_id}/versions", json=changed, headers=commissioner)
    assert response.status_code == 201
    assert response.json()["number"] == 2
    upload = client.post(
        f"/scenarios/{scenario_id}/versions/upload",
        files={"file": ("v3.zip", scenario_zip(example_document(budget_gbp=400_000)))},
        headers=commissioner,
    )
    assert upload.status_code == 201
    assert upload.json()["number"] == 3

    first = client.get(f"/scenarios/{scenario_id}/versions/1", headers=commissioner).json()
    assert first["document"]["settings"]["budget_gbp"] == 250_000
    scenario = client.get(f"/scenarios/{scenario_id}", headers=commissioner).json()
    assert [v["number"] for v in scenario["versions"]] == [1, 2, 3]
    assert scenario["latest_version"] == 3
    assert client.get(f"/scenarios/{scenario_id}/versions/4", headers=commissioner).status_code == 404


def test_list_pages_through_scenarios(service: Service) -> None:
    client = service.client
    headers = service.tenant()
    ids = [create_scenario(client, headers) for _ in range(5)]
    first = client.get("/scenarios?limit=2", headers=headers).json()
    assert first["total"] == 5
    assert [s["id"] for s in first["items"]] == ids[:2]
    last = client.get("/scenarios?offset=4&limit=2", headers=headers).json()
    assert [s["id"] for s in last["items"]] == ids[4:]
    assert client.get("/scenarios?limit=1000", headers=headers).status_code == 422


def test_delete_hides_the_scenario(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    assert client.delete(f"/scenarios/{scenario_id}", headers=commissioner).status_code == 204
    assert client.get(f"/scenarios/{scenario_id}", headers=commissioner).status_code == 404
    assert client.delete(f"/scenarios/{scenario_id}", headers=commissioner).status_code == 404


def test_idempotency_key_returns_the_first_scenario(client: TestClient, commissioner: dict) -> None:
    headers = {**commissioner, "Idempotency-Key": "create-offer-1"}
    first = client.post("/scenarios", json=example_document(), headers=headers)
    again = client.post("/scenarios", json=example_document(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]


def test_sharing_gives_read_only_access(service: Service) -> None:
    client = service.client
    owner = service.key("icb-share", "commissioner")
    lmc = service.key("lmc-share", "negotiator")
    scenario_id = create_scenario(client, owner)
    assert client.get(f"/scenarios/{scenario_id}", headers=lmc).status_code == 404

    share = client.put(f"/scenarios/{scenario_id}/shares/lmc-share", headers=owner)
    assert share.status_code == 200
    assert share.json()["organisation"] == "lmc-share"
    assert client.get(f"/scenarios/{scenario_id}/shares", headers=owner).json()[0]["organisation"] == "lmc-share"

    seen = client.get(f"/scenarios/{scenario_id}", headers=lmc)
    assert seen.status_code == 200
    assert seen.json()["access"] == "shared"
    assert seen.json()["shared_with"] == []
    assert scenario_id in [s["id"] for s in client.get("/scenarios?limit=100", headers=lmc).json()["items"]]
    assert client.get(f"/scenarios/{scenario_id}/versions/1", headers=lmc).status_code == 200
    assert client.delete(f"/scenarios/{scenario_id}", headers=lmc).status_code == 403
    new_version = client.post(f"/scenarios/{scenario_id}/versions", json=example_document(budget_gbp=1), headers=lmc)
    assert new_version.status_code == 403

    assert client.put(f"/scenarios/{scenario_id}/shares/no-such-org", headers=owner).status_code == 404
    assert client.put(f"/scenarios/{scenario_id}/shares/icb-share", headers=owner).status_code == 422
    assert client.delete(f"/scenarios/{scenario_id}/shares/lmc-share", headers=owner).status_code == 204
    assert client.get(f"/scenarios/{scenario_id}", headers=lmc).status_code == 404
