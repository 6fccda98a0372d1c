"""The words staff see for the ledger's codes, and error messages in dollars instead of cents."""

from __future__ import annotations

from clientledger.kit.errors import ClientLedgerError
from clientledger.kit.money import format_cents

PAYMENT_TYPES = {
    "card": "Credit Card",
    "cash": "Cash",
    "check": "Check",
    "client_credit": "Client Credit/Discount",
    "insurance": "Insurance",
}
CLIENT_METHODS = {"card": "Credit Card", "cash": "Cash", "check": "Check"}
LOT_SOURCES = {
    "prepayment": "Prepayment",
    "overpayment": "Overpayment",
    "insurance_adjustment": "Insurance adjustment",
    "cancellation": "Canceled session",
    "no_show": "No-show",
    "manual": "Manual",
}
REASONS = {
    "courtesy": "Courtesy",
    "fee_waiver": "Fee waiver",
    "discount": "Discount",
    "billing_resolution": "Billing resolution",
    "other": "Other",
}
APPOINTMENT_STATUSES = {
    "scheduled": "Scheduled",
    "attended": "Attended",
    "canceled": "Canceled",
    "late_canceled": "Late canceled",
    "no_show": "No-show",
}
NEW_STATUSES = {k: v for k, v in APPOINTMENT_STATUSES.items() if k != "scheduled"}
BILL_STATUSES = {"open": "Open", "paid": "Paid", "void": "Void"}
BILLING = {"self_pay": "Self-pay", "insurance": "Insurance"}
ENTRY_KINDS = {
    "prepayment": "Prepayment",
    "payment_received": "Overpayment on a bill",
    "bill_created": "Applied to a new bill",
    "credit_payment": "Paid on a bill",
    "credit_line_refunded": "Returned from a bill",
    "credit_line_removed": "Removed for good",
    "credit_removed": "Removed",
    "manual_credit": "Added by hand",
    "refund": "Refunded to the payment method",
    "refund_failed": "Refund failed, credit restored",
    "appointment_canceled": "Canceled session",
    "appointment_late_canceled": "Late canceled session",
    "appointment_no_show": "No-show",
    "appointment_attended": "Session attended again",
    "appointment_scheduled": "Session rescheduled",
    "payment_voided": "Payment removed (recorded in error)",
    "insurance_payment": "Insurance adjustment",
    "insurance_payment_replaced": "Insurance payment corrected",
    "insurance_reversal": "Insurance payment reversed",
}


def label(table: dict[str, str], code: str | None) -> str:
    if code is None:
        return ""
    return table.get(code) or code.replace("_", " ").capitalize()


_SESSION_CHANGES = {
    "appointment_canceled": "session canceled",
    "appointment_late_canceled": "session late canceled",
    "appointment_no_show": "session marked no-show",
}


def lot_label(source: str, *, created_by: str | None) -> str:
    """A lot's source as staff say it; ``created_by`` (the entry kind that funded it) tells a late cancel."""
    if source == "cancellation" and created_by == "appointment_late_canceled":
        return ENTRY_KINDS[created_by]
    return label(LOT_SOURCES, source)


def history_label(kind: str, *, lot: str, funded_the_lot: bool) -> str:
    """What a credit history row did; credit a session change gives back to an older lot is named by that lot."""
    change = _SESSION_CHANGES.get(kind)
    if change is not None and not funded_the_lot:
        return f"{lot} credit returned ({change})"
    return label(ENTRY_KINDS, kind)


def said(err: ClientLedgerError) -> str:
    """What a refusal says to staff: its amounts in dollars (``$45.00``), as the pages write money."""
    return err.describe(format_cents)
