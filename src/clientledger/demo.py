"""``clientledger demo``: a practice holding every SEED.md case, so ``make run`` shows them all.

The story is told through the runner, as staff would do it on the pages: every step is a use case
run as the practice's owner, with its permission checked and its own journal entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from clientledger.appointments import service as appointments
from clientledger.appointments.schemas import AppointmentCreate, AppointmentStatusChange
from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate, BillRead, PaymentLineCreate
from clientledger.cards import service as cards
from clientledger.cards.schemas import CardCreate
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientCreate, ClientRead
from clientledger.credits import service as credits
from clientledger.credits.schemas import CreditRemove, ManualCreditCreate
from clientledger.db import Database
from clientledger.households import service as households
from clientledger.households.schemas import HouseholdCreate
from clientledger.insurance import service as insurance
from clientledger.insurance.schemas import AdjustmentIn, InsurancePaymentCreate
from clientledger.kit.processing import PaymentProcessor
from clientledger.packages import service as packages
from clientledger.packages.schemas import PackageCreate, PackagePayment
from clientledger.payments import service as payments
from clientledger.payments.schemas import ClientPaymentCreate, RefundCreate
from clientledger.practices import service as practices
from clientledger.practices.repository import find_staff, practice_by_name
from clientledger.practices.schemas import PracticeUpdate, UserCreate
from clientledger.service_layer import Actor, Runner

DEMO_PRACTICE = "Calm Waters Therapy"
DEMO_EMAIL = "owner@calmwaters.example"
DEMO_PASSWORD = "demo-password"
BILLER_EMAIL = "biller@calmwaters.example"

SESSION = 15000  # 90834, 45 minutes
LONG_SESSION = 20000  # 90837, 60 minutes

T = TypeVar("T")


def _day(n: int) -> dt.date:
    return dt.date(2026, 11, 2) + timedelta(days=n)


class _Story:
    """The owner at the front desk: each call one use case through the runner."""

    def __init__(self, runner: Runner, owner: Actor) -> None:
        self.runner = runner
        self.owner = owner

    def __call__(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        return self.runner.run(self.owner, use_case, **arguments)

    def client(self, name: str, email: str, **billing_terms: Any) -> ClientRead:
        return self(clients.create_client, data=ClientCreate(name=name, email=email, **billing_terms))

    def session(self, client_id: str, day: int, *, fee: int = SESSION, code: str = "90834") -> str:
        data = AppointmentCreate(client_id=client_id, date=_day(day), service_code=code, fee=fee)
        return self(appointments.schedule_appointment, data=data).id

    def status(self, appointment_id: str, status: str, fee: int = 0) -> None:
        data = AppointmentStatusChange(status=status, fee=fee)  # type: ignore[arg-type]
        self(appointments.set_appointment_status, appointment_id=appointment_id, data=data)

    def bill(self, client_id: str, appointment_id: str, *, apply_credit: bool | None = None) -> BillRead:
        data = BillCreate(client_id=client_id, appointment_ids=[appointment_id], apply_available_credit=apply_credit)
        return self(billing.create_bill, data=data)

    def pay(self, bill_id: str, kind: str, amount: int, **extra: Any) -> str | None:
        data = PaymentLineCreate(type=kind, amount=amount, **extra)  # type: ignore[arg-type]
        return self(billing.add_payment, bill_id=bill_id, data=data).payment_id

    def prepay(self, client_id: str, kind: str, amount: int, memo: str) -> None:
        data = ClientPaymentCreate(type=kind, amount=amount, memo=memo)  # type: ignore[arg-type]
        self(payments.record_prepayment, client_id=client_id, data=data)

    def manual_credit(self, client_id: str, amount: int, reason: str, note: str) -> str:
        data = ManualCreditCreate(amount=amount, reason=reason, note=note)  # type: ignore[arg-type]
        return self(credits.add_manual_credit, client_id=client_id, data=data).id


def load_demo(db: Database, processor: PaymentProcessor) -> bool:
    """Create the demo practice and its story; False when it is already there."""
    if practice_by_name(db, DEMO_PRACTICE) is not None:
        return False
    practices.ensure_practice_and_owner(
        db, name=DEMO_PRACTICE, email=DEMO_EMAIL, password=DEMO_PASSWORD, ttl=timedelta(days=1)
    )
    practice = practice_by_name(db, DEMO_PRACTICE)
    assert practice is not None
    owner = find_staff(db, practice.id, email=DEMO_EMAIL)
    assert owner is not None
    story = _Story(Runner(db, processor), Actor(practice.id, owner.id, owner.role, request_id="demo"))
    story(
        practices.create_user,
        data=UserCreate(email=BILLER_EMAIL, name="Bea Biller", password=DEMO_PASSWORD, role="biller"),
    )
    # What its superbills name the practice by (a valid-looking NPI and EIN, made up).
    story(practices.update_practice, data=PracticeUpdate(npi="1234567893", tax_id="12-3456789"))
    seed_cases(story)
    return True


def seed_cases(story: _Story) -> None:
    _prepaid_sessions(story)
    _overpaid_card(story)
    _canceled_and_no_show(story)
    _manual_credits(story)
    _credit_returned_and_removed(story)
    _opted_out(story)
    _insurance_overpayment(story)
    _session_package(story)
    _household(story)


def _prepaid_sessions(story: _Story) -> None:
    """Pre-paying for services: a package of sessions bought up front, applied bill by bill."""
    client = story.client("Priya Patel", "priya@example.com")
    story.prepay(client.id, "card", 4 * SESSION, memo="Package of 4 sessions")
    for n in (0, 7):
        appt = story.session(client.id, n)
        story.status(appt, "attended")
        story.bill(client.id, appt)
    story.session(client.id, 14)


def _overpaid_card(story: _Story) -> None:
    """The "i" icon: a card payment larger than the bill; part of it became credit, part refunded.
    He keeps a card on file (Stripe's test Mastercard), which his card payments are charged to."""
    client = story.client("Marcus Lee", "marcus@example.com")
    story(cards.add_card, client_id=client.id, data=CardCreate(payment_method="pm_card_mastercard"))
    bill = story.bill(client.id, story.session(client.id, 1))
    payment_id = story.pay(bill.id, "card", 25000)
    assert payment_id is not None
    refund = RefundCreate(amount=4000, reason="Client asked for part of the credit back")
    story(payments.refund_payment, payment_id=payment_id, data=refund)
    story.session(client.id, 8, fee=LONG_SESSION, code="90837")


def _canceled_and_no_show(story: _Story) -> None:
    """Canceled or no-show sessions: the payment converted to credit instead of refunded."""
    client = story.client("Sofia Alvarez", "sofia@example.com")
    canceled = story.session(client.id, 2)
    story.pay(story.bill(client.id, canceled).id, "card", SESSION)
    story.status(canceled, "canceled")
    missed = story.session(client.id, 9)
    story.pay(story.bill(client.id, missed, apply_credit=False).id, "cash", SESSION)
    story.status(missed, "no_show", fee=5000)
    story.session(client.id, 16)


def _manual_credits(story: _Story) -> None:
    """Manual adjustments from Billing > Settings: a fee waiver, a courtesy credit partly removed."""
    client = story.client("Jordan Kim", "jordan@example.com")
    story.manual_credit(client.id, 5000, "fee_waiver", note="Waived the late-cancel fee of Nov 3")
    courtesy = story.manual_credit(client.id, 3000, "courtesy", note="Billing portal outage")
    removal = CreditRemove(amount=1000, note="Entered $10 too much")
    story(credits.remove_credit, client_id=client.id, lot_id=courtesy, data=removal)
    story.session(client.id, 3)


def _credit_returned_and_removed(story: _Story) -> None:
    """A credit used on a bill and returned to the account (Refund), and one removed for good."""
    client = story.client("Elena Rossi", "elena@example.com")
    story.prepay(client.id, "check", 2 * SESSION, memo="Check #1042")
    kept = story.bill(client.id, story.session(client.id, 4))
    story(billing.refund_line, bill_id=kept.id, line_id=kept.lines[0].id, amount=None)
    removed = story.bill(client.id, story.session(client.id, 11))
    story(billing.delete_line, bill_id=removed.id, line_id=removed.lines[0].id)


def _opted_out(story: _Story) -> None:
    """Opting out: a bill made without "Available Credit", and a discount that deducts nothing."""
    client = story.client("Sam Okafor", "sam@example.com")
    story.manual_credit(client.id, 10000, "billing_resolution", note="Duplicate charge in October")
    bill = story.bill(client.id, story.session(client.id, 5), apply_credit=False)
    story.pay(bill.id, "client_credit", 2500, deduct_from_credit_balance=False)
    story.session(client.id, 12, fee=LONG_SESSION, code="90837")


def _insurance_overpayment(story: _Story) -> None:
    """Insurance overpayment: a $30 copay collected by card, the payer then says the client owes $20.

    The $100 session's claim goes out as CLM-DEMO-1; the payer pays $80 with $20 patient
    responsibility, so $10 of the card payment becomes an ``insurance_adjustment`` credit.
    """
    client = story.client("Ana Rivera", "ana@example.com", billing="insurance", copay=3000)
    bill = story.bill(client.id, story.session(client.id, 6, fee=10000))
    item_id = bill.items[0].id
    story(insurance.set_claim_ref, item_id=item_id, claim_ref="CLM-DEMO-1")
    story.pay(bill.id, "card", 3000)
    decision = InsurancePaymentCreate(
        item_id=item_id,
        payer="BRHP1",
        paid=8000,
        patient_responsibility=2000,
        adjustments=[AdjustmentIn(group="PR", reason="2", amount=2000)],
    )
    story(insurance.post_insurance_payment, bill_id=bill.id, data=decision)
    story.session(client.id, 13, fee=10000)


def _session_package(story: _Story) -> None:
    """A prepaid package: four sessions for $400 by card. Each $150 session takes the package's
    $100 share and the other $50 as a discount; two are billed, two are left."""
    client = story.client("Nina Novak", "nina@example.com")
    data = PackageCreate(name="Four sessions", sessions=4, price=4 * 10000, payment=PackagePayment(type="card"))
    story(packages.sell_package, client_id=client.id, data=data)
    for n in (0, 7):
        appt = story.session(client.id, n)
        story.status(appt, "attended")
        story.bill(client.id, appt, apply_credit=True)
    story.session(client.id, 14)


def _household(story: _Story) -> None:
    """A household that shares credit: the parent prepaid $300 by check; the child's $150 session
    is paid from the parent's credit, which its Payment details name."""
    parent = story.client("Grace Chen", "grace@example.com")
    child = story.client("Lily Chen", "lily.chen@example.com")
    story.prepay(parent.id, "check", 2 * SESSION, memo="Check #2210, for the family")
    family = HouseholdCreate(name="The Chen family", client_ids=[parent.id, child.id], share_credit=True)
    story(households.create_household, data=family)
    appt = story.session(child.id, 3)
    story.status(appt, "attended")
    story.bill(child.id, appt, apply_credit=True)
    story.session(child.id, 10)
