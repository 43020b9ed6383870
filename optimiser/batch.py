"""Batches: many runs from one manifest, resumable, on a local process pool or a Dask cluster.

``commission batch MANIFEST`` reads a TOML or JSON manifest (see ``docs/batch.md``), expands
each entry's ``grid`` of overrides into runs with stable ids, and runs them through the one
execution layer (``optimiser.execution.make_executor``). Each run writes
``OUT/<run-id>/result.json`` (its result plus batch metadata) and its tables; the batch
writes ``OUT/summary.csv`` and ``OUT/summary.json``.

Resuming: a run is skipped when ``OUT/<run-id>/result.json`` says it succeeded with the
same *input hash* (hash of the scenario document read from disk, the kind, the overrides
and the code version). Run directories are assembled in a staging directory and renamed
into place with ``result.json`` written last, so a batch killed at any point leaves each
run either complete or absent, and a re-run does only what is missing.

Failures stay local: an invalid scenario, a solver error or a worker that dies fails that
run only. A dead local worker breaks the process pool; the batch then starts a new pool
and resubmits the runs that were in flight (at most ``MAX_ATTEMPTS`` times each). On Dask
the scheduler reschedules the tasks of a dead worker itself (``allowed-failures``). Losing the
scheduler itself is no run's failure: the batch stops (``SchedulerLost``) and the next invocation
runs what was unfinished.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import fcntl
import functools
import hashlib
import json
import logging
import math
import os
import re
import shutil
import sys
import time
import tomllib
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from typing import IO, Any, Protocol

from models.scenario import Problem, ScenarioInvalid, document_hash
from optimiser.execution import Interrupted, InterruptGuard
from optimiser.io import RepeatedKey, csv_cell, load_json_noting_repeated_keys, unreadable_json_number
from optimiser.runs import checked_override, kind_problems, plain_value, run_failed

KINDS = ("solve", "check", "sweep")
# Runs one manifest may make, its grids expanded (docs/batch.md): counted from the lists' lengths
# before any run is made, so a grid of millions is refused at once instead of filling memory.
MAX_MANIFEST_RUNS = 10_000
RESULT_FILE = "result.json"
SUMMARY_FILES = ("summary.csv", "summary.json")
# Held by the batch writing the results folder (``ResultsFolderLock``).
LOCK_FILE = ".batch.lock"
# Names the batch writes in its results folder beside the run folders: no run id may be one (its
# folder would stand where the summary is written). The rest it writes there (the lock, staging
# folders, temporary files) start with a dot, which no run id does (``_RUN_ID``).
OWN_NAMES = frozenset(name.lower() for name in SUMMARY_FILES)
SUMMARY_COLUMNS = (
    "run_id",
    "scenario",
    "kind",
    "overrides",
    "state",
    "cached",
    "status",
    "objective_value",
    "deliverable",
    "error",
    "seconds",
    "attempts",
    "input_hash",
    "result",
    "changed",
    "previous_status",
    "previous_objective_value",
    "previous_deliverable",
)
# A run's line in the JSON stream: its summary row less what the manifest and the folder already say.
RUN_EVENT_FIELDS = tuple(
    c for c in SUMMARY_COLUMNS if c not in ("scenario", "kind", "overrides", "input_hash", "result")
)
# What a run's answer is, for "what changed since the last batch": status, objective, verdict.
ANSWER = ("status", "objective_value", "deliverable")
# Objective values closer than this (relative) are the same answer: a re-solve of the same
# inputs may differ in the last digits.
SAME_OBJECTIVE = 1e-9
# How often a run is resubmitted after the local pool broke under it.
MAX_ATTEMPTS = 3
# Runs in flight per worker: enough to keep workers busy, few enough to bound memory.
IN_FLIGHT_PER_WORKER = 2
DASK_IN_FLIGHT = 64
POLL_S = 0.05
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._=-]*$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


# --- the manifest --------------------------------------------------------------------------


class ManifestInvalid(ValueError):
    """The manifest cannot be run; ``problems`` name the entry and field of each problem."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"invalid batch manifest {path}: " + "; ".join(problems))


@dataclass(frozen=True)
class RunSpec:
    """One run of a batch, after grid expansion."""

    run_id: str
    scenario: Path  # absolute
    scenario_text: str  # as written in the manifest
    kind: str
    overrides: dict[str, Any]
    entry: str  # e.g. "runs[2]", for messages


@dataclass
class Manifest:
    path: Path
    runs: list[RunSpec]
    out: Path | None = None


def _check_override(key: str, value: Any) -> tuple[Any, str | None]:
    """The value as the run will read it, or the shared check's message (``optimiser.runs``)."""
    try:
        return checked_override(key, value), None
    except ValueError as error:
        return value, str(error)


def grid_run_id(base: str, point: dict[str, Any]) -> str:
    """``base--key=value--key=value`` with keys sorted, unsafe characters replaced by ``_``."""
    parts = [base] + [f"{key}={plain_value(point[key])}" for key in sorted(point)]
    return _UNSAFE.sub("_", "--".join(parts))


