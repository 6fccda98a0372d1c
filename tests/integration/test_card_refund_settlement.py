"""Card refunds: recorded pending, sent to the processor after commit, settled; never lost or doubled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from clientledger.db import Database
from clientledger.kit.errors import CardDeclined, ProcessorUnavailable
from clientledger.payments.processors import Refund, SimulatedProcessor
from clientledger.payments.refunds import recover_pending_refunds
from tests.factories import a_ledger


@dataclass
class FlakyProcessor(SimulatedProcessor):
    """The simulator, except that refunds fail the way a real processor's can."""

    refund_outcome: str = "ok"  # ok | outage | refused | pending (taken, not gone through yet)
    later: str = "pending"  # what asking again about a pending refund says: pending | settled | failed
    refund_calls: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def refund(
        self, *, charge_id: str, amount: int, idempotency_key: str, metadata: Mapping[str, str] | None = None
    ) -> Refund:
        self.refund_calls.append(idempotency_key)
        if self.refund_outcome == "outage":
            raise ProcessorUnavailable("The payment processor could not be reached.")
        if self.refund_outcome == "refused":
            raise CardDeclined("The refund was refused by the card network.")
        made = super().refund(charge_id=charge_id, amount=amount, idempotency_key=idempotency_key)
        if self.refund_outcome == "pending":
            return Refund(refund_id=made.refund_id, charge_id=charge_id, amount=amount, pending=True)
        return made

    def check_refund(self, *, refund_id: str) -> bool:
        self.checks.append(refund_id)
        if self.later == "failed":
            raise CardDeclined("The card's bank refused the refund.")
        return self.later == "settled"


def test_a_refund_during_an_outage_stays_pending_and_settles_on_recovery(db: Database) -> None:
    processor = FlakyProcessor(refund_outcome="outage")
    ledger = a_ledger(db, processor=processor)
    client = ledger.client()
    payment = ledger.prepay(client.id, "card", 10000)

    refund = ledger.refund(payment.id, 4000)

    assert refund.status == "pending"
    assert ledger.get_client(client.id).credit_balance == 6000  # reserved: it cannot be spent twice
    assert ledger.verify() == []
    processor.refund_outcome = "ok"
    assert recover_pending_refunds(ledger.db, [ledger.ctx.practice_id], processor=processor) == 1
    settled = ledger.get_payment(payment.id).refunds[0]
    assert (settled.status, settled.amount) == ("settled", 4000)
    assert processor.refund_calls == [f"refund-{refund.id}", f"refund-{refund.id}"]  # same key: no double refund
    assert recover_pending_refunds(ledger.db, [ledger.ctx.practice_id], processor=processor) == 0
    assert ledger.verify() == []
    ledger.db.dispose()


def test_a_refund_the_processor_answers_pending_stays_pending_and_is_asked_about_never_sent_again(
    db: Database,
) -> None:
    processor = FlakyProcessor(refund_outcome="pending")
    ledger = a_ledger(db, processor=processor)
    client = ledger.client()
    payment = ledger.prepay(client.id, "card", 10000)

    refund = ledger.refund(payment.id, 4000)

    shown = ledger.get_payment(payment.id).refunds[0]
    assert (refund.status, shown.status) == ("pending", "pending")
    assert shown.processor_ref is not None and shown.processor_ref.startswith("re_")
    assert ledger.get_client(client.id).credit_balance == 6000  # reserved while the bank decides
    assert recover_pending_refunds(ledger.db, [ledger.ctx.practice_id], processor=processor) == 0
    assert ledger.get_payment(payment.id).refunds[0].status == "pending"
    processor.later = "settled"
    assert recover_pending_refunds(ledger.db, [ledger.ctx.practice_id], processor=processor) == 1

    settled = ledger.get_payment(payment.id)
    assert (settled.refunded, settled.refunds[0].status, settled.refunds[0].processor_ref) == (
        4000,
        "settled",
        shown.processor_ref,
    )
    assert processor.refund_calls == [f"refund-{refund.id}"]  # asked about twice, sent once
    assert processor.checks == [shown.processor_ref, shown.processor_ref]
    assert ledger.get_client(client.id).credit_balance == 6000
    assert ledger.verify() == []
    ledger.db.dispose()


def test_a_pending_refund_the_bank_then_refuses_puts_the_credit_back(db: Database) -> None:
    processor = FlakyProcessor(refund_outcome="pending", later="failed")
    ledger = a_ledger(db, processor=processor)
    client = ledger.client()
    payment = ledger.prepay(client.id, "card", 10000)
    ledger.refund(payment.id, 4000)

    assert recover_pending_refunds(ledger.db, [ledger.ctx.practice_id], processor=processor) == 1

    failed = ledger.get_payment(payment.id)
    assert (failed.refunded, failed.refunds[0].status) == (0, "failed")
    assert failed.refunds[0].failure_reason == "The card's bank refused the refund."
    assert ledger.get_client(client.id).credit_balance == 10000
    assert len(processor.refund_calls) == 1
    assert ledger.verify() == []
    ledger.db.dispose()


def test_a_refused_refund_puts_the_money_back_where_it_came_from(db: Database) -> None:
    processor = FlakyProcessor(refund_outcome="refused")
    ledger = a_ledger(db, processor=processor)
    client = ledger.client()
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    line = ledger.pay(bill.id, "card", 20000)  # 5000 to credit

    refund = ledger.refund(line.payment_id or "", 8000)  # 5000 from credit, 3000 from the bill

    assert refund.status == "failed"
    payment = ledger.get_payment(line.payment_id or "")
    assert payment.refunded == 0
    assert ledger.get_client(client.id).credit_balance == 5000
    after = ledger.get_bill(bill.id)
    assert (after.status, after.balance_due, after.lines[0].amount) == ("paid", 0, 15000)
    kinds = [e["kind"] for e in ledger.entries()]
    assert kinds[-2:] == ["refund", "refund_failed"]
    assert ledger.verify() == []
    ledger.db.dispose()


def test_a_late_cancel_refunded_to_the_card_goes_to_the_processor_after_commit(db: Database) -> None:
    processor = FlakyProcessor()
    ledger = a_ledger(db, processor=processor)
    client = ledger.client()
    appt = ledger.appointment(client.id, fee=15000)
    line = ledger.pay(ledger.bill(client.id, [appt.id]).id, "card", 15000)

    ledger.set_status(appt.id, "late_canceled", fee=2500, disposition="refund")

    [refund] = ledger.get_payment(line.payment_id or "").refunds
    assert (refund.amount, refund.status) == (12500, "settled")
    assert processor.refund_calls == [f"refund-{refund.id}"]
    assert ledger.verify() == []
    ledger.db.dispose()
