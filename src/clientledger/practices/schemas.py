from __future__ import annotations

from pydantic import Field

from clientledger.kit.schemas import Line, Model, ReadModel, Secret, StrictBool, UtcDateTime
from clientledger.kit.vocabulary import Role


class PracticeRead(ReadModel):
    id: str
    name: str
    auto_apply_credit: bool
    created_at: UtcDateTime


class PracticeUpdate(Model):
    name: Line | None = Field(default=None, min_length=1, max_length=200)
    auto_apply_credit: StrictBool | None = None


class UserCreate(Model):
    email: Line = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    password: Secret = Field(min_length=8, max_length=200)
    role: Role


class UserRead(ReadModel):
    id: str
    practice_id: str
    email: str
    role: Role
    created_at: UtcDateTime