def load_manifest(path: str | Path) -> Manifest:
    """Read and check a manifest; raise ``ManifestInvalid`` naming every problem found."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ManifestInvalid(path, [f"cannot read the manifest: {error.strerror or error}"]) from None
    except UnicodeDecodeError:
        raise ManifestInvalid(path, ["the manifest is not UTF-8 text"]) from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            raw: Any = tomllib.loads(text)
        elif suffix == ".json":
            raw, repeated = load_json_noting_repeated_keys(text)
        else:
            raise ManifestInvalid(path, [f"the manifest must be a .toml or .json file (got {path.name!r})"])
    except tomllib.TOMLDecodeError as error:
        raise ManifestInvalid(path, [f"not valid TOML: {error}"]) from None
    except json.JSONDecodeError as error:
        raise ManifestInvalid(path, [f"not valid JSON: {error.msg} at line {error.lineno}"]) from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise ManifestInvalid(path, [f"not valid JSON: {unreadable_json_number(error)}"]) from None
    except RecursionError:
        raise ManifestInvalid(path, ["the manifest is nested too deeply to read"]) from None
    if suffix == ".json" and repeated:  # TOML refuses a repeated key itself
        raise ManifestInvalid(path, [_repeated_key_problem(repeat, raw) for repeat in repeated])
    return parse_manifest(raw, path)


def _repeated_key_problem(repeat: RepeatedKey, raw: Any) -> str:
    """``runs[0] (id 't'), field overrides.budget_gbp: is given more than once …``, as other problems read."""
    match repeat.path:
        case ("runs", int(position), *inner):
            where = f"runs[{position}]"
            entry = raw["runs"][position]
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                where += f" (id {entry['id']!r})"
        case (str(table), *inner):
            where = table
        case _:
            where, inner = "top level", []
    # quoted as a plain field name is in the other problems ("field 'kind'", "field overrides.budget_gbp")
    field = ".".join(str(step) for step in (*inner, repeat.key)) if inner else repr(repeat.key)
    return f"{where}, field {field}: {repeat.message}"


def parse_manifest(raw: Any, path: Path) -> Manifest:
    """Check a manifest already parsed from TOML/JSON; scenario paths are relative to ``path``'s folder."""
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ManifestInvalid(path, ["the manifest must be a table/object with a 'runs' list"])
    for key in raw:
        if key not in ("runs", "defaults", "out"):
            problems.append(f"top level, field {key!r}: unknown field (known: runs, defaults, out)")
    out: Path | None = None
    if "out" in raw:
        if isinstance(raw["out"], str) and raw["out"].strip():
            out = (path.parent / raw["out"]).resolve()
        else:
            problems.append(f"top level, field 'out': must be a folder path (got {raw['out']!r})")

    defaults = raw.get("defaults", {})
    default_kind = "solve"
    default_overrides: dict[str, Any] = {}
    if not isinstance(defaults, dict):
        problems.append("defaults: must be a table/object with 'kind' and/or 'overrides'")
        defaults = {}
    for key in defaults:
        if key not in ("kind", "overrides"):
            problems.append(f"defaults, field {key!r}: unknown field (known: kind, overrides)")
    if "kind" in defaults:
        if defaults["kind"] in KINDS:
            default_kind = defaults["kind"]
        else:
            problems.append(f"defaults, field 'kind': must be one of {', '.join(KINDS)} (got {defaults['kind']!r})")
    if "overrides" in defaults:
        if isinstance(defaults["overrides"], dict):
            default_overrides = dict(defaults["overrides"])
        else:
            problems.append("defaults, field 'overrides': must be a table/object of override values")

    runs_raw = raw.get("runs")
    if not isinstance(runs_raw, list) or not runs_raw:
        problems.append("top level, field 'runs': must be a non-empty list of runs ([[runs]] in TOML)")
        raise ManifestInvalid(path, problems)

    runs: list[RunSpec] = []
    seen: dict[str, tuple[str, str]] = {}  # by id in lower case: (id, entry)
    planned = 0  # runs of the entries so far that are otherwise valid
    for position, entry in enumerate(runs_raw):
        where = f"runs[{position}]"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table/object with at least 'scenario'")
            continue
        if isinstance(entry.get("id"), str):
            where += f" (id {entry['id']!r})"
        entry_problems: list[str] = []
        for key in entry:
            if key not in ("id", "scenario", "kind", "overrides", "grid"):
                entry_problems.append(
                    f"{where}, field {key!r}: unknown field (known: id, scenario, kind, overrides, grid)"
                )
        scenario_text = entry.get("scenario")
        if not isinstance(scenario_text, str) or not scenario_text.strip():
            entry_problems.append(f"{where}, field 'scenario': required, a path relative to the manifest")
            scenario_text = ""
        kind = entry.get("kind", default_kind)
        if kind not in KINDS:
            entry_problems.append(f"{where}, field 'kind': must be one of {', '.join(KINDS)} (got {kind!r})")
            kind = "solve"
        base_id = entry.get("id")
        if base_id is None:
            base_id = _UNSAFE.sub("_", Path(scenario_text).stem) if scenario_text else ""
        if not isinstance(base_id, str) or not _RUN_ID.match(base_id):
            entry_problems.append(
                f"{where}, field 'id': must start with a letter or digit and use only letters, digits, . _ = - "
                f"(got {base_id!r})"
            )
        overrides_raw = entry.get("overrides", {})
        if not isinstance(overrides_raw, dict):
            entry_problems.append(f"{where}, field 'overrides': must be a table/object of override values")
            overrides_raw = {}
        overrides: dict[str, Any] = {}
        for key, value in {**default_overrides, **overrides_raw}.items():
            source = "overrides" if key in overrides_raw else "defaults.overrides"
            normalised, message = _check_override(key, value)
            if message:
                entry_problems.append(f"{where}, field {source}.{key}: {message}")
            overrides[key] = normalised
        grid_raw = entry.get("grid", {})
        grid: dict[str, list[Any]] = {}
        if not isinstance(grid_raw, dict):
            entry_problems.append(f"{where}, field 'grid': must be a table/object of lists of override values")
            grid_raw = {}
        lists: dict[str, list[Any]] = {}
        for key, values in grid_raw.items():
            if key in overrides_raw:
                entry_problems.append(f"{where}, field grid.{key}: also given in overrides; give it in one place")
                continue
            if not isinstance(values, list) or not values:
                entry_problems.append(f"{where}, field grid.{key}: must be a non-empty list of values")
                continue
            lists[key] = values
        # The grid's size from its lists' lengths, before a value is checked or a run made: a list
        # pasted into another key must not take gigabytes and minutes to be refused.
        size = math.prod(len(values) for values in lists.values())
        if size > MAX_MANIFEST_RUNS:
            entry_problems.append(_grid_too_large(where, lists, size))
            lists = {key: values[:1] for key, values in lists.items()}  # enough for the kind's checks
        for key, values in lists.items():
            checked = []
            for index, value in enumerate(values):
                normalised, message = _check_override(key, value)
                if message:
                    entry_problems.append(f"{where}, field grid.{key}[{index}]: {message}")
                checked.append(normalised)
            if size <= MAX_MANIFEST_RUNS and len({json.dumps(v) for v in checked}) != len(checked):
                entry_problems.append(f"{where}, field grid.{key}: repeats a value")
            grid[key] = checked
        # Which overrides go with which kind depends on the keys alone: one grid point stands for all.
        for problem in kind_problems(kind, {**overrides, **{key: values[0] for key, values in grid.items()}}):
            if problem.column is None:
                entry_problems.append(f"{where}: {problem.message}")
            else:
                source = "grid" if problem.column in grid_raw else "overrides"
                if problem.column not in grid_raw and problem.column not in overrides_raw:
                    source = "defaults.overrides"
                entry_problems.append(f"{where}, field {source}.{problem.column}: {problem.message}")
        if entry_problems:
            # Without a grid the run's id is known whatever else is wrong: a repeat is listed too,
            # so every problem is named at once (docs/batch.md).
            if not grid_raw and isinstance(base_id, str) and _RUN_ID.match(base_id):
                entry_problems.extend(_id_problems(where, base_id, seen))
            problems.extend(entry_problems)
            continue
        planned += size
        if planned > MAX_MANIFEST_RUNS:
            continue  # refused below, once the whole manifest is counted
        scenario = (path.parent / scenario_text).resolve()
        keys = list(grid)
        for values in product(*(grid[k] for k in keys)) if keys else [()]:
            point = dict(zip(keys, values, strict=True))
            run_id = grid_run_id(base_id, point) if point else base_id
            id_problems = _id_problems(where, run_id, seen)
            if id_problems:
                problems.extend(id_problems)
                continue
            runs.append(RunSpec(run_id, scenario, scenario_text, kind, {**overrides, **point}, where))
    if planned > MAX_MANIFEST_RUNS:
        problems.append(
            f"top level, field 'runs': the runs and grids make {planned:,} runs together; "
            f"a manifest may make at most {MAX_MANIFEST_RUNS:,} (split it into several manifests)"
        )
    if problems:
        raise ManifestInvalid(path, problems)
    return Manifest(path=path, runs=runs, out=out)


