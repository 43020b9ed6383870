"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from api.ids import PUBLIC_ID_PATTERN, is_public_id
from api.orm import JobKind, JobStatus, Role
from optimiser.runs import checked_override

Item = TypeVar("Item")

# Ids and counts fit a 32-bit signed integer, PostgreSQL's `integer`.
MAX_ID = 2**31 - 1
# Free text that the service stores (names, labels): no control characters such as NUL.
PLAIN_TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"


def text_problem(name: str, value: str, max_length: int) -> str | None:
    """Why `value` cannot be stored as a name or label, or None if it can."""
    if not 1 <= len(value) <= max_length:
        return f"{name} must be 1 to {max_length} characters (got {len(value)})"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return f"{name} must not contain control characters such as NUL or newline"
    return None


def lower_case_id(value: Any) -> Any:
    """An id as stored: ids are hexadecimal, so 01A2… names the same id as 01a2… (docs/api.md).
    Anything that is no id stays as written, for the error to quote."""
    if isinstance(value, str) and is_public_id(value.lower()):
        return value.lower()
    return value


# An id read from a path, query or body: any case, checked in lower case.
AnyCaseId = BeforeValidator(lower_case_id)
PublicId = Annotated[
    str, Field(pattern=PUBLIC_ID_PATTERN, min_length=36, max_length=36, description="A public id."), AnyCaseId
]


def whole_float_as_int(value: Any) -> Any:
    """JSON's 2.0 is the number 2, as the scenario validator reads whole numbers."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


# A whole number in a JSON body, strictly: true and "2" are refused, not read as 1 and 2
# (booleans are not numbers, docs/reliability.md).
WholeNumber = Annotated[int, Field(strict=True), BeforeValidator(whole_float_as_int)]

Records = list[dict[str, Any]]
EXAMPLE_ID = "0193a1f2-6c4e-7d2a-9b1c-3f5e7a9c1d2e"

EXAMPLE_DOCUMENT: dict[str, Any] = {
    "settings": {"budget_gbp": 250000},
    "pcns": [{"pcn_id": "N1", "name": "North PCN (synthetic)"}],
    "practices": [
        {"practice_id": "P1", "pcn_id": "N1", "list_size": 8000},
        {"practice_id": "P2", "pcn_id": "N1", "list_size": 5000, "weighted_list_size": 5600},
    ],
    "roles": [
        {
            "role_id": "gp",
            "category": "gp",
            "cost_per_fte_gbp": 110000,
            "clinical_hours_per_fte": 1300,
            "max_contacts_per_day": 25,
        },
        {"role_id": "nurse", "category": "nurse", "cost_per_fte_gbp": 50000, "clinical_hours_per_fte": 1400},
    ],
    "staff": [
        {"holder_id": "P1", "role_id": "gp", "fte": 1},
        {"holder_id": "P2", "role_id": "nurse", "fte": 0.5},
    ],
    "services": [{"service_id": "diabetes_review", "contacts_per_patient": 2, "min_coverage": 0.8, "prevalence": 0.07}],
    "skill_mix": [
        {"service_id": "diabetes_review", "role_id": "gp", "minutes_per_contact": 15},
        {"service_id": "diabetes_review", "role_id": "nurse", "minutes_per_contact": 20},
    ],
}


class ScenarioDocument(BaseModel):
    """A scenario: one array of records per table plus settings (see the data contract).

    Unknown tables and columns are rejected with a 422 naming the table, row and column.
    """

    model_config = ConfigDict(extra="allow", json_schema_extra={"examples": [EXAMPLE_DOCUMENT]})

    settings: dict[str, Any] | None = Field(default=None, description="budget_gbp, budget_mode, objective, ...")
    practices: Records | None = Field(default=None, description="practice_id, pcn_id, list_size, ...")
    pcns: Records | None = Field(default=None, description="pcn_id, arrs_entitlement_gbp, name")
    roles: Records | None = Field(default=None, description="role_id, category, cost_per_fte_gbp, ...")
    staff: Records | None = Field(default=None, description="holder_id, role_id, fte")
    services: Records | None = Field(default=None, description="service_id, contacts_per_patient, ...")
    skill_mix: Records | None = Field(default=None, description="service_id, role_id, minutes_per_contact")
    eligibility: Records | None = Field(default=None, description="practice_id, service_id, eligible_patients")


class ProblemOut(BaseModel):
    """One problem with a request: the table, 1-based row and column it concerns."""

    table: str
    row: int | None
    column: str | None
    message: str


class ProblemsResponse(BaseModel):
    detail: list[ProblemOut]


class MessageResponse(BaseModel):
    detail: str


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    total: int
    offset: int
    limit: int


class VersionSummary(BaseModel):
    number: int
    scenario_hash: str
    created_at: datetime


class VersionOut(VersionSummary):
    document: dict[str, Any]


class ScenarioSummary(BaseModel):
    id: str
    name: str
    owner: str = Field(description="The organisation that owns the scenario.")
    access: Literal["owner", "shared"] = Field(description="shared: read-only, shared with you.")
    latest_version: int
    created_at: datetime


class ScenarioOut(ScenarioSummary):
    versions: list[VersionSummary]
    shared_with: list[str] = Field(description="Organisations it is shared with (owners only).")


class ShareOut(BaseModel):
    organisation: str
    created_at: datetime


# An override not given: absent from the OpenAPI document's types, as a null is refused (``_checked``)
Unset = SkipJsonSchema[None]


def _without_null_defaults(schema: dict[str, Any]) -> None:
    """The document gives no "default": null for a field whose null is refused: left out, it is not set."""
    for field in schema["properties"].values():
        field.pop("default", None)


AMOUNT_HELP = "a number, or text with a k/m suffix such as 4.7m or 250k"


def _checked(value: Any, info: ValidationInfo) -> Any:
    """Each override is read and checked as every entry point does (``optimiser.runs``): a null
    too, which a batch manifest refuses by name (pydantic runs this only for a value given)."""
    try:
        return checked_override(str(info.field_name), value)
    except ValueError as error:
        raise PydanticCustomError("override", f"{info.field_name}: {error}") from None


Weight = Annotated[float, Field(ge=0, allow_inf_nan=False)]


class CheckWeights(BaseModel):
    """Weights of a check's combined change (docs/deliverability.md); omitted ones keep their default."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_null_defaults)

    budget: Weight | Unset = None
    workforce_supply: Weight | Unset = None
    standards: Weight | Unset = None
    safe_working: Weight | Unset = None
    spread: Annotated[float, Field(ge=0, le=1)] | Unset = Field(
        default=None, description="Share of the standards' price on the largest relative cut."
    )


