"""The import report as Markdown and as short console lines; written beside the scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.schema import MAX_NOTE_LENGTH
from optimiser.deliverability.wording import percent, plural

REPORT_STEM = "import_report"
# A registered list that changed by more than this share since the payments year has a weighted
# list to check: the rule optimiser.nhs.build applies and the sentences here state (kept here, not
# in build, which imports this module).
STALE_CHANGE = 0.2
# The file label build.py gives the unmatched rows of the PCN workforce file: they name PCNs.
PCN_FILE = "PCN workforce"


def workforce_not_given(practice_file: bool, pcn_file: bool) -> list[str]:
    """What an import without a workforce file holds: no existing staff, so every clinician is a new hire."""
    if not practice_file and not pcn_file:
        return [
            "No workforce file was given: practices and PCNs have no existing staff, so every clinician is a new hire"
        ]
    sentences = []
    if not practice_file:
        sentences.append(
            "No practice workforce file was given: practices have no existing GPs, nurses or direct patient care "
            "staff, so every practice clinician is a new hire"
        )
    if not pcn_file:
        sentences.append(
            "No PCN workforce file was given: PCNs have no existing staff, so every PCN-employed clinician "
            "(the ARRS roles included) is a new hire"
        )
    return sentences


# How many blank cells, implausible figures or GP mismatches the console names before "and N more".
SHOWN = 5


def _some(items: list[str]) -> str:
    more = len(items) - SHOWN
    return "; ".join(items[:SHOWN]) + (f"; and {more} more" if more > 0 else "")


def _by_practice(figures: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for figure in figures:
        grouped.setdefault(figure["practice_id"], []).append(figure)
    return list(grouped.values())


def _implausible_at(figures: list[dict[str, Any]]) -> str:
    """One practice's implausible figures: "L85026 (1 registered patient, row 23): TOTAL_NURSES_FTE 2.67 FTE ..."."""
    first = figures[0]
    return (
        f"{first['practice_id']} ({plural(first['registered_patients'], 'registered patient')}, row {first['row']}): "
        + ", ".join(
            f"{f['column']} {_fte(f['fte'])} FTE ({f['fte_per_1000_patients']:,.2f} per 1,000)" for f in figures
        )
    )


def workforce_lines(report: dict[str, Any]) -> list[str]:
    """The console's lines on the workforce read: files not given, blank cells read as 0,
    implausible FTE and GP columns that do not add up to the published TOTAL_GP_FTE."""
    lines = list(report["workforce_not_given"])
    blanks = report["blank_workforce_cells"]
    if blanks:
        lines.append(
            f"{plural(len(blanks), 'blank workforce cell')} read as 0 FTE (see the report): "
            + _some([f"{b['practice_id']} {b['column']} (row {b['row']})" for b in blanks])
        )
    pcn_blanks = report["blank_pcn_workforce_cells"]
    if pcn_blanks:
        lines.append(
            f"{plural(len(pcn_blanks), 'blank PCN workforce cell')} read as 0 FTE (see the report): "
            + _some([f"{b['pcn_id']} {b['detailed_staff_role']} (row {b['row']})" for b in pcn_blanks])
        )
    implausible = report["implausible_fte"]
    if implausible and implausible["figures"]:
        figures = implausible["figures"]
        lines.append(
            f"Check {plural(len(figures), 'workforce figure')} of "
            f"{plural(len(_by_practice(figures)), 'practice')} above "
            f"{implausible['limit_fte_per_1000_patients']:g} FTE per 1,000 registered patients, imported as "
            "published (see the report): " + _some([_implausible_at(practice) for practice in _by_practice(figures)])
        )
    check = report["gp_total_check"]
    if check and check["mismatches"]:
        lines.append(
            f"{plural(len(check['mismatches']), 'practice')} whose GP columns in the role map do not add up to "
            f"the published {check['published_column']} (see the report): "
            + _some(
                [
                    f"{m['practice_id']} {check['published_column']} {_fte(m['published'])}, "
                    f"columns {_fte(m['summed'])} (row {m['row']})"
                    for m in check["mismatches"]
                ]
            )
        )
    return lines


# What the import report says of one practice, as that practice's data_note: one line of
# warnings, each with its figure, cut to the column's length if a practice has very many.
NOTE_SEPARATOR = "; "


