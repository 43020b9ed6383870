"""The ``commission`` command line: validate, template, solve, check, sweep, batch, report, import.

Exit codes: 0 the run finished with an answer (optimal, or proved infeasible for
``solve``; deliverable for ``check``), 1 anything else (``check``: undeliverable),
2 invalid input, 3 no solution within the time limit, 130/143 stopped by SIGINT/SIGTERM.
User errors never print a trace.

Standard output carries only the command's answer. For the whole of a command, file
descriptor 1 points at stderr, so whatever a library prints at the C level lands on stderr
(HiGHS' banner and logs are switched off, but another library may print); the answer (one
JSON document under ``--format json``, JSON lines for ``batch --format json``, or the
readable report) is written to the real stdout.
"""

from __future__ import annotations

import ctypes
import errno
import functools
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer._click import Command, Context
from typer._click.exceptions import BadOptionUsage, BadParameter, NoSuchOption, UsageError
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from models.scenario import MAX_PROBLEMS_LISTED, Problem, ScenarioInvalid
from models.schema import shown
from models.validate import validate_document
from optimiser.execution import INTERRUPT_SIGNALS
from optimiser.io import TooLargeNumber, read_document, result_files, write_results, write_template
from optimiser.results import SOLVE_TABLES
from optimiser.runs import JobOutcome, checked_overrides, run_job, scenario_warnings


def show_flags_without_a_value(command: Command) -> None:
    """Give every flag of ``command`` and the commands under it (``--help`` too) no value placeholder:
    Typer's help would print ``--force <bool>``, as if the flag took a value."""
    help_option = command.get_help_option(Context(command, **command.context_settings))
    for param in [*command.params, help_option]:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    for subcommand in getattr(command, "commands", {}).values():
        show_flags_without_a_value(subcommand)


class CommissionGroup(TyperGroup):
    """The ``commission`` group. Built with every command in place (those ``api.cli`` adds too),
    it tidies the help of all of them."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        show_flags_without_a_value(self)


class CommissionCommand(TyperCommand):
    """A command whose usage line names its arguments as the README does (``PATH``, not ``{path}``)
    and whose options' bad values are refused in the product's words (``whole_number_message``) and
    its one-line ``error:`` style, as the options the commands check themselves are (``--budget``)."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        given = list(args)  # the parser consumes the list it is given
        try:
            return super().parse_args(ctx, args)
        except BadParameter as error:
            error.message = whole_number_message(error) or error.message
            self.refuse(ctx, given, error)
            raise
        except UsageError as error:
            self.refuse(ctx, given, error)
            raise

    def refuse(self, ctx: Context, given: list[str], error: UsageError) -> None:  # noqa: ARG002 - a hook: subclasses read them
        """An option's bad value as one ``error:`` line (exit 2); any other usage error (an unknown
        option, a missing argument) is left to Typer's usage box, which points to ``--help``."""
        if isinstance(error, BadParameter) and isinstance(error.param, TyperOption):
            _unwrap_off_terminal()  # the command, which sets the width for its output, has not started
            report_invalid(OptionsInvalid([(usage_problem(error).column, error.message)]), as_json=False)

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = (param.metavar or param.name or "").upper() + ("..." if param.nargs != 1 else "")
                pieces.append(name if param.required else f"[{name}]")
        return pieces


class JsonAnswerCommand(CommissionCommand):
    """A command with ``--format json``: under it, what Typer finds wrong with the command line (an
    option that is not a number, an unknown option, a missing argument) is answered on stdout with
    the same ``{"status": "invalid", ...}`` document as any other invalid input."""

    def refuse(self, ctx: Context, given: list[str], error: UsageError) -> None:
        if self.answers_in_json(self._format_given(ctx, given)):
            self.answer_invalid(usage_problem(error))
        super().refuse(ctx, given, error)

    def answers_in_json(self, fmt: str | None) -> bool:
        """Whether the command answers in JSON, given the ``--format`` of its command line (None: none)."""
        return fmt == "json"

    def answer_invalid(self, problem: Problem) -> NoReturn:
        report_invalid(ScenarioInvalid([problem]), as_json=True)

    def _format_given(self, ctx: Context, args: list[str]) -> str | None:
        """The ``--format`` that ``args`` give, read past whatever else is wrong with them."""
        try:
            probe = self.make_context(
                ctx.info_name, args, parent=ctx.parent, resilient_parsing=True, ignore_unknown_options=True
            )
        except UsageError:
            return None
        return probe.params.get("fmt")


class JsonLinesAnswerCommand(JsonAnswerCommand):
    """``batch``: where it writes JSON lines, a bad command line is its one ``invalid`` line on stdout
    (docs/batch.md), with the problem in words on stderr for the batch's log, as for a bad manifest."""

    def answers_in_json(self, fmt: str | None) -> bool:
        return writes_json_lines(fmt)

    def answer_invalid(self, problem: Problem) -> NoReturn:
        from optimiser.batch import JsonLinesReporter

        JsonLinesReporter(answer_stream()).invalid([problem])
        _unwrap_off_terminal()  # the command, which sets the width for its output, has not started
        fail(EXIT_INVALID, f"{problem.column}: {problem.message}" if problem.column else problem.message)


def writes_json_lines(fmt: str | None) -> bool:
    """Whether ``batch`` reports in JSON lines: asked to, or by default off a terminal (a scheduler, a pipe)."""
    return fmt == "json" or (fmt is None and not out.is_terminal)


# What a whole-number option counts, for its message ("a whole number of worker processes").
COUNTED_BY_OPTION = {"--workers": "worker processes", "--frontier-points": "budgets on the chart"}


def whole_number_message(error: BadParameter) -> str | None:
    """A whole-number option's bad value in the product's words, with its bounds, not Typer's
    validator's ("Input should be greater than or equal to 1"); None for any other option."""
    param, cause = error.param, error.__cause__
    descriptor = getattr(param, "type_descriptor", None)
    errors = getattr(cause, "errors", None)  # pydantic's ValidationError, which Typer's validator raised
    if param is None or getattr(descriptor, "annotation", None) is not int or not callable(errors):
        return None
    inputs = [item.get("input") for item in errors()]
    low, high = getattr(param, "min", None), getattr(param, "max", None)
    bounds = f" from {low} to {high}" if low is not None and high is not None else ""
    bounds = bounds or (f", at least {low}" if low is not None else f", at most {high}" if high is not None else "")
    counted = COUNTED_BY_OPTION.get(next((name for name in param.opts if name.startswith("--")), ""))
    return f"must be a whole number{' of ' + counted if counted else ''}{bounds} (got {shown(inputs[0])})"


