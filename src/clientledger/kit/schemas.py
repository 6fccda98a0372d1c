"""Field types shared by every feature's schemas: strict integer cents, ids, names."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Strict: a float (10.0 too), a string or a bool is refused, as the API contract demands.
PositiveCents = Annotated[int, Field(strict=True, gt=0, le=10**11, description="Integer cents, > 0")]
NonNegativeCents = Annotated[int, Field(strict=True, ge=0, le=10**11, description="Integer cents, >= 0")]
Id = Annotated[str, Field(min_length=1, max_length=64)]
PaymentMethodId = Annotated[
    str,
    Field(
        max_length=255,
        pattern=r"^pm_[A-Za-z0-9_]+$",
        description="The processor's payment-method id to charge (card only; Stripe's `pm_...`); "
        "default: the client's default card",
    ),
]
TestCardNumber = Annotated[str, Field(max_length=30, description="Deprecated: a test card number (card only)")]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The database stores naive UTC; answers say so (``...Z``), as ISO 8601 / RFC 3339 clients expect.
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