class Overrides(BaseModel):
    """Changes applied to the scenario's settings for this job only."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_without_null_defaults)

    objective: Literal["min_cost", "max_value", "max_min_coverage"] | Unset = None
    budget_gbp: float | str | Unset = Field(default=None, description=f"Pooled budget, £ a year: {AMOUNT_HELP}.")
    offer_rate_gbp_per_weighted_patient: float | str | Unset = Field(
        default=None, description=f"Offer rate, £ per weighted patient: {AMOUNT_HELP}."
    )
    standards_fraction: float | str | Unset = Field(
        default=None, description="Multiply every min_coverage by this fraction (0 to 1)."
    )
    time_limit_s: float | Unset = Field(default=None, description="Solver limit, seconds (more than 0).")
    sensitivity: bool | Unset = Field(default=None, description="Solves: add shadow prices to the result.")
    budget: str | Unset = Field(
        default=None,
        description="Sweeps: pooled budgets START:STOP:N (£ a year; k/m suffixes allowed, e.g. 15m:25m:5); "
        "selects the pooled budget mode.",
    )
    offer_rate: str | Unset = Field(
        default=None,
        description="Sweeps: offer rates START:STOP:N (£ per weighted patient a year, e.g. 10:20:6); "
        "selects the per-practice budget mode.",
    )
    standards: str | Unset = Field(default=None, description="Sweeps: standards fractions START:STOP:N.")
    weights: CheckWeights | Unset = Field(default=None, description="Checks: weights of the combined change.")

    _checked = field_validator(
        "objective",
        "budget_gbp",
        "offer_rate_gbp_per_weighted_patient",
        "standards_fraction",
        "time_limit_s",
        "sensitivity",
        "budget",
        "offer_rate",
        "standards",
        "weights",
        mode="before",
    )(_checked)

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class JobIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"scenario_id": EXAMPLE_ID, "kind": "check"},
                {"scenario_id": EXAMPLE_ID, "version": 2, "kind": "solve", "overrides": {"budget_gbp": 300000}},
                {"scenario_id": EXAMPLE_ID, "kind": "sweep", "overrides": {"budget": "100000:400000:4"}},
            ]
        },
    )

    scenario_id: PublicId
    version: WholeNumber | None = Field(default=None, ge=1, le=MAX_ID, description="Default: the latest version.")
    kind: JobKind
    overrides: Overrides = Field(default_factory=Overrides)


class TableSummary(BaseModel):
    name: str
    columns: list[str]
    rows: int


class JobSummary(BaseModel):
    id: str
    kind: JobKind
    status: JobStatus
    scenario_id: str
    version: int
    overrides: dict[str, Any]
    attempts: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration_s: float | None
    error: str | None = Field(
        description="Why a failed job failed; for a job waiting to run again, how its run's process died before."
    )


class JobOut(JobSummary):
    result: dict[str, Any] | None = Field(
        description="The run's result; an undeliverable scenario is a succeeded job whose "
        "result has deliverable = false. A job that failed for want of an answer in time (a check "
        "with deliverable = null, a solve without a solution, a sweep with points without one) keeps "
        "its result and tables."
    )
    tables: list[TableSummary]


class KeyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"role": "negotiator", "label": "LMC analyst"}]}
    )

    role: Role
    label: str | None = Field(default=None, min_length=1, max_length=200, pattern=PLAIN_TEXT_PATTERN)


class KeyOut(BaseModel):
    id: str
    prefix: str
    role: Role
    label: str | None
    organisation: str
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyOut):
    token: str = Field(description="The key itself; shown only this once.")


class ReadinessOut(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = Field(default=None, description="Why the service is unavailable.")
