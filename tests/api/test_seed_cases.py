"""SEED.md's cases and FAQ, driven through HTTP exactly as API.md describes them."""

from __future__ import annotations

from clientledger.db import Database
from tests.api.conftest import Api, ledger_problems


def test_prepaid_credit_pays_the_next_bill_automatically(owner: Api, db: Database) -> None:
    client = owner.client()
    prepayment = owner.prepay(client["id"], "card", 50000, memo="ten sessions")
    assert prepayment["captured"] == 50000 and prepayment["credited"] == 50000

    bill = owner.session_bill(client["id"], 15000)

    assert bill["status"] == "paid" and bill["balance_due"] == 0
    [line] = bill["lines"]
    assert line["type"] == "client_credit" and line["amount"] == 15000 and line["deduct_from_credit_balance"] is True
    assert [lot["amount"] for lot in line["lots"]] == [15000]
    assert owner.credit_balance(client["id"]) == 35000
    assert ledger_problems(db) == []


def test_manual_fee_waiver_shows_on_billing_settings_and_pays_the_next_bill(owner: Api, db: Database) -> None:
    client = owner.client()
    lot = owner.post(
        f"/clients/{client['id']}/credits", {"amount": 5000, "reason": "fee_waiver", "note": "hardship"}, expect=201
    )
    assert (lot["source"], lot["amount"], lot["remaining"], lot["reason"]) == ("manual", 5000, 5000, "fee_waiver")

    credits = owner.get(f"/clients/{client['id']}/credits")
    assert credits["balance"] == 5000
    assert [x["id"] for x in credits["lots"]] == [lot["id"]]
    assert credits["history"][0]["amount"] == 5000

    bill = owner.session_bill(client["id"], 15000)
    assert bill["balance_due"] == 10000 and bill["status"] == "open"
    assert owner.credit_balance(client["id"]) == 0
    assert ledger_problems(db) == []


def test_canceled_session_payment_becomes_credit(owner: Api, db: Database) -> None:
    client = owner.client()
    appt = owner.appointment(client["id"], 15000)
    bill = owner.bill(client["id"], [appt["id"]])
    card = owner.pay(bill["id"], "card", 15000)

    result = owner.post(f"/appointments/{appt['id']}/status", {"status": "canceled"}, expect=200)

    assert result["status"] == "canceled"
    [lot] = result["credits_created"]
    assert (lot["source"], lot["amount"], lot["payment_id"]) == ("cancellation", 15000, card["payment_id"])
    assert result["bill"]["status"] == "void"
    assert owner.credit_balance(client["id"]) == 15000
    line = owner.get(f"/bills/{bill['id']}")["lines"][0]
    assert (line["captured"], line["credited"], line["amount"]) == (15000, 15000, 0)
    assert ledger_problems(db) == []


def test_no_show_keeps_the_fee_and_credits_the_rest(owner: Api, db: Database) -> None:
    client = owner.client()
    appt = owner.appointment(client["id"], 15000)
    bill = owner.bill(client["id"], [appt["id"]])
    owner.pay(bill["id"], "cash", 15000)

    result = owner.post(f"/appointments/{appt['id']}/status", {"status": "no_show", "fee": 5000}, expect=200)

    assert [(c["source"], c["amount"]) for c in result["credits_created"]] == [("no_show", 10000)]
    assert result["bill"]["client_responsibility"] == 5000 and result["bill"]["balance_due"] == 0
    assert owner.credit_balance(client["id"]) == 10000
    assert ledger_problems(db) == []


def test_late_cancel_refunded_to_the_card_instead_of_credit(owner: Api, db: Database) -> None:
    client = owner.client()
    appt = owner.appointment(client["id"], 15000)
    bill = owner.bill(client["id"], [appt["id"]])
    card = owner.pay(bill["id"], "card", 15000)

    body = {"status": "late_canceled", "fee": 2500, "disposition": "refund"}
    result = owner.post(f"/appointments/{appt['id']}/status", body, expect=200)

    assert result["credits_created"] == []
    payment = owner.get(f"/payments/{card['payment_id']}")
    assert payment["refunded"] == 12500
    assert [r["status"] for r in payment["refunds"]] == ["settled"]
    assert owner.credit_balance(client["id"]) == 0
    assert ledger_problems(db) == []


