"""POST /imports/nhs: publication files in, a stored scenario version and its import report out."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from api.orm import Role
from tests import nhs_files
from tests.api.helpers import Service


def upload(files: dict[str, Path], *names: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(name, (files[name].name, files[name].read_bytes(), "text/csv")) for name in names]


ALL = ("mapping", "list_sizes", "practice_workforce", "pcn_workforce", "payments")


def test_import_creates_a_scenario_version_with_its_report(
    client: TestClient, commissioner: dict, tmp_path: Path
) -> None:
    files = nhs_files.write_all(tmp_path, bom=True, crlf=True)
    response = client.post(
        "/imports/nhs", data={"icb": "QAA", "name": "test ICB"}, files=upload(files, *ALL), headers=commissioner
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["scenario"]["name"] == "test ICB" and body["version"]["number"] == 1 and body["created"]
    assert body["report"]["totals"]["registered_patients"] == 7000
    assert body["report"]["unallocated_practices"][0]["practice_id"] == "A81003"
    scenario_id = body["scenario"]["id"]
    stored = client.get(f"/scenarios/{scenario_id}/versions/1", headers=commissioner).json()["document"]
    assert sorted(p["practice_id"] for p in stored["practices"]) == ["A81001", "A81002", "A81003"]
    assert stored["settings"]["budget_gbp"] > 0

    # The same files again as a new version of that scenario: identical, so no new version.
    again = client.post(
        "/imports/nhs",
        data={"icb": "QAA", "scenario_id": str(scenario_id)},
        files=upload(files, *ALL),
        headers=commissioner,
    )
    assert again.status_code == 201 and again.json()["created"] is False
    assert again.json()["version"]["number"] == 1


def test_zipped_publications_and_an_uploaded_spec(client: TestClient, commissioner: dict, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path, zipped=True)
    from optimiser.nhs.spec import load_spec

    spec, _ = load_spec(None)
    spec["settings"] = {"budget_mode": "pooled", "budget_gbp": 12345}
    parts = upload(files, "mapping", "list_sizes")
    parts.append(("spec", ("spec.json", json.dumps(spec).encode(), "application/json")))
    response = client.post("/imports/nhs", data={"sub_icb": "00A"}, files=parts, headers=commissioner)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["report"]["counts"]["practices"] == 2
    document = client.get(f"/scenarios/{body['scenario']['id']}/versions/1", headers=commissioner).json()["document"]
    assert document["settings"]["budget_gbp"] == 12345
    assert "staff" not in document or document["staff"] == []


def test_a_wrong_file_is_422_naming_the_file_and_column(client: TestClient, commissioner: dict, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    parts = [("mapping", ("quin.csv", files["list_sizes"].read_bytes(), "text/csv")), *upload(files, "list_sizes")]
    response = client.post("/imports/nhs", data={"icb": "QAA"}, files=parts, headers=commissioner)
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["table"] == "quin.csv" and problem["column"] == "PRACTICE_CODE"


def test_an_unknown_icb_is_422(client: TestClient, commissioner: dict, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    response = client.post(
        "/imports/nhs", data={"icb": "QZZ"}, files=upload(files, "mapping", "list_sizes"), headers=commissioner
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["column"] == "ICB_CODE"


def test_a_role_that_may_not_write_scenarios_is_403(service: Service, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    response = service.client.post(
        "/imports/nhs",
        data={"icb": "QAA"},
        files=upload(files, "mapping", "list_sizes"),
        headers=service.tenant(Role.ADMIN),
    )
    assert response.status_code == 403
    assert response.json() == {"detail": "the admin role may not create and change scenarios"}


def test_without_a_key_is_401(client: TestClient, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    response = client.post("/imports/nhs", data={"icb": "QAA"}, files=upload(files, "mapping", "list_sizes"))
    assert response.status_code == 401
    assert response.json() == {"detail": "a valid API key is required (X-API-Key or Authorization: Bearer)"}


def test_a_version_of_another_organisations_scenario_is_404_like_a_missing_one(
    service: Service, tmp_path: Path
) -> None:
    client = service.client
    owner, intruder = service.tenant(Role.COMMISSIONER), service.tenant(Role.COMMISSIONER)
    files = nhs_files.write_all(tmp_path)
    created = client.post("/imports/nhs", data={"icb": "QAA"}, files=upload(files, *ALL), headers=owner)
    assert created.status_code == 201, created.text
    scenario_id = created.json()["scenario"]["id"]
    answers = []
    for target in (scenario_id, "0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e"):
        response = client.post(
            "/imports/nhs",
            data={"icb": "QAA", "sub_icb": "00A", "scenario_id": str(target)},
            files=upload(files, *ALL),
            headers=intruder,
        )
        answers.append(response.status_code)
    assert answers == [404, 404]
    assert client.get(f"/scenarios/{scenario_id}", headers=owner).json()["latest_version"] == 1


def test_the_api_and_the_cli_name_the_same_problems(client: TestClient, commissioner: dict, tmp_path: Path) -> None:
    """One input, one answer: an unknown ICB is the same named problem over HTTP and on the command line."""
    from typer.testing import CliRunner

    from optimiser.cli import app

    files = nhs_files.write_all(tmp_path)
    response = client.post(
        "/imports/nhs", data={"icb": "QZZ"}, files=upload(files, "mapping", "list_sizes"), headers=commissioner
    )
    assert response.status_code == 422
    args = ["--mapping", str(files["mapping"]), "--list-sizes", str(files["list_sizes"]), "--out", str(tmp_path / "o")]
    done = CliRunner().invoke(app, ["import", "nhs", "--icb", "QZZ", *args, "--format", "json"])
    assert done.exit_code == 2
    assert json.loads(done.stdout)["problems"] == response.json()["detail"]


def test_a_malformed_scenario_id_is_422(client: TestClient, commissioner: dict, tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    for bad in ("1", "not-a-scenario", "0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2"):
        response = client.post(
            "/imports/nhs",
            data={"icb": "QAA", "scenario_id": bad},
            files=upload(files, "mapping", "list_sizes"),
            headers=commissioner,
        )
        assert response.status_code == 422, (bad, response.text)
        assert response.json()["detail"][0]["table"] == "request"


def test_an_uploaded_spec_is_read_like_a_scenario_upload(
    client: TestClient, commissioner: dict, tmp_path: Path
) -> None:
    """The same reader and problems as POST /scenarios/upload."""
    files = nhs_files.write_all(tmp_path)
    for filename, content in (("spec.json", b"{"), ("spec.zip", b"PK\x03\x04 truncated"), ("spec.exe", b"MZ")):
        expected = client.post("/scenarios/upload", files={"file": (filename, content)}, headers=commissioner)
        assert expected.status_code == 422
        parts = [*upload(files, "mapping", "list_sizes"), ("spec", (filename, content, "application/octet-stream"))]
        response = client.post("/imports/nhs", data={"icb": "QAA"}, files=parts, headers=commissioner)
        assert response.status_code == 422, response.text
        assert response.json()["detail"] == expected.json()["detail"]


def test_a_publication_zip_expanding_past_the_limit_is_refused(service: Service, tmp_path: Path) -> None:
    import io
    import zipfile

    files = nhs_files.write_all(tmp_path)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("mapping.csv", b"0" * (service.settings.max_upload_expanded_bytes + 1))
    parts = [("mapping", ("mapping.zip", bomb.getvalue(), "application/zip")), *upload(files, "list_sizes")]
    response = service.client.post(
        "/imports/nhs", data={"icb": "QAA"}, files=parts, headers=service.tenant(Role.COMMISSIONER)
    )
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["table"] == "mapping.zip" and "expands to" in problem["message"]


def test_an_encrypted_publication_zip_is_422_not_a_500(client: TestClient, commissioner: dict, tmp_path: Path) -> None:
    import io
    import zipfile

    files = nhs_files.write_all(tmp_path)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mapping.csv", files["mapping"].read_bytes())
    data = bytearray(buffer.getvalue())
    # Mark the member encrypted (general purpose flag bit 0) in its local and central headers.
    local, central = data.index(b"PK\x03\x04"), data.index(b"PK\x01\x02")
    data[local + 6] |= 0x1
    data[central + 8] |= 0x1
    parts = [("mapping", ("mapping.zip", bytes(data), "application/zip")), *upload(files, "list_sizes")]
    response = client.post("/imports/nhs", data={"icb": "QAA"}, files=parts, headers=commissioner)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert problem["table"] == "mapping.zip" and "encrypted" in problem["message"]