def usage_problem(error: UsageError) -> Problem:
    """A command-line error Typer found, as a problem naming the option (or argument) at fault."""
    if isinstance(error, NoSuchOption | BadOptionUsage):
        return Problem("options", None, error.option_name, error.format_message())
    # The column names the option, so the message need not ("Invalid value for '--time-limit': ...").
    message = (error.message if isinstance(error, BadParameter) else "") or error.format_message()
    if isinstance(error, BadParameter) and isinstance(error.param, TyperOption):
        long_names = [name for name in error.param.opts if name.startswith("--")]
        return Problem("options", None, (long_names or error.param.opts)[0], message)
    if isinstance(error, BadParameter) and isinstance(error.param, TyperArgument):
        return Problem("arguments", None, (error.param.name or "").upper(), message)
    return Problem("arguments", None, None, message)  # e.g. an argument too many


app = typer.Typer(
    name="commission",
    help="Can this primary-care budget and workforce deliver this specification?",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=CommissionGroup,
)
# User text (paths, ids, messages quoting cells) is never read as markup or emoji codes.
out = Console(emoji=False)
err = Console(stderr=True, emoji=False)
import_app = typer.Typer(
    name="import", help="Build scenarios from published data.", no_args_is_help=True, pretty_exceptions_enable=False
)
app.add_typer(import_app)

EXIT_OK, EXIT_OTHER, EXIT_INVALID, EXIT_NO_SOLUTION = 0, 1, 2, 3
MAX_PROBLEMS_SHOWN = 200
# Off a terminal nothing reflows the text, so lines and tables are never wrapped mid-value.
UNWRAPPED_WIDTH = 1000

ScenarioPath = Annotated[Path, typer.Argument(help="Scenario: .json, .xlsx, .zip of CSVs, or a directory of CSVs.")]
FormatOption = Annotated[str, typer.Option("--format", "-f", help="table (readable) or json.")]
EngineOption = Annotated[
    str, typer.Option("--engine", help="How the programme is built: arrays (numpy, default) or pyomo (same answer).")
]


