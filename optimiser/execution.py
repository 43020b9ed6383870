"""The one execution layer: every job runs here, whoever asks for it.

`run_with_time_limit` runs one job in a fresh process and kills that process when the
wall-clock limit passes, so no solve can outlive its budget or take its caller down.
`make_executor` hands work to a local process pool or, given an address, a Dask cluster.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, suppress
from multiprocessing import forkserver
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from typing import TYPE_CHECKING, Any, Protocol

from models.scenario import ScenarioInvalid

if TYPE_CHECKING:
    from optimiser.runs import JobOutcome

DASK_ADDRESS_VARIABLE = "COMMISSION_DASK_ADDRESS"
_CANCEL_POLL_S = 0.25
_CALLER_POLL_S = 1.0
_KILL_WAIT_S = 5.0
# Imported once by the fork server, so each run starts warm. Pyomo resolves its deferred
# SciPy imports on a programme's first compile, which otherwise costs ~1 s a run.
# (Each child still re-runs the caller's main script, if it has one: CPython ignores a
# "__main__" preload. Callers with a heavy main script can start runs from a process
# whose main module is empty, as the API's job workers do.)
PRELOADED_MODULES = [
    "optimiser.runs",
    "scipy.integrate",
    "scipy.optimize",
    "scipy.sparse",
    "scipy.spatial",
    "scipy.stats",
]


class RunError(RuntimeError):
    """A run ended without an outcome."""


class RunTimedOut(RunError):
    """The run passed its wall-clock limit and its process was killed."""

    def __init__(self, time_limit_s: float) -> None:
        super().__init__(f"the run did not finish within the hard limit of {time_limit_s:g} s and was stopped")
        self.time_limit_s = time_limit_s


class RunCancelled(RunError):
    """The caller asked for the run to stop, and its process was killed."""

    def __init__(self) -> None:
        super().__init__("the run was cancelled")


class RunCrashed(RunError):
    """The run's process raised an unexpected error or died without an answer."""


class RunDied(RunCrashed):
    """The run's process ended without an answer: killed (the out-of-memory killer sends
    SIGKILL) or exited. Unlike an error the run raised, running it again may succeed."""

    def __init__(self, exitcode: int | None) -> None:
        super().__init__(how_the_run_died(exitcode))
        self.exitcode = exitcode

    def __reduce__(self) -> tuple[type[RunDied], tuple[int | None]]:
        return RunDied, (self.exitcode,)  # raised again in the caller of a Dask run


def how_the_run_died(exitcode: int | None) -> str:
    """How a run's process ended without an answer, from its exit code (-N: signal N)."""
    if exitcode is None or exitcode == 0:
        return "the run's process ended without an answer"
    if exitcode > 0:
        return f"the run's process exited with code {exitcode} without an answer"
    signum = -exitcode
    why = "out of memory?" if signum == signal.SIGKILL else _signal_name(signum)
    return f"the run's process was killed by signal {signum} ({why})"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return "an unknown signal"


def run_with_time_limit(
    kind: str,
    document: dict[str, Any],
    overrides: dict[str, Any] | None,
    time_limit_s: float,
    *,
    cancel: threading.Event | None = None,
) -> JobOutcome:
    """Run `optimiser.runs.run_job` in a fresh process, killed after `time_limit_s`.

    Raises `ScenarioInvalid` for bad input (as `run_job` does), `RunTimedOut` at the
    limit, `RunCancelled` when `cancel` is set, `RunCrashed` if the run raised an unexpected
    error and `RunDied` if its process ended without an answer.
    """
    context = process_context()
    ours, theirs = context.Pipe()  # the job goes to the run this way, and its answer comes back
    process = context.Process(
        target=_run_job_in_child, args=(theirs, time_limit_s, os.getpid()), name=f"commission-{kind}"
    )
    process.start()
    theirs.close()
    try:
        verdict: str
        payload: Any
        try:
            # Sent once the run has started rather than as its arguments: a caller killed while handing
            # a large document over then leaves a run that ends quietly, not the fork server's child
            # printing an unpickling traceback into the service's log.
            ours.send((kind, [document], overrides))
        except OSError:  # BrokenPipeError: the run's process died before it read the job
            verdict, payload = "died", None
        else:
            verdict, payload = _await_answer(ours, process.sentinel, time_limit_s, cancel)
        if verdict == "died":
            process.join(_KILL_WAIT_S)  # it is ending: let it, to learn how
    finally:
        ours.close()
        _end_process(process)
    if verdict == "outcome":
        outcome: JobOutcome = payload
        return outcome
    if verdict == "invalid":
        raise ScenarioInvalid(payload)
    if verdict == "died":
        raise RunDied(process.exitcode)
    raise RunCrashed(payload)


