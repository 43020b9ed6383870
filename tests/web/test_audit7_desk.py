"""Audit 7, A16 and A17 in process: every desk page declares the product's own icon (so no
browser asks for a /favicon.ico the service does not have), and an offer refused on the check
form says beside the upload that the file must be chosen again."""

from __future__ import annotations

import html
import json
import re

from sqlalchemy import func, select

from api.orm import Scenario
from tests.web.conftest import Desk, csrf_of, tenant, tiny_document

ICON = '<link rel="icon" href="/desk/static/icon.svg" type="image/svg+xml">'


def scenario_count(desk: Desk) -> int:
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).select_from(Scenario)) or 0)


def test_every_desk_page_declares_the_products_icon_which_is_served(desk: Desk) -> None:
    client = desk.signed_in(desk.key(tenant(), "negotiator"))
    pages = {
        "sign in": desk.client.get("/").text,
        "home": client.get("/").text,
        "check": client.get("/desk/check").text,
        "compare": client.get("/desk/compare").text,
        "not found": client.get("/desk/jobs/not-a-job").text,
    }
    for name, page in pages.items():
        assert page.count(ICON) == 1, name
    icon = desk.client.get("/desk/static/icon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg") and "http://www.w3.org/2000/svg" in icon.text
    assert not re.search(r"(href|src)=\"https?:", icon.text)  # nothing fetched from elsewhere


def test_a_refused_offer_says_the_chosen_file_must_be_chosen_again(desk: Desk) -> None:
    client = desk.signed_in(desk.key(tenant(), "negotiator"))
    form = client.get("/desk/check").text
    assert 'id="file-again"' not in form
    before = scenario_count(desk)
    refused = client.post(
        "/desk/check",
        data={"csrf": csrf_of(form), "source": "upload", "offer_kind": "pooled", "offer_amount": ""},
        files={"file": ("tiny.json", json.dumps(tiny_document()).encode(), "application/json")},
    )
    assert refused.status_code == 422
    page = html.unescape(refused.text)
    assert "Amount offered: enter an amount" in page
    notice = re.search(r'<p class="notice" id="file-again">(.*?)</p>', page)
    assert notice is not None
    words = re.sub(r"<[^>]+>", "", notice.group(1))
    assert words.startswith("Choose the file again:") and "tiny.json was not read" in words
    # beside the upload, and read with it by assistive technology
    assert page.index('id="file"') < notice.start() < page.index('id="name"')
    assert re.search(r'<input type="file" id="file"[^>]*aria-describedby="file-hint file-again upload-problems"', page)
    assert scenario_count(desk) == before  # not stored: it was not read


def test_no_file_notice_when_no_file_was_chosen_or_a_stored_scenario_was(desk: Desk) -> None:
    token = desk.key(tenant(), "negotiator")
    client = desk.signed_in(token)
    scenario_id = desk.scenario(token)
    form = client.get("/desk/check").text
    for data, files in (
        ({"source": "upload", "offer_kind": "pooled"}, None),
        ({"source": "stored", "scenario": f"{scenario_id}:1", "offer_kind": "rate", "offer_amount": "lots"}, None),
        (
            {"source": "stored", "scenario": f"{scenario_id}:1", "offer_kind": "pooled"},
            {"file": ("tiny.json", b"{}", "application/json")},
        ),
    ):
        refused = client.post("/desk/check", data={"csrf": csrf_of(form), **data}, files=files)
        assert refused.status_code == 422 and "Check the offer:" in refused.text, data
        assert 'id="file-again"' not in refused.text, data
