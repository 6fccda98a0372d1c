from __future__ import annotations

import datetime as dt

from pydantic import Field

from clientledger.kit.schemas import (
    Id,
    Model,
    PaymentMethodId,
    PositiveCents,
    ReadModel,
    StrictBool,
    Text,
    UtcDateTime,
)
from clientledger.kit.vocabulary import BillStatus, LineType, RefundStatus


class BillCreate(Model):
    client_id: Id
    appointment_ids: list[Id] = Field(min_length=1, max_length=100)
    apply_available_credit: StrictBool | None = None


class PaymentLineCreate(Model):
    type: LineType
    amount: PositiveCents
    deduct_from_credit_balance: StrictBool | None = None
    payment_method: PaymentMethodId | None = None


class LineRefund(Model):
    amount: PositiveCents | None = None
    reason: Text | None = Field(default=None, max_length=500)


class CreditApply(Model):
    amount: PositiveCents | None = Field(default=None, description="Default: min(credit_balance, balance_due)")


class LotDraw(ReadModel):
    lot_id: str
    amount: int
    source: str | None = None
    client_id: str | None = Field(
        default=None, description="The lot's client (another household member's, when shared)"
    )


class RefundSummary(ReadModel):
    """The refund a line's refund action made: whether the processor took it."""

    id: str
    amount: int
    status: RefundStatus
    failure_reason: str | None = None


class LineRead(ReadModel):
    id: str
    bill_id: str
    type: LineType
    amount: int = Field(description="Now applied to this bill")
    payment_id: str | None = None
    captured: int | None = Field(default=None, description="The original payment amount captured")
    credited: int | None = Field(default=None, description="Part of that payment ever moved to client credit")
    refunded: int | None = None
    deduct_from_credit_balance: bool | None = None
    lots: list[LotDraw] | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    processor_ref: str | None = Field(default=None, description="The processor's charge id (card lines)")
    last_refund: RefundSummary | None = Field(
        default=None, description="The refund this request made (the line's refund action only)"
    )
    created_at: UtcDateTime
    removed_at: UtcDateTime | None = Field(
        default=None, description="When the line was removed (credit deleted for good, or recorded in error)"
    )


class BillItemRead(ReadModel):
    id: str
    appointment_id: str
    date: dt.date
    service_code: str
    fee: int
    client_responsibility: int
    insurance_responsibility: int
    insurance_paid: int
    insurance_due: int = Field(description="What the payer still owes on this session")
    claim_ref: str | None = None


class BillRead(ReadModel):
    id: str
    number: int = Field(description='1, 2, 3... per practice in creation order: "Bill #N"')
    client_id: str
    status: BillStatus
    apply_available_credit: bool
    items: list[BillItemRead]
    client_responsibility: int
    client_paid: int
    balance_due: int
    insurance_due: int = Field(description="What payers still owe on this bill")
    lines: list[LineRead]
    created_at: UtcDateTime