def _grid_too_large(where: str, lists: dict[str, list[Any]], size: int) -> str:
    """``runs[0] (id 'g'), field 'grid': budget_gbp (2,000 values) x … make 4,000,000 runs; …``."""
    factors = " x ".join(f"{key} ({len(values):,} values)" for key, values in lists.items())
    return (
        f"{where}, field 'grid': {factors} make {size:,} runs; a manifest may make at most "
        f"{MAX_MANIFEST_RUNS:,} (shorten the lists, or split the grid across manifests)"
    )


def _id_problems(where: str, run_id: str, seen: dict[str, tuple[str, str]]) -> list[str]:
    """What keeps ``run_id`` from having a folder of its own in the results folder; else it is
    noted in ``seen``. Ids are compared in lower case: on macOS and Windows ``Tiny`` and ``tiny``
    are one folder, and ``Summary.csv`` is ``summary.csv``."""
    key = run_id.lower()
    if key in OWN_NAMES:
        return [
            f"{where}, field 'id': {run_id!r} is the name of a file the batch writes in its results folder "
            f"({', '.join(SUMMARY_FILES)}); choose another id"
        ]
    if key not in seen:
        seen[key] = (run_id, where)
        return []
    first_id, first = seen[key]
    if first_id == run_id:
        return [f"{where}, field 'id': run id {run_id!r} is already used by {first}"]
    return [
        f"{where}, field 'id': run id {run_id!r} differs only in case from {first_id!r} of {first}; "
        "they would share a folder on macOS and Windows"
    ]


# --- hashing ---------------------------------------------------------------------------------


# Modules that cannot change a run's answer; edits to them keep earlier results valid.
_NOT_ENGINE = frozenset({"cli.py", "batch.py", "execution.py"})


@functools.cache
def code_version() -> str:
    """Package version + hash of the engine's source (models/, optimiser/) + solver versions."""
    import pyomo.version

    import models
    import optimiser
    from optimiser.programme import solver_name

    try:
        from importlib.metadata import version

        package = version("primary-care-commissioning")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        package = "unknown"
    digest = hashlib.sha256()
    for package_module in (models, optimiser):
        root = Path(str(package_module.__file__)).parent
        for source in sorted(root.rglob("*.py")):
            if source.name in _NOT_ENGINE:
                continue
            digest.update(str(source.relative_to(root.parent)).encode())
            digest.update(source.read_bytes())
    digest.update(f"highs {solver_name()['version']} pyomo {pyomo.version.version}".encode())
    return f"{package}+{digest.hexdigest()[:12]}"


def input_hash(scenario_hash: str, kind: str, overrides: dict[str, Any], version: str) -> str:
    """What decides a run's answer: scenario document, kind, overrides and code version."""
    payload = {"scenario": scenario_hash, "kind": kind, "overrides": overrides, "code": version}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- the task run on a worker --------------------------------------------------------------


