"""Test support: ``Ledger`` drives the use cases as a staff member would, through the runner.

Every call is one use case run by ``service_layer.Runner`` as ``actor`` (by default the practice's
owner), so tests exercise the same permission checks, replays, transactions and after-commit work
as the API, the web UI and the CLI. ``run``/``read`` take plain functions of a transaction for
checks that look straight at the tables.

Below the driver, one builder per scenario the tests start from (``a_self_pay_bill``,
``an_insured_bill``, ``a_void_bill``, ``a_card_payment``, ``a_prepaid_client`` ...): each is a short
story of use cases on a ``Ledger``, so every test module builds the same scenario the same way.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import select

from clientledger.accounting.verify import verify
from clientledger.appointments import service as appointments
from clientledger.appointments.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentStatusChange,
    AppointmentStatusResult,
)
from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate, BillItemRead, BillRead, LineRead, PaymentLineCreate
from clientledger.cards import service as cards
from clientledger.cards.schemas import CardCreate, CardRead
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientCreate, ClientRead
from clientledger.credits import service as credits
from clientledger.credits.schemas import CreditRemove, CreditsRead, LotRead, ManualCreditCreate
from clientledger.db import Ctx, Database, Tx
from clientledger.households import service as households
from clientledger.households.schemas import HouseholdCreate, HouseholdRead
from clientledger.insurance import importer
from clientledger.insurance import service as insurance
from clientledger.insurance.era835 import Source
from clientledger.insurance.schemas import AdjustmentIn, EraImportRead, InsurancePaymentCreate, InsurancePaymentResult
from clientledger.kit.processing import PaymentProcessor
from clientledger.models import journal_entries, postings
from clientledger.packages import service as packages
from clientledger.packages.schemas import PackageCreate, PackagePayment, PackageRead
from clientledger.payments import service as payments
from clientledger.payments.processors import SimulatedProcessor
from clientledger.payments.schemas import ClientPaymentCreate, PaymentRead, RefundCreate, RefundRead
from clientledger.practices import service as practices
from clientledger.practices.schemas import UserCreate
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name
from clientledger.service_layer import Actor, Replay, Runner

T = TypeVar("T")

OWNER_PASSWORD = "owner-pass-1"
STAFF_PASSWORD = "staff-pass-1"


class Ledger:
    def __init__(
        self, db: Database, ctx: Ctx, *, processor: PaymentProcessor | None = None, role: str = "owner"
    ) -> None:
        self.db = db
        self.ctx = ctx
        self.processor: PaymentProcessor = processor or SimulatedProcessor()
        self.runner = Runner(db, self.processor)
        self.actor = Actor(practice_id=ctx.practice_id, user_id=ctx.user_id, role=role, request_id=ctx.request_id)

    def do(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        """One use case through the runner, as this ledger's actor."""
        return self.runner.run(self.actor, use_case, **arguments)

    def look(self, query: Callable[..., T], /, **arguments: Any) -> T:
        return self.runner.read(self.actor, query, **arguments)

    def run(self, work: Callable[[Tx], T]) -> T:
        """A plain function of a write transaction (test set-up that is no use case)."""
        with self.db.transaction(self.ctx, processor=self.processor) as tx:
            return work(tx)

    def read(self, query: Callable[[Tx], T]) -> T:
        with self.db.transaction(self.ctx, write=False, processor=self.processor) as tx:
            return query(tx)

    def as_role(self, role: str) -> Ledger:
        """The same practice, acting with another role (the runner checks it)."""
        return Ledger(self.db, self.ctx, processor=self.processor, role=role)

    def client(
        self, name: str = "Ada Client", *, billing: str = "self_pay", copay: int | None = None, email: str | None = None
    ) -> ClientRead:
        data = ClientCreate(name=name, billing=billing, copay=copay, email=email)  # type: ignore[arg-type]
        return self.do(clients.create_client, data=data)

    def get_client(self, client_id: str) -> ClientRead:
        return self.look(clients.get_client, client_id=client_id)

    def appointment(
        self, client_id: str, *, fee: int = 15000, date: dt.date | None = None, service_code: str = "90834"
    ) -> AppointmentRead:
        data = AppointmentCreate(
            client_id=client_id, date=date or dt.date(2026, 11, 2), service_code=service_code, fee=fee
        )
        return self.do(appointments.schedule_appointment, data=data)

    def set_status(
        self, appointment_id: str, status: str, *, fee: int = 0, disposition: str = "credit"
    ) -> AppointmentStatusResult:
        data = AppointmentStatusChange(status=status, fee=fee, disposition=disposition)  # type: ignore[arg-type]
        return self.do(appointments.set_appointment_status, appointment_id=appointment_id, data=data)

    def bill(self, client_id: str, appointment_ids: list[str], *, apply_credit: bool | None = None) -> BillRead:
        data = BillCreate(client_id=client_id, appointment_ids=appointment_ids, apply_available_credit=apply_credit)
        return self.do(billing.create_bill, data=data)

    def get_bill(self, bill_id: str) -> BillRead:
        return self.look(billing.get_bill, bill_id=bill_id)

    def pay(
        self,
        bill_id: str,
        type: str,
        amount: int,
        *,
        deduct: bool | None = None,
        payment_method: str | None = None,
        idempotency_key: str | None = None,
    ) -> LineRead:
        data = PaymentLineCreate(
            type=type,  # type: ignore[arg-type]
            amount=amount,
            deduct_from_credit_balance=deduct,
            payment_method=payment_method,
        )
        replay = (
            Replay.api(idempotency_key, method="POST", path=f"/bills/{bill_id}/payments", body="", status_code=201)
            if idempotency_key
            else None
        )
        return self.runner.run(self.actor, billing.add_payment, replay=replay, bill_id=bill_id, data=data)

    def prepay(
        self,
        client_id: str,
        type: str,
        amount: int,
        *,
        memo: str | None = None,
        payment_method: str | None = None,
    ) -> PaymentRead:
        data = ClientPaymentCreate(
            type=type,  # type: ignore[arg-type]
            amount=amount,
            memo=memo,
            payment_method=payment_method,
        )
        return self.do(payments.record_prepayment, client_id=client_id, data=data)

    def sell_package(
        self,
        client_id: str,
        *,
        sessions: int = 4,
        price: int = 40000,
        service_code: str | None = None,
        type: str = "card",
        amount: int | None = None,
        name: str = "Four sessions",
    ) -> PackageRead:
        data = PackageCreate(
            name=name,
            sessions=sessions,
            price=price,
            service_code=service_code,
            payment=PackagePayment(type=type, amount=amount),  # type: ignore[arg-type]
        )
        return self.do(packages.sell_package, client_id=client_id, data=data)

    def packages(self, client_id: str) -> list[PackageRead]:
        return self.look(packages.list_packages, client_id=client_id).data

    def household(
        self, client_ids: list[str], *, share_credit: bool = True, name: str = "The Rivera family"
    ) -> HouseholdRead:
        data = HouseholdCreate(name=name, client_ids=client_ids, share_credit=share_credit)
        return self.do(households.create_household, data=data)

    def refund(self, payment_id: str, amount: int | None = None, *, reason: str | None = None) -> RefundRead:
        data = RefundCreate(amount=amount, reason=reason)
        return self.do(payments.refund_payment, payment_id=payment_id, data=data)

    def add_card(
        self, client_id: str, payment_method: str = "pm_card_visa", *, make_default: bool | None = None
    ) -> CardRead:
        data = CardCreate(payment_method=payment_method, make_default=make_default)
        return self.do(cards.add_card, client_id=client_id, data=data)

    def look_cards(self, client_id: str) -> list[CardRead]:
        return self.look(cards.list_cards, client_id=client_id).data

    def get_payment(self, payment_id: str) -> PaymentRead:
        return self.look(payments.get_payment, payment_id=payment_id)

    def refund_line(self, bill_id: str, line_id: str, amount: int | None = None) -> LineRead:
        return self.do(billing.refund_line, bill_id=bill_id, line_id=line_id, amount=amount)

    def delete_line(self, bill_id: str, line_id: str) -> None:
        self.do(billing.delete_line, bill_id=bill_id, line_id=line_id)

    def manual_credit(self, client_id: str, amount: int, reason: str = "courtesy", note: str | None = None) -> LotRead:
        data = ManualCreditCreate(amount=amount, reason=reason, note=note)  # type: ignore[arg-type]
        return self.do(credits.add_manual_credit, client_id=client_id, data=data)

    def remove_credit(self, client_id: str, lot_id: str, amount: int | None = None, note: str | None = None) -> LotRead:
        data = CreditRemove(amount=amount, note=note)
        return self.do(credits.remove_credit, client_id=client_id, lot_id=lot_id, data=data)

    def credits(self, client_id: str) -> CreditsRead:
        return self.look(credits.get_credits, client_id=client_id)

    def set_claim_ref(self, item_id: str, claim_ref: str) -> BillItemRead:
        return self.do(insurance.set_claim_ref, item_id=item_id, claim_ref=claim_ref)

    def insurance_payment(
        self,
        bill_id: str,
        item_id: str,
        *,
        payer: str,
        paid: int,
        patient_responsibility: int,
        adjustments: Sequence[tuple[str, str, int]] = (),
        claim_ref: str | None = None,
    ) -> InsurancePaymentResult:
        data = InsurancePaymentCreate(
            item_id=item_id,
            payer=payer,
            paid=paid,
            patient_responsibility=patient_responsibility,
            adjustments=[AdjustmentIn(group=g, reason=r, amount=a) for g, r, a in adjustments],  # type: ignore[arg-type]
            claim_ref=claim_ref,
        )
        return self.do(insurance.post_insurance_payment, bill_id=bill_id, data=data)

    def import_era(self, source: Source) -> EraImportRead:
        """Post an 835 (claim groups commit one by one; see ``insurance.importer``)."""
        return self.do(importer.import_remittance, source=source).read()

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Journal entries of this practice, oldest first, each with its postings (for checks)."""

        def query(tx: Tx) -> list[dict[str, Any]]:
            stmt = select(journal_entries).where(journal_entries.c.practice_id == tx.practice_id)
            if kind:
                stmt = stmt.where(journal_entries.c.kind == kind)
            out = []
            for e in tx.conn.execute(stmt.order_by(journal_entries.c.id)):
                rows = tx.conn.execute(
                    select(postings)
                    .where(postings.c.practice_id == tx.practice_id, postings.c.entry_id == e.id)
                    .order_by(postings.c.n)
                )
                out.append({"id": e.id, "kind": e.kind, "postings": [dict(r._mapping) for r in rows]})
            return out

        return self.read(query)

    def verify(self) -> list[str]:
        with self.db.engine.connect() as conn:
            return verify(conn)


# --- the practice and its staff -------------------------------------------------------------------


def new_practice(db: Database, name: str = "Calm Waters Therapy", email: str = "owner@example.com") -> Ctx:
    """A practice and its owner, as ``clientledger init`` makes them (found again if they exist)."""
    ensure_practice_and_owner(db, name=name, email=email, password=OWNER_PASSWORD, ttl=timedelta(days=1))
    row = find_practice_by_name(db, name)
    assert row is not None
    return Ctx(practice_id=row.id)


def a_ledger(
    db: Database,
    *,
    processor: PaymentProcessor | None = None,
    name: str = "Calm Waters Therapy",
    email: str = "owner@example.com",
) -> Ledger:
    """The owner's ledger of a new practice (with ``processor`` for card charges and refunds)."""
    return Ledger(db, new_practice(db, name, email), processor=processor)


