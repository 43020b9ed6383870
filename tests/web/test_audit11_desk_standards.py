"""Audit 11 #11: the desk's standards box refuses an amount of money through the check every share
is read with (``optimiser.units.money_form``): a £ sign and now a k/m suffix too ("90k" was read
as 90,000 and refused only as out of range)."""

from __future__ import annotations

import pytest

from tests.web.conftest import Desk, tenant
from tests.web.test_desk_overrides import listed_problems, post_offer


@pytest.mark.parametrize("given", ["£90", "90k", "0.09K%", "£ 90%"])
def test_the_standards_box_refuses_money_in_the_shared_check(desk: Desk, given: str) -> None:
    response = post_offer(desk, desk.key(tenant(), "negotiator"), offer_kind="scenario", standards_percent=given)
    assert response.status_code == 422, response.text
    message = f"Minimum standards, %: enter a percentage such as 90, not an amount of money (got '{given}')"
    assert message in listed_problems(response.text)
