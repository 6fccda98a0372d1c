"""Two staff (or two workers) spending one client's limited credit at once never double-spend it."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

from clientledger.kit.errors import ClientLedgerError
from tests.factories import Ledger

THREADS = 16
OPERATIONS = 64


def test_parallel_bills_credit_payments_and_refunds_never_overspend_credit(ledger: Ledger) -> None:
    client = ledger.client()
    prepaid = ledger.prepay(client.id, "card", 100000)
    ledger.manual_credit(client.id, 20000, "courtesy")
    credit = 120000
    open_bills = [ledger.bill(client.id, [ledger.appointment(client.id).id], apply_credit=False).id for _ in range(8)]
    appointments = [ledger.appointment(client.id, fee=15000).id for _ in range(OPERATIONS)]
    rng = random.Random(7)

    def operation(i: int) -> str:
        kind = ("bill", "credit_payment", "refund")[i % 3]
        try:
            if kind == "bill":
                ledger.bill(client.id, [appointments[i]])
            elif kind == "credit_payment":
                ledger.pay(rng.choice(open_bills), "client_credit", 4000)
            else:
                ledger.refund(prepaid.id, 3000)
        except ClientLedgerError as exc:  # insufficient credit, exceeds balance/refundable: refused whole
            return exc.code
        return "ok"

    with ThreadPoolExecutor(THREADS) as pool:
        outcomes = list(pool.map(operation, range(OPERATIONS)))

    assert outcomes.count("ok") > OPERATIONS // 4
    assert set(outcomes) <= {"ok", "insufficient_credit", "exceeds_balance_due", "exceeds_refundable"}
    credits = ledger.credits(client.id)
    refunded = ledger.get_payment(prepaid.id).refunded
    applied = sum(
        line.amount
        for bill_id in {*open_bills, *(b for b in _bill_ids(ledger))}
        for line in ledger.get_bill(bill_id).lines
        if line.type == "client_credit"
    )
    assert credits.balance >= 0
    assert all(lot.remaining >= 0 for lot in credits.lots)
    assert applied + refunded + credits.balance == credit
    assert ledger.get_client(client.id).credit_balance == credits.balance
    assert ledger.verify() == []


def _bill_ids(ledger: Ledger) -> list[str]:
    return sorted({e["postings"][0]["bill_id"] for e in ledger.entries("bill_created")})
