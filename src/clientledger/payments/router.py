"""HTTP: prepayments, payments and refunds to the original payment method (rule 7)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clientledger.api.deps import Idem, Staff, get_runner, request_id
from clientledger.api.errors import ErrorResponse, declare
from clientledger.kit.config import Settings
from clientledger.payments import service as payments
from clientledger.payments.processor_events import receive_processor_event
from clientledger.payments.processors.stripe_events import read_stripe_event
from clientledger.payments.schemas import (
    ClientPaymentCreate,
    PaymentRead,
    ProcessorEventReceived,
    RefundCreate,
    RefundRead,
)

router = APIRouter(tags=["payments"])


@router.post(
    "/clients/{client_id}/payments",
    status_code=201,
    response_model=PaymentRead,
    responses=declare(402, 403, 404, 409, 503),
)
def record_prepayment(client_id: str, data: ClientPaymentCreate, rc: Staff, idem: Idem) -> Response:
    """A prepayment: all of it becomes a `prepayment` credit lot with this payment as provenance."""
    return rc.answer(payments.record_prepayment, idem, status_code=201, client_id=client_id, data=data)


@router.get("/payments/{payment_id}", response_model=PaymentRead, responses=declare(404))
def get_payment(payment_id: str, rc: Staff) -> PaymentRead:
    """A payment with `captured`, `credited`, `refunded`, its credit lots and its refunds."""
    return rc.read(payments.get_payment, payment_id=payment_id)


@router.post(
    "/payments/{payment_id}/refunds",
    status_code=201,
    response_model=RefundRead,
    responses=declare(400, 403, 404, 409),
)
def refund_payment(payment_id: str, rc: Staff, idem: Idem, data: RefundCreate | None = None) -> Response:
    """Refund (part of) a card/cash/check payment (default: all refundable): its remaining credit
    first, then what it pays on its bill. A card refund goes back through the processor after the
    commit; `status` tells whether it settled."""
    body = data if data is not None else RefundCreate()
    return rc.answer(payments.refund_payment, idem, status_code=201, payment_id=payment_id, data=body)


STRIPE_WEBHOOK_PATH = "/webhooks/stripe"


_SIGNATURE_HEADER = {
    "name": "Stripe-Signature",
    "in": "header",
    "required": True,
    "description": 'Stripe\'s `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with the endpoint secret',
    "schema": {"type": "string"},
}
_BAD_SIGNATURE = {
    "model": ErrorResponse,
    "description": "The `Stripe-Signature` is missing, wrong or more than 5 minutes old, or no webhook secret is "
    "configured (`invalid_signature`); nothing was done.",
}


@router.post(
    STRIPE_WEBHOOK_PATH,
    response_model=ProcessorEventReceived,
    responses={400: _BAD_SIGNATURE, 413: declare()[413]},
    openapi_extra={
        "security": [],
        "parameters": [_SIGNATURE_HEADER],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
    },
)
async def stripe_webhook(request: Request) -> ProcessorEventReceived:
    """Stripe's events in. No bearer token: the `Stripe-Signature` (at most 5 minutes old, checked with
    `CLIENTLEDGER_STRIPE_WEBHOOK_SECRET`) is the authentication; a bad or missing one is 400
    `invalid_signature` and changes nothing. Every event is stored by its id, so a repeat answers 200
    and does nothing; `refund.created`, `refund.updated` and `charge.refunded` record a refund made in
    Stripe's dashboard once (rule 7), and a refund that failed there as `failed`. Events for other
    types or unknown charges answer 200 and are recorded as ignored, so Stripe stops retrying."""
    settings: Settings = request.app.state.settings
    signature = request.headers.get("stripe-signature")
    event = read_stripe_event(await request.body(), signature, settings.stripe_webhook_secret)
    runner = get_runner(request)
    receipt = await run_in_threadpool(
        runner.unattended, receive_processor_event, event=event, request_id=request_id(request)
    )
    return ProcessorEventReceived(event_id=receipt.event_id, outcome=receipt.outcome, duplicate=receipt.duplicate)
