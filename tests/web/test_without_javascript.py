"""The web UI without JavaScript: every dialog's button is a link to the same form as a page of its
own, that page is sent as an ordinary form and leads back with the message, and days are typed as
YYYY-MM-DD only."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser

import pytest

from clientledger.clients.schemas import ClientRead
from clientledger.db import Database
from tests.api.conftest import ledger_problems
from tests.web.desk import Desk

DAY = dt.date(2026, 11, 2)


class _DialogOpeners(HTMLParser):
    """The attributes of every element that loads a dialog (``hx-target="#dialog-slot"``)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if values.get("hx-target") == "#dialog-slot":
            self.found.append({"tag": tag, **values})


def dialog_openers(html: str) -> list[dict[str, str]]:
    parser = _DialogOpeners()
    parser.feed(html)
    return parser.found


def a_busy_insured_client(desk: Desk) -> tuple[ClientRead, str]:
    """An insured client with a bill of two sessions (copay paid by card, more in cash), a lot of credit
    added by hand, and one session not yet billed."""
    ledger = desk.ledger
    client = ledger.client("Noscript Nadia", billing="insurance", copay=3000)
    first = ledger.appointment(client.id, fee=10000, date=DAY)
    second = ledger.appointment(client.id, fee=10000, date=DAY + dt.timedelta(days=7))
    bill = ledger.bill(client.id, [first.id, second.id], apply_credit=False)
    ledger.pay(bill.id, "card", 3000)
    ledger.pay(bill.id, "cash", 1000)
    ledger.manual_credit(client.id, 5000, note="Welcome")
    ledger.appointment(client.id, fee=10000, date=DAY + dt.timedelta(days=14))
    return client, bill.id


def test_every_dialog_button_is_a_link_to_its_form_as_a_whole_page(desk: Desk) -> None:
    client, bill_id = a_busy_insured_client(desk)
    pages = {
        f"/bills/{bill_id}": {"Add payment", "Post insurance payment", "Refund", "Remove payment"},
        f"/clients/{client.id}": {"Add appointment", "Record payment", "Set status"},
        f"/clients/{client.id}/billing": {"Add credit", "Remove credit"},
    }
    for path, expected_forms in pages.items():
        openers = dialog_openers(desk.page(path))
        assert openers, path
        titles: set[str] = set()
        for opener in openers:
            assert opener["tag"] == "a" and opener["href"] == opener["hx-get"], (path, opener)
            assert opener["role"] in ("button", "menuitem"), opener
            full = desk.get(opener["href"])
            assert full.status_code == 200, opener["href"]
            assert full.text.lstrip().startswith("<!doctype html>")
            assert '<form class="stack" method="post"' in full.text
            assert "data-close-dialog" not in full.text
            assert f'href="{path}">Cancel</a>' in full.text, opener["href"]
            titles.add(full.text.split("<title>", 1)[1].split(" · ", 1)[0])
        assert expected_forms <= titles, (path, titles)


def test_a_payment_sent_from_the_whole_page_form_leads_back_to_the_bill_with_the_message(
    desk: Desk, db: Database
) -> None:
    _, bill_id = a_busy_insured_client(desk)
    before = desk.ledger.get_bill(bill_id).balance_due

    status = desk.post(f"/bills/{bill_id}/payments/new", {"type": "cash", "amount": "20"})

    assert status == 303 and desk.last_location == f"/bills/{bill_id}"
    page = desk.page(f"/bills/{bill_id}")
    assert '<p class="flash" role="status">Added a Cash payment of $20.00.</p>' in page
    after = desk.ledger.get_bill(bill_id).balance_due
    assert after == before - 2000
    assert f'<dd data-testid="balance-due">${after / 100:,.2f}</dd>' in page
    assert ledger_problems(db) == []


def test_a_refused_whole_page_form_shows_the_reason_on_the_page(desk: Desk) -> None:
    client, _ = a_busy_insured_client(desk)

    status = desk.post(f"/clients/{client.id}/billing/credits/new", {"amount": "ten", "reason": "courtesy"})

    assert status == 422
    assert desk.last_text.lstrip().startswith("<!doctype html>")
    assert "Amount: &#39;ten&#39; is not an amount in dollars" in desk.last_text
    assert f'href="/clients/{client.id}/billing">Cancel</a>' in desk.last_text
    assert desk.ledger.credits(client.id).balance == 5000


def test_the_day_field_is_text_that_says_how_to_write_a_day(desk: Desk) -> None:
    client = desk.ledger.client("Dated Dora")
    form = desk.page(f"/clients/{client.id}/appointments/new")
    assert 'type="date"' not in form
    assert 'inputmode="numeric" pattern="\\d{4}-\\d{2}-\\d{2}"' in form
    assert 'placeholder="YYYY-MM-DD"' in form and '<span class="hint" id="appt-date-hint">YYYY-MM-DD</span>' in form


def test_a_day_written_as_yyyy_mm_dd_adds_the_appointment(desk: Desk) -> None:
    client = desk.ledger.client("Dated Dora")

    status = desk.post(
        f"/clients/{client.id}/appointments/new", {"date": "2026-03-09", "service_code": "90834", "fee": "150"}
    )

    assert status == 303
    assert "Added the 2026-03-09 session." in desk.page(f"/clients/{client.id}")


@pytest.mark.parametrize(
    "typed", ["03/09/2026", "09.03.2026", "20260309", "2026-3-9", "2026-02-30", "2026-03-09T10:00", ""]
)
def test_a_day_written_any_other_way_is_refused_and_adds_nothing(desk: Desk, typed: str) -> None:
    client = desk.ledger.client("Dated Dora")

    status = desk.post(
        f"/clients/{client.id}/appointments/new", {"date": typed, "service_code": "90834", "fee": "150"}, htmx=True
    )

    assert status == 422
    assert "Date: " in desk.last_text and "write it as YYYY-MM-DD, like 2026-03-09" in desk.last_text
    assert "No appointments yet." in desk.page(f"/clients/{client.id}")
