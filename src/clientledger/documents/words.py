"""What a document says of a journal entry, a payment method or a session, as a person would say it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clientledger.billing.repository import ItemRecord
from clientledger.documents.repository import PaymentRef
from clientledger.kit.vocabulary import AppointmentStatus, CreditReason, EntryKind, PaymentMethod

_MANUAL = {
    CreditReason.COURTESY: "Courtesy credit",
    CreditReason.FEE_WAIVER: "Fee waiver credit",
    CreditReason.DISCOUNT: "Discount credit",
    CreditReason.BILLING_RESOLUTION: "Billing resolution credit",
    CreditReason.OTHER: "Credit added",
}
_SESSION_CHANGES = {
    EntryKind.APPOINTMENT_CANCELED: "canceled",
    EntryKind.APPOINTMENT_LATE_CANCELED: "late canceled",
    EntryKind.APPOINTMENT_NO_SHOW: "marked no-show",
    EntryKind.APPOINTMENT_ATTENDED: "attended",
    EntryKind.APPOINTMENT_SCHEDULED: "set back to scheduled",
}
_INSURANCE = {
    EntryKind.INSURANCE_PAYMENT: "Insurance payment from {payer} on {bill}",
    EntryKind.INSURANCE_PAYMENT_REPLACED: "Insurance payment from {payer} corrected on {bill}",
    EntryKind.INSURANCE_REVERSAL: "Insurance payment from {payer} reversed on {bill}",
}
_ON_BILL = {
    EntryKind.CREDIT_PAYMENT: "Credit applied to {bill}",
    EntryKind.DISCOUNT: "Discount on {bill}",
    EntryKind.DISCOUNT_REDUCED: "Discount reduced on {bill}",
    EntryKind.CREDIT_LINE_REFUNDED: "Credit returned from {bill}",
    EntryKind.CREDIT_LINE_REMOVED: "Credit removed from {bill}",
}


def sessions(items: Sequence[ItemRecord]) -> str:
    """``90834 on 2026-11-02, 90837 on 2026-11-09``."""
    return ", ".join(f"{i.service_code} on {i.date.isoformat()}" for i in items)


def card(brand: str | None, last4: str | None) -> str:
    """``Visa ending 4242``."""
    name = brand.capitalize() if brand else "Card"
    return f"{name} ending {last4}" if last4 else name


def method(p: PaymentRef | None) -> str:
    """How a payment was made: ``Card (Visa ending 4242)``, ``Cash``, ``Check``."""
    if p is None:
        return "Payment"
    kind = PaymentMethod(p.method)
    if kind.via_processor:
        return f"Card ({card(p.card_brand, p.card_last4)})" if p.card_last4 or p.card_brand else "Card"
    return kind.value.capitalize()


def _payment(p: PaymentRef | None, noun: str) -> str:
    """``Card payment (Visa ending 4242)``, ``Cash prepayment``."""
    if p is None:
        return noun.capitalize()
    head, _, detail = method(p).partition(" (")
    return f"{head} {noun}" + (f" ({detail}" if detail else "")


def _refund(p: PaymentRef | None) -> str:
    if p is None:
        return "Refund"
    kind = PaymentMethod(p.method)
    if kind.via_processor:
        return "Refund to card" + (f" ({card(p.card_brand, p.card_last4)})" if p.card_last4 else "")
    return "Refund in cash" if kind is PaymentMethod.CASH else "Refund by check"


def _with_note(text: str, note: str | None) -> str:
    return f"{text}: {note}" if note else text


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """What an entry refers to, for its description."""

    kind: str
    bill_number: int | None
    items: Sequence[ItemRecord]
    payment: PaymentRef | None
    payer: str | None
    manual_reason: str | None
    memo: str | None
    credit: int


def describe(f: EntryFacts) -> str:
    """One statement line's words, from the entry's kind and what it refers to."""
    bill = f"Bill #{f.bill_number}" if f.bill_number is not None else "a bill"
    kind = EntryKind(f.kind)
    if kind is EntryKind.BILL_CREATED:
        text = f"{bill}: {sessions(f.items)}" if f.items else bill
        return text + (", credit applied" if f.credit < 0 else "")
    if kind is EntryKind.PAYMENT_RECEIVED:
        return f"{_payment(f.payment, 'payment')} on {bill}" + (", overpayment to credit" if f.credit > 0 else "")
    if kind is EntryKind.PREPAYMENT:
        return _with_note(_payment(f.payment, "prepayment"), f.memo)
    if kind is EntryKind.PACKAGE_SOLD:
        return _with_note(_payment(f.payment, "package payment"), f.memo)
    if kind in _ON_BILL:
        return _ON_BILL[kind].format(bill=bill)
    if kind is EntryKind.CREDIT_REMOVED:
        return _with_note("Credit removed", f.memo)
    if kind is EntryKind.MANUAL_CREDIT:
        reason = CreditReason(f.manual_reason) if f.manual_reason in set(CreditReason) else CreditReason.OTHER
        return _with_note(_MANUAL[reason], f.memo)
    if kind is EntryKind.REFUND:
        return _with_note(_refund(f.payment), f.memo)
    if kind is EntryKind.REFUND_FAILED:
        return f"{_refund(f.payment)} failed; the money is back on the account"
    if kind is EntryKind.PAYMENT_VOIDED:
        return f"{_payment(f.payment, 'payment')} on {bill} removed (recorded in error)"
    if kind in _SESSION_CHANGES:
        what = sessions(f.items) if f.items else "session"
        return f"{bill}: {what} {_SESSION_CHANGES[kind]}"
    if kind in _INSURANCE:
        return _INSURANCE[kind].format(payer=f.payer or "insurance", bill=bill)
    said = kind.value.replace("_", " ").capitalize()
    return f"{said} on {bill}" if f.bill_number is not None else said


def session_status(status: str) -> str | None:
    """A superbill names a session's status only when it was not attended."""
    s = AppointmentStatus(status)
    return None if s in (AppointmentStatus.ATTENDED, AppointmentStatus.SCHEDULED) else s.label
