"""Any sequence of staff actions leaves the books balanced and every payment accounted for."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientledger.kit.errors import ClientLedgerError
from tests.factories import Ledger

amounts = st.integers(min_value=1, max_value=40000)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("prepay"), st.sampled_from(["card", "cash", "check"]), amounts),
        st.tuples(st.just("bill"), st.booleans(), amounts),
        st.tuples(st.just("pay"), st.sampled_from(["card", "cash", "check", "client_credit", "discount"]), amounts),
        st.tuples(st.just("refund"), st.integers(0, 9), st.one_of(st.none(), amounts)),
        st.tuples(st.just("refund_line"), st.integers(0, 9), st.one_of(st.none(), amounts)),
        st.tuples(st.just("delete_line"), st.integers(0, 9), st.none()),
        st.tuples(st.just("manual"), st.sampled_from(["courtesy", "fee_waiver"]), amounts),
        st.tuples(st.just("remove"), st.integers(0, 9), st.one_of(st.none(), amounts)),
        st.tuples(st.just("cancel"), st.sampled_from(["canceled", "no_show"]), st.sampled_from(["credit", "refund"])),
    ),
    min_size=1,
    max_size=14,
)


def _run(ledger: Ledger, client_id: str, steps: list[tuple[Any, ...]]) -> None:
    bills: list[str] = []
    appts: list[str] = []
    payments: list[str] = []
    for step in steps:
        kind = step[0]
        try:
            if kind == "prepay":
                payments.append(ledger.prepay(client_id, step[1], step[2]).id)
            elif kind == "bill":
                appt = ledger.appointment(client_id, fee=step[2])
                bills.append(ledger.bill(client_id, [appt.id], apply_credit=step[1]).id)
                appts.append(appt.id)
            elif kind == "pay" and bills:
                deduct = None if step[1] not in ("client_credit", "discount") else step[1] == "client_credit"
                line = ledger.pay(bills[-1], "client_credit" if deduct is not None else step[1], step[2], deduct=deduct)
                if line.payment_id:
                    payments.append(line.payment_id)
            elif kind == "refund" and payments:
                ledger.refund(payments[step[1] % len(payments)], step[2])
            elif kind in ("refund_line", "delete_line") and bills:
                bill = ledger.get_bill(bills[step[1] % len(bills)])
                if bill.lines:
                    line_id = bill.lines[step[1] % len(bill.lines)].id
                    if kind == "refund_line":
                        ledger.refund_line(bill.id, line_id, step[2])
                    else:
                        ledger.delete_line(bill.id, line_id)
            elif kind == "manual":
                ledger.manual_credit(client_id, step[2], step[1])
            elif kind == "remove":
                lots = ledger.credits(client_id).lots
                if lots:
                    ledger.remove_credit(client_id, lots[step[1] % len(lots)].id, step[2])
            elif kind == "cancel" and appts:
                ledger.set_status(appts[-1], step[1], disposition=step[2])
        except ClientLedgerError:
            pass  # a refused action must change nothing; the invariants below catch it if it did


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=actions)
def test_any_sequence_keeps_the_ledger_consistent(ledger: Ledger, steps: list[tuple[Any, ...]]) -> None:
    client = ledger.client()
    _run(ledger, client.id, steps)

    assert ledger.verify() == []
    credits = ledger.credits(client.id)
    assert credits.balance >= 0
    assert credits.balance == sum(lot.remaining for lot in credits.lots)
    for entry in ledger.entries():
        assert sum(p["amount"] for p in entry["postings"]) == 0
    for payment_id in {lot.payment_id for lot in credits.lots if lot.payment_id} | _bill_payments(ledger, client.id):
        payment = ledger.get_payment(payment_id)
        if payment.voided:
            continue
        applied = _applied(ledger, payment.bill_id, payment.id)
        from_bills = sum(r.from_bills for r in payment.refunds if r.status != "failed")
        # captured = what it pays now + what ever went to credit + what was refunded off its bill
        assert payment.captured == applied + payment.credited + from_bills


def _bill_payments(ledger: Ledger, client_id: str) -> set[str]:
    return {e["payment_id"] for e in _entries_with_payment(ledger)}


def _entries_with_payment(ledger: Ledger) -> list[dict[str, Any]]:
    return [p for e in ledger.entries("payment_received") for p in e["postings"] if p["payment_id"]]


def _applied(ledger: Ledger, bill_id: str | None, payment_id: str) -> int:
    if bill_id is None:
        return 0
    return sum(line.amount for line in ledger.get_bill(bill_id).lines if line.payment_id == payment_id)
