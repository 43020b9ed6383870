"""Audit 9, A15: docs/api.md's table of resources lists every operation the service serves
(`POST /imports/nhs` and `GET /reports/compare` were missing)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.web.conftest import ROOT, Desk

API_MD = ROOT / "docs" / "api.md"
PARAMETER = re.compile(r"\{[^}]*\}")


def documented(path: Path) -> set[str]:
    """Every `METHOD /path` in the first column of the Resources table, query and parameter names dropped."""
    section = path.read_text(encoding="utf-8").split("\n## Resources\n", 1)[1].split("\n## ", 1)[0]
    operations = set()
    for row in section.splitlines():
        if row.startswith("| `"):
            for operation in re.findall(r"`([A-Z]+ /[^`]*)`", row.split(" | ")[0]):
                method, route = operation.split(" ", 1)
                operations.add(f"{method} {PARAMETER.sub('{}', route.split('?')[0])}")
    return operations


def test_every_operation_the_api_serves_is_in_the_table_of_resources(desk: Desk) -> None:
    served = {
        f"{method.upper()} {PARAMETER.sub('{}', route)}"
        for route, item in desk.client.get("/openapi.json").json()["paths"].items()
        for method in item
    }
    assert "POST /imports/nhs" in served
    assert sorted(served - documented(API_MD)) == []
