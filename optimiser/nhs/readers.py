"""One reader per NHS England publication, each checking it got the right file.

Every reader takes the file as published (a national CSV, or the zip it ships in; BOM,
Windows line endings, extra columns and rows are fine) and keeps only the rows of the
area's practices or PCNs. The area itself comes from the registrations mapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from models.scenario import ScenarioInvalid
from models.schema import TABLES, shown
from optimiser.nhs.sources import (
    MONTHS,
    SUPPRESSED,
    Figure,
    NhsInputError,
    PublishedTable,
    Source,
    checked_numbers,
    data_rows,
    date_in_name,
    month_period,
    normalise_header,
    numbers,
    period,
    read_table,
    refuse_repeated_rows,
)

MAPPING = "Patients Registered at a GP Practice: practice mapping (gp-reg-pat-prac-map)"
LIST_SIZES = "Patients Registered at a GP Practice: 5-year age bands (gp-reg-pat-prac-quin-age)"
PRACTICE_WORKFORCE = "General Practice Workforce, practice level"
PCN_WORKFORCE = "Primary Care Network Workforce, individual level"
PAYMENTS = "NHS Payments to General Practice, practice level"
IMD = "Index of Multiple Deprivation score by GP practice"

WEIGHTED = "Number of Weighted Patients (Last Known Figure)"
REGISTERED = "Number of Registered Patients (Last Known Figure)"

# Each figure may be at most the bound of the scenario column it becomes, so a value the
# scenario would refuse is reported here, at its file, row and column.
MAX_FTE = TABLES["staff"].column("fte").upper
MAX_PATIENTS = TABLES["practices"].column("list_size").upper
MAX_WEIGHTED = TABLES["practices"].column("weighted_list_size").upper


@dataclass
class Publication:
    """What was read: the file, its publication date and where that date came from."""

    publication: str
    file: str
    date: str | None
    date_source: str
    rows_read: int
    rows_in_area: int = 0
    # normalised header -> as the file spells it, so later errors name the column the user can find
    headers: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "headers"}

    def spelt(self, column: str) -> str:
        return self.headers.get(normalise_header(column), column)


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[normalise_header(name)]


def _has(frame: pd.DataFrame, name: str) -> bool:
    return normalise_header(name) in frame.columns


def _codes(frame: pd.DataFrame, *names: str) -> pd.DataFrame:
    """The columns ``names`` of ``frame`` upper-cased, as the importer compares codes."""
    return pd.DataFrame({normalise_header(n): _col(frame, n).str.upper() for n in names}, index=frame.index)


def _publication(name: str, table: PublishedTable, date_columns: tuple[str, ...]) -> Publication:
    return Publication(
        name,
        table.file,
        *_date(table.frame, table.file, date_columns),
        rows_read=len(table.frame),
        headers=table.headers,
    )


def _date(frame: pd.DataFrame, label: str, columns: tuple[str, ...]) -> tuple[str | None, str]:
    for column in columns:
        if _has(frame, column):
            values = {v for v in _col(frame, column) if v}
            if values:
                return _dates(values, f"{column} column")
    named = date_in_name(label)
    return (
        _dates({named}, "file name: the file has no date column")
        if named
        else (None, "the file has no date column and no date in its name")
    )


def _dates(values: set[str], where: str) -> tuple[str, str]:
    """The publication's periods (at most three, earliest first), each as ``period`` writes it, and their source.

    A value ``period`` cannot read is kept as the file gives it, and the source says so.
    """
    periods = {period(v) or v for v in values}
    unread = sorted(v for v in values if period(v) is None)
    shown = sorted(periods, key=_chronological)[:3]
    if unread:
        where += f" (as the file gives it: {', '.join(unread[:3])} is not a date the importer reads)"
    return ", ".join(shown), where


def _chronological(text: str) -> tuple[int, int, str]:
    """A sort key putting the periods ``period`` writes in time order (a text it did not write last)."""
    if (match := re.fullmatch(r"([A-Z][a-z]+) (20\d\d)", text)) and match.group(1) in MONTHS:
        return int(match.group(2)), MONTHS.index(match.group(1)) + 1, ""
    if match := re.fullmatch(r"(20\d\d)(-\d\d)?", text):
        return int(match.group(1)), 4 if match.group(2) else 0, ""  # a financial year starts in April
    return 10_000, 0, text


# Registrations mapping -------------------------------------------------------


@dataclass
class Area:
    """The practices of one ICB or sub-ICB, from the registrations mapping."""

    practices: pd.DataFrame  # practice_id, name, pcn_id, pcn_name, sub_icb, icb, row (its data row in the file)
    description: str
    icb_code: str | None
    icb_name: str | None
    sub_icb_codes: list[str]
    publication: Publication


MAPPING_REQUIRED = ("PRACTICE_CODE", "PCN_CODE", "SUB_ICB_LOCATION_CODE", "ICB_CODE")


def read_mapping(source: Source, icb: str | None, sub_icb: str | None) -> Area:
    """The area's practices and PCNs; ``icb``/``sub_icb`` match the NHS or the ONS code."""
    if not icb and not sub_icb:
        raise NhsInputError(source.name, "give an ICB code (--icb) or a sub-ICB code (--sub-icb) to import")
    table = read_table(source, MAPPING, MAPPING_REQUIRED)
    frame, label = table.frame, table.file
    publication = _publication(MAPPING, table, ("EXTRACT_DATE",))

    def codes(*columns: str) -> pd.Series:
        present = [_col(frame, c).str.upper() for c in columns if _has(frame, c)]
        return pd.concat(present, axis=1) if present else pd.DataFrame(index=frame.index)

    keep = pd.Series(True, index=frame.index)
    if icb:
        icb_codes = codes("ICB_CODE", "ONS_ICB_CODE")
        in_icb = icb_codes.eq(icb.strip().upper()).any(axis=1)
        if not in_icb.any():
            known = ", ".join(sorted(set(_col(frame, "ICB_CODE")) - {""})[:12])
            raise NhsInputError(
                label, f"ICB code {shown(icb)} matches no practice (codes in the file: {known})", "ICB_CODE"
            )
        keep &= in_icb
    if sub_icb:
        sub_codes = codes("SUB_ICB_LOCATION_CODE", "ONS_SUB_ICB_LOCATION_CODE")
        in_sub = sub_codes.eq(sub_icb.strip().upper()).any(axis=1)
        if not in_sub.any():
            raise NhsInputError(label, f"sub-ICB code {shown(sub_icb)} matches no practice", "SUB_ICB_LOCATION_CODE")
        if not (keep & in_sub).any():
            owners = ", ".join(sorted(set(_col(frame, "ICB_CODE")[in_sub])))
            raise NhsInputError(
                label,
                f"sub-ICB {shown(sub_icb)} is not in ICB {shown(icb)} (it is in ICB {owners})",
                "SUB_ICB_LOCATION_CODE",
            )
        keep &= in_sub
    area = frame[keep]
    no_code = _col(area, "PRACTICE_CODE") == ""
    if no_code.any():
        raise NhsInputError(
            label, "a practice row has no practice code", "PRACTICE_CODE", int(data_rows(area)[no_code].iloc[0])
        )
    refuse_repeated_rows(table, _codes(area, "PRACTICE_CODE"), "practice", "practice")

    def optional(name: str) -> pd.Series:
        return _col(area, name) if _has(area, name) else pd.Series("", index=area.index)

    practices = pd.DataFrame(
        {
            "practice_id": _col(area, "PRACTICE_CODE").str.upper(),
            "name": optional("PRACTICE_NAME"),
            "pcn_id": _col(area, "PCN_CODE").str.upper(),
            "pcn_name": optional("PCN_NAME"),
            "sub_icb": _col(area, "SUB_ICB_LOCATION_CODE"),
            "icb": _col(area, "ICB_CODE"),
            "row": data_rows(area),
        }
    ).reset_index(drop=True)
    publication.rows_in_area = len(practices)
    icb_codes_in_area = sorted(set(practices["icb"]))
    icb_names = sorted(set(optional("ICB_NAME"))) if _has(area, "ICB_NAME") else []
    description = f"ICB {icb.upper()}" if icb else ""
    if sub_icb:
        description = f"{description}, sub-ICB {sub_icb.upper()}".lstrip(", ")
    return Area(
        practices=practices,
        description=description,
        icb_code=icb_codes_in_area[0] if len(icb_codes_in_area) == 1 else None,
        icb_name=icb_names[0] if len(icb_names) == 1 else None,
        sub_icb_codes=sorted(set(practices["sub_icb"])),
        publication=publication,
    )


