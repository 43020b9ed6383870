"""Audit 13 #2 (its /readyz part): /readyz answered 200 while the database could not be written
(SQLite on a full disk). Now it is 503, saying why, when SQLite's disk is full or its file cannot be
written, and when PostgreSQL is read-only; through `commission serve` in a subprocess."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from optimiser.io import read_document
from tests.servers import postgres_schema, schema_url
from tests.test_workers_supervision import REPO, Served

TINY = REPO / "data" / "tiny"

# The most free space that still counts as a full disk: the largest request the service accepts.
LARGEST_REQUEST = 64 * 1024


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB file system of its own (a tmpfs: mounting one needs root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        while subprocess.run(["mountpoint", "-q", str(disk)]).returncode == 0:  # a test may mount a view on top
            subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk is full."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with suppress(OSError):  # no space left
            while True:
                os.write(descriptor, b"\0" * 4096)
    finally:
        os.close(descriptor)
    return filler


def readiness(served: Served) -> tuple[int, str | None]:
    answer = served.get("/readyz")
    return answer.status_code, answer.json().get("detail")


@pytest.mark.slow
def test_readyz_is_503_while_the_sqlite_disk_is_full_or_read_only(small_disk: Path, tmp_path: Path) -> None:
    served = Served(
        tmp_path,
        f"sqlite:///{small_disk / 'service.db'}",
        workers=0,
        COMMISSION_MAX_REQUEST_BYTES=str(LARGEST_REQUEST),
    )
    headers = served.headers()
    served.start()
    try:
        assert readiness(served) == (200, None)

        filler = fill(small_disk)
        # The disk is really full: a scenario cannot be stored.
        stored = httpx.post(f"{served.url}/scenarios", json=read_document(TINY), headers=headers, timeout=60)
        assert stored.status_code >= 500, stored.text
        status, detail = readiness(served)
        assert status == 503
        assert detail is not None and detail.startswith("the database's disk is full (")
        assert detail.endswith(f"less than the largest request, {LARGEST_REQUEST:,})")

        filler.unlink()
        assert readiness(served) == (200, None)

        # The file system turns read-only (as one does on an I/O error): a read-only view mounted on
        # top, so that every file opened from now on is read-only (a remount refuses, files being open).
        subprocess.run(["mount", "--bind", str(small_disk), str(small_disk)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(small_disk)], check=True)
        assert readiness(served) == (503, "the database file cannot be written")
    finally:
        served.stop()


@pytest.fixture
def workers_schema() -> Iterator[str]:
    with postgres_schema("workers") as schema:
        yield schema


@pytest.mark.slow
@pytest.mark.postgres
def test_readyz_is_503_while_postgres_is_read_only(workers_schema: str, tmp_path: Path) -> None:
    writable = schema_url(workers_schema)
    Served(tmp_path, writable, workers=0).commission("db", "upgrade")
    read_only = schema_url(workers_schema, "-cdefault_transaction_read_only=on")
    served = Served(tmp_path, read_only, workers=0, COMMISSION_MIGRATE_ON_START="false")
    served.start()
    try:
        assert readiness(served) == (503, "the database is read-only (transaction_read_only is on)")
    finally:
        served.stop()
    served = Served(tmp_path, writable, workers=0, COMMISSION_MIGRATE_ON_START="false")
    served.start()
    try:
        assert readiness(served) == (200, None)
    finally:
        served.stop()
