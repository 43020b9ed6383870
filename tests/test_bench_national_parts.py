"""``python -m bench.national --parts sweep`` run alone replaces only the rows it measured.

The sweep fills in a ``max_value`` row from its first point (a value solve with no tie-break) for a
scale with none stored; it used to overwrite a stored ``max_value`` that ``--parts objectives``
had measured, dropping its tie-break figure from bench/RESULTS.md. Only the merge is tested here:
the national benchmark itself takes minutes.
"""

from __future__ import annotations

from typing import Any

from bench.national import merge_scale
from bench.results import national_section

SOLVED = {"load_validate_s": 1.0, "build_pass_s": 0.5}


def objectives_run() -> dict[str, Any]:
    """A scale as ``--parts objectives,sweep`` stores it: max_value with its tie-break."""
    return {
        "scale": {"n_practices": 100},
        "measured_at": "2026-12-01T10:00:00+00:00",
        "load_average_1m_at_start": 1.5,
        "cpu": "AMD EPYC",
        "min_cost": {"solve": {"s": 3.0, "cpu_s": 3.0}, "objective_value": 27_000_000.0},
        "max_value": {
            **SOLVED,
            "solve": {"s": 5.0, "cpu_s": 5.1},
            "tie_break": {"s": 0.4, "cpu_s": 0.4, "iterations": 12},
            "status": "optimal",
            "objective_value": 123_456.78,
        },
        "max_value_defaults": {
            "solve": {"s": 20.0, "cpu_s": 20.0},
            "time_limit_s": 30.0,
            "status": "optimal",
            "objective_value": 123_456.78,
        },
        "sweep": {**SOLVED, "points": [{"s": 6.0, "cpu_s": 6.0, "iterations": 1000}]},
    }


def sweep_run() -> dict[str, Any]:
    """What ``--parts sweep`` alone measures: min_cost, the sweep, and its stand-in max_value."""
    first = {"s": 7.0, "cpu_s": 7.2, "iterations": 1200}
    return {
        "scale": {"n_practices": 100},
        "measured_at": "2026-12-06T10:00:00+00:00",
        "load_average_1m_at_start": 1.1,
        "cpu": "AMD EPYC",
        "min_cost": {"solve": {"s": 2.9, "cpu_s": 2.9}, "objective_value": 27_000_000.0},
        "sweep": {**SOLVED, "points": [first, {"s": 0.5, "cpu_s": 0.5, "iterations": 100}]},
        "max_value": {
            **SOLVED,
            "solve": {"s": first["s"], "cpu_s": first["cpu_s"]},
            "status": "optimal",
            "objective_value": 123_000.0,
            "from_sweep": True,
        },
    }


def test_a_sweep_alone_keeps_the_stored_max_value_and_its_tie_break() -> None:
    stored, measured = objectives_run(), sweep_run()
    merged = merge_scale(stored, measured)
    assert merged["max_value"] == stored["max_value"]  # tie-break and all
    assert merged["max_value_defaults"] == stored["max_value_defaults"]
    # The rows it measured are its own.
    assert merged["sweep"] == measured["sweep"] and merged["min_cost"] == measured["min_cost"]
    table = "\n".join(national_section({"national": {"scales": {"region": merged}}}))
    assert "5.0 + 0.4 = 5.4" in table  # value solve + tie-break, as stored
    assert "123,456.78" in table


def test_a_sweep_alone_fills_in_max_value_where_none_is_stored() -> None:
    measured = sweep_run()
    assert merge_scale({}, measured)["max_value"] == measured["max_value"]
    earlier = sweep_run()
    earlier["max_value"]["solve"] = {"s": 9.0, "cpu_s": 9.0}
    # An earlier stand-in is replaced by the newer one: both are the sweep's own.
    assert merge_scale(earlier, measured)["max_value"] == measured["max_value"]


def test_objectives_replace_a_stored_max_value() -> None:
    """A run that measures max_value (with its tie-break) replaces the stored row, stand-in or not."""
    measured = objectives_run()
    for stored in (sweep_run(), objectives_run() | {"max_value": {**objectives_run()["max_value"], "status": "x"}}):
        assert merge_scale(stored, measured)["max_value"] == measured["max_value"]


def test_a_product_sweep_kept_from_an_earlier_run_says_when_and_at_what_load_it_was_measured() -> None:
    """A run without ``--parts product`` kept the stored product row but labelled it with its own load."""
    product = {
        "cores": 2,
        "solve": {"s": 7.2, "cpu_s": 7.4},
        "sweep": {"s": 22.7, "cpu_s": 38.6},
        "sweep_one_core": {"s": 36.8, "cpu_s": 36.7},
    }
    stored = objectives_run() | {"product_sweep": product, "load_average_1m_at_start": 1.5}
    measured = sweep_run() | {"load_average_1m_at_start": 6.0}
    merged = merge_scale(stored, measured)
    assert merged["product_sweep"]["load_average_1m_at_start"] == 1.5
    assert merged["product_sweep"]["measured_at"] == stored["measured_at"]
    table = "\n".join(national_section({"national": {"scales": {"region": merged}}}))
    product_row = next(line for line in table.splitlines() if line.startswith("| region | 7.2 (7.4)"))
    assert "load 1.5" in product_row
