"""Turning results into JSON, stored tables, CSV and Excel."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, cast

import numpy as np
import pandas as pd

from optimiser.io import csv_safe, text_as_text

EXCEL_SHEET_NAME_LENGTH = 31


def json_safe(value: Any) -> Any:
    """`value` as plain JSON: NumPy scalars unwrapped, NaN and infinities as null."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, str | bytes):
        return value.decode(errors="replace") if isinstance(value, bytes) else value
    if isinstance(value, Sequence | np.ndarray | set | frozenset):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, bool | int):
        return value
    return str(value)


def frame_to_stored(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    """A result table as column names and JSON-safe rows."""
    columns = [str(column) for column in frame.columns]
    rows = json_safe(frame.astype(object).to_numpy().tolist())
    return columns, rows


def stored_to_frame(columns: list[str], rows: list[list[Any]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as a CSV download (text a spreadsheet would run as a formula starts with ``'``)."""
    # to_csv with no file returns the CSV as text (pandas has no type hints here).
    return cast(str, csv_safe(frame).to_csv(index=False)).encode()


def xlsx_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """A workbook with one sheet per table (an empty one if there are no tables)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        if not frames:
            pd.DataFrame().to_excel(writer, sheet_name="results", index=False)
        for name, frame in frames.items():
            frame.to_excel(writer, sheet_name=name[:EXCEL_SHEET_NAME_LENGTH], index=False)
        text_as_text(writer.book)  # a scenario's text stays text, never a formula
    return buffer.getvalue()