def execute_run(
    kind: str, document: dict[str, Any], overrides: dict[str, Any], stage: str | None = None
) -> dict[str, Any]:
    """Run one job on a worker. Never raises for bad input or solver outcomes; returns a payload.

    With ``stage`` (a folder on a file system the batch process shares: local workers), the
    worker writes the result tables there itself, so large tables are neither sent back nor
    written one run at a time by the batch process; otherwise the tables come back in the payload.
    """
    started = time.perf_counter()
    try:
        from optimiser.runs import run_job

        job = run_job(kind, document, overrides)
        if stage is not None and job.tables:
            from optimiser.io import write_results

            write_results(job.tables, job.result, Path(stage))
            return {"ok": True, "result": job.result, "staged": stage, "seconds": time.perf_counter() - started}
    except ScenarioInvalid as invalid:
        return {
            "ok": False,
            "error": "invalid scenario: "
            + "; ".join(str(p) for p in invalid.problems[:20])
            + (f"; ... and {len(invalid.problems) - 20} more" if len(invalid.problems) > 20 else ""),
            "problems": [p.as_dict() for p in invalid.problems],
            "seconds": time.perf_counter() - started,
        }
    except Exception as error:  # noqa: BLE001 - one run's failure must not stop the batch
        return {"ok": False, "error": f"{type(error).__name__}: {error}", "seconds": time.perf_counter() - started}
    return {"ok": True, "result": job.result, "tables": job.tables, "seconds": time.perf_counter() - started}


# --- writing -----------------------------------------------------------------------------------


def _write_json_atomic(target: Path, payload: Any) -> None:
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    with temp.open("w", encoding="utf-8") as handle:
        json.dump(payload, handle, indent=2, default=_json_default)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, target)


def _json_default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def staging_folder(out_dir: Path, run_id: str) -> Path:
    return out_dir / f".{run_id}.partial-{uuid.uuid4().hex[:8]}"


def write_run(
    out_dir: Path, run_id: str, result: dict[str, Any], tables: dict[str, Any], staged: Path | None = None
) -> Path:
    """Assemble the run's folder in a staging folder (result.json last) and rename it into place.

    ``staged``: a staging folder a worker already wrote the tables into.
    """
    from optimiser.io import write_results

    stage = staged or staging_folder(out_dir, run_id)
    stage.mkdir(parents=True, exist_ok=True)
    if tables:
        write_results(tables, result, stage)
    _write_json_atomic(stage / RESULT_FILE, result)
    final = out_dir / run_id
    old = None
    if final.exists():
        old = out_dir / f".{run_id}.old-{uuid.uuid4().hex[:8]}"
        final.rename(old)
    stage.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return final / RESULT_FILE


def clean_staging(out_dir: Path) -> None:
    """Remove what a killed batch left half-written."""
    if not out_dir.is_dir():
        return
    for leftover in out_dir.glob(".*.partial-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out_dir.glob(".*.old-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in out_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)


class ResultsFolderBusy(Exception):
    """Another batch holds the results folder's lock; ``holder``: its process id, if it wrote one yet."""

    def __init__(self, folder: Path, holder: str):
        self.folder = folder
        self.holder = holder
        by = f"another batch (process {holder})" if holder.isdigit() else "another batch"
        super().__init__(
            f"{folder} is in use by {by}; nothing was run. Run this batch when that one has finished, "
            "or give it another results folder"
        )


class ResultsFolderLock:
    """An OS lock (``flock``) on ``OUT/.batch.lock`` while a batch writes ``OUT``: a second batch
    into the same folder is refused at once (``ResultsFolderBusy``) instead of doing every run
    again beside the first. The OS lets go of the lock when its process dies however it dies, so
    a killed batch leaves nothing that blocks the next one (which resumes it)."""

    def __init__(self, folder: Path):
        self.path = folder / LOCK_FILE
        self.fd: int | None = None

    def __enter__(self) -> ResultsFolderLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 32).decode("ascii", errors="replace").strip()
                os.close(fd)
                raise ResultsFolderBusy(self.path.parent, holder) from None
            # A batch removes the file as it lets go (``__exit__``): a lock on a file no longer
            # at the path guards nothing, so take the one there now.
            with contextlib.suppress(FileNotFoundError):
                if os.path.samestat(os.fstat(fd), os.stat(self.path)):
                    break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return self

    def __exit__(self, *_: object) -> None:
        if self.fd is not None:
            # Removed while still held, so a batch that opened it meanwhile finds it gone and retries.
            self.path.unlink(missing_ok=True)
            os.close(self.fd)
            self.fd = None