def practice_notes(
    stale: list[dict[str, Any]],
    payments_year: str | None,
    workforce_checks: dict[str, Any],
    unmatched: list[dict[str, Any]],
    unallocated: list[str],
) -> dict[str, str]:
    """practice id -> its import warnings in one line (the ``practices.data_note`` column): a stale
    weighted list, an estimated one, implausible or blank workforce figures, GP columns that do not
    add up, no workforce row, no PCN. Practices without a warning are left out."""
    warnings: dict[str, list[str]] = {}

    def add(practice: str, text: str) -> None:
        warnings.setdefault(practice, []).append(text)

    for s in stale:
        add(
            s["practice_id"],
            f"registered list {s['change']:+.1%} since {payments_year or 'the payments year'}; "
            "the published weighted list may be stale",
        )
    for u in unmatched:
        if u["file"] == "payments" and u["action"].startswith("weighted list estimated"):
            add(u["code"], f"weighted list estimated from age and sex: {u['issue']}")
        elif u["file"] == "practice workforce":
            add(u["code"], f"{u['issue']}: {u['action']}")
    implausible = workforce_checks["implausible_fte"]
    if implausible and implausible["figures"]:
        for figures in _by_practice(implausible["figures"]):
            first = figures[0]
            add(
                first["practice_id"],
                f"more than {implausible['limit_fte_per_1000_patients']:g} FTE per 1,000 registered patients "
                f"({plural(first['registered_patients'], 'registered patient')}): "
                + ", ".join(f"{f['column']} {_fte(f['fte'])} FTE" for f in figures)
                + ", imported as published",
            )
    for blanks in _by_practice(workforce_checks["blank_cells"]):
        add(
            blanks[0]["practice_id"],
            f"{plural(len(blanks), 'blank workforce cell')} read as 0 FTE ("
            + ", ".join(b["column"] for b in blanks)
            + ")",
        )
    check = workforce_checks["gp_total_check"]
    for m in check["mismatches"] if check else []:
        add(
            m["practice_id"],
            f"GP columns add up to {_fte(m['summed'])} FTE against the published "
            f"{check['published_column']} of {_fte(m['published'])}",
        )
    for practice in unallocated:
        add(practice, "no PCN (unallocated): given a PCN of its own with no ARRS entitlement")
    return {practice: _cut(NOTE_SEPARATOR.join(texts)) for practice, texts in warnings.items()}


def _cut(text: str) -> str:
    return text if len(text) <= MAX_NOTE_LENGTH else text[: MAX_NOTE_LENGTH - 1] + "…"


def report_paths(out: Path) -> tuple[Path, Path]:
    """Where the JSON and Markdown reports go: inside a CSV folder, or beside a workbook."""
    if out.suffix.lower() == ".xlsx":
        base = out.with_name(f"{out.stem}_{REPORT_STEM}")
        return base.with_suffix(".json"), base.with_suffix(".md")
    return out / f"{REPORT_STEM}.json", out / f"{REPORT_STEM}.md"


def write_report(report: dict[str, Any], out: Path) -> tuple[Path, Path]:
    json_path, md_path = report_paths(out)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown(report), encoding="utf-8")
    return json_path, md_path


def _stale_change() -> str:
    """``STALE_CHANGE`` as the report states it ("20%")."""
    return percent(STALE_CHANGE)


