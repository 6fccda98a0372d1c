"""The Refund dialog asks for a reason, and the bill shows it next to the refunded amount."""

from __future__ import annotations

import re

from tests.factories import a_card_payment
from tests.web.desk import Desk


def test_the_refund_reason_is_kept_and_shown_on_the_bill(desk: Desk) -> None:
    bill, line = a_card_payment(desk.ledger, "Moving Mo")
    dialog = desk.page(f"/bills/{bill.id}/lines/{line.id}/refund")
    assert re.search(r'<label for="refund-reason">Reason</label>', dialog)
    assert re.search(r'<input id="refund-reason" type="text" name="reason" maxlength="500"', dialog)

    fields = {"how": "custom", "amount": "10", "reason": "client moved away"}
    assert desk.post(f"/bills/{bill.id}/lines/{line.id}/refund", fields) == 303
    page = desk.page(f"/bills/{bill.id}")

    assert "$10.00 refunded · Reason: client moved away" in page
    [refund] = desk.ledger.get_payment(line.payment_id or "").refunds
    assert (refund.amount, refund.reason) == (1000, "client moved away")


def test_a_refund_without_a_reason_shows_only_the_amount(desk: Desk) -> None:
    bill, line = a_card_payment(desk.ledger, "Plain Pru")

    assert desk.post(f"/bills/{bill.id}/lines/{line.id}/refund", {"how": "custom", "amount": "5"}) == 303

    page = desk.page(f"/bills/{bill.id}")
    assert "$5.00 refunded" in page and "Reason:" not in page


def test_a_reason_too_long_comes_back_with_the_form_and_refunds_nothing(desk: Desk) -> None:
    bill, line = a_card_payment(desk.ledger, "Wordy Wes")

    status = desk.post(f"/bills/{bill.id}/lines/{line.id}/refund", {"how": "full", "reason": "x" * 501}, htmx=True)

    assert status == 422 and "Reason" in desk.last_text and "500" in desk.last_text
    assert desk.ledger.get_payment(line.payment_id or "").refunds == []
