"""Small hand-made files in the layouts of the NHS publications the importer reads.

Each has an extra column the importer must ignore, and rows outside the test area; the
writers can add a BOM, Windows line endings, or zip the file as the publications ship.
"""

from __future__ import annotations

import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.console import run

MAPPING = [
    "PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,ONS_SUB_ICB_LOCATION_CODE,"
    "SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,COMM_REGION_CODE,SUPPLIER_NAME,EXTRA_COLUMN",
    "GP_PRAC_PAT_LIST,01Jan2030,A81001,ALPHA SURGERY,AA1 1AA,U00001,ALPHA PCN,E38000001,00A,Sub A,E54000001,QAA,NHS Test ICB,Y01,EMIS,x",
    "GP_PRAC_PAT_LIST,01Jan2030,A81002,BETA SURGERY,AA1 1AB,U00001,ALPHA PCN,E38000001,00A,Sub A,E54000001,QAA,NHS Test ICB,Y01,EMIS,x",
    "GP_PRAC_PAT_LIST,01Jan2030,A81003,GAMMA SURGERY,AA1 1AC,U,Unallocated,E38000002,00C,Sub C,E54000001,QAA,NHS Test ICB,Y01,TPP,x",
    "GP_PRAC_PAT_LIST,01Jan2030,B82001,DELTA SURGERY,BB1 1BA,U00002,DELTA PCN,E38000003,00B,Sub B,E54000002,QBB,NHS Other ICB,Y02,TPP,x",
]

AGE_BANDS = [
    "0_4",
    "5_9",
    "10_14",
    "15_19",
    "20_24",
    "25_29",
    "30_34",
    "35_39",
    "40_44",
    "45_49",
    "50_54",
    "55_59",
    "60_64",
    "65_69",
    "70_74",
    "75_79",
    "80_84",
    "85_89",
    "90_94",
    "95+",
]


def quin_age_lines(patients_per_band: dict[str, int]) -> list[str]:
    """Every practice gets `n` patients per band and sex; plus an ICB-level row the importer must skip."""
    lines = ["PUBLICATION,EXTRACT_DATE,ORG_TYPE,ORG_CODE,ONS_CODE,POSTCODE,SEX,AGE_GROUP_5,NUMBER_OF_PATIENTS,EXTRA"]
    lines.append("GP_PRAC_PAT_LIST,2030-01-01,ICB,A81001,E54000001,,ALL,ALL,999999,x")
    for practice, n in patients_per_band.items():
        lines.append(f"GP_PRAC_PAT_LIST,2030-01-01,GP,{practice},,AA1 1AA,ALL,ALL,{n * 2 * len(AGE_BANDS)},x")
        for sex in ("FEMALE", "MALE"):
            lines.append(f"GP_PRAC_PAT_LIST,2030-01-01,GP,{practice},,AA1 1AA,{sex},ALL,{n * len(AGE_BANDS)},x")
            lines += [f"GP_PRAC_PAT_LIST,2030-01-01,GP,{practice},,AA1 1AA,{sex},{band},{n},x" for band in AGE_BANDS]
    return lines


# A81002 is old (many over-85s would be in a real list; here all bands equal), A81003 young-ish sizes differ.
LIST_SIZES = {"A81001": 100, "A81002": 50, "A81003": 25, "B82001": 70}

PRACTICE_WORKFORCE = [
    "PRAC_CODE,PRAC_NAME,TOTAL_GP_FTE,TOTAL_GP_EXTGL_FTE,TOTAL_GP_SEN_PTNR_FTE,TOTAL_GP_SAL_BY_PRAC_FTE,"
    "TOTAL_GP_LOCUM_VAC_FTE,TOTAL_GP_TRN_GR_FTE,TOTAL_NURSES_FTE,TOTAL_N_PRAC_NURSE_FTE,TOTAL_DPC_FTE,TOTAL_ADMIN_FTE",
    "A81001,ALPHA SURGERY,4.5,3.5,2.0,1.5,0.0,1.0,2.25,2.0,1.5,6.0",
    "A81002,BETA SURGERY,1.75,1.75,1.0,0.5,0.25,0.0,1.0,1.0,0.75,3.0",
    "A81003,GAMMA SURGERY,1.0,1.0,1.0,0.0,0.0,0.0,0.5,0.5,0.0,1.0",
    "B82001,DELTA SURGERY,9.0,9.0,9.0,0.0,0.0,0.0,9.0,9.0,9.0,9.0",
]

