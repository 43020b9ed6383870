"""Figures that are allowed but look like the wrong unit: warnings, never refusals.

``models/schema.py`` refuses what is impossible (a negative list, a day of more than 1,440 minutes).
A figure typed in the wrong unit (a GP's cost as 95 for £95k, a list in thousands) passes those
bounds and gives a nonsense answer with nothing to say so: these rules name it, by table, row and
column like a ``Problem``, quote it and say what it looks like. Nothing here changes a value. The
thresholds and why each was chosen are in docs/formulation-notes.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from models.formats import RATE_STEP, money, number, rate_money
from models.scenario import Problem, Scenario
from models.schema import shown

# A full-time post costs about £30,000-£150,000 a year with on-costs: below £1,000 reads as £k,
# above £500,000 as pence or the cost of several posts.
COST_PER_FTE_BELOW_GBP = 1_000.0
COST_PER_FTE_ABOVE_GBP = 500_000.0
# About 1,000-1,700 patient-facing hours a year: below 100 reads as hours a week, above 2,000
# (40 hours a week for 50 weeks, none of it non-clinical) as hours including other work, or minutes.
CLINICAL_HOURS_BELOW = 100.0
CLINICAL_HOURS_ABOVE = 2_000.0
# A safe day is about 25-40 contacts: above 100 reads as contacts a week or more.
CONTACTS_PER_DAY_ABOVE = 100.0
# About 200-225 working days a year: below 50 reads as days a month or a week.
WORKING_DAYS_BELOW = 50.0
# A contact takes minutes: below 1 reads as hours, above 240 (four hours) as seconds.
MINUTES_PER_CONTACT_BELOW = 1.0
MINUTES_PER_CONTACT_ABOVE = 240.0
# Carr-Hill weighting moves a list by tens of percent: a weighted list is typically 0.7 to 1.6 times
# the registered list. Below half or above twice it is further than weighting moves a list: a stale
# weighted list (a merger, or a list emptied since the payments year), another unit or another
# practice's figure. It is warned even for a practice with a data_note: the weighted list sets the
# practice's share of an offer per weighted patient (Somerset's L85026: 1 registered patient and
# 6,096.13 weighted: £30,480.65 of an offer of £5 per weighted patient).
WEIGHTED_LIST_BELOW_SHARE = 0.5
WEIGHTED_LIST_ABOVE_SHARE = 2.0
WEIGHTED_LIST_TYPICAL = "0.7 to 1.6"
# The smallest practices in England have a few hundred patients: below 100 reads as thousands.
LIST_SIZE_BELOW = 100
# Practices have about 1-2 staff FTE per 1,000 patients: above 5 reads as hours or heads, not FTE.
STAFF_FTE_PER_1K_PATIENTS_ABOVE = 5.0
# Core GP funding is about £100-£200 per weighted patient a year: a pooled budget below £1 each
# reads as a rate typed as a budget or as £k, above £1,000 each as pence or several years.
BUDGET_PER_WEIGHTED_PATIENT_BELOW_GBP = 1.0
BUDGET_PER_WEIGHTED_PATIENT_ABOVE_GBP = 1_000.0
# A budget this small that is below £1 per weighted patient is most likely a rate (£35.50) typed as
# a budget: £500,000 for an ICB is a deep cut, not a rate.
RATE_AS_BUDGET_AT_MOST_GBP = 1_000.0
OFFER_RATE_ABOVE_GBP = 1_000.0

# The sentence for a pooled budget that reads as an offer rate, given the budget and the area's
# weighted patients: the check's own hint (optimiser.deliverability.wording.rate_as_budget_hint),
# passed in because models cannot import the layer above.
RateHint = Callable[[float, float], str]


def budget_looks_like_rate(budget: float, weighted_patients: float) -> bool:
    """A pooled budget of at most £1,000 that is below £1 per weighted patient (£35.50 for 1.2m
    weighted patients): a rate typed as a budget. £0 is no rate."""
    return (
        weighted_patients > 0
        and 0 < budget <= RATE_AS_BUDGET_AT_MOST_GBP
        and budget < BUDGET_PER_WEIGHTED_PATIENT_BELOW_GBP * weighted_patients
    )


def implausible_figures(scenario: Scenario, rate_hint: RateHint) -> list[Problem]:
    """Every figure of ``scenario`` that looks like the wrong unit; rows are the tables' data rows
    (1-based, in the order validated). Never raises and changes nothing."""
    warnings: list[Problem] = []
    warnings += _roles(scenario.roles)
    warnings += _minutes(scenario.skill_mix)
    warnings += _practices(scenario.practices)
    warnings += _staff(scenario.staff, scenario.practices)
    warnings += _offer(scenario, rate_hint)
    return warnings


def _rows(mask: pd.Series | np.ndarray) -> list[int]:
    return [int(row) for row in np.flatnonzero(np.asarray(mask, dtype=bool))]


def _flagged(
    table: str, column: str, values: pd.Series, mask: pd.Series | np.ndarray, message: Callable[[float], str]
) -> list[Problem]:
    """One warning per row where ``mask`` holds, worded by ``message`` from the row's value."""
    return [Problem(table, row + 1, column, message(float(values.iat[row]))) for row in _rows(mask)]


