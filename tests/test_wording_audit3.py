"""What the product prints is what a negotiator can quote (audit3): an amount that suffices, fed
back as printed, suffices; a page without a verdict says nothing about who can deliver; the PDF
sends a CLI user to no desk page and labels the hash it shows truthfully. Run as a user runs it:
the installed console script."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from optimiser.deliverability import wording
from optimiser.report.render import report_html
from optimiser.report.view import check_view
from tests.console import REPO, run, shared_run, strict_json
from tests.require import require_or_skip

UNDELIVERABLE = str(REPO / "data" / "undeliverable_offer")
SOMERSET = str(REPO / "data" / "somerset")


def verdict(*args: str) -> tuple[str, int]:
    done = run("check", *args)
    return done.stdout.splitlines()[0], done.returncode


def pdf_words(path: Path) -> str:
    require_or_skip(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils) is not installed")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_the_least_budget_and_the_standards_printed_make_the_offer_deliverable() -> None:
    """£11,560,203.29 and 0.892809 were printed as £11.56m and 89.3%: neither suffices."""
    done = shared_run("check", UNDELIVERABLE)
    assert done.returncode == 1, done.stderr
    least = re.search(r"its least cost is (£[\d,.]+m?) a year against", done.stdout)
    cut = re.search(r"every minimum standard cut to ([\d.]+)% of its level", done.stdout)
    assert least is not None and cut is not None, done.stdout
    assert verdict(UNDELIVERABLE, "--budget", least.group(1).replace(",", "")) == ("Verdict: DELIVERABLE", 0)
    fraction = f"{float(cut.group(1)) / 100:.4f}"
    checked_at = f"Verdict: DELIVERABLE, with every minimum standard checked at {cut.group(1)}% of its level"
    assert verdict(UNDELIVERABLE, "--standards-fraction", fraction) == (checked_at, 0)


def test_the_least_budget_and_rate_printed_for_somerset_suffice() -> None:
    """Somerset's least cost £1,283,773.58 was printed £1.28m, its least rate £48.7537 as £48.75."""
    done = shared_run("check", SOMERSET)
    least = re.search(r"Its least cost is (£[\d,.]+m?) a year", done.stdout)
    assert least is not None, done.stdout
    assert verdict(SOMERSET, "--budget", least.group(1).replace(",", "")) == ("Verdict: DELIVERABLE", 0)
    short = shared_run("check", SOMERSET, "--offer-rate", "1.5")
    assert short.returncode == 1, short.stderr
    rate = re.search(r"from £1\.50 to £([\d.]+)", short.stdout)
    assert rate is not None, short.stdout
    assert verdict(SOMERSET, "--offer-rate", rate.group(1)) == ("Verdict: DELIVERABLE", 0)
    # One solve, in the singular; the text check's plural helper also groups thousands.
    count = re.search(r", (\d+) (solves?) in [\d.]+s\)", done.stdout)
    assert count is not None and (count.group(1) == "1") == (count.group(2) == "solve"), done.stdout
    assert wording.plural(1, "solve") == "1 solve" and wording.plural(2, "solve") == "2 solves"


def test_amounts_that_suffice_round_towards_sufficiency() -> None:
    """Every place that shows a least amount uses the one helper: sweeps, chart labels, lever cards."""
    assert wording.least_money(11_560_203.29) == "£11.57m"
    assert wording.least_money(37_000.00000000001) == "£37,000"  # solver noise is not a step
    assert wording.least_money(48.7537) == "£48.76"
    assert wording.highest_percent(0.892809) == "89.2%"
    assert wording.highest_percent(0.8999) == "89.9%"
    assert "£11.57m" in wording.budget_sweep_summary(True, 4_700_000, 11_560_203.29)
    assert wording.deliverable_from(11_560_203.29, True) == "deliverable from £11.57m"
    assert wording.report_chart_amount(48.7537, False, least=True) == "£48.76/wp"
    assert wording.lever_amount("budget", 6_860_203.29) == "£6.87m more a year"
    assert wording.lever_amount("standards", 0.892809) == "89.2% of every minimum standard"


