"""Desk sessions: an API key entered once becomes a signed, HTTP-only, SameSite=Strict cookie.

The cookie holds the key's public id (never its row number), an expiry and a random nonce,
signed with HMAC-SHA256; never the key itself. Every request re-reads the key row, so a revoked key ends its sessions at
once. Form posts carry a CSRF token derived from the session's nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.crud import principal_of
from api.ids import is_public_id
from api.orm import ApiKey
from api.security import Principal

COOKIE = "desk_session"
SESSION_S = 8 * 3600
SECRET_ENV = "COMMISSION_DESK_SECRET"


@dataclass(frozen=True)
class DeskSession:
    key_id: str  # the key's public id
    expires: int
    nonce: str


def _secret(request: Request) -> bytes:
    """The signing secret: COMMISSION_DESK_SECRET, else one made when the app starts (sessions
    then end when the service restarts)."""
    state = request.app.state
    secret: bytes | None = getattr(state, "desk_secret", None)
    if secret is None:
        configured = os.environ.get(SECRET_ENV)
        secret = configured.encode() if configured else secrets.token_bytes(32)
        state.desk_secret = secret
    return secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, payload: str) -> str:
    return _b64(hmac.new(secret, payload.encode(), hashlib.sha256).digest())


def issue(request: Request, key_id: str) -> str:
    """A new signed session cookie value for the key (named by its public id)."""
    body = {"k": key_id, "e": int(time.time()) + SESSION_S, "n": secrets.token_hex(16)}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(_secret(request), payload)}"


def read(request: Request) -> DeskSession | None:
    """The request's valid session, if any."""
    value = request.cookies.get(COOKIE)
    if not value or "." not in value:
        return None
    payload, _, signature = value.partition(".")
    if not hmac.compare_digest(signature, _sign(_secret(request), payload)):
        return None
    try:
        body: dict[str, Any] = json.loads(_unb64(payload))
        session = DeskSession(key_id=str(body["k"]), expires=int(body["e"]), nonce=str(body["n"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not is_public_id(session.key_id):
        return None
    if session.expires < time.time():
        return None
    return session


def principal_for(db: Session, desk: DeskSession) -> Principal | None:
    """The principal of the session's key, unless the key has been revoked."""
    key = db.scalar(select(ApiKey).where(ApiKey.public_id == desk.key_id, ApiKey.revoked_at.is_(None)))
    if key is None:
        return None
    return principal_of(key)


def key_public_id(db: Session, principal: Principal) -> str:
    """The public id of the principal's key, which the session cookie carries."""
    return db.get_one(ApiKey, principal.key_id).public_id


def csrf_token(request: Request, desk: DeskSession) -> str:
    return _sign(_secret(request), "csrf:" + desk.nonce)


def csrf_ok(request: Request, desk: DeskSession, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(str(token), csrf_token(request, desk))


def set_cookie(request: Request, response: Any, value: str) -> None:
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )


def clear_cookie(response: Any) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict")
