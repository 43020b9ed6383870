"""The spec merged with imported area tables: roles, services, skill mix, eligibility, settings.

A spec is read by ``optimiser.io.read_document`` (a workbook, a CSV folder or JSON, in any
encoding the product reads). A ``notes`` column in any of its tables, and a ``notes``
table (the ``notes`` sheet of a workbook is skipped by the reader anyway), document the
figures and are left out of the scenario. The product's default spec is
``data/specs/default/``, shipped inside the package as ``optimiser/nhs/default_spec/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from optimiser.nhs.sources import NhsInputError

SPEC_TABLES = ("roles", "services", "skill_mix", "eligibility")
AREA_TABLES = ("practices", "pcns", "staff")
NOTES = "notes"
DEFAULT_SPEC_DIR = "default_spec"


def default_spec_path() -> Path:
    """The packaged default spec (a CSV folder)."""
    return Path(str(resources.files("optimiser.nhs").joinpath(DEFAULT_SPEC_DIR)))


def load_spec(path: str | Path | None) -> tuple[dict[str, Any], str]:
    """The spec document (notes removed) and a label for the report."""
    from models.scenario import ScenarioInvalid
    from optimiser.io import read_document

    source = Path(path) if path is not None else default_spec_path()
    label = str(path) if path is not None else "the default spec (data/specs/default)"
    try:
        document = read_document(source)
    except ScenarioInvalid as error:
        raise NhsInputError(label, "; ".join(str(p) for p in error.problems[:5])) from None
    return clean_spec(document, label), label


def clean_spec(document: dict[str, Any], label: str) -> dict[str, Any]:
    from models.validate import unsaved_formulas

    unsaved = unsaved_formulas(document)
    if unsaved:
        raise NhsInputError(label, "; ".join(str(p) for p in unsaved[:5]))
    area = [t for t in AREA_TABLES if t in document]
    if area:
        raise NhsInputError(
            label,
            f"a spec gives {', '.join(SPEC_TABLES)} and settings; it must not hold {', '.join(area)}, "
            "which the importer builds from the publications",
        )
    cleaned: dict[str, Any] = {}
    for table, value in document.items():
        if table == NOTES:
            continue
        if isinstance(value, list):
            cleaned[table] = [
                {k: v for k, v in record.items() if k != NOTES} for record in value if isinstance(record, dict)
            ]
        else:
            cleaned[table] = value
    return cleaned
