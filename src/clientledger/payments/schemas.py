from __future__ import annotations

from typing import Literal

from pydantic import Field

from clientledger.kit.schemas import Model, PositiveCents, ReadModel, UtcDateTime

Method = Literal["card", "cash", "check"]


class ClientPaymentCreate(Model):
    type: Method
    amount: PositiveCents
    memo: str | None = Field(default=None, max_length=500)
    card_number: str | None = Field(default=None, max_length=30, description="Card to charge; default: on file")


class RefundCreate(Model):
    amount: PositiveCents | None = None
    reason: str | None = Field(default=None, max_length=500)


class RefundRead(ReadModel):
    id: str
    payment_id: str
    amount: int
    from_credit: int
    from_bills: int
    status: Literal["pending", "settled", "failed"]
    reason: str | None = None
    processor_refund_id: str | None = None
    created_at: UtcDateTime


class PaymentRead(ReadModel):
    id: str
    client_id: str
    bill_id: str | None = None
    type: Method
    amount: int = Field(description="Captured amount")
    captured: int
    credited: int
    refunded: int
    memo: str | None = None
    card_last4: str | None = None
    voided: bool = False
    lot_ids: list[str] = Field(default_factory=list)
    refunds: list[RefundRead] = Field(default_factory=list)
    created_at: UtcDateTime
