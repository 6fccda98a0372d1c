from __future__ import annotations

from pydantic import Field

from clientledger.kit.schemas import Model, PaymentMethodId, ReadModel, StrictBool


class CardCreate(Model):
    payment_method: PaymentMethodId = Field(
        description="The processor's payment-method id (Stripe's `pm_...`, from its card form)"
    )
    make_default: StrictBool | None = Field(default=None, description="Default: true for the client's first card")


class CardRead(ReadModel):
    id: str
    payment_method: str = Field(description="The processor's payment-method id card payments charge")
    brand: str
    last4: str
    exp_month: int | None = None
    exp_year: int | None = None
    is_default: bool


class CardList(ReadModel):
    data: list[CardRead]


class CardSetup(ReadModel):
    """What the processor's own card form needs: the client's customer and, for Stripe, a
    SetupIntent's client secret (None with the simulator, which offers its test cards)."""

    customer: str
    client_secret: str | None = None
