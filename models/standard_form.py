"""A programme as arrays, and the compile of the Pyomo model of record into them.

``StandardForm`` is what the solver layer loads: rows ``row_lower <= A x <= row_upper`` over
bounded integer/continuous columns, each row named by its rule family and index and each
column by its variable family and index (the names of ``models.formulation``). Two builds
produce it: ``from_pyomo`` compiles the readable Pyomo model with Pyomo's
``LinearStandardFormCompiler``; ``models.arrays.build_arrays`` builds the same arrays
straight from the derived data with numpy.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from models.formulation import ProgrammeData
    from models.scenario import Scenario

# An infinite bound (HiGHS' kHighsInf is IEEE infinity).
INF = math.inf
# Row multipliers of Pyomo's mixed form: 0 equality, 1 "<=" row, -1 ">=" row.
EQUAL, UPPER, LOWER = 0, 1, -1


@dataclass
class StandardForm:
    """A programme as arrays: rows ``row_lower <= A x <= row_upper``, bounded integer/continuous columns.

    Row ``i`` is rule ``row_rule[i]`` at index ``row_key[i]``; column ``j`` is variable
    ``col_var[j]`` at index ``col_key[j]``. ``timings`` holds how long each build step took.
    """

    row_rule: np.ndarray
    row_key: list[object]
    col_var: np.ndarray
    col_key: list[object]
    minimise: bool
    offset: float
    cost: np.ndarray
    matrix: sp.csc_array | sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)


def from_pyomo(model: pyo.ConcreteModel) -> StandardForm:
    """Compile a Pyomo model with ``LinearStandardFormCompiler`` (mixed form) into a ``StandardForm``."""
    import pyomo.environ as pyo
    from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

    info = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
    multipliers = np.fromiter((row.bound_type for row in info.rows), dtype=np.int8, count=len(info.rows))
    rhs = np.asarray(info.rhs, dtype=float)
    return StandardForm(
        row_rule=np.array([row.constraint.parent_component().local_name for row in info.rows], dtype=object),
        row_key=[row.constraint.index() for row in info.rows],
        col_var=np.array([v.parent_component().local_name for v in info.columns], dtype=object),
        col_key=[v.index() for v in info.columns],
        minimise=info.objectives[0].sense == pyo.minimize,
        offset=float(info.c_offset[0]) if len(info.c_offset) else 0.0,
        cost=np.asarray(info.c.toarray()[0] if info.c.shape[0] else np.zeros(len(info.columns)), dtype=float),
        matrix=info.A.tocsc(),
        row_lower=np.where(multipliers == UPPER, -INF, rhs),
        row_upper=np.where(multipliers == LOWER, INF, rhs),
        col_lower=np.array([-INF if v.lb is None else v.lb for v in info.columns], dtype=float),
        col_upper=np.array([INF if v.ub is None else v.ub for v in info.columns], dtype=float),
        integrality=np.array([1 if v.is_integer() else 0 for v in info.columns], dtype=np.int32),
    )


def build_pyomo(scenario: Scenario, data: ProgrammeData | None = None) -> tuple[StandardForm, ProgrammeData]:
    """Build the Pyomo model of record and compile it; only the arrays are kept."""
    from models.formulation import build_model

    started = time.perf_counter()
    model, data = build_model(scenario, data)
    built = time.perf_counter()
    form = from_pyomo(model)
    del model  # the Pyomo model is released once compiled
    form.timings = {"build": built - started, "compile": time.perf_counter() - built}
    return form, data