# List sizes by age and sex ------------------------------------------------------


@dataclass
class ListSizes:
    totals: pd.Series  # practice_id -> registered patients (the ALL/ALL row)
    age_sex: pd.DataFrame  # practice_id, sex (MALE/FEMALE), age_group (e.g. 0_4, 95+), patients, row
    total_rows: dict[str, list[int]]  # practice_id -> the data rows its total was read from
    publication: Publication


LIST_REQUIRED = ("ORG_CODE", "SEX", "AGE_GROUP_5", "NUMBER_OF_PATIENTS")


def read_list_sizes(source: Source, practice_ids: set[str]) -> ListSizes:
    table = read_table(source, LIST_SIZES, LIST_REQUIRED)
    frame = table.frame
    publication = _publication(LIST_SIZES, table, ("EXTRACT_DATE",))
    rows = frame[_col(frame, "ORG_CODE").str.upper().isin(practice_ids)]
    if _has(rows, "ORG_TYPE"):
        rows = rows[_col(rows, "ORG_TYPE").str.upper().isin(["GP", "PRACTICE", "GP PRACTICE"])]
    publication.rows_in_area = len(rows)
    row = data_rows(rows)
    sex = _col(rows, "SEX").str.upper()
    age = _col(rows, "AGE_GROUP_5").str.upper().str.replace(" ", "", regex=False)
    code = _col(rows, "ORG_CODE").str.upper()
    key = pd.DataFrame({normalise_header(c): v for c, v in (("ORG_CODE", code), ("SEX", sex), ("AGE_GROUP_5", age))})
    refuse_repeated_rows(table, key, "practice", "practice, sex and age band")
    patients = numbers(
        table, rows, "NUMBER_OF_PATIENTS", Figure("patients", "practice", "ORG_CODE", MAX_PATIENTS, whole=True)
    )
    is_total = (sex == "ALL") & (age == "ALL")
    detail = (sex.isin(["MALE", "FEMALE"])) & (age != "ALL")
    age_sex = pd.DataFrame(
        {
            "practice_id": code[detail],
            "sex": sex[detail],
            "age_group": age[detail],
            "patients": patients[detail],
            "row": row[detail],
        }
    ).reset_index(drop=True)
    totals = patients[is_total].groupby(code[is_total]).sum()
    total_rows = {str(k): list(v) for k, v in row[is_total].groupby(code[is_total])}
    # A practice without its ALL/ALL row: the sum of its age-sex rows.
    from_detail = age_sex.groupby("practice_id")["patients"].sum()
    totals = pd.concat([totals, from_detail[~from_detail.index.isin(totals.index)]])
    for practice, group in age_sex.groupby("practice_id")["row"]:
        total_rows.setdefault(str(practice), list(group))
    return ListSizes(totals=totals.astype(float), age_sex=age_sex, total_rows=total_rows, publication=publication)