def _roles(roles: pd.DataFrame) -> list[Problem]:
    cost = roles["cost_per_fte_gbp"]
    hours = roles["clinical_hours_per_fte"]
    contacts = roles["max_contacts_per_day"]
    days = roles["working_days_per_fte"]
    return [
        *_flagged(
            "roles",
            "cost_per_fte_gbp",
            cost,
            cost < COST_PER_FTE_BELOW_GBP,
            lambda value: (
                f"£{shown(value)} a year for one full-time post looks like thousands of pounds "
                f"(did you mean {money(value * 1_000)}?)"
            ),
        ),
        *_flagged(
            "roles",
            "cost_per_fte_gbp",
            cost,
            cost > COST_PER_FTE_ABOVE_GBP,
            lambda value: (
                f"{money(value)} a year for one full-time post is more than "
                f"{money(COST_PER_FTE_ABOVE_GBP)}: it looks like pence or the cost of several posts (in pence it "
                f"would be {money(value / 100)})"
            ),
        ),
        *_flagged(
            "roles",
            "clinical_hours_per_fte",
            hours,
            hours < CLINICAL_HOURS_BELOW,
            lambda value: (
                f"{shown(value)} clinical hours a year for one full-time post looks like hours a "
                "week or a day (this column is hours a year, about 1,000 to 1,700)"
            ),
        ),
        *_flagged(
            "roles",
            "clinical_hours_per_fte",
            hours,
            hours > CLINICAL_HOURS_ABOVE,
            lambda value: (
                f"{shown(value)} clinical hours a year for one full-time post is more than "
                f"{number(CLINICAL_HOURS_ABOVE)} (40 hours a week for 50 weeks): it looks like minutes, or hours "
                "that include non-clinical work"
            ),
        ),
        *_flagged(
            "roles",
            "max_contacts_per_day",
            contacts,
            contacts > CONTACTS_PER_DAY_ABOVE,
            lambda value: (
                f"{shown(value)} contacts a day for one full-time post looks like contacts "
                "a week or a year (this column is a day's safe-working cap, about 25 to 40)"
            ),
        ),
        *_flagged(
            "roles",
            "working_days_per_fte",
            days,
            days < WORKING_DAYS_BELOW,
            lambda value: (
                f"{shown(value)} working days a year for one full-time post looks like days "
                "a month or a week (this column is days a year, about 200 to 225)"
            ),
        ),
    ]


def _minutes(skill_mix: pd.DataFrame) -> list[Problem]:
    minutes = skill_mix["minutes_per_contact"]
    return [
        *_flagged(
            "skill_mix",
            "minutes_per_contact",
            minutes,
            minutes < MINUTES_PER_CONTACT_BELOW,
            lambda value: (
                f"{shown(value)} minutes for one contact looks like hours (did you mean {number(value * 60)} minutes?)"
            ),
        ),
        *_flagged(
            "skill_mix",
            "minutes_per_contact",
            minutes,
            minutes > MINUTES_PER_CONTACT_ABOVE,
            lambda value: (
                f"{shown(value)} minutes for one contact is more than "
                f"{number(MINUTES_PER_CONTACT_ABOVE)} (four hours): it looks like seconds, or a whole course of care"
            ),
        ),
    ]


def _noted(practices: pd.DataFrame) -> pd.Series:
    """Practices with a data_note: someone (``import nhs``, or the commissioner) has already said what is
    doubtful about their figures, so the list-size and staff rules do not warn about them again on every
    run (Somerset's L85026 has 1 registered patient and 8 staff FTE, as published). The weighted-list rule
    still does: the weighted list is what an offer pays on."""
    return practices["data_note"].notna()


