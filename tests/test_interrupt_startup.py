"""Ctrl-C while the installed ``commission`` script starts up (importing typer, pandas, Pyomo;
parsing its arguments) ends it quietly: exit 130 and one line on stderr, never a traceback, a
KeyboardInterrupt, an ImportError or "Aborted!" (api/entry.py). SIGTERM then ends it by that signal.

A moment is counted in the child's CPU seconds (Linux: /proc/PID/stat), not on the clock, so a
busy machine does not move it. The earliest is just past the interpreter's own start (site, the
editable install's finder, the script's import of api.entry), before which no code of the project
runs: measured here, as the start's CPU seconds vary between machines (0.03 s on an idle AMD EPYC;
a fixed 0.05 s fell inside it once, under CI's load on a slower afternoon: CPython's own
"KeyboardInterrupt", exit 1). A command on data/tiny uses about 0.8 s in all.

A signal that lands once the command has written its output (the last moments of `--help` at
0.5 s, or on purpose below) finds the command finished: it exits with its own status and output.
"""

from __future__ import annotations

import functools
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.console import REPO, TINY, console_script, run

COMMANDS = [("solve", str(TINY)), ("validate", str(TINY)), ("--help",)]
# "start": just past the interpreter's start (``interpreter_start_cpu_s``); then CPU seconds.
MOMENTS_CPU_S: tuple[str | float, ...] = ("start", 0.2, 0.5)
# Past the interpreter's start by this much (the console script calls api.entry.main straight after).
START_MARGIN_CPU_S = 0.02


@functools.cache
def interpreter_start_cpu_s() -> float:
    """CPU seconds the console script's interpreter has used when it calls ``api.entry.main`` (which
    installs the handler): the most of three starts, measured by the interpreter itself."""
    python = Path(console_script()).parent / "python"
    probe = "import re, sys; from api.entry import main; import os; t = os.times(); print(t.user + t.system)"
    runs = [
        subprocess.run([python, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True) for _ in range(3)
    ]
    return max(float(done.stdout) for done in runs)


def cpu_moment(moment: str | float) -> float:
    return max(0.05, interpreter_start_cpu_s() + START_MARGIN_CPU_S) if moment == "start" else float(moment)


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def interrupted_at(args: tuple[str, ...], moment: float, signum: int) -> subprocess.CompletedProcess[str]:
    """The command, sent ``signum`` once it has used ``moment`` CPU seconds (skipped if it ended first)."""
    process = subprocess.Popen(
        [console_script(), *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    with process:  # waits for it, its pipes closed, however the test ends
        while process.poll() is None and cpu_seconds(process.pid) < moment:
            time.sleep(0.005)
        if process.poll() is not None:
            pytest.skip(f"`commission {' '.join(args)}` ended before it had used {moment} s of CPU")
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def assert_stopped_quietly(
    done: subprocess.CompletedProcess[str],
    args: tuple[str, ...],
    finished: subprocess.CompletedProcess[str] | None = None,
) -> None:
    """Exit 130 with one line; or, if the signal came once the command had finished, its own exit
    and its whole output (``finished``, an uninterrupted run, made here if not given; for a command
    that prints the same every run). Never a traceback, nor death by the signal (-2)."""
    for noise in ("Traceback", "KeyboardInterrupt", "Aborted"):
        assert noise not in done.stderr
    if done.returncode == 0:
        finished = finished or run(*args)
        assert (done.stdout, done.stderr) == (finished.stdout, finished.stderr)
        return
    assert done.returncode == 130, done.stderr
    # Before the command starts, or within it (solve's own handler adds that no output was written).
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted (SIGINT): stopped"), done.stderr


@pytest.mark.parametrize("moment", MOMENTS_CPU_S)
@pytest.mark.parametrize("args", COMMANDS, ids=lambda args: args[0])
def test_ctrl_c_during_start_up_exits_130_with_one_line(args: tuple[str, ...], moment: str | float) -> None:
    done = interrupted_at(args, cpu_moment(moment), signal.SIGINT)
    if moment != 0.5:  # well inside every command's start-up
        assert done.returncode == 130, done.stderr
        assert done.stdout == ""
    assert_stopped_quietly(done, args)


# Commands whose output carries no timings (solve's says how long HiGHS took), so two runs print the same.
@pytest.mark.parametrize("args", [("--help",), ("validate", str(TINY))], ids=lambda args: args[0])
def test_ctrl_c_once_the_output_is_written_leaves_the_commands_own_exit(args: tuple[str, ...]) -> None:
    """The interpreter's teardown (40 ms or more) used to put SIGINT's default back: Ctrl-C there
    killed a command that had done its work by the signal (-2 here, no exit status of its own)."""
    finished = run(*args)
    assert finished.returncode == 0 and finished.stdout, finished.stderr
    for delay_s in (0.005, 0.02):
        process = subprocess.Popen(
            [console_script(), *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        with process:
            assert process.stdout is not None
            written = ""
            while written != finished.stdout:
                line = process.stdout.readline()
                assert line, "the command ended before its last line"
                written += line
            time.sleep(delay_s)
            process.send_signal(signal.SIGINT)
            stdout, stderr = process.communicate(timeout=60)
        done = subprocess.CompletedProcess(process.args, process.returncode, written + stdout, stderr)
        assert_stopped_quietly(done, args, finished)


def test_sigterm_during_start_up_ends_the_command_by_that_signal_silently() -> None:
    done = interrupted_at(("solve", str(TINY)), cpu_moment(MOMENTS_CPU_S[1]), signal.SIGTERM)
    assert done.returncode == -signal.SIGTERM  # 143 in a shell
    assert (done.stdout, done.stderr) == ("", "")
