"""Dialogs of the client page: add an appointment, record a prepayment, set a session's status."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response

from clientledger.appointments import service as appointments
from clientledger.appointments.schemas import AppointmentCreate, AppointmentRead, AppointmentStatusChange
from clientledger.cards import service as cards
from clientledger.clients import service as clients
from clientledger.clients.schemas import ClientRead
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.money import format_cents
from clientledger.kit.use_cases import Permission, use_case
from clientledger.kit.vocabulary import PaymentMethod
from clientledger.payments import service as payments
from clientledger.payments.schemas import ClientPaymentCreate
from clientledger.service_layer import Tx
from clientledger.web.context import Web, action, page
from clientledger.web.labels import APPOINTMENT_STATUSES, CLIENT_METHODS, label
from clientledger.web.routing import web_router

router = web_router()

APPOINTMENT_FORM = "dialogs/add_appointment.html"
PREPAY_FORM = "dialogs/prepayment.html"
STATUS_FORM = "dialogs/set_status.html"


def _client(web: Web, client_id: str) -> ClientRead:
    return web.read(clients.get_client, client_id=client_id)


@router.get("/clients/{client_id}/appointments/new")
def appointment_form(client_id: str, web: Web = Depends(page)) -> Response:
    client = _client(web, client_id)
    return web.render_form(APPOINTMENT_FORM, title="Add appointment", client=client, form=None, today=web.days.today())


@router.post("/clients/{client_id}/appointments/new")
def add_appointment(client_id: str, web: Web = Depends(action)) -> Response:
    client = _client(web, client_id)
    try:
        day = web.day("date", label="Date")
        fee = web.amount("fee", label="Fee", required=False) or 0
        data = web.build(
            AppointmentCreate, client_id=client.id, date=day, service_code=web.field("service_code"), fee=fee
        )
        appt = web.submit(appointments.schedule_appointment, data=data)
    except ClientLedgerError as err:
        return web.refused(APPOINTMENT_FORM, err, title="Add appointment", client=client, today=web.days.today())
    return web.done(f"/clients/{client.id}", f"Added the {appt.date.isoformat()} session.")


@router.get("/clients/{client_id}/payments/new")
def prepayment_form(client_id: str, web: Web = Depends(page)) -> Response:
    client = _client(web, client_id)
    on_file = web.read(cards.list_cards, client_id=client.id).data
    return web.render_form(PREPAY_FORM, title="Record payment", client=client, cards=on_file, form=None)


@router.post("/clients/{client_id}/payments/new")
def record_prepayment(client_id: str, web: Web = Depends(action)) -> Response:
    client = _client(web, client_id)
    on_file = web.read(cards.list_cards, client_id=client.id).data
    try:
        method = web.field("type")
        if method not in CLIENT_METHODS:
            raise ValidationFailed("Payment Type: choose Credit Card, Cash or Check.")
        amount = web.amount("amount")
        assert amount is not None
        payment_method = (web.field("payment_method") or None) if PaymentMethod(method).via_processor else None
        data = web.build(
            ClientPaymentCreate,
            type=method,
            amount=amount,
            memo=web.field("memo") or None,
            payment_method=payment_method,
        )
        payment = web.submit(payments.record_prepayment, client_id=client.id, data=data)
    except ClientLedgerError as err:
        return web.refused(PREPAY_FORM, err, title="Record payment", client=client, cards=on_file)
    kind = label(CLIENT_METHODS, payment.type)
    return web.done(
        f"/clients/{client.id}", f"Recorded a {kind} payment of {format_cents(payment.captured)}; it is now credit."
    )


@use_case(Permission.READ)
def appointment_and_client(tx: Tx, *, appointment_id: str) -> tuple[AppointmentRead, ClientRead]:
    appt = appointments.get_appointment(tx, appointment_id=appointment_id)
    return appt, clients.get_client(tx, client_id=appt.client_id)


def _appointment(web: Web, appointment_id: str) -> tuple[AppointmentRead, ClientRead]:
    return web.read(appointment_and_client, appointment_id=appointment_id)


@router.get("/appointments/{appointment_id}/status")
def status_form(appointment_id: str, web: Web = Depends(page)) -> Response:
    appt, client = _appointment(web, appointment_id)
    return web.render_form(STATUS_FORM, title="Set status", appointment=appt, client=client, form=None)


@router.post("/appointments/{appointment_id}/status")
def set_status(appointment_id: str, web: Web = Depends(action)) -> Response:
    appt, client = _appointment(web, appointment_id)
    try:
        status = web.field("status")
        if status not in APPOINTMENT_STATUSES or status == "scheduled":
            raise ValidationFailed("Status: choose Attended, Canceled, Late canceled or No-show.")
        fee = web.amount("fee", label="Fee", required=False) or 0
        disposition = web.field("disposition") or "credit"
        data = web.build(AppointmentStatusChange, status=status, fee=fee, disposition=disposition)
        result = web.submit(appointments.set_appointment_status, appointment_id=appt.id, data=data)
    except ClientLedgerError as err:
        return web.refused(STATUS_FORM, err, title="Set status", appointment=appt, client=client)
    message = f"The {appt.date.isoformat()} session is now {label(APPOINTMENT_STATUSES, result.status).lower()}."
    if result.credits_created:
        amounts = " and ".join(format_cents(lot.amount) for lot in result.credits_created)
        message += f" {amounts} of what the client paid is now credit."
    elif data.disposition == "refund" and result.status != "attended":
        message += " Anything paid beyond the fee goes back to the original payment method."
    return web.done(f"/clients/{client.id}", message)
