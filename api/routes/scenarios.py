"""Scenarios: immutable versions of a scenario document, and read-only shares."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile, status

from api import crud
from api.deps import (
    IdempotencyKey,
    Limit,
    Offset,
    OrganisationName,
    PrincipalDep,
    ScenarioId,
    SessionDep,
    SettingsDep,
    VersionNumber,
)
from api.documents import accept_document, read_body, read_upload
from api.orm import ScenarioVersion, Share
from api.routes import JsonBodyRoute
from api.schemas import (
    PLAIN_TEXT_PATTERN,
    Page,
    ScenarioDocument,
    ScenarioOut,
    ScenarioSummary,
    ShareOut,
    VersionOut,
    VersionSummary,
)

router = APIRouter(prefix="/scenarios", tags=["scenarios"], route_class=JsonBodyRoute)

DEFAULT_NAME = "untitled scenario"
NameQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=200, pattern=PLAIN_TEXT_PATTERN, description="A name for the scenario."),
]
NameForm = Annotated[
    str | None,
    Form(min_length=1, max_length=200, pattern=PLAIN_TEXT_PATTERN, description="A name for the scenario."),
]
ScenarioFile = Annotated[
    UploadFile,
    File(description="An Excel workbook (.xlsx or .xlsm), a zip of CSVs (.zip) or a JSON file (.json)."),
]
# The JSON body is read by the same reader as a .json file (a byte-order mark is allowed,
# and NaN or Infinity is named by table, row and column), so it is documented here rather
# than parsed by FastAPI.
DOCUMENT_BODY: dict[str, object] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": ScenarioDocument.model_json_schema()}},
    }
}


async def request_body(request: Request) -> bytes:
    return await request.body()


BodyBytes = Annotated[bytes, Depends(request_body)]


def upload_content(file: UploadFile, settings: SettingsDep) -> bytes:
    # The request size limit has bounded the file already; read at most that much.
    return file.file.read(settings.max_request_bytes + 1)


def summary_of(view: crud.ScenarioView) -> ScenarioSummary:
    return ScenarioSummary(
        id=view.scenario.public_id,
        name=view.scenario.name,
        owner=view.scenario.organisation.name,
        access="owner" if view.is_owner else "shared",
        latest_version=view.latest_version,
        created_at=view.scenario.created_at,
    )


def scenario_out(view: crud.ScenarioView) -> ScenarioOut:
    return ScenarioOut(
        **summary_of(view).model_dump(),
        versions=[version_summary(version) for version in view.scenario.versions],
        shared_with=[share.organisation.name for share in view.scenario.shares] if view.is_owner else [],
    )


def version_summary(version: ScenarioVersion) -> VersionSummary:
    return VersionSummary(number=version.number, scenario_hash=version.scenario_hash, created_at=version.created_at)


def share_out(share: Share) -> ShareOut:
    return ShareOut(organisation=share.organisation.name, created_at=share.created_at)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Create a scenario from a JSON document",
    openapi_extra=DOCUMENT_BODY,
)
def create_scenario(
    body: BodyBytes,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    name: NameQuery = None,
    idempotency_key: IdempotencyKey = None,
) -> ScenarioOut:
    accepted = accept_document(read_body(body, settings), settings)
    view = crud.create_scenario(session, principal, name or DEFAULT_NAME, accepted, idempotency_key)
    return scenario_out(view)


@router.post(
    "/upload",
    status_code=status.HTTP_201_CREATED,
    summary="Create a scenario from an Excel workbook or a zip of CSVs",
)
def upload_scenario(
    file: ScenarioFile,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    name: NameForm = None,
    idempotency_key: IdempotencyKey = None,
) -> ScenarioOut:
    accepted = accept_document(read_upload(file.filename, upload_content(file, settings), settings), settings)
    view = crud.create_scenario(session, principal, name or file.filename or DEFAULT_NAME, accepted, idempotency_key)
    return scenario_out(view)


@router.get("", summary="List your scenarios and those shared with you")
def list_scenarios(
    session: SessionDep,
    principal: PrincipalDep,
    offset: Offset = 0,
    limit: Limit = 20,
) -> Page[ScenarioSummary]:
    views, total = crud.list_scenarios(session, principal, offset, limit)
    return Page(items=[summary_of(view) for view in views], total=total, offset=offset, limit=limit)


@router.get("/{scenario_id}", summary="A scenario and its versions")
def get_scenario(scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep) -> ScenarioOut:
    return scenario_out(crud.get_scenario(session, principal, scenario_id))


@router.delete(
    "/{scenario_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a scenario, erasing its versions and every job run on it",
    description="Erased at once: every version's document, its shares, and every job run on it (by any "
    "organisation it was shared with), with their results and tables; a queued or running job is "
    "cancelled first. Only the scenario's id, owner and Idempotency-Key stay, so a create retried "
    "with the same key is 409 rather than stored again.",
)
def delete_scenario(scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep) -> None:
    crud.delete_scenario(session, principal, scenario_id)


@router.post(
    "/{scenario_id}/versions",
    status_code=status.HTTP_201_CREATED,
    summary="Save a new version from a JSON document",
    responses={200: {"model": VersionSummary, "description": "The document is the latest version already."}},
    openapi_extra=DOCUMENT_BODY,
)
def add_version(
    scenario_id: ScenarioId,
    body: BodyBytes,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> VersionSummary:
    accepted = accept_document(read_body(body, settings), settings)
    version, created = crud.add_version(session, principal, scenario_id, accepted)
    if not created:
        response.status_code = status.HTTP_200_OK
    return version_summary(version)


@router.post(
    "/{scenario_id}/versions/upload",
    status_code=status.HTTP_201_CREATED,
    summary="Save a new version from an Excel workbook or a zip of CSVs",
    responses={200: {"model": VersionSummary, "description": "The document is the latest version already."}},
)
def upload_version(
    scenario_id: ScenarioId,
    file: ScenarioFile,
    response: Response,
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
) -> VersionSummary:
    accepted = accept_document(read_upload(file.filename, upload_content(file, settings), settings), settings)
    version, created = crud.add_version(session, principal, scenario_id, accepted)
    if not created:
        response.status_code = status.HTTP_200_OK
    return version_summary(version)


@router.get("/{scenario_id}/versions/{number}", summary="One version, with its document")
def get_version(
    scenario_id: ScenarioId, number: VersionNumber, session: SessionDep, principal: PrincipalDep
) -> VersionOut:
    version = crud.get_version(session, principal, scenario_id, number)
    return VersionOut(**version_summary(version).model_dump(), document=version.document)


@router.get("/{scenario_id}/shares", summary="Organisations the scenario is shared with")
def list_shares(scenario_id: ScenarioId, session: SessionDep, principal: PrincipalDep) -> list[ShareOut]:
    return [share_out(share) for share in crud.list_shares(session, principal, scenario_id)]


@router.put("/{scenario_id}/shares/{organisation}", summary="Share the scenario read-only with an organisation")
def share_scenario(
    scenario_id: ScenarioId, organisation: OrganisationName, session: SessionDep, principal: PrincipalDep
) -> ShareOut:
    return share_out(crud.share_scenario(session, principal, scenario_id, organisation))


@router.delete("/{scenario_id}/shares/{organisation}", status_code=status.HTTP_204_NO_CONTENT, summary="Stop sharing")
def unshare_scenario(
    scenario_id: ScenarioId, organisation: OrganisationName, session: SessionDep, principal: PrincipalDep
) -> None:
    crud.unshare_scenario(session, principal, scenario_id, organisation)
