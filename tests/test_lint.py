"""The project's own code checks, as ``pyproject.toml`` configures them, kept clean by CI.

``ruff check`` (lint), ``ruff format --check`` (one layout for all Python) and ``mypy`` (the
``files`` it is given in pyproject.toml: every package, bench and the tests), each run as the
installed tool in a subprocess from the repository root, as a contributor runs them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
TOOLS = Path(sys.executable).parent


@pytest.mark.parametrize(
    "command",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_the_code_checks_are_clean(command: list[str]) -> None:
    tool = TOOLS / command[0]
    assert tool.exists(), f"{command[0]} is not installed beside {sys.executable} (it is in requirements.lock)"
    done = subprocess.run([str(tool), *command[1:]], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"`{' '.join(command)}` failed:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
