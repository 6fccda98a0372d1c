"""``clientledger demo``: a practice holding every SEED.md case, so ``make run`` shows them all."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

from sqlalchemy import select

from clientledger.db import Ctx, Database
from clientledger.ledger import Ledger
from clientledger.models import practices, users
from clientledger.practices.schemas import UserCreate
from clientledger.practices.service import create_user, ensure_practice_and_owner, find_practice_by_name

DEMO_PRACTICE = "Calm Waters Therapy"
DEMO_EMAIL = "owner@calmwaters.example"
DEMO_PASSWORD = "demo-password"
BILLER_EMAIL = "biller@calmwaters.example"

SESSION = 15000  # 90834, 45 minutes
LONG_SESSION = 20000  # 90837, 60 minutes


def _day(n: int) -> dt.date:
    return dt.date(2026, 11, 2) + timedelta(days=n)


def load_demo(db: Database) -> bool:
    """Create the demo practice and its story; False when it is already there."""
    if find_practice_by_name(db, DEMO_PRACTICE) is not None:
        return False
    ensure_practice_and_owner(db, name=DEMO_PRACTICE, email=DEMO_EMAIL, password=DEMO_PASSWORD, ttl=timedelta(days=1))
    with db.engine.connect() as conn:
        practice_id = conn.execute(select(practices.c.id).where(practices.c.name == DEMO_PRACTICE)).scalar_one()
        owner_id = conn.execute(select(users.c.id).where(users.c.practice_id == practice_id)).scalar_one()
    ctx = Ctx(practice_id=practice_id, user_id=owner_id, request_id="demo")
    with db.transaction(ctx) as tx:
        create_user(tx, data=UserCreate(email=BILLER_EMAIL, password=DEMO_PASSWORD, role="biller"))
    seed_cases(Ledger(db, ctx))
    return True


def seed_cases(ledger: Ledger) -> None:
    _prepaid_sessions(ledger)
    _overpaid_card(ledger)
    _canceled_and_no_show(ledger)
    _manual_credits(ledger)
    _credit_returned_and_removed(ledger)
    _opted_out(ledger)
    _insurance_overpayment(ledger)


def _prepaid_sessions(ledger: Ledger) -> None:
    """Pre-paying for services: a package of sessions bought up front, applied bill by bill."""
    client = ledger.client("Priya Patel", email="priya@example.com")
    ledger.prepay(client.id, "card", 4 * SESSION, memo="Package of 4 sessions")
    for n in (0, 7):
        appt = ledger.appointment(client.id, fee=SESSION, date=_day(n))
        ledger.set_status(appt.id, "attended")
        ledger.bill(client.id, [appt.id])
    ledger.appointment(client.id, fee=SESSION, date=_day(14))


def _overpaid_card(ledger: Ledger) -> None:
    """The "i" icon: a card payment larger than the bill; part of it became credit, part refunded."""
    client = ledger.client("Marcus Lee", email="marcus@example.com")
    appt = ledger.appointment(client.id, fee=SESSION, date=_day(1))
    bill = ledger.bill(client.id, [appt.id])
    line = ledger.pay(bill.id, "card", 25000)
    assert line.payment_id is not None
    ledger.refund(line.payment_id, 4000, reason="Client asked for part of the credit back")
    ledger.appointment(client.id, fee=LONG_SESSION, date=_day(8), service_code="90837")


def _canceled_and_no_show(ledger: Ledger) -> None:
    """Canceled or no-show sessions: the payment converted to credit instead of refunded."""
    client = ledger.client("Sofia Alvarez", email="sofia@example.com")
    canceled = ledger.appointment(client.id, fee=SESSION, date=_day(2))
    bill = ledger.bill(client.id, [canceled.id])
    ledger.pay(bill.id, "card", SESSION)
    ledger.set_status(canceled.id, "canceled")
    missed = ledger.appointment(client.id, fee=SESSION, date=_day(9))
    bill = ledger.bill(client.id, [missed.id], apply_credit=False)
    ledger.pay(bill.id, "cash", SESSION)
    ledger.set_status(missed.id, "no_show", fee=5000)
    ledger.appointment(client.id, fee=SESSION, date=_day(16))


def _manual_credits(ledger: Ledger) -> None:
    """Manual adjustments from Billing > Settings: a fee waiver, a courtesy credit partly removed."""
    client = ledger.client("Jordan Kim", email="jordan@example.com")
    ledger.manual_credit(client.id, 5000, "fee_waiver", note="Waived the late-cancel fee of Nov 3")
    courtesy = ledger.manual_credit(client.id, 3000, "courtesy", note="Billing portal outage")
    ledger.remove_credit(client.id, courtesy.id, 1000, note="Entered $10 too much")
    ledger.appointment(client.id, fee=SESSION, date=_day(3))


def _credit_returned_and_removed(ledger: Ledger) -> None:
    """A credit used on a bill and returned to the account (Refund), and one removed for good."""
    client = ledger.client("Elena Rossi", email="elena@example.com")
    ledger.prepay(client.id, "check", 2 * SESSION, memo="Check #1042")
    kept = ledger.bill(client.id, [ledger.appointment(client.id, fee=SESSION, date=_day(4)).id])
    ledger.refund_line(kept.id, kept.lines[0].id)
    removed = ledger.bill(client.id, [ledger.appointment(client.id, fee=SESSION, date=_day(11)).id])
    ledger.delete_line(removed.id, removed.lines[0].id)


def _opted_out(ledger: Ledger) -> None:
    """Opting out: a bill made without "Available Credit", and a discount that deducts nothing."""
    client = ledger.client("Sam Okafor", email="sam@example.com")
    ledger.manual_credit(client.id, 10000, "billing_resolution", note="Duplicate charge in October")
    bill = ledger.bill(client.id, [ledger.appointment(client.id, fee=SESSION, date=_day(5)).id], apply_credit=False)
    ledger.pay(bill.id, "client_credit", 2500, deduct=False)
    ledger.appointment(client.id, fee=LONG_SESSION, date=_day(12), service_code="90837")


def _insurance_overpayment(ledger: Ledger) -> None:
    """Insurance overpayment: a $30 copay collected by card, the payer then says the client owes $20.

    The $100 session's claim goes out as CLM-DEMO-1; the payer pays $80 with $20 patient
    responsibility, so $10 of the card payment becomes an ``insurance_adjustment`` credit.
    """
    client = ledger.client("Ana Rivera", email="ana@example.com", billing="insurance", copay=3000)
    appt = ledger.appointment(client.id, fee=10000, date=_day(6))
    bill = ledger.bill(client.id, [appt.id])
    ledger.set_claim_ref(bill.items[0].id, "CLM-DEMO-1")
    ledger.pay(bill.id, "card", 3000)
    ledger.insurance_payment(
        bill.id,
        bill.items[0].id,
        payer="BRHP1",
        paid=8000,
        patient_responsibility=2000,
        adjustments=[("PR", "2", 2000)],
    )
    ledger.appointment(client.id, fee=10000, date=_day(13))
