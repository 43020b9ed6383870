"""Build a scenario's area tables from NHS publications and merge them with a spec."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.scenario import Problem, Scenario, ScenarioInvalid
from models.schema import TABLES
from models.validate import validate_document
from optimiser.nhs import readers
from optimiser.nhs.report import PCN_FILE, STALE_CHANGE, practice_notes, workforce_not_given
from optimiser.nhs.rolemap import RoleMap, load_role_map
from optimiser.nhs.sources import NhsInputError, Origin, Source, normalise_header
from optimiser.nhs.spec import clean_spec
from optimiser.nhs.weights import estimate

UNALLOCATED = "U"
LICENCE = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/)."
)
FTE_DP = 4
# Headline columns of the practice workforce file, reported for comparison with what is imported.
PUBLISHED_TOTALS = ("TOTAL_GP_FTE", "TOTAL_GP_EXTGL_FTE", "TOTAL_NURSES_FTE", "TOTAL_DPC_FTE", "TOTAL_ADMIN_FTE")


@dataclass
class Inputs:
    """The publication files; the mapping and list sizes are required."""

    mapping: Source
    list_sizes: Source
    practice_workforce: Source | None = None
    pcn_workforce: Source | None = None
    payments: Source | None = None
    imd: Source | None = None


@dataclass
class ImportResult:
    document: dict[str, Any]
    scenario: Scenario
    report: dict[str, Any] = field(default_factory=dict)


def unallocated_pcn_id(practice_id: str) -> str:
    return f"{practice_id}-NOPCN"


def import_nhs(
    inputs: Inputs,
    *,
    icb: str | None,
    sub_icb: str | None,
    spec: dict[str, Any],
    spec_label: str,
    role_map: Source | None = None,
) -> ImportResult:
    """Read the publications for one ICB or sub-ICB, build practices, PCNs and staff, merge, validate."""
    spec = clean_spec(spec, spec_label)
    rules = load_role_map(role_map)
    roles = {str(r.get("role_id", "")).strip(): r for r in spec.get("roles", []) if isinstance(r, dict)}
    categories = {rid: str(r.get("category", "")).strip() for rid, r in roles.items()}

    area = readers.read_mapping(inputs.mapping, icb, sub_icb)
    mapped = area.practices
    ids = set(mapped["practice_id"])
    lists = readers.read_list_sizes(inputs.list_sizes, ids)
    publications = [area.publication, lists.publication]
    unmatched: list[dict[str, Any]] = []

    # Practices: every mapped practice with a registered list.
    practices = mapped.copy()
    practices["list_size"] = practices["practice_id"].map(lists.totals)
    no_list = practices["list_size"].isna() | (practices["list_size"] <= 0)
    for row in practices[no_list].itertuples():
        unmatched.append(
            _unmatched(
                row.practice_id,
                row.name,
                "list sizes",
                "no registered patients in the list-size file",
                "left out of the scenario (a practice needs a list size > 0)",
            )
        )
    practices = practices[~no_list].reset_index(drop=True)
    if practices.empty:
        raise NhsInputError(
            lists.publication.file,
            f"none of the {len(mapped)} practices of {area.description} has a registered list in this file",
            "ORG_CODE",
        )
    practices["list_size"] = practices["list_size"].round().astype(int)
    kept = list(practices["practice_id"])

    # Weighted lists.
    payments = None
    published = pd.Series(dtype=float)
    if inputs.payments is not None:
        area_codes = set(area.sub_icb_codes) | set(practices["pcn_id"]) - {UNALLOCATED}
        payments = readers.read_payments(inputs.payments, ids, area_codes)
        publications.append(payments.publication)
        published = payments.published()
        published = published[published.index.isin(kept)]
        for code in sorted(set(payments.rows.index) - ids):
            closed = str(payments.closed.get(code, "") or "")
            figure = float(payments.weighted[code])
            unmatched.append(
                _unmatched(
                    code,
                    str(payments.names.get(code, "")),
                    "payments",
                    f"in the payments file ({'closed ' + closed if closed else 'not closed there'}) but not in "
                    "the registrations mapping (closed or merged since)",
                    "not imported (it has no weighted list there)"
                    if pd.isna(figure)
                    else f"not imported (its weighted list of {figure:,.2f} is not used)",
                )
            )
    need_estimate = [p for p in kept if p not in published.index]
    estimated = (
        estimate(
            lists.age_sex,
            lists.totals[lists.totals.index.isin(kept)],
            published if len(published) else None,
            need_estimate,
        )
        if need_estimate
        else None
    )
    weighted_source: dict[str, str] = {}
    weighted: dict[str, float] = {}
    payments_label = f"payments ({payments.publication.date})" if payments is not None else ""
    for practice in kept:
        if practice in published.index:
            weighted[practice] = float(published[practice])
            weighted_source[practice] = payments_label
        else:
            assert estimated is not None
            weighted[practice] = round(float(estimated.weighted[practice]), 2)
            weighted_source[practice] = "age-sex estimate"
            if payments is not None:
                unmatched.append(
                    _unmatched(
                        practice,
                        _name(practices, practice),
                        "payments",
                        _no_weighted_list(payments, practice),
                        "weighted list estimated from its age-sex list",
                    )
                )
    practices["weighted_list_size"] = practices["practice_id"].map(weighted)
    stale = _stale_weighted(practices, payments, weighted_source)

    # PCNs: the mapping's PCNs; an unallocated practice gets one of its own, with no ARRS entitlement.
    unallocated = practices["pcn_id"].isin([UNALLOCATED, ""])
    practices.loc[unallocated, "pcn_id"] = practices.loc[unallocated, "practice_id"].map(unallocated_pcn_id)
    practices.loc[unallocated, "pcn_name"] = "No PCN (unallocated): " + practices.loc[unallocated, "name"]
    pcns = practices.drop_duplicates("pcn_id")[["pcn_id", "pcn_name", "row"]].reset_index(drop=True)
    own_pcns = set(practices.loc[unallocated, "pcn_id"])

    # IMD, only where the contract has a column for it.
    imd_note: dict[str, Any] = {"given": inputs.imd is not None, "applied": False}
    imd_scores: pd.Series | None = None
    deprivation: readers.Deprivation | None = None
    if inputs.imd is not None:
        deprivation = readers.read_imd(inputs.imd, ids)
        publications.append(deprivation.publication)
        imd_note["practices_with_score"] = int(deprivation.scores.index.isin(kept).sum())
        if "imd_score" in TABLES["practices"].column_names:
            imd_scores = deprivation.scores
            imd_note["applied"] = True
            imd_note["note"] = "imd_score filled for practices the file lists"
        else:
            imd_note["note"] = (
                "The data contract has no practices.imd_score column yet, so the scores are reported, not imported"
            )

    # Staff.
    staff: list[dict[str, Any]] = []
    staff_origins: dict[tuple[str, str], list[Origin]] = {}
    left_out: list[dict[str, Any]] = []
    unmapped: list[dict[str, Any]] = []
    ignored_columns: list[dict[str, Any]] = []
    published_totals: dict[str, float] = {}
    workforce_checks: dict[str, Any] = {"blank_cells": [], "implausible_fte": None, "gp_total_check": None}
    if inputs.practice_workforce is not None:
        workforce = readers.read_practice_workforce(
            inputs.practice_workforce, set(kept), tuple(rule.value for rule in rules.practice_columns.values())
        )
        workforce_checks = _check_practice_workforce(workforce, rules, roles, categories, practices)
        _refuse_missing_columns(workforce, rules, workforce_checks["gp_total_check"])
        publications.append(workforce.publication)
        for practice in kept:
            if practice not in workforce.fte.index:
                unmatched.append(
                    _unmatched(
                        practice,
                        _name(practices, practice),
                        "practice workforce",
                        "no row in the practice workforce file",
                        "imported with no practice-employed staff",
                    )
                )
        _practice_staff(
            workforce, rules, roles, staff, staff_origins, left_out, unmapped, ignored_columns, published_totals
        )
    pcn_outside: list[dict[str, Any]] = []
    pcn_blanks: list[dict[str, Any]] | None = None  # None: no PCN workforce file was given
    if inputs.pcn_workforce is not None:
        pcn_ids = set(pcns["pcn_id"]) - own_pcns
        pcn_workforce = readers.read_pcn_workforce(
            inputs.pcn_workforce, pcn_ids, area.icb_code if icb else None, area.sub_icb_codes
        )
        publications.append(pcn_workforce.publication)
        _pcn_staff(pcn_workforce, rules, roles, staff, staff_origins, left_out, unmapped)
        pcn_names = pcns.set_index("pcn_id")["pcn_name"]
        pcn_blanks = [
            {
                "pcn_id": pcn,
                "name": str(pcn_names.get(pcn, "")),
                "row": row,
                "column": pcn_workforce.publication.spelt("FTE"),
                "detailed_staff_role": role,
                "cell": cell,
                "read_as": 0.0,
            }
            for pcn, row, role, cell in pcn_workforce.blanks
        ]
        for pcn in sorted(pcn_ids - set(pcn_workforce.records["pcn_id"])):
            unmatched.append(
                _unmatched(
                    pcn,
                    str(pcns.set_index("pcn_id")["pcn_name"].get(pcn, "")),
                    PCN_FILE,
                    "PCN has no staff records in the PCN workforce file",
                    "imported with no PCN-employed staff",
                )
            )
        for (pcn, name), group in pcn_workforce.outside.groupby(["pcn_id", "pcn_name"]):
            pcn_outside.append({"pcn_id": pcn, "name": name, "fte": round(float(group["fte"].sum()), FTE_DP)})
            unmatched.append(
                _unmatched(
                    pcn,
                    name,
                    PCN_FILE,
                    "PCN of the area's ICB/sub-ICB in the workforce file but not in the mapping",
                    f"its {group['fte'].sum():,.2f} FTE are not imported",
                )
            )

    staff_frame = pd.DataFrame(staff, columns=["holder_id", "role_id", "fte", "source"])
    staff_table = (
        staff_frame.groupby(["holder_id", "role_id"], sort=False, as_index=False)["fte"].sum()
        if not staff_frame.empty
        else staff_frame[["holder_id", "role_id", "fte"]]
    )
    staff_table = staff_table[staff_table["fte"] > 0]

    settings = dict(spec.get("settings") or {}) if isinstance(spec.get("settings", {}), dict) else spec["settings"]
    budget_note = _pooled_budget(settings, float(practices["weighted_list_size"].sum()))
    if isinstance(settings, dict):
        _record_sources(settings, publications, _workforce_not_given(inputs))
    notes = practice_notes(
        stale,
        payments.publication.date if payments is not None else None,
        workforce_checks,
        unmatched,
        list(practices.loc[unallocated, "practice_id"]),
    )
    document: dict[str, Any] = {"settings": settings}
    for table in ("roles", "services", "skill_mix", "eligibility"):
        if table in spec:
            document[table] = spec[table]
    document["practices"] = [
        {
            "practice_id": r.practice_id,
            "pcn_id": r.pcn_id,
            "list_size": int(r.list_size),
            "weighted_list_size": float(r.weighted_list_size),
            "name": r.name,
            **(
                {"imd_score": float(imd_scores[r.practice_id])}
                if imd_scores is not None and r.practice_id in imd_scores.index
                else {}
            ),
            **({"data_note": notes[r.practice_id]} if r.practice_id in notes else {}),
        }
        for r in practices.itertuples()
    ]
    document["pcns"] = [
        {"pcn_id": r.pcn_id, "name": r.pcn_name, **({"arrs_entitlement_gbp": 0.0} if r.pcn_id in own_pcns else {})}
        for r in pcns.itertuples()
    ]
    document["staff"] = [
        {"holder_id": r.holder_id, "role_id": r.role_id, "fte": round(float(r.fte), 6)}
        for r in staff_table.itertuples()
    ]
    for table in [t for t in ("roles", "services", "skill_mix") if t not in document]:
        raise NhsInputError(spec_label, f"the spec has no {table} table")
    origins = _origins(
        area, lists, payments, deprivation, practices, pcns, own_pcns, weighted_source, staff_table, staff_origins
    )
    try:
        scenario = validate_document(document)
    except ScenarioInvalid as error:
        # A problem in a table the importer built is reported where its figure or text was read.
        traced = (
            origins[key].problem(p.message) if (key := (p.table, p.row, p.column)) in origins else p
            for p in error.problems
        )
        raise ScenarioInvalid(list(dict.fromkeys(traced))) from None

    # Report.
    practice_staff = staff_frame[staff_frame["source"] == "practice"]
    pcn_staff = staff_frame[staff_frame["source"] == "pcn"]

    def fte_by_category(frame: pd.DataFrame, category: str) -> float:
        return round(float(frame.loc[frame["role_id"].map(categories) == category, "fte"].sum()), FTE_DP)

    def fte_by_role(frame: pd.DataFrame, wanted: set[str] | None) -> dict[str, float]:
        chosen = frame if wanted is None else frame[frame["role_id"].map(categories).isin(wanted)]
        sums = chosen.groupby("role_id")["fte"].sum().sort_index()
        return {k: round(float(v), FTE_DP) for k, v in sums.items()}

    arrs_by_role = fte_by_role(pcn_staff, {"arrs"})
    report: dict[str, Any] = {
        "area": {
            "filter": area.description,
            "icb_code": area.icb_code,
            "icb_name": area.icb_name,
            "sub_icb_codes": area.sub_icb_codes,
        },
        "spec": spec_label,
        "role_map": rules.name,
        "publications": [p.as_dict() for p in publications],
        "counts": {
            "practices_in_mapping": len(mapped),
            "practices": len(practices),
            "pcns": int(len(pcns) - len(own_pcns)),
            "unallocated_practices": int(unallocated.sum()),
            "staff_rows": len(document["staff"]),
        },
        "totals": {
            "registered_patients": int(practices["list_size"].sum()),
            "weighted_patients": round(float(practices["weighted_list_size"].sum()), 2),
            "weighted_patients_from_payments": round(
                float(sum(weighted[p] for p in kept if weighted_source[p] != "age-sex estimate")), 2
            ),
            "weighted_patients_estimated": round(
                float(sum(weighted[p] for p in kept if weighted_source[p] == "age-sex estimate")), 2
            ),
            "practices_with_estimated_weighted_list": sum(1 for p in kept if weighted_source[p] == "age-sex estimate"),
            "gp_fte": fte_by_category(practice_staff, "gp"),
            "nurse_fte": fte_by_category(practice_staff, "nurse"),
            "dpc_fte": fte_by_category(practice_staff, "other"),
            "practice_fte_by_role": fte_by_role(practice_staff, None),
            "pcn_arrs_fte_by_role": arrs_by_role,
            "pcn_arrs_fte": round(sum(arrs_by_role.values()), FTE_DP),
            "pcn_other_fte_by_role": fte_by_role(pcn_staff, {"gp", "nurse", "other"}),
        },
        "rounding": "FTE totals to 4 decimal places, weighted patients to 2; registered patients exact",
        "published_totals_for_the_area": published_totals,
        "weighting": {
            "method": "Published Global Sum weighted list (payments file) where the practice has one; "
            "else age-sex estimate",
            **(
                {"estimate_scale": round(estimated.scale, 6), "estimate_basis": estimated.scale_basis}
                if estimated is not None
                else {}
            ),
        },
        "practices": [
            {
                "practice_id": r.practice_id,
                "name": r.name,
                "pcn_id": r.pcn_id,
                "list_size": int(r.list_size),
                "weighted_list_size": round(float(r.weighted_list_size), 2),
                "weighted_source": weighted_source[r.practice_id],
                "unallocated": bool(r.pcn_id in own_pcns),
            }
            for r in practices.itertuples()
        ],
        "unmatched": unmatched,
        "weighted_lists_to_check": stale,
        "left_out_roles": _merge_fte(left_out),
        "unmapped_roles": _merge_fte(unmapped),
        "ignored_columns": ignored_columns,
        "pcns_not_in_mapping": pcn_outside,
        "unallocated_practices": [
            {
                "practice_id": r.practice_id,
                "name": r.name,
                "pcn_id": r.pcn_id,
                "action": "given a PCN of its own with no ARRS entitlement (arrs_entitlement_gbp = 0)",
            }
            for r in practices[unallocated].itertuples()
        ],
        "workforce_not_given": _workforce_not_given(inputs),
        "blank_workforce_cells": workforce_checks["blank_cells"],
        "blank_pcn_workforce_cells": pcn_blanks,
        "implausible_fte": workforce_checks["implausible_fte"],
        "gp_total_check": workforce_checks["gp_total_check"],
        "imd": imd_note,
        "budget": budget_note,
        "licence": LICENCE,
    }
    return ImportResult(document=document, scenario=scenario, report=report)


def _origins(
    area: readers.Area,
    lists: readers.ListSizes,
    payments: readers.Payments | None,
    deprivation: readers.Deprivation | None,
    practices: pd.DataFrame,
    pcns: pd.DataFrame,
    own_pcns: set[str],
    weighted_source: dict[str, str],
    staff_table: pd.DataFrame,
    staff_origins: dict[tuple[str, str], list[Origin]],
) -> dict[tuple[str, int | None, str | None], Origin]:
    """Where each cell the importer built (practices, pcns, staff) came from: its file, rows and columns."""
    mapping = area.publication

    def from_mapping(row: int, column: str, subject: str) -> Origin:
        return Origin(mapping.file, (int(row),), (mapping.spelt(column),), subject)

    def patients(rows: list[int], subject: str) -> Origin:
        return Origin(
            lists.publication.file,
            tuple(int(r) for r in rows),
            (lists.publication.spelt("NUMBER_OF_PATIENTS"),),
            subject,
        )

    origins: dict[tuple[str, int | None, str | None], Origin] = {}
    holders: dict[str, Origin] = {}
    for n, r in enumerate(practices.itertuples(), 1):
        practice = f"practice {r.practice_id}"
        holders[r.practice_id] = origins[("practices", n, "practice_id")] = from_mapping(
            r.row, "PRACTICE_CODE", practice
        )
        origins[("practices", n, "pcn_id")] = from_mapping(
            r.row, "PRACTICE_CODE" if r.pcn_id in own_pcns else "PCN_CODE", practice
        )
        origins[("practices", n, "name")] = from_mapping(r.row, "PRACTICE_NAME", practice)
        origins[("practices", n, "list_size")] = patients(lists.total_rows[r.practice_id], practice)
        if payments is not None and weighted_source[r.practice_id] != "age-sex estimate":
            rows = payments.file_rows[payments.file_rows.index == r.practice_id]
            origins[("practices", n, "weighted_list_size")] = Origin(
                payments.publication.file,
                tuple(int(row) for row in rows),
                (payments.publication.spelt(readers.WEIGHTED),),
                practice,
            )
        else:  # an estimate weighs all the practice's age-sex rows: no one row to point at
            origins[("practices", n, "weighted_list_size")] = patients(
                [], f"{practice}'s weighted list, estimated from its age-sex rows"
            )
        if deprivation is not None and r.practice_id in deprivation.file_rows.index:
            rows = deprivation.file_rows[deprivation.file_rows.index == r.practice_id]
            origins[("practices", n, "imd_score")] = Origin(
                deprivation.publication.file,
                tuple(int(row) for row in rows),
                (deprivation.publication.spelt("IMD_SCORE"),),
                practice,
            )
    for n, r in enumerate(pcns.itertuples(), 1):
        own = r.pcn_id in own_pcns
        pcn = f"PCN {r.pcn_id}"
        holders[r.pcn_id] = origins[("pcns", n, "pcn_id")] = from_mapping(
            r.row, "PRACTICE_CODE" if own else "PCN_CODE", pcn
        )
        origins[("pcns", n, "name")] = from_mapping(r.row, "PRACTICE_NAME" if own else "PCN_NAME", pcn)
    for n, r in enumerate(staff_table.itertuples(), 1):
        origins[("staff", n, "holder_id")] = holders[r.holder_id]
        parts = staff_origins[(r.holder_id, r.role_id)]
        origins[("staff", n, "fte")] = Origin(
            " and ".join(dict.fromkeys(o.file for o in parts)),
            tuple(sorted({row for o in parts for row in o.rows})),
            tuple(dict.fromkeys(column for o in parts for column in o.columns)),
            f"{parts[0].subject}'s {r.role_id} FTE",
        )
    return origins


def _stale_weighted(
    practices: pd.DataFrame, payments: readers.Payments | None, weighted_source: dict[str, str]
) -> list[dict[str, Any]]:
    """Practices whose list changed by more than STALE_CHANGE since the payments year (a merger, say)."""
    if payments is None:
        return []
    flagged = []
    for row in practices.itertuples():
        if weighted_source[row.practice_id] == "age-sex estimate":
            continue
        then = payments.registered.get(row.practice_id)
        if then is None or pd.isna(then) or then <= 0:
            continue
        change = row.list_size / float(then) - 1
        if abs(change) > STALE_CHANGE:
            flagged.append(
                {
                    "practice_id": row.practice_id,
                    "name": row.name,
                    "registered_now": int(row.list_size),
                    "registered_in_payments_year": round(float(then), 2),
                    "change": round(change, 4),
                    "action": "published weighted list used as it is; check it (a merger or a list change since "
                    "the payments year makes it out of date)",
                }
            )
    return flagged


def _pooled_budget(settings: Any, weighted_total: float) -> str:
    """A pooled spec without budget_gbp but with an offer rate gets rate × the area's weighted population."""
    if not isinstance(settings, dict):
        return "settings as given by the spec"
    mode = str(settings.get("budget_mode") or "pooled").strip()
    rate = settings.get("offer_rate_gbp_per_weighted_patient")
    if mode == "pooled" and settings.get("budget_gbp") in (None, "") and rate not in (None, ""):
        try:
            budget = round(float(rate) * weighted_total, 2)
        except (TypeError, ValueError):
            return "settings as given by the spec"  # the validator names the bad rate
        settings["budget_gbp"] = budget
        return (
            f"pooled budget_gbp set to £{budget:,.2f}: the spec's offer rate £{float(rate):,.2f} per weighted patient "
            f"× the area's {weighted_total:,.2f} weighted patients"
        )
    if mode == "pooled":
        return f"pooled budget_gbp as given by the spec: {settings.get('budget_gbp')}"
    return f"{mode} budget: £{rate} per weighted patient for each practice, as given by the spec"