def _practices(practices: pd.DataFrame) -> list[Problem]:
    lists = practices["list_size"].astype(float)
    weighted = practices["weighted_list_size"]
    share = weighted / lists
    unnoted = (~_noted(practices)).to_numpy()
    found = [
        Problem(
            "practices",
            row + 1,
            "weighted_list_size",
            f"{shown(float(weighted.iat[row]))} weighted patients is {number(float(share.iat[row]))} times the "
            f"list_size of {_patients(float(lists.iat[row]))} (weighting gives about {WEIGHTED_LIST_TYPICAL} "
            "times): one of the two looks out of date (a merger, or a list emptied since the weighted list was "
            "published), in another unit or another practice's figure; an offer per weighted patient pays on it",
        )
        for row in _rows(((share < WEIGHTED_LIST_BELOW_SHARE) | (share > WEIGHTED_LIST_ABOVE_SHARE)).to_numpy())
    ]
    found += _flagged(
        "practices",
        "list_size",
        lists,
        (lists < LIST_SIZE_BELOW).to_numpy() & unnoted,
        lambda value: (
            f"a list of {_patients(value, '')} looks like thousands of patients (did you mean {number(value * 1_000)}?)"
        ),
    )
    return found


def _staff(staff: pd.DataFrame, practices: pd.DataFrame) -> list[Problem]:
    """Staff held by a practice (not by a PCN, nor by a practice with a data_note) above the rule's FTE
    per 1,000 registered patients, located at the practice's largest staff row, the likeliest to be in
    the wrong unit."""
    held = staff[staff["holder_id"].isin(practices.index[~_noted(practices)])]
    if held.empty:
        return []
    totals = held.groupby("holder_id", sort=False)["fte"].sum()
    per_1k = totals / practices["list_size"].reindex(totals.index).astype(float) * 1_000
    found = []
    for practice in per_1k.index[per_1k > STAFF_FTE_PER_1K_PATIENTS_ABOVE]:
        rows = held[held["holder_id"] == practice]
        largest = int(rows["fte"].idxmax())
        found.append(
            Problem(
                "staff",
                largest + 1,
                "fte",
                f"practice {shown(practice)} has {number(float(totals[practice]))} staff FTE in post for "
                f"{_patients(float(practices.at[practice, 'list_size']))} "
                f"({number(float(per_1k[practice]))} per 1,000, more than {number(STAFF_FTE_PER_1K_PATIENTS_ABOVE)}): "
                f"its fte of {shown(float(staff['fte'].iat[largest]))} here looks like hours or a head count",
            )
        )
    return found


def _patients(count: float, kind: str = "registered ") -> str:
    return f"{shown(count)} {kind}patient{'' if count == 1 else 's'}"


def _per_patient(rate: float) -> str:
    """A budget's share per weighted patient to the penny; under half a penny is not "£0.00"."""
    return rate_money(rate) if rate >= RATE_STEP / 2 else f"less than {rate_money(RATE_STEP)}"


def _offer(scenario: Scenario, rate_hint: RateHint) -> list[Problem]:
    settings = scenario.settings
    weighted = float(scenario.practices["weighted_list_size"].sum())
    if weighted <= 0:
        return []
    if settings.budget_mode == "pooled" and settings.budget_gbp is not None:
        budget = settings.budget_gbp
        each = budget / weighted
        if budget_looks_like_rate(budget, weighted):
            return [Problem("settings", None, "budget_gbp", rate_hint(budget, weighted))]
        if 0 < each < BUDGET_PER_WEIGHTED_PATIENT_BELOW_GBP:
            message = (
                f"a pooled budget of {money(budget)} a year is {_per_patient(each)} per weighted patient "
                f"({number(weighted)} weighted patients): it looks like thousands of pounds, unless so small a "
                "budget is meant"
            )
            return [Problem("settings", None, "budget_gbp", message)]
        if each > BUDGET_PER_WEIGHTED_PATIENT_ABOVE_GBP:
            message = (
                f"a pooled budget of {money(budget)} a year is {_per_patient(each)} per weighted patient "
                f"({number(weighted)} weighted patients), "
                f"more than {rate_money(BUDGET_PER_WEIGHTED_PATIENT_ABOVE_GBP)}: "
                "it looks like pence or several years' money"
            )
            return [Problem("settings", None, "budget_gbp", message)]
    rate = settings.offer_rate_gbp_per_weighted_patient
    if settings.budget_mode == "per_practice" and rate is not None and rate > OFFER_RATE_ABOVE_GBP:
        message = (
            f"an offer of {rate_money(rate)} per weighted patient a year "
            f"is more than {rate_money(OFFER_RATE_ABOVE_GBP)} "
            f"(core GP funding is about £100 to £200): it looks like pence or a practice's whole budget"
        )
        return [Problem("settings", None, "offer_rate_gbp_per_weighted_patient", message)]
    return []
