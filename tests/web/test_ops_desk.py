"""The desk in Chromium against a real `commission serve`: the oversize-upload message is the wording
module's sentence with the file's size and the limit filled in by desk.js (which writes no sentence
of its own), and a job or scenario link from before migration 0002 (/desk/jobs/17) says where the
new id is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optimiser.deliverability import wording
from tests.conftest import BROWSER
from tests.web.test_browser import Server, browser, page, sign_in, start_server  # noqa: F401 (fixtures)

pytestmark = [BROWSER]

REPO = Path(__file__).resolve().parents[2]
DESK_JS = REPO / "api" / "web" / "static" / "desk.js"
MEBIBYTE = 1_048_576
LIMIT_BYTES = 1_000_000  # COMMISSION_MAX_REQUEST_BYTES in start_server


@pytest.fixture(scope="module")
def idle_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from start_server(tmp_path_factory.mktemp("ops-desk"), workers=0)


def test_desk_js_writes_no_sentence_of_its_own() -> None:
    script = DESK_JS.read_text(encoding="utf-8")
    fixed_parts = re.split(r"\{size\}|\{limit\}", wording.TEMPLATE_WORDS["upload_too_large"])
    for part in fixed_parts:
        for sentence in re.split(r"(?<=\.)\s+", part.strip()):
            if len(sentence) > 8:
                assert sentence not in script, sentence
    assert "Nothing was sent" not in script


def test_the_oversize_message_is_the_wording_modules_with_the_figures_filled_in(
    page: Any,  # noqa: F811 (the fixture imported above)
    idle_server: Server,
    tmp_path: Path,
) -> None:
    sign_in(page, idle_server, idle_server.key("lmc-ops-upload", "negotiator"))
    page.goto(idle_server.url + "/desk/check")
    big = tmp_path / "big.json"
    size = 1_234_567
    big.write_bytes(b"{" + b" " * (size - 2) + b"}")
    page.locator("#file").set_input_files(str(big))
    page.locator("#source-upload").check()
    page.get_by_role("button", name=wording.TEMPLATE_WORDS["check_the_offer"]).click()
    message = page.locator("#size-message")
    message.wait_for()
    expected = wording.TEMPLATE_WORDS["upload_too_large"].format(
        size=f"{size / MEBIBYTE:.1f}", limit=f"{LIMIT_BYTES / MEBIBYTE:.1f}"
    )
    assert message.inner_text().strip() == expected
    assert "The file is 1.2 MB; this service accepts at most 1.0 MB. Nothing was sent." in expected
    assert page.locator("#file").get_attribute("aria-invalid") == "true"


@pytest.mark.parametrize(
    ("path", "kind", "number"),
    [
        ("/desk/jobs/17", "job", "17"),
        ("/desk/jobs/17/report.pdf", "job", "17"),
        ("/desk/scenarios/4/delete", "scenario", "4"),
    ],
)
def test_an_old_numeric_link_says_where_the_new_id_is(
    page: Any,  # noqa: F811 (the fixture imported above)
    idle_server: Server,
    path: str,
    kind: str,
    number: str,
) -> None:
    sign_in(page, idle_server, idle_server.key(f"lmc-ops-old-{kind}", "commissioner"))
    answer = page.goto(idle_server.url + path)
    assert answer is not None and answer.status == 404
    assert wording.old_numeric_id(kind, number) in " ".join(page.inner_text("main").split())
    assert page.title().startswith(wording.DESK_NOT_FOUND_TITLE)