def _record_sources(settings: dict[str, Any], publications: list[readers.Publication], missing: list[str]) -> None:
    """Name each publication read, its file and date in the data_sources setting (the report's
    assumptions quote it), then what a missing workforce file means, before any sources the
    spec itself names."""
    given = settings.get("data_sources")
    if not (given is None or isinstance(given, str)):
        return  # the validator names the spec's setting
    read = [f"{p.publication}, {p.date or 'date unknown'} ({p.file})" for p in publications]
    settings["data_sources"] = "; ".join([*read, *missing, *([given.strip()] if given and given.strip() else [])])


def _workforce_not_given(inputs: Inputs) -> list[str]:
    """What the scenario lacks when a workforce file was not given: no existing staff to deploy."""
    return workforce_not_given(inputs.practice_workforce is not None, inputs.pcn_workforce is not None)


def _refuse_missing_columns(
    workforce: readers.PracticeWorkforce, rules: RoleMap, gp_check: dict[str, Any] | None
) -> None:
    """Every column the role map names must be in the practice workforce file: a missing one
    (renamed in another edition, say) would drop its staff without a word. A GP column may be
    absent only where the GP columns present add up to the published TOTAL_GP_FTE at every
    practice, or more (an extract that merges it into another column: nothing is lost; a column
    summing to more than the total is reported by the GP check)."""
    file = workforce.publication.file
    short = [m for m in gp_check["mismatches"] if m["difference"] > GP_TOTAL_TOLERANCE] if gp_check else []
    problems = []
    for column, rule in rules.practice_columns.items():
        if column in workforce.fte.columns:
            continue
        gp = gp_check is not None and rule.value in gp_check["absent_columns"]
        if gp and not short:
            continue
        mismatches = short if gp else []
        shortfall = ""
        if mismatches and gp_check is not None:
            first = mismatches[0]
            shortfall = (
                f"; the GP columns present do not add up to {gp_check['published_column']} at {len(mismatches)} "
                f"of the area's practices (e.g. {first['practice_id']}: {first['published']:,.4f} published, "
                f"{first['summed']:,.4f} in the columns)"
            )
        problems.append(
            Problem(
                file,
                None,
                rule.value,
                f"the role map ({rules.name}, row {rule.row}) names this column"
                + (f" for role {rule.role_id}" if rule.role_id else ", left out on purpose,")
                + f" but the file has no such column, so its FTE would be lost without a word{shortfall}. If this "
                "edition of the publication has no such column, give a role map without that row (--role-map; "
                "`commission import role-map` prints the default)",
            )
        )
    if problems:
        raise ScenarioInvalid(problems)


