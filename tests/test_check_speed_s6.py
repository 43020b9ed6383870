"""The sixth check-speed session: the same check with less work (timings live in bench/).

``single_threaded_blas`` holds numpy's OpenBLAS to one thread while the check runs (its own threads
spun on the cores HiGHS solves on); ``CapRaise`` reads its entries and changes its coefficients with
arrays. Neither may change an answer: every check number, the conflict and the model HiGHS holds
after each experiment must be what they were.
"""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import numpy as np
import pytest

from optimiser.deliverability import check as check_module
from optimiser.deliverability.exact import CapRaise
from optimiser.deliverability.levers import safe_rows
from optimiser.io import read_document
from optimiser.programme import Programme, single_threaded_blas
from optimiser.runs import load_scenario, run_job
from tests.require import require_or_skip

OFFER = Path(__file__).resolve().parents[1] / "data" / "undeliverable_offer"


def blas_threads() -> list[int]:
    from threadpoolctl import threadpool_info

    return [int(pool["num_threads"]) for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_numpys_blas_runs_on_one_thread_inside_the_block_and_as_before_after() -> None:
    found = blas_threads()
    require_or_skip(bool(found), "numpy is not linked to a BLAS threadpoolctl knows here")
    before = blas_threads()
    with single_threaded_blas():
        assert blas_threads() == [1] * len(found)
        # numpy still computes inside: a product longer than OpenBLAS' threading threshold.
        a = np.arange(50_000, dtype=float)
        assert float(a @ a) == pytest.approx(float(np.sum(a * a)), rel=1e-12)
    assert blas_threads() == before
    with pytest.raises(ZeroDivisionError), single_threaded_blas():
        _ = 1 / 0
    assert blas_threads() == before


def test_overlapping_blocks_in_two_threads_restore_the_setting_only_when_the_last_ends(monkeypatch) -> None:
    """Two checks at once (API worker threads): the first to end must not give the other BLAS' threads
    back, and the last to end restores what was there before either. (Recorded through threadpoolctl's
    own entry point: OpenBLAS itself may answer a thread's query with that thread's own count.)"""
    import threadpoolctl

    calls: list[str] = []

    class Recorded:
        def __init__(self, limits: int, user_api: str) -> None:
            calls.append(f"limit {user_api} to {limits}")

        def restore_original_limits(self) -> None:
            calls.append("restore")

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", Recorded)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, list[str]] = {}

    def first() -> None:
        with single_threaded_blas():
            first_in.set()
            second_in.wait(10)
        first_out.set()

    def second() -> None:
        first_in.wait(10)
        with single_threaded_blas():
            second_in.set()
            first_out.wait(10)
            seen["after the first ended"] = list(calls)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert seen["after the first ended"] == ["limit blas to 1"]
    assert calls == ["limit blas to 1", "restore"]


def check_result(document: dict) -> dict:
    result = dict(run_job("check", document).result)
    result.pop("seconds")
    return result


@pytest.mark.parametrize("budget", [None, "11.56m"])
def test_the_check_gives_the_same_answer_with_numpys_blas_threads_as_they_were(monkeypatch, budget) -> None:
    """Every number, the conflict and each lever: with BLAS on one thread and left as it was."""
    document = read_document(OFFER)
    if budget is not None:
        document["settings"]["budget_gbp"] = 11_560_000.0
    single = check_result(document)
    monkeypatch.setattr(check_module, "single_threaded_blas", contextlib.nullcontext)
    as_it_was = check_result(document)
    assert single == as_it_was
    assert single["deliverable"] is False
    # At £11.56m, £203 short of the least cost, the feasibility tests could not all be decided (the
    # conflict was not proven irreducible); the least-spend tests decide them.
    headline = single["conflict"]["sentences"][0]
    assert single["conflict"]["irreducible"] is True and single["conflict"]["verified"] is True
    assert "each needed for the conflict" in headline and "not proven" not in headline
    if budget is None:
        levers = {lever["lever"]: lever["amount"] for lever in single["levers"]}
        assert round(levers["budget"], 2) == 6_860_203.29
        assert round(levers["standards"], 6) == 0.892809
        assert levers["safe_working"] == pytest.approx(6.426)
        assert single["conflict"]["groups"] == 15


def entries_one_by_one(programme: Programme, rows: np.ndarray) -> list[tuple[int, int, float]]:
    """The capped rows' entries in the FTE columns (h, e), read one row at a time (as before)."""
    fte = set(programme.cols("h").tolist()) | set(programme.cols("e").tolist())
    return [(i, j, v) for i, entries in programme.row_entries(rows).items() for j, v in entries if j in fte]


def test_cap_raise_changes_exactly_the_fte_entries_and_its_changes_are_undone() -> None:
    programme = Programme(load_scenario(read_document(OFFER)))
    by_role = safe_rows(programme)
    every = np.concatenate(list(by_role.values()))
    for rows in (every, *by_role.values()):
        raise_ = CapRaise(programme, rows)
        expected = entries_one_by_one(programme, rows)
        assert (
            list(zip(raise_.entry_rows.tolist(), raise_.entry_cols.tolist(), raise_.entry_values.tolist(), strict=True))
            == expected
        )
        caps = programme.scenario.roles["max_contacts_per_day"]
        assert raise_.cap.tolist() == [float(caps[programme.row_key[i][1]]) for i in rows]
    before = programme.loaded_model()
    raise_ = CapRaise(programme, every)
    with programme.changes():
        raise_.apply(2.5)
        lp = programme.highs.getLp()
        matrix = lp.a_matrix_
        start, index, value = (np.asarray(a) for a in (matrix.start_, matrix.index_, matrix.value_))
        position = {int(i): n for n, i in enumerate(every)}
        for i, j, v in entries_one_by_one(programme, every):
            column = index[start[j] : start[j + 1]]
            got = value[start[j] : start[j + 1]][column == i]
            cap = raise_.cap[position[i]]
            assert got.tolist() == [v * ((cap + 2.5) / cap)]
        factor = (raise_.cap + 2.5) / raise_.cap
        assert np.array_equal(programme.row_upper[every], programme.base_row_upper[every] * factor)
    assert programme.loaded_model() == before