def test_payment_details_show_original_payment_and_part_applied_to_credit(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 15000)

    line = owner.pay(bill["id"], "card", 20000)

    assert (line["captured"], line["credited"], line["amount"]) == (20000, 5000, 15000)
    [lot] = owner.get(f"/clients/{client['id']}/credits")["lots"]
    assert (lot["source"], lot["payment_id"], lot["bill_id"]) == ("overpayment", line["payment_id"], bill["id"])
    assert (lot["captured"], lot["credited"]) == (20000, 5000)
    assert ledger_problems(db) == []


def test_refund_a_credit_amount_to_the_card_from_the_original_payment_line(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 15000)
    line = owner.pay(bill["id"], "card", 20000)

    refunded = owner.post(f"/bills/{bill['id']}/lines/{line['id']}/refund", {"amount": 3000}, expect=200)

    assert (refunded["refunded"], refunded["amount"]) == (3000, 15000)
    assert owner.credit_balance(client["id"]) == 2000
    assert owner.get(f"/bills/{bill['id']}")["status"] == "paid"
    payment = owner.get(f"/payments/{line['payment_id']}")
    assert [(r["amount"], r["from_credit"], r["from_bills"], r["status"]) for r in payment["refunds"]] == [
        (3000, 3000, 0, "settled")
    ]
    assert ledger_problems(db) == []


def test_refund_of_a_prepayment_takes_its_credit(owner: Api, db: Database) -> None:
    client = owner.client()
    payment = owner.prepay(client["id"], "check", 30000)

    refund = owner.post(f"/payments/{payment['id']}/refunds", {"amount": 10000, "reason": "moving away"}, expect=201)

    assert (refund["amount"], refund["from_credit"], refund["from_bills"]) == (10000, 10000, 0)
    assert owner.credit_balance(client["id"]) == 20000
    err = owner.post(f"/payments/{payment['id']}/refunds", {"amount": 20001}, expect=422)
    assert err["error"]["code"] == "exceeds_refundable"
    assert ledger_problems(db) == []


def test_refunding_a_credit_line_returns_the_credit_and_reopens_the_bill(owner: Api, db: Database) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 15000)
    bill = owner.session_bill(client["id"], 15000)
    [line] = bill["lines"]

    refunded = owner.post(f"/bills/{bill['id']}/lines/{line['id']}/refund", expect=200)

    assert refunded["amount"] == 0
    assert owner.credit_balance(client["id"]) == 15000
    again = owner.get(f"/bills/{bill['id']}")
    assert (again["status"], again["balance_due"]) == ("open", 15000)
    assert [ln["id"] for ln in again["lines"]] == [line["id"]]
    assert ledger_problems(db) == []


def test_removing_a_credit_line_deletes_the_credit_for_good_and_it_can_be_re_added(owner: Api, db: Database) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 15000)
    bill = owner.session_bill(client["id"], 15000)
    [line] = bill["lines"]

    r = owner.http.delete(f"/api/v1/bills/{bill['id']}/lines/{line['id']}", headers=owner.headers())

    assert r.status_code == 204 and r.content == b""
    assert owner.credit_balance(client["id"]) == 0
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 15000
    owner.post(f"/clients/{client['id']}/credits", {"amount": 15000, "reason": "billing_resolution"}, expect=201)
    assert owner.credit_balance(client["id"]) == 15000
    assert ledger_problems(db) == []


def test_staff_can_keep_credit_from_applying_on_a_bill_and_on_a_payment(owner: Api, db: Database) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 20000)

    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)
    assert bill["lines"] == [] and bill["balance_due"] == 15000

    discount = owner.pay(bill["id"], "client_credit", 5000, deduct_from_credit_balance=False)
    assert discount["deduct_from_credit_balance"] is False and discount["amount"] == 5000
    assert owner.credit_balance(client["id"]) == 20000
    assert owner.get(f"/bills/{bill['id']}")["balance_due"] == 10000

    owner.call("PATCH", "/practice", {"auto_apply_credit": False}, expect=200)
    assert owner.session_bill(client["id"], 15000)["lines"] == []
    assert ledger_problems(db) == []


