"""The Reports page in a browser: choose the As of day, read the credit liability and the aging."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from clientledger.kit.days import PracticeDay
from tests.factories import Ledger, a_prepaid_client, a_session_bill
from tests.support.clock import on_day

pytestmark = pytest.mark.browser

TODAY = PracticeDay().today()  # the practice's (New York's) day, which the reports' days are


def test_changing_the_as_of_day_shows_that_days_liability_and_aging(
    staff: Page, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, TODAY - dt.timedelta(days=40)):
        rita, _ = a_prepaid_client(ledger, "Rita Reports", amount=50000)
        a_session_bill(ledger, rita.id, fee=15000)  # $150.00 of her credit pays it
        sam = ledger.client("Sam Aging")
        a_session_bill(ledger, sam.id, fee=4000)
    with on_day(monkeypatch, TODAY - dt.timedelta(days=10)):
        a_session_bill(ledger, sam.id, fee=2500)

    staff.goto("/clients")
    staff.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(staff.get_by_role("heading", name="Reports", exact=True)).to_be_visible()
    expect(staff.get_by_label("As of")).to_have_value(TODAY.isoformat())
    liability = staff.get_by_role("region", name="Credit liability")
    expect(liability.get_by_role("row", name="Rita Reports")).to_contain_text("$350.00")
    aging = staff.get_by_role("region", name="Aging")
    sam_row = aging.get_by_role("row", name="Sam Aging")
    expect(sam_row.get_by_role("cell")).to_have_text(["$25.00", "$40.00", "$0.00", "$0.00", "$65.00"])

    twenty_ago = (TODAY - dt.timedelta(days=20)).isoformat()
    staff.get_by_label("As of").fill(twenty_ago)
    staff.get_by_role("button", name="Show").click()

    expect(staff.get_by_label("As of")).to_have_value(twenty_ago)
    expect(liability.get_by_role("row", name="Rita Reports")).to_contain_text("$350.00")
    expect(sam_row.get_by_role("cell")).to_have_text(["$40.00", "$0.00", "$0.00", "$0.00", "$40.00"])
    expect(aging.get_by_role("row", name="Total")).to_contain_text("$40.00")
    sam_row.get_by_role("link", name="Sam Aging").click()
    expect(staff.get_by_role("heading", name="Sam Aging")).to_be_visible()
