"""The words staff see for the ledger's codes, and refusals with their amounts in dollars."""

from __future__ import annotations

from clientledger.kit.errors import ClientLedgerError
from clientledger.kit.money import format_cents
from clientledger.kit.vocabulary import (
    AppointmentStatus,
    Billing,
    BillStatus,
    CreditReason,
    LineType,
    LotSource,
    PaymentMethod,
)

# The words come from the vocabulary's enums (kit/vocabulary.py), so a new code has its words there.
PAYMENT_TYPES = {t.value: t.label for t in LineType} | {"insurance": "Insurance"}
CLIENT_METHODS = {m.value: m.label for m in PaymentMethod}
LOT_SOURCES = {s.value: s.label for s in LotSource}
REASONS = {r.value: r.label for r in CreditReason}
APPOINTMENT_STATUSES = {a.value: a.label for a in AppointmentStatus}
NEW_STATUSES = {k: v for k, v in APPOINTMENT_STATUSES.items() if k != AppointmentStatus.SCHEDULED}
BILL_STATUSES = {b.value: b.label for b in BillStatus}
BILLING = {b.value: b.label for b in Billing}
ENTRY_KINDS = {
    "prepayment": "Prepayment",
    "package_sold": "Package sold",
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


SIMULATOR_TEST_CARDS = (
    ("pm_card_visa", "Visa ending 4242 (test card)"),
    ("pm_card_mastercard", "Mastercard ending 4444 (test card)"),
    ("pm_card_chargeDeclined", "Visa, always declined (test card)"),
    ("pm_card_refundFail", "Visa, refunds refused (test card)"),
)
"""Stripe's test payment methods, offered on the card forms while the simulated processor runs."""


CARD_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "amex": "American Express", "discover": "Discover"}


def card_words(brand: str, last4: str) -> str:
    """How staff name a card: ``Visa ending 4242`` (never more of its number than the processor's last four)."""
    return f"{CARD_BRANDS.get(brand, brand.replace('_', ' ').title())} ending {last4}"


def said(err: ClientLedgerError) -> str:
    """What a refusal says to staff: its amounts in dollars (``$45.00``), as the pages write money."""
    return err.describe(format_cents)
