"""The bill page's dialogs: Add payment, and Refund / Remove on a payment row's "..." menu."""

from __future__ import annotations

from fastapi import Depends
from fastapi.responses import Response

from clientledger.billing import service as billing
from clientledger.billing.schemas import LineRead, LineRefund, PaymentLineCreate
from clientledger.cards import service as cards
from clientledger.cards.schemas import CardRead
from clientledger.kit.errors import ClientLedgerError, NotFound, ValidationFailed
from clientledger.kit.money import format_cents
from clientledger.kit.vocabulary import LineType
from clientledger.web.context import Web, action, page
from clientledger.web.labels import PAYMENT_TYPES, label
from clientledger.web.routes.bills import BillPage, bill_page_data
from clientledger.web.routing import web_router

router = web_router()

PAYMENT_FORM = "dialogs/add_payment.html"
REFUND_FORM = "dialogs/refund.html"
REMOVE_FORM = "dialogs/remove_line.html"
APPLY_CREDIT_FORM = "dialogs/apply_credit.html"
LINE_TYPES = tuple(LineType)


def _line(data: BillPage, line_id: str) -> LineRead:
    for line in data.bill.lines:
        if line.id == line_id and line.removed_at is None:
            return line
    raise NotFound("This payment is no longer on the bill (it may have been removed).")


def _cards(web: Web, data: BillPage) -> list[CardRead]:
    """The client's cards on file, for the Credit Card choice (its default selected)."""
    return web.read(cards.list_cards, client_id=data.client.id).data


