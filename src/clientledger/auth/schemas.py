from __future__ import annotations

from typing import Literal

from pydantic import Field

from clientledger.kit.schemas import Model, ReadModel, UtcDateTime
from clientledger.kit.vocabulary import Role


class TokenCreate(Model):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=200)


class TokenRead(ReadModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: UtcDateTime
    user_id: str
    practice_id: str
    role: Role
