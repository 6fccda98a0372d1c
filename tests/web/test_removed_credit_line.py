"""A Client Credit/Discount line removed with "Remove": gone for good, and still told on the bill and in the history."""

from __future__ import annotations

import re

from clientledger.db import Database
from tests.api.conftest import Api, ledger_problems
from tests.web.desk import Desk


def _rows(html: str, containing: str) -> list[str]:
    return [row for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S) if containing in row]


def test_a_removed_credit_line_shows_as_removed_for_good_with_who_did_it(desk: Desk, owner: Api, db: Database) -> None:
    client = desk.ledger.client("Rosa Removed")
    desk.ledger.prepay(client.id, "cash", 15000)
    bill = desk.ledger.bill(client.id, [desk.ledger.appointment(client.id, fee=15000).id])
    [line] = bill.lines

    desk.submit(f"/bills/{bill.id}/lines/{line.id}/remove")

    settings = desk.page(f"/clients/{client.id}/billing")
    [removal] = _rows(settings, "Removed for good")
    assert "$150.00" in removal and owner.email in removal
    bill_page = desk.page(f"/bills/{bill.id}")
    [row] = _rows(bill_page, f'data-line-id="{line.id}"')
    assert "Client Credit/Discount" in row and "Removed for good" in row
    assert 'aria-label="More actions"' not in row
    assert desk.ledger.get_client(client.id).credit_balance == 0
    assert ledger_problems(db) == []


def test_the_api_keeps_the_removed_credit_line_and_its_removal_in_the_history(owner: Api, db: Database) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 15000)
    bill = owner.session_bill(client["id"], 15000)
    [line] = bill["lines"]

    owner.http.delete(f"/api/v1/bills/{bill['id']}/lines/{line['id']}", headers=owner.headers())

    [kept] = owner.get(f"/bills/{bill['id']}")["lines"]
    assert (kept["id"], kept["amount"]) == (line["id"], 0) and kept["removed_at"] is not None
    history = owner.get(f"/clients/{client['id']}/credits")["history"]
    removal = history[0]
    assert (removal["kind"], removal["amount"], removal["removed_amount"]) == ("credit_line_removed", 0, 15000)
    assert removal["user_email"] == owner.email
    assert sum(h["amount"] for h in history) == owner.credit_balance(client["id"]) == 0
    assert ledger_problems(db) == []
