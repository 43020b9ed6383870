"""A programme as arrays, and the compile of the Pyomo model of record into them.

``StandardForm`` is what the solver layer loads: rows ``row_lower <= A x <= row_upper`` over
bounded integer/continuous columns, each row named by its rule family and index and each
column by its variable family and index (the names of ``models.formulation``). Two builds
produce it: ``from_pyomo`` compiles the readable Pyomo model with Pyomo's
``LinearStandardFormCompiler``; ``models.arrays.build_arrays`` builds the same arrays
straight from the derived data with numpy.
"""

from __future__ import annotations

import bisect
import math
import operator
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import pandas as pd
import scipy.sparse as sp

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from models.formulation import ProgrammeData
    from models.scenario import Scenario

# An infinite bound (HiGHS' kHighsInf is IEEE infinity).
INF = math.inf
# Row multipliers of Pyomo's mixed form: 0 equality, 1 "<=" row, -1 ">=" row.
EQUAL, UPPER, LOWER = 0, 1, -1
# Keys made at a time when iterating over a coded family.
_ITER_CHUNK = 65_536


class CodedKeys:
    """Tuple keys held as codes: key ``i`` is ``(labels[0][codes[0][i]], labels[1][codes[1][i]], ...)``."""

    def __init__(self, labels: Sequence[Sequence[Any] | np.ndarray], codes: Sequence[np.ndarray]):
        self.labels = tuple(np.asarray(values, dtype=object) for values in labels)
        self.codes = tuple(np.asarray(c, dtype=np.int32) for c in codes)

    def __len__(self) -> int:
        return len(self.codes[0])

    def __getitem__(self, i: int) -> tuple[Any, ...]:
        return tuple(values[c[i]] for values, c in zip(self.labels, self.codes, strict=True))

    def take(self, local: np.ndarray) -> CodedKeys:
        return CodedKeys(self.labels, [c[local] for c in self.codes])

    def columns(self, local: np.ndarray) -> list[np.ndarray]:
        """The keys at ``local`` as one object array per position in the tuple."""
        return [values[c[local]] for values, c in zip(self.labels, self.codes, strict=True)]

    def at(self, local: np.ndarray) -> list[tuple[Any, ...]]:
        return list(zip(*(column.tolist() for column in self.columns(local)), strict=True))

    def index(self, local: np.ndarray) -> pd.MultiIndex:
        """The keys at ``local`` as ``pd.MultiIndex.from_tuples`` makes them (levels: the labels
        present, sorted), made from the codes without the tuples or a hash of every label."""
        levels, codes = [], []
        for values, code in zip(self.labels, self.codes, strict=True):
            present = np.unique(code[local])
            names = values[present]
            order = np.argsort(names, kind="stable")
            rank = np.empty(len(values), dtype=np.int32)
            rank[present[order]] = np.arange(len(present), dtype=np.int32)
            levels.append(pd.Index(names[order]))
            codes.append(rank[code[local]])
        return pd.MultiIndex(levels=levels, codes=codes, verify_integrity=False)


class Keys(Sequence[Any]):
    """The index keys of a programme's rows or columns in position order, held compactly.

    Reads as a read-only list of keys (a tuple such as ``("P1", "dm")``, a name, or ``None``).
    Large families are ``CodedKeys`` whose tuples are made only when read (at England scale a
    list would hold 1.5 million tuples, ~110 MB); small ones are plain lists.
    """

    def __init__(self, blocks: Iterable[CodedKeys | list[Any]] = ()):
        self._blocks = [block for block in blocks if len(block)]
        self._ends = np.cumsum([len(block) for block in self._blocks], dtype=np.int64)
        self._ends_list = self._ends.tolist()

    def __len__(self) -> int:
        return self._ends_list[-1] if self._ends_list else 0

    @overload
    def __getitem__(self, position: int) -> Any: ...

    @overload
    def __getitem__(self, position: slice) -> list[Any]: ...

    def __getitem__(self, position: int | slice) -> Any:
        if isinstance(position, slice):
            return self.at(np.arange(len(self))[position])
        i = operator.index(position)
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("key position out of range")
        block = bisect.bisect_right(self._ends_list, i)
        return self._blocks[block][i - (self._ends_list[block - 1] if block else 0)]

    def __iter__(self) -> Iterator[Any]:
        for block in self._blocks:
            if isinstance(block, CodedKeys):  # in chunks, so that a whole family's tuples never exist at once
                for start in range(0, len(block), _ITER_CHUNK):
                    yield from block.at(np.arange(start, min(start + _ITER_CHUNK, len(block))))
            else:
                yield from block

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=False))

    __hash__ = None  # type: ignore[assignment]  # equal by value, so unhashable (as a list is)

    def _split(self, positions: np.ndarray) -> Iterator[tuple[np.ndarray, CodedKeys | list[Any], np.ndarray]]:
        """(where in ``positions``, block, positions within the block) for each block that ``positions`` reach."""
        if len(positions) and (positions.min() < 0 or positions.max() >= len(self)):
            raise IndexError("key position out of range")
        which = np.searchsorted(self._ends, positions, side="right")
        starts = np.concatenate([[0], self._ends])
        for block in np.unique(which).tolist():
            where = np.flatnonzero(which == block)
            yield where, self._blocks[block], positions[where] - starts[block]

    def at(self, positions: Iterable[int] | np.ndarray) -> list[Any]:
        """The keys at ``positions``, in order."""
        positions = np.asarray(positions, dtype=np.int64).reshape(-1)
        keys: list[Any] = [None] * len(positions)
        for where, block, local in self._split(positions):
            found = block.at(local) if isinstance(block, CodedKeys) else [block[j] for j in local.tolist()]
            for k, key in zip(where.tolist(), found, strict=True):
                keys[k] = key
        return keys

    def as_index(self, positions: np.ndarray) -> pd.Index:
        """The keys at ``positions`` as a pandas index: a MultiIndex for tuple keys, as
        ``pd.MultiIndex.from_tuples`` or ``pd.Index`` would make from the keys themselves."""
        positions = np.asarray(positions, dtype=np.int64).reshape(-1)
        parts = list(self._split(positions))
        if len(parts) == 1 and isinstance(parts[0][1], CodedKeys):
            return parts[0][1].index(parts[0][2])
        keys = self.at(positions)
        return pd.MultiIndex.from_tuples(keys) if keys and isinstance(keys[0], tuple) else pd.Index(keys)


@dataclass
class StandardForm:
    """A programme as arrays: rows ``row_lower <= A x <= row_upper``, bounded integer/continuous columns.

    Row ``i`` is rule ``row_rule[i]`` at index ``row_key[i]``; column ``j`` is variable
    ``col_var[j]`` at index ``col_key[j]``. ``timings`` holds how long each build step took.
    """

    row_rule: np.ndarray
    row_key: Keys
    col_var: np.ndarray
    col_key: Keys
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
        row_key=Keys([[row.constraint.index() for row in info.rows]]),
        col_var=np.array([v.parent_component().local_name for v in info.columns], dtype=object),
        col_key=Keys([[v.index() for v in info.columns]]),
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
