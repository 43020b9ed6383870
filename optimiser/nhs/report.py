"""The import report as Markdown and as short console lines; written beside the scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.schema import MAX_NOTE_LENGTH
from optimiser.deliverability import wording
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
        return [wording.IMPORT_NO_WORKFORCE["any"]]
    sentences = []
    if not practice_file:
        sentences.append(wording.IMPORT_NO_WORKFORCE["practice"])
    if not pcn_file:
        sentences.append(wording.IMPORT_NO_WORKFORCE["pcn"])
    return sentences


# How many blank cells, implausible figures or GP mismatches the console names before "and N more".
SHOWN = 5


def _some(items: list[str]) -> str:
    return wording.import_some(items, SHOWN)


def _by_practice(figures: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for figure in figures:
        grouped.setdefault(figure["practice_id"], []).append(figure)
    return list(grouped.values())


def workforce_lines(report: dict[str, Any]) -> list[str]:
    """The console's lines on the workforce read: files not given, blank cells read as 0,
    implausible FTE and GP columns that do not add up to the published TOTAL_GP_FTE."""
    lines = list(report["workforce_not_given"])
    blanks = report["blank_workforce_cells"]
    if blanks:
        named = _some([wording.import_blank_cell(b["practice_id"], b["column"], b["row"]) for b in blanks])
        lines.append(wording.import_blank_cells_line(len(blanks), False, named))
    pcn_blanks = report["blank_pcn_workforce_cells"]
    if pcn_blanks:
        named = _some([wording.import_blank_cell(b["pcn_id"], b["detailed_staff_role"], b["row"]) for b in pcn_blanks])
        lines.append(wording.import_blank_cells_line(len(pcn_blanks), True, named))
    implausible = report["implausible_fte"]
    if implausible and implausible["figures"]:
        practices = _by_practice(implausible["figures"])
        named = _some([wording.import_implausible_at(figures[0], figures) for figures in practices])
        limit = implausible["limit_fte_per_1000_patients"]
        lines.append(wording.import_implausible_line(len(implausible["figures"]), len(practices), limit, named))
    check = report["gp_total_check"]
    if check and check["mismatches"]:
        column = check["published_column"]
        named = _some(
            [
                wording.import_gp_mismatch(m["practice_id"], column, m["published"], m["summed"], m["row"])
                for m in check["mismatches"]
            ]
        )
        lines.append(wording.import_gp_mismatch_line(len(check["mismatches"]), column, named))
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
        add(s["practice_id"], wording.import_note_stale(s["change"], payments_year))
    for u in unmatched:
        if u["file"] == "payments" and u["action"].startswith("weighted list estimated"):
            add(u["code"], wording.import_note_estimated(u["issue"]))
        elif u["file"] == "practice workforce":
            add(u["code"], wording.import_note_issue(u["issue"], u["action"]))
    implausible = workforce_checks["implausible_fte"]
    if implausible and implausible["figures"]:
        limit = implausible["limit_fte_per_1000_patients"]
        for figures in _by_practice(implausible["figures"]):
            first = figures[0]
            add(first["practice_id"], wording.import_note_implausible(limit, first["registered_patients"], figures))
    for blanks in _by_practice(workforce_checks["blank_cells"]):
        add(blanks[0]["practice_id"], wording.import_note_blanks([b["column"] for b in blanks]))
    check = workforce_checks["gp_total_check"]
    for m in check["mismatches"] if check else []:
        add(m["practice_id"], wording.import_note_gp_mismatch(m["summed"], check["published_column"], m["published"]))
    for practice in unallocated:
        add(practice, wording.IMPORT_NOTE_UNALLOCATED)
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


def summary_lines(report: dict[str, Any]) -> list[str]:
    """What the console shows: the area, counts, totals and what needs a look."""
    totals = report["totals"]
    lines = [wording.import_area_line(report["area"], report["counts"])]
    for publication in report["publications"]:
        dated = wording.import_dated(publication["date"], publication["date_source"])
        lines.append(wording.import_publication_line(publication, dated))
    lines.append(wording.import_patients_line(totals))
    lines.append(wording.import_practice_staff_line(totals["gp_fte"], totals["nurse_fte"], totals["dpc_fte"]))
    lines.append(wording.import_arrs_line(totals["pcn_arrs_fte"], totals["pcn_arrs_fte_by_role"]))
    lines += workforce_lines(report)
    if report["weighted_lists_to_check"]:
        lines.append(wording.import_stale_line(len(report["weighted_lists_to_check"]), _stale_change()))
    if report["unmatched"]:
        lines.append(wording.import_not_matched_line(_not_matched(report["unmatched"])))
    if report["unmapped_roles"]:
        lines.append(wording.import_unmapped_line(report["unmapped_roles"]))
    lines.append(wording.import_left_out_line(sum(r["fte"] for r in report["left_out_roles"])))
    lines.append(wording.import_budget_line(report["budget"]))
    if report["imd"]["given"]:
        lines.append(wording.import_imd_line(report["imd"].get("note", "")))
    return lines


def _row(*cells: object) -> str:
    """One row of a Markdown table."""
    return "| " + " | ".join(str(cell) for cell in cells) + " |"


def _head(columns: tuple[str, ...], figures: str) -> list[str]:
    """A Markdown table's heading and rule; ``figures``: "l" or "r" per column (right-aligned figures)."""
    return [_row(*columns), "|" + "|".join("---:" if side == "r" else "---" for side in figures) + "|"]


