"""The OpenAPI document says what an override accepts: a null is refused (422, test_null_overrides),
so no override, nor a weight of a check, is documented as nullable or as defaulting to null."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def nulls(node: Any) -> list[str]:
    """Where ``node`` admits or defaults to null, by JSON path."""
    if isinstance(node, list):
        return [f"[{i}]{where}" for i, item in enumerate(node) for where in nulls(item)]
    if not isinstance(node, dict):
        return []
    found = [
        "" for key, value in node.items() if (key == "type" and value == "null") or (key == "default" and value is None)
    ]
    return found + [f".{key}{where}" for key, value in node.items() for where in nulls(value)]


def test_no_override_is_documented_as_nullable(client: TestClient) -> None:
    models = client.get("/openapi.json").json()["components"]["schemas"]
    assert {name: nulls(models[name]) for name in ("Overrides", "CheckWeights")} == {
        "Overrides": [],
        "CheckWeights": [],
    }


def test_what_an_override_accepts_is_still_documented(client: TestClient) -> None:
    models = client.get("/openapi.json").json()["components"]["schemas"]
    overrides, weights = models["Overrides"]["properties"], models["CheckWeights"]["properties"]
    assert overrides["budget_gbp"]["anyOf"] == [{"type": "number"}, {"type": "string"}]  # 4700000 or "4.7m"
    assert overrides["objective"]["enum"] == ["min_cost", "max_value", "max_min_coverage"]
    assert overrides["weights"]["$ref"] == "#/components/schemas/CheckWeights"
    assert (weights["budget"]["type"], weights["budget"]["minimum"]) == ("number", 0)
    assert (weights["spread"]["minimum"], weights["spread"]["maximum"]) == (0, 1)