def _fte(value: float) -> str:
    return f"{value:,.2f}"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """What the console shows: the area, counts, totals and what needs a look."""
    totals, counts = report["totals"], report["counts"]
    lines = [
        f"Imported {report['area']['filter']}"
        + (f" ({report['area']['icb_name']})" if report["area"].get("icb_name") else "")
        + f": {plural(counts['practices'], 'practice')}, {plural(counts['pcns'], 'PCN')}"
        + (
            f" + {plural(counts['unallocated_practices'], 'unallocated practice')} given a PCN of "
            f"{'its' if counts['unallocated_practices'] == 1 else 'their'} own"
            if counts["unallocated_practices"]
            else ""
        ),
    ]
    for publication in report["publications"]:
        lines.append(
            f"  {publication['publication']}: {publication['file']}, {_dated(publication)}; "
            f"{publication['rows_in_area']:,} of {publication['rows_read']:,} rows in the area"
        )
    lines.append(
        f"Registered patients {totals['registered_patients']:,}; weighted {totals['weighted_patients']:,.2f} "
        f"({totals['weighted_patients_from_payments']:,.2f} from payments, "
        f"{totals['weighted_patients_estimated']:,.2f} estimated for "
        f"{plural(totals['practices_with_estimated_weighted_list'], 'practice')})"
    )
    lines.append(
        f"Practice staff FTE: GP {_fte(totals['gp_fte'])}, nurse {_fte(totals['nurse_fte'])}, "
        f"direct patient care {_fte(totals['dpc_fte'])}"
    )
    arrs = ", ".join(f"{role} {_fte(fte)}" for role, fte in totals["pcn_arrs_fte_by_role"].items())
    lines.append(f"PCN ARRS-role FTE {_fte(totals['pcn_arrs_fte'])}: {arrs or 'none'}")
    lines += workforce_lines(report)
    if report["weighted_lists_to_check"]:
        lines.append(
            f"{plural(len(report['weighted_lists_to_check']), 'practice')} whose list changed by more than "
            f"{_stale_change()} since the payments year: check "
            f"{'its weighted list' if len(report['weighted_lists_to_check']) == 1 else 'their weighted lists'} "
            "(see the report)"
        )
    if report["unmatched"]:
        lines.append(f"{_not_matched(report['unmatched'])} not matched across files (see the report)")
    if report["unmapped_roles"]:
        unmapped = ", ".join(f"{r['role']} ({_fte(r['fte'])} FTE)" for r in report["unmapped_roles"])
        lines.append(f"Unmapped staff roles, not imported: {unmapped}")
    left = sum(r["fte"] for r in report["left_out_roles"])
    lines.append(f"Left out on purpose by the role map: {_fte(left)} FTE (trainees, admin, leadership; see the report)")
    lines.append(f"Budget: {report['budget']}")
    if report["imd"]["given"]:
        lines.append(f"IMD: {report['imd'].get('note', '')}")
    return lines


