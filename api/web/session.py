"""Desk sessions: an API key entered once becomes a signed, HTTP-only, SameSite=Strict cookie.

The cookie holds the key's public id (never its row number), an expiry and a random nonce,
signed with HMAC-SHA256; never the key itself. The server keeps a row per session (the nonce's
SHA-256, when it was last used, when it expires): signing out deletes it, so a copy of the cookie
is refused afterwards, and a session unused for COMMISSION_DESK_IDLE_TIMEOUT_S ends. Every request
re-reads the key row too, so a revoked key ends its sessions at once. Form posts carry a CSRF
token derived from the session's nonce.
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
from datetime import timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from api.crud import principal_of
from api.ids import is_public_id
from api.orm import ApiKey, DeskSession, utc_now
from api.security import Principal

COOKIE = "desk_session"
SESSION_S = 8 * 3600
SECRET_ENV = "COMMISSION_DESK_SECRET"


@dataclass(frozen=True)
class SignedCookie:
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


def _nonce_sha256(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def issue(request: Request, db: Session, principal: Principal, idle_timeout_s: float) -> str:
    """A new session of the principal's key: its row (committed by the caller) and its signed
    cookie value. Sessions that have ended without a sign-out are deleted on the way."""
    now = utc_now()
    db.execute(
        delete(DeskSession).where(
            or_(DeskSession.expires_at <= now, DeskSession.last_seen_at <= now - timedelta(seconds=idle_timeout_s))
        )
    )
    key_id = db.get_one(ApiKey, principal.key_id).public_id
    nonce = secrets.token_hex(16)
    expires = int(time.time()) + SESSION_S
    db.add(
        DeskSession(
            nonce_sha256=_nonce_sha256(nonce),
            key_id=principal.key_id,
            last_seen_at=now,
            expires_at=now + timedelta(seconds=SESSION_S),
        )
    )
    body = {"k": key_id, "e": expires, "n": nonce}
    payload = _b64(json.dumps(body, separators=(",", ":")).encode())
    return f"{payload}.{_sign(_secret(request), payload)}"


def read(request: Request) -> SignedCookie | None:
    """The request's cookie, if it is one this service signed and has not expired. Whether its
    session is still open is ``principal_for``'s to say."""
    value = request.cookies.get(COOKIE)
    if not value or "." not in value:
        return None
    payload, _, signature = value.partition(".")
    if not hmac.compare_digest(signature, _sign(_secret(request), payload)):
        return None
    try:
        body: dict[str, Any] = json.loads(_unb64(payload))
        session = SignedCookie(key_id=str(body["k"]), expires=int(body["e"]), nonce=str(body["n"]))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if not is_public_id(session.key_id):
        return None
    if session.expires < time.time():
        return None
    return session


def principal_for(db: Session, desk: SignedCookie, idle_timeout_s: float) -> Principal | None:
    """The principal of the session's key, while the session is open: not signed out, used within
    the idle timeout, not past its 8 hours, and its key not revoked. Marks the session used (the
    caller commits); a session found ended is deleted."""
    found = db.execute(
        select(DeskSession, ApiKey)
        .join(ApiKey, ApiKey.id == DeskSession.key_id)
        .where(DeskSession.nonce_sha256 == _nonce_sha256(desk.nonce), ApiKey.public_id == desk.key_id)
    ).first()
    if found is None:
        return None
    row, key = found
    now = utc_now()
    if row.expires_at <= now or row.last_seen_at + timedelta(seconds=idle_timeout_s) <= now:
        db.delete(row)
        return None
    if key.revoked_at is not None:
        return None
    row.last_seen_at = now
    return principal_of(key)


def end(db: Session, desk: SignedCookie) -> None:
    """Sign out: the session's row goes, so its cookie (and any copy of it) signs no one in."""
    db.execute(delete(DeskSession).where(DeskSession.nonce_sha256 == _nonce_sha256(desk.nonce)))


def csrf_token(request: Request, desk: SignedCookie) -> str:
    return _sign(_secret(request), "csrf:" + desk.nonce)


def csrf_ok(request: Request, desk: SignedCookie, token: str | None) -> bool:
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