def read_previous(out_dir: Path, run_id: str) -> dict[str, Any] | None:
    try:
        previous = json.loads((out_dir / run_id / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return previous if isinstance(previous, dict) else None


# --- progress ----------------------------------------------------------------------------------


class Reporter(Protocol):
    def start(self, total: int, cached: int) -> None: ...

    def advance(self, record: dict[str, Any], done: int, total: int) -> None: ...

    def finish(self, counts: dict[str, int]) -> None: ...

    def interrupted(self, signal_name: str, done: int, total: int) -> None: ...


class JsonLinesReporter:
    """One JSON object per line (for schedulers' logs): start, one per run, end."""

    def __init__(self, stream: IO[str] | None = None):
        self.stream = stream

    def _emit(self, payload: dict[str, Any]) -> None:
        stream = self.stream or sys.stderr
        payload = {"time": datetime.now(UTC).isoformat(timespec="seconds"), **payload}
        stream.write(json.dumps(payload, default=_json_default) + "\n")
        stream.flush()

    def start(self, total: int, cached: int) -> None:
        self._emit({"event": "start", "total": total, "cached": cached})

    def advance(self, record: dict[str, Any], done: int, total: int) -> None:
        self._emit({"event": "run", "done": done, "total": total, **{k: record.get(k) for k in RUN_EVENT_FIELDS}})

    def finish(self, counts: dict[str, int]) -> None:
        self._emit({"event": "end", **counts})

    def interrupted(self, signal_name: str, done: int, total: int) -> None:
        self._emit({"event": "interrupted", "signal": signal_name, "done": done, "total": total})

    def error(self, message: str) -> None:
        """The closing line of a batch that stopped on an unexpected failure (exit 1)."""
        self._emit({"event": "error", "status": "error", "message": message})

    def invalid(self, problems: list[Problem]) -> None:
        """An invalid manifest or command line, answered as other commands answer invalid input:
        ``{"status": "invalid", "problems": [...]}``."""
        self._emit({"event": "invalid", "status": "invalid", "problems": [p.as_dict() for p in problems]})


class RichReporter:
    """A progress bar on a terminal, with a line per failed run."""

    def __init__(self, console: Any):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.progress = Progress(
            TextColumn("[bold]batch[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("{task.fields[last]}"),
            console=console,
            transient=False,
        )
        self.task: Any = None
        self.failed = 0

    def start(self, total: int, cached: int) -> None:  # noqa: ARG002 - the Reporter protocol's signature
        self.progress.start()
        self.task = self.progress.add_task("batch", total=total, failed=0, last="")

    def advance(self, record: dict[str, Any], done: int, total: int) -> None:  # noqa: ARG002 - Reporter's signature
        if record["state"] == "failed":
            self.failed += 1
            from rich.markup import escape

            message = f"[red]failed[/] {escape(record['run_id'])}: {escape(str(record.get('error')))}"
            self.progress.console.print(message)
        self.progress.update(self.task, completed=done, failed=self.failed, last=record["run_id"])

    def finish(self, counts: dict[str, int]) -> None:  # noqa: ARG002 - the Reporter protocol's signature
        self.progress.stop()

    def error(self, message: str) -> None:  # noqa: ARG002 - the caller prints the words below the bar
        """A batch that stopped on a failure after it began: the bar ends where it stopped."""
        self.progress.stop()

    def interrupted(self, signal_name: str, done: int, total: int) -> None:
        self.progress.stop()
        self.console.print(
            f"[bold red]interrupted[/] ({signal_name}) after {done} of {total} runs; "
            "run the same command again to resume",
            highlight=False,
        )


# --- losing the Dask scheduler ---------------------------------------------------------------


class SchedulerLost(Exception):
    """The batch lost its connection to the Dask scheduler at ``address`` with ``unfinished`` of
    ``total`` runs not done. Not the runs' failure: none is recorded as failed, and the next
    invocation runs them (docs/batch.md: the stream ends with an ``error`` event, exit 1)."""

    def __init__(self, address: str, unfinished: int, total: int):
        self.address = address
        self.unfinished = unfinished
        self.total = total
        super().__init__(f"lost the Dask scheduler at {address}")


def scheduler_lost(error: BaseException, future: Any = None) -> bool:
    """Whether a Dask run (``future``) or submission failed because the client lost its scheduler.
    The client cancels the runs in flight for "scheduler-connection-lost"; runs submitted while it
    tries to reconnect are cancelled (for no reason given) when it gives up and closes; a closed
    client refuses new runs (``ClosedClientError``)."""
    from distributed.client import ClosedClientError, FutureCancelledError
    from distributed.comm import CommClosedError

    if isinstance(error, FutureCancelledError):
        client_status = getattr(getattr(future, "client", None), "status", "running")
        return error.reason == "scheduler-connection-lost" or client_status != "running"
    return isinstance(error, CommClosedError | ClosedClientError)


class _NoReconnectionNoise(logging.Filter):
    """Closing a Dask client that is trying to reconnect to a lost scheduler ends that attempt,
    which ``distributed.client`` logs as an error: two chained tracebacks of the cancelled attempt,
    or "Failed to reconnect to scheduler after 30.00 seconds" however soon it was closed. A batch
    says what happened itself (its ``error`` event), so those records are dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        cancelled = record.exc_info is not None and isinstance(record.exc_info[1], asyncio.CancelledError)
        return not (cancelled or str(record.msg).startswith("Failed to reconnect to scheduler"))


def _quiet_dask_reconnection() -> None:
    """Install ``_NoReconnectionNoise`` once. It stays: the client logs from its own thread."""
    client_log = logging.getLogger("distributed.client")
    if not any(isinstance(f, _NoReconnectionNoise) for f in client_log.filters):
        client_log.addFilter(_NoReconnectionNoise())


# --- the batch ---------------------------------------------------------------------------------


@dataclass
class BatchReport:
    out_dir: Path
    records: list[dict[str, Any]]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.counts.get("failed") else 0


class _DocumentCache:
    """Documents read from disk, by path; a few kept so grid runs of one scenario read it once."""

    def __init__(self, size: int = 2):
        self.size = size
        self.items: OrderedDict[Path, tuple[dict[str, Any], str]] = OrderedDict()
        self.hashes: dict[Path, str] = {}

    def get(self, path: Path) -> tuple[dict[str, Any], str]:
        from optimiser.io import read_document

        if path in self.items:
            self.items.move_to_end(path)
            return self.items[path]
        document = read_document(path)
        digest = document_hash(document)
        self.hashes[path] = digest
        self.items[path] = (document, digest)
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return document, digest

    def hash(self, path: Path) -> str:
        if path not in self.hashes:
            self.get(path)
        return self.hashes[path]


def _base_record(spec: RunSpec) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "scenario": spec.scenario_text,
        "kind": spec.kind,
        "overrides": spec.overrides,
        "state": None,
        "cached": False,
        "status": None,
        "objective_value": None,
        "deliverable": None,
        "error": None,
        "seconds": None,
        "attempts": 0,
        "input_hash": None,
        "result": f"{spec.run_id}/{RESULT_FILE}",
        "changed": None,
        "previous_status": None,
        "previous_objective_value": None,
        "previous_deliverable": None,
    }


def previous_answer(previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """The answer a run's folder held before this batch (status, objective, verdict), or None."""
    if not previous:
        return None
    return {key: previous.get(key) for key in ANSWER}


def _same_objective(before: Any, now: Any) -> bool:
    if isinstance(before, int | float) and isinstance(now, int | float):
        return abs(float(now) - float(before)) <= SAME_OBJECTIVE * max(abs(float(before)), abs(float(now)), 1.0)
    return bool(before == now)


def with_changes(record: dict[str, Any], before: dict[str, Any] | None) -> dict[str, Any]:
    """The record with the previous answer and whether this one differs from it (``changed``:
    None when the run had no answer before)."""
    if before is None:
        return record
    record.update({f"previous_{key}": before[key] for key in ANSWER})
    record["changed"] = not (
        before["status"] == record["status"]
        and before["deliverable"] == record["deliverable"]
        and _same_objective(before["objective_value"], record["objective_value"])
    )
    return record


def _record_from_result(record: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    batch = result.get("batch", {})
    record.update(
        state=batch.get("state"),
        status=result.get("status"),
        objective_value=result.get("objective_value"),
        deliverable=result.get("deliverable"),
        error=batch.get("error"),
        seconds=batch.get("seconds"),
        attempts=batch.get("attempts", record["attempts"]),
        input_hash=batch.get("input_hash"),
    )
    return record


ExecutorFactory = Callable[[], Any]
Task = Callable[..., dict[str, Any]]  # (kind, document, overrides[, stage]) -> payload


def run_batch(
    manifest: Manifest,
    out_dir: Path,
    *,
    workers: int | None = None,
    dask_address: str | None = None,
    force: bool = False,
    reporter: Reporter | None = None,
    executor_factory: ExecutorFactory | None = None,
    task: Task = execute_run,
    guard: InterruptGuard | None = None,
) -> BatchReport:
    """Run every run of ``manifest`` not already done; write results and the summaries.

    ``executor_factory`` (default: ``optimiser.execution.make_executor(workers, dask_address)``)
    and ``task`` (default: :func:`execute_run`) are there for tests and embedding.

    With ``guard`` (the command line's), SIGINT/SIGTERM stop the batch: the pool's workers are
    terminated, staging folders removed, the reporter's ``interrupted`` event emitted, and
    ``Interrupted`` re-raised; results are renamed into place inside ``guard.deferred()``, so
    every run is complete or absent, and the summaries are not written.
    """
    reporter = reporter or JsonLinesReporter()
    done: list[dict[str, Any]] = []
    try:
        return _run_batch(
            manifest, Path(out_dir), workers, dask_address, force, reporter, executor_factory, task, guard, done
        )
    except Interrupted as interrupted:
        clean_staging(Path(out_dir))
        reporter.interrupted(interrupted.signal_name, len(done), len(manifest.runs))
        raise
    except SchedulerLost:
        clean_staging(Path(out_dir))
        raise


def _run_batch(
    manifest: Manifest,
    out_dir: Path,
    workers: int | None,
    dask_address: str | None,
    force: bool,
    reporter: Reporter,
    executor_factory: ExecutorFactory | None,
    task: Task,
    guard: InterruptGuard | None,
    finished: list[dict[str, Any]],
) -> BatchReport:
    from optimiser.execution import DASK_ADDRESS_VARIABLE, make_executor

    out_dir.mkdir(parents=True, exist_ok=True)
    clean_staging(out_dir)
    critical = guard.deferred if guard is not None else contextlib.nullcontext
    version = code_version()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    documents = _DocumentCache()
    records: dict[str, dict[str, Any]] = {}
    pending: deque[tuple[RunSpec, str]] = deque()  # (spec, input hash)
    answers: dict[str, dict[str, Any] | None] = {}  # each run's answer before this batch

    def finish(spec: RunSpec, record: dict[str, Any]) -> None:
        with_changes(record, answers.get(spec.run_id))
        records[spec.run_id] = record
        finished.append(record)
        reporter.advance(record, len(finished), len(manifest.runs))

    def fail(spec: RunSpec, record: dict[str, Any], error: str, extra: dict[str, Any] | None = None) -> None:
        result = {
            "kind": spec.kind,
            "status": "failed",
            **(extra or {}),
            "batch": _batch_meta(spec, record, "failed", error, version),
        }
        with critical():
            write_run(out_dir, spec.run_id, result, {})
            finish(spec, _record_from_result(record, result))

    # Plan: which runs are done already (same inputs), which fail before they start.
    cached: list[tuple[RunSpec, dict[str, Any]]] = []
    early_failures: list[tuple[RunSpec, str, dict[str, Any]]] = []
    for spec in manifest.runs:
        before = read_previous(out_dir, spec.run_id)
        answers[spec.run_id] = previous_answer(before)
        try:
            digest = input_hash(documents.hash(spec.scenario), spec.kind, spec.overrides, version)
        except ScenarioInvalid as invalid:
            problems = [p.as_dict() for p in invalid.problems]
            early_failures.append((spec, "; ".join(map(str, invalid.problems)), {"problems": problems}))
            continue
        except OSError as error:
            early_failures.append((spec, f"cannot read scenario: {error}", {}))
            continue
        previous = None if force else before
        batch = (previous or {}).get("batch", {})
        # Judged again by this rule, not only by the state it was written with: a run an earlier
        # version counted as succeeded without an answer (a check with no verdict) is run again.
        if (
            previous
            and batch.get("input_hash") == digest
            and batch.get("state") == "succeeded"
            and run_failed(previous) is None
        ):
            cached.append((spec, previous))
        else:
            pending.append((spec, digest))

    reporter.start(len(manifest.runs), len(cached))
    for spec, previous in cached:
        record = _record_from_result(_base_record(spec), previous)
        record["cached"] = True
        finish(spec, record)
    for spec, message, extra in early_failures:
        fail(spec, _base_record(spec), message, extra)

    if pending:
        address = dask_address or os.environ.get(DASK_ADDRESS_VARIABLE)
        window = DASK_IN_FLIGHT if address else IN_FLIGHT_PER_WORKER * (workers or os.cpu_count() or 1)

        def factory() -> Any:
            return executor_factory() if executor_factory else make_executor(workers, dask_address)

        if address:
            _quiet_dask_reconnection()
        executor = factory()
        interrupted: Interrupted | None = None
        lost: SchedulerLost | None = None

        def check_scheduler(error: Exception, future: Any = None) -> None:
            """Raise ``SchedulerLost`` if ``error`` means the scheduler went away: the runs in flight
            were cancelled by the client, not failed, so none is recorded (and none cancelled again)."""
            nonlocal lost
            if address and scheduler_lost(error, future):
                lost = SchedulerLost(address, len(manifest.runs) - len(finished), len(manifest.runs))
                raise lost from None

        attempts: dict[str, int] = {}
        in_flight: dict[str, tuple[RunSpec, str, Any]] = {}
        try:
            while pending or in_flight:
                while pending and len(in_flight) < window:
                    spec, digest = pending.popleft()
                    try:
                        document, _ = documents.get(spec.scenario)
                    except (ScenarioInvalid, OSError) as error:
                        fail(spec, _base_record(spec), f"cannot read scenario: {error}")
                        continue
                    stage_args = () if address else (str(staging_folder(out_dir, spec.run_id)),)
                    try:
                        future = executor.submit(task, spec.kind, document, spec.overrides, *stage_args)
                    except BrokenProcessPool:
                        # A worker died since the last look: runs in flight will report it;
                        # with none in flight, start a new pool at once.
                        pending.appendleft((spec, digest))
                        if in_flight:
                            break
                        _shutdown(executor)
                        executor = factory()
                        continue
                    except Exception as error:
                        check_scheduler(error)
                        raise
                    attempts[spec.run_id] = attempts.get(spec.run_id, 0) + 1
                    in_flight[spec.run_id] = (spec, digest, future)
                done = [run_id for run_id, (_, _, future) in in_flight.items() if future.done()]
                if not done:
                    time.sleep(POLL_S)
                    continue
                broken = False
                for run_id in done:
                    spec, digest, future = in_flight.pop(run_id)
                    record = _base_record(spec)
                    record["input_hash"] = digest
                    record["attempts"] = attempts[run_id]
                    try:
                        payload = future.result()
                    except BrokenProcessPool:
                        broken = True
                        if attempts[run_id] < MAX_ATTEMPTS:
                            pending.appendleft((spec, digest))
                        else:
                            fail(spec, record, f"the worker process died ({attempts[run_id]} attempts)")
                        continue
                    except Exception as error:  # noqa: BLE001 - e.g. Dask's KilledWorker
                        check_scheduler(error, future)
                        fail(spec, record, f"{type(error).__name__}: {error}")
                        continue
                    with critical():
                        _finish_payload(spec, record, payload, out_dir, version, finish, fail)
                if broken:
                    # Every run still in the broken pool fails with it: resubmit them on a new pool.
                    for run_id, (spec, digest, _) in list(in_flight.items()):
                        del in_flight[run_id]
                        if attempts[run_id] < MAX_ATTEMPTS:
                            pending.appendleft((spec, digest))
                        else:
                            record = _base_record(spec)
                            record.update(input_hash=digest, attempts=attempts[run_id])
                            fail(spec, record, f"the worker process died ({attempts[run_id]} attempts)")
                    _shutdown(executor)
                    executor = factory()
        except Interrupted as signal_received:
            interrupted = signal_received
            raise
        finally:
            # A lost scheduler's client has cancelled its runs; asking it again would wait for the scheduler.
            for _, _, future in in_flight.values() if lost is None else ():
                future.cancel()
            if interrupted is not None:
                from optimiser.execution import terminate_workers

                terminate_workers(executor)
            else:
                _shutdown(executor)

    clean_staging(out_dir)  # what dead workers left half-written
    ordered = [records[spec.run_id] for spec in manifest.runs]
    counts = {
        "total": len(ordered),
        "succeeded": sum(r["state"] == "succeeded" for r in ordered),
        "failed": sum(r["state"] == "failed" for r in ordered),
        "cached": sum(bool(r["cached"]) for r in ordered),
    }
    with critical():
        write_summaries(out_dir, manifest, ordered, counts, version, started_at)
        reporter.finish(counts)
    return BatchReport(out_dir=out_dir, records=ordered, counts=counts)


def _batch_meta(spec: RunSpec, record: dict[str, Any], state: str, error: str | None, version: str) -> dict[str, Any]:
    return {
        "run_id": spec.run_id,
        "scenario": spec.scenario_text,
        "kind": spec.kind,
        "overrides": spec.overrides,
        "state": state,
        "error": error,
        "input_hash": record.get("input_hash"),
        "code_version": version,
        "attempts": record.get("attempts", 0),
        "seconds": record.get("seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _finish_payload(
    spec: RunSpec,
    record: dict[str, Any],
    payload: dict[str, Any],
    out_dir: Path,
    version: str,
    finish: Callable[[RunSpec, dict[str, Any]], None],
    fail: Callable[..., None],
) -> None:
    record["seconds"] = payload.get("seconds")
    if not payload.get("ok"):
        extra = {"problems": payload["problems"]} if payload.get("problems") else {}
        fail(spec, record, payload.get("error", "unknown failure"), extra)
        return
    result = dict(payload["result"])
    reason = run_failed(result)
    state = "failed" if reason else "succeeded"
    result["batch"] = _batch_meta(spec, record, state, reason, version)
    staged = Path(payload["staged"]) if payload.get("staged") else None
    write_run(out_dir, spec.run_id, result, payload.get("tables") or {}, staged)
    finish(spec, _record_from_result(record, result))


def _shutdown(executor: Any) -> None:
    with contextlib.suppress(Exception):  # a broken pool may complain on shutdown
        executor.shutdown()


def write_summaries(
    out_dir: Path,
    manifest: Manifest,
    records: Iterable[dict[str, Any]],
    counts: dict[str, int],
    version: str,
    started_at: str,
) -> None:
    """``summary.json`` (batch facts and every run) and ``summary.csv`` (one row per run), atomically."""
    records = list(records)
    summary = {
        "manifest": str(manifest.path),
        "out": str(out_dir),
        "code_version": version,
        "started_at": started_at,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": counts,
        "runs": records,
    }
    summary_csv, summary_json = SUMMARY_FILES
    _write_json_atomic(out_dir / summary_json, summary)
    temp = out_dir / f".{summary_csv}.{uuid.uuid4().hex}.tmp"
    with temp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(SUMMARY_COLUMNS))
        writer.writeheader()
        for record in records:
            row = dict(record)
            row["overrides"] = json.dumps(record["overrides"], sort_keys=True)
            writer.writerow({k: "" if row.get(k) is None else csv_cell(row[k]) for k in SUMMARY_COLUMNS})
    os.replace(temp, out_dir / summary_csv)


def default_out_dir(manifest: Manifest) -> Path:
    return manifest.out or Path.cwd() / f"{manifest.path.stem}-results"


def run_batch_command(
    manifest_path: Path,
    out_dir: Path | None,
    workers: int | None,
    dask_address: str | None,
    force: bool,
    console: Any,
    json_lines: IO[str] | None = None,
) -> int:
    """What ``commission batch`` does; returns the exit code (0 all succeeded, 1 any failed, 2 invalid manifest
    or options, or another batch is writing the results folder; 130/143 stopped by SIGINT/SIGTERM).

    Progress: JSON lines on ``json_lines`` if given (``--format json``: the real stdout), else a
    progress bar on a terminal ``console``, else JSON lines on stderr.
    """
    try:
        manifest = load_manifest(manifest_path)
    except ManifestInvalid as invalid:
        if json_lines is not None:  # a script reads stdout; the words below go to the batch's log
            # Each problem names the manifest; its message, the run and field.
            problems = [Problem(str(invalid.path), None, None, message) for message in invalid.problems]
            JsonLinesReporter(json_lines).invalid(problems)
        console.print(f"[bold red]Invalid batch manifest[/] {invalid.path}:", highlight=False)
        for problem in invalid.problems:
            console.print(f"  - {problem}", highlight=False, markup=False, soft_wrap=True)
        return 2
    target = out_dir or default_out_dir(manifest)
    # A results folder that is a file is a bad command line (or manifest), found before anything runs.
    blocker = next((place for place in (target, *target.parents) if place.exists()), None)
    if blocker is not None and not blocker.is_dir():
        # The option, or the manifest's field (its problems name the manifest as their table).
        table, option = ("options", "--out") if out_dir else (str(manifest.path), "out")
        message = f"{target} is a file; give a folder"
        if blocker != target:
            message = f"cannot write to {target}: {blocker} is a file"
        if json_lines is not None:
            JsonLinesReporter(json_lines).invalid([Problem(table, None, option, message)])
        from rich.markup import escape

        named = option if out_dir else f"{manifest.path}: {option}"
        console.print(f"[bold red]error:[/] {escape(f'{named}: {message}')}", highlight=False, soft_wrap=True)
        return 2
    # A Dask scheduler is reached before anything starts: an unreachable one is a bad option.
    from optimiser.deliverability import wording
    from optimiser.execution import DASK_ADDRESS_VARIABLE, DaskUnreachable, connect_dask, make_executor

    address = dask_address or os.environ.get(DASK_ADDRESS_VARIABLE)
    connected: list[Any] = []
    if address:
        try:
            connected.append(connect_dask(address))
        except DaskUnreachable as error:
            option = "--dask" if dask_address else DASK_ADDRESS_VARIABLE
            message = wording.dask_unreachable(error.address, error.reason)
            if json_lines is not None:
                JsonLinesReporter(json_lines).invalid([Problem("options", None, option, message)])
            from rich.markup import escape

            console.print(f"[bold red]error:[/] {escape(f'{option}: {message}')}", highlight=False, soft_wrap=True)
            return 2

    def executor_factory() -> Any:
        """The cluster connected above the first time, a new executor after that."""
        return connected.pop() if connected else make_executor(workers, dask_address)

    reporter: JsonLinesReporter | RichReporter
    if json_lines is not None:
        reporter = JsonLinesReporter(json_lines)
    elif console.is_terminal:
        reporter = RichReporter(console)
    else:
        reporter = JsonLinesReporter()
    with InterruptGuard() as guard:
        try:
            with ResultsFolderLock(target):
                report = run_batch(
                    manifest,
                    target,
                    workers=workers,
                    dask_address=dask_address,
                    force=force,
                    reporter=reporter,
                    executor_factory=executor_factory,
                    guard=guard,
                )
        except ResultsFolderBusy as busy:
            # As an --out that is a file: the option, or the manifest's field, before anything runs.
            table, option = ("options", "--out") if out_dir else (str(manifest.path), "out")
            if json_lines is not None:
                JsonLinesReporter(json_lines).invalid([Problem(table, None, option, str(busy))])
            from rich.markup import escape

            named = option if out_dir else f"{manifest.path}: {option}"
            console.print(f"[bold red]error:[/] {escape(f'{named}: {busy}')}", highlight=False, soft_wrap=True)
            return 2
        except Interrupted as interrupted:
            return interrupted.exit_code
        except SchedulerLost as lost:
            # As any failure after the start (below), but expected: the words, never a traceback.
            message = wording.batch_stopped(wording.dask_scheduler_lost(lost.address, lost.unfinished, lost.total))
            reporter.error(message)
            from rich.markup import escape

            console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
            return 1
        except Exception as error:
            # The stream a scheduler reads ends with a line saying so; the words go to stderr.
            if isinstance(reporter, JsonLinesReporter):
                reporter.error(wording.batch_stopped(f"{type(error).__name__}: {error}"))
            raise
        finally:
            for unused in connected:  # every run was skipped as unchanged
                unused.shutdown()
    counts = report.counts
    if console.is_terminal and json_lines is None:
        console.print(wording.batch_done_sentence(counts, target), highlight=False)
    return report.exit_code