@router.get("/bills/{bill_id}/payments/new")
def payment_form(bill_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    return web.render_form(
        PAYMENT_FORM,
        title="Add payment",
        data=data,
        bill=data.bill,
        client=data.client,
        cards=_cards(web, data),
        form=None,
    )


@router.post("/bills/{bill_id}/payments/new")
def add_payment(bill_id: str, web: Web = Depends(action)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    on_file = _cards(web, data)
    try:
        kind = web.field("type")
        if kind not in LINE_TYPES:
            raise ValidationFailed("Payment Type: choose Credit Card, Cash, Check or Client Credit/Discount.")
        amount = web.amount("amount")
        assert amount is not None
        deduct = web.checked("deduct_from_credit_balance") if LineType(kind).is_credit else None
        payment_method = (web.field("payment_method") or None) if LineType(kind).via_processor else None
        to_credit = billing.overpayment(data.bill, type=kind, amount=amount)
        if to_credit and data.bill.status != "void" and web.field("confirm_overpayment") != str(to_credit):
            # Above the balance due, the rest becomes credit: said first, recorded once confirmed.
            return web.render_form(
                PAYMENT_FORM,
                title="Add payment",
                data=data,
                bill=data.bill,
                client=data.client,
                cards=on_file,
                form=web.form,
                to_credit=to_credit,
            )
        request = web.build(
            PaymentLineCreate,
            type=kind,
            amount=amount,
            deduct_from_credit_balance=deduct,
            payment_method=payment_method,
        )
        line = web.submit(billing.add_payment, bill_id=data.bill.id, data=request)
    except ClientLedgerError as err:
        return web.refused(
            PAYMENT_FORM, err, title="Add payment", data=data, bill=data.bill, client=data.client, cards=on_file
        )
    if LineType(kind).is_credit:
        flash = (
            f"Paid {format_cents(amount)} from the client's credit."
            if deduct
            else f"Added a {format_cents(amount)} discount."
        )
    else:
        flash = f"Added a {label(PAYMENT_TYPES, kind)} payment of {format_cents(amount)}."
        if line.credited:
            flash += f" {format_cents(line.credited)} of it went to the client's credit."
    return web.done(f"/bills/{data.bill.id}", flash)


@router.get("/bills/{bill_id}/apply-credit")
def apply_credit_form(bill_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    return web.render_form(
        APPLY_CREDIT_FORM, title="Apply credit", data=data, bill=data.bill, client=data.client, form=None
    )


@router.post("/bills/{bill_id}/apply-credit")
def apply_credit(bill_id: str, web: Web = Depends(action)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    try:
        amount = web.amount("amount")
        line = web.submit(billing.apply_credit_to_bill, bill_id=data.bill.id, amount=amount)
    except ClientLedgerError as err:
        return web.refused(APPLY_CREDIT_FORM, err, title="Apply credit", data=data, bill=data.bill, client=data.client)
    return web.done(f"/bills/{data.bill.id}", f"Applied {format_cents(line.amount)} of the client's credit.")


@router.get("/bills/{bill_id}/lines/{line_id}/refund")
def refund_form(bill_id: str, line_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    line = _line(data, line_id)
    return web.render_form(REFUND_FORM, title="Refund", data=data, bill=data.bill, line=line, form=None)


@router.post("/bills/{bill_id}/lines/{line_id}/refund")
def refund_line(bill_id: str, line_id: str, web: Web = Depends(action)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    line = _line(data, line_id)
    try:
        custom = web.field("how") == "custom"
        request = web.build(
            LineRefund, amount=web.amount("amount") if custom else None, reason=web.field("reason") or None
        )
        amount = request.amount
        after = web.submit(
            billing.refund_line, bill_id=data.bill.id, line_id=line.id, amount=amount, reason=request.reason
        )
    except ClientLedgerError as err:
        return web.refused(REFUND_FORM, err, title="Refund", data=data, bill=data.bill, line=line)
    shown = format_cents(amount if amount is not None else data.refundable(line))
    refund = after.last_refund
    card = f" ending {line.card_last4}" if line.card_last4 else ""
    if refund is not None and refund.status == "failed":
        flash = (
            f"The refund of {format_cents(refund.amount)} to the card{card} failed: {refund.failure_reason} "
            "Nothing was refunded; the payment is as it was."
        )
    elif refund is not None and refund.status == "pending":
        flash = (
            f"The refund of {format_cents(refund.amount)} to the card{card} was sent; the processor has not "
            "confirmed it yet."
        )
    elif line.type.is_credit and line.deduct_from_credit_balance:
        flash = f"{shown} went back to the client's available credit."
    elif line.type.is_credit:
        flash = f"The discount was reduced by {shown}."
    elif line.type.via_processor:
        flash = f"Refunded {shown} to the card{card}."
    else:
        flash = f"Refunded {shown} of the {label(PAYMENT_TYPES, line.type)} payment."
    return web.done(f"/bills/{data.bill.id}", flash)


@router.get("/bills/{bill_id}/lines/{line_id}/remove")
def remove_form(bill_id: str, line_id: str, web: Web = Depends(page)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    line = _line(data, line_id)
    return web.render_form(
        REMOVE_FORM, title="Remove payment", data=data, bill=data.bill, client=data.client, line=line, form=None
    )


@router.post("/bills/{bill_id}/lines/{line_id}/remove")
def remove_line(bill_id: str, line_id: str, web: Web = Depends(action)) -> Response:
    data = web.read(bill_page_data, bill_id=bill_id)
    line = _line(data, line_id)
    try:
        web.submit(billing.delete_line, bill_id=data.bill.id, line_id=line.id)
    except ClientLedgerError as err:
        return web.refused(
            REMOVE_FORM, err, title="Remove payment", data=data, bill=data.bill, client=data.client, line=line
        )
    if line.type.is_credit and line.deduct_from_credit_balance:
        flash = (
            f"Removed the Client Credit/Discount payment: {format_cents(line.amount)} of credit was deleted "
            "permanently. You can add credit again in Billing Settings."
        )
    elif line.type.is_credit:
        flash = f"Removed the {format_cents(line.amount)} discount."
    else:
        flash = f"Removed the {label(PAYMENT_TYPES, line.type)} payment recorded in error."
    return web.done(f"/bills/{data.bill.id}", flash)
