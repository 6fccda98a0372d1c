"""The bill page's "Apply credit": shown on an open bill when the client has credit; works without JavaScript."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from clientledger.db import Database
from tests.api.conftest import Api
from tests.factories import Ledger
from tests.web.desk import Desk, signed_in

APPLY = re.compile(
    r'<a href="(/bills/[^"]+/apply-credit)" role="button" class="button" hx-get="[^"]+" [^>]*>Apply credit</a>'
)


def _bill_with_credit(ledger: Ledger, credit: int = 5000) -> str:
    client = ledger.client("Cred Ida")
    ledger.prepay(client.id, "cash", credit)
    return ledger.bill(client.id, [ledger.appointment(client.id).id], apply_credit=False).id


def test_apply_credit_without_javascript_lowers_the_balance_and_lists_the_line(desk: Desk) -> None:
    bill_id = _bill_with_credit(desk.ledger)
    page = desk.page(f"/bills/{bill_id}")
    link = APPLY.search(page)
    assert link is not None

    form = desk.page(link.group(1))  # a page of its own, the default amount filled in
    assert "<html" in form and re.search(r'<label for="apply-credit-amount">Amount</label>', form)
    assert 'name="amount" required value="50.00"' in form
    assert desk.post(link.group(1), {"amount": "30"}) == 303
    after = desk.page(desk.last_location)

    assert "Applied $30.00 of the client&#39;s credit." in after
    assert re.search(r'<th scope="row">Client Credit/Discount</th>', after)
    assert re.search(r'data-testid="balance-due">\$120\.00<', after)
    bill = desk.ledger.get_bill(bill_id)
    assert bill.balance_due == 12000 and [line.amount for line in bill.lines] == [3000]


def test_more_than_the_credit_comes_back_with_the_reason_and_changes_nothing(desk: Desk) -> None:
    bill_id = _bill_with_credit(desk.ledger, 2000)

    status = desk.post(f"/bills/{bill_id}/apply-credit", {"amount": "40"}, htmx=True)

    assert status == 422
    assert "The client has $20.00 of credit; $40.00 is more than that." in desk.last_text
    assert 'value="40"' in desk.last_text
    assert desk.ledger.get_bill(bill_id).lines == []


def test_no_button_without_credit_on_a_paid_bill_or_for_a_clinician(owner: Api, db: Database, http: TestClient) -> None:
    desk = signed_in(owner, db, http)
    ledger = desk.ledger
    bill_id = _bill_with_credit(ledger)
    broke = ledger.client("No Credit")
    unpaid = ledger.bill(broke.id, [ledger.appointment(broke.id).id]).id
    paid = _bill_with_credit(ledger, 20000)
    ledger.pay(paid, "cash", 15000)

    assert APPLY.search(desk.page(f"/bills/{bill_id}"))
    assert "Apply credit" not in desk.page(f"/bills/{unpaid}")
    assert "Apply credit" not in desk.page(f"/bills/{paid}")
    clinician = signed_in(owner, db, http, "clinician")
    assert "Apply credit" not in clinician.page(f"/bills/{bill_id}")
    assert clinician.post(f"/bills/{bill_id}/apply-credit", {"amount": "10"}) == 403
    assert ledger.get_bill(bill_id).lines == []