# A practice with more FTE in one imported column than this for every 1,000 registered patients
# is flagged (Somerset's medians: 0.51 GP as mapped, 0.36 nurse, 0.38 direct patient care; no
# column above 1.2 but at its practice of one registered patient). docs/nhs-import.md explains.
PLAUSIBLE_FTE_PER_1000 = 5.0
# A practice's GP columns may differ from its published TOTAL_GP_FTE by rounding only.
GP_TOTAL_TOLERANCE = 0.01
GP_TOTAL = "TOTAL_GP_FTE"


def _check_practice_workforce(
    workforce: readers.PracticeWorkforce,
    rules: RoleMap,
    roles: dict[str, Any],
    categories: dict[str, str],
    practices: pd.DataFrame,
) -> dict[str, Any]:
    """What the practice workforce file holds that a reader must see: blank cells read as 0,
    implausible FTE for a practice's list, and GP columns that do not add up to TOTAL_GP_FTE."""
    names = practices.set_index("practice_id")["name"]
    lists = practices.set_index("practice_id")["list_size"]
    spelt = workforce.publication.spelt
    blanks = [
        {
            "practice_id": practice,
            "name": str(names.get(practice, "")),
            "row": row,
            "column": spelt(column),
            "cell": cell,
            "read_as": 0.0,
        }
        for practice, row, column, cell in workforce.blanks
        if practice in lists.index
    ]
    implausible = []
    for column, rule in rules.practice_columns.items():
        if rule.role_id is None or rule.role_id not in roles or column not in workforce.fte.columns:
            continue
        for practice, fte in workforce.fte[column].items():
            if practice not in lists.index:
                continue
            per_1000 = float(fte) / float(lists[practice]) * 1000
            if per_1000 > PLAUSIBLE_FTE_PER_1000:
                implausible.append(
                    {
                        "practice_id": practice,
                        "name": str(names.get(practice, "")),
                        "row": workforce.rows[practice][0],
                        "column": spelt(column),
                        "role_id": rule.role_id,
                        "fte": round(float(fte), FTE_DP),
                        "registered_patients": int(lists[practice]),
                        "fte_per_1000_patients": round(per_1000, 2),
                    }
                )
    return {
        "blank_cells": blanks,
        "implausible_fte": {
            "limit_fte_per_1000_patients": PLAUSIBLE_FTE_PER_1000,
            "figures": sorted(implausible, key=lambda i: (i["row"], i["column"])),
        },
        "gp_total_check": _gp_total_check(workforce, rules, categories, names),
    }


