"""`uvicorn api.main:create_app --factory --workers N` (docs/api.md) logs only JSON lines when given the
log config `python -m api.logs` prints: without it, uvicorn's supervisor process, which never calls
create_app, wrote plain text ("INFO:     Started parent process") among the workers' JSON (audit 13,
finding 7)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.api.test_database_url_errors import free_port

REPO = Path(__file__).resolve().parents[1]


def test_every_line_of_uvicorn_with_two_workers_is_json(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env.update(PYTHONPATH=str(REPO), COMMISSION_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}", COMMISSION_WORKERS="0")
    config = tmp_path / "log-config.json"
    printed = subprocess.run(
        [sys.executable, "-m", "api.logs"], env=env, cwd=tmp_path, capture_output=True, text=True, check=True
    )
    config.write_text(printed.stdout)
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "api.main:create_app", "--factory", "--workers", "2"]
    command += ["--port", str(port), "--log-config", str(config)]
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.communicate()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "the service never answered /readyz"
                time.sleep(0.5)
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    lines = [line for line in stderr.splitlines() if line.strip()]
    not_json = []
    messages = []
    for line in lines:
        try:
            messages.append(json.loads(line)["message"])
        except ValueError:
            not_json.append(line)
    assert not_json == []
    # The supervisor's own lines are among them, and both workers served.
    assert any(message.startswith("Started parent process") for message in messages), messages
    assert any(message.startswith("Stopping parent process") for message in messages), messages
    assert sum(message == "Application startup complete." for message in messages) == 2, messages