def test_a_page_without_a_verdict_says_neither_who_can_deliver_nor_the_raw_status() -> None:
    """HiGHS' "Unknown" near the least cost is not a time limit: no "(Unknown)", no "longer time limit"."""
    result = {
        "deliverable": None,
        "status": "error",
        "message": "Unknown",
        "budget_mode": "pooled",
        "summary": wording.no_answer_summary("Unknown"),
    }
    view = check_view(result, overrides={"budget_gbp": 11_560_000.0})
    page = report_html(view, None)
    assert view.verdict_label == "NO ANSWER"
    assert "could not decide" in view.verdict and "numerical difficulty" in view.verdict
    for wrong in ("Every practice can deliver", "(Unknown)", "Try a longer time limit", "IN TIME"):
        assert wrong not in page, wrong


def test_the_cli_pdf_lists_every_conflict_and_labels_the_hash_it_shows(tmp_path: Path) -> None:
    pdf = tmp_path / "r.pdf"
    done = run("report", UNDELIVERABLE, "--budget", "4.7m", "--frontier-points", "0", "--out", str(pdf))
    assert done.returncode == 0, done.stderr
    words = pdf_words(pdf)
    assert "desk's result page" not in words
    check = strict_json(shared_run("check", UNDELIVERABLE, "--budget", "4.7m", "--format", "json").stdout)
    listed = [s for s in check["conflict"]["sentences"][1:] if "cannot be negative" not in s]
    assert len(listed) > 8
    for sentence in listed:
        assert " ".join(sentence.split()) in words, sentence
    # Nested brackets gone, thousands grouped.
    assert re.search(r"\d+ rule groups of [\d,]+ rules, each needed", check["conflict"]["sentences"][0])
    # The what-if changed the scenario the check hashed: the label says so.
    assert "Scenario hash as checked" in words  # audit 8, A8: kept to one line of the PDF
    assert check["scenario_hash"] in words.replace(" ", "")


def test_the_deliverable_pdf_lists_only_practices_short_and_says_one_count(tmp_path: Path) -> None:
    pdf = tmp_path / "s.pdf"
    done = run("report", SOMERSET, "--frontier-points", "0", "--out", str(pdf))
    assert done.returncode == 0, done.stderr
    words = pdf_words(pdf)
    section = words.split("Practices most short", 1)[1].split("Fair shares", 1)[0]
    assert "£0.00" not in section and "ten largest" not in section and "are listed" not in section
    assert "Short by" in section
    # No what-if: the hash is the scenario's own, labelled plainly.
    assert "Scenario hash" in words and "as checked" not in words


def test_a_share_of_the_offer_in_pounds_is_rounded_as_money() -> None:
    """least_cost_practices' offer_share_gbp was written to 4 places, as though a share of 1."""
    from optimiser.io import result_precision

    assert result_precision("offer_share_gbp") == result_precision("need_less_share_gbp") == 2
    assert result_precision("headroom_share") == 4 and result_precision("new_fte") == 3


def test_a_deliverable_least_cost_is_never_shown_above_its_budget_nor_with_more_than_it_spare() -> None:
    """Verify3 N1: rounding the least cost up showed £11.57m against a budget of £11.56m it fits."""
    assert wording.gap_figures(11_560_203.29, 11_560_204) == ("£11,560,204", "£11,560,204", "£0")
    # The least cost rounded up and the spare down subtract in £m (audit 9, A2): £11.57m + £7.43m
    assert wording.gap_figures(11_560_203.29, 19e6) == ("£11.57m", "£19.00m", "£7.43m")
    assert wording.spare_money(19e6 - 11_560_203.29) == "£7.43m"

    def amount(text: str) -> float:
        millions = text.endswith("m")
        return float(text.strip("£m").replace(",", "")) * (1e6 if millions else 1)

    for budget in ("11,560,204", "19m"):
        done = run("check", str(REPO / "data" / "undeliverable_offer"), "--budget", budget)
        assert done.returncode == 0, done.stderr
        found = re.search(
            r"least cost is (£[\d,.]+m?) a year against a budget of (£[\d,.]+m?), leaving (£[\d,.]+m?)", done.stdout
        )
        assert found is not None, done.stdout
        least, offered, spare = (amount(found.group(k)) for k in (1, 2, 3))
        assert least <= offered and least + spare == offered, done.stdout  # the three figures add up
