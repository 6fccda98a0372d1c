"""New bill, and the bill page: services, payments with their details, and the actions on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Depends
from fastapi.responses import Response

from clientledger.appointments import service as appointments
from clientledger.appointments.schemas import AppointmentRead
from clientledger.audit import service as audit
from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate, BillRead, LineRead
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientRead
from clientledger.credits import service as credits
from clientledger.credits.schemas import LotRead
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.money import format_cents
from clientledger.kit.use_cases import Permission, use_case
from clientledger.payments import service as payments
from clientledger.payments.schemas import RefundRead
from clientledger.practices import service as practices
from clientledger.service_layer import Tx
from clientledger.web.context import Web, action, page
from clientledger.web.history import HistoryLine, history_lines
from clientledger.web.labels import said
from clientledger.web.routing import web_router

router = web_router()


@dataclass(frozen=True)
class NewBill:
    client: ClientRead
    unbilled: list[AppointmentRead]
    apply_by_default: bool


@use_case(Permission.READ)
def new_bill_data(tx: Tx, *, client_id: str) -> NewBill:
    client = clients.get_client(tx, client_id=client_id)
    appts = appointments.list_client_appointments(tx, client_id=client_id)
    unbilled = sorted((a for a in appts if a.bill_id is None), key=lambda a: (a.date, a.id))
    return NewBill(client=client, unbilled=unbilled, apply_by_default=practices.get_practice(tx).auto_apply_credit)


@router.get("/clients/{client_id}/bills/new")
def new_bill_form(client_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(new_bill_data, client_id=client_id)
    return web.render("bill_new.html", nav="clients", data=data, client=data.client, form=None, error=None)


@router.post("/clients/{client_id}/bills/new")
def create_bill(client_id: str, web: Web = Depends(action)) -> Response:
    data = web.read(new_bill_data, client_id=client_id)
    assert web.form is not None
    try:
        chosen = [str(v) for v in web.form.getlist("appointment_id") if isinstance(v, str) and v]
        if not chosen:
            raise ValidationFailed("Choose at least one appointment to bill.")
        request = web.build(
            BillCreate,
            client_id=data.client.id,
            appointment_ids=chosen,
            apply_available_credit=web.checked("apply_available_credit"),
        )
        bill = web.submit(billing.create_bill, data=request)
    except ClientLedgerError as err:
        status = err.status_code if 400 <= err.status_code < 500 else 422
        return web.render(
            "bill_new.html",
            status_code=status,
            nav="clients",
            data=data,
            client=data.client,
            form=web.form,
            error=said(err),
        )
    applied = [line for line in bill.lines if line.type.is_credit]
    flash = "Bill created."
    if applied:
        flash += f" {format_cents(applied[0].amount)} of available credit was applied."
    return web.done(f"/bills/{bill.id}", flash)


@dataclass(frozen=True)
class BillPage:
    bill: BillRead
    client: ClientRead
    lots: list[LotRead]
    show_insurance: bool
    history: list[HistoryLine] = field(default_factory=list)
    refunds: dict[str, list[RefundRead]] = field(default_factory=dict)  # by payment id: reasons shown

    @property
    def credit_to_apply(self) -> int:
        """What "Apply credit" takes by default: rule 2's ``min(credit balance, balance due)``."""
        return billing.credit_default(self.bill, credit_balance=self.client.credit_balance)

    def refund_reasons(self, line: LineRead) -> list[str]:
        """Why this payment was refunded, as staff wrote it (refunds the processor refused left out)."""
        found = self.refunds.get(line.payment_id or "", [])
        return [r.reason for r in found if r.reason and r.status != "failed"]

    def refundable(self, line: LineRead) -> int:
        """All that a Refund of this row can give back (its "Full Amount")."""
        return billing.refundable_on_line(line, self.lots)

    def lot(self, lot_id: str) -> LotRead | None:
        return next((lot for lot in self.lots if lot.id == lot_id), None)


@use_case(Permission.READ)
def bill_page_data(tx: Tx, *, bill_id: str) -> BillPage:
    bill = billing.get_bill(tx, bill_id=bill_id)
    client = clients.get_client(tx, client_id=bill.client_id)
    lots = credits.get_credits(tx, client_id=client.id).lots
    show_insurance = client.billing == "insurance" or any(
        i.insurance_responsibility or i.insurance_paid for i in bill.items
    )
    refunds = {
        line.payment_id: payments.get_payment(tx, payment_id=line.payment_id).refunds
        for line in bill.lines
        if line.payment_id and line.refunded
    }
    # The bill's events, and its payments' (a refund the processor refused names the payment).
    named = [bill.id, *(line.payment_id for line in bill.lines if line.payment_id)]
    history = history_lines(audit.object_history(tx, object_ids=named))
    return BillPage(
        bill=bill, client=client, lots=lots, show_insurance=show_insurance, refunds=refunds, history=history
    )


@router.get("/bills/{bill_id}")
def bill_page(bill_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    return web.render("bill.html", nav="clients", data=data, bill=data.bill, client=data.client)