def markdown(report: dict[str, Any]) -> str:
    totals, counts, area = report["totals"], report["counts"], report["area"]
    estimated_count = totals["practices_with_estimated_weighted_list"]
    out: list[str] = [
        f"# Import report: {area['filter']}" + (f" ({area['icb_name']})" if area.get("icb_name") else ""),
        "",
        "Built by `commission import nhs` from NHS England publications. "
        f"Spec: {report['spec']}. Role map: {report['role_map']}.",
        "",
        "## Publications",
        "",
        "| publication | file | date | date from | rows read | rows in area |",
        "|---|---|---|---|---:|---:|",
    ]
    for p in report["publications"]:
        out.append(
            f"| {p['publication']} | `{p['file']}` | {p['date'] or 'unknown'} | {p['date_source']} | "
            f"{p['rows_read']:,} | {p['rows_in_area']:,} |"
        )
    out += [
        "",
        "## Counts and totals",
        "",
        f"Rounding: {report['rounding']}.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| practices imported (of {counts['practices_in_mapping']} in the mapping) | {counts['practices']} |",
        f"| PCNs | {counts['pcns']} |",
        f"| unallocated practices (own PCN, flagged) | {counts['unallocated_practices']} |",
        f"| registered patients | {totals['registered_patients']:,} |",
        f"| weighted patients | {totals['weighted_patients']:,.2f} |",
        f"| of which from the payments file | {totals['weighted_patients_from_payments']:,.2f} |",
        f"| of which estimated from age and sex ({plural(estimated_count, 'practice')}) | "
        f"{totals['weighted_patients_estimated']:,.2f} |",
        f"| GP FTE (practice-employed, as mapped) | {totals['gp_fte']:,.4f} |",
        f"| nurse FTE (practice-employed) | {totals['nurse_fte']:,.4f} |",
        f"| direct patient care FTE (practice-employed) | {totals['dpc_fte']:,.4f} |",
        f"| PCN ARRS-role FTE | {totals['pcn_arrs_fte']:,.4f} |",
    ]
    for role, fte in totals["pcn_arrs_fte_by_role"].items():
        out.append(f"| &nbsp;&nbsp;{role} | {fte:,.4f} |")
    for role, fte in totals["pcn_other_fte_by_role"].items():
        out.append(f"| PCN-employed, not ARRS: {role} | {fte:,.4f} |")
    if report["published_totals_for_the_area"]:
        out += ["", "Published headline columns for the same practices (for comparison):", ""]
        out += [f"- `{k}`: {v:,.4f}" for k, v in report["published_totals_for_the_area"].items()]
    out += ["", f"Budget: {report['budget']}."]
    out += _workforce_markdown(report)
    weighting = report["weighting"]
    out += ["", "## Weighted lists", "", f"{weighting['method']}."]
    if "estimate_basis" in weighting:
        out.append(f"Age-sex estimate {weighting['estimate_basis']} (scale factor {weighting['estimate_scale']}).")
    estimated = [p for p in report["practices"] if p["weighted_source"] == "age-sex estimate"]
    out.append(
        f"{plural(len(estimated), 'practice')} {'has' if len(estimated) == 1 else 'have'} an estimated weighted list"
        + (": " + ", ".join(f"{p['practice_id']} {p['name']}" for p in estimated) if estimated else "")
        + "."
    )
    if report["weighted_lists_to_check"]:
        out += [
            "",
            f"Registered list changed by more than {_stale_change()} since the payments year (published weighted "
            "list used as it is; check it):",
            "",
            "| practice | name | registered now | registered in payments year | change |",
            "|---|---|---:|---:|---:|",
        ]
        out += [
            f"| {s['practice_id']} | {s['name']} | {s['registered_now']:,} | {s['registered_in_payments_year']:,.2f} "
            f"| {s['change']:+.1%} |"
            for s in report["weighted_lists_to_check"]
        ]
    out += ["", "## Not matched across files", ""]
    if report["unmatched"]:
        out += ["| code | name | file | issue | what was done |", "|---|---|---|---|---|"]
        out += [
            f"| {u['code']} | {u['name']} | {u['file']} | {u['issue']} | {u['action']} |" for u in report["unmatched"]
        ]
    else:
        out.append("Every practice matched in every file given.")
    out += ["", "## Unallocated practices (no PCN)", ""]
    if report["unallocated_practices"]:
        out += [
            f"- {u['practice_id']} {u['name']}: {u['action']} (PCN id `{u['pcn_id']}`)"
            for u in report["unallocated_practices"]
        ]
    else:
        out.append("None.")
    out += ["", "## Staff roles not imported", "", "Unmapped (no row of the role map matches them):", ""]
    out += [
        f"- {r['publication']}: {r['role']}: {r['fte']:,.4f} FTE ({r['reason']})" for r in report["unmapped_roles"]
    ] or ["- none"]
    out += ["", "Left out on purpose by the role map:", ""]
    out += [
        f"- {r['publication']}: {r['role']}: {r['fte']:,.4f} FTE. {r['reason']}" for r in report["left_out_roles"]
    ] or ["- none"]
    if report["ignored_columns"]:
        out += ["", "Practice workforce columns not in the role map (breakdowns of the mapped totals, ignored):", ""]
        out.append(", ".join(f"`{c['column']}` ({c['fte']:,.2f})" for c in report["ignored_columns"]))
    out += ["", "## Deprivation (IMD)", "", report["imd"].get("note", "no IMD file given") + "."]
    out += [
        "",
        "## Practices",
        "",
        "| practice | name | PCN | registered | weighted | weighted from |",
        "|---|---|---|---:|---:|---|",
    ]
    out += [
        f"| {p['practice_id']} | {p['name']} | {p['pcn_id']}{' (unallocated)' if p['unallocated'] else ''} | "
        f"{p['list_size']:,} | {p['weighted_list_size']:,.2f} | {p['weighted_source']} |"
        for p in report["practices"]
    ]
    out += [
        "",
        "## Licence",
        "",
        report["licence"]
        + " Publications: "
        + "; ".join(sorted({p["publication"] for p in report["publications"]}))
        + ".",
        "",
    ]
    return "\n".join(out)


def _not_matched(unmatched: list[dict[str, Any]]) -> str:
    """How many practices and PCNs the unmatched rows name (a code in two files counted once).

    The PCN workforce file's rows name PCNs; every other file's rows name practices.
    """
    pcns = {u["code"] for u in unmatched if u["file"] == PCN_FILE}
    practices = {u["code"] for u in unmatched if u["file"] != PCN_FILE}
    return " and ".join(plural(n, word) for n, word in ((len(practices), "practice"), (len(pcns), "PCN")) if n)