def fail(code: int, message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


class OptionsInvalid(ScenarioInvalid):
    """Command-line options that are invalid (each a pair of the option, or None, and what is wrong):
    reported as any invalid input is, one JSON document under ``--format json``, else an
    ``error:`` line each."""

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        super().__init__([Problem("options", None, option, message) for option, message in problems])


def report_invalid(error: ScenarioInvalid, as_json: bool, heading: str = "Invalid scenario") -> NoReturn:
    if as_json:
        emit_json({"status": "invalid", "problems": [p.as_dict() for p in error.problems]})
    elif isinstance(error, OptionsInvalid):
        for problem in error.problems:
            line = f"{problem.column}: {problem.message}" if problem.column else problem.message
            err.print(f"[bold red]error:[/] {escape(line)}", highlight=False)
    else:
        problems = "problem" if error.found == 1 else "problems"
        err.print(f"[bold red]{heading}[/]: {error.found:,} {problems}", highlight=False)
        for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
            err.print(f"  - {problem}", highlight=False, markup=False)
        if error.found > MAX_PROBLEMS_SHOWN:
            listed = "all" if error.found <= MAX_PROBLEMS_LISTED else f"the first {MAX_PROBLEMS_LISTED:,}"
            err.print(f"  ... and {error.found - MAX_PROBLEMS_SHOWN:,} more (use --format json for {listed})")
    raise typer.Exit(EXIT_INVALID)


@contextmanager
def user_errors(as_json: bool, heading: str = "Invalid scenario") -> Iterator[None]:
    """Turn bad input into exit 2 with table/row/column messages, and anything else into exit 1 without a trace."""
    try:
        yield
    except ScenarioInvalid as error:
        report_invalid(error, as_json, heading)
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except OSError as error:
        fail(EXIT_OTHER, f"{error.strerror or error}: {error.filename or ''}".rstrip(": "))
    except Exception as error:  # noqa: BLE001 - last resort: a clear line, never a stack trace
        fail(EXIT_OTHER, f"unexpected failure ({type(error).__name__}): {error}")


def check_format(fmt: str, allowed: tuple[str, ...]) -> bool:
    if fmt not in allowed:
        fail(EXIT_INVALID, f"--format must be one of {', '.join(allowed)} (got {shown(fmt)})")
    return fmt == "json"


# --- standard output: the answer only ---------------------------------------------------------


def _flush_c_stdio() -> None:
    """Flush C-level stdio buffers (a banner printed by a C library may still sit in one)."""
    with suppress(OSError, AttributeError, TypeError):  # no C library to reach: nothing buffered there
        ctypes.CDLL(None).fflush(None)


@contextmanager
def answer_to_stdout() -> Iterator[None]:
    """For the duration of a command, point fd 1 at stderr and write ``out`` to the real stdout.

    A C library or a worker process
    writing to fd 1 then reaches stderr, never the answer a script parses. Under an in-process
    runner (no real fd behind ``sys.stdout``) nothing at the C level can reach its capture,
    and only the width settings apply.
    """
    try:
        stdout_fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        _unwrap_off_terminal()
        yield
        return
    try:
        stderr_fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        stderr_fd = 2
    sys.stdout.flush()
    _flush_c_stdio()
    saved = os.dup(stdout_fd)
    answer = open(saved, "w", encoding="utf-8", errors="replace", closefd=False)  # noqa: SIM115 - closed below
    previous = out._file
    os.dup2(stderr_fd, stdout_fd)
    out.file = answer
    _unwrap_off_terminal()
    try:
        yield
    finally:
        answer.flush()
        sys.stdout.flush()
        _flush_c_stdio()
        os.dup2(saved, stdout_fd)
        out._file = previous
        answer.close()
        os.close(saved)


def _unwrap_off_terminal() -> None:
    for console in (out, err):
        if not console.is_terminal:
            console.width = UNWRAPPED_WIDTH
            console.soft_wrap = True


def answers_on_stdout(command: Callable[..., None]) -> Callable[..., None]:
    """Decorate a command so that only its answer reaches stdout (``answer_to_stdout``)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        with answer_to_stdout():
            command(*args, **kwargs)

    return run


def answer_stream() -> IO[str]:
    """Where the command's answer goes: the real stdout (see ``answer_to_stdout``)."""
    return out.file


def _plain_json(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null (strict JSON has neither), numpy scalars numbers."""
    if isinstance(value, dict):
        return {str(key): _plain_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_json(item) for item in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalars
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def emit_json(payload: Any) -> None:
    """The command's one JSON document, on the real stdout."""
    stream = answer_stream()
    stream.write(json.dumps(_plain_json(payload), indent=2, allow_nan=False) + "\n")
    stream.flush()


# --- interrupts --------------------------------------------------------------------------------


class StopOnSignal:
    """SIGINT/SIGTERM end the command at once, even while the solver runs in C: a helper thread
    woken by ``signal.set_wakeup_fd`` removes this command's staging folders, says so on stderr
    and exits 130/143. Renames into place happen under ``commit()``, which the exit waits for,
    so an output is complete or absent, never half-written.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.cleanups: list[Callable[[], None]] = []
        self._previous: dict[int, Any] = {}
        self._wakeup: tuple[int, int] | None = None
        self._old_wakeup = -1

    def __enter__(self) -> StopOnSignal:
        if threading.current_thread() is not threading.main_thread():
            return self
        read_fd, write_fd = os.pipe()
        os.set_blocking(write_fd, False)
        self._wakeup = (read_fd, write_fd)
        for signum in INTERRUPT_SIGNALS:
            self._previous[signum] = signal.signal(signum, lambda *_: None)
        self._old_wakeup = signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
        threading.Thread(target=self._watch, args=(read_fd,), name="stop-on-signal", daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._wakeup is None:
            return
        signal.set_wakeup_fd(self._old_wakeup)
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        read_fd, write_fd = self._wakeup
        self._wakeup = None
        os.close(write_fd)  # ends the watcher (end of file)
        os.close(read_fd)

    def _watch(self, read_fd: int) -> None:
        wanted = {int(s) for s in INTERRUPT_SIGNALS}
        while True:
            try:
                data = os.read(read_fd, 1)
            except OSError:
                return
            if not data:
                return
            if data[0] in wanted:
                break
        signum = data[0]
        self.lock.acquire()  # let a rename into place finish; never released: the process ends here
        for cleanup in self.cleanups:
            with suppress(Exception):  # nothing may stop the exit
                cleanup()
        name = signal.Signals(signum).name
        try:
            sys.stderr.write(f"interrupted ({name}): stopped; no partial output was written\n")
            sys.stderr.flush()
        finally:
            os._exit(128 + signum)

    @contextmanager
    def commit(self) -> Iterator[None]:
        with self.lock:
            yield

    @contextmanager
    def staged(self, target: Path, replaces: frozenset[str] = frozenset()) -> Iterator[Path]:
        """A hidden staging folder beside ``target``; its files are moved into ``target`` at the end.
        Files of ``target`` named in ``replaces`` that the stage does not hold are removed then (an
        earlier result's tables are not left beside a later result that has none)."""
        stage = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
        self.cleanups.append(lambda: shutil.rmtree(stage, ignore_errors=True))
        stage.mkdir(parents=True, exist_ok=True)
        try:
            yield stage
            with self.commit():
                target.mkdir(parents=True, exist_ok=True)
                staged_names = {item.name for item in stage.iterdir()}
                for name in sorted(replaces - staged_names):
                    if (target / name).is_file():
                        (target / name).unlink()
                for item in sorted(stage.iterdir()):
                    os.replace(item, target / item.name)
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    @contextmanager
    def staged_file(self, target: Path) -> Iterator[Path]:
        """A hidden file beside ``target``, renamed onto it at the end (never a half-written ``target``)."""
        target.parent.mkdir(parents=True, exist_ok=True)
        stage = target.parent / f".{target.name}.partial-{uuid.uuid4().hex[:8]}"
        self.cleanups.append(lambda: stage.unlink(missing_ok=True))
        try:
            yield stage
            with self.commit():
                os.replace(stage, target)
        finally:
            stage.unlink(missing_ok=True)


# The option that gives each run override on the command line.
OPTION_OF_OVERRIDE = {
    "objective": "--objective",
    "budget_gbp": "--budget",
    "offer_rate_gbp_per_weighted_patient": "--offer-rate",
    "standards_fraction": "--standards-fraction",
    "time_limit_s": "--time-limit",
    "sensitivity": "--sensitivity",
    "engine": "--engine",
    "weights": "--weights",
    "budget": "--budget",
    "offer_rate": "--offer-rate",
    "standards": "--standards",
}


def checked_options(overrides: dict[str, Any]) -> dict[str, Any]:
    """The run overrides the options give (a value of None: not given), checked by the one check
    every entry point shares (``optimiser.runs.checked_overrides``: each value, then two offers
    at once) and read as a run reads it.

    Raises ``OptionsInvalid`` naming each bad one by its option, in the shared check's words:
    the user typed an option, not a scenario's overrides.
    """
    try:
        given = {key: value for key, value in overrides.items() if value is not None}
        return checked_overrides(given, named=OPTION_OF_OVERRIDE.__getitem__)
    except ScenarioInvalid as invalid:
        raise OptionsInvalid(
            [(OPTION_OF_OVERRIDE[p.column] if p.column else None, p.message) for p in invalid.problems]
        ) from None


def what_if(budget: str | None, offer_rate: str | None, standards_fraction: str | None) -> dict[str, Any]:
    """``--budget``, ``--offer-rate`` and ``--standards-fraction`` as the API's overrides, as typed."""
    return {
        "budget_gbp": budget,
        "offer_rate_gbp_per_weighted_patient": offer_rate,
        "standards_fraction": standards_fraction,
    }


def refuse_an_unwritable_out(target: Path, folder: bool) -> None:
    """``--out`` must be a place files can be made in: found before the solve, not after it, and
    named as the user gave it (the hidden staging file beside it would mean nothing to them)."""
    if folder and target.exists() and not target.is_dir():
        raise OptionsInvalid([("--out", f"{target} is a file; give a folder")])
    place = target.parent
    while not place.exists() and place != place.parent:
        place = place.parent
    if place.exists() and not place.is_dir():
        raise OptionsInvalid([("--out", f"cannot write to {target}: {place} is a file")])
    # The staging file or folder is made beside the target; a folder's files are then moved into it.
    places = [place, target] if folder and target.is_dir() else [place]
    for directory in places:
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".commission-probe-", dir=directory))
        except OSError as error:
            reason = unwritable_reason(directory, error)
            raise OptionsInvalid([("--out", f"cannot write to {target}: {reason}")]) from None


# The files ``solve --out`` writes (optimiser.io.write_results): a CSV per result table (none for
# a solve without a solution), summary.json and results.xlsx.
SOLVE_RESULT_FILES = result_files(SOLVE_TABLES)


def sweep_result_files(kind: str) -> frozenset[str]:
    """The files ``sweep --out`` writes for a "budget", "offer_rate" or "standards" sweep
    (optimiser.sweep.write_outputs)."""
    from optimiser.sweep import output_files

    return frozenset(output_files(kind).values())


def refuse_to_replace(target: Path, scenario: Path, writes: frozenset[str], force: bool, command: str) -> None:
    """``solve --out`` and ``sweep --out`` never destroy a user's files; checked before anything is
    solved or written.

    - The folder the scenario is read from (a CSV folder, or the folder of a .json, .xlsx or .zip),
      or any folder above it, is refused even with ``--force``: results are never written over or
      beside the scenario being read (its practices.csv and pcns.csv would be replaced by tables).
    - A folder holding any file the command writes (``writes``: an earlier result, or someone's file
      of the same name) is refused without ``--force``, as ``report`` refuses an existing PDF: an
      earlier result is the user's too (the figures of an earlier meeting). With ``--force`` those
      files are replaced.
    - A new or empty folder, or one whose files the command does not write, is written into.
    """
    if scenario.exists() and target.exists():
        source = scenario.resolve()
        home = source if source.is_dir() else source.parent
        place = target.resolve()
        if place == source:
            message = f"{target} is the scenario being read; results written there would replace its tables"
            raise OptionsInvalid([("--out", f"{message}: give another folder (--force never replaces a scenario)")])
        if place == home or place in home.parents:
            message = f"{target} holds the scenario being read ({scenario})"
            raise OptionsInvalid([("--out", f"{message}: give another folder (--force never replaces a scenario)")])
    if force or not target.is_dir():
        return
    in_the_way = sorted(name for name in writes if (target / name).exists())
    if in_the_way:
        shown_names = ", ".join(in_the_way[:3]) + (f" and {len(in_the_way) - 3} more" if len(in_the_way) > 3 else "")
        message = f"{target} holds files this {command} would replace ({shown_names})"
        raise OptionsInvalid([("--out", f"{message}; give --force to replace them, or another folder")])


def unwritable_reason(directory: Path, error: OSError) -> str:
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"you may not create files in {directory}"
    if error.errno == errno.EROFS:
        return f"{directory} is on a read-only file system"
    return f"files cannot be created in {directory}"


BudgetOption = Annotated[
    str | None,
    typer.Option("--budget", help="What if the pooled budget were this, £ a year (e.g. 4.7m, 250k)."),
]
OfferRateOption = Annotated[
    str | None,
    typer.Option("--offer-rate", help="What if the offer were this, £ per weighted patient (per-practice mode)."),
]
StandardsFractionOption = Annotated[
    str | None,
    typer.Option("--standards-fraction", help="What if every minimum standard were this fraction of itself (0-1)."),
]
# Read as typed, so that the shared check (models.schema.checked_time_limit) judges it and quotes it.
TimeLimitOption = Annotated[str | None, typer.Option("--time-limit", help="Time limit per solve, seconds.")]


@contextmanager
def progress_display(label: str) -> Iterator[Callable[[float], None] | None]:
    """A live 'Solving… 12s' line on a terminal; nothing when stderr is not a terminal."""
    if not err.is_terminal:
        yield None
        return
    with err.status(label) as status:
        yield lambda seconds: status.update(f"{label} {seconds:,.0f}s")


@app.command(cls=JsonAnswerCommand)
@answers_on_stdout
def validate(path: ScenarioPath, fmt: FormatOption = "table") -> None:
    """Check a scenario against the data contract; list every problem (exit 2 if any)."""
    as_json = check_format(fmt, ("table", "json"))
    with user_errors(as_json):
        document = read_document(path)
        scenario = validate_document(document)
        warnings = scenario_warnings(scenario, document)
        counts = {
            "practices": len(scenario.practices),
            "pcns": len(scenario.pcns),
            "roles": len(scenario.roles),
            "services": len(scenario.services),
            "patients": int(scenario.practices["list_size"].sum()),
            "staff_rows": len(scenario.staff),
        }
        staff_fte = float(scenario.staff["fte"].sum()) if len(scenario.staff) else 0.0
        if as_json:
            emit_json(
                {
                    "status": "valid",
                    **counts,
                    "staff_fte": staff_fte,
                    "mip": scenario.is_mip,
                    "scenario_hash": scenario.scenario_hash,
                    "warnings": warnings,
                }
            )
        else:
            from optimiser.deliverability.wording import data_warning_lines, number, plural

            # The existing workforce is stated even when there is none: a staff table left
            # without rows means every post is a new hire, which the user should see here.
            staff = (
                f"{plural(counts['staff_rows'], 'staff row')} ({number(staff_fte)} existing staff FTE)"
                if counts["staff_rows"]
                else "0 existing staff FTE (no staff rows: every post is a new hire)"
            )
            out.print(
                f"[green]Valid[/]: {plural(counts['practices'], 'practice')}, {plural(counts['pcns'], 'PCN')}, "
                f"{plural(counts['roles'], 'role')}, {plural(counts['services'], 'service')}, "
                f"{plural(counts['patients'], 'patient')}, {staff}"
                f"{' (MIP: whole-step hiring)' if scenario.is_mip else ''}."
            )
            for line in data_warning_lines(warnings):
                out.print(line, highlight=False, markup=False)


@app.command(cls=CommissionCommand)
@answers_on_stdout
def template(
    target: Annotated[Path, typer.Argument(help="Workbook to write, e.g. scenario.xlsx")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing workbook at TARGET.")] = False,
) -> None:
    """Write an empty Excel workbook with every sheet, its headers and a notes sheet.

    Exit 0 written, 2 not an .xlsx name, or the workbook exists and --force is not given.
    """
    with user_errors(False):
        if target.suffix.lower() != ".xlsx":
            from optimiser.deliverability.wording import file_type_needed

            raise OptionsInvalid([(None, file_type_needed("template", "an .xlsx", shown(str(target))))])
        if target.exists() and not force:  # it may be a filled-in scenario
            raise OptionsInvalid([(None, f"{target} exists; give --force to replace it")])
        write_template(target)
        from optimiser.deliverability.wording import wrote_sentence

        out.print(wrote_sentence(target))


@app.command(cls=JsonAnswerCommand)
@answers_on_stdout
def solve(
    path: ScenarioPath,
    objective: Annotated[
        str | None, typer.Option(help="min_cost, max_value or max_min_coverage (default: the scenario's)")
    ] = None,
    budget: BudgetOption = None,
    offer_rate: OfferRateOption = None,
    standards_fraction: StandardsFractionOption = None,
    fmt: FormatOption = "table",
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write CSVs, summary.json and results.xlsx here.")
    ] = None,
    sensitivity: Annotated[bool, typer.Option("--sensitivity", help="Add shadow prices and binding rules.")] = False,
    time_limit: TimeLimitOption = None,
    engine: EngineOption = "arrays",
    force: Annotated[
        bool, typer.Option("--force", help="Replace the files of an earlier result at --out (never the scenario).")
    ] = False,
) -> None:
    """Solve the allocation programme and report the allocation.

    --budget, --offer-rate and --standards-fraction answer "what if" without editing the scenario.
    --out refuses (exit 2) a folder holding files the solve writes unless --force is given, and the
    scenario's own folder always.
    """
    as_json = check_format(fmt, ("table", "json"))
    with user_errors(as_json), StopOnSignal() as stop:
        # A time limit given is passed on even if 0, for the shared check to judge.
        overrides = checked_options(
            {
                "objective": objective,
                **what_if(budget, offer_rate, standards_fraction),
                "time_limit_s": time_limit,
                "sensitivity": sensitivity,
                "engine": engine,
            }
        )
        if out_dir is not None:
            refuse_an_unwritable_out(out_dir, folder=True)
            refuse_to_replace(out_dir, path, SOLVE_RESULT_FILES, force, "solve")
        with progress_display("Solving…") as progress:
            # Read in the call, not into a local: run_job lets the document go once validated.
            job = run_job("solve", read_document(path), overrides, progress=progress)
        if out_dir is not None:
            with stop.staged(out_dir, replaces=SOLVE_RESULT_FILES) as stage:
                write_results(job.tables, job.result, stage)
        if as_json:
            emit_json(job.result)
        else:
            print_solve(job, out_dir)
    raise typer.Exit(solve_exit_code(job.result))


def solve_exit_code(result: dict[str, Any]) -> int:
    status = result["status"]
    if status in ("optimal", "infeasible") or (status == "time_limit" and result["has_solution"]):
        return EXIT_OK
    if status == "time_limit":
        return EXIT_NO_SOLUTION
    return EXIT_OTHER


def print_solve(job: JobOutcome, out_dir: Path | None) -> None:
    from optimiser.deliverability.wording import (
        SOLVE_INFEASIBLE_NEXT_STEP,
        data_warning_lines,
        hire_fte,
        money_or_missing,
        objective_figure,
        table_share,
    )

    result = job.result
    status = result["status"]
    colour = {"optimal": "green", "infeasible": "red"}.get(status, "yellow")
    out.print(
        f"[bold]Status[/]: [{colour}]{status}[/] ({result['message']}) in {result['solve_seconds']:.2f}s, "
        f"{result['solver']['name']} {result['solver']['version']}",
        highlight=False,
    )
    out.print(deliverable_sentence(result), highlight=False)
    for line in data_warning_lines(result["data_warnings"]):
        out.print(line, highlight=False, markup=False)
    if status == "infeasible":
        out.print(SOLVE_INFEASIBLE_NEXT_STEP)
    kpis = result["kpis"]
    if not kpis:
        return
    objective_label = OBJECTIVE_LABELS.get(result["objective"], result["objective"])
    figure = objective_figure(result["objective"], result["objective_value"])
    out.print(f"[bold]Objective[/] ({objective_label}): {figure}", highlight=False)
    for line in money_lines(kpis, job.tables.get("hires")):
        out.print(line, highlight=False, markup=False)

    coverage = Table(title="Coverage by service", title_justify="left")
    for column in ("service", "eligible", "covered", "coverage", "standard"):
        coverage.add_column(column, justify="left" if column == "service" else "right")
    for service, row in kpis["coverage_by_service"].items():
        share = row["coverage"]
        coverage.add_row(
            service,
            f"{row['eligible_patients']:,.0f}",
            f"{row['covered_patients']:,.0f}",
            "-" if share is None else table_share(share),
            table_share(row["min_coverage"]),
        )
    out.print(coverage)

    hires = Table(title="New staff by role", title_justify="left")
    for column in ("role", "category", "new FTE", "cost/year", "supply limit"):
        hires.add_column(column, justify="left" if column in ("role", "category") else "right")
    for row in job.tables["hires"].itertuples():
        if row.new_fte > 1e-6:
            limit = "-" if math.isnan(row.supply_max_fte) else hire_fte(row.supply_max_fte)
            hires.add_row(row.role_id, row.category, hire_fte(row.new_fte), money_or_missing(row.cost_gbp), limit)
    out.print(hires)

    if kpis.get("distribution"):
        print_distribution(kpis["distribution"])

    from optimiser.deliverability.wording import binding_sentence, tables_written_sentence

    out.print(binding_sentence(kpis["binding_rules"]), highlight=False)
    if "sensitivity" in result:
        print_sensitivity(result["sensitivity"])
    if out_dir is not None:
        out.print(tables_written_sentence(out_dir))


def deliverable_sentence(result: dict[str, Any]) -> str:
    """Whether the spec is deliverable, in words, from the solve's status."""
    from optimiser.deliverability.wording import SOLVE_DELIVERABLE

    status = result["status"]
    if status in ("optimal", "infeasible") or (status == "time_limit" and result.get("has_solution")):
        return SOLVE_DELIVERABLE[status]
    return SOLVE_DELIVERABLE["unknown"]


def money_lines(kpis: dict[str, Any], hires: Any) -> list[str]:
    """Gross cost of new staff, ARRS reimbursement and net spend, one per line (net = gross - ARRS)."""
    from optimiser.deliverability.wording import SOLVE_MONEY_LINES, budget_used_note, money

    net = kpis["total_spend_gbp"]
    arrs = kpis["arrs_claimed_gbp"]
    gross = float(hires["cost_gbp"].sum()) if hires is not None and "cost_gbp" in hires else net + arrs
    budget = kpis.get("budget_gbp")
    used = kpis.get("budget_used_share")
    # A reimbursement is taken off; one that shows as £0 (solver noise) has no sign: never "-£0".
    claimed = money(arrs) if money(arrs) == money(0.0) else "-" + money(arrs)
    figures = {"gross": money(gross), "arrs": claimed, "net": money(net)}
    rows = [(label, figures[key], note) for key, (label, note) in SOLVE_MONEY_LINES.items()]
    label_width = max(len(label) for label, _, _ in rows) + 1
    value_width = max(len(value) for _, value, _ in rows)
    lines = [f"{label + ':':<{label_width}} {value:>{value_width}} {note}" for label, value, note in rows]
    if budget is not None:
        lines[-1] += f"; budget {money(budget)}{budget_used_note(used)}"
    return lines


OBJECTIVE_LABELS = {
    "min_cost": "least spend",
    "max_value": "best value",
    "max_min_coverage": "lowest practice coverage",
}


def print_distribution(summary: dict[str, Any]) -> None:
    """Fair shares: how money and coverage spread across practices (docs/fairness.md)."""
    table = Table(title="Distribution across practices (mean, Gini, 90/10 weighted by patients)", title_justify="left")
    for column in ("measure", "lowest", "practice", "highest", "practice", "mean", "Gini", "90/10"):
        table.add_column(column, justify="left" if column in ("measure", "practice") else "right")

    from optimiser.deliverability.wording import (
        money_or_missing,
        per_patient_money,
        table_gini,
        table_number,
        table_ratio,
        table_share,
        tied_practices,
    )

    formats = {
        "money": per_patient_money,
        "share": table_share,
        "ratio": table_ratio,
        "gini": table_gini,
        "number": table_number,
    }

    def fmt(value: Any, kind: str) -> str:
        return "-" if _missing(value) else formats[kind](value)

    for key, label, kind in (
        ("spend_gbp_per_weighted_patient", "£/weighted patient", "money"),
        ("new_fte_per_1k_weighted", "new FTE/1k weighted", "number"),
        ("coverage", "coverage", "share"),
    ):
        row = summary.get(key) or {}
        if not row.get("practices"):
            continue
        table.add_row(
            label,
            fmt(row["min"], kind),
            tied_practices(str(row["min_practice_id"]), int(row.get("min_practices", 1))),
            fmt(row["max"], kind),
            tied_practices(str(row["max_practice_id"]), int(row.get("max_practices", 1))),
            fmt(row["mean"], kind),
            fmt(row["gini"], "gini"),
            fmt(row["ratio_90_10"], "ratio"),
        )
    out.print(table)
    prior = summary.get("prior_funding")
    if prior:
        out.print(
            f"[bold]Against prior funding[/]: {prior['practices_below_prior']} of {prior['practices_with_prior']} "
            f"practices receive less than before ({money_or_missing(prior['total_below_prior_gbp'])} in total); "
            f"{money_or_missing(prior['spend_gbp'])} now against "
            f"{money_or_missing(prior['prior_funding_gbp'])} before.",
            highlight=False,
        )
    quintiles = summary.get("by_imd_quintile")
    if quintiles:
        table = Table(title="By deprivation quintile (1 = most deprived)", title_justify="left")
        quintile_columns = ("IMD quintile", "practices", "weighted patients", "£ per weighted patient")
        for column in (*quintile_columns, "new FTE per 1,000", "mean coverage", "lowest coverage"):
            table.add_column(column, justify="right")
        for row in quintiles:
            table.add_row(
                str(row["imd_quintile"]),
                str(row["practices"]),
                f"{row['weighted_patients']:,.0f}",
                fmt(row["spend_gbp_per_weighted_patient"], "money"),
                fmt(row["new_fte_per_1k_weighted"], "number"),
                fmt(row["coverage_mean"], "share"),
                fmt(row["coverage_min"], "share"),
            )
        out.print(table)


def print_sensitivity(sensitivity: dict[str, Any]) -> None:
    label = " (approximate: LP with integers fixed)" if sensitivity.get("approximate") else ""
    out.print(f"[bold]Sensitivity[/]{label}")
    for sentence in sensitivity.get("sentences", []):
        out.print(f"  - {sentence}", highlight=False)


def parse_weights(text: str) -> dict[str, Any]:
    """``budget=1,standards=2.5`` -> {"budget": 1, "standards": 2.5}: each number as a JSON body
    reads it (a whole number stays whole), so the shared check quotes a bad weight as the API
    does, ``(got -1)``; values that are not numbers are passed on as given, so the check names
    them. A weight given twice is refused naming both, never silently the last (exit 2)."""
    weights: dict[str, Any] = {}
    given: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = (side.strip() for side in part.partition("="))
        given.setdefault(name, []).append(part)
        weights[name] = _number_as_written(value)
    repeated: list[tuple[str | None, str]] = [
        ("--weights", f"weight {shown(name)} is given more than once ({', then '.join(parts)}); give it once")
        for name, parts in given.items()
        if len(parts) > 1
    ]
    if repeated:
        raise OptionsInvalid(repeated)
    return weights


def _number_as_written(text: str) -> int | float | str:
    """A number as a JSON body reads it: ``1e400``, too large for a float, is quoted as typed
    (``TooLargeNumber``); ``inf`` and ``nan``, which JSON has no numbers for, stay text."""
    for number in (int, float):
        try:
            value = number(text)
        except ValueError:
            continue
        if math.isfinite(value):
            return value
        return TooLargeNumber(text) if any(c.isdigit() for c in text) else text
    return text


@app.command(cls=JsonAnswerCommand)
@answers_on_stdout
def check(
    path: ScenarioPath,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text (a short report) or json.")] = "text",
    budget: BudgetOption = None,
    offer_rate: OfferRateOption = None,
    standards_fraction: StandardsFractionOption = None,
    time_limit: TimeLimitOption = None,
    weights: Annotated[
        str | None,
        typer.Option(
            "--weights",
            help="Combined change: NAME=WEIGHT,... for budget, workforce_supply, standards, safe_working (default 1) "
            "and spread (0..1, default 0.5: the share of the standards' price on the largest cut).",
        ),
    ] = None,
    engine: EngineOption = "arrays",
) -> None:
    """Is the spec deliverable? If not: what conflicts, and what each lever alone would take.

    Exit 0 deliverable, 1 not deliverable, 2 invalid input, 3 no answer within the time limit.
    """
    as_json = check_format(fmt, ("text", "json"))
    with user_errors(as_json), StopOnSignal():
        overrides = checked_options(
            {
                **what_if(budget, offer_rate, standards_fraction),
                "time_limit_s": time_limit,
                "engine": engine,
                # Values that are not numbers are passed on, for the shared check to name.
                "weights": None if weights is None else parse_weights(weights),
            }
        )
        with progress_display("Checking…") as progress:
            # Read in the call, not into a local: run_job lets the document go once validated.
            job = run_job("check", read_document(path), overrides, progress=progress)
        if as_json:
            emit_json(job.result)
        else:
            from optimiser.deliverability.wording import check_text_lines

            for line in check_text_lines(job.result):
                out.print(line, highlight=False, markup=False)
    deliverable = job.result.get("deliverable")
    raise typer.Exit(EXIT_OK if deliverable else EXIT_OTHER if deliverable is False else EXIT_NO_SOLUTION)


@app.command(cls=JsonAnswerCommand)
@answers_on_stdout
def sweep(
    path: ScenarioPath,
    budget: Annotated[
        str | None,
        typer.Option(
            "--budget", help="START:STOP:N pooled budgets, £ a year (k/m allowed; selects the pooled mode), max_value."
        ),
    ] = None,
    offer_rate: Annotated[
        str | None,
        typer.Option(
            "--offer-rate",
            help="START:STOP:N offer rates, £ per weighted patient (selects the per-practice mode), max_value.",
        ),
    ] = None,
    standards: Annotated[
        str | None, typer.Option("--standards", help="START:STOP:N fractions of every minimum standard, min_cost.")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the CSV, PNG chart and JSON.")] = Path("sweep_out"),
    fmt: FormatOption = "table",
    objective: Annotated[
        str | None,
        typer.Option(help="Budget sweeps: max_min_coverage for the fairest level at each budget (default max_value)."),
    ] = None,
    time_limit: TimeLimitOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the files of an earlier sweep at --out (never the scenario).")
    ] = False,
) -> None:
    """Re-solve across pooled budgets, offer rates or standards (one compiled model, hot starts); write CSV + PNG chart.

    --time-limit applies to each solve (each point of each frontier, and the mark), as in a batch sweep.
    --out refuses (exit 2) a folder holding the files this sweep writes unless --force is given, and
    the scenario's own folder always.
    """
    as_json = check_format(fmt, ("table", "json"))
    with user_errors(as_json), StopOnSignal() as stop:
        ranges = {"budget": budget, "offer_rate": offer_rate, "standards": standards}
        if sum(text is not None for text in ranges.values()) != 1:
            message = "give exactly one of --budget, --offer-rate or --standards, each START:STOP:N"
            raise OptionsInvalid([(None, message)])
        by_money = standards is None
        if objective is not None and not by_money:
            message = "is for a --budget or --offer-rate sweep; a --standards sweep is by least cost"
            message += f" (got {shown(objective)})"
            raise OptionsInvalid([("--objective", message)])
        if objective is not None and objective not in ("max_value", "max_min_coverage"):
            message = f"must be max_value or max_min_coverage (got {shown(objective)})"
            raise OptionsInvalid([("--objective", message)])
        # A time limit given is passed on even if 0, for the shared check to judge (as solve's).
        overrides = checked_options({**ranges, "objective": objective, "time_limit_s": time_limit})
        refuse_an_unwritable_out(out_dir, folder=True)
        swept = next(name for name, text in ranges.items() if text is not None)
        refuse_to_replace(out_dir, path, sweep_result_files(swept), force, "sweep")
        with progress_display("Sweeping…") as progress:
            # Read in the call, not into a local: run_job lets the document go once validated.
            job = run_job("sweep", read_document(path), overrides, progress=progress)
        from optimiser.sweep import write_outputs

        with stop.staged(out_dir) as stage:
            paths = {key: out_dir / path.name for key, path in write_outputs(job, stage).items()}
        if as_json:
            emit_json({**job.result, "files": {k: str(v) for k, v in paths.items()}})
        else:
            print_sweep(job, paths)
    raise typer.Exit(sweep_exit_code(job.result))


def sweep_exit_code(result: dict[str, Any]) -> int:
    """As a batch judges a sweep (docs/batch.md): 3 when a point has no solution within the time limit,
    1 when the solver failed, else 0 (a point stopped at its limit with a solution has its answer)."""
    from optimiser.sweep import unanswered

    if unanswered(result.get("points") or [], str(result.get("x"))):
        return EXIT_NO_SOLUTION
    return EXIT_OTHER if result.get("status") == "error" else EXIT_OK


def _yes_no(value: Any) -> str:
    """A sweep point's verdict: yes, no, or no answer (its solve stopped at the time limit without one)."""
    return "no answer" if _missing(value) else ("yes" if value else "no")


def print_sweep(job: JobOutcome, paths: dict[str, Path]) -> None:
    from optimiser.deliverability.wording import (
        money_or_missing,
        percent,
        percent_figures_alike,
        rate_money,
        sweep_title,
        table_share_or_missing,
        wrote_sentence,
    )
    from optimiser.sweep import is_money_sweep, table_name

    result = job.result
    table = job.tables[table_name(result["sweep"])]
    out.print(result["summary"], highlight=False)
    grid = Table(title=sweep_title(result["sweep"], result["objective"]), title_justify="left")
    if is_money_sweep(result["sweep"]):
        x = result["x"]
        fair = result["objective"] == "max_min_coverage"
        columns = ["deliverable", *(["lowest coverage", "value"] if fair else ["best value"]), "coverage"]
        without = ["value without standards", *(["lowest coverage without standards"] if fair else [])]
        for column in (x, *columns, *without):
            grid.add_column(column, justify="right")
        for row in table.to_dict("records"):
            lowest = [table_share_or_missing(row.get("lowest_coverage"))] if fair else []
            lowest_without = [table_share_or_missing(row.get("no_standards_lowest_coverage"))] if fair else []
            grid.add_row(
                money_or_missing(row[x]) if x == "budget_gbp" else rate_money(row[x]),
                _yes_no(row.get("deliverable")),
                *lowest,
                # Values to 2 places, as the CSV (README: one precision per column).
                "-" if _missing(row.get("value")) else f"{row['value']:,.2f}",
                table_share_or_missing(row.get("coverage")),
                "-" if _missing(row.get("no_standards_value")) else f"{row['no_standards_value']:,.2f}",
                *lowest_without,
            )
    else:
        for column in ("standards", "least cost", "within budget"):
            grid.add_column(column, justify="right")
        records = table.to_dict("records")
        # The levels swept, one column read down at one precision (62.5% beside 50.0%, not "62%" and "50%").
        levels = percent_figures_alike([percent(row["fraction"]) for row in records])
        for level, row in zip(levels, records, strict=True):
            grid.add_row(level, money_or_missing(row.get("least_cost_gbp")), _yes_no(row.get("deliverable_at_budget")))
    out.print(grid)
    out.print(wrote_sentence(paths["csv"], paths["png"], paths["json"]), highlight=False)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@app.command(cls=JsonLinesAnswerCommand)
@answers_on_stdout
def batch(
    manifest: Annotated[Path, typer.Argument(help="Batch manifest, .toml or .json (see docs/batch.md).")],
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Results folder (default: the manifest's 'out', else ./<name>-results)."),
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Local worker processes.")] = None,
    dask: Annotated[
        str | None, typer.Option("--dask", help="Dask scheduler address (default: $COMMISSION_DASK_ADDRESS).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Re-run runs whose inputs are unchanged.")] = False,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="json: JSON lines on stdout (start, one per run, end or interrupted); text: a progress bar "
            "on stderr. Default: text on a terminal, else json.",
        ),
    ] = None,
) -> None:
    """Run every scenario of a manifest; skip unchanged runs.

    Exit 0 all succeeded, 1 any failed, 2 bad manifest, 130/143 stopped by SIGINT/SIGTERM (rerun to resume).
    """
    from optimiser.batch import run_batch_command

    if fmt is not None:
        check_format(fmt, ("text", "json"))
    as_json_lines = writes_json_lines(fmt)
    with user_errors(False):
        code = run_batch_command(
            manifest, out_dir, workers, dask, force, err, json_lines=answer_stream() if as_json_lines else None
        )
    if code >= 128:
        # Workers are stopped and staging folders gone; do not wait on pool threads at exit.
        sys.stdout.flush()
        sys.stderr.flush()
        answer_stream().flush()
        _flush_c_stdio()
        os._exit(code)
    raise typer.Exit(code)


