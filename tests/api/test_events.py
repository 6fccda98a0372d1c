"""Every money movement tells listeners what happened: ``GET /events``, oldest first.

Each test works in a practice of its own, so the practice's events are the story the test tells.
Credit events carry ``amount`` > 0 (the type gives the direction) and the client's ``credit_balance``
after them.
"""

from __future__ import annotations

from typing import Any

import pytest

from clientledger.db import Database
from tests.api.conftest import API, Api, ledger_problems

SIGN = {
    "credit.created": 1,
    "credit.returned": 1,
    "credit.applied": -1,
    "credit.removed": -1,
    "credit.refunded": -1,
}


def all_events(api: Api, **params: str) -> list[dict[str, Any]]:
    """Every event of the practice, oldest first, page by page."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = "&".join(
            f"{k}={v}" for k, v in {**params, "limit": "200", **({"cursor": cursor} if cursor else {})}.items()
        )
        page = api.get(f"/events?{query}")
        out += page["data"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def new_events(api: Api, seen: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events written since ``seen`` was read."""
    return all_events(api)[len(seen) :]


def credit_sum(events: list[dict[str, Any]], client_id: str) -> int:
    return sum(
        SIGN[e["type"]] * e["data"]["amount"]
        for e in events
        if e["type"] in SIGN and e["data"]["client_id"] == client_id
    )


def test_a_card_overpayment_announces_the_payment_its_credit_and_the_paid_bill(owner: Api, db: Database) -> None:
    client = owner.client("Olive Over")
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    line = owner.pay(bill["id"], "card", 20000, payment_method="pm_card_visa")

    created, payment, credit, paid = all_events(owner)

    assert (created["type"], created["data"]["id"], created["data"]["number"]) == ("bill.created", bill["id"], 1)
    assert created["data"]["balance_due"] == 15000 and created["data"]["appointment_ids"] == [
        bill["items"][0]["appointment_id"]
    ]
    assert payment["type"] == "payment.created"
    assert {k: payment["data"][k] for k in ("id", "client_id", "bill_id", "type", "amount", "card_last4")} == {
        "id": line["payment_id"],
        "client_id": client["id"],
        "bill_id": bill["id"],
        "type": "card",
        "amount": 20000,
        "card_last4": "4242",
    }
    assert credit["type"] == "credit.created"
    lot = owner.get(f"/clients/{client['id']}/credits")["lots"][0]
    assert {
        k: credit["data"][k]
        for k in ("client_id", "amount", "lot_id", "bill_id", "payment_id", "source", "credit_balance")
    } == {
        "client_id": client["id"],
        "amount": 5000,
        "lot_id": lot["id"],
        "bill_id": bill["id"],
        "payment_id": line["payment_id"],
        "source": "overpayment",
        "credit_balance": 5000,
    }
    assert (paid["type"], paid["data"]["id"], paid["data"]["balance_due"]) == ("bill.paid", bill["id"], 0)
    assert "credit_balance" not in paid["data"]
    assert created["id"] < payment["id"] < credit["id"] < paid["id"]
    assert ledger_problems(db) == []


def test_a_bill_paid_from_credit_announces_the_credit_applied_to_it(owner: Api) -> None:
    client = owner.client("Pre Paid")
    prepayment = owner.prepay(client["id"], "cash", 20000)
    bill = owner.session_bill(client["id"], 15000)

    events = all_events(owner)

    assert types(events) == ["payment.created", "credit.created", "bill.created", "credit.applied", "bill.paid"]
    lot_id = prepayment["lot_ids"][0]
    assert events[1]["data"]["source"] == "prepayment" and events[1]["data"]["credit_balance"] == 20000
    applied = events[3]["data"]
    assert (applied["amount"], applied["lot_id"], applied["bill_id"], applied["credit_balance"]) == (
        15000,
        lot_id,
        bill["id"],
        5000,
    )
    assert applied["line_id"] == bill["lines"][0]["id"]


def test_refunding_a_credit_line_returns_the_credit_and_reopens_the_bill(owner: Api) -> None:
    client = owner.client("Ret Urn")
    owner.prepay(client["id"], "check", 15000)
    bill = owner.session_bill(client["id"], 15000)
    seen = all_events(owner)

    owner.post(f"/bills/{bill['id']}/lines/{bill['lines'][0]['id']}/refund", {"amount": 4000}, expect=200)
    [returned] = new_events(owner, seen)

    assert returned["type"] == "credit.returned"
    assert (returned["data"]["amount"], returned["data"]["bill_id"], returned["data"]["credit_balance"]) == (
        4000,
        bill["id"],
        4000,
    )
    assert owner.credit_balance(client["id"]) == 4000


def test_removing_credit_announces_it_gone_for_good(owner: Api) -> None:
    client = owner.client("Re Move")
    lot = owner.post(f"/clients/{client['id']}/credits", {"amount": 5000, "reason": "courtesy"}, expect=201)
    seen = all_events(owner)
    assert types(seen) == ["credit.created"] and seen[0]["data"]["source"] == "manual"

    owner.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", {"amount": 2000}, expect=200)
    [removed] = new_events(owner, seen)

    assert removed["type"] == "credit.removed"
    assert (removed["data"]["lot_id"], removed["data"]["amount"], removed["data"]["credit_balance"]) == (
        lot["id"],
        2000,
        3000,
    )


