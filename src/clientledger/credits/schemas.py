from __future__ import annotations

from pydantic import Field

from clientledger.kit.schemas import Model, PositiveCents, ReadModel, Text, UtcDateTime
from clientledger.kit.vocabulary import CreditReason as ManualReason
from clientledger.kit.vocabulary import LotSource


class ManualCreditCreate(Model):
    amount: PositiveCents
    reason: ManualReason
    note: Text | None = Field(default=None, max_length=500)


class CreditRemove(Model):
    amount: PositiveCents | None = None
    note: Text | None = Field(default=None, max_length=500)


class LotRead(ReadModel):
    id: str
    client_id: str
    source: LotSource
    amount: int
    remaining: int
    created_at: UtcDateTime
    reason: str | None = None
    note: str | None = None
    payment_id: str | None = None
    bill_id: str | None = None
    captured: int | None = Field(default=None, description="The original payment amount captured")
    credited: int | None = Field(default=None, description="The part of that payment that went to credit")


class CreditHistoryEntry(ReadModel):
    entry_id: str
    kind: str
    created_at: UtcDateTime
    lot_id: str
    amount: int = Field(description="Signed cents: positive adds credit, negative uses or removes it")
    bill_id: str | None = None
    payment_id: str | None = None
    user_id: str | None = None
    user_email: str | None = Field(default=None, description="Who did it")
    memo: str | None = None
    removed_amount: int | None = Field(
        default=None,
        description="For `credit_line_removed`: credit removed for good with a bill line (`amount` is 0: the "
        "balance fell when the credit was applied)",
    )


class CreditsRead(Model):
    client_id: str
    balance: int
    lots: list[LotRead]
    history: list[CreditHistoryEntry]
