"""The ledger's named words: one StrEnum per kind of code, with what each can do on it.

Schemas, CHECK constraints, accounts and the labels staff see are all built from these, so
"what can a card do" is answered here and nowhere else.
"""

from __future__ import annotations

from enum import StrEnum


class PaymentMethod(StrEnum):
    """How a client paid: card/cash/check payments are money the practice holds."""

    CARD = "card"
    CASH = "cash"
    CHECK = "check"

    @property
    def via_processor(self) -> bool:
        """Charged and refunded through the payment processor (never handed over at the desk)."""
        return self is PaymentMethod.CARD

    @property
    def can_be_deleted(self) -> bool:
        """A payment recorded in error may be deleted; a processor charge must be refunded instead."""
        return not self.via_processor

    @property
    def settles_later(self) -> bool:
        """Its refunds are pending until the processor answers."""
        return self.via_processor

    @property
    def account(self) -> str:
        """The practice's holding account: card clearing, the cash drawer, checks."""
        return f"cash:{self.value}"

    @property
    def label(self) -> str:
        return _METHOD_LABELS[self]


_METHOD_LABELS = {PaymentMethod.CARD: "Credit Card", PaymentMethod.CASH: "Cash", PaymentMethod.CHECK: "Check"}


class LineType(StrEnum):
    """A row of a bill's payments table: a client payment method, or credit/discount."""

    CARD = "card"
    CASH = "cash"
    CHECK = "check"
    CLIENT_CREDIT = "client_credit"

    @property
    def method(self) -> PaymentMethod | None:
        return None if self is LineType.CLIENT_CREDIT else PaymentMethod(self.value)

    @property
    def is_credit(self) -> bool:
        """Client credit (or, not deducted, a discount) rather than money received."""
        return self is LineType.CLIENT_CREDIT

    @property
    def via_processor(self) -> bool:
        return self.method is not None and self.method.via_processor

    @property
    def can_be_deleted(self) -> bool:
        """Remove: credit goes for good, cash/check was recorded in error; a processor charge is refunded."""
        return self.method is None or self.method.can_be_deleted

    @property
    def label(self) -> str:
        return "Client Credit/Discount" if self is LineType.CLIENT_CREDIT else PaymentMethod(self.value).label


class LotSource(StrEnum):
    """Where a credit lot came from."""

    PREPAYMENT = "prepayment"
    OVERPAYMENT = "overpayment"
    INSURANCE_ADJUSTMENT = "insurance_adjustment"
    CANCELLATION = "cancellation"
    NO_SHOW = "no_show"
    MANUAL = "manual"
    PACKAGE = "package"

    @property
    def label(self) -> str:
        return _LOT_LABELS[self]

    @property
    def spendable(self) -> bool:
        """Whether any bill's credit may draw on a lot of this source: a package's lot pays only
        its own sessions (``rules.packages``)."""
        return self is not LotSource.PACKAGE


_LOT_LABELS = {
    LotSource.PREPAYMENT: "Prepayment",
    LotSource.OVERPAYMENT: "Overpayment",
    LotSource.INSURANCE_ADJUSTMENT: "Insurance adjustment",
    LotSource.CANCELLATION: "Canceled session",
    LotSource.NO_SHOW: "No-show",
    LotSource.MANUAL: "Manual",
    LotSource.PACKAGE: "Package",
}


class CreditReason(StrEnum):
    """Why staff added credit by hand."""

    COURTESY = "courtesy"
    FEE_WAIVER = "fee_waiver"
    DISCOUNT = "discount"
    BILLING_RESOLUTION = "billing_resolution"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class BillStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    VOID = "void"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class RefundStatus(StrEnum):
    PENDING = "pending"
    SETTLED = "settled"
    FAILED = "failed"


class AppointmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    ATTENDED = "attended"
    CANCELED = "canceled"
    LATE_CANCELED = "late_canceled"
    NO_SHOW = "no_show"

    @property
    def bills_fee_only(self) -> bool:
        """A canceled, late-canceled or no-show session bills only the fee given (rule 6)."""
        return self in (AppointmentStatus.CANCELED, AppointmentStatus.LATE_CANCELED, AppointmentStatus.NO_SHOW)

    @property
    def label(self) -> str:
        return "No-show" if self is AppointmentStatus.NO_SHOW else self.value.replace("_", " ").capitalize()


class Disposition(StrEnum):
    CREDIT = "credit"
    REFUND = "refund"


class Billing(StrEnum):
    SELF_PAY = "self_pay"
    INSURANCE = "insurance"

    @property
    def label(self) -> str:
        return "Self-pay" if self is Billing.SELF_PAY else "Insurance"


class Role(StrEnum):
    OWNER = "owner"
    BILLER = "biller"
    CLINICIAN = "clinician"


class EntryKind(StrEnum):
    """What a journal entry records."""

    BILL_CREATED = "bill_created"
    PAYMENT_RECEIVED = "payment_received"
    PREPAYMENT = "prepayment"
    CREDIT_PAYMENT = "credit_payment"
    DISCOUNT = "discount"
    DISCOUNT_REDUCED = "discount_reduced"
    CREDIT_LINE_REFUNDED = "credit_line_refunded"
    CREDIT_LINE_REMOVED = "credit_line_removed"
    CREDIT_REMOVED = "credit_removed"
    MANUAL_CREDIT = "manual_credit"
    REFUND = "refund"
    REFUND_FAILED = "refund_failed"
    PAYMENT_VOIDED = "payment_voided"
    APPOINTMENT_CANCELED = "appointment_canceled"
    APPOINTMENT_LATE_CANCELED = "appointment_late_canceled"
    APPOINTMENT_NO_SHOW = "appointment_no_show"
    APPOINTMENT_ATTENDED = "appointment_attended"
    APPOINTMENT_SCHEDULED = "appointment_scheduled"
    INSURANCE_PAYMENT = "insurance_payment"
    INSURANCE_PAYMENT_REPLACED = "insurance_payment_replaced"
    INSURANCE_REVERSAL = "insurance_reversal"
    PACKAGE_SOLD = "package_sold"


def sql_in(enum: type[StrEnum]) -> str:
    """``'a', 'b'``: the values of ``enum`` for a CHECK constraint's ``IN (...)``."""
    return ", ".join(f"'{member.value}'" for member in enum)


class EventType(StrEnum):
    """What an outbox event tells a listener (``GET /events``, webhooks). Credit events carry the
    amount (> 0) and the client's credit balance after them; the type gives the direction."""

    PAYMENT_CREATED = "payment.created"
    REFUND_CREATED = "refund.created"
    REFUND_SETTLED = "refund.settled"
    REFUND_FAILED = "refund.failed"
    BILL_CREATED = "bill.created"
    BILL_PAID = "bill.paid"
    CREDIT_CREATED = "credit.created"  # a new lot (its ``source``)
    CREDIT_APPLIED = "credit.applied"  # drawn onto a bill
    CREDIT_RETURNED = "credit.returned"  # back into a lot from a bill (or a refund that failed)
    CREDIT_REMOVED = "credit.removed"  # gone for good
    CREDIT_REFUNDED = "credit.refunded"  # paid back to the card (or cash, check)

    @property
    def credit_sign(self) -> int:
        """How the event moves the client's credit balance: +1, -1, or 0 (not a credit event)."""
        return _CREDIT_SIGNS.get(self, 0)


_CREDIT_SIGNS = {
    EventType.CREDIT_CREATED: 1,
    EventType.CREDIT_RETURNED: 1,
    EventType.CREDIT_APPLIED: -1,
    EventType.CREDIT_REMOVED: -1,
    EventType.CREDIT_REFUNDED: -1,
}
