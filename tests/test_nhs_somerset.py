"""End to end on the real Somerset extracts: the report's totals against sums computed here from the raw files."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from optimiser.io import read_document, write_document_as_csv
from optimiser.nhs.build import ImportResult, Inputs, import_nhs
from optimiser.nhs.rolemap import default_role_map_text
from optimiser.nhs.sources import Source
from optimiser.nhs.spec import default_spec_path, load_spec
from optimiser.runs import run_job

ROOT = Path(__file__).resolve().parents[1]
SOMERSET = ROOT / "data" / "nhs" / "somerset"
FILES = {
    "mapping": "gp-reg-pat-prac-map.csv",
    "list_sizes": "gp-reg-pat-prac-quin-age.csv",
    "practice_workforce": "gp-workforce-practice-may2026.csv",
    "pcn_workforce": "pcn-workforce-individual-jun2026.csv",
    "payments": "nhs-payments-practice-2022-23.csv",
    "imd": "practice-imd-2025.csv",
}
ICB = "QSL"


def raw(name: str) -> pd.DataFrame:
    return pd.read_csv(SOMERSET / FILES[name], dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def imported() -> ImportResult:
    spec, label = load_spec(None)
    inputs = Inputs(**{k: Source.of(SOMERSET / v) for k, v in FILES.items()})
    return import_nhs(inputs, icb=ICB, sub_icb=None, spec=spec, spec_label=label)


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    """The area's sums, computed from the raw files with pandas."""
    mapping = raw("mapping")
    area = mapping[mapping["ICB_CODE"] == ICB]
    practices = set(area["PRACTICE_CODE"])
    quin = raw("list_sizes")
    totals = quin[
        (quin["ORG_TYPE"] == "GP")
        & quin["ORG_CODE"].isin(practices)
        & (quin["SEX"] == "ALL")
        & (quin["AGE_GROUP_5"] == "ALL")
    ]
    payments = raw("payments")
    weighted_col = "Number of Weighted Patients (Last Known Figure)"
    workforce = raw("practice_workforce")
    workforce = workforce[workforce["PRAC_CODE"].isin(practices)]
    role_map = list(csv.DictReader(io.StringIO(default_role_map_text())))
    gp_columns = [r["value"] for r in role_map if r["publication"] == "practice_workforce" and r["role_id"] == "gp"]
    pcn = raw("pcn_workforce")
    pcn = pcn[pcn["PCN_CODE"].isin(set(area["PCN_CODE"]))].assign(FTE=lambda f: f["FTE"].astype(float))
    by_role = pcn.groupby("STAFF_ROLE")["FTE"].sum()
    return {
        "practices": practices,
        "pcns": set(area["PCN_CODE"]) - {"U"},
        "unallocated": set(area.loc[area["PCN_CODE"] == "U", "PRACTICE_CODE"]),
        "registered": int(totals["NUMBER_OF_PATIENTS"].astype(int).sum()),
        "weighted": float(payments.loc[payments["Practice Code"].isin(practices), weighted_col].astype(float).sum()),
        "payments_only": set(payments["Practice Code"]) - set(mapping["PRACTICE_CODE"]),
        "gp_fte": float(sum(workforce[c].astype(float).sum() for c in gp_columns if c in workforce)),
        "nurse_fte": float(workforce["TOTAL_NURSES_FTE"].astype(float).sum()),
        "dpc_fte": float(workforce["TOTAL_DPC_FTE"].astype(float).sum()),
        "trainee_fte": float(workforce["TOTAL_GP_TRN_GR_FTE"].astype(float).sum()),
        "pcn_by_role": by_role,
        "pcn_salaried_gp": float(pcn.loc[pcn["DETAILED_STAFF_ROLE"] == "Salaried By PCN", "FTE"].sum()),
        "pcn_total": float(pcn["FTE"].sum()),
    }


def test_counts_match_the_mapping(imported: ImportResult, expected: dict[str, Any]) -> None:
    counts = imported.report["counts"]
    assert counts["practices"] == len(expected["practices"]) == 58
    assert counts["pcns"] == len(expected["pcns"])
    assert {p["practice_id"] for p in imported.document["practices"]} == expected["practices"]
    assert {u["practice_id"] for u in imported.report["unallocated_practices"]} == expected["unallocated"]


def test_patient_totals_equal_the_published_sums(imported: ImportResult, expected: dict[str, Any]) -> None:
    totals = imported.report["totals"]
    assert totals["registered_patients"] == expected["registered"]
    assert totals["weighted_patients"] == pytest.approx(expected["weighted"], abs=0.005)
    assert totals["weighted_patients_estimated"] == 0  # every Somerset practice is in the payments file


