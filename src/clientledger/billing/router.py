"""HTTP: bills, their payment lines, and the Refund / Remove actions on a line."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from clientledger.api.deps import Idem, Paging, Staff
from clientledger.api.errors import declare
from clientledger.api.pagination import Page, page_from_query
from clientledger.billing import service as billing
from clientledger.billing.schemas import BillCreate, BillRead, CreditApply, LineRead, LineRefund, PaymentLineCreate

router = APIRouter(tags=["bills"])


@router.post("/bills", status_code=201, response_model=BillRead, responses=declare(403, 404, 409))
def create_bill(data: BillCreate, rc: Staff, idem: Idem) -> Response:
    """Bill a client's sessions; with `apply_available_credit` (default: the practice's
    `auto_apply_credit`) credit pays what it can as one `client_credit` line."""
    return rc.answer(billing.create_bill, idem, status_code=201, data=data)


@router.get("/bills/{bill_id}", response_model=BillRead, responses=declare(404))
def get_bill(bill_id: str, rc: Staff) -> BillRead:
    return rc.read(billing.get_bill, bill_id=bill_id)


@router.post(
    "/bills/{bill_id}/payments", status_code=201, response_model=LineRead, responses=declare(402, 403, 404, 409, 503)
)
def add_payment(bill_id: str, data: PaymentLineCreate, rc: Staff, idem: Idem) -> Response:
    """A client payment on the bill. Card/cash/check beyond the balance due becomes an `overpayment`
    credit lot; `client_credit` draws on the credit balance, or is a discount when
    `deduct_from_credit_balance` is false. A card is charged first (`payment_method`, default: the
    client's card); a declined card is 402 `card_declined` and records nothing. A void bill takes no
    payment of any kind (409 `bill_void`), and a card is not charged for one."""
    return rc.answer(billing.add_payment, idem, status_code=201, bill_id=bill_id, data=data)


@router.post(
    "/bills/{bill_id}/apply-credit", status_code=201, response_model=LineRead, responses=declare(403, 404, 409)
)
def apply_credit(bill_id: str, rc: Staff, idem: Idem, data: CreditApply | None = None) -> Response:
    """Pay the bill from the client's credit, oldest lot first: `amount`, by default
    `min(credit_balance, balance_due)`; answers the `client_credit` line it added. More than the
    balance due is `exceeds_balance_due`, more than the credit (or none) `insufficient_credit`; a
    void bill is 409 `bill_void`."""
    amount = data.amount if data is not None else None
    return rc.answer(billing.apply_credit_to_bill, idem, status_code=201, bill_id=bill_id, amount=amount)


@router.post("/bills/{bill_id}/lines/{line_id}/refund", response_model=LineRead, responses=declare(400, 403, 404, 409))
def refund_line(bill_id: str, line_id: str, rc: Staff, idem: Idem, data: LineRefund | None = None) -> Response:
    """Refund on a payment row (default amount: all refundable; `reason` is kept with it). A
    `client_credit` line returns the credit to the lots it came from; a discount only shrinks; a
    card/cash/check line pays back to the original method (its remaining credit first, then the bill)."""
    amount, reason = (data.amount, data.reason) if data is not None else (None, None)
    return rc.answer(
        billing.refund_line, idem, status_code=200, bill_id=bill_id, line_id=line_id, amount=amount, reason=reason
    )


@router.delete(
    "/bills/{bill_id}/lines/{line_id}", status_code=204, response_class=Response, responses=declare(403, 404, 409)
)
def delete_line(bill_id: str, line_id: str, rc: Staff, idem: Idem) -> Response:
    """Remove a payment row: credit is gone for good (re-add it by hand); a cash/check payment was
    recorded in error (`credit_already_used` if its credit was spent); a card payment: `use_refund`."""
    return rc.answer(billing.delete_line, idem, status_code=204, bill_id=bill_id, line_id=line_id)


@router.get("/clients/{client_id}/bills", response_model=Page[BillRead], responses=declare(404))
def list_client_bills(client_id: str, rc: Staff, paging: Paging) -> Page[BillRead]:
    """A client's bills, newest first."""
    rows = rc.read(billing.list_client_bills, client_id=client_id, limit=paging.limit + 1, cursor=paging.cursor)
    return page_from_query(rows, paging, key=lambda b: b.id)
