"""The documentation is self-contained: every Markdown link (and every `path.md` named in
code) resolves to a file inside the repository; nothing points at files a user does not have."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

REPO = Path(__file__).resolve().parents[1]
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "build", "dist", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
INLINE_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
CODE_MD_PATH = re.compile(r"`([^`\s]*\.md)`")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)


def markdown_files() -> list[Path]:
    """The repository's Markdown files (tracked or not, outside virtualenvs and caches)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        files = [REPO / name for name in listed]
    except (OSError, subprocess.CalledProcessError):
        files = list(REPO.rglob("*.md"))
    return sorted(p for p in files if p.exists() and not SKIP_DIRS & set(p.relative_to(REPO).parts))


def link_targets(text: str) -> list[str]:
    prose = FENCE.sub("", text)
    return INLINE_LINK.findall(prose) + REFERENCE_LINK.findall(prose) + HTML_LINK.findall(prose)


def problems_with(path: Path, text: str | None = None) -> list[str]:
    """What is wrong with the links of ``path`` (its ``text``, read from disk if not given)."""
    text = path.read_text(encoding="utf-8") if text is None else text
    problems = []
    for target in link_targets(text):
        parsed = urlparse(target)
        if parsed.scheme in ("http", "https", "mailto"):
            continue  # a public web page is not a file the user lacks
        if parsed.scheme or target.startswith(("/", "~", "\\")):
            problems.append(f"{target}: an absolute or non-web link")
            continue
        if not parsed.path:  # "#anchor" within the page
            continue
        resolved = (path.parent / unquote(parsed.path)).resolve()
        if not resolved.is_relative_to(REPO):
            problems.append(f"{target}: points outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file in the repository")
    for named in CODE_MD_PATH.findall(FENCE.sub("", text)):
        if "*" in named or "<" in named:
            continue
        candidates = [(path.parent / named).resolve(), (REPO / named).resolve()]
        if not any(c.is_relative_to(REPO) and c.exists() for c in candidates):
            problems.append(f"`{named}`: names a Markdown file the repository does not have")
    return [f"{path.relative_to(REPO)}: {problem}" for problem in problems]


def test_the_scan_finds_the_documents_and_their_links() -> None:
    files = {p.relative_to(REPO).as_posix() for p in markdown_files()}
    assert {"README.md", "docs/formulation.md", "docs/domain.md", "docs/api.md", "data/README.md"} <= files
    assert "docs/formulation.md" in link_targets((REPO / "README.md").read_text())


def test_no_markdown_link_leaves_the_repository_or_points_at_a_missing_file() -> None:
    problems = [problem for path in markdown_files() for problem in problems_with(path)]
    assert problems == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("see [the contract](../../shared/docs/formulation.md)", "points outside the repository"),
        ("see [notes](docs/nowhere.md)", "no such file"),
        ("see `shared/docs/domain.md`", "names a Markdown file"),
        ("see [local](file:///etc/passwd)", "absolute or non-web"),
        ("[ref]: /abs/path.md", "absolute or non-web"),
    ],
)
def test_the_scan_catches_links_out_of_the_repository(text: str, expected: str) -> None:
    problems = problems_with(REPO / "docs" / "probe.md", text + "\n")
    assert len(problems) == 1 and expected in problems[0], problems


def test_the_contract_and_domain_notes_are_the_projects_own() -> None:
    for name in ("formulation.md", "domain.md"):
        text = (REPO / "docs" / name).read_text(encoding="utf-8")
        assert "issue note" not in text and "shared/" not in text
    assert "## 4. Constraints" in (REPO / "docs" / "formulation.md").read_text(encoding="utf-8")
