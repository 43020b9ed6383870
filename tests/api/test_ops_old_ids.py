"""A job or scenario named by its number from before migration 0002 (a link such as /jobs/17, kept from
before the upgrade) is answered 404 with one sentence: ids changed to UUIDs in that upgrade, and where
to find the new one; not a 422 about a pattern. Any other malformed id is still a 422."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.ids import OLD_NUMERIC_ID_KINDS, old_numeric_id_kind
from api.orm import Role
from optimiser.deliverability import wording
from tests.api.helpers import Service, create_scenario, example_document


@pytest.mark.parametrize(
    ("method", "path", "kind", "number"),
    [
        ("GET", "/jobs/17", "job", "17"),
        ("DELETE", "/jobs/17", "job", "17"),
        ("GET", "/jobs/17/tables/allocation", "job", "17"),
        ("GET", "/scenarios/3", "scenario", "3"),
        ("GET", "/scenarios/3/versions/1", "scenario", "3"),
        ("DELETE", "/keys/1", "key", "1"),
    ],
)
def test_an_old_numeric_id_is_a_404_saying_where_the_new_id_is(
    service: Service, method: str, path: str, kind: str, number: str
) -> None:
    headers = service.tenant(Role.ADMIN if kind == "key" else Role.COMMISSIONER)
    if kind != "key":  # rows 1 and on exist: their numbers still do not name them
        create_scenario(service.client, headers, example_document())
    answer = service.client.request(method, path, headers=headers)
    assert answer.status_code == 404, answer.text
    detail: Any = answer.json()["detail"]
    assert detail == wording.old_numeric_id(kind, number)
    assert f"{kind.capitalize()} {number} is a number from before the upgrade" in detail
    assert "UUID" in detail and f"GET /{kind}s" in detail


def test_other_malformed_ids_are_still_refused_with_the_pattern(
    client: TestClient, commissioner: dict[str, str]
) -> None:
    for given in ("abc", "17a", "-17", "1.5"):
        answer = client.get(f"/jobs/{given}", headers=commissioner)
        assert answer.status_code == 422, (given, answer.text)
        assert "must be an id such as" in answer.json()["detail"][0]["message"]


def test_an_old_id_needs_a_key_as_every_job_does(client: TestClient) -> None:
    assert client.get("/jobs/17").status_code == 401


def test_every_kind_with_an_old_numeric_id_has_its_sentence() -> None:
    """The API and the desk find the kind by api.ids; the wording must have a sentence for each."""
    assert set(OLD_NUMERIC_ID_KINDS) == set(wording.OLD_NUMERIC_ID_PLURALS)
    assert old_numeric_id_kind("job_id", "17") == "job"
    assert old_numeric_id_kind("scenario_id", "0193a1f2") is None
    assert old_numeric_id_kind("version", "3") is None
