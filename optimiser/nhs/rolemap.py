"""The role map: which published staff groups become which scenario roles.

A CSV with columns ``publication,match,value,role_id,note`` (the shipped default is
``role_map.csv`` beside this module; ``--role-map`` replaces it):

* ``publication``: ``practice_workforce`` (``match`` is ``column``; ``value`` a column of
  the practice-level file, e.g. ``TOTAL_NURSES_FTE``) or ``pcn_workforce`` (``match`` is
  ``DETAILED_STAFF_ROLE``, ``STAFF_ROLE`` or ``STAFF_GROUP``; ``value`` the text in that
  column). A PCN staff record takes the row matching its detailed role, else its role,
  else its staff group.
* ``role_id``: the spec's role these FTE become; **blank = left out on purpose** (the
  ``note`` says why). Records no row matches are *unmapped* and listed with their FTE.
Text is matched ignoring case, repeated spaces and the kind of dash.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from importlib import resources

import pandas as pd

from models.schema import shown
from optimiser.nhs.sources import NhsInputError, Source, normalise_header

PUBLICATIONS = ("practice_workforce", "pcn_workforce")
PCN_MATCHES = ("DETAILED_STAFF_ROLE", "STAFF_ROLE", "STAFF_GROUP")
COLUMNS = ("publication", "match", "value", "role_id", "note")
DEFAULT_NAME = "role_map.csv"


def normalise_text(text: str) -> str:
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", str(text))
    text = re.sub(r"\s*-\s*", "-", text)
    return re.sub(r"\s+", " ", text).strip().casefold()


@dataclass(frozen=True)
class Rule:
    role_id: str | None
    note: str
    row: int
    value: str = ""  # the value as the role map spells it (a practice_workforce column's name)


@dataclass
class RoleMap:
    name: str
    practice_columns: dict[str, Rule] = field(default_factory=dict)
    pcn: dict[tuple[str, str], Rule] = field(default_factory=dict)

    def for_pcn_record(self, detailed: str, role: str, group: str) -> tuple[Rule | None, str]:
        """The rule for a PCN staff record and the text it matched (its detailed role if none)."""
        for match, value in zip(PCN_MATCHES, (detailed, role, group), strict=True):
            rule = self.pcn.get((match, normalise_text(value)))
            if rule is not None:
                return rule, value
        return None, detailed or role or group


def default_role_map_text() -> str:
    return resources.files("optimiser.nhs").joinpath(DEFAULT_NAME).read_text(encoding="utf-8")


def load_role_map(source: Source | None = None) -> RoleMap:
    if source is None:
        name, data = f"the default {DEFAULT_NAME}", default_role_map_text().encode()
    else:
        name, data = source.name, source.read_bytes()
    try:
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise NhsInputError(name, f"is not a readable role-map CSV ({type(error).__name__})") from None
    frame.columns = [normalise_header(c) for c in frame.columns]
    for column in COLUMNS[:4]:
        if column not in frame.columns:
            raise NhsInputError(name, f"required column is missing (a role map has {', '.join(COLUMNS)})", column)
    role_map = RoleMap(name=name)
    for index, record in enumerate(frame.to_dict(orient="records"), start=1):
        if not any(str(value).strip() for value in record.values()):
            continue  # a blank line is skipped but counted, so rows are numbered as the user counts them
        publication = record["publication"].strip()
        match = record["match"].strip()
        value = record["value"].strip()
        rule = Rule(
            role_id=record["role_id"].strip() or None, note=record.get("note", "").strip(), row=index, value=value
        )
        if publication == "practice_workforce":
            if match.casefold() != "column":
                raise NhsInputError(
                    name, f"practice_workforce rows match a column (got {shown(match)})", "match", index
                )
            role_map.practice_columns[normalise_header(value)] = rule
        elif publication == "pcn_workforce":
            if match.upper() not in PCN_MATCHES:
                raise NhsInputError(
                    name,
                    f"pcn_workforce rows match one of {', '.join(PCN_MATCHES)} (got {shown(match)})",
                    "match",
                    index,
                )
            role_map.pcn[(match.upper(), normalise_text(value))] = rule
        else:
            raise NhsInputError(
                name,
                f"publication must be one of {', '.join(PUBLICATIONS)} (got {shown(publication)})",
                "publication",
                index,
            )
    return role_map
