"""Billing Settings names credit after where it came from: the session change that made the lot, or gave credit back."""

from __future__ import annotations

import re

from tests.web.desk import Desk


def _table(html: str, heading_id: str) -> list[str]:
    section = html.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in re.findall(r"<tr\b.*?</tr>", section, re.S)
    ]


def test_credit_returned_to_a_no_show_lot_on_cancellation_is_named_by_the_no_show(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Nora No-show")
    missed = ledger.appointment(client.id, fee=15000)
    ledger.pay(ledger.bill(client.id, [missed.id]).id, "cash", 15000)
    ledger.set_status(missed.id, "no_show")  # the payment becomes a no-show lot
    later = ledger.appointment(client.id, fee=15000)
    ledger.bill(client.id, [later.id])  # paid from the no-show lot
    ledger.set_status(later.id, "canceled")  # the credit goes back to the no-show lot

    page = desk.page(f"/clients/{client.id}/billing")

    [lot] = _table(page, "lots-heading")[1:]
    assert "No-show" in lot
    returned, _applied, created = _table(page, "history-heading")[1:]
    assert "No-show credit returned" in returned and "Canceled session" not in returned
    assert "No-show" in created


def test_a_late_canceled_sessions_credit_is_a_late_canceled_session(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Lena Late")
    session = ledger.appointment(client.id, fee=15000)
    ledger.pay(ledger.bill(client.id, [session.id]).id, "cash", 15000)
    ledger.set_status(session.id, "late_canceled", fee=5000)

    page = desk.page(f"/clients/{client.id}/billing")

    [lot] = _table(page, "lots-heading")[1:]
    assert "Late canceled session" in lot and "$100.00" in lot
    [created] = _table(page, "history-heading")[1:]
    assert "Late canceled session" in created
