"""A refund says why: a line refund's optional `reason` is kept with the refund, in its audit event and its payment."""

from __future__ import annotations

from clientledger.db import Database
from tests.api.conftest import Api, ledger_problems
from tests.factories import Ledger, a_card_payment


def _events(owner: Api, object_id: str, action: str) -> list[dict[str, object]]:
    return [e for e in owner.get(f"/audit?object_id={object_id}")["data"] if e["action"] == action]


def test_a_card_line_refund_keeps_its_reason_on_the_payment_and_in_the_audit(
    owner: Api, ledger: Ledger, db: Database
) -> None:
    bill, line = a_card_payment(ledger, "Reason Rhea")

    after = owner.post(
        f"/bills/{bill.id}/lines/{line.id}/refund", {"amount": 1000, "reason": "client moved away"}, expect=200
    )

    assert after["last_refund"]["status"] == "settled" and after["refunded"] == 1000
    [refund] = owner.get(f"/payments/{line.payment_id}")["refunds"]
    assert (refund["amount"], refund["reason"]) == (1000, "client moved away")
    [event] = _events(owner, refund["id"], "payment.refunded")
    assert event["detail"] == {"amount": 1000, "from_credit": 0, "from_bills": 1000, "reason": "client moved away"}
    assert ledger_problems(db) == []


def test_without_a_reason_the_refund_has_none(owner: Api, ledger: Ledger) -> None:
    bill, line = a_card_payment(ledger, "No Reason Nico")

    owner.post(f"/bills/{bill.id}/lines/{line.id}/refund", {"amount": 500}, expect=200)
    owner.post(f"/bills/{bill.id}/lines/{line.id}/refund", expect=200)

    assert [r["reason"] for r in owner.get(f"/payments/{line.payment_id}")["refunds"]] == [None, None]


def test_a_credit_line_refund_keeps_its_reason_in_the_audit(owner: Api) -> None:
    client = owner.client("Credit Back Cal")
    owner.prepay(client["id"], "cash", 5000)
    bill = owner.session_bill(client["id"])
    [credit_line] = bill["lines"]

    owner.post(f"/bills/{bill['id']}/lines/{credit_line['id']}/refund", {"reason": "applied by mistake"}, expect=200)

    [event] = _events(owner, credit_line["id"], "bill.line_refunded")
    assert event["detail"] == {"amount": 5000, "reason": "applied by mistake", "deduct_from_credit_balance": True}
    assert owner.credit_balance(client["id"]) == 5000


def test_a_reason_above_500_characters_is_refused_and_refunds_nothing(owner: Api, ledger: Ledger) -> None:
    bill, line = a_card_payment(ledger, "Long Reason Lou")

    refused = owner.post(f"/bills/{bill.id}/lines/{line.id}/refund", {"reason": "x" * 501}, expect=422)

    assert refused["error"]["code"] == "validation_error"
    assert owner.get(f"/payments/{line.payment_id}")["refunds"] == []
