"""Public ids: UUIDv7 (RFC 9562), random apart from their millisecond timestamp.

The API names scenarios, jobs and keys by these, never by row numbers, so an organisation
learns nothing about how many rows other organisations have.
"""

from __future__ import annotations

import os
import re
import time
import uuid

PUBLIC_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
_PUBLIC_ID = re.compile(PUBLIC_ID_PATTERN)


def new_public_id() -> str:
    milliseconds = time.time_ns() // 1_000_000
    value = (milliseconds & (2**48 - 1)) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 9562 variant
    return str(uuid.UUID(int=value))


def is_public_id(text: str) -> bool:
    return bool(_PUBLIC_ID.match(text))


_OLD_NUMERIC_ID = re.compile(r"[0-9]{1,20}")


# The kinds whose ids were row numbers before migration 0002.
OLD_NUMERIC_ID_KINDS = ("job", "scenario", "key")


def old_numeric_id_kind(parameter: str, given: str) -> str | None:
    """The kind ("job") when path parameter ``parameter`` ("job_id") holds a row number, as ids
    were before migration 0002 gave every scenario, job and key a UUID (a link such as /jobs/17,
    kept from before the upgrade); otherwise None. The API and the desk answer such a link alike."""
    kind = parameter.removesuffix("_id")
    if parameter.endswith("_id") and kind in OLD_NUMERIC_ID_KINDS and _OLD_NUMERIC_ID.fullmatch(given):
        return kind
    return None