def test_removing_a_credit_line_from_its_bill_announces_the_credit_gone_for_good(owner: Api) -> None:
    client = owner.client("Line Gone")
    owner.prepay(client["id"], "cash", 4000)
    owner.post(f"/clients/{client['id']}/credits", {"amount": 3000, "reason": "courtesy"}, expect=201)
    bill = owner.session_bill(client["id"], 6000)
    [line] = bill["lines"]
    owner.prepay(client["id"], "cash", 500)
    seen = all_events(owner)

    r = owner.http.delete(f"{API}/bills/{bill['id']}/lines/{line['id']}", headers=owner.headers())
    assert r.status_code == 204
    events = new_events(owner, seen)

    # Off the bill and gone for good, lot by lot: the balance ($10.00 left over) is as it was.
    assert types(events) == ["credit.returned", "credit.removed"] * 2
    assert [e["data"]["lot_id"] for e in events] == [d["lot_id"] for d in line["lots"] for _ in range(2)]
    assert [e["data"]["amount"] for e in events] == [4000, 4000, 2000, 2000]
    assert [e["data"]["credit_balance"] for e in events] == [5500, 1500, 3500, 1500]
    assert all(e["data"]["bill_id"] == bill["id"] and e["data"]["line_id"] == line["id"] for e in events)
    assert owner.credit_balance(client["id"]) == 1500 == credit_sum(all_events(owner), client["id"])


def test_a_card_refund_announces_the_refund_the_credit_paid_back_and_its_settlement(owner: Api) -> None:
    client = owner.client("Card Refund")
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    line = owner.pay(bill["id"], "card", 20000)
    seen = all_events(owner)

    refund = owner.post(f"/payments/{line['payment_id']}/refunds", {"amount": 8000}, expect=201)
    created, refunded, settled = new_events(owner, seen)

    assert refund["status"] == "settled"
    assert created["type"] == "refund.created" and created["data"]["status"] == "pending"
    assert {
        k: created["data"][k] for k in ("id", "payment_id", "client_id", "amount", "from_credit", "from_bills")
    } == {
        "id": refund["id"],
        "payment_id": line["payment_id"],
        "client_id": client["id"],
        "amount": 8000,
        "from_credit": 5000,
        "from_bills": 3000,
    }
    assert refunded["type"] == "credit.refunded"
    assert (refunded["data"]["amount"], refunded["data"]["payment_id"], refunded["data"]["credit_balance"]) == (
        5000,
        line["payment_id"],
        0,
    )
    assert settled["type"] == "refund.settled" and settled["data"]["id"] == refund["id"]
    assert settled["data"]["status"] == "settled" and settled["data"]["processor_ref"]


def test_a_refused_card_refund_announces_the_failure_and_the_credit_coming_back(owner: Api) -> None:
    client = owner.client("Refund Fail")
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    line = owner.pay(bill["id"], "card", 20000, payment_method="pm_card_refundFail")
    seen = all_events(owner)

    refund = owner.post(f"/payments/{line['payment_id']}/refunds", {"amount": 8000}, expect=201)
    events = new_events(owner, seen)

    assert refund["status"] == "failed"
    # The pending refund took $30 off the bill; refused, it puts them back: the bill is paid again.
    assert types(events) == ["refund.created", "credit.refunded", "credit.returned", "bill.paid", "refund.failed"]
    assert [e["data"]["credit_balance"] for e in events[1:3]] == [0, 5000]
    assert events[2]["data"]["lot_id"] == events[1]["data"]["lot_id"]
    assert events[3]["data"]["id"] == bill["id"]
    failed = events[4]["data"]
    assert (failed["id"], failed["status"], failed["amount"]) == (refund["id"], "failed", 8000)
    assert "refused" in failed["failure_reason"]
    assert owner.credit_balance(client["id"]) == 5000


def test_a_cash_refund_settles_at_once(owner: Api) -> None:
    client = owner.client("Cash Back")
    payment = owner.prepay(client["id"], "cash", 6000)
    seen = all_events(owner)

    owner.post(f"/payments/{payment['id']}/refunds", {}, expect=201)

    assert types(new_events(owner, seen)) == ["refund.created", "credit.refunded", "refund.settled"]
    assert owner.credit_balance(client["id"]) == 0


def test_an_insurance_adjustment_announces_the_overpaid_copay_as_credit(owner: Api) -> None:
    client = owner.client("Ana Rivera", billing="insurance", copay=3000)
    bill = owner.session_bill(client["id"], 10000)
    line = owner.pay(bill["id"], "card", 3000)
    seen = all_events(owner)
    eob = {
        "item_id": bill["items"][0]["id"],
        "payer": "BRHP1",
        "paid": 8000,
        "patient_responsibility": 2000,
        "adjustments": [{"group": "PR", "reason": "2", "amount": 2000}],
    }

    owner.post(f"/bills/{bill['id']}/insurance-payments", eob, expect=200)
    [credit] = new_events(owner, seen)

    assert credit["type"] == "credit.created"
    assert (credit["data"]["source"], credit["data"]["amount"], credit["data"]["payment_id"]) == (
        "insurance_adjustment",
        1000,
        line["payment_id"],
    )
    assert credit["data"]["bill_id"] == bill["id"] and credit["data"]["credit_balance"] == 1000