@app.command(cls=CommissionCommand)
@answers_on_stdout
def report(
    path: ScenarioPath,
    pdf_path: Annotated[Path, typer.Option("--out", help="The PDF to write.")] = Path("report.pdf"),
    budget: BudgetOption = None,
    offer_rate: OfferRateOption = None,
    standards_fraction: StandardsFractionOption = None,
    frontier_points: Annotated[
        int, typer.Option("--frontier-points", help="Budgets on the frontier chart (0: no chart).", min=0, max=50)
    ] = 11,  # optimiser.report.chart.FRONTIER_POINTS (not imported here: it loads the report's libraries)
    time_limit: TimeLimitOption = None,
    engine: EngineOption = "arrays",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing PDF at --out.")] = False,
) -> None:
    """Check an offer and write the printable PDF report (verdict, levers, chart, practices, assumptions).

    Prints the verdict. Exit 0 written, 2 invalid input (or --out is not a .pdf name, or the PDF
    exists and --force is not given), 3 written but the check found no answer within the time
    limit, 1 anything else (e.g. the PDF libraries are missing).
    """
    with user_errors(False), StopOnSignal() as stop:
        overrides = checked_options(
            {**what_if(budget, offer_rate, standards_fraction), "time_limit_s": time_limit, "engine": engine}
        )
        if frontier_points == 1:  # a frontier is a line: 0 asks for none (and the PDF says so)
            message = "a frontier needs at least 2 budgets: give 0 (no chart) or from 2 to 50 (got 1)"
            raise OptionsInvalid([("--frontier-points", message)])
        if pdf_path.is_dir():
            raise OptionsInvalid([("--out", f"{pdf_path} is a directory; give a .pdf file name")])
        if pdf_path.suffix.lower() != ".pdf":  # "r.txt" or a forgotten suffix would hold a PDF misnamed
            from optimiser.deliverability.wording import file_type_needed

            raise OptionsInvalid([("--out", file_type_needed("report", "a .pdf", shown(str(pdf_path))))])
        if pdf_path.exists() and not force:  # it may be the report of an earlier meeting
            raise OptionsInvalid([("--out", f"{pdf_path} exists; give --force to replace it")])
        refuse_an_unwritable_out(pdf_path, folder=False)
        from optimiser.report.build import build_report  # WeasyPrint and Jinja2 load only for reports
        from optimiser.report.render import ReportUnavailable

        document = read_document(path)
        try:
            with progress_display("Checking…") as progress:
                made = build_report(
                    document, overrides, scenario_name=path.name, frontier_points=frontier_points, progress=progress
                )
        except ReportUnavailable as error:
            fail(EXIT_OTHER, str(error))
        with stop.staged_file(pdf_path) as stage:
            stage.write_bytes(made.pdf)
        out.print(made.view.verdict, highlight=False, markup=False)
        from optimiser.deliverability.wording import wrote_sentence

        err.print(wrote_sentence(pdf_path), highlight=False, markup=False)
    raise typer.Exit(EXIT_NO_SOLUTION if made.result.get("deliverable") is None else EXIT_OK)


