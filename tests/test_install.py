"""Fresh installs are reproducible: one lock of exact versions that agrees with pyproject.toml,
used by the README's commands, .ci/run and the Dockerfile; .gitignore covers what they write."""

from __future__ import annotations

import re
import shlex
import subprocess
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker, default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

REPO = Path(__file__).resolve().parents[1]
LOCK = REPO / "requirements.lock"
PROJECT = "primary-care-commissioning"


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: int

    def applies(self) -> bool:
        return self.marker is None or self.marker.evaluate()


def read_lock(text: str) -> dict[str, Pin]:
    """The pins of a requirements file (``name==version [; marker]`` with ``--hash`` continuations)."""
    logical = re.sub(r"\\\n\s*", " ", text)
    pins: dict[str, Pin] = {}
    for line in logical.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        assert not line.startswith("-"), f"unexpected option in the lock: {line}"
        hashes = len(re.findall(r"--hash=sha256:[0-9a-f]{64}", line))
        requirement = Requirement(re.sub(r"\s--hash=\S+", "", line).strip())
        (specifier,) = list(requirement.specifier)
        assert specifier.operator == "==", f"not an exact pin: {line}"
        name = canonicalize_name(requirement.name)
        assert name not in pins, f"{name} is pinned twice"
        pins[name] = Pin(name, Version(specifier.version), requirement.marker, hashes)
    return pins


def project_requirements() -> list[Requirement]:
    """What the lock pins: the dependencies, the test tools and the build backend (the `build` group)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    project, build = pyproject["project"], pyproject["dependency-groups"]["build"]
    return [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["test"] + build]


def test_the_locked_build_backend_is_the_one_the_build_system_names() -> None:
    """The README's commands, .ci/run and the Dockerfile build the project with --no-build-isolation,
    from the build backend the lock installs, so the lock must pin what [build-system] requires."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["build-system"]["requires"] == pyproject["dependency-groups"]["build"]


def needed_by_project() -> set[str]:
    """Every distribution the project needs here (direct and transitive), from installed metadata."""
    needed: set[str] = set()
    seen: set[tuple[str, frozenset[str]]] = set()
    todo = [r for r in project_requirements() if r.marker is None or r.marker.evaluate({"extra": ""})]
    while todo:
        requirement = todo.pop()
        name, extras = canonicalize_name(requirement.name), frozenset(requirement.extras)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        needed.add(name)
        for text in metadata.distribution(name).requires or []:
            child = Requirement(text)
            if child.marker is None or any(child.marker.evaluate({"extra": e}) for e in {"", *extras}):
                child.marker = None
                todo.append(child)
    return needed


def disagreements(pins: dict[str, Pin], requirements: list[Requirement], needed: set[str]) -> list[str]:
    """Where the lock and pyproject.toml disagree (empty when they agree)."""
    problems = []
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        if not any(s.operator in ("<", "<=") for s in requirement.specifier):
            problems.append(f"{requirement}: no upper bound on the major version")
        if name not in pins:
            problems.append(f"{name}: in pyproject.toml but not in the lock")
        elif pins[name].version not in requirement.specifier:
            problems.append(f"{name}=={pins[name].version}: outside {requirement.specifier}")
    for missing in sorted(needed - set(pins)):
        problems.append(f"{missing}: needed but not in the lock")
    for pinned, pin in sorted(pins.items()):
        if pin.applies() and pinned not in needed:
            problems.append(f"{pinned}: a stray pin that nothing in pyproject.toml needs")
        if pin.hashes < 1:
            problems.append(f"{pinned}: no hash")
    return problems


def test_the_lock_and_pyproject_agree() -> None:
    assert disagreements(read_lock(LOCK.read_text()), project_requirements(), needed_by_project()) == []


def test_every_package_wanted_with_extras_is_pinned_with_them() -> None:
    """A package some locked package requires with extras (WeasyPrint: ``fonttools[woff]``) must be
    pinned with those extras (``uv pip compile --no-strip-extras``): otherwise pip's hash-checking
    install takes the newest release for the extra and refuses it as unpinned, so a dependency's new
    release broke the README's install."""
    lock = LOCK.read_text()
    pinned_extras = {
        canonicalize_name(requirement.name): requirement.extras
        for line in re.sub(r"\\\n\s*", " ", lock).splitlines()
        if (text := re.sub(r"\s--hash=\S+", "", line.split("#", 1)[0]).strip())
        for requirement in [Requirement(text)]
    }
    environment = {key: str(value) for key, value in default_environment().items()}
    environment["extra"] = ""  # the requirements every install takes, not those of an extra
    wanted: list[str] = []
    for dist in metadata.distributions():
        if canonicalize_name(dist.metadata["Name"]) not in pinned_extras:
            continue
        for text in dist.requires or []:
            requirement = Requirement(text)
            applies = requirement.marker is None or requirement.marker.evaluate(environment)
            name = canonicalize_name(requirement.name)
            if requirement.extras and applies and not requirement.extras <= pinned_extras.get(name, set()):
                wanted.append(f"{dist.metadata['Name']} wants {text}")
    assert wanted == [], "regenerate the lock with --no-strip-extras (README): " + "; ".join(wanted)