def markdown(report: dict[str, Any]) -> str:
    totals, counts, area = report["totals"], report["counts"], report["area"]
    headings, columns = wording.IMPORT_HEADINGS, wording.IMPORT_COLUMNS
    out: list[str] = [
        wording.import_title(area),
        "",
        wording.import_built_by(report["spec"], report["role_map"]),
        "",
        headings["publications"],
        "",
        *_head(columns["publications"], "llllrr"),
    ]
    for p in report["publications"]:
        out.append(
            _row(
                p["publication"],
                f"`{p['file']}`",
                p["date"] or wording.IMPORT_UNKNOWN,
                p["date_source"],
                f"{p['rows_read']:,}",
                f"{p['rows_in_area']:,}",
            )
        )
    out += [
        "",
        headings["counts"],
        "",
        wording.import_rounding(report["rounding"]),
        "",
        *_head(columns["counts"], "lr"),
    ]
    out += [_row(figure, value) for figure, value in wording.import_count_rows(counts, totals)]
    for role, fte in totals["pcn_arrs_fte_by_role"].items():
        out.append(_row(wording.import_arrs_role_row(role), f"{fte:,.4f}"))
    for role, fte in totals["pcn_other_fte_by_role"].items():
        out.append(_row(wording.import_other_pcn_role_row(role), f"{fte:,.4f}"))
    if report["published_totals_for_the_area"]:
        out += ["", wording.IMPORT_PUBLISHED_TOTALS, ""]
        out += [f"- `{k}`: {v:,.4f}" for k, v in report["published_totals_for_the_area"].items()]
    out += ["", wording.import_budget(report["budget"])]
    out += _workforce_markdown(report)
    weighting = report["weighting"]
    out += ["", headings["weighted"], "", f"{weighting['method']}."]
    if "estimate_basis" in weighting:
        out.append(wording.import_estimate_basis(weighting["estimate_basis"], weighting["estimate_scale"]))
    estimated = [p for p in report["practices"] if p["weighted_source"] == "age-sex estimate"]
    out.append(wording.import_estimated_lists(estimated))
    if report["weighted_lists_to_check"]:
        out += ["", wording.import_stale_intro(_stale_change()), "", *_head(columns["stale"], "llrrr")]
        out += [
            _row(
                s["practice_id"],
                s["name"],
                f"{s['registered_now']:,}",
                f"{s['registered_in_payments_year']:,.2f}",
                f"{s['change']:+.1%}",
            )
            for s in report["weighted_lists_to_check"]
        ]
    out += ["", headings["unmatched"], ""]
    if report["unmatched"]:
        out += _head(columns["unmatched"], "lllll")
        out += [_row(u["code"], u["name"], u["file"], u["issue"], u["action"]) for u in report["unmatched"]]
    else:
        out.append(wording.IMPORT_EVERY_PRACTICE_MATCHED)
    out += ["", headings["unallocated"], ""]
    if report["unallocated_practices"]:
        out += [wording.import_unallocated_item(u) for u in report["unallocated_practices"]]
    else:
        out.append(wording.IMPORT_NO_UNALLOCATED)
    out += ["", headings["roles"], "", wording.IMPORT_UNMAPPED_INTRO, ""]
    out += [wording.import_unmapped_item(r) for r in report["unmapped_roles"]] or [wording.IMPORT_NO_ROLES]
    out += ["", wording.IMPORT_LEFT_OUT_INTRO, ""]
    out += [wording.import_left_out_item(r) for r in report["left_out_roles"]] or [wording.IMPORT_NO_ROLES]
    if report["ignored_columns"]:
        out += ["", wording.IMPORT_IGNORED_COLUMNS, ""]
        out.append(", ".join(f"`{c['column']}` ({c['fte']:,.2f})" for c in report["ignored_columns"]))
    out += ["", headings["imd"], "", report["imd"].get("note", wording.IMPORT_NO_IMD) + "."]
    out += ["", headings["practices"], "", *_head(columns["practices"], "lllrrl")]
    out += [
        _row(
            p["practice_id"],
            p["name"],
            p["pcn_id"] + (wording.IMPORT_UNALLOCATED if p["unallocated"] else ""),
            f"{p['list_size']:,}",
            f"{p['weighted_list_size']:,.2f}",
            p["weighted_source"],
        )
        for p in report["practices"]
    ]
    publications = sorted({p["publication"] for p in report["publications"]})
    out += ["", headings["licence"], "", wording.import_licence(report["licence"], publications), ""]
    return "\n".join(out)


