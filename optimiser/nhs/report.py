"""The import report as Markdown and as short console lines; written beside the scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from optimiser.deliverability.wording import plural

REPORT_STEM = "import_report"
# The file label build.py gives the unmatched rows of the PCN workforce file: they name PCNs.
PCN_FILE = "PCN workforce"


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
    if report["weighted_lists_to_check"]:
        lines.append(
            f"{plural(len(report['weighted_lists_to_check']), 'practice')} whose list changed by more than 20% "
            "since the payments year: check "
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
            "Registered list changed by more than 20% since the payments year (published weighted list used "
            "as it is; check it):",
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
