"""``Ledger``: the services behind one object, each call one use case in its own transaction.

For scripts, the demo loader, benchmarks and tests. The HTTP API and web UI call the same service
functions through their own unit-of-work handling (idempotency, request ids).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
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
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientCreate, ClientRead
from clientledger.credits import service as credits
from clientledger.credits.schemas import CreditRemove, CreditsRead, LotRead, ManualCreditCreate
from clientledger.db import Ctx, Database, Tx
from clientledger.insurance import importer
from clientledger.insurance import service as insurance
from clientledger.insurance.era835 import Source
from clientledger.insurance.schemas import AdjustmentIn, EraImportRead, InsurancePaymentCreate, InsurancePaymentResult
from clientledger.models import journal_entries, postings
from clientledger.payments import service as payments
from clientledger.payments.schemas import ClientPaymentCreate, PaymentRead, RefundCreate, RefundRead

T = TypeVar("T")


class Ledger:
    def __init__(self, db: Database, ctx: Ctx) -> None:
        self.db = db
        self.ctx = ctx

    def run(self, use_case: Callable[[Tx], T]) -> T:
        with self.db.transaction(self.ctx) as tx:
            return use_case(tx)

    def read(self, query: Callable[[Tx], T]) -> T:
        with self.db.transaction(self.ctx, write=False) as tx:
            return query(tx)

    def client(
        self, name: str = "Ada Client", *, billing: str = "self_pay", copay: int | None = None, email: str | None = None
    ) -> ClientRead:
        data = ClientCreate(name=name, billing=billing, copay=copay, email=email)  # type: ignore[arg-type]
        return self.run(lambda tx: clients.create_client(tx, data=data))

    def get_client(self, client_id: str) -> ClientRead:
        return self.read(lambda tx: clients.get_client(tx, client_id=client_id))

    def appointment(
        self, client_id: str, *, fee: int = 15000, date: dt.date | None = None, service_code: str = "90834"
    ) -> AppointmentRead:
        data = AppointmentCreate(
            client_id=client_id, date=date or dt.date(2026, 11, 2), service_code=service_code, fee=fee
        )
        return self.run(lambda tx: appointments.schedule_appointment(tx, data=data))

    def set_status(
        self, appointment_id: str, status: str, *, fee: int = 0, disposition: str = "credit"
    ) -> AppointmentStatusResult:
        data = AppointmentStatusChange(status=status, fee=fee, disposition=disposition)  # type: ignore[arg-type]
        return self.run(lambda tx: appointments.set_appointment_status(tx, appointment_id=appointment_id, data=data))

    def bill(self, client_id: str, appointment_ids: list[str], *, apply_credit: bool | None = None) -> BillRead:
        data = BillCreate(client_id=client_id, appointment_ids=appointment_ids, apply_available_credit=apply_credit)
        return self.run(lambda tx: billing.create_bill(tx, data=data))

    def get_bill(self, bill_id: str) -> BillRead:
        return self.read(lambda tx: billing.get_bill(tx, bill_id=bill_id))

    def pay(
        self,
        bill_id: str,
        type: str,
        amount: int,
        *,
        deduct: bool | None = None,
        card_number: str | None = None,
        idempotency_key: str | None = None,
    ) -> LineRead:
        data = PaymentLineCreate(
            type=type,  # type: ignore[arg-type]
            amount=amount,
            deduct_from_credit_balance=deduct,
            card_number=card_number,
        )
        return payments.with_card_charge(
            self.db,
            self.ctx,
            method=type,
            amount=amount,
            card_number=card_number,
            idempotency_key=idempotency_key,
            use_case=lambda tx, charge: billing.add_payment(tx, bill_id=bill_id, data=data, charge=charge),
        )

    def prepay(
        self, client_id: str, type: str, amount: int, *, memo: str | None = None, card_number: str | None = None
    ) -> PaymentRead:
        data = ClientPaymentCreate(type=type, amount=amount, memo=memo, card_number=card_number)  # type: ignore[arg-type]
        return payments.with_card_charge(
            self.db,
            self.ctx,
            method=type,
            amount=amount,
            card_number=card_number,
            idempotency_key=None,
            use_case=lambda tx, charge: payments.record_prepayment(tx, client_id=client_id, data=data, charge=charge),
        )

    def refund(self, payment_id: str, amount: int | None = None, *, reason: str | None = None) -> RefundRead:
        data = RefundCreate(amount=amount, reason=reason)
        refund = self.run(lambda tx: payments.refund_payment(tx, payment_id=payment_id, data=data))
        return self.read(lambda tx: payments.get_refund(tx, refund_id=refund.id))

    def get_payment(self, payment_id: str) -> PaymentRead:
        return self.read(lambda tx: payments.get_payment(tx, payment_id=payment_id))

    def refund_line(self, bill_id: str, line_id: str, amount: int | None = None) -> LineRead:
        return self.run(lambda tx: billing.refund_line(tx, bill_id=bill_id, line_id=line_id, amount=amount))

    def delete_line(self, bill_id: str, line_id: str) -> None:
        self.run(lambda tx: billing.delete_line(tx, bill_id=bill_id, line_id=line_id))

    def manual_credit(self, client_id: str, amount: int, reason: str = "courtesy", note: str | None = None) -> LotRead:
        data = ManualCreditCreate(amount=amount, reason=reason, note=note)  # type: ignore[arg-type]
        return self.run(lambda tx: credits.add_manual_credit(tx, client_id=client_id, data=data))

    def remove_credit(self, client_id: str, lot_id: str, amount: int | None = None, note: str | None = None) -> LotRead:
        data = CreditRemove(amount=amount, note=note)
        return self.run(lambda tx: credits.remove_credit(tx, client_id=client_id, lot_id=lot_id, data=data))

    def credits(self, client_id: str) -> CreditsRead:
        return self.read(lambda tx: credits.get_credits(tx, client_id=client_id))

    def set_claim_ref(self, item_id: str, claim_ref: str) -> BillItemRead:
        return self.run(lambda tx: insurance.set_claim_ref(tx, item_id=item_id, claim_ref=claim_ref))

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
        return self.run(lambda tx: insurance.post_insurance_payment(tx, bill_id=bill_id, data=data))

    def import_era(self, source: Source) -> EraImportRead:
        """Post an 835 (one transaction per claim; see ``insurance.importer``)."""
        return importer.import_era(self.db, self.ctx, source).read()

    def entries(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Journal entries of this practice, oldest first, each with its postings (for checks)."""

        def query(tx: Tx) -> list[dict[str, Any]]:
            stmt = select(journal_entries).where(journal_entries.c.practice_id == tx.practice_id)
            if kind:
                stmt = stmt.where(journal_entries.c.kind == kind)
            out = []
            for e in tx.conn.execute(stmt.order_by(journal_entries.c.id)):
                rows = tx.conn.execute(select(postings).where(postings.c.entry_id == e.id).order_by(postings.c.id))
                out.append({"id": e.id, "kind": e.kind, "postings": [dict(r._mapping) for r in rows]})
            return out

        return self.read(query)

    def verify(self) -> list[str]:
        with self.db.engine.connect() as conn:
            return verify(conn)
