"""The desk's upload label names every kind of file the upload accepts (a .xlsm workbook was
accepted but the label listed .xlsx, .zip and .json only)."""

from __future__ import annotations

import html
import re

from tests.web.conftest import Desk, tenant


def test_the_upload_label_lists_what_the_input_accepts(desk: Desk) -> None:
    page = desk.signed_in(desk.key(tenant(), "commissioner")).get("/desk/check").text
    [label] = re.findall(r'<label for="file">(.*?)</label>', page)
    [accepted] = re.findall(r'<input type="file" id="file" name="file" accept="([^"]*)"', page)
    suffixes = accepted.split(",")
    assert {".xlsx", ".xlsm", ".zip", ".json"} <= set(suffixes)
    assert [suffix for suffix in suffixes if suffix not in re.findall(r"\.[a-z]+", html.unescape(label))] == []
