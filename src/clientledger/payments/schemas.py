from __future__ import annotations

from pydantic import Field, model_validator

from clientledger.kit.schemas import Model, PaymentMethodId, PositiveCents, ReadModel, Text, UtcDateTime
from clientledger.kit.vocabulary import PaymentMethod, RefundStatus


class ClientPaymentCreate(Model):
    type: PaymentMethod
    amount: PositiveCents
    memo: Text | None = Field(default=None, max_length=500)
    payment_method: PaymentMethodId | None = None


class RefundCreate(Model):
    amount: PositiveCents | None = None
    reason: Text | None = Field(default=None, max_length=500)


class RefundRead(ReadModel):
    id: str
    payment_id: str
    amount: int
    from_credit: int
    from_bills: int
    status: RefundStatus
    failure_reason: str | None = Field(default=None, description="Why the processor refused it (status failed)")
    reason: str | None = None
    processor_refund_id: str | None = None
    processor_ref: str | None = Field(default=None, description="The processor's refund id")
    created_at: UtcDateTime

    @model_validator(mode="after")
    def _processor_ref(self) -> RefundRead:
        if self.processor_ref is None and self.processor_refund_id is not None:
            self.processor_ref = self.processor_refund_id
        return self


class PaymentRead(ReadModel):
    id: str
    client_id: str
    bill_id: str | None = None
    type: PaymentMethod
    amount: int = Field(description="Captured amount")
    captured: int
    credited: int
    refunded: int
    memo: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    processor_ref: str | None = Field(default=None, description="The processor's charge id (card payments)")
    voided: bool = False
    lot_ids: list[str] = Field(default_factory=list)
    refunds: list[RefundRead] = Field(default_factory=list)
    created_at: UtcDateTime


class ProcessorEventReceived(ReadModel):
    """The answer to the processor: received (so it stops retrying), and what became of the event."""

    received: bool = True
    event_id: str
    outcome: str
    duplicate: bool = Field(default=False, description="The event had been received before: nothing was done again")
