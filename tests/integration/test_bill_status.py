"""A bill's status follows ``rules.bills.bill_status`` in every path that moves it, and a void bill
takes no payment of any kind (409 ``bill_void``) and changes nothing when one is tried."""

from __future__ import annotations

from typing import Any

import pytest

from clientledger.accounting import projections
from clientledger.accounting.accounts import AR_CLIENT
from clientledger.accounting.posting import Posting
from clientledger.billing import service as billing
from clientledger.billing.schemas import PaymentLineCreate
from clientledger.db import Database, Tx
from clientledger.kit.errors import BillVoid
from clientledger.models import bill_items, bills
from clientledger.rules.bills import bill_status
from tests.factories import Ledger, a_void_bill


def _rule(fees: list[int], bill: Any) -> str:
    """What ``rules.bills`` says of a bill row with these fees."""
    return bill_status(
        fees=fees,
        balance_due=bill.balance_due,
        client_responsibility=bill.client_responsibility,
        insurance_due=bill.insurance_due,
    ).value


def _statuses(ledger: Ledger) -> dict[str, tuple[str, str]]:
    """Every bill of the practice: (stored status, what the rule says of its fees and what is still owed)."""

    def query(tx: Tx) -> dict[str, tuple[str, str]]:
        fees: dict[str, list[int]] = {}
        for bill_id, fee in tx.conn.execute(
            bill_items.select()
            .with_only_columns(bill_items.c.bill_id, bill_items.c.fee)
            .where(bill_items.c.practice_id == tx.practice_id)
        ):
            fees.setdefault(bill_id, []).append(fee)
        rows = tx.conn.execute(bills.select().where(bills.c.practice_id == tx.practice_id))
        return {b.id: (b.status, _rule(fees[b.id], b)) for b in rows}

    return ledger.read(query)


def test_every_path_that_moves_a_bill_leaves_the_status_the_rule_gives(ledger: Ledger) -> None:
    self_pay = ledger.client("Self Pay")
    insured = ledger.client("Insured", billing="insurance", copay=3000)
    no_copay = ledger.client("No Copay", billing="insurance", copay=0)
    seen: set[str] = set()

    def check() -> None:
        for bill_id, (stored, rule) in _statuses(ledger).items():
            assert stored == rule, bill_id
            seen.add(stored)

    open_bill = ledger.bill(self_pay.id, [ledger.appointment(self_pay.id).id])  # open
    check()
    card = ledger.pay(open_bill.id, "card", 20000)  # paid, with an overpayment lot
    check()
    ledger.refund(card.payment_id or "", 20000)  # reopened by the refund
    check()
    ledger.manual_credit(self_pay.id, 50000)
    ledger.bill(self_pay.id, [ledger.appointment(self_pay.id).id])  # paid from credit at creation
    check()
    appt = ledger.appointment(insured.id, fee=10000)
    insured_bill = ledger.bill(insured.id, [appt.id])
    ledger.pay(insured_bill.id, "cash", 3000)
    check()
    ledger.insurance_payment(
        insured_bill.id,
        insured_bill.items[0].id,
        payer="AETNA",
        paid=5000,
        patient_responsibility=5000,
        adjustments=[("PR", "1", 5000)],
    )  # the client owes more: open again
    check()
    no_copay_bill = ledger.bill(no_copay.id, [ledger.appointment(no_copay.id).id])
    assert no_copay_bill.status == "open"  # nothing due from the client, but the payer has not settled
    check()
    ledger.insurance_payment(
        no_copay_bill.id, no_copay_bill.items[0].id, payer="AETNA", paid=15000, patient_responsibility=0
    )
    assert ledger.get_bill(no_copay_bill.id).status == "paid"  # the payer settled
    check()
    canceled = ledger.appointment(self_pay.id)
    canceled_bill = ledger.bill(self_pay.id, [canceled.id], apply_credit=False)
    ledger.pay(canceled_bill.id, "cash", 15000)
    ledger.set_status(canceled.id, "canceled")  # void: nothing billed any more
    check()
    ledger.set_status(canceled.id, "attended")  # billed again: not void any more
    check()
    late = ledger.appointment(self_pay.id)
    late_bill = ledger.bill(self_pay.id, [late.id], apply_credit=False)
    ledger.set_status(late.id, "late_canceled", fee=2500)  # a fee keeps the bill alive
    check()
    assert ledger.get_bill(late_bill.id).status == "open"
    missed = ledger.appointment(self_pay.id)
    ledger.set_status(missed.id, "no_show")
    assert ledger.bill(self_pay.id, [missed.id]).status == "void"  # billed after the no-show, at no fee
    check()
    assert seen == {"open", "paid", "void"}
    assert ledger.verify() == []