def a_staff_member(ledger: Ledger, role: str, *, email: str | None = None) -> str:
    """A new user with ``role`` in the ledger's practice (password ``STAFF_PASSWORD``); their email."""
    email = email or f"{role}-{uuid.uuid4().hex[:8]}@example.com"
    data = UserCreate(email=email, password=STAFF_PASSWORD, role=role)  # type: ignore[arg-type]
    ledger.do(practices.create_user, data=data)
    return email


# --- clients, bills and payments ------------------------------------------------------------------


def a_prepaid_client(
    ledger: Ledger,
    name: str = "Ada Client",
    *,
    amount: int,
    type: str = "cash",
    billing: str = "self_pay",
    copay: int | None = None,
) -> tuple[ClientRead, PaymentRead]:
    """A new client who paid ``amount`` ahead of any bill: all of it is credit."""
    client = ledger.client(name, billing=billing, copay=copay)
    return client, ledger.prepay(client.id, type, amount)


def a_session_bill(
    ledger: Ledger, client_id: str, *, fee: int = 15000, date: dt.date | None = None, apply_credit: bool | None = None
) -> BillRead:
    """One more attended session of the client, on a bill of its own."""
    appointment = ledger.appointment(client_id, fee=fee, date=date)
    return ledger.bill(client_id, [appointment.id], apply_credit=apply_credit)


