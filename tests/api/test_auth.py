"""Keys, roles, and tenant isolation over every route."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import Service, create_scenario, example_document, run_job

PUBLIC_ROUTES = {("GET", "/healthz"), ("GET", "/readyz")}
MISSING_ID = "0193a1f2-6c4e-7d2a-9b1c-000000000000"  # well-formed, never issued


@dataclass
class OwnedResources:
    headers: dict[str, str]
    scenario_id: str
    job_id: str
    table: str
    key_id: str
    shared_with: str


@pytest.fixture(scope="module")
def owner(service: Service) -> OwnedResources:
    """Organisation A with a scenario, a finished job, a key and a share."""
    client = service.client
    headers = service.tenant("commissioner")
    admin = service.key(f"a-admin-{uuid.uuid4().hex[:6]}", "admin")
    scenario_id = create_scenario(client, headers)
    job = run_job(client, headers, scenario_id)
    partner = f"partner-{uuid.uuid4().hex[:6]}"
    service.key(partner, "negotiator")
    assert client.put(f"/scenarios/{scenario_id}/shares/{partner}", headers=headers).status_code == 200
    key_id = client.get("/keys", headers=admin).json()[0]["id"]
    return OwnedResources(headers, scenario_id, job["id"], job["tables"][0]["name"], key_id, partner)


def api_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every operation in the OpenAPI document."""
    paths = client.get("/openapi.json").json()["paths"]
    return sorted((method.upper(), path) for path, operations in paths.items() for method in operations)


def request_for(method: str, path: str, owned: OwnedResources, scenario_id: str, job_id: str, key_id: str) -> dict:
    """A well-formed request for the route, aimed at the given ids."""
    url = (
        path.replace("{scenario_id}", str(scenario_id))
        .replace("{number}", "1")
        .replace("{job_id}", str(job_id))
        .replace("{key_id}", str(key_id))
        .replace("{name}", owned.table)
        .replace("{organisation}", owned.shared_with)
    )
    if path == "/reports/compare":
        url += f"?a={job_id}&b={job_id}"
    request: dict[str, Any] = {"method": method, "url": url}
    if path.endswith("/upload"):
        request["files"] = {"file": ("s.json", json.dumps(example_document(budget_gbp=1)).encode())}
    elif method == "POST" and path.startswith("/scenarios"):
        request["json"] = example_document()
    elif (method, path) == ("POST", "/jobs"):
        request["json"] = {"scenario_id": scenario_id, "kind": "check"}
    elif (method, path) == ("POST", "/keys"):
        request["json"] = {"role": "negotiator"}
    return request


def test_every_route_but_health_needs_a_key(client: TestClient, owner: OwnedResources) -> None:
    for method, path in api_routes(client):
        if (method, path) in PUBLIC_ROUTES:
            continue
        request = request_for(method, path, owner, owner.scenario_id, owner.job_id, owner.key_id)
        for headers in ({}, {"X-API-Key": "cmk_nope_nope"}, {"Authorization": "Bearer wrong"}):
            response = client.request(**request, headers=headers)
            assert response.status_code == 401, (method, path, headers)
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == {"status": "ok"}


