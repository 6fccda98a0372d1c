"""Field types shared by every feature's schemas: strict integer cents, booleans, days, ids, text.

Every request field a person or a program types uses one of these, so the API's rules hold the
same everywhere: booleans are JSON ``true``/``false`` only, text never carries a NUL character
(PostgreSQL cannot store one; SQLite would), and a day is ``YYYY-MM-DD`` within bounds that leave
room to add a day to it (the reports read "the end of that day").
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

# Strict: a float (10.0 too), a string or a bool is refused, as the API contract demands.
PositiveCents = Annotated[int, Field(strict=True, gt=0, le=10**11, description="Integer cents, > 0")]
NonNegativeCents = Annotated[int, Field(strict=True, ge=0, le=10**11, description="Integer cents, >= 0")]
# Strict: only JSON true/false; "no", 0, 1, "off" and the like are refused.
StrictBool = Annotated[bool, Field(strict=True)]

# Control characters of C0 and DEL. Single-line fields refuse them all; multi-line text keeps
# tab and line breaks; a NUL is refused everywhere.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
_CONTROLS_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise PydanticCustomError("string_nul", "Input should not contain a NUL character (\\x00)")
    return value


def _one_line(value: str) -> str:
    _no_nul(value)
    if _CONTROLS.search(value):
        raise PydanticCustomError(
            "string_control", "Input should be one line, without control characters (tabs, line breaks and the like)"
        )
    return value


def _plain_text(value: str) -> str:
    _no_nul(value)
    if _CONTROLS_BUT_WHITESPACE.search(value):
        raise PydanticCustomError(
            "string_control", "Input should not contain control characters other than tabs and line breaks"
        )
    return value


# A name, an email, a code, a payer: one line of text.
Line = Annotated[str, AfterValidator(_one_line)]
# A memo, a note, a reason: text that may run over several lines.
Text = Annotated[str, AfterValidator(_plain_text)]
# A secret (a password): any characters but NUL, which no database stores.
Secret = Annotated[str, AfterValidator(_no_nul)]

Id = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_one_line)]
PaymentMethodId = Annotated[
    str,
    Field(
        max_length=255,
        pattern=r"^pm_[A-Za-z0-9_]+$",
        description="The processor's payment-method id to charge (card only; Stripe's `pm_...`); "
        "default: the client's default card",
    ),
]
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9999, 12, 30)  # the last day after which another day still exists
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_day_only(value: Any) -> Any:
    """A day as ``YYYY-MM-DD`` (or a ``date`` from Python code); not a number, a datetime or ``2026-1-5``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        return value
    raise PydanticCustomError("date_format", "Input should be a date written as YYYY-MM-DD")


def _within_bounds(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError("date_range", "Input should be a day from 1900-01-01 to 9999-12-30")
    return value


# A calendar day, 1900-01-01 to 9999-12-30 inclusive.
Day = Annotated[
    date,
    BeforeValidator(_iso_day_only),
    AfterValidator(_within_bounds),
    Field(description="A day, YYYY-MM-DD, from 1900-01-01 to 9999-12-30"),
]


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The database stores naive UTC; answers say so (``...Z``), as ISO 8601 / RFC 3339 clients expect.
UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