def test_the_environment_is_the_lock() -> None:
    pins = read_lock(LOCK.read_text())
    installed = {name: Version(metadata.version(name)) for name, pin in pins.items() if pin.applies()}
    assert {name: str(v) for name, v in installed.items() if v != pins[name].version} == {}, (
        "install with the README's commands (pip install -r requirements.lock)"
    )


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ("drop numpy", "numpy: in pyproject.toml but not in the lock"),
        ("numpy 0.1", "numpy==0.1: outside"),
        ("stray", "stray-package: a stray pin"),
        ("drop tzdata", "tzdata: needed but not in the lock"),
        ("unbounded", "no upper bound"),
    ],
)
def test_a_disagreement_is_caught(change: str, problem: str) -> None:
    pins = read_lock(LOCK.read_text())
    requirements = project_requirements()
    if change == "drop numpy":
        del pins["numpy"]
    elif change == "numpy 0.1":
        pins["numpy"] = Pin("numpy", Version("0.1"), None, 2)
    elif change == "stray":
        pins["stray-package"] = Pin("stray-package", Version("1.0"), None, 1)
    elif change == "drop tzdata":
        del pins["tzdata"]
    else:
        requirements = [Requirement("numpy>=1.26"), *requirements[1:]]
    problems = disagreements(pins, requirements, needed_by_project())
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(("lock", "problem"), [("numpy>=2", "exact"), ("numpy==2.4.6\nnumpy==2.4.7", "twice")])
def test_the_lock_reader_refuses_loose_or_repeated_pins(lock: str, problem: str) -> None:
    with pytest.raises(AssertionError, match=problem):
        read_lock(lock)


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.DOTALL)
    assert block, "README.md starts with a bash block of the two commands"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_ci_and_dockerfile_install_from_the_lock() -> None:
    install, test = readme_commands()[:2]
    for command in (install, test):
        assert "pip install -q -r requirements.lock" in command and "--no-deps --no-build-isolation" in command
    assert install.endswith("commission solve data/example_icb") and test.endswith("pytest -q")
    ci_lines = [line.strip() for line in (REPO / ".ci" / "run").read_text().splitlines()]
    assert ci_lines[-1] == test, ".ci/run must end by running exactly the README's test command"
    dockerfile = (REPO / "Dockerfile").read_text()
    assert "pip install --no-cache-dir -r requirements.lock" in dockerfile
    assert "pip install --no-cache-dir --no-deps --no-build-isolation ." in dockerfile


def test_gitignore_covers_what_the_commands_write() -> None:
    written = [
        ".venv/bin/python",
        "build/lib/x.py",
        "dist/x.whl",
        "primary_care_commissioning.egg-info/PKG-INFO",
        "sweep_out/sweep_budget.csv",
        "batch_example-results/summary.json",
        "batch-results/summary.csv",
        "out/summary.json",
        "results/practices.csv",
        ".icb.partial-1a2b3c4d/x.csv",
        "tiny.zip",
        "scenario.xlsx",
        "job-1.xlsx",
        "commission.db",
    ]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *written], cwd=REPO, capture_output=True, text=True, check=False
    )
    ignored = set(done.stdout.split())
    assert [path for path in written if path not in ignored] == []
    kept = ["data/tiny/settings.json", "requirements.lock", "api/static/redoc/redoc.standalone.js"]
    done = subprocess.run(["git", "check-ignore", "--no-index", *kept], cwd=REPO, capture_output=True, text=True)
    assert done.stdout.split() == []


def test_ci_installs_the_system_packages_the_tests_use() -> None:
    script = (REPO / ".ci" / "run").read_text()
    listed = script.split("SYSTEM_PACKAGES=(", 1)[1].split(")", 1)[0].split()
    # The browser tests drive Chromium, the report tests read PDFs back with pdftotext, WeasyPrint
    # needs Pango, and the Pyomo cross-check solves with GLPK.
    assert {"chromium", "poppler-utils", "libpango-1.0-0", "glpk-utils"} <= set(listed)
    assert "dpkg-query" in script and "apt-get install" in script
    shlex.split(script.splitlines()[-1])  # the test command is one well-formed shell line