def _gp_total_check(
    workforce: readers.PracticeWorkforce, rules: RoleMap, categories: dict[str, str], names: pd.Series
) -> dict[str, Any] | None:
    """Each practice's GP columns named by the role map (imported or left out) against its
    published TOTAL_GP_FTE: a GP column the map does not name would otherwise go unseen."""
    total = normalise_header(GP_TOTAL)
    named = {
        column: rule
        for column, rule in rules.practice_columns.items()
        if column != total
        and column.upper() not in PUBLISHED_TOTALS
        and (categories.get(rule.role_id or "") == "gp" or column.upper().startswith("TOTAL_GP_"))
    }
    columns = [column for column in named if column in workforce.fte.columns]
    if not named or total not in workforce.fte.columns:
        return None
    fte = workforce.fte[workforce.fte.index.isin(names.index)]
    summed = fte[columns].sum(axis=1)
    published = fte[total]
    mismatches = [
        {
            "practice_id": practice,
            "name": str(names.get(practice, "")),
            "row": workforce.rows[practice][0],
            "published": round(float(published[practice]), FTE_DP),
            "summed": round(float(summed[practice]), FTE_DP),
            "difference": round(float(published[practice] - summed[practice]), FTE_DP),
        }
        for practice in fte.index
        if abs(float(published[practice] - summed[practice])) > GP_TOTAL_TOLERANCE
    ]
    return {
        "published_column": workforce.publication.spelt(total),
        "columns": [workforce.publication.spelt(c) for c in columns],
        "absent_columns": [rule.value for column, rule in named.items() if column not in columns],
        "published": round(float(published.sum()), FTE_DP),
        "summed": round(float(summed.sum()), FTE_DP),
        "tolerance_per_practice": GP_TOTAL_TOLERANCE,
        "mismatches": mismatches,
    }