# Practice workforce ------------------------------------------------------------------


@dataclass
class PracticeWorkforce:
    fte: pd.DataFrame  # index practice_id; one column per FTE column of the file (normalised names)
    columns: dict[str, str]  # normalised -> as published
    rows: dict[str, list[int]]  # practice_id -> its data rows in the file
    publication: Publication
    # cells of the area's practices read as 0 because they are blank or a suppression mark:
    # practice_id, data row, column (normalised), the cell as written
    blanks: list[tuple[str, int, str, str]] = field(default_factory=list)


PRACTICE_WORKFORCE_REQUIRED = ("PRAC_CODE", "TOTAL_GP_FTE")


def read_practice_workforce(source: Source, practice_ids: set[str], named: tuple[str, ...] = ()) -> PracticeWorkforce:
    """The area's rows of the practice-level workforce file: every ``*_FTE`` column and every
    column of ``named`` (the columns the role map names), checked, blanks recorded."""
    table = read_table(source, PRACTICE_WORKFORCE, PRACTICE_WORKFORCE_REQUIRED)
    frame = table.frame
    publication = _publication(PRACTICE_WORKFORCE, table, ("CENSUS_DATE", "EXTRACT_DATE", "DATE"))
    rows = frame[_col(frame, "PRAC_CODE").str.upper().isin(practice_ids)]
    publication.rows_in_area = len(rows)
    refuse_repeated_rows(table, _codes(rows, "PRAC_CODE"), "practice", "practice")
    wanted = {normalise_header(c) for c in named}
    fte_columns = [c for c in rows.columns if c.endswith("_fte") or c in wanted]
    practice = _col(rows, "PRAC_CODE").str.upper()
    figure = Figure("FTE", "practice", "PRAC_CODE", MAX_FTE)
    checked = [checked_numbers(table, rows, c, figure) for c in fte_columns]
    problems = sorted(
        (p for _, column_problems in checked for p in column_problems), key=lambda p: (p.row is None, p.row or 0)
    )
    if problems:
        raise ScenarioInvalid(problems)
    blanks = [
        (str(practice.loc[index]), int(index) + 1, column, str(rows.at[index, column]))
        for column in fte_columns
        if column in wanted or column == normalise_header("TOTAL_GP_FTE")
        for index in rows.index[rows[column].str.upper().isin(SUPPRESSED)]
    ]
    fte = pd.DataFrame({c: values.to_numpy() for c, (values, _) in zip(fte_columns, checked, strict=True)})
    fte.index = practice.to_numpy()
    fte = fte.sort_index()  # staff rows in practice-code order, whatever the order of the file
    return PracticeWorkforce(
        fte=fte,
        columns={c: c.upper() for c in fte_columns},
        rows={str(k): list(v) for k, v in data_rows(rows).groupby(practice)},
        publication=publication,
        blanks=sorted(blanks, key=lambda b: (b[1], b[2])),
    )


