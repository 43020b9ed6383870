"""The SQLite database holds scenarios, results and key hashes: the service creates it, and SQLite its
-wal and -shm files, readable by their owner only (0600), whatever the umask (audit 12, finding 11)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from api.db import create_db_engine

REPO = Path(__file__).resolve().parents[1]
COMMISSION = str(Path(sys.executable).with_name("commission"))


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


def test_commission_db_upgrade_creates_the_file_for_its_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "commission.db"
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env.update(COMMISSION_DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(REPO))
    done = subprocess.run(
        ["sh", "-c", 'umask 022 && exec "$0" db upgrade', COMMISSION],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert mode(database) == "0o600"


def test_the_wal_and_shm_files_are_for_the_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "commission.db"
    previous = os.umask(0o022)
    try:
        engine = create_db_engine(f"sqlite:///{database}")
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
            # While a connection is open, the write-ahead log and its index exist beside the file.
            modes = {path.name: mode(path) for path in sorted(tmp_path.iterdir())}
        engine.dispose()
    finally:
        os.umask(previous)
    assert modes == {"commission.db": "0o600", "commission.db-shm": "0o600", "commission.db-wal": "0o600"}


def test_an_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    """An operator's own choice (a group that backs the file up) is not undone on the next start."""
    database = tmp_path / "commission.db"
    database.touch()
    database.chmod(0o640)
    engine = create_db_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    engine.dispose()
    assert mode(database) == "0o640"
