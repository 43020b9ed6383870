"""API keys and what each role may do."""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from api.orm import JobKind, Role

KEY_SCHEME = "cmk"


@dataclass(frozen=True)
class NewKey:
    prefix: str
    secret_sha256: str
    token: str


def generate_key() -> NewKey:
    """A high-entropy token `cmk_<prefix>_<secret>`; only its hash is ever stored."""
    prefix = secrets.token_hex(6)
    token = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix=prefix, secret_sha256=hash_token(token), token=token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prefix_of(token: str) -> str | None:
    scheme, _, rest = token.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not prefix or not secret:
        return None
    return prefix


def token_matches(token: str, secret_sha256: str) -> bool:
    return hmac.compare_digest(hash_token(token), secret_sha256)


class Permission(enum.StrEnum):
    MANAGE_KEYS = "manage keys"
    READ_SCENARIOS = "read scenarios"
    WRITE_SCENARIOS = "create and change scenarios"
    SHARE_SCENARIOS = "share scenarios"
    READ_JOBS = "read jobs"
    RUN_CHECKS = "run checks"
    RUN_SOLVES = "run solves"
    RUN_SWEEPS = "run sweeps"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset({Permission.MANAGE_KEYS}),
    Role.COMMISSIONER: frozenset(set(Permission) - {Permission.MANAGE_KEYS}),
    Role.NEGOTIATOR: frozenset(
        {
            Permission.READ_SCENARIOS,
            Permission.WRITE_SCENARIOS,
            Permission.READ_JOBS,
            Permission.RUN_CHECKS,
            # The budget frontier answers the negotiator's 'what would it take'.
            Permission.RUN_SWEEPS,
        }
    ),
}

PERMISSION_TO_RUN: dict[JobKind, Permission] = {
    JobKind.CHECK: Permission.RUN_CHECKS,
    JobKind.SOLVE: Permission.RUN_SOLVES,
    JobKind.SWEEP: Permission.RUN_SWEEPS,
}


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its organisation and its role."""

    key_id: int
    organisation_id: int
    organisation_name: str
    role: Role

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]
