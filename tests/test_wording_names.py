"""Names in the sentences a reader sees (wording.Names), and the audit's small wording defects.

A negotiator takes the check's sentences into a meeting: practices and PCNs read "NAME (id)", roles
and services their name, from the scenario's optional ``name`` columns; without a name, the id, as
before. Machine-readable fields (ids in the JSON) never change. N2: a rise is never shown as +0%;
N3: a level rounded down and its cut rounded up add up to 100%; plurals are grammatical.
"""

from __future__ import annotations

import copy
import json
import math
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from optimiser.deliverability.conflict import find_conflict
from optimiser.io import read_document
from optimiser.programme import Programme
from optimiser.report.view import check_view
from optimiser.runs import load_scenario, run_job
from tests.console import REPO, TINY, run, strict_json

SOMERSET = REPO / "data" / "somerset"
UNDELIVERABLE = REPO / "data" / "undeliverable_offer"
# Somerset's least cost is about £1.28m: at £1m it is not deliverable.
SHORT_BUDGET = {"budget_gbp": 1_000_000}


@cache
def document(path: Path) -> dict[str, Any]:
    return read_document(path)


def without_names(doc: dict[str, Any]) -> dict[str, Any]:
    """The same scenario with every ``name`` left blank (and, for practices, the column dropped)."""
    bare = copy.deepcopy(doc)
    for table in ("pcns", "roles", "services"):
        for record in bare[table]:
            record["name"] = None
    for record in bare["practices"]:
        record.pop("name", None)
    return bare


@cache
def somerset_checks() -> tuple[dict[str, Any], dict[str, Any]]:
    """A check of Somerset at £1m with its names, and without them."""
    named = run_job("check", document(SOMERSET), SHORT_BUDGET).result
    bare = run_job("check", without_names(document(SOMERSET)), SHORT_BUDGET).result
    return named, bare


