"""New bill, and the bill page: services, payments with their details, and the actions on them."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Depends
from fastapi.responses import Response

from clientledger.appointments import service as appointments
from clientledger.appointments.schemas import AppointmentRead
from clientledger.audit import service as audit
from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate, BillRead, LineRead, LotDraw
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientRead
from clientledger.credits import service as credits
from clientledger.credits.schemas import LotRead
from clientledger.households import service as households
from clientledger.households.schemas import HouseholdRead
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.money import format_cents
from clientledger.kit.use_cases import Permission, use_case
from clientledger.kit.vocabulary import LotSource
from clientledger.packages import service as packages
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
    household: HouseholdRead | None = None
    spendable: int = 0  # the credit a bill of the client may spend (a sharing household's included)


@use_case(Permission.READ)
def new_bill_data(tx: Tx, *, client_id: str) -> NewBill:
    client = clients.get_client(tx, client_id=client_id)
    appts = appointments.list_client_appointments(tx, client_id=client_id)
    unbilled = sorted((a for a in appts if a.bill_id is None), key=lambda a: (a.date, a.id))
    return NewBill(
        client=client,
        unbilled=unbilled,
        apply_by_default=practices.get_practice(tx).auto_apply_credit,
        household=households.client_household(tx, client_id=client_id),
        spendable=billing.spendable_credit(tx, client_id=client_id),
    )


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
    spendable: int = 0  # the credit this bill may spend: no package's, and the household's when shared
    owners: dict[str, str] = field(default_factory=dict)  # other members whose lots a line drew: id -> name
    others_lots: list[LotRead] = field(default_factory=list)  # those members' lots
    package_names: dict[str, str] = field(default_factory=dict)  # a package's lot id -> the package's name

    @property
    def credit_to_apply(self) -> int:
        """What "Apply credit" takes by default: rule 2's ``min(spendable credit, balance due)``."""
        return billing.credit_default(self.bill, credit_balance=self.spendable)

    def refund_reasons(self, line: LineRead) -> list[str]:
        """Why this payment was refunded, as staff wrote it (refunds the processor refused left out)."""
        found = self.refunds.get(line.payment_id or "", [])
        return [r.reason for r in found if r.reason and r.status != "failed"]

    def refundable(self, line: LineRead) -> int:
        """All that a Refund of this row can give back (its "Full Amount")."""
        return billing.refundable_on_line(line, self.lots)

    def lot(self, lot_id: str) -> LotRead | None:
        return next((lot for lot in [*self.lots, *self.others_lots] if lot.id == lot_id), None)

    def package_name(self, draw: LotDraw) -> str | None:
        """The package whose lot a session drew, by name (None for any other lot)."""
        if draw.source != LotSource.PACKAGE:
            return None
        return self.package_names.get(draw.lot_id, "")

    def owner(self, draw: LotDraw) -> str | None:
        """The household member whose lot this was, when it is not this bill's client's."""
        if draw.client_id is None or draw.client_id == self.client.id:
            return None
        return self.owners.get(draw.client_id, draw.client_id)


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
    draws = [d for line in bill.lines for d in line.lots or []]
    others = dict.fromkeys(d.client_id for d in draws if d.client_id and d.client_id != client.id)
    with_packages = dict.fromkeys(d.client_id or client.id for d in draws if d.source == LotSource.PACKAGE)
    return BillPage(
        bill=bill,
        client=client,
        lots=lots,
        show_insurance=show_insurance,
        refunds=refunds,
        history=history,
        spendable=billing.spendable_credit(tx, client_id=client.id),
        owners={cid: clients.get_client(tx, client_id=cid).name for cid in others},
        others_lots=[lot for cid in others for lot in credits.get_credits(tx, client_id=cid).lots],
        package_names={
            p.lot_id: p.name for cid in with_packages for p in packages.list_packages(tx, client_id=cid).data
        },
    )


@router.get("/bills/{bill_id}")
def bill_page(bill_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    return web.render("bill.html", nav="clients", data=data, bill=data.bill, client=data.client)
