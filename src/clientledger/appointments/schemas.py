from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from clientledger.credits.schemas import LotRead
from clientledger.kit.schemas import Day, Id, Line, Model, NonNegativeCents, ReadModel, UtcDateTime
from clientledger.kit.vocabulary import AppointmentStatus, Disposition

Status = AppointmentStatus
NewStatus = Literal[
    AppointmentStatus.ATTENDED, AppointmentStatus.CANCELED, AppointmentStatus.LATE_CANCELED, AppointmentStatus.NO_SHOW
]


class AppointmentCreate(Model):
    client_id: Id
    date: Day
    service_code: Line = Field(min_length=1, max_length=20)
    fee: NonNegativeCents


class AppointmentStatusChange(Model):
    status: NewStatus
    fee: NonNegativeCents = Field(default=0, description="Cancellation / no-show fee (cents)")
    disposition: Disposition = Disposition.CREDIT


class AppointmentRead(ReadModel):
    id: str
    client_id: str
    date: dt.date
    service_code: str
    fee: int
    status: Status
    status_fee: int | None = None
    bill_id: str | None = None
    created_at: UtcDateTime


class AppointmentStatusResult(AppointmentRead):
    bill: dict[str, object] | None = None
    credits_created: list[LotRead] = Field(default_factory=list)