def lever(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(item for item in result["levers"] if item["lever"] == name)


# --- Names ---------------------------------------------------------------------------------------


def test_names_read_the_scenario_tables_and_fall_back_to_the_id() -> None:
    names = wording.Names.of(load_scenario(document(SOMERSET)))
    assert names.practice("L85001") == "FRENCH WEIR HEALTH CENTRE (L85001)"
    assert names.pcn("U28174") == "TAUNTON CENTRAL PCN (U28174)"
    assert names.holder("U28174") == "TAUNTON CENTRAL PCN (U28174)"
    assert names.role("gp") == "GP (partner, salaried, retainer or vacancy locum)"
    assert names.service("hypertension_review") == "Hypertension review"
    assert (
        names.entity(("L85001", "gp"))
        == "FRENCH WEIR HEALTH CENTRE (L85001) / GP (partner, salaried, retainer or vacancy locum)"
    )
    assert names.practice("NOT-THERE") == "NOT-THERE"
    bare = wording.Names.of(load_scenario(without_names(document(SOMERSET))))
    # Without names only the practices' data notes are left (Somerset's import flagged some practices).
    assert bare == wording.Names(notes=names.notes) and names.notes
    assert bare.practice("L85001") == "L85001" and bare.role("gp") == "gp"


def test_names_from_the_submitted_document_match_the_validated_scenario() -> None:
    doc = document(UNDELIVERABLE)
    assert wording.Names.of_document(doc) == wording.Names.of(load_scenario(doc))
    blank = copy.deepcopy(doc)
    blank["practices"][0]["name"] = "   "
    assert wording.Names.of_document(blank).practice(blank["practices"][0]["practice_id"]) == "P0001"
    assert wording.Names.of(load_scenario(blank)).practice("P0001") == "P0001"


def test_check_sentences_name_roles_and_services_and_keep_ids_in_the_json() -> None:
    named, bare = somerset_checks()
    gp = "GP (partner, salaried, retainer or vacancy locum)"
    caps = lever(named, "safe_working")["sentence"]
    assert f"{gp} from 25 to" in caps and "gp from 25 to" not in caps
    standards = lever(named, "standards")["sentence"]
    assert "Diabetes annual review (two contacts) from 80.0% to" in standards and "diabetes_review" not in standards
    assert f"The safe-working cap for {gp} (25 contacts per FTE-day) at 58 practices." in named["conflict"]["sentences"]
    # The same check without names reads ids, exactly where the names were.
    assert "gp from 25 to" in lever(bare, "safe_working")["sentence"]
    assert "diabetes_review from 80.0% to" in lever(bare, "standards")["sentence"]
    assert "The safe-working cap for gp (25 contacts per FTE-day) at 58 practices." in bare["conflict"]["sentences"]
    for text in (bare["summary"], *bare["conflict"]["sentences"], *(item["sentence"] for item in bare["levers"])):
        assert gp not in text and "Hypertension review" not in text
    # Machine-readable fields are the same ids with or without names.
    assert named["conflict"]["rules"] == bare["conflict"]["rules"]
    assert [v["entity"] for v in named["relaxation"]["violations"]] == [
        v["entity"] for v in bare["relaxation"]["violations"]
    ]
    assert lever(named, "safe_working")["details"] == lever(bare, "safe_working")["details"]
    assert lever(named, "standards")["details"] == lever(bare, "standards")["details"]


def test_conflict_sentences_given_names_name_every_practice_pcn_role_and_service() -> None:
    """The conflict of Somerset at £1m, worded with ``Names.of(scenario)`` (what conflict.py passes
    once it hands the names on) and, as today, with the roles table alone."""
    scenario = load_scenario({**document(SOMERSET), "settings": {**document(SOMERSET)["settings"], **SHORT_BUDGET}})
    programme = Programme(scenario)
    conflict = find_conflict(programme, verify=False)
    assert conflict is not None
    instances = conflict.instances(programme)
    args = (instances, programme.data, scenario.settings, scenario.roles)
    named = " ".join(wording.conflict_sentences(*args, wording.Names.of(scenario)))
    roles_only = " ".join(wording.conflict_sentences(*args))
    assert "The minimum standard for Routine (pre-bookable) appointments (85% coverage) at 58 practices." in named
    assert "The minimum standard for routine_appointments (85% coverage) at 58 practices." in roles_only
    assert "TAUNTON CENTRAL PCN (U28174)" in named and "U28174" in roles_only and "TAUNTON" not in roles_only
    gp = "The safe-working cap for GP (partner, salaried, retainer or vacancy locum) (25 contacts per FTE-day)"
    assert gp in named and gp in roles_only


def per_practice(doc: dict[str, Any], rate: float) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed["settings"] = {**changed["settings"], "budget_mode": "per_practice"}
    changed["settings"]["offer_rate_gbp_per_weighted_patient"] = rate
    return changed


def test_an_offer_rate_names_the_practices_short_and_the_view_lists_them_by_name() -> None:
    """Somerset at £40 per weighted patient: one practice is short (a real solve)."""
    doc = per_practice(document(SOMERSET), 40.0)
    result = run_job("check", doc).result
    money = lever(result, "budget")
    short = money["details"]["practices_short"]
    assert [row["practice_id"] for row in short] == ["L85004"]  # the JSON keeps the id
    sentence = money["sentence"]
    # money the practice needs, so rounded up: one figure with the combined change's top-up (verify 5, N4 b)
    shortfall = wording.least_money(short[0]["shortfall_gbp"])
    assert (
        f"1 of 58 practices is short by {shortfall} in total: SYMPHONY SOUTH HEALTHCARE (L85004) {shortfall}."
        in sentence
    )
    assert result["relaxation"]["package"]["money_gbp"] == pytest.approx(short[0]["shortfall_gbp"], abs=1e-6)
    assert f"+{shortfall} a year in practice top-ups" in result["relaxation"]["sentences"][0]

    view = check_view(result, names=wording.Names.of_document(doc))
    assert view.practices[0][0] == "SYMPHONY SOUTH HEALTHCARE (L85004)"
    assert check_view(result).practices[0][0] == "L85004"
    assert getattr(view.practices[0][2], "text", None) == shortfall  # the sentence and the table: one figure


# --- N2: a rise never reads +0% -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("share", "text"),
    [
        (0.0, "+0%"),
        (0.0002, "under +0.1%"),
        (0.00049, "under +0.1%"),
        (0.002, "+0.2%"),
        (0.0123, "+1.2%"),
        (1 / 3, "+33.3%"),
        (1.4596, "+146.0%"),
    ],
)
def test_a_rise_is_never_shown_as_zero(share: float, text: str) -> None:
    assert wording.rise_percent(share) == text


