"""Accepting scenario documents: reading uploads, enforcing limits, validating."""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from api.serialise import json_safe
from api.settings import Settings
from models.scenario import Problem, ScenarioInvalid
from models.validate import validate_document
from optimiser.io import read_document

logger = logging.getLogger(__name__)

UPLOAD_SUFFIXES = (".xlsx", ".zip", ".json")
ZIP_SUFFIXES = (".xlsx", ".zip")


@dataclass(frozen=True)
class AcceptedDocument:
    document: dict[str, Any]
    scenario_hash: str


def accept_document(document: dict[str, Any], settings: Settings) -> AcceptedDocument:
    """Check a document against the service's limits and the data contract.

    Raises `ScenarioInvalid` naming every problem (the same messages as
    `commission validate`).
    """
    document = json_safe(document)
    check_limits(document, settings)
    try:
        scenario = validate_document(document)
    except ScenarioInvalid:
        raise
    except Exception as error:  # a validator bug must not become a 500 for the caller
        logger.exception("validating a scenario failed unexpectedly")
        raise ScenarioInvalid(
            [Problem("scenario", None, None, f"could not be validated ({type(error).__name__})")]
        ) from error
    return AcceptedDocument(document=document, scenario_hash=scenario.scenario_hash)


def check_limits(document: dict[str, Any], settings: Settings) -> None:
    problems = [
        Problem(
            str(table),
            None,
            None,
            f"has {len(records)} rows; the most this service accepts is {settings.max_table_rows}",
        )
        for table, records in document.items()
        if isinstance(records, list) and len(records) > settings.max_table_rows
    ]
    time_limit = (document.get("settings") or {}).get("time_limit_s")
    if isinstance(time_limit, int | float) and time_limit > settings.max_time_limit_s:
        problems.append(
            Problem(
                "settings",
                None,
                "time_limit_s",
                f"must be at most {settings.max_time_limit_s:g} s on this service (got {time_limit:g})",
            )
        )
    if problems:
        raise ScenarioInvalid(problems)


def read_upload(filename: str | None, content: BinaryIO, settings: Settings) -> dict[str, Any]:
    """Read an uploaded .xlsx workbook, .zip of CSVs or .json file into a document."""
    suffix = Path(filename or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ScenarioInvalid(
            [
                Problem(
                    "upload",
                    None,
                    None,
                    f"unsupported file {filename!r}: give a {', '.join(UPLOAD_SUFFIXES)} file",
                )
            ]
        )
    with tempfile.TemporaryDirectory(prefix="commission-upload-") as directory:
        path = Path(directory) / f"scenario{suffix}"
        with path.open("wb") as saved:
            shutil.copyfileobj(content, saved)
        if suffix in ZIP_SUFFIXES:
            _check_expanded_size(path, settings)
        try:
            return read_document(path)
        except ScenarioInvalid:
            raise
        except Exception as error:  # a malformed file must be a 422, never a 500
            logger.warning("reading an upload failed: %s: %s", type(error).__name__, error)
            raise ScenarioInvalid(
                [Problem("upload", None, None, f"could not read {filename!r} ({type(error).__name__})")]
            ) from error


def _check_expanded_size(path: Path, settings: Settings) -> None:
    """Refuse archives that would expand beyond the limit (zip bombs)."""
    try:
        with zipfile.ZipFile(path) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        return  # read_document reports the unreadable file
    if expanded > settings.max_upload_expanded_bytes:
        raise ScenarioInvalid(
            [
                Problem(
                    "upload",
                    None,
                    None,
                    f"expands to {expanded} bytes; the most this service accepts is "
                    f"{settings.max_upload_expanded_bytes}",
                )
            ]
        )
