"""Audit 4, F15: `commission batch --dask ADDRESS` reaches the scheduler before it starts. An
unreachable or malformed address is answered like a bad option (one `invalid` line naming
`--dask`, or `COMMISSION_DASK_ADDRESS` when the address came from it; exit 2; nothing run), and a
batch that stops on an unexpected failure ends its JSON stream with an `error` line."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from optimiser.batch import run_batch_command
from tests import console
from tests.conftest import base_document

MANIFEST = '[[runs]]\nid = "t"\nscenario = "tiny.json"\n'


def folder(tmp_path: Path) -> Path:
    (tmp_path / "tiny.json").write_text(json.dumps(base_document()))
    (tmp_path / "one.toml").write_text(MANIFEST)
    return tmp_path


@pytest.fixture
def quick_connect(monkeypatch: pytest.MonkeyPatch) -> None:
    """distributed gives up connecting after 2 s, not 30 (the subprocess inherits it)."""
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "2s")


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:1", "foo://x:1"])
def test_an_unreachable_scheduler_is_a_bad_option(tmp_path: Path, quick_connect: None, address: str) -> None:
    here = folder(tmp_path)
    done = console.run("batch", "one.toml", "--out", "out", "--dask", address, "--format", "json", cwd=here)
    assert done.returncode == 2, done.stderr
    events = console.strict_json_lines(done.stdout)
    assert [event["event"] for event in events] == ["invalid"], "no start: nothing ran"
    (problem,) = events[0]["problems"]
    assert (problem["table"], problem["column"]) == ("options", "--dask")
    assert problem["message"].startswith(f"cannot reach the Dask scheduler at {address} (")
    assert problem["message"].endswith("); nothing was run")
    assert f"--dask: cannot reach the Dask scheduler at {address}" in done.stderr
    assert not (here / "out").exists()


def test_the_address_from_the_environment_is_named_as_such(
    tmp_path: Path, quick_connect: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMISSION_DASK_ADDRESS", "tcp://127.0.0.1:1")
    done = console.run("batch", "one.toml", "--out", "out", "--format", "json", cwd=folder(tmp_path))
    assert done.returncode == 2, done.stderr
    (event,) = console.strict_json_lines(done.stdout)
    assert event["problems"][0]["column"] == "COMMISSION_DASK_ADDRESS"


def test_a_batch_that_stops_on_an_unexpected_failure_closes_its_stream(tmp_path: Path) -> None:
    """A folder where the batch writes its summary.csv: it cannot write the summary after the runs;
    the last line on stdout says why. (An --out that is a file is now refused before anything runs.)"""
    here = folder(tmp_path)
    (here / "out" / "summary.csv").mkdir(parents=True)
    done = console.run("batch", "one.toml", "--out", "out", "--format", "json", cwd=here)
    assert done.returncode == 1, done.stderr
    events = console.strict_json_lines(done.stdout)
    assert events[-1]["event"] == "error" and events[-1]["status"] == "error"
    assert events[-1]["message"].startswith("the batch stopped: IsADirectoryError")


def test_a_reachable_scheduler_runs_the_batch_on_the_connection_made_first(tmp_path: Path) -> None:
    import distributed  # in the lock (dask[distributed]): never skipped

    here = folder(tmp_path)
    stream = io.StringIO()
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None, silence_logs=50
    ) as cluster:
        code = run_batch_command(
            here / "one.toml", here / "out", None, cluster.scheduler_address, False, Console(file=io.StringIO()), stream
        )
        assert code == 0, stream.getvalue()
        # Everything unchanged: the connection made up front is closed unused.
        assert (
            run_batch_command(
                here / "one.toml",
                here / "out",
                None,
                cluster.scheduler_address,
                False,
                Console(file=io.StringIO()),
                stream,
            )
            == 0
        )
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [e["event"] for e in events] == ["start", "run", "end", "start", "run", "end"]
    assert events[1]["state"] == "succeeded" and events[4]["cached"] is True
