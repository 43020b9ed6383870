"""A job's overrides are read and checked by the one check every entry point uses
(``optimiser.runs.checked_overrides``): the same input gives the same error as the CLI and a batch."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from optimiser.batch import ManifestInvalid, parse_manifest
from tests.api.helpers import create_scenario, example_document


def request_problem(name: str, message: str) -> dict:
    """A problem the request's schema found in one override (the shared per-value check)."""
    return {"table": "request", "row": None, "column": f"body.overrides.{name}", "message": f"{name}: {message}"}


def together_problem(message: str) -> dict:
    """A problem with the overrides taken together (which go with the job's kind)."""
    return {"table": "request", "row": None, "column": "body.overrides", "message": message}


@pytest.mark.parametrize(
    ("kind", "overrides", "problem"),
    [
        (
            "solve",
            {"budget_gbp": "12,50,00"},
            request_problem(
                "budget_gbp", "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '12,50,00')"
            ),
        ),
        (
            "check",
            {"budget_gbp": "4,7m"},
            request_problem(
                "budget_gbp",
                "expected a number such as 4700000, 4.7m, 250k or 1,250,000 (got '4,7m'; "
                "write decimals with a point: 4.7m)",
            ),
        ),
        ("solve", {"sensitivity": "yes"}, request_problem("sensitivity", "must be true or false (got 'yes')")),
        (
            "solve",
            {"time_limit_s": 0},
            request_problem("time_limit_s", "must be a number of seconds greater than 0 and at most 86,400 (got 0)"),
        ),
        (
            "solve",
            {"time_limit_s": 1e9},
            request_problem(
                "time_limit_s", "must be a number of seconds greater than 0 and at most 86,400 (got 1000000000)"
            ),
        ),
        (
            "sweep",
            {"standards": "0:1.5:4"},
            request_problem(
                "standards", "fractions of the standards must be between 0 and 1 (got '0:1.5:4'; expected START:STOP:N)"
            ),
        ),
        (
            "sweep",
            {"budget": "0:0:1"},
            request_problem(
                "budget", "the number of points must be between 2 and 1000 (got '0:0:1'; expected START:STOP:N)"
            ),
        ),
        (
            "sweep",
            {},
            together_problem("a sweep needs one of budget, offer_rate or standards"),
        ),
        (
            "check",
            {"sensitivity": True},
            request_problem("sensitivity", "only solves report sensitivity"),
        ),
        (
            "sweep",
            {"budget": "0:1m:3", "standards": "0.5:1:3"},
            together_problem("a sweep takes one of budget, offer_rate or standards, not more"),
        ),
        # the service's own limits (COMMISSION_MAX_TIME_LIMIT_S, _MAX_SWEEP_POINTS: 120 s and 5 in tests)
        (
            "solve",
            {"time_limit_s": 400},
            request_problem("time_limit_s", "must be at most 120 s on this service (got 400)"),
        ),
        ("sweep", {"budget": "1m:2m:51"}, request_problem("budget", "a sweep takes 2 to 5 points (got 51)")),
        ("solve", {"standards": "0.5:1:3"}, request_problem("standards", "only sweeps take a range")),
        # audit 5 F5: weights on a solve or a sweep would be silently ignored
        ("solve", {"weights": {"budget": 1}}, request_problem("weights", "only checks take weights")),
        (
            "sweep",
            {"budget": "10k:50k:3", "weights": {"standards": 5}},
            request_problem("weights", "only checks take weights"),
        ),
        (
            "check",
            {"weights": {"budget": -1}},
            request_problem("weights", "weight 'budget' must be a number ≥ 0 (got -1)"),
        ),
        (
            "check",
            {"weights": {"foo": 1}},
            request_problem(
                "weights", "unknown weight 'foo' (known: budget, workforce_supply, standards, safe_working, spread)"
            ),
        ),
        (
            "check",
            {"bogus": 1},
            request_problem(
                "bogus",
                "unknown override (known: objective, budget_gbp, offer_rate_gbp_per_weighted_patient, "
                "standards_fraction, time_limit_s, sensitivity, budget, offer_rate, standards, weights)",
            ),
        ),
    ],
)
def test_bad_overrides_are_named_as_every_entry_point_names_them(
    client: TestClient, commissioner: dict, kind: str, overrides: dict, problem: dict
) -> None:
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": kind, "overrides": overrides}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == [problem]


def test_grouped_thousands_are_stored_as_the_number_they_write(client: TestClient, commissioner: dict) -> None:
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": "solve", "overrides": {"budget_gbp": "£1,250,000"}}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 202, response.text
    assert response.json()["overrides"] == {"budget_gbp": 1_250_000.0}


def test_a_scenarios_settings_take_amounts_in_k_and_m(client: TestClient, commissioner: dict) -> None:
    written = client.post("/scenarios", json=example_document(budget_gbp=250000), headers=commissioner).json()
    in_k = client.post("/scenarios", json=example_document(budget_gbp="250k"), headers=commissioner)
    assert in_k.status_code == 201, in_k.text
    assert in_k.json()["versions"][0]["scenario_hash"] == written["versions"][0]["scenario_hash"]
    refused = client.post("/scenarios", json=example_document(budget_gbp="2,50"), headers=commissioner)
    assert refused.status_code == 422
    assert refused.json()["detail"] == [
        {
            "table": "settings",
            "row": None,
            "column": "budget_gbp",
            "message": "expected a number such as 4700000, 4.7m, 250k or 1,250,000 "
            "(got '2,50'; write decimals with a point: 2.50)",
        }
    ]


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"weights": {"budget": -1}}, "weight 'budget' must be a number ≥ 0 (got -1)"),
        ({"weights": {"foo": 1}}, "unknown weight 'foo' (known: budget, workforce_supply, standards, safe_working,"),
        # each lists the overrides it takes: the API's are the batch's but for engine
        ({"bogus": 1}, "bogus: unknown override (known: objective, budget_gbp, offer_rate_gbp_per_weighted_patient, "),
        (
            {"budget": "0:1m:3", "standards": "0.5:1:3"},
            "a sweep takes one of budget, offer_rate or standards, not more",
        ),
        # audit 4 F5: two offers at once, where one would be silently ignored
        (
            {"budget_gbp": "5m", "offer_rate_gbp_per_weighted_patient": 8},
            "give one offer: budget_gbp (a pooled budget) or offer_rate_gbp_per_weighted_patient "
            "(£ per weighted patient), not both",
        ),
    ],
)
def test_the_api_and_a_batch_manifest_refuse_an_override_in_the_same_words(
    client: TestClient, commissioner: dict, tmp_path: Path, overrides: dict, words: str
) -> None:
    """Audit N6: the API's words are the product's, not pydantic's ("Extra inputs are not permitted")."""
    kind = "sweep" if "budget" in overrides else "check"
    scenario_id = create_scenario(client, commissioner)
    job = {"scenario_id": scenario_id, "kind": kind, "overrides": overrides}
    response = client.post("/jobs", json=job, headers=commissioner)
    assert response.status_code == 422, response.text
    [problem] = response.json()["detail"]
    assert words in problem["message"], problem
    with pytest.raises(ManifestInvalid) as refused:
        parse_manifest({"runs": [{"scenario": "s.json", "kind": kind, "overrides": overrides}]}, tmp_path / "m.toml")
    [batch_problem] = refused.value.problems
    assert words in batch_problem, batch_problem