PCN_WORKFORCE = [
    "Data_source,CENSUS_YEAR,CENSUS_MONTH,PCN_CODE,PCN_NAME,SUB_ICB_CODE,SUB_ICB_NAME,ICB_CODE,ICB_NAME,COMM_REGION_CODE,"
    "COMM_REGION_NAME,STAFF_GROUP,STAFF_ROLE,DETAILED_STAFF_ROLE,FTE,UNIQUE_IDENTIFIER,NEW_COLUMN",
    "NWRS Staff,2029,12,U00001,ALPHA PCN,00A,Sub A,QAA,NHS Test ICB,Y01,X,Other Direct Patient Care staff,Pharmacists,Pharmacist,1.0,1,x",
    "NWRS Staff,2029,12,U00001,ALPHA PCN,00A,Sub A,QAA,NHS Test ICB,Y01,X,Other Direct Patient Care staff,Pharmacists,Pharmacist,0.5,2,x",
    "NWRS Staff,2029,12,U00001,ALPHA PCN,00A,Sub A,QAA,NHS Test ICB,Y01,X,Other Direct Patient Care staff,Care Coordinators,Care Coordinator,0.8,3,x",
    "NWRS Staff,2029,12,U00001,ALPHA PCN,00A,Sub A,QAA,NHS Test ICB,Y01,X,Directors,Medical Clinical Director (GP),Clinical Director – Medical,0.2,4,x",
    "NWRS Staff,2029,12,U00001,ALPHA PCN,00A,Sub A,QAA,NHS Test ICB,Y01,X,Other Direct Patient Care staff,Space Pilots,Space Pilot,0.3,5,x",
    "NWRS Staff,2029,12,U00009,GONE PCN,00A,Sub A,QAA,NHS Test ICB,Y01,X,Other Direct Patient Care staff,Pharmacists,Pharmacist,2.0,6,x",
    "NWRS Staff,2029,12,U00002,DELTA PCN,00B,Sub B,QBB,NHS Other ICB,Y02,X,Other Direct Patient Care staff,Pharmacists,Pharmacist,7.0,7,x",
]

PAYMENTS = [
    "nhs_region_code,nhs_region_name,sub_icb_code,sub_icb_name,pcn_code,pcn_name,Practice Code,Practice Name,"
    "Practice Close Date,Number of Registered Patients (Last Known Figure),Number of Weighted Patients (Last Known Figure),"
    'Global Sum,"Deductions for Pensions, Levies and Prescription Charge Income"',
    "Y01,REGION,00A,SUB A,U00001,ALPHA PCN,A81001,ALPHA SURGERY,,3900.5,4400.25,1,2",
    "Y01,REGION,00A,SUB A,U00001,ALPHA PCN,A81009,CLOSED SURGERY,31/03/2023,1000,1100.5,1,2",
    "Y01,REGION,00C,SUB C,U,,A81003,GAMMA SURGERY,,1000,1200.75,1,2",
    "Y02,REGION,00B,SUB B,U00002,DELTA PCN,B82001,DELTA SURGERY,,2800,2900,1,2",
]

IMD = [
    "PRACTICE_CODE,PRACTICE_NAME,IMD_YEAR,IMD_SCORE",
    "A81001,Alpha,2025,30.5",
    "A81002,Beta,2025,12.25",
    "B82001,Delta,2025,5",
]


def write(path: Path, lines: list[str], *, bom: bool = False, crlf: bool = False, zipped: bool = False) -> Path:
    text = ("\r\n" if crlf else "\n").join(lines) + ("\r\n" if crlf else "\n")
    data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
    if zipped:
        target = path.with_suffix(".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("readme.txt", "metadata the importer must skip")
            archive.writestr(path.name, data)
        return target
    path.write_bytes(data)
    return path


def write_all(directory: Path, **options: bool) -> dict[str, Path]:
    """Every publication file, all written with the same options."""
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "mapping": write(directory / "gp-reg-pat-prac-map.csv", MAPPING, **options),
        "list_sizes": write(directory / "gp-reg-pat-prac-quin-age.csv", quin_age_lines(LIST_SIZES), **options),
        "practice_workforce": write(directory / "gp-workforce-practice.csv", PRACTICE_WORKFORCE, **options),
        "pcn_workforce": write(directory / "pcn-workforce-individual.csv", PCN_WORKFORCE, **options),
        "payments": write(directory / "nhs-payments-practice-2029-30.csv", PAYMENTS, **options),
        "imd": write(directory / "practice-imd.csv", IMD, **options),
    }


# The importer's file options, as Inputs names them (the command line spells them with dashes).
OPTIONS = ("mapping", "list_sizes", "practice_workforce", "pcn_workforce", "payments", "imd")


def edit(name: str, old: str, new: str) -> Callable[[dict[str, Path]], None]:
    """Replace ``old`` (which must be there) with ``new`` in the file given as ``name``."""

    def apply(files: dict[str, Path]) -> None:
        text = files[name].read_text(encoding="utf-8")
        assert text.count(old) == 1, old
        files[name].write_text(text.replace(old, new), encoding="utf-8")

    return apply


def import_args(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    """The arguments of ``commission import nhs --icb QAA --out OUT`` of every file, then ``extra``."""
    args = ["import", "nhs", "--icb", "QAA", "--out", str(out), *extra]
    for option in OPTIONS:
        args += [f"--{option.replace('_', '-')}", str(files[option])]
    return args


def import_json(files: dict[str, Path], out: Path) -> subprocess.CompletedProcess[str]:
    """``commission import nhs --icb QAA`` of every file, under ``--format json``, by the installed script."""
    result = run(*import_args(files, out, "--format", "json"), cwd=out.parent)
    assert "Traceback" not in result.stdout + result.stderr
    return result
