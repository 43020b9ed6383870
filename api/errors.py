"""Failures the API reports to its callers, independent of HTTP."""

from __future__ import annotations


class ApiError(Exception):
    """A request that cannot be served; its message is for the caller."""


class NotFound(ApiError):
    """No such resource, or one the caller's organisation may not see."""


class Forbidden(ApiError):
    """The caller's role does not allow this, or the resource is read-only to them."""


class Conflict(ApiError):
    """The request clashes with the resource's current state."""