def _await_answer(
    receiver: Connection,
    sentinel: int,
    time_limit_s: float,
    cancel: threading.Event | None,
) -> tuple[str, Any]:
    deadline = time.monotonic() + time_limit_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RunTimedOut(time_limit_s)
        if cancel is not None and cancel.is_set():
            raise RunCancelled()
        ready = wait([receiver, sentinel], timeout=min(remaining, _CANCEL_POLL_S))
        if receiver in ready or (sentinel in ready and receiver.poll()):
            try:
                answer: tuple[str, Any] = receiver.recv()
            except (EOFError, OSError):  # a peer that died closed, reset or cut off the message it was sending
                return "died", None
            return answer
        if sentinel in ready:
            return "died", None


def _end_process(process: multiprocessing.process.BaseProcess) -> None:
    if process.is_alive():
        process.kill()
    process.join(_KILL_WAIT_S)


def _run_job_in_child(sender: Connection, time_limit_s: float, caller_pid: int) -> None:
    """Read the job from the caller and run it; the document comes in a one-item list that is emptied
    into ``run_job``, so that once validated its memory can go."""
    _exit_with_caller_or_when_late(caller_pid, time_limit_s)
    try:
        kind, handed_over, overrides = sender.recv()
    except (EOFError, OSError):  # the caller died before or while handing the job over: nobody waits for it
        return
    try:
        from optimiser.runs import run_job

        _answer(sender, ("outcome", run_job(kind, handed_over.pop(), overrides)))
    except ScenarioInvalid as invalid:
        _answer(sender, ("invalid", invalid.problems))
    except BaseException as error:  # noqa: BLE001 - the parent must always hear why the run ended
        _answer(sender, ("crashed", f"{type(error).__name__}: {error}"))
    finally:
        sender.close()


def _answer(sender: Connection, answer: tuple[str, Any]) -> None:
    """Send the run's answer to its caller; a caller that has gone (a broken or reset connection) has
    nobody left to hear it, and the run ends quietly rather than print a traceback into the service's log."""
    with suppress(ConnectionError):
        sender.send(answer)


def _exit_with_caller_or_when_late(caller_pid: int, time_limit_s: float) -> None:
    """Make the run end itself, as a backstop, if the process that started it dies (a job worker
    killed by the out-of-memory killer: its answer has nowhere to go) or it overruns.

    The caller is watched by its pid, not as the parent: under the fork server the parent is the
    server, which lives on while any of its runs does (each run holds the server's keep-alive pipe).
    """
    give_up_at = time.monotonic() + time_limit_s + _KILL_WAIT_S
    caller_ended = _ending_of(caller_pid)

    def watch() -> None:
        while (left := give_up_at - time.monotonic()) > 0 and not caller_ended(min(_CALLER_POLL_S, left)):
            continue
        os._exit(1)

    threading.Thread(target=watch, name="caller-watch", daemon=True).start()


def _ending_of(pid: int) -> Callable[[float], bool]:
    """A wait for process `pid` to end: called with a timeout, True once it has ended.

    On Linux a pidfd, readable the moment the process ends (even before its parent reaps it: a
    dead, unreaped worker is not taken for a live one); elsewhere, a poll of whether `pid` exists.
    """
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return lambda _timeout: True
    except (AttributeError, OSError):  # not Linux, or a kernel without pidfds

        def gone(timeout: float) -> bool:
            time.sleep(timeout)
            return not _alive(pid)

        return gone

    def ended(timeout: float) -> bool:
        readable, _, _ = select.select([pidfd], [], [], timeout)
        return bool(readable)

    return ended


