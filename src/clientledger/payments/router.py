"""HTTP: prepayments, payments and refunds to the original payment method (rule 7)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Idem, Staff
from clientledger.api.errors import declare
from clientledger.payments import service as payments
from clientledger.payments.schemas import ClientPaymentCreate, PaymentRead, RefundCreate, RefundRead

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