def _not_matched(unmatched: list[dict[str, Any]]) -> str:
    """How many practices and PCNs the unmatched rows name (a code in two files counted once).

    The PCN workforce file's rows name PCNs; every other file's rows name practices.
    """
    pcns = {u["code"] for u in unmatched if u["file"] == PCN_FILE}
    practices = {u["code"] for u in unmatched if u["file"] != PCN_FILE}
    return " and ".join(plural(n, word) for n, word in ((len(practices), "practice"), (len(pcns), "PCN")) if n)


def _pcn_blanks_markdown(report: dict[str, Any]) -> list[str]:
    """The PCN workforce file's blank or suppressed FTE cells, read as 0 (nothing if no PCN file was given)."""
    blanks = report["blank_pcn_workforce_cells"]
    if blanks is None:
        return []
    if not blanks:
        return [wording.IMPORT_NO_PCN_BLANKS, ""]
    return [
        wording.import_pcn_blanks_intro(len(blanks)),
        "",
        *_head(wording.IMPORT_COLUMNS["pcn_blanks"], "llrll"),
        *(
            _row(b["pcn_id"], b["name"], b["row"], b["detailed_staff_role"], b["cell"] or wording.IMPORT_BLANK)
            for b in blanks
        ),
        "",
    ]


def _workforce_markdown(report: dict[str, Any]) -> list[str]:
    """The report's section on the workforce read: what is missing, blank, implausible or does not add up."""
    out = ["", wording.IMPORT_HEADINGS["workforce"], ""]
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
        out += [wording.import_blanks_intro(len(blanks)), "", *_head(wording.IMPORT_COLUMNS["blanks"], "llrll")]
        out += [
            _row(b["practice_id"], b["name"], b["row"], f"`{b['column']}`", b["cell"] or wording.IMPORT_BLANK)
            for b in blanks
        ]
    else:
        out.append(wording.IMPORT_NO_PRACTICE_BLANKS)
    limit: float = implausible["limit_fte_per_1000_patients"] if implausible else 0.0
    if implausible and implausible["figures"]:
        out += [
            "",
            wording.import_implausible_intro(limit),
            "",
            *_head(wording.IMPORT_COLUMNS["implausible"], "llrllrrr"),
        ]
        out += [
            _row(
                f["practice_id"],
                f["name"],
                f["row"],
                f"`{f['column']}`",
                f["role_id"],
                f"{f['fte']:,.4f}",
                f"{f['registered_patients']:,}",
                f"{f['fte_per_1000_patients']:,.2f}",
            )
            for f in implausible["figures"]
        ]
    elif implausible:
        out += ["", wording.import_none_implausible(limit)]
    if check:
        columns = ", ".join(f"`{c}`" for c in check["columns"])
        published = check["published_column"]
        if check["mismatches"]:
            out += [
                "",
                wording.import_gp_mismatch_intro(columns, published, check["tolerance_per_practice"]),
                "",
                *_head(wording.import_gp_mismatch_columns(published), "llrrrr"),
            ]
            out += [
                _row(
                    m["practice_id"],
                    m["name"],
                    m["row"],
                    f"{m['published']:,.4f}",
                    f"{m['summed']:,.4f}",
                    f"{m['difference']:+,.4f}",
                )
                for m in check["mismatches"]
            ]
        else:
            out += ["", wording.import_gp_columns_add_up(columns, published, check["summed"])]
        if check["absent_columns"]:
            absent = ", ".join(f"`{c}`" for c in check["absent_columns"])
            out.append("")
            out.append(wording.import_absent_columns(absent, published, bool(check["mismatches"])))
    return out
