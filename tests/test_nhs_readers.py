"""Each NHS publication reader on small hand-made files in the published layouts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from optimiser.nhs import readers
from optimiser.nhs.build import ImportResult, Inputs, import_nhs
from optimiser.nhs.rolemap import default_role_map_text, load_role_map
from optimiser.nhs.sources import NhsInputError, Source
from optimiser.nhs.spec import load_spec
from tests import nhs_files

LAYOUTS = [
    pytest.param({}, id="plain"),
    pytest.param({"bom": True}, id="bom"),
    pytest.param({"crlf": True}, id="crlf"),
    pytest.param({"bom": True, "crlf": True, "zipped": True}, id="zip-bom-crlf"),
]
AREA = {"A81001", "A81002", "A81003"}


@pytest.fixture(params=LAYOUTS)
def files(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Path]:
    return nhs_files.write_all(tmp_path, **request.param)


def test_mapping_keeps_the_icbs_practices_by_nhs_or_ons_code(files: dict[str, Path]) -> None:
    area = readers.read_mapping(Source.of(files["mapping"]), "QAA", None)
    assert set(area.practices["practice_id"]) == AREA
    assert area.icb_name == "NHS Test ICB"
    assert area.publication.date == "January 2030"  # EXTRACT_DATE 01Jan2030
    by_ons = readers.read_mapping(Source.of(files["mapping"]), "E54000001", None)
    assert set(by_ons.practices["practice_id"]) == AREA
    sub = readers.read_mapping(Source.of(files["mapping"]), "QAA", "00A")
    assert set(sub.practices["practice_id"]) == {"A81001", "A81002"}
    assert list(sub.practices["pcn_id"]) == ["U00001", "U00001"]


def test_list_sizes_take_the_all_row_of_gp_rows_only(files: dict[str, Path]) -> None:
    lists = readers.read_list_sizes(Source.of(files["list_sizes"]), AREA)
    assert lists.totals.to_dict() == {"A81001": 4000.0, "A81002": 2000.0, "A81003": 1000.0}
    assert lists.publication.date == "January 2030"  # EXTRACT_DATE 2030-01-01
    assert len(lists.age_sex) == 3 * 2 * len(nhs_files.AGE_BANDS)
    assert lists.age_sex.groupby("practice_id")["patients"].sum().to_dict() == {
        "A81001": 4000,
        "A81002": 2000,
        "A81003": 1000,
    }


def test_practice_workforce_reads_every_fte_column_of_the_area(files: dict[str, Path]) -> None:
    workforce = readers.read_practice_workforce(Source.of(files["practice_workforce"]), AREA)
    assert sorted(workforce.fte.index) == sorted(AREA)
    assert workforce.fte.loc["A81002", "total_gp_locum_vac_fte"] == 0.25
    assert workforce.fte["total_nurses_fte"].sum() == pytest.approx(3.75)
    assert "TOTAL_N_PRAC_NURSE_FTE" in workforce.columns.values()


def test_pcn_workforce_keeps_area_pcns_and_reports_unknown_ones(files: dict[str, Path]) -> None:
    workforce = readers.read_pcn_workforce(Source.of(files["pcn_workforce"]), {"U00001"}, "QAA", ["00A", "00C"])
    assert set(workforce.records["pcn_id"]) == {"U00001"}
    assert workforce.records["fte"].sum() == pytest.approx(2.8)
    assert workforce.publication.date == "December 2029"
    assert list(workforce.outside["pcn_id"]) == ["U00009"]


def test_payments_give_weighted_lists_and_keep_closed_area_practices(files: dict[str, Path]) -> None:
    payments = readers.read_payments(Source.of(files["payments"]), AREA, {"00A", "00C", "U00001"})
    assert payments.weighted.to_dict() == {"A81001": 4400.25, "A81009": 1100.5, "A81003": 1200.75}
    assert payments.closed["A81009"] == "31/03/2023"
    assert payments.publication.date == "2029-30"


def test_role_map_matches_detailed_role_then_role_then_group_ignoring_dashes() -> None:
    rules = load_role_map()
    director, _ = rules.for_pcn_record("Clinical Director - Medical", "Medical Clinical Director (GP)", "Directors")
    assert director is not None and director.role_id is None  # left out via its staff group
    pcn_gp, _ = rules.for_pcn_record("Salaried By PCN", "Salaried GPs", "Other GPs")
    assert pcn_gp is not None and pcn_gp.role_id == "arrs_gp"
    unknown, label = rules.for_pcn_record("Space Pilot", "Space Pilots", "Other Direct Patient Care staff")
    assert unknown is None and label == "Space Pilot"


def test_an_overriding_role_map_changes_the_import(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    rows = list(csv.DictReader(io.StringIO(default_role_map_text())))
    rows.append(
        {
            "publication": "pcn_workforce",
            "match": "STAFF_ROLE",
            "value": "Space Pilots",
            "role_id": "paramedic",
            "note": "test",
        }
    )
    for row in rows:
        if row["value"] == "TOTAL_GP_TRN_GR_FTE":
            row["role_id"] = "gp"
    override = tmp_path / "my_role_map.csv"
    with override.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    result = run_import(files, role_map=Source.of(override))
    assert result.report["unmapped_roles"] == []
    assert result.report["totals"]["pcn_arrs_fte_by_role"]["paramedic"] == pytest.approx(0.3)
    assert result.report["totals"]["gp_fte"] == pytest.approx(6.25 + 1.0)  # registrars now counted


def run_import(
    files: dict[str, Path],
    *,
    icb: str | None = "QAA",
    sub_icb: str | None = None,
    role_map: Source | None = None,
) -> ImportResult:
    spec, label = load_spec(None)
    inputs = Inputs(**{k: Source.of(v) for k, v in files.items()})
    return import_nhs(inputs, icb=icb, sub_icb=sub_icb, spec=spec, spec_label=label, role_map=role_map)


def test_import_builds_tables_and_report_from_hand_made_files(files: dict[str, Path]) -> None:
    result = run_import(files)
    report, document = result.report, result.document
    practices = {p["practice_id"]: p for p in document["practices"]}
    assert set(practices) == AREA
    assert {p: practices[p]["list_size"] for p in practices} == {"A81001": 4000, "A81002": 2000, "A81003": 1000}
    # Unallocated A81003: a PCN of its own, flagged, with no ARRS entitlement.
    assert practices["A81003"]["pcn_id"] == "A81003-NOPCN"
    own = next(p for p in document["pcns"] if p["pcn_id"] == "A81003-NOPCN")
    assert own["arrs_entitlement_gbp"] == 0.0
    assert [u["practice_id"] for u in report["unallocated_practices"]] == ["A81003"]
    # Weighted: published for A81001 and A81003; A81002 estimated (same age profile, so list × 5601/5000).
    assert practices["A81001"]["weighted_list_size"] == 4400.25
    assert practices["A81002"]["weighted_list_size"] == pytest.approx(2000 * 5601.0 / 5000, abs=0.01)
    sources = {p["practice_id"]: p["weighted_source"] for p in report["practices"]}
    assert sources["A81002"] == "age-sex estimate" and sources["A81001"].startswith("payments")
    assert any(u["code"] == "A81002" and "estimated" in u["action"] for u in report["unmatched"])
    assert any(u["code"] == "A81009" and u["file"] == "payments" for u in report["unmatched"])
    assert any(u["code"] == "U00009" for u in report["unmatched"])
    totals = report["totals"]
    assert totals["registered_patients"] == 7000
    assert totals["gp_fte"] == pytest.approx(6.25)
    assert totals["nurse_fte"] == pytest.approx(3.75)
    assert totals["dpc_fte"] == pytest.approx(2.25)
    assert totals["pcn_arrs_fte_by_role"] == {"care_coordinator": 0.8, "clinical_pharmacist": 1.5}
    assert report["unmapped_roles"] == [
        {
            "publication": "pcn_workforce",
            "role": "Other Direct Patient Care staff / Space Pilots / Space Pilot",
            "reason": "not in the role map",
            "fte": 0.3,
        }
    ]
    assert {c["column"] for c in report["ignored_columns"]} == {"TOTAL_N_PRAC_NURSE_FTE"}
    assert report["imd"]["given"] and report["imd"]["practices_with_score"] == 2
    staff = {(s["holder_id"], s["role_id"]): s["fte"] for s in document["staff"]}
    assert staff[("A81002", "gp")] == pytest.approx(1.75)
    assert staff[("U00001", "clinical_pharmacist")] == pytest.approx(1.5)


def test_without_payments_every_weighted_list_is_an_age_sex_estimate_scaled_to_the_registered_total(
    tmp_path: Path,
) -> None:
    files = nhs_files.write_all(tmp_path)
    del files["payments"]
    result = run_import(files)
    weighted = {p["practice_id"]: p["weighted_list_size"] for p in result.document["practices"]}
    assert sum(weighted.values()) == pytest.approx(7000, abs=0.05)
    assert all(p["weighted_source"] == "age-sex estimate" for p in result.report["practices"])
    assert result.report["totals"]["practices_with_estimated_weighted_list"] == 3


def test_age_sex_estimate_weights_older_lists_more(tmp_path: Path) -> None:
    lines = nhs_files.quin_age_lines({"A81001": 10, "A81002": 10, "A81003": 10})
    # Move A81002's patients from the 5-9 band to the 85-89 band: same list size, older list.
    lines = [line.replace(",5_9,10,", ",5_9,0,") if ",A81002," in line else line for line in lines]
    lines = [line.replace(",85_89,10,", ",85_89,20,") if ",A81002," in line else line for line in lines]
    files = nhs_files.write_all(tmp_path)
    nhs_files.write(files["list_sizes"], lines)
    del files["payments"]
    result = run_import(files)
    weighted = {p["practice_id"]: p["weighted_list_size"] for p in result.document["practices"]}
    assert weighted["A81002"] > weighted["A81001"] == weighted["A81003"]


def test_a_wrong_file_is_rejected_naming_the_file_and_a_missing_column(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    with pytest.raises(NhsInputError) as error:
        readers.read_mapping(Source.of(files["list_sizes"]), "QAA", None)
    assert error.value.file == "gp-reg-pat-prac-quin-age.csv"
    assert error.value.column == "PRACTICE_CODE"


def test_the_same_files_import_another_icb(tmp_path: Path) -> None:
    files = nhs_files.write_all(tmp_path)
    result = run_import(files, icb="QBB")
    assert [p["practice_id"] for p in result.document["practices"]] == ["B82001"]
    assert result.report["totals"]["pcn_arrs_fte_by_role"] == {"clinical_pharmacist": 7.0}
    assert result.report["totals"]["weighted_patients"] == 2900
    assert result.report["unmatched"] == []


def test_imd_fills_imd_score_only_when_the_contract_has_the_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = nhs_files.write_all(tmp_path)
    # The contract has practices.imd_score (fair shares, docs/fairness.md): the scores are imported.
    with_column = run_import(files)
    assert with_column.report["imd"]["applied"]
    scores = {p["practice_id"]: p.get("imd_score") for p in with_column.document["practices"]}
    assert scores == {"A81001": 30.5, "A81002": 12.25, "A81003": None}

    from dataclasses import replace

    from models import schema

    practices = schema.TABLES["practices"]
    reduced = replace(practices, columns=tuple(c for c in practices.columns if c.name != "imd_score"))
    monkeypatch.setitem(schema.TABLES, "practices", reduced)
    without = run_import(files)
    assert not without.report["imd"]["applied"]
    assert all("imd_score" not in p for p in without.document["practices"])


def test_a_spec_in_any_encoding_gives_the_same_scenario(tmp_path: Path) -> None:
    import json

    from optimiser.io import write_document_as_workbook

    files = nhs_files.write_all(tmp_path / "in")
    default = run_import(files).document
    spec, _ = load_spec(None)
    workbook = tmp_path / "spec.xlsx"
    write_document_as_workbook(spec, workbook)
    as_json = tmp_path / "spec.json"
    as_json.write_text(json.dumps(spec), encoding="utf-8")
    for path in (workbook, as_json):
        document, label = load_spec(path)
        inputs = Inputs(**{k: Source.of(v) for k, v in files.items()})
        result = import_nhs(inputs, icb="QAA", sub_icb=None, spec=document, spec_label=label)
        assert result.scenario.scenario_hash == run_import(files).scenario.scenario_hash, path.name
        assert result.document["practices"] == default["practices"]
