"""The ``commission`` console script's entry point: Ctrl-C at any moment ends it quietly.

Start-up (typer, pandas, Pyomo, HiGHS: about half a second) runs before any command's own signal
handling, and a KeyboardInterrupt there is a traceback, or, inside a C extension's import
(highspy's), "ImportError: initialization failed" and exit 1; a command's own lazy imports (serve's
web service) are the same. So before anything heavy is imported, SIGINT ends the process at once
with one line and 130, as a shell counts Ctrl-C, whatever it is doing. The commands that write
results (solve, check, sweep, report: ``optimiser.cli.StopOnSignal``; batch; serve) replace this
handler while they run and restore it after. SIGTERM keeps its default: the process ends by that
signal, silently (143 in a shell), as ``serve`` documents (docs/api.md).

Once a command has finished (its output written, every other exit handler run), SIGINT is
ignored: the interpreter's own teardown, 40 ms or more after pandas and Pyomo, puts the default
handler back, and a Ctrl-C there killed the process by the signal after it had done its work.
"""

from __future__ import annotations

import atexit
import os
import signal


def _stop(signum: int, _frame: object) -> None:
    # The first clause of StopOnSignal's line (that module cannot be imported yet): a command
    # without staging folders may be stopped mid-write, so no more is promised here. Written
    # with os.write, as a handler may run in the middle of a write to sys.stderr.
    os.write(2, f"interrupted ({signal.Signals(signum).name}): stopped\n".encode())
    os._exit(128 + signum)  # no exception to unwind through half-done imports


def _ignore_once_finished() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the teardown keeps an ignored signal ignored


def main() -> None:
    signal.signal(signal.SIGINT, _stop)
    atexit.register(_ignore_once_finished)  # registered first, so it runs last
    from api.cli import main as run

    run()
