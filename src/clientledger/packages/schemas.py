from __future__ import annotations

from typing import Annotated

from pydantic import Field

from clientledger.kit.schemas import Line, Model, PaymentMethodId, PositiveCents, ReadModel, UtcDateTime
from clientledger.kit.vocabulary import PaymentMethod
from clientledger.rules.packages import MAX_SESSIONS

Sessions = Annotated[int, Field(strict=True, ge=1, le=MAX_SESSIONS, description="Sessions the package holds")]


class PackagePayment(Model):
    type: PaymentMethod
    amount: PositiveCents | None = Field(default=None, description="Default: the package's price")
    payment_method: PaymentMethodId | None = None


class PackageCreate(Model):
    name: Line = Field(min_length=1, max_length=200)
    sessions: Sessions
    price: PositiveCents
    service_code: Line | None = Field(
        default=None, min_length=1, max_length=20, description="The sessions it pays for; null: any session"
    )
    payment: PackagePayment

    @property
    def paid(self) -> int:
        return self.payment.amount if self.payment.amount is not None else self.price


class PackageRead(ReadModel):
    id: str
    client_id: str
    name: str
    sessions: int
    sessions_used: int = Field(description="Sessions bills have drawn (a refunded session comes back)")
    sessions_remaining: int = Field(description="Whole sessions the package's lot still pays for")
    price: int
    service_code: str | None = None
    lot_id: str
    lot_remaining: int = Field(description="What is left of the package's money")
    payment_id: str
    created_at: UtcDateTime


class PackageList(ReadModel):
    data: list[PackageRead]
