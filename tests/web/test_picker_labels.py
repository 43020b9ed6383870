"""The desk's scenario pickers tell apart two uploads of the same file (audit 4 F9: the same
`undeliv.zip` uploaded twice was listed twice as "undeliv.zip, version 1")."""

from __future__ import annotations

import html
import re

from sqlalchemy import select

from api.orm import Scenario
from tests.web.conftest import Desk, tenant


def picker_options(page: str, select_id: str) -> dict[str, str]:
    """The `value: label` of each option of the select with this id."""
    match = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', page, re.DOTALL)
    assert match, f"no picker {select_id}"
    options = re.findall(r'<option value="([^"]*)"[^>]*>(.*?)</option>', match.group(1), re.DOTALL)
    return {value: html.unescape(label) for value, label in options}


def test_the_same_upload_twice_is_listed_twice_told_apart(desk: Desk) -> None:
    icb, lmc = tenant(), tenant()
    commissioner = desk.key(icb, "commissioner")
    first = desk.scenario(commissioner, name="undeliv.zip")
    second = desk.scenario(commissioner, name="undeliv.zip")
    negotiator = desk.key(lmc, "negotiator")
    shared = desk.client.put(f"/scenarios/{first}/shares/{lmc}", headers={"X-API-Key": commissioner})
    assert shared.status_code == 200, shared.text
    with desk.client.app.state.sessions() as session:  # type: ignore[attr-defined]
        stored = {
            scenario.public_id: scenario.versions[0].created_at.strftime("%d %b %Y %H:%M UTC")
            for scenario in session.scalars(select(Scenario).where(Scenario.public_id.in_([first, second])))
        }

    client = desk.signed_in(commissioner)
    pickers = [picker_options(client.get("/desk/check").text, "scenario")]
    compare = client.get("/desk/compare").text
    pickers += [picker_options(compare, "scenario_a"), picker_options(compare, "scenario_b")]
    for options in pickers:
        labels = [options[f"{first}:1"], options[f"{second}:1"]]
        assert len(set(labels)) == 2, labels  # not "undeliv.zip, version 1" twice
        for scenario_id, label in zip((first, second), labels, strict=True):
            assert label == f"undeliv.zip, version 1, stored {stored[scenario_id]}, id …{scenario_id[-6:]}"

    # shared with another organisation: the same label, and whose it is
    options = picker_options(desk.signed_in(negotiator).get("/desk/check").text, "scenario")
    assert options[f"{first}:1"] == (
        f"undeliv.zip, version 1, stored {stored[first]}, id …{first[-6:]} (shared by {icb})"
    )
    assert f"{second}:1" not in options