# PCN workforce -----------------------------------------------------------------------


@dataclass
class PcnWorkforce:
    records: pd.DataFrame  # pcn_id, staff_group, staff_role, detailed_role, fte, row (area PCNs only)
    outside: pd.DataFrame  # records of the area's ICB/sub-ICB whose PCN the mapping does not list
    publication: Publication
    # FTE cells of the area's PCNs read as 0 because they are blank or a suppression mark:
    # pcn_id, data row, the row's detailed staff role, the cell as written
    blanks: list[tuple[str, int, str, str]] = field(default_factory=list)


PCN_WORKFORCE_REQUIRED = ("PCN_CODE", "STAFF_GROUP", "STAFF_ROLE", "DETAILED_STAFF_ROLE", "FTE")


def read_pcn_workforce(source: Source, pcn_ids: set[str], icb: str | None, sub_icbs: list[str]) -> PcnWorkforce:
    table = read_table(source, PCN_WORKFORCE, PCN_WORKFORCE_REQUIRED)
    frame, label = table.frame, table.file
    date, date_source = _date(frame, label, ())
    if _has(frame, "CENSUS_YEAR") and _has(frame, "CENSUS_MONTH"):
        census = sorted(
            {
                (int(y), int(m))
                for y, m in zip(_col(frame, "CENSUS_YEAR"), _col(frame, "CENSUS_MONTH"), strict=True)
                if y.isdigit() and m.isdigit() and 1 <= int(m) <= 12
            }
        )
        if census:
            periods = [month_period(y, m) for y, m in census[:3]]
            date, date_source = ", ".join(periods), "CENSUS_YEAR and CENSUS_MONTH columns"
    publication = Publication(PCN_WORKFORCE, label, date, date_source, rows_read=len(frame), headers=table.headers)
    records = pd.DataFrame(
        {
            "pcn_id": _col(frame, "PCN_CODE").str.upper(),
            "pcn_name": _col(frame, "PCN_NAME") if _has(frame, "PCN_NAME") else "",
            "staff_group": _col(frame, "STAFF_GROUP"),
            "staff_role": _col(frame, "STAFF_ROLE"),
            "detailed_role": _col(frame, "DETAILED_STAFF_ROLE"),
            "fte": numbers(table, frame, "FTE", Figure("FTE", "PCN", "PCN_CODE", MAX_FTE)),
            "row": data_rows(frame),
        }
    )
    in_area = records["pcn_id"].isin(pcn_ids)
    same_area = pd.Series(False, index=frame.index)
    if icb and _has(frame, "ICB_CODE"):
        same_area |= _col(frame, "ICB_CODE").str.upper() == icb.upper()
    if sub_icbs and _has(frame, "SUB_ICB_CODE"):
        same_area |= _col(frame, "SUB_ICB_CODE").str.upper().isin([s.upper() for s in sub_icbs])
    publication.rows_in_area = int(in_area.sum())
    cells = _col(frame, "FTE")
    blank = in_area & cells.str.upper().isin(SUPPRESSED)
    return PcnWorkforce(
        records=records[in_area].reset_index(drop=True),
        outside=records[same_area & ~in_area].reset_index(drop=True),
        publication=publication,
        blanks=[
            (str(r.pcn_id), int(r.row), str(r.detailed_role), str(cell))
            for r, cell in zip(records[blank].itertuples(), cells[blank], strict=True)
        ],
    )


