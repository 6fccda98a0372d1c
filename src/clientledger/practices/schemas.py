from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from clientledger.kit.days import is_time_zone
from clientledger.kit.schemas import Line, Model, ReadModel, Secret, StrictBool, UtcDateTime
from clientledger.kit.vocabulary import Role


def _known_zone(value: str) -> str:
    if not is_time_zone(value):
        raise PydanticCustomError(
            "time_zone", "Input should be an IANA time zone name, like America/New_York or Europe/Berlin"
        )
    return value


TimeZoneName = Annotated[str, Field(max_length=64), AfterValidator(_known_zone)]
# The National Provider Identifier (10 digits) and the federal tax id (EIN, 12-3456789, or 9 digits).
Npi = Annotated[str, Field(pattern=r"^[0-9]{10}$", description="10 digits")]
TaxId = Annotated[str, Field(pattern=r"^[0-9]{2}-?[0-9]{7}$", description="An EIN: 12-3456789")]


class PracticeRead(ReadModel):
    id: str
    name: str
    auto_apply_credit: bool
    time_zone: str = Field(description="IANA name: the zone of every day the practice's people see and send")
    npi: str | None
    tax_id: str | None
    created_at: UtcDateTime


class PracticeUpdate(Model):
    name: Line | None = Field(default=None, min_length=1, max_length=200)
    auto_apply_credit: StrictBool | None = None
    time_zone: TimeZoneName | None = None
    npi: Npi | None = None
    tax_id: TaxId | None = None


class UserCreate(Model):
    email: Line = Field(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
    name: Line | None = Field(default=None, min_length=1, max_length=200, description="How pages name the person")
    password: Secret = Field(min_length=8, max_length=200)
    role: Role


class UserRead(ReadModel):
    id: str
    practice_id: str
    email: str
    name: str | None
    role: Role
    created_at: UtcDateTime