def test_the_projections_sql_status_agrees_with_the_rule_on_every_branch(ledger: Ledger) -> None:
    """Move each kind of bill's balance due through ``projections.apply`` (and back) and compare."""
    client = ledger.client()
    open_bill = ledger.bill(client.id, [ledger.appointment(client.id).id])
    paid_bill = ledger.bill(client.id, [ledger.appointment(client.id).id])
    ledger.pay(paid_bill.id, "cash", 15000)
    canceled = ledger.appointment(client.id)
    void_bill = ledger.bill(client.id, [canceled.id])
    ledger.set_status(canceled.id, "canceled")
    moves = {open_bill.id: -15000, paid_bill.id: 500, void_bill.id: 500}

    def move_and_compare(tx: Any) -> list[tuple[str, str, str]]:
        seen = []
        for bill_id, amount in moves.items():
            for step in (amount, -amount):
                projections.apply(tx, [Posting(AR_CLIENT, step, client_id=client.id, bill_id=bill_id)])
                row = tx.conn.execute(
                    bills.select().where(bills.c.practice_id == tx.practice_id, bills.c.id == bill_id)
                ).one()
                fees = tx.conn.execute(
                    bill_items.select().where(
                        bill_items.c.practice_id == tx.practice_id, bill_items.c.bill_id == bill_id
                    )
                ).all()
                seen.append((bill_id, row.status, _rule([f.fee for f in fees], row)))
        return seen

    seen = ledger.run(move_and_compare)
    assert [stored for _, stored, _ in seen] == ["paid", "open", "open", "paid", "void", "void"]
    assert all(stored == rule for _, stored, rule in seen)
    assert ledger.verify() == []


def _books(ledger: Ledger, client_id: str, bill_id: str) -> tuple[Any, ...]:
    client = ledger.get_client(client_id)
    bill = ledger.get_bill(bill_id)
    return (
        len(ledger.entries()),
        client.credit_balance,
        client.balance_due,
        [(lot.id, lot.remaining) for lot in ledger.credits(client_id).lots],
        bill.model_dump(),
    )


@pytest.mark.parametrize(
    ("type", "deduct"),
    [("card", None), ("cash", None), ("check", None), ("client_credit", True), ("client_credit", False)],
)
def test_no_payment_of_any_kind_is_taken_on_a_void_bill(ledger: Ledger, type: str, deduct: bool | None) -> None:
    client, bill = a_void_bill(ledger)
    before = _books(ledger, client.id, bill.id)
    with pytest.raises(BillVoid) as refused:
        ledger.pay(bill.id, type, 1000, deduct=deduct)
    assert (refused.value.code, refused.value.status_code) == ("bill_void", 409)
    assert _books(ledger, client.id, bill.id) == before
    assert ledger.verify() == []


CARD = PaymentLineCreate(type="card", amount=1000)


def test_the_card_precheck_refuses_a_void_bill_before_anything_is_charged(ledger: Ledger) -> None:
    client, bill = a_void_bill(ledger)
    with pytest.raises(BillVoid):
        ledger.read(lambda tx: billing.precheck_payment(tx, bill_id=bill.id, data=CARD))
    live = ledger.bill(client.id, [ledger.appointment(client.id).id], apply_credit=False)
    ledger.read(lambda tx: billing.precheck_payment(tx, bill_id=live.id, data=CARD))  # an open bill passes


def test_no_insurance_payment_is_posted_on_a_void_bill(ledger: Ledger) -> None:
    client, bill = a_void_bill(ledger, billing="insurance")
    before = _books(ledger, client.id, bill.id)
    with pytest.raises(BillVoid):
        ledger.insurance_payment(bill.id, bill.items[0].id, payer="AETNA", paid=0, patient_responsibility=0)
    assert _books(ledger, client.id, bill.id) == before


def test_a_bill_billed_again_takes_payments_again(ledger: Ledger, db: Database) -> None:
    client = ledger.client()
    appt = ledger.appointment(client.id)
    bill = ledger.bill(client.id, [appt.id], apply_credit=False)
    ledger.set_status(appt.id, "canceled")
    assert ledger.get_bill(bill.id).status == "void"
    ledger.set_status(appt.id, "attended")
    line = ledger.pay(bill.id, "cash", 15000)
    assert line.amount == 15000 and ledger.get_bill(bill.id).status == "paid"


def test_verify_lists_a_status_or_an_insurance_due_the_data_does_not_give(ledger: Ledger) -> None:
    client = ledger.client("No Copay", billing="insurance", copay=0)
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=10000).id])
    assert (bill.status, bill.insurance_due) == ("open", 10000)
    assert ledger.verify() == []

    def tamper(tx: Tx) -> None:
        tx.conn.execute(
            bills.update()
            .where(bills.c.practice_id == tx.practice_id, bills.c.id == bill.id)
            .values(status="paid", insurance_due=0)
        )
        tx.conn.execute(
            bill_items.update()
            .where(bill_items.c.practice_id == tx.practice_id, bill_items.c.bill_id == bill.id)
            .values(insurance_due=0)
        )

    ledger.run(tamper)

    problems = ledger.verify()
    assert f"bill {bill.id}: insurance_due is 0, journal says 10000" in problems
    assert f"bill item {bill.items[0].id}: insurance_due is 0, the payer owes 10000" in problems
    assert (
        f"bill {bill.id}: status 'paid' with balance_due 0, client_responsibility 0 and insurance_due 10000, not open"
        in problems
    )