def a_self_pay_bill(
    ledger: Ledger,
    name: str = "Ada Client",
    *,
    fee: int = 15000,
    date: dt.date | None = None,
    apply_credit: bool | None = None,
) -> tuple[ClientRead, BillRead]:
    """A new self-pay client with one attended session billed, nothing paid yet."""
    client = ledger.client(name)
    return client, a_session_bill(ledger, client.id, fee=fee, date=date, apply_credit=apply_credit)


def an_insured_bill(
    ledger: Ledger,
    name: str = "Ana Rivera",
    *,
    copay: int = 3000,
    fee: int = 10000,
    claim_ref: str | None = None,
    copay_paid_by: str | None = None,
    client: ClientRead | None = None,
    apply_credit: bool | None = None,
) -> tuple[ClientRead, BillRead]:
    """An insured client's session billed (the client owes the copay, the payer the rest).

    ``claim_ref`` replaces the generated one (to match a fixture's CLP01); ``copay_paid_by`` pays the
    copay with that payment type; ``client`` bills another session of an insured client.
    """
    client = client or ledger.client(name, billing="insurance", copay=copay)
    bill = a_session_bill(ledger, client.id, fee=fee, apply_credit=apply_credit)
    if claim_ref is None and copay_paid_by is None:
        return client, bill
    if claim_ref is not None:
        ledger.set_claim_ref(bill.items[0].id, claim_ref)
    if copay_paid_by is not None:
        ledger.pay(bill.id, copay_paid_by, client.copay or 0)
    return client, ledger.get_bill(bill.id)


def a_void_bill(ledger: Ledger, *, billing: str = "self_pay") -> tuple[ClientRead, BillRead]:
    """A client with $400 of credit whose only session was billed, paid $10 in cash, then canceled at no fee."""
    client = ledger.client(billing=billing, copay=2000 if billing == "insurance" else None)
    ledger.manual_credit(client.id, 40000)
    appointment = ledger.appointment(client.id)
    bill = ledger.bill(client.id, [appointment.id], apply_credit=False)
    ledger.pay(bill.id, "cash", 1000)
    ledger.set_status(appointment.id, "canceled")
    bill = ledger.get_bill(bill.id)
    assert bill.status == "void"
    return client, bill


def a_card_payment(
    ledger: Ledger,
    name: str = "Card Carla",
    *,
    payment_method: str = "pm_card_visa",
    fee: int = 15000,
    amount: int | None = None,
) -> tuple[BillRead, LineRead]:
    """A self-pay session billed without credit and paid by card (``amount`` above ``fee`` goes to credit)."""
    _, bill = a_self_pay_bill(ledger, name, fee=fee, apply_credit=False)
    line = ledger.pay(bill.id, "card", fee if amount is None else amount, payment_method=payment_method)
    return bill, line