@import_app.command("nhs", cls=JsonAnswerCommand)
@answers_on_stdout
def import_nhs(
    mapping: Annotated[Path, typer.Option("--mapping", help="gp-reg-pat-prac-map: practice → PCN → sub-ICB → ICB.")],
    list_sizes: Annotated[
        Path, typer.Option("--list-sizes", help="gp-reg-pat-prac-quin-age: registered patients by sex and age band.")
    ],
    target: Annotated[Path, typer.Option("--out", help="Scenario to write: a folder of CSVs, or a .xlsx workbook.")],
    icb: Annotated[str | None, typer.Option("--icb", help="ICB code, e.g. QSL (or its ONS code).")] = None,
    sub_icb: Annotated[str | None, typer.Option("--sub-icb", help="Sub-ICB location code, e.g. 11X.")] = None,
    practice_workforce: Annotated[
        Path | None, typer.Option("--practice-workforce", help="General Practice Workforce, practice-level CSV.")
    ] = None,
    pcn_workforce: Annotated[
        Path | None, typer.Option("--pcn-workforce", help="PCN Workforce, individual-level CSV.")
    ] = None,
    payments: Annotated[
        Path | None, typer.Option("--payments", help="NHS Payments to General Practice (weighted lists).")
    ] = None,
    imd: Annotated[Path | None, typer.Option("--imd", help="IMD score by practice (PRACTICE_CODE, IMD_SCORE).")] = None,
    spec: Annotated[
        Path | None,
        typer.Option(
            "--spec",
            help="Roles, services, skill mix, settings: workbook, CSV folder or JSON (default spec if omitted).",
        ),
    ] = None,
    role_map: Annotated[
        Path | None,
        typer.Option("--role-map", help="Role map CSV replacing the shipped one (see `commission import role-map`)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json (the import report).")] = "text",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing scenario at --out.")] = False,
) -> None:
    """Import practices, PCNs and staff for one ICB or sub-ICB and merge them with a spec.

    Exit 0 written, 2 bad input (wrong file, missing column, unknown ICB, invalid spec), 1 anything else.
    """
    as_json = check_format(fmt, ("text", "json"))
    with user_errors(as_json, heading="Cannot import"):
        if not icb and not sub_icb:
            raise OptionsInvalid([(None, "give --icb CODE or --sub-icb CODE (or both)")])
        from optimiser.nhs.build import Inputs
        from optimiser.nhs.command import import_files, refuse_out, source
        from optimiser.nhs.report import summary_lines
        from optimiser.nhs.sources import Source

        refusal = refuse_out(target, force)
        if refusal:
            raise OptionsInvalid([("--out", refusal)])
        refuse_an_unwritable_out(target, folder=target.suffix.lower() != ".xlsx")
        inputs = Inputs(
            Source.of(mapping),
            Source.of(list_sizes),
            *(source(path) for path in (practice_workforce, pcn_workforce, payments, imd)),
        )
        report_json, json_path, md_path = import_files(inputs, spec, role_map, target, icb, sub_icb)
        if as_json:
            emit_json(report_json)
        else:
            for line in summary_lines(report_json):
                out.print(line, highlight=False, markup=False)
            from optimiser.deliverability.wording import wrote_with_import_report_sentence

            out.print(wrote_with_import_report_sentence(target, json_path.name, md_path.name), highlight=False)


@import_app.command("role-map", cls=CommissionCommand)
@answers_on_stdout
def import_role_map() -> None:
    """Print the shipped role map CSV (copy it, edit it, pass it back with --role-map)."""
    from optimiser.nhs.rolemap import default_role_map_text

    stream = answer_stream()
    stream.write(default_role_map_text())
    stream.flush()


def main() -> None:
    app()