def _no_weighted_list(payments: readers.Payments, practice: str) -> str:
    """Why ``practice`` has no weighted list to use from the payments file."""
    if practice not in payments.weighted.index:
        return "no row in the payments file (opened or merged since)"
    row = int(payments.file_rows[practice])
    if pd.isna(payments.weighted[practice]):
        return f"no weighted list in the payments file (row {row} is blank or suppressed)"
    return f"a weighted list of 0 in the payments file (row {row})"


def _name(practices: pd.DataFrame, practice: str) -> str:
    return str(practices.set_index("practice_id")["name"].get(practice, ""))


def _unmatched(code: str, name: str, file: str, issue: str, action: str) -> dict[str, Any]:
    return {"code": code, "name": name, "file": file, "issue": issue, "action": action}


def _merge_fte(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str, str], float] = {}
    for item in items:
        key = (item["publication"], item["role"], item["reason"])
        merged[key] = merged.get(key, 0.0) + float(item["fte"])
    return [
        {"publication": k[0], "role": k[1], "reason": k[2], "fte": round(v, FTE_DP)} for k, v in sorted(merged.items())
    ]


def _practice_staff(
    workforce: readers.PracticeWorkforce,
    rules: RoleMap,
    roles: dict[str, Any],
    staff: list[dict[str, Any]],
    origins: dict[tuple[str, str], list[Origin]],
    left_out: list[dict[str, Any]],
    unmapped: list[dict[str, Any]],
    ignored: list[dict[str, Any]],
    published_totals: dict[str, float],
) -> None:
    publication = "practice_workforce"
    file = workforce.publication
    for column in workforce.fte.columns:
        total = float(workforce.fte[column].sum())
        name = workforce.columns[column]
        if name in PUBLISHED_TOTALS:
            published_totals[name] = round(total, FTE_DP)
        rule = rules.practice_columns.get(column)
        if rule is None:
            if name in PUBLISHED_TOTALS:
                continue
            ignored.append({"column": name, "fte": round(total, FTE_DP)})
            continue
        if rule.role_id is None:
            left_out.append({"publication": publication, "role": name, "reason": rule.note, "fte": total})
            continue
        if rule.role_id not in roles:
            unmapped.append(_role_not_in_spec(publication, name, total, rule.role_id))
            continue
        for practice, fte in workforce.fte[column].items():
            if fte:
                staff.append({"holder_id": practice, "role_id": rule.role_id, "fte": float(fte), "source": "practice"})
                origins.setdefault((practice, rule.role_id), []).append(
                    Origin(file.file, tuple(workforce.rows[practice]), (file.spelt(column),), f"practice {practice}")
                )


