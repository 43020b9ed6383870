"""tests/require.py: a tool CI installs is skipped for off CI, and fails the test on CI."""

from __future__ import annotations

import pytest

from tests.require import require_or_skip


def test_a_missing_tool_fails_the_test_on_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"^pdftotext \(poppler-utils\) is not installed; CI installs it"):
        require_or_skip(False, "pdftotext (poppler-utils) is not installed")


def test_a_missing_tool_skips_the_test_off_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^pdftotext \(poppler-utils\) is not installed$"):
        require_or_skip(False, "pdftotext (poppler-utils) is not installed")
    monkeypatch.setenv("CI", "")  # set but empty, as some shells export it: not CI
    with pytest.raises(pytest.skip.Exception):
        require_or_skip(False, "pdftotext (poppler-utils) is not installed")


@pytest.mark.parametrize("ci", ["true", None])
def test_a_present_tool_neither_fails_nor_skips(monkeypatch: pytest.MonkeyPatch, ci: str | None) -> None:
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    require_or_skip(True, "never read")
