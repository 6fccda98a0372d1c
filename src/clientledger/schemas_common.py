"""Field types shared by every feature's schemas: strict integer cents, ids, names."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Strict: a float (10.0 too), a string or a bool is refused, as the API contract demands.
PositiveCents = Annotated[int, Field(strict=True, gt=0, le=10**11, description="Integer cents, > 0")]
NonNegativeCents = Annotated[int, Field(strict=True, ge=0, le=10**11, description="Integer cents, >= 0")]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
