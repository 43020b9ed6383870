"""The image keeps its database on a volume and says when it is healthy (audit 13, finding 4). There is
no Docker daemon here: the Dockerfile is read as Docker reads it, and its HEALTHCHECK command is run
against a real `commission serve`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path, PurePosixPath

from sqlalchemy import make_url

from tests.api.test_database_url_errors import free_port

REPO = Path(__file__).resolve().parents[1]
COMMISSION = str(Path(sys.executable).with_name("commission"))


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments dropped."""
    lines = [line for line in (REPO / "Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = "\n".join(lines).replace("\\\n", " ")
    return [
        (keyword.upper(), arguments.strip())
        for line in joined.splitlines()
        if line.strip()
        for keyword, _, arguments in [line.strip().partition(" ")]
    ]


def test_the_database_folder_is_a_volume_declared_after_it_is_made() -> None:
    steps = instructions()
    (environment,) = [arguments for keyword, arguments in steps if keyword == "ENV"]
    url = dict(word.split("=", 1) for word in environment.split())["COMMISSION_DATABASE_URL"]
    folder = str(PurePosixPath(str(make_url(url).database)).parent)
    volumes = [index for index, (keyword, arguments) in enumerate(steps) if keyword == "VOLUME" and arguments == folder]
    assert volumes, f"no VOLUME {folder}"
    # Docker throws away what a later RUN changes in a volume: the folder and its owner are set before.
    (made,) = [index for index, (keyword, arguments) in enumerate(steps) if keyword == "RUN" and "chown" in arguments]
    assert folder in steps[made][1] and made < volumes[0]


def healthcheck_command(port: int) -> list[str]:
    (healthcheck,) = [arguments for keyword, arguments in instructions() if keyword == "HEALTHCHECK"]
    options, _, command = healthcheck.partition(" CMD ")
    assert "--interval=" in options and "--start-period=" in options
    argv = json.loads(command)  # the exec form: no shell, and none is needed
    (served,) = [arguments for keyword, arguments in instructions() if keyword == "CMD"]
    assert "8000" in json.loads(served) and any("127.0.0.1:8000/readyz" in word for word in argv)
    return [sys.executable if word == "python" else word.replace(":8000/", f":{port}/") for word in argv]


def test_the_healthcheck_passes_while_the_service_is_ready_and_fails_once_it_is_gone(tmp_path: Path) -> None:
    port = free_port()
    check = healthcheck_command(port)
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env.update(PYTHONPATH=str(REPO), COMMISSION_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}", COMMISSION_WORKERS="0")
    server = subprocess.Popen(
        [COMMISSION, "serve", "--port", str(port)], env=env, cwd=tmp_path, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "the service stopped"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the service never answered /healthz"
                time.sleep(0.5)
        healthy = subprocess.run(check, capture_output=True, text=True, timeout=30)
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert healthy.returncode == 0, healthy.stderr
    gone = subprocess.run(check, capture_output=True, text=True, timeout=30)
    assert gone.returncode != 0
