"""API keys, managed by each organisation's admins."""

from __future__ import annotations

from fastapi import APIRouter, status

from api import crud
from api.deps import KeyId, PrincipalDep, SessionDep
from api.orm import ApiKey
from api.routes import JsonBodyRoute
from api.schemas import KeyCreated, KeyIn, KeyOut

router = APIRouter(prefix="/keys", tags=["keys"], route_class=JsonBodyRoute)


def key_out(key: ApiKey) -> KeyOut:
    return KeyOut(
        id=key.public_id,
        prefix=key.prefix,
        role=key.role,
        label=key.label,
        organisation=key.organisation.name,
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a key in your organisation")
def create_key(body: KeyIn, session: SessionDep, principal: PrincipalDep) -> KeyCreated:
    key, token = crud.create_key_for(session, principal, body.role, body.label)
    return KeyCreated(**key_out(key).model_dump(), token=token)


@router.get("", summary="List your organisation's keys")
def list_keys(session: SessionDep, principal: PrincipalDep) -> list[KeyOut]:
    return [key_out(key) for key in crud.list_keys(session, principal)]


@router.delete("/{key_id}", summary="Revoke a key")
def revoke_key(key_id: KeyId, session: SessionDep, principal: PrincipalDep) -> KeyOut:
    return key_out(crud.revoke_key(session, principal, key_id))