def test_workforce_totals_equal_the_published_sums(imported: ImportResult, expected: dict[str, Any]) -> None:
    totals = imported.report["totals"]
    assert totals["gp_fte"] == pytest.approx(expected["gp_fte"], abs=5e-5)
    assert totals["nurse_fte"] == pytest.approx(expected["nurse_fte"], abs=5e-5)
    assert totals["dpc_fte"] == pytest.approx(expected["dpc_fte"], abs=5e-5)
    by_role, arrs = expected["pcn_by_role"], totals["pcn_arrs_fte_by_role"]
    for role, staff_role in [
        ("clinical_pharmacist", "Pharmacists"),
        ("pharmacy_technician", "Pharmacy Technicians"),
        ("care_coordinator", "Care Coordinators"),
        ("health_wellbeing_coach", "Health and Wellbeing Coaches"),
        ("gp_assistant", "General Practice Assistants"),
        ("social_prescriber", "Social Prescribing Link Workers"),
        ("paramedic", "Paramedics"),
    ]:
        assert arrs[role] == pytest.approx(by_role[staff_role], abs=5e-5), role
    advanced = by_role[[r for r in by_role.index if r.startswith("Advanced ")]].sum()
    assert arrs["advanced_practitioner"] == pytest.approx(advanced, abs=5e-5)
    assert arrs["arrs_gp"] == pytest.approx(expected["pcn_salaried_gp"], abs=5e-5)
    # Every PCN FTE is accounted for: imported, left out on purpose, or unmapped.
    pcn_left = sum(r["fte"] for r in imported.report["left_out_roles"] if r["publication"] == "pcn_workforce")
    pcn_unmapped = sum(r["fte"] for r in imported.report["unmapped_roles"] if r["publication"] == "pcn_workforce")
    accounted = totals["pcn_arrs_fte"] + sum(totals["pcn_other_fte_by_role"].values()) + pcn_left + pcn_unmapped
    assert accounted == pytest.approx(expected["pcn_total"], abs=1e-3)
    trainees = next(r for r in imported.report["left_out_roles"] if r["role"] == "TOTAL_GP_TRN_GR_FTE")
    assert trainees["fte"] == pytest.approx(expected["trainee_fte"], abs=5e-5)


def test_unmatched_practices_and_publication_dates_are_reported(
    imported: ImportResult, expected: dict[str, Any]
) -> None:
    report = imported.report
    assert {u["code"] for u in report["unmatched"] if u["file"] == "payments"} == expected["payments_only"]
    assert all(u["action"] for u in report["unmatched"])
    dates = {p["file"]: p["date"] for p in report["publications"]}
    assert dates == {
        FILES["mapping"]: "July 2026",  # EXTRACT_DATE 01Jul2026
        FILES["list_sizes"]: "July 2026",  # EXTRACT_DATE 2026-07-01
        FILES["practice_workforce"]: "May 2026",  # file name ...may2026
        FILES["pcn_workforce"]: "June 2026",  # CENSUS_YEAR 2026, CENSUS_MONTH 6
        FILES["payments"]: "2022-23",  # a financial year, from the file name
        FILES["imd"]: "2025",  # IMD_YEAR
    }
    assert report["imd"]["given"] and report["imd"]["practices_with_score"] == 58
    assert "Open Government Licence v3.0" in report["licence"]


def test_the_imported_scenario_solves(imported: ImportResult) -> None:
    job = run_job("solve", imported.document)
    assert job.result["status"] == "optimal"
    spend = job.result["kpis"]["total_spend_gbp"]
    assert 0 < spend <= imported.document["settings"]["budget_gbp"]
    assert round(spend / 1e6, 2) == 1.28  # the figure data/README.md explains


def test_the_shipped_somerset_example_is_what_the_importer_builds(imported: ImportResult, tmp_path: Path) -> None:
    write_document_as_csv(imported.document, tmp_path)
    shipped = ROOT / "data" / "somerset"
    for table in ("practices", "pcns", "staff", "roles", "services", "skill_mix"):
        assert (tmp_path / f"{table}.csv").read_text() == (shipped / f"{table}.csv").read_text(), table
    assert read_document(shipped)["settings"] == imported.document["settings"]


def test_the_packaged_default_spec_is_data_specs_default() -> None:
    shipped = ROOT / "data" / "specs" / "default"
    packaged = default_spec_path()
    names = sorted(p.name for p in shipped.iterdir())
    assert names == sorted(p.name for p in packaged.iterdir())
    for name in names:
        assert (shipped / name).read_bytes() == (packaged / name).read_bytes(), name


def test_every_date_in_data_sources_is_written_one_way_and_the_bundled_example_matches(imported: ImportResult) -> None:
    """N5: the publications give 01Jul2026, 2026-07-01, may2026 and a census year and month; the
    setting names each as NHS England titles the publication (month and year, financial year, year)."""
    sources = imported.scenario.settings.data_sources
    assert sources is not None
    periods = [re.fullmatch(r".*, ([^,(]+) \([^()]+\)", item) for item in sources.split("; ")]
    assert all(periods), sources
    written = [m.group(1) for m in periods if m]
    assert written == ["July 2026", "July 2026", "2022-23", "2025", "May 2026", "June 2026"]
    bundled = json.loads((ROOT / "data" / "somerset" / "settings.json").read_text(encoding="utf-8"))
    assert bundled["data_sources"] == sources