def _role_not_in_spec(publication: str, role: str, fte: float, role_id: str) -> dict[str, Any]:
    """An unmapped-roles row for a published role that the role map sends to a role the spec lacks."""
    return {
        "publication": publication,
        "role": role,
        "fte": fte,
        "reason": f"the role map gives role {role_id!r}, which the spec does not define",
    }


def _pcn_staff(
    workforce: readers.PcnWorkforce,
    rules: RoleMap,
    roles: dict[str, Any],
    staff: list[dict[str, Any]],
    origins: dict[tuple[str, str], list[Origin]],
    left_out: list[dict[str, Any]],
    unmapped: list[dict[str, Any]],
) -> None:
    publication = "pcn_workforce"
    file, records = workforce.publication, workforce.records
    for (group, role, detailed), rows in records.groupby(["staff_group", "staff_role", "detailed_role"], sort=True):
        rule, _matched = rules.for_pcn_record(detailed, role, group)
        label = f"{group} / {role} / {detailed}"
        total = float(rows["fte"].sum())
        if rule is None:
            unmapped.append({"publication": publication, "role": label, "fte": total, "reason": "not in the role map"})
            continue
        if rule.role_id is None:
            left_out.append({"publication": publication, "role": label, "reason": rule.note, "fte": total})
            continue
        if rule.role_id not in roles:
            unmapped.append(_role_not_in_spec(publication, label, total, rule.role_id))
            continue
        for pcn, held in rows.groupby("pcn_id"):
            fte = held["fte"].sum()
            if fte:
                staff.append({"holder_id": pcn, "role_id": rule.role_id, "fte": float(fte), "source": "pcn"})
                origins.setdefault((str(pcn), rule.role_id), []).append(
                    Origin(file.file, tuple(int(row) for row in held["row"]), (file.spelt("FTE"),), f"PCN {pcn}")
                )
