"""A validated scenario: tables with defaults filled, plus its settings."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from models.schema import ScenarioSettings


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submitted scenario, located by table, row and column.

    ``row`` is the 1-based data row (the first record under the header is row 1, and a blank row
    in between is counted, as in the sheet); ``None`` for problems with a whole table or a setting.
    """

    table: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.table
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            # Settings and overrides are named by themselves: "settings budget_gbp", not "settings column ...".
            label = {"settings": "", "overrides": ""}.get(self.table, "column ")
            where += f", {label}{self.column}" if self.row is not None else f" {label}{self.column}"
        return f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "row": self.row, "column": self.column, "message": self.message}


# More problems than this are not listed (a table of 200,000 bad rows would give a list of
# hundreds of megabytes): the first ones, then one line counting the rest.
MAX_PROBLEMS_LISTED = 1_000


class ScenarioInvalid(ValueError):
    """The scenario breaks the data contract. ``problems`` lists every breach found, or, past
    ``MAX_PROBLEMS_LISTED``, the first ones and a last problem saying how many more there are;
    ``found`` counts them all."""

    def __init__(self, problems: list[Problem]):
        self.found = len(problems)
        self.problems = problems[:MAX_PROBLEMS_LISTED]
        if self.found > MAX_PROBLEMS_LISTED:
            unlisted = self.found - MAX_PROBLEMS_LISTED
            message = f"{unlisted:,} more problems are not listed; correct these and check again"
            self.problems.append(Problem("scenario", None, None, message))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Scenario:
    """Validated scenario tables (defaults filled, ids as strings) and settings.

    Column contracts (index in brackets):
      practices[practice_id]: pcn_id, list_size, weighted_list_size, name, data_note (text, not used by the
        programme), and the fair-shares columns prior_funding_gbp, imd_score
      pcns[pcn_id]: arrs_entitlement_gbp (filled from the ARRS rate if blank), name
      roles[role_id]: category, cost_per_fte_gbp, clinical_hours_per_fte,
        max_contacts_per_day (NaN = no cap), working_days_per_fte,
        arrs_reimbursement_max_gbp (NaN = none), supply_max_fte (NaN = unlimited),
        fte_step (NaN = continuous), name
      staff: holder_id, role_id, fte
      services[service_id]: contacts_per_patient, min_coverage, max_coverage, prevalence,
        value_weight, name
      skill_mix: service_id, role_id, minutes_per_contact
      eligibility: practice_id, service_id, eligible_patients
    """

    settings: ScenarioSettings
    practices: pd.DataFrame
    pcns: pd.DataFrame
    roles: pd.DataFrame
    staff: pd.DataFrame
    services: pd.DataFrame
    skill_mix: pd.DataFrame
    eligibility: pd.DataFrame

    @property
    def is_mip(self) -> bool:
        return bool(self.roles["fte_step"].notna().any())

    @property
    def document(self) -> dict[str, Any]:
        """The canonical document: the settings and every table's records, as validated (defaults filled).

        Made from the tables when asked for rather than kept: at England scale it is ~40 MB.
        """
        document: dict[str, Any] = {"settings": self.settings.model_dump(exclude_none=True)}
        for name in ("practices", "pcns", "roles", "staff", "services", "skill_mix", "eligibility"):
            document[name] = _records(getattr(self, name))
        return document

    @cached_property
    def scenario_hash(self) -> str:
        return document_hash(self.document)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [
        {k: (int(v) if isinstance(v, float) and k == "list_size" else v) for k, v in rec.items() if v is not None}
        for rec in cleaned.to_dict(orient="records")
    ]


def document_hash(document: dict[str, Any]) -> str:
    """SHA-256 of a document's canonical JSON (sorted keys, no whitespace)."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
