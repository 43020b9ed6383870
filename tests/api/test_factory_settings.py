"""The application factory an ASGI server calls (`uvicorn api.main:create_app --factory`, docs/api.md)
refuses bad settings as `commission serve` does: one line naming the variable, exit 2, no stack
trace, no password, before it listens; with good settings it serves."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.api.test_database_url_errors import assert_one_line, bad_urls, free_port

REPO = Path(__file__).resolve().parents[2]


def uvicorn_factory(env_update: dict[str, str], cwd: Path, port: int) -> subprocess.Popen[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env.update(env_update)
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--port", str(port)]
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=timeout)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_bad_database_url_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for case in ("unreachable", "driver not installed", "not a URL"):
        url, words = bad_urls(tmp_path)[case]
        done = finished(uvicorn_factory({"COMMISSION_DATABASE_URL": url}, tmp_path, free_port()))
        assert_one_line(done, words)


def test_a_bad_setting_is_one_line_naming_it(tmp_path: Path) -> None:
    env = {"COMMISSION_DATABASE_URL": f"sqlite:///{tmp_path / 'ok.db'}", "COMMISSION_WORKERS": "many"}
    done = finished(uvicorn_factory(env, tmp_path, free_port()))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("error: COMMISSION_WORKERS: "), line


def test_good_settings_serve(tmp_path: Path) -> None:
    port = free_port()
    env = {"COMMISSION_DATABASE_URL": f"sqlite:///{tmp_path / 'ok.db'}", "COMMISSION_WORKERS": "0"}
    process = uvicorn_factory(env, tmp_path, port)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, process.communicate()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered /healthz"
                time.sleep(0.5)
    finally:
        process.terminate()
        process.communicate(timeout=60)
