"""A check's downloaded tables are rounded to their units, in the direction their sentences round (audit 6, A12).

``levers.csv`` wrote 6860203.28569373 (£) and 0.89280923511153 (a share); ``standards_by_service.csv``
wrote a reachable level of 0.62497 as 0.625, above what is reachable, where the lever's sentence says
62.4%. Shares that fit are rounded down, anything needed (money, staff, a raise of a cap) up.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMAND = str(Path(sys.executable).with_name("commission"))


@pytest.fixture(scope="module")
def check_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled undeliverable offer checked by ``commission batch``, which writes the check's tables."""
    work = tmp_path_factory.mktemp("download-rounding")
    manifest = work / "check.toml"
    scenario = (ROOT / "data" / "undeliverable_offer").as_posix()
    manifest.write_text(f'[[runs]]\nid = "offer"\nscenario = "{scenario}"\nkind = "check"\n')
    done = subprocess.run(
        [COMMAND, "batch", str(manifest), "--out", str(work / "out")], capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return work / "out" / "offer"


def test_each_lever_amount_is_rounded_to_its_unit_towards_what_suffices(check_run: Path) -> None:
    result = json.loads((check_run / "result.json").read_text())
    exact = {lever["lever"]: lever["amount"] for lever in result["levers"] if lever["amount"] is not None}
    written = pd.read_csv(check_run / "levers.csv").set_index("lever")["amount"]
    assert written["budget"] == math.ceil(exact["budget"] * 100) / 100  # £6,860,203.29: money needed, up
    assert written["standards"] == math.floor(exact["standards"] * 1e4) / 1e4  # 0.8928: a share that fits, down
    # A raise of the cap at its sentence's places (audit 9, A8): 6.426 needed is 6.43.
    assert written["safe_working"] == math.ceil(exact["safe_working"] * 1e2 - 1e-9) / 1e2
    assert written["standards"] < exact["standards"] < written["standards"] + 1e-4


def test_a_services_reachable_level_is_rounded_down_as_its_sentence_is(check_run: Path) -> None:
    result = json.loads((check_run / "result.json").read_text())
    standards = next(lever for lever in result["levers"] if lever["lever"] == "standards")
    exact = {row["service_id"]: row["coverage_at_uniform"] for row in standards["details"]["by_service"]}
    written = pd.read_csv(check_run / "standards_by_service.csv").set_index("service_id")["coverage_at_uniform"]
    assert set(written.index) == set(exact)
    for service, level in exact.items():
        assert written[service] <= level < written[service] + 1e-4, service
    # The case the audit found: 70% × 0.892809 = 0.62497, reachable at 62.49%, not at 62.5%.
    assert written["hypertension_review"] == 0.6249
    assert "Hypertension review from 70.0% to 62.4%" in standards["sentence"]