def _dated(publication: dict[str, Any]) -> str:
    if publication["date"]:
        return f"dated {publication['date']} (from the {publication['date_source']})"
    return f"date unknown ({publication['date_source']})"


def _pcn_blanks_markdown(report: dict[str, Any]) -> list[str]:
    """The PCN workforce file's blank or suppressed FTE cells, read as 0 (nothing if no PCN file was given)."""
    blanks = report["blank_pcn_workforce_cells"]
    if blanks is None:
        return []
    if not blanks:
        return ["No blank or suppressed FTE cell in the PCN workforce file's rows of the area's PCNs.", ""]
    return [
        f"{plural(len(blanks), 'blank or suppressed FTE cell')} of the PCN workforce file, read as 0 FTE:",
        "",
        "| PCN | name | row | detailed staff role | cell |",
        "|---|---|---:|---|---|",
        *(
            f"| {b['pcn_id']} | {b['name']} | {b['row']} | {b['detailed_staff_role']} | {b['cell'] or '(blank)'} |"
            for b in blanks
        ),
        "",
    ]


def _workforce_markdown(report: dict[str, Any]) -> list[str]:
    """The report's section on the workforce read: what is missing, blank, implausible or does not add up."""
    out = ["", "## Workforce checks", ""]
    out += [f"- **{sentence}.**" for sentence in report["workforce_not_given"]]
    pcn_blanks = _pcn_blanks_markdown(report)
    if pcn_blanks and out[-1]:  # a paragraph after a list item needs a blank line, or it joins the item
        out.append("")
    out += pcn_blanks
    blanks = report["blank_workforce_cells"]
    implausible = report["implausible_fte"]
    check = report["gp_total_check"]
    if implausible is None and check is None:
        return out
    if blanks:
        out += [
            f"{plural(len(blanks), 'blank or suppressed cell')} of the practice workforce file, read as 0 FTE:",
            "",
            "| practice | name | row | column | cell |",
            "|---|---|---:|---|---|",
        ]
        out += [
            f"| {b['practice_id']} | {b['name']} | {b['row']} | `{b['column']}` | {b['cell'] or '(blank)'} |"
            for b in blanks
        ]
    else:
        out.append("No blank or suppressed cell in the practice workforce columns the role map names.")
    limit = implausible["limit_fte_per_1000_patients"] if implausible else None
    if implausible and implausible["figures"]:
        out += [
            "",
            f"Imported as published, but more than {limit:g} FTE in one column per 1,000 registered patients "
            "(check the figure, or the practice's list):",
            "",
            "| practice | name | row | column | role | FTE | registered patients | FTE per 1,000 |",
            "|---|---|---:|---|---|---:|---:|---:|",
        ]
        out += [
            f"| {f['practice_id']} | {f['name']} | {f['row']} | `{f['column']}` | {f['role_id']} | {f['fte']:,.4f} | "
            f"{f['registered_patients']:,} | {f['fte_per_1000_patients']:,.2f} |"
            for f in implausible["figures"]
        ]
    elif implausible:
        out += ["", f"No practice has more than {limit:g} FTE in one column per 1,000 registered patients."]
    if check:
        columns = ", ".join(f"`{c}`" for c in check["columns"])
        if check["mismatches"]:
            out += [
                "",
                f"GP columns the role map names ({columns}) that do not add up to the published "
                f"`{check['published_column']}` (by more than {check['tolerance_per_practice']} FTE):",
                "",
                f"| practice | name | row | {check['published_column']} | columns summed | difference |",
                "|---|---|---:|---:|---:|---:|",
            ]
            out += [
                f"| {m['practice_id']} | {m['name']} | {m['row']} | {m['published']:,.4f} | {m['summed']:,.4f} | "
                f"{m['difference']:+,.4f} |"
                for m in check["mismatches"]
            ]
        else:
            out += [
                "",
                f"The GP columns the role map names ({columns}) add up to the published "
                f"`{check['published_column']}` for every practice ({check['summed']:,.4f} FTE in all).",
            ]
        if check["absent_columns"]:
            absent = ", ".join(f"`{c}`" for c in check["absent_columns"])
            out.append("")
            out.append(
                f"Not in the file: {absent}. The GP columns present add up to `{check['published_column']}`, "
                "so no GP FTE is lost."
                if not check["mismatches"]
                else f"Not in the file: {absent}."
            )
    return out
