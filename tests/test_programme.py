"""``Programme``: the one owner of the HiGHS object; every change is undone by ``changes()``."""

from __future__ import annotations

import numpy as np
import pytest

from models.standard_form import INF
from optimiser.objectives import spend_coefficients
from optimiser.programme import Programme
from optimiser.runs import load_scenario
from tests.test_arrays import every_family


@pytest.fixture
def programme() -> Programme:
    return Programme(load_scenario(every_family()))


def test_every_kind_of_change_is_undone_in_order(programme: Programme) -> None:
    before = programme.loaded_model()
    base = programme.solve()
    assert base.status == "optimal" and programme.is_mip
    budget = programme.rows("budget")
    h = programme.cols("h")
    with programme.changes():
        programme.relax_rows(budget)
        programme.set_col_bounds(h[:2], 0.0, 0.0)
        programme.relax_integrality()
        programme.set_objective(programme.objective_vector(base=spend_coefficients(programme)), maximise=True)
        column = programme.add_column(0.0, INF, [int(budget[0])], [-1.0])
        programme.add_row(-INF, 5.0, [column], [1.0])
        entries = programme.row_entries(programme.rows("clinical_time")[:1])
        (i, [(j, value), *_]), *_ = entries.items()
        with programme.changes():  # nested blocks undo their own changes first
            programme.change_coefficients(np.array([i]), np.array([j]), np.array([value * 2]), np.array([value]))
            programme.set_row_bounds(budget, -INF, 1.0)
        assert not programme.is_mip and programme.num_current_cols == programme.num_cols + 1
        changed = programme.loaded_model()
        assert changed != before
    assert programme.loaded_model() == before
    assert programme.is_mip and programme.num_current_cols == programme.num_cols
    assert np.array_equal(programme.row_lower, programme.base_row_lower)
    assert np.array_equal(programme.col_upper, programme.base_col_upper)
    again = programme.solve()
    assert again.objective_value == pytest.approx(base.objective_value, rel=1e-9)


def test_changes_are_undone_when_the_block_raises(programme: Programme) -> None:
    before = programme.loaded_model()
    with pytest.raises(ZeroDivisionError), programme.changes():
        programme.relax_rows(programme.rows("min_standard"))
        _ = 1 / 0
    assert programme.loaded_model() == before


def test_a_change_outside_a_block_is_refused(programme: Programme) -> None:
    with pytest.raises(RuntimeError, match="changes"):
        programme.relax_rows(programme.rows("budget"))
    before = programme.loaded_model()
    assert programme.loaded_model() == before


def test_either_engine_loads_the_same_model() -> None:
    scenario = load_scenario(every_family())
    assert Programme(scenario, engine="pyomo").loaded_model() == Programme(scenario).loaded_model()
    with pytest.raises(ValueError, match="engine"):
        Programme(scenario, engine="cplex")
