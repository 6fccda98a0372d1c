"""Appointment use cases: scheduling, and what happens to money when a session does not happen."""

from __future__ import annotations

from clientledger.accounting.accounts import AR_CLIENT, AR_INSURANCE, REVENUE
from clientledger.accounting.journal import record
from clientledger.accounting.moves import apply_credit, release_excess
from clientledger.accounting.posting import cr, dr
from clientledger.appointments import repository as appointments_repo
from clientledger.appointments.repository import AppointmentRecord, client_appointment_rows, get_appointment_row
from clientledger.appointments.schemas import (
    AppointmentCreate,
    AppointmentRead,
    AppointmentStatusChange,
    AppointmentStatusResult,
)
from clientledger.audit.service import record_event
from clientledger.billing.repository import get_bill_row, get_item_row, set_item_fee, settle_bill_status
from clientledger.billing.service import get_bill
from clientledger.clients.repository import ClientRecord, get_client_row, lock_client
from clientledger.credits.service import get_lot
from clientledger.db import Tx
from clientledger.insurance.repository import has_posted_payment
from clientledger.kit.errors import InsurancePaid, ValidationFailed
from clientledger.kit.ids import new_id
from clientledger.kit.use_cases import Permission, use_case
from clientledger.kit.vocabulary import AppointmentStatus, EntryKind, LotSource
from clientledger.payments.refunds import send_after_commit
from clientledger.rules.credit import credit_for_rise
from clientledger.rules.freeing import excess_paid
from clientledger.rules.responsibility import billed_fee, item_responsibility


@use_case(Permission.MANAGE_CLIENTS)
def schedule_appointment(tx: Tx, *, data: AppointmentCreate) -> AppointmentRead:
    client = get_client_row(tx, data.client_id)
    appt_id = new_id("appt")
    appointments_repo.insert_appointment(
        tx, appointment_id=appt_id, client_id=client.id, date=data.date, service_code=data.service_code, fee=data.fee
    )
    record_event(tx, action="appointment.scheduled", object_ids=[appt_id, client.id])
    return get_appointment(tx, appointment_id=appt_id)


@use_case(Permission.READ)
def get_appointment(tx: Tx, *, appointment_id: str) -> AppointmentRead:
    return AppointmentRead.model_validate(get_appointment_row(tx, appointment_id))


@use_case(Permission.READ)
def list_client_appointments(
    tx: Tx, *, client_id: str, limit: int | None = None, cursor: str | None = None
) -> list[AppointmentRead]:
    """A client's appointments, latest first; all of them, or ``limit`` after ``cursor`` (an appointment id)."""
    get_client_row(tx, client_id)
    rows = client_appointment_rows(tx, client_id, limit=limit, cursor=cursor)
    return [AppointmentRead.model_validate(r) for r in rows]


def present_status_change(tx: Tx, result: AppointmentStatusResult) -> AppointmentStatusResult:
    """The answer once refunds to the original card (``disposition: refund``) have settled or failed."""
    if result.bill is None:
        return result
    return result.model_copy(update={"bill": get_bill(tx, bill_id=str(result.bill["id"])).model_dump(mode="json")})


@use_case(Permission.BILL, present=present_status_change)
def set_appointment_status(tx: Tx, *, appointment_id: str, data: AppointmentStatusChange) -> AppointmentStatusResult:
    """Mark a session attended, canceled or missed (rule 6).

    A canceled or missed session bills only ``fee``; what the client paid beyond it becomes a
    ``cancellation``/``no_show`` credit lot (``disposition: credit``) or goes back to the original
    payment method (``refund``).
    """
    appt = get_appointment_row(tx, appointment_id)
    client = lock_client(tx, appt.client_id)
    appt = get_appointment_row(tx, appointment_id)
    canceled = AppointmentStatus(data.status).bills_fee_only
    fee = data.fee if canceled else None
    if not canceled and data.fee:
        raise ValidationFailed("A fee applies only to canceled, late canceled or no-show sessions.")
    if fee is not None and fee > appt.fee:
        raise ValidationFailed("The fee cannot exceed the session's fee of {fee}.", fee=appt.fee)
    lot_ids: list[str] = []
    line_id: str | None = None
    if appt.item_id is not None and (canceled or AppointmentStatus(appt.status).bills_fee_only):
        lot_ids, line_id = _rebill_item(tx, appt=appt, client=client, new_status=data.status, new_fee=fee, data=data)
    appointments_repo.set_appointment_status(tx, appt.id, status=data.status, status_fee=fee)
    record_event(
        tx,
        action="appointment.status_changed",
        object_ids=[appt.id, client.id, appt.bill_id, line_id, *lot_ids],
        detail=data.model_dump(),
    )
    result = AppointmentStatusResult.model_validate(get_appointment_row(tx, appt.id))
    if appt.bill_id is not None:
        result.bill = get_bill(tx, bill_id=appt.bill_id).model_dump(mode="json")
    result.credits_created = [get_lot(tx, client_id=client.id, lot_id=lot_id) for lot_id in lot_ids]
    return result


def _rebill_item(
    tx: Tx,
    *,
    appt: AppointmentRecord,
    client: ClientRecord,
    new_status: str,
    new_fee: int | None,
    data: AppointmentStatusChange,
) -> tuple[list[str], str | None]:
    """Change a billed item's fee to what the new status bills, then free what was overpaid.

    A rise of the client's part (a cancellation fee raised, a canceled session attended after all)
    is rule 2's rise: on a bill created with credit applied, credit meets it as a new client_credit
    line. Returns the lots created and that line.
    """
    a, c = appt, client
    assert a.item_id is not None
    item = get_item_row(tx, a.item_id)
    if item.insurance_paid > 0 or has_posted_payment(tx, item.id):
        raise InsurancePaid("Insurance has already paid this session; it cannot be canceled.")
    fee = billed_fee(status=new_status, fee=a.fee, status_fee=new_fee)
    client_share, insurance_share = item_responsibility(billing=c.billing, copay=c.copay, fee=fee, status=new_status)
    bill_id = item.bill_id
    lines = [
        dr(REVENUE, item.fee - fee, bill_id=bill_id, item_id=item.id),
        cr(AR_CLIENT, item.client_responsibility - client_share, bill_id=bill_id, item_id=item.id),
        cr(AR_INSURANCE, item.insurance_responsibility - insurance_share, bill_id=bill_id, item_id=item.id),
    ]
    set_item_fee(tx, item.id, fee=fee, insurance_responsibility=insurance_share)
    bill = get_bill_row(tx, bill_id)
    new_responsibility = bill.client_responsibility - (item.client_responsibility - client_share)
    excess = excess_paid(client_paid=bill.client_paid, client_responsibility=new_responsibility)
    source = LotSource.NO_SHOW if new_status == AppointmentStatus.NO_SHOW else LotSource.CANCELLATION
    released = release_excess(
        tx, client_id=c.id, bill_id=bill_id, excess=excess, source=source, disposition=data.disposition
    )
    rise = client_share - item.client_responsibility
    credit = credit_for_rise(
        auto_apply=bill.apply_available_credit,
        rise=rise,
        credit_balance=c.credit_balance,
        balance_due=bill.balance_due + rise,
    )
    line_id, applied = apply_credit(tx, client_id=c.id, bill_id=bill_id, amount=credit)
    record(
        tx,
        kind=EntryKind(f"appointment_{new_status}"),
        client_id=c.id,
        bill_id=bill_id,
        lines=lines + released.lines + applied,
    )
    send_after_commit(tx, released.pending_refund_ids)
    settle_bill_status(tx, bill_id)
    return released.lot_ids, line_id
