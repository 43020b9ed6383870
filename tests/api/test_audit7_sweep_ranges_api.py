"""The API sweeps the range it is asked for (audit 7, A3): ``budget`` pooled budgets whatever the
scenario's mode, ``offer_rate`` offer rates; and the desk's frontier of a per-practice check is a
sweep over offer rates. The command line and batch manifests: tests/test_audit7_sweep_ranges.py."""

from __future__ import annotations

from tests.api.helpers import Service, create_scenario, run_job
from tests.test_audit7_sweep_ranges import per_practice_document


def test_the_api_sweeps_what_it_is_asked_and_the_desk_frontier_of_a_per_practice_check_is_over_rates(
    service: Service, commissioner: dict[str, str]
) -> None:
    client = service.client
    scenario_id = create_scenario(client, commissioner, per_practice_document())
    pooled = run_job(client, commissioner, scenario_id, kind="sweep", overrides={"budget": "10k:60k:3"})
    assert pooled["status"] == "succeeded", pooled
    assert pooled["result"]["x"] == "budget_gbp"
    rates = run_job(client, commissioner, scenario_id, kind="sweep", overrides={"offer_rate": "2:8:4"})
    assert rates["status"] == "succeeded", rates
    assert rates["result"]["x"] == "offer_rate_gbp_per_weighted_patient"
    refused = client.post(
        "/jobs",
        json={
            "scenario_id": scenario_id,
            "kind": "sweep",
            "overrides": {"offer_rate": "2:8:4", "budget_gbp": "40k"},
        },
        headers=commissioner,
    )
    assert refused.status_code == 422, refused.text
    [problem] = refused.json()["detail"]
    assert problem["column"] == "body.overrides.budget_gbp"
    assert "a sweep of offer_rate does not take budget_gbp" in problem["message"]
    # The frontier of a per-practice check (the desk's button, the API's POST .../frontier): a sweep over offer rates.
    check = run_job(client, commissioner, scenario_id, kind="check")
    assert check["status"] == "succeeded", check
    assert check["result"]["budget_mode"] == "per_practice"
    assert client.post(f"/reports/jobs/{check['id']}/frontier", headers=commissioner).status_code == 202
    listed = client.get("/jobs?limit=100", headers=commissioner).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    frontier = [job for job in items if job["kind"] == "sweep" and job["id"] not in (pooled["id"], rates["id"])]
    assert len(frontier) == 1, items
    assert "offer_rate" in frontier[0]["overrides"]
    assert "budget" not in frontier[0]["overrides"]
