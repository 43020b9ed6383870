"""Request dependencies: settings, database session, and the calling principal."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Path, Query, Request, Security, status
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api import crud
from api.ids import PUBLIC_ID_PATTERN
from api.middleware import CALLER_STATE, client_address
from api.orm import ApiKey
from api.schemas import MAX_ID, AnyCaseId
from api.security import Principal, prefix_of
from api.settings import Settings

# Sign-ins and keys refused, on the access log beside the request lines they explain.
logger = logging.getLogger("api.access")

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="Your API key.")
bearer_token = HTTPBearer(auto_error=False, description="Your API key as a bearer token.")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def note_caller(request: Request, session: Session, principal: Principal) -> None:
    """Name the caller on the request's access log line: its organisation and its key's public
    id, never the key (audit 12 #8). Call before the session commits: the key row is in it."""
    key = session.get_one(ApiKey, principal.key_id)
    setattr(request.state, CALLER_STATE, {"organisation": principal.organisation_name, "key_id": key.public_id})


def note_refused_key(request: Request, token: str) -> None:
    """Log a key that was refused (unknown, revoked, mistyped), with the client's address and the
    key's prefix when it has the form of one (the part `commission keys create` shows), never the key."""
    logger.warning(
        "API key refused: %s %s",
        request.method,
        request.url.path,
        extra={"client": client_address(request.scope), "key_prefix": (prefix_of(token) or "")[:16] or None},
    )


def get_principal(
    request: Request,
    session: SessionDep,
    api_key: Annotated[str | None, Security(api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_token)],
) -> Principal:
    token = api_key or (bearer.credentials if bearer else None)
    principal = crud.authenticate(session, token) if token else None
    if principal is not None:
        note_caller(request, session, principal)
    session.commit()
    if principal is None:
        if token:
            note_refused_key(request, token)
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="a valid API key is required (X-API-Key or Authorization: Bearer)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]

ScenarioId = Annotated[str, Path(min_length=36, max_length=36, pattern=PUBLIC_ID_PATTERN), AnyCaseId]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_ID)]
JobId = Annotated[str, Path(min_length=36, max_length=36, pattern=PUBLIC_ID_PATTERN), AnyCaseId]
KeyId = Annotated[str, Path(min_length=36, max_length=36, pattern=PUBLIC_ID_PATTERN), AnyCaseId]
OrganisationName = Annotated[str, Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f/]*$")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip.")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        min_length=1,
        max_length=200,
        pattern=r"^[\x20-\x7e]*$",
        description="Repeat a request safely: the same key returns what the first request created.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