def test_a_bill_the_client_owes_nothing_on_is_announced_paid_when_the_payer_settles(owner: Api) -> None:
    client = owner.client("Zero Copay", billing="insurance", copay=0)
    bill = owner.session_bill(client["id"], 10000)
    assert bill["status"] == "open" and "bill.paid" not in types(all_events(owner))
    eob = {"item_id": bill["items"][0]["id"], "payer": "BRHP1", "paid": 10000, "patient_responsibility": 0}

    owner.post(f"/bills/{bill['id']}/insurance-payments", eob, expect=200)

    [paid] = [e for e in all_events(owner) if e["type"] == "bill.paid"]
    assert (paid["data"]["id"], paid["data"]["insurance_due"], paid["data"]["balance_due"]) == (bill["id"], 0, 0)


@pytest.mark.parametrize(("status", "source"), [("canceled", "cancellation"), ("no_show", "no_show")])
def test_a_canceled_or_missed_session_announces_its_payment_as_credit(owner: Api, status: str, source: str) -> None:
    client = owner.client("Can Cel")
    appt = owner.appointment(client["id"], 15000)
    bill = owner.bill(client["id"], [appt["id"]])
    line = owner.pay(bill["id"], "card", 15000)
    seen = all_events(owner)

    owner.post(f"/appointments/{appt['id']}/status", {"status": status, "fee": 5000}, expect=200)
    [credit] = new_events(owner, seen)

    assert credit["type"] == "credit.created"
    assert (credit["data"]["source"], credit["data"]["amount"], credit["data"]["payment_id"]) == (
        source,
        10000,
        line["payment_id"],
    )
    assert credit["data"]["credit_balance"] == 10000


def test_a_session_canceled_with_a_refund_announces_the_refund(owner: Api) -> None:
    client = owner.client("Late Can")
    appt = owner.appointment(client["id"], 15000)
    bill = owner.bill(client["id"], [appt["id"]])
    owner.pay(bill["id"], "card", 15000)
    seen = all_events(owner)

    body = {"status": "late_canceled", "fee": 2500, "disposition": "refund"}
    owner.post(f"/appointments/{appt['id']}/status", body, expect=200)
    created, settled = new_events(owner, seen)

    assert (created["type"], created["data"]["amount"], created["data"]["from_bills"]) == (
        "refund.created",
        12500,
        12500,
    )
    assert (settled["type"], settled["data"]["id"]) == ("refund.settled", created["data"]["id"])
    assert owner.credit_balance(client["id"]) == 0


def test_a_bill_reopened_by_a_refund_and_paid_again_is_announced_paid_again(owner: Api) -> None:
    client = owner.client("Twice Paid")
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    owner.pay(bill["id"], "cash", 10000)
    assert "bill.paid" not in types(all_events(owner))
    line = owner.pay(bill["id"], "cash", 5000)

    owner.post(f"/payments/{line['payment_id']}/refunds", {"amount": 2000}, expect=201)
    assert owner.get(f"/bills/{bill['id']}")["status"] == "open"
    owner.pay(bill["id"], "check", 2000)
    owner.pay(bill["id"], "check", 10000)  # overpaid: the bill stays paid, the rest is credit

    paid = [e for e in all_events(owner) if e["type"] == "bill.paid"]
    assert [e["data"]["id"] for e in paid] == [bill["id"], bill["id"]]
    assert (paid[1]["data"]["client_paid"], paid[1]["data"]["number"]) == (15000, bill["number"])


def test_a_voided_cash_payment_announces_its_credit_removed(owner: Api) -> None:
    client = owner.client("Void Cash")
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    line = owner.pay(bill["id"], "cash", 18000)
    seen = all_events(owner)

    r = owner.http.delete(f"{API}/bills/{bill['id']}/lines/{line['id']}", headers=owner.headers())
    assert r.status_code == 204
    [removed] = new_events(owner, seen)

    assert (removed["type"], removed["data"]["amount"], removed["data"]["credit_balance"]) == (
        "credit.removed",
        3000,
        0,
    )


def test_a_canceled_session_at_no_fee_is_void_not_paid(owner: Api) -> None:
    client = owner.client("Void Bill")
    appt = owner.appointment(client["id"], 15000)
    bill = owner.bill(client["id"], [appt["id"]])
    owner.pay(bill["id"], "cash", 15000)
    seen = all_events(owner)
    assert "bill.paid" in types(seen)

    owner.post(f"/appointments/{appt['id']}/status", {"status": "canceled"}, expect=200)

    assert owner.get(f"/bills/{bill['id']}")["status"] == "void"
    assert types(new_events(owner, seen)) == ["credit.created"]
