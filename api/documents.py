"""Accepting scenario documents: reading uploads, enforcing limits, validating.

Uploads and JSON bodies are read by the same readers as the CLI (`optimiser.io`), under
the same kind of limits (`reader_limits`), and validated by the same validator, so one
input gives one answer or one list of problems on every path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from api.serialise import json_safe
from api.settings import Settings
from models.scenario import Problem, ScenarioInvalid
from models.validate import validate_document
from optimiser.deliverability import wording
from optimiser.io import ReadLimits, check_table_rows, parse_json, raise_if_cancelled, read_bytes

logger = logging.getLogger(__name__)

MAX_FILENAME_LENGTH = 200


UPLOADS_BUSY_RETRY_AFTER_S = 5


class UploadsBusy(Exception):
    """Every slot for reading a scenario document is taken: HTTP 503 with Retry-After."""

    def __init__(self, limit: int) -> None:
        super().__init__(wording.uploads_busy_sentence(limit, UPLOADS_BUSY_RETRY_AFTER_S))
        self.limit = limit


class DocumentSlots:
    """How many requests of one app may read and validate scenario documents at once
    (``COMMISSION_MAX_CONCURRENT_UPLOADS``).

    A JSON body takes many times its size in memory while it is parsed and validated, so
    the number of documents read at once, not the number of server threads, bounds the
    service's memory (audit 13 #3: 16 refused 9.6 MB bodies at once peaked at 813 MB).
    A request over the limit is refused at once rather than queued: a queued body would
    hold its memory and a server thread while it waited.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self.in_use >= self.limit:
                return False
            self.in_use += 1
            return True

    def give_back(self) -> int:
        """Free one slot; how many are still in use."""
        with self._lock:
            self.in_use -= 1
            return self.in_use


class _RequestSlot:
    """One request's claim on a slot: taken at its first document read, held until the
    request ends (its document lives that long), given back by ``document_admission``."""

    def __init__(self, slots: DocumentSlots) -> None:
        self.slots = slots
        self.held = False

    def take(self) -> None:
        if self.held:
            return
        if not self.slots.take():
            raise UploadsBusy(self.slots.limit)
        self.held = True


_request_slot: ContextVar[_RequestSlot | None] = ContextVar("document_slot", default=None)


@contextmanager
def document_admission(slots: DocumentSlots) -> Iterator[_RequestSlot]:
    """Around one request: the document readers below take a slot of ``slots`` for it (server
    threads copy this context), and the slot is given back when the request ends."""
    claim = _RequestSlot(slots)
    token = _request_slot.set(claim)
    try:
        yield claim
    finally:
        _request_slot.reset(token)
        if claim.held:
            slots.give_back()


def _admit() -> None:
    """Take the request's slot for reading a document, or raise ``UploadsBusy``. Outside a
    request of the service (the CLI, batches) there is no limit."""
    claim = _request_slot.get()
    if claim is not None:
        claim.take()


@dataclass(frozen=True)
class AcceptedDocument:
    document: dict[str, Any]
    scenario_hash: str


def reader_limits(settings: Settings) -> ReadLimits:
    """The readers' limits under this service's settings. Every read of an upload asks for them
    (an NHS import's publications too), so this is where a request takes its document slot."""
    _admit()
    return ReadLimits(
        max_file_bytes=settings.max_request_bytes,
        max_expanded_bytes=settings.max_upload_expanded_bytes,
        max_table_rows=settings.max_table_rows,
    )


def accept_document(document: dict[str, Any], settings: Settings) -> AcceptedDocument:
    """Check a document against the service's limits and the data contract.

    Raises `ScenarioInvalid` naming every problem (the same messages as
    `commission validate`). Nothing is blanked or coerced before validation: a NaN or an
    infinity is a problem named by table, row and column. Raises `ReadCancelled` instead
    if the request's client has gone (so nothing is stored for it).
    """
    raise_if_cancelled()
    check_table_rows(document, reader_limits(settings))  # as the reader checks a file's tables
    try:
        scenario = validate_document(document)
    except ScenarioInvalid:
        raise
    except Exception as error:  # a validator bug must not become a 500 for the caller
        logger.exception("validating a scenario failed unexpectedly")
        raise ScenarioInvalid(
            [Problem("scenario", None, None, f"could not be validated ({type(error).__name__})")]
        ) from error
    # Limits of the service hold on the value after coercion ("500" is 500 s).
    if too_long := time_limit_problem(scenario.settings.time_limit_s, settings):
        raise ScenarioInvalid([Problem("settings", None, "time_limit_s", too_long)])
    raise_if_cancelled()
    # A valid document holds only finite numbers and text; workbook cells such as dates
    # are stored as text.
    return AcceptedDocument(document=json_safe(document), scenario_hash=scenario.scenario_hash)


def time_limit_problem(time_limit_s: float, settings: Settings) -> str | None:
    """Why this service refuses a solver time limit (over ``COMMISSION_MAX_TIME_LIMIT_S``), or None.

    The one check of the limit wherever a time limit comes in: a scenario's ``settings.time_limit_s``
    (JSON body, upload, the desk's form, an import) and a job's ``overrides.time_limit_s``; the
    caller names the field it came in.
    """
    if time_limit_s > settings.max_time_limit_s:
        return wording.time_limit_over_service_limit(settings.max_time_limit_s, time_limit_s)
    return None


def read_body(content: bytes, settings: Settings) -> dict[str, Any]:
    """A JSON request body, read exactly as a `.json` scenario file is."""
    return parse_json(content, "the request body", reader_limits(settings))


def read_upload(filename: str | None, content: bytes, settings: Settings) -> dict[str, Any]:
    """Read an uploaded .xlsx/.xlsm workbook, .zip of CSVs or .json file into a document."""
    name = filename or ""
    if not name or len(name) > MAX_FILENAME_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ScenarioInvalid(
            [
                Problem(
                    "upload",
                    None,
                    "filename",
                    f"must be 1 to {MAX_FILENAME_LENGTH} characters without control characters",
                )
            ]
        )
    return read_bytes(name, content, reader_limits(settings))
