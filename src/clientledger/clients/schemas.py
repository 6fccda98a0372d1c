from __future__ import annotations

from pydantic import Field

from clientledger.kit.schemas import Line, Model, NonNegativeCents, ReadModel, UtcDateTime
from clientledger.kit.vocabulary import Billing


class ClientCreate(Model):
    name: Line = Field(min_length=1, max_length=200)
    email: Line | None = Field(default=None, max_length=320)
    billing: Billing = Billing.SELF_PAY
    copay: NonNegativeCents | None = None


class ClientRead(ReadModel):
    id: str
    name: str
    email: str | None
    billing: Billing
    copay: int | None
    credit_balance: int
    balance_due: int
    created_at: UtcDateTime