def test_a_small_shortfall_from_a_real_solve_reads_under_a_tenth_of_a_percent() -> None:
    """Somerset £600 short of its least cost: the budget lever and the summary say "under +0.1%"."""
    named, _bare = somerset_checks()
    least = lever(named, "budget")["details"]["least_spend_gbp"]
    result = run_job("check", document(SOMERSET), {"budget_gbp": least - 600}).result
    money = lever(result, "budget")
    assert money["amount"] == pytest.approx(600, abs=0.01)
    # The offer has pence (least cost less £600): the gap is to the penny beside the least cost
    # rounded up, one figure in the lever and the summary (audit 9, A2).
    needed = wording.gap_figures(least, least - 600)[2]
    assert needed.startswith("£600.") and f"{needed} more a year (under +0.1%)" in money["sentence"]
    assert f"{needed} more a year (under +0.1%)" in result["summary"]
    for text in (
        result["summary"],
        *(item["sentence"] for item in result["levers"]),
        *result["relaxation"]["sentences"],
    ):
        assert "+0%" not in text and "(0%)" not in text


# --- N3: complementary figures add up ----------------------------------------------------------


def test_a_level_rounded_down_and_its_cut_rounded_up_add_up() -> None:
    for k in range(1, 2000):
        cut = k / 2000 + 1e-7 * (k % 7)
        level, largest = wording.highest_percent(1 - cut), wording.largest_percent(cut)
        assert float(level[:-1]) + float(largest[:-1]) == pytest.approx(100), (cut, level, largest)
    assert (wording.highest_percent(1 - 0.4545), wording.largest_percent(0.4545)) == ("54.5%", "45.5%")


def percents(pattern: str, text: str) -> list[float]:
    return [float(value) for value in re.findall(pattern, text)]


def test_the_package_level_and_the_largest_cut_add_up_in_a_real_solve() -> None:
    """undeliverable_offer: "no practice below X% of any standard" and the largest "by up to Y%"."""
    result = run_job("check", document(UNDELIVERABLE)).result
    package, *where = result["relaxation"]["sentences"]
    (floor,) = percents(r"no practice below ([\d.]+)% of any standard", package)
    cuts = percents(r"by up to ([\d.]+)%", " ".join(where))
    assert cuts and floor + max(cuts) == pytest.approx(100)
    # The services are named in the package and in where the change falls.
    assert "lowest: Routine (pre-bookable) appointments at" in package
    assert "Routine (pre-bookable) appointments at" in " ".join(where)
    standards = lever(result, "standards")["sentence"]
    (level,) = percents(r"would have to fall to ([\d.]+)% of its level", standards)
    (cut,) = percents(r"\(a ([\d.]+)% cut", standards)
    assert level + cut == pytest.approx(100)


# --- plurals ------------------------------------------------------------------------------------


def test_one_invalid_value_is_one_problem(tmp_path: Path) -> None:
    doc = copy.deepcopy(document(SOMERSET))
    doc["practices"][0]["list_size"] = -1
    path = tmp_path / "one_problem.json"
    path.write_text(json.dumps(doc))
    done = run("validate", str(path))
    assert done.returncode == 2
    assert "Invalid scenario: 1 problem\n" in done.stderr


def test_the_money_lever_and_the_combined_change_state_a_shortfall_as_one_figure() -> None:
    """Verify 5, N4 (b): one shortfall (£117,332.45) read "£117,332" in the money lever and
    "£117,333" in the combined change. Money a practice needs is rounded up (wording's rule), so
    both state it so. data/tiny at £6.2999 per weighted patient: P2 is short by 4,000 × £0.7001
    = £2,800.40; the weights make money the combined change's cheapest lever."""
    options = ("--offer-rate", "6.2999", "--weights", "safe_working=100,standards=100,workforce_supply=100")
    result = strict_json(run("check", str(TINY), *options, "--format", "json").stdout)
    [short] = lever(result, "budget")["details"]["practices_short"]
    assert short["shortfall_gbp"] == pytest.approx(2_800.40, abs=1e-6)
    assert result["relaxation"]["package"]["money_gbp"] == pytest.approx(short["shortfall_gbp"], abs=1e-6)
    figure = f"£{math.ceil(short['shortfall_gbp']):,}"  # £2,801: enough, not the nearest £2,800
    text = run("check", str(TINY), *options).stdout
    assert f"short by {figure} in total: Synthetic Practice 2 (P2) {figure}." in text
    assert f"Smallest combined change: +{figure} a year in practice top-ups" in text
    assert f"{figure} a year more money (Synthetic Practice 2 (P2) {figure})." in text