def process_context() -> ForkServerContext | SpawnContext:
    """Forkserver (fast, thread-safe, with the solver stack preloaded) where available."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOADED_MODULES)
        return context
    return multiprocessing.get_context("spawn")


def start_process_server() -> None:
    """Start the fork server (and its imports) now, rather than on the first run."""
    if isinstance(process_context(), ForkServerContext):
        forkserver.ensure_running()


class ResultFuture(Protocol):
    def result(self, timeout: float | None = None) -> Any: ...

    def done(self) -> bool: ...

    def cancel(self) -> bool: ...


class Executor(Protocol):
    def submit(self, fn: Callable[..., Any], /, *args: Any) -> ResultFuture: ...

    def shutdown(self) -> None: ...


class DaskExecutor:
    """A Dask cluster behind the `Executor` interface."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self._client = Client(address)

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> ResultFuture:
        future: ResultFuture = self._client.submit(fn, *args, pure=False)
        return future

    def shutdown(self) -> None:
        self._client.close()


class DaskUnreachable(Exception):
    """The Dask scheduler at ``address`` cannot be reached (or the address cannot be one)."""

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        super().__init__(f"{address}: {reason}")


def connect_dask(address: str) -> DaskExecutor:
    """The Dask cluster at ``address``, connected now (within distributed's connect timeout,
    ``distributed.comm.timeouts.connect``), so a batch can refuse an unreachable scheduler before it starts."""
    try:
        return DaskExecutor(address)
    except (OSError, ValueError, TimeoutError) as error:
        raise DaskUnreachable(address, str(error)) from error


def make_executor(workers: int | None = None, dask_address: str | None = None) -> Executor:
    """A local process pool of `workers` processes, or the Dask cluster at `dask_address`
    (default: the `COMMISSION_DASK_ADDRESS` environment variable, if set)."""
    address = dask_address or os.environ.get(DASK_ADDRESS_VARIABLE)
    if address:
        return DaskExecutor(address)
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=process_context(),
        initializer=_watch_batch_process,
        initargs=(os.getpid(),),
    )


# --- interrupts ------------------------------------------------------------------------------

INTERRUPT_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_WORKER_POLL_S = 1.0
_TERMINATE_WAIT_S = 3.0


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; ``exit_code`` is the shell's 128 + signal number (130, 143)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


class InterruptGuard:
    """Turns SIGINT/SIGTERM into ``Interrupted`` in the main thread, except inside ``deferred()``.

    Inside ``deferred()`` (a short critical section, e.g. renaming a finished run into place)
    a signal is remembered and raised when the section ends, so nothing is left half-renamed.
    """

    def __init__(self) -> None:
        self._depth = 0
        self._pending: int | None = None
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: Any) -> None:
        if self._depth:
            self._pending = self._pending or signum
            return
        raise Interrupted(signum)

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for signum in INTERRUPT_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending is not None:
                signum, self._pending = self._pending, None
                raise Interrupted(signum)


def _watch_batch_process(batch_pid: int) -> None:
    """Pool worker initializer: ignore Ctrl-C (the batch process ends its workers itself) and
    exit if the batch process is gone, so no worker outlives it (even after a SIGKILL)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent and _alive(batch_pid):
            time.sleep(_WORKER_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="batch-watch", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def terminate_workers(executor: Any, wait_s: float = _TERMINATE_WAIT_S) -> None:
    """Stop a local pool's worker processes now (SIGTERM, then SIGKILL after ``wait_s``) and shut
    the pool down without waiting for its runs; a Dask executor cancels its runs and closes."""
    processes = list((getattr(executor, "_processes", None) or {}).values())
    for process in processes:
        with suppress(Exception):
            process.terminate()
    deadline = time.monotonic() + wait_s
    for process in processes:
        with suppress(Exception):
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)
    with suppress(Exception):
        if isinstance(executor, ProcessPoolExecutor):
            executor.shutdown(wait=False, cancel_futures=True)
        else:
            executor.shutdown()
