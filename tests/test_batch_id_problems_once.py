"""``batch._id_problems`` folds a run id to lower case once, and still refuses the batch's own file
names and ids that differ only in case."""

from __future__ import annotations

from optimiser.batch import _id_problems


class CountedId(str):
    """A run id that counts how often it is folded to lower case."""

    folds = 0

    def lower(self) -> str:
        CountedId.folds += 1
        return super().lower()


def test_a_run_id_is_folded_once() -> None:
    CountedId.folds = 0
    seen: dict[str, tuple[str, str]] = {}
    assert _id_problems("runs[0]", CountedId("Tiny"), seen) == []
    assert CountedId.folds == 1
    assert seen == {"tiny": ("Tiny", "runs[0]")}


def test_the_checks_still_hold() -> None:
    seen: dict[str, tuple[str, str]] = {}
    assert _id_problems("runs[0]", "Tiny", seen) == []
    [same] = _id_problems("runs[1]", "Tiny", seen)
    assert "is already used by runs[0]" in same
    [case] = _id_problems("runs[2]", "TINY", seen)
    assert "differs only in case from 'Tiny' of runs[0]" in case
    [own] = _id_problems("runs[3]", "Summary.csv", seen)
    assert "is the name of a file the batch writes" in own
