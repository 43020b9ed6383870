"""Audit 9, A15: docs/api.md's table of resources lists every operation the service serves
(`POST /imports/nhs` and `GET /reports/compare` were missing), and the desk's file input accepts every
scenario file the API reads (it left out `.xlsm`)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from optimiser.io import SCENARIO_SUFFIXES
from tests.web.conftest import ROOT, Desk, csrf_of, tenant

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


def test_the_desk_upload_accepts_every_scenario_file_the_api_reads(desk: Desk) -> None:
    client: TestClient = desk.signed_in(desk.key(tenant(), "negotiator"))
    page = client.get("/desk/check").text
    csrf_of(page)  # the signed-in form, not the sign-in page
    accept = re.search(r'<input type="file" id="file" name="file" accept="([^"]*)"', page)
    assert accept, "no file input on the check form"
    assert sorted(accept.group(1).split(",")) == sorted(SCENARIO_SUFFIXES)
    assert ".xlsm" in accept.group(1)
