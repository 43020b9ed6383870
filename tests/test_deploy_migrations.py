"""docs/deployment.md's rollback works on SQLite holding data: `alembic -c api/alembic.ini downgrade`
to the previous revision (and to 0001), then `commission db upgrade` back to the head, every row kept.
With foreign keys enforced during migrations, a batch migration's DROP TABLE of a table other rows
refer to failed: the downgrade 0003 -> 0002 on any database holding a job, and the upgrade
0001 -> 0002 on any holding a scenario."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from tests.api.helpers import create_scenario, run_job, sqlite_service

REPO = Path(__file__).resolve().parents[1]
COMMISSION = str(Path(sys.executable).with_name("commission"))
ALEMBIC = str(Path(sys.executable).with_name("alembic"))
HEAD = ScriptDirectory.from_config(Config(str(REPO / "api" / "alembic.ini"))).get_current_head()
TABLES = ("organisations", "api_keys", "scenarios", "scenario_versions", "jobs", "job_tables")


def run(command: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMISSION_")}
    env.update(COMMISSION_DATABASE_URL=f"sqlite:///{database}", PYTHONPATH=str(REPO))
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def state(database: Path) -> tuple[str, dict[str, int], list[tuple[object, ...]]]:
    """The revision, each table's row count, and any row whose foreign key points at nothing."""
    engine = create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
            counts = {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}
            dangling = [tuple(row) for row in connection.execute(text("PRAGMA foreign_key_check"))]
    finally:
        engine.dispose()
    return revision, counts, dangling


def test_downgrade_and_upgrade_again_keep_every_row(tmp_path: Path) -> None:
    for service in sqlite_service(tmp_path):
        headers = service.tenant()
        job = run_job(service.client, headers, create_scenario(service.client, headers))
        assert job["status"] == "succeeded"
    database = tmp_path / "api.db"
    revision, counts, dangling = state(database)
    assert revision == HEAD and dangling == [] and counts["jobs"] == 1 and counts["job_tables"] > 0

    for target in ("-1", "0001"):
        done = run([ALEMBIC, "-c", "api/alembic.ini", "downgrade", target], database)
        assert done.returncode == 0, done.stderr[-2000:]
    assert state(database) == ("0001", counts, [])

    done = run([COMMISSION, "db", "upgrade"], database)
    assert done.returncode == 0, done.stderr[-2000:]
    assert state(database) == (HEAD, counts, [])
