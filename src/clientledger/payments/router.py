"""HTTP: prepayments, payments and refunds to the original payment method (rule 7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Reader, Writer, read
from clientledger.api.errors import declare
from clientledger.api.idempotency import CardPayment, Idem, execute
from clientledger.clients.service import get_client
from clientledger.db import Tx
from clientledger.payments import service as payments
from clientledger.payments.schemas import ClientPaymentCreate, PaymentRead, RefundCreate, RefundRead

router = APIRouter(tags=["payments"])


@router.post(
    "/clients/{client_id}/payments",
    status_code=201,
    response_model=PaymentRead,
    responses=declare(402, 403, 404, 409, 503),
)
def record_prepayment(client_id: str, data: ClientPaymentCreate, rc: Writer, idem: Idem) -> Response:
    """A prepayment: all of it becomes a `prepayment` credit lot with this payment as provenance."""
    return execute(
        rc,
        idem,
        status_code=201,
        card=CardPayment(method=data.type, amount=data.amount, card_number=data.card_number),
        precheck=(lambda tx: get_client(tx, client_id=client_id)) if data.type == "card" else None,
        use_case=lambda tx, charge: payments.record_prepayment(tx, client_id=client_id, data=data, charge=charge),
    )


@router.get("/payments/{payment_id}", response_model=PaymentRead, responses=declare(404))
def get_payment(payment_id: str, rc: Reader) -> PaymentRead:
    """A payment with `captured`, `credited`, `refunded`, its credit lots and its refunds."""
    return read(rc, lambda tx: payments.get_payment(tx, payment_id=payment_id))


def _refund_now(tx: Tx, refund: Any) -> RefundRead:
    return payments.get_refund(tx, refund_id=refund.id)


@router.post(
    "/payments/{payment_id}/refunds",
    status_code=201,
    response_model=RefundRead,
    responses=declare(400, 403, 404, 409),
)
def refund_payment(payment_id: str, rc: Writer, idem: Idem, data: RefundCreate | None = None) -> Response:
    """Refund (part of) a card/cash/check payment (default: all refundable): its remaining credit
    first, then what it pays on its bill. A card refund goes back through the processor after the
    commit; `status` tells whether it settled."""
    body = data if data is not None else RefundCreate()
    return execute(
        rc,
        idem,
        status_code=201,
        use_case=lambda tx, _: payments.refund_payment(tx, payment_id=payment_id, data=body),
        reread=_refund_now,
    )