def test_credit_payment_rules_are_checked_in_order(owner: Api, db: Database) -> None:
    client = owner.client()
    owner.prepay(client["id"], "cash", 1000)
    bill = owner.session_bill(client["id"], 15000, apply_available_credit=False)

    too_much = owner.post(f"/bills/{bill['id']}/payments", {"type": "client_credit", "amount": 15001}, expect=422)
    short = owner.post(f"/bills/{bill['id']}/payments", {"type": "client_credit", "amount": 2000}, expect=422)
    wrong_type = owner.post(
        f"/bills/{bill['id']}/payments", {"type": "cash", "amount": 100, "deduct_from_credit_balance": True}, expect=422
    )

    assert too_much["error"]["code"] == "exceeds_balance_due"
    assert short["error"]["code"] == "insufficient_credit"
    assert wrong_type["error"]["code"] == "validation_error"
    assert owner.get(f"/bills/{bill['id']}")["lines"] == []
    assert ledger_problems(db) == []


def test_payment_lines_that_cannot_be_removed(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 10000)
    card = owner.pay(bill["id"], "card", 10000)
    cash_bill = owner.session_bill(client["id"], 10000)
    cash = owner.pay(cash_bill["id"], "cash", 15000)
    owner.session_bill(client["id"], 10000)  # spends the 5000 of credit the cash payment created

    r1 = owner.http.delete(f"/api/v1/bills/{bill['id']}/lines/{card['id']}", headers=owner.headers())
    r2 = owner.http.delete(f"/api/v1/bills/{cash_bill['id']}/lines/{cash['id']}", headers=owner.headers())

    assert (r1.status_code, r1.json()["error"]["code"]) == (409, "use_refund")
    assert (r2.status_code, r2.json()["error"]["code"]) == (409, "credit_already_used")
    assert ledger_problems(db) == []


def test_declined_card_records_nothing(owner: Api, db: Database) -> None:
    client = owner.client()
    bill = owner.session_bill(client["id"], 10000)

    r = owner.post(
        f"/bills/{bill['id']}/payments",
        {"type": "card", "amount": 10000, "payment_method": "pm_card_chargeDeclined"},
        expect=402,
    )

    assert r["error"]["code"] == "card_declined"
    assert owner.get(f"/bills/{bill['id']}")["lines"] == []
    assert owner.post(
        f"/clients/{client['id']}/payments",
        {"type": "card", "amount": 1, "payment_method": "pm_card_chargeDeclined"},
        expect=402,
    )
    assert owner.get(f"/clients/{client['id']}/credits")["lots"] == []
    assert ledger_problems(db) == []


def test_insurance_client_bill_splits_copay_and_insurance_share(owner: Api, db: Database) -> None:
    client = owner.client("Ins Client", billing="insurance", copay=3000)
    bill = owner.session_bill(client["id"], 10000)
    [item] = bill["items"]
    assert (item["client_responsibility"], item["insurance_responsibility"]) == (3000, 7000)
    assert bill["balance_due"] == 3000
    assert ledger_problems(db) == []


def test_removing_part_of_a_credit_lot(owner: Api, db: Database) -> None:
    client = owner.client()
    lot = owner.post(f"/clients/{client['id']}/credits", {"amount": 5000, "reason": "courtesy"}, expect=201)

    removed = owner.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", {"amount": 2000}, expect=200)
    too_much = owner.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", {"amount": 3001}, expect=422)
    rest = owner.post(f"/clients/{client['id']}/credits/{lot['id']}/remove", expect=200)

    assert removed["remaining"] == 3000
    assert too_much["error"]["code"] == "insufficient_credit"
    assert rest["remaining"] == 0
    assert owner.credit_balance(client["id"]) == 0
    assert ledger_problems(db) == []
