"""The bill page's payment row says what the client handed over, even when none of it stayed on the bill."""

from __future__ import annotations

import re

from tests.web.desk import Desk


def _row(html: str, line_id: str) -> str:
    [row] = [r for r in re.findall(r"<tr\b.*?</tr>", html, re.S) if f'data-line-id="{line_id}"' in r]
    visible = re.sub(r'<div role="tooltip".*?</div>', " ", row, flags=re.S)  # the row, not its hidden tooltip
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", visible)).strip()


def test_a_cash_payment_that_went_wholly_to_credit_shows_what_was_received(desk: Desk) -> None:
    ledger = desk.ledger
    client = ledger.client("Carl Cash")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    ledger.pay(bill.id, "card", 15000)
    cash = ledger.pay(bill.id, "cash", 5000)  # the bill is paid already: all of it becomes credit

    row = _row(desk.page(f"/bills/{bill.id}"), cash.id)

    assert row.startswith("Cash")
    assert "$50.00 received" in row and "$50.00 applied to credit" in row
    assert ledger.get_bill(bill.id).lines[-1].amount == 0  # the API's amount: what this bill got
