"""Imports: build a scenario version from uploaded NHS England publication files."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel, Field

from api import crud
from api.deps import IdempotencyKey, PrincipalDep, SessionDep, SettingsDep
from api.documents import accept_document, read_upload, reader_limits
from api.errors import Forbidden
from api.ids import PUBLIC_ID_PATTERN
from api.routes import JsonBodyRoute
from api.routes.scenarios import DEFAULT_NAME, scenario_out, upload_content, version_summary
from api.schemas import PLAIN_TEXT_PATTERN, ScenarioOut, VersionSummary
from api.security import Permission
from api.settings import Settings

router = APIRouter(prefix="/imports", tags=["imports"], route_class=JsonBodyRoute)

Publication = Annotated[UploadFile, File(description="The publication's CSV, or the zip it is published in.")]
OptionalPublication = Annotated[
    UploadFile | None, File(description="The publication's CSV, or the zip it is published in (optional).")
]


class NhsImportOut(BaseModel):
    scenario: ScenarioOut
    version: VersionSummary = Field(description="The version the import saved (or the latest, if identical).")
    created: bool = Field(description="False when the imported document equals the scenario's latest version.")
    report: dict[str, Any] = Field(description="The import report: publications, counts, totals, what was left out.")


@router.post(
    "/nhs",
    status_code=status.HTTP_201_CREATED,
    summary="Build a scenario for one ICB or sub-ICB from NHS England publications",
    description=(
        "Upload the registrations mapping and the 5-year-band list sizes (required) and, optionally, the practice "
        "workforce, PCN workforce, payments and IMD files as published (CSV or zip). The area's practices, PCNs and "
        "staff are merged with a spec (an uploaded workbook, zip of CSVs or JSON; the product's default spec if "
        "none) and saved as a new scenario, or as a new version of `scenario_id`. Bad files are a 422 naming the "
        "file (as `table`) and the column."
    ),
)
def import_nhs_publications(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    mapping: Publication,
    list_sizes: Publication,
    icb: Annotated[
        str | None,
        Form(max_length=20, pattern=PLAIN_TEXT_PATTERN, description="ICB code, e.g. QSL (or its ONS code)."),
    ] = None,
    sub_icb: Annotated[
        str | None, Form(max_length=20, pattern=PLAIN_TEXT_PATTERN, description="Sub-ICB location code, e.g. 11X.")
    ] = None,
    practice_workforce: OptionalPublication = None,
    pcn_workforce: OptionalPublication = None,
    payments: OptionalPublication = None,
    imd: OptionalPublication = None,
    spec: Annotated[UploadFile | None, File(description="Spec: .xlsx, .zip of CSVs or .json (optional).")] = None,
    role_map: Annotated[UploadFile | None, File(description="Role map CSV replacing the shipped one.")] = None,
    name: Annotated[
        str | None,
        Form(min_length=1, max_length=200, pattern=PLAIN_TEXT_PATTERN, description="A name for the scenario."),
    ] = None,
    scenario_id: Annotated[
        str | None,
        Form(
            min_length=36,
            max_length=36,
            pattern=PUBLIC_ID_PATTERN,
            description="Save as a new version of this scenario (its public id) instead.",
        ),
    ] = None,
    idempotency_key: IdempotencyKey = None,
) -> NhsImportOut:
    if not principal.can(Permission.WRITE_SCENARIOS):
        raise Forbidden(f"the {principal.role} role may not {Permission.WRITE_SCENARIOS}")
    from optimiser.nhs.build import Inputs, import_nhs
    from optimiser.nhs.spec import load_spec

    if spec is not None:
        # The same bounded reader, limits and problems as POST /scenarios/upload.
        spec_document = read_upload(spec.filename, upload_content(spec, settings), settings)
        spec_label = spec.filename or "spec"
    else:
        spec_document, spec_label = load_spec(None)
    result = import_nhs(
        Inputs(
            mapping=_source(mapping, settings),
            list_sizes=_source(list_sizes, settings),
            practice_workforce=_optional(practice_workforce, settings),
            pcn_workforce=_optional(pcn_workforce, settings),
            payments=_optional(payments, settings),
            imd=_optional(imd, settings),
        ),
        icb=icb or None,
        sub_icb=sub_icb or None,
        spec=spec_document,
        spec_label=spec_label,
        role_map=_optional(role_map, settings),
    )
    accepted = accept_document(result.document, settings)
    if scenario_id is None:
        default_name = f"NHS import: {result.report['area']['filter']}" if result.report["area"] else DEFAULT_NAME
        view = crud.create_scenario(session, principal, name or default_name, accepted, idempotency_key)
        version = crud.get_version(session, principal, view.scenario.public_id, view.latest_version)
        created = True
    else:
        version, created = crud.add_version(session, principal, scenario_id, accepted)
        view = crud.get_scenario(session, principal, scenario_id)
    return NhsImportOut(
        scenario=scenario_out(view), version=version_summary(version), created=created, report=result.report
    )


def _source(upload: UploadFile, settings: Settings) -> Any:
    """An uploaded publication, its zip (if it is one) to be opened under the service's limits by
    the importer's one archive opener (``optimiser.io.open_archive``), as a scenario zip is."""
    from optimiser.io import file_too_large
    from optimiser.nhs.sources import Source

    name = upload.filename or "upload"
    data = upload_content(upload, settings)  # bounded, as a scenario upload is
    limits = reader_limits(settings)
    if len(data) > limits.max_file_bytes:
        raise file_too_large(name, len(data), limits)
    return Source(name=name, data=data, limits=limits)


def _optional(upload: UploadFile | None, settings: Settings) -> Any:
    return None if upload is None else _source(upload, settings)
