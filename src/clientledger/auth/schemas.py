from __future__ import annotations

from typing import Literal

from pydantic import Field

from clientledger.kit.schemas import Line, Model, ReadModel, Secret, UtcDateTime
from clientledger.kit.vocabulary import Role


class TokenCreate(Model):
    email: Line = Field(min_length=1, max_length=320)
    password: Secret = Field(min_length=1, max_length=200)


class TokenRead(ReadModel):
    token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: UtcDateTime
    user_id: str
    practice_id: str
    role: Role
