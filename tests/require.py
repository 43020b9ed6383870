"""Skip a test for a missing tool only off CI.

.ci/run installs every tool these tests read with (the console script, poppler-utils, GLPK,
Chromium) and the lock pins every package, so on CI a missing one is a broken install: there
the test fails, naming what is missing, instead of passing green by skipping. Off CI (the
``CI`` environment variable unset or empty) a developer without the tool still gets a skip.
PostgreSQL is not required this way: its tests skip wherever the server is unreachable.
"""

from __future__ import annotations

import os

import pytest


def on_ci() -> bool:
    return bool(os.environ.get("CI"))


def require_or_skip(available: bool, reason: str) -> None:
    """Return if `available`; otherwise fail on CI and skip elsewhere (in a test or at module level)."""
    if available:
        return
    if on_ci():
        pytest.fail(f"{reason}; CI installs it (.ci/run), so its absence is a broken install", pytrace=False)
    pytest.skip(reason, allow_module_level=True)