@pytest.mark.parametrize("role", ["commissioner", "negotiator", "admin"])
def test_another_organisations_resources_are_invisible(service: Service, owner: OwnedResources, role: str) -> None:
    """Every route aimed at organisation A's resources answers organisation B exactly as
    it would for resources that do not exist, and changes nothing."""
    client = service.client
    intruder = service.tenant(role)
    covered = set()
    for method, path in api_routes(client):
        if (method, path) in PUBLIC_ROUTES:
            continue
        covered.add((method, path))
        if "{" not in path and (method, path) not in {("POST", "/jobs"), ("GET", "/reports/compare")}:
            continue  # collections: checked below
        foreign = request_for(method, path, owner, owner.scenario_id, owner.job_id, owner.key_id)
        missing = request_for(method, path, owner, MISSING_ID, MISSING_ID, MISSING_ID)
        foreign_response = client.request(**foreign, headers=intruder)
        missing_response = client.request(**missing, headers=intruder)
        assert foreign_response.status_code in (403, 404), (method, path, foreign_response.text)
        assert foreign_response.status_code == missing_response.status_code, (method, path)

    expected_routes = {
        ("POST", "/scenarios"),
        ("POST", "/scenarios/upload"),
        ("GET", "/scenarios"),
        ("GET", "/scenarios/{scenario_id}"),
        ("DELETE", "/scenarios/{scenario_id}"),
        ("POST", "/scenarios/{scenario_id}/versions"),
        ("POST", "/scenarios/{scenario_id}/versions/upload"),
        ("GET", "/scenarios/{scenario_id}/versions/{number}"),
        ("GET", "/scenarios/{scenario_id}/shares"),
        ("PUT", "/scenarios/{scenario_id}/shares/{organisation}"),
        ("DELETE", "/scenarios/{scenario_id}/shares/{organisation}"),
        ("POST", "/jobs"),
        ("GET", "/jobs"),
        ("GET", "/jobs/{job_id}"),
        ("POST", "/jobs/{job_id}/cancel"),
        ("DELETE", "/jobs/{job_id}"),
        ("GET", "/jobs/{job_id}/tables/{name}"),
        ("GET", "/jobs/{job_id}/workbook"),
        ("POST", "/keys"),
        ("GET", "/keys"),
        ("DELETE", "/keys/{key_id}"),
        ("GET", "/metrics"),
        ("POST", "/imports/nhs"),  # a collection: tests/api/test_nhs_imports.py checks foreign scenario_ids
        ("GET", "/reports/jobs/{job_id}.pdf"),
        ("POST", "/reports/jobs/{job_id}/frontier"),
        ("GET", "/reports/compare"),
    }
    assert covered == expected_routes, "a route was added: extend this matrix"

    listed = client.get("/scenarios?limit=100", headers=intruder)
    assert owner.scenario_id not in [s["id"] for s in listed.json().get("items", [])]
    jobs = client.get("/jobs?limit=100", headers=intruder)
    assert owner.job_id not in [j["id"] for j in jobs.json().get("items", [])]
    keys = client.get("/keys", headers=intruder)
    assert owner.key_id not in [k["id"] for k in keys.json()] if keys.status_code == 200 else keys.status_code == 403

    # Organisation A's resources are untouched.
    scenario = client.get(f"/scenarios/{owner.scenario_id}", headers=owner.headers).json()
    assert scenario["latest_version"] == 1
    assert scenario["shared_with"] == [owner.shared_with]
    assert client.get(f"/jobs/{owner.job_id}", headers=owner.headers).json()["status"] == "succeeded"


def test_negotiators_check_and_sweep_but_do_not_solve(service: Service) -> None:
    client = service.client
    negotiator = service.tenant("negotiator")
    scenario_id = create_scenario(client, negotiator)
    assert run_job(client, negotiator, scenario_id, kind="check")["status"] == "succeeded"
    sweep = {"scenario_id": scenario_id, "kind": "sweep", "overrides": {"budget": "1:2:2"}}
    assert client.post("/jobs", json=sweep, headers=negotiator).status_code == 202
    solve = {"scenario_id": scenario_id, "kind": "solve", "overrides": {}}
    assert client.post("/jobs", json=solve, headers=negotiator).status_code == 403
    assert client.get("/keys", headers=negotiator).status_code == 403
    org = f"other-{uuid.uuid4().hex[:6]}"
    service.key(org, "commissioner")
    assert client.put(f"/scenarios/{scenario_id}/shares/{org}", headers=negotiator).status_code == 403


def test_a_negotiator_checks_a_shared_spec_privately(service: Service) -> None:
    client = service.client
    icb, lmc = f"icb-{uuid.uuid4().hex[:6]}", f"lmc-{uuid.uuid4().hex[:6]}"
    commissioner, negotiator = service.key(icb, "commissioner"), service.key(lmc, "negotiator")
    scenario_id = create_scenario(client, commissioner)
    client.put(f"/scenarios/{scenario_id}/shares/{lmc}", headers=commissioner)
    job = run_job(client, negotiator, scenario_id, kind="check")
    assert job["status"] == "succeeded"
    assert client.get(f"/jobs/{job['id']}", headers=commissioner).status_code == 404
    assert client.post(f"/jobs/{job['id']}/cancel", headers=commissioner).status_code == 404


def test_admins_manage_keys_only(service: Service) -> None:
    client = service.client
    organisation = f"org-{uuid.uuid4().hex[:6]}"
    admin = service.key(organisation, "admin")
    assert client.get("/scenarios", headers=admin).status_code == 403
    assert client.post("/scenarios", json=example_document(), headers=admin).status_code == 403

    created = client.post("/keys", json={"role": "commissioner", "label": "analyst"}, headers=admin)
    assert created.status_code == 201
    key = created.json()
    assert key["organisation"] == organisation
    new_key = {"Authorization": f"Bearer {key['token']}"}
    assert client.get("/scenarios", headers=new_key).status_code == 200
    assert client.get("/keys", headers=new_key).status_code == 403
    assert "token" not in client.get("/keys", headers=admin).json()[0]

    revoked = client.delete(f"/keys/{key['id']}", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/scenarios", headers=new_key).status_code == 401
