"""A wrong or unreachable COMMISSION_DATABASE_URL is one line naming it, exit 2 (audit 6, A9).

`commission db upgrade`, `keys create` and `serve` run as the installed console script, as an
operator runs them: never a stack trace, never the URL's password, and `serve` stops before it
listens. A good SQLite URL in the same runs exits 0, so each check can fail.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.servers import free_port

COMMISSION = str(Path(sys.executable).with_name("commission"))
PASSWORD = "s3cret-Pa55word"
COMMANDS = {
    "db upgrade": ["db", "upgrade"],
    "keys create": ["keys", "create", "--org", "birmingham-icb", "--role", "admin"],
}


def bad_urls(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Each case: the URL, and words its one line must hold."""
    return {
        "unreachable": (
            f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{free_port()}/none",
            "cannot connect to 127.0.0.1:",
        ),
        "postgres scheme": (f"postgres://postgres:{PASSWORD}@127.0.0.1:5432/db", "use postgresql+psycopg://"),
        "driver not installed": (f"mysql://root:{PASSWORD}@127.0.0.1/db", "mysql:// is not supported"),
        "missing folder": (f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}", "does not exist"),
        "not a URL": (f"postgres ql:{PASSWORD}", "not a database URL"),
        "in memory": ("sqlite://", "in-memory SQLite"),
    }


def run(args: list[str], url: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env["COMMISSION_DATABASE_URL"] = url
    return subprocess.run([COMMISSION, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout)


def assert_one_line(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert PASSWORD not in done.stderr + done.stdout
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: COMMISSION_DATABASE_URL: "), line
    assert words in line, line
    assert done.stdout == ""


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(
    "case", ["unreachable", "postgres scheme", "driver not installed", "missing folder", "not a URL", "in memory"]
)
def test_a_bad_database_url_is_one_line_and_exit_2(tmp_path: Path, command: str, case: str) -> None:
    url, words = bad_urls(tmp_path)[case]
    assert_one_line(run(COMMANDS[command], url, tmp_path), words)


def test_the_unreachable_server_is_named_with_the_reason(tmp_path: Path) -> None:
    port = free_port()
    done = run(["db", "upgrade"], f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{port}/none", tmp_path)
    assert_one_line(done, f"cannot connect to 127.0.0.1:{port} (connection refused)")


@pytest.mark.parametrize("command", COMMANDS)
def test_a_good_sqlite_url_works(tmp_path: Path, command: str) -> None:
    database = tmp_path / "service.db"
    done = run(COMMANDS[command], f"sqlite:///{database}", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert database.is_file()


def test_serve_refuses_an_unreachable_database_before_it_listens(tmp_path: Path) -> None:
    port = free_port()
    url = f"postgresql+psycopg://postgres:{PASSWORD}@127.0.0.1:{free_port()}/none"
    done = run(["serve", "--port", str(port), "--workers", "0"], url, tmp_path, timeout=60)
    assert_one_line(done, "cannot connect to 127.0.0.1:")
    with socket.socket() as probe:  # nothing took the port
        probe.bind(("127.0.0.1", port))


def test_serve_refuses_a_missing_sqlite_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}"
    done = run(["serve", "--port", str(free_port()), "--workers", "0"], url, tmp_path, timeout=60)
    assert_one_line(done, "no-such-folder does not exist")


def test_serve_starts_on_a_good_sqlite_url(tmp_path: Path) -> None:
    port = free_port()
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env["COMMISSION_DATABASE_URL"] = f"sqlite:///{tmp_path / 'service.db'}"
    server = subprocess.Popen(
        [COMMISSION, "serve", "--port", str(port), "--workers", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        status = None
        while status is None and time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    status = response.status
            except OSError:
                time.sleep(0.2)
        assert status == 200, "it stopped" if server.poll() is not None else "no answer in 60 s"
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode in (0, -signal.SIGTERM), stderr  # uvicorn ends by the signal it was stopped with
    assert "Traceback" not in stderr


def test_a_bad_setting_is_one_line_without_its_value(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env |= {
        "COMMISSION_DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
        "COMMISSION_WORKERS": "lots",
        "COMMISSION_METRICS_TOKEN": "tooshort",  # a secret: never echoed
    }
    done = subprocess.run(
        [COMMISSION, "db", "upgrade"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "tooshort" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert "COMMISSION_WORKERS: " in line and "COMMISSION_METRICS_TOKEN: " in line, line
    assert not (tmp_path / "service.db").exists()
