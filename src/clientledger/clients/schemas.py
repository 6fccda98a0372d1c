from __future__ import annotations

from pydantic import Field

from clientledger.kit.schemas import Model, NonNegativeCents, ReadModel, UtcDateTime
from clientledger.kit.vocabulary import Billing


class ClientCreate(Model):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
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
