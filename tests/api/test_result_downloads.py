"""One solve, one set of numbers: the API's table and workbook downloads are the files
`commission solve --out` writes, rounded to each column's unit (README: FTE to 3 decimal
places, £ to 2)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient

from optimiser.io import read_document
from tests.api.helpers import TINY, create_scenario, run_job
from tests.console import console_script


def test_downloads_are_the_cli_result_files_byte_for_byte(
    client: TestClient, commissioner: dict, tmp_path: Path
) -> None:
    out = tmp_path / "cli"
    solved = subprocess.run(
        [console_script(), "solve", str(TINY), "--out", str(out)], capture_output=True, text=True, timeout=300
    )
    assert solved.returncode == 0, solved.stderr
    job = run_job(client, commissioner, create_scenario(client, commissioner, read_document(TINY)))
    assert job["status"] == "succeeded", job

    cli_hires = (out / "hires.csv").read_text()
    assert "clinical_pharmacist,arrs,0.45,27000," in cli_hires  # rounded: the LP gives 0.4500000000000001
    for table in job["tables"]:
        response = client.get(f"/jobs/{job['id']}/tables/{table['name']}", headers=commissioner)
        assert response.status_code == 200
        assert response.content == (out / f"{table['name']}.csv").read_bytes(), table["name"]

    workbook = client.get(f"/jobs/{job['id']}/workbook", headers=commissioner)
    assert workbook.status_code == 200
    api_sheets = openpyxl.load_workbook(io.BytesIO(workbook.content))
    cli_sheets = openpyxl.load_workbook(out / "results.xlsx")
    assert api_sheets.sheetnames == cli_sheets.sheetnames
    for name in cli_sheets.sheetnames:
        assert list(api_sheets[name].values) == list(cli_sheets[name].values), name
    hires = client.get(f"/jobs/{job['id']}/tables/hires?format=xlsx", headers=commissioner)
    assert list(openpyxl.load_workbook(io.BytesIO(hires.content))["hires"].values) == list(cli_sheets["hires"].values)