# Payments (weighted lists) -------------------------------------------------------------


@dataclass
class Payments:
    weighted: pd.Series  # practice_id -> weighted patients as read (NaN: blank or suppressed)
    registered: pd.Series  # practice_id -> registered patients in the payments year
    names: pd.Series
    closed: pd.Series  # practice_id -> close date ('' if open)
    rows: pd.DataFrame  # every row of the file whose practice is in `candidates`
    file_rows: pd.Series  # practice_id -> its data row in the file
    publication: Publication

    def published(self) -> pd.Series:
        """The weighted lists the importer uses: those above 0."""
        return self.weighted[self.weighted > 0]


PAYMENTS_REQUIRED = ("Practice Code", WEIGHTED)


def read_payments(source: Source, practice_ids: set[str], area_codes: set[str]) -> Payments:
    """Weighted lists; rows of other practices whose sub-ICB or PCN is the area's are kept for the report."""
    table = read_table(source, PAYMENTS, PAYMENTS_REQUIRED)
    frame = table.frame
    publication = _publication(PAYMENTS, table, ("Year", "Financial Year"))
    code = _col(frame, "Practice Code").str.upper()
    area_like = pd.Series(False, index=frame.index)
    for column in [c for c in frame.columns if _is_area_code_column(c)]:
        area_like |= frame[column].str.upper().isin(area_codes)
    rows = frame[code.isin(practice_ids) | area_like].copy()
    refuse_repeated_rows(table, _codes(rows, "Practice Code"), "practice", "practice")
    weighted = numbers(
        table,
        rows,
        WEIGHTED,
        Figure("weighted patients", "practice", "Practice Code", MAX_WEIGHTED),
        blank_as_zero=False,
    )
    registered = (
        numbers(
            table, rows, REGISTERED, Figure("patients", "practice", "Practice Code", MAX_PATIENTS), blank_as_zero=False
        )
        if _has(rows, REGISTERED)
        else pd.Series(float("nan"), index=rows.index)
    )
    file_rows = data_rows(rows)
    practice = _col(rows, "Practice Code").str.upper().to_numpy()
    for series in (rows, weighted, registered, file_rows):
        series.index = practice
    publication.rows_in_area = int(rows.index.isin(practice_ids).sum())
    return Payments(
        weighted=weighted,
        registered=registered,
        names=_col(rows, "Practice Name") if _has(rows, "Practice Name") else pd.Series("", index=rows.index),
        closed=_col(rows, "Practice Close Date")
        if _has(rows, "Practice Close Date")
        else pd.Series("", index=rows.index),
        rows=rows,
        file_rows=file_rows,
        publication=publication,
    )


def _is_area_code_column(name: str) -> bool:
    """A sub-ICB (or CCG) or PCN code column, whatever a year's file calls it."""
    words = name.replace("_", " ")
    return "code" in words and any(area in words for area in ("sub icb", "ccg", "pcn"))


# Practice deprivation ------------------------------------------------------------------------


@dataclass
class Deprivation:
    scores: pd.Series  # practice_id -> IMD score
    file_rows: pd.Series  # practice_id -> its data row in the file
    publication: Publication
    notes: list[str] = field(default_factory=list)


IMD_REQUIRED = ("PRACTICE_CODE", "IMD_SCORE")


def read_imd(source: Source, practice_ids: set[str]) -> Deprivation:
    table = read_table(source, IMD, IMD_REQUIRED)
    frame = table.frame
    publication = _publication(IMD, table, ("IMD_YEAR",))
    rows = frame[_col(frame, "PRACTICE_CODE").str.upper().isin(practice_ids)]
    publication.rows_in_area = len(rows)
    refuse_repeated_rows(table, _codes(rows, "PRACTICE_CODE"), "practice", "practice")
    # IMD scores run from 0 up; the scenario column has no upper bound.
    scores = numbers(table, rows, "IMD_SCORE", Figure("IMD score", "practice", "PRACTICE_CODE"), blank_as_zero=False)
    file_rows = data_rows(rows)
    scores.index = file_rows.index = _col(rows, "PRACTICE_CODE").str.upper().to_numpy()
    return Deprivation(scores=scores.dropna(), file_rows=file_rows, publication=publication)
