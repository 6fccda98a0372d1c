"""Appointment queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, insert, or_, select, update

from clientledger.db import Tx
from clientledger.kit.errors import NotFound, ValidationFailed
from clientledger.models import appointments, bill_items


@dataclass(frozen=True, slots=True)
class AppointmentRecord:
    """An appointment with the bill item that bills it, if any."""

    id: str
    client_id: str
    date: dt.date
    service_code: str
    fee: int
    status: str
    status_fee: int | None
    created_at: dt.datetime
    bill_id: str | None
    item_id: str | None


_INSERT_APPOINTMENTS = insert(appointments)
# In AppointmentRecord order; select from ``appointments`` outer-joined to ``bill_items``.
APPOINTMENT_COLUMNS = [
    appointments.c.id,
    appointments.c.client_id,
    appointments.c.date,
    appointments.c.service_code,
    appointments.c.fee,
    appointments.c.status,
    appointments.c.status_fee,
    appointments.c.created_at,
    bill_items.c.bill_id,
    bill_items.c.id.label("item_id"),
]
_APPOINTMENTS = select(*APPOINTMENT_COLUMNS).select_from(
    appointments.outerjoin(
        bill_items,
        and_(bill_items.c.practice_id == appointments.c.practice_id, bill_items.c.appointment_id == appointments.c.id),
    )
)


def get_appointment_row(tx: Tx, appointment_id: str) -> AppointmentRecord:
    row = tx.conn.execute(
        _APPOINTMENTS.where(appointments.c.id == appointment_id, appointments.c.practice_id == tx.practice_id)
    ).first()
    if row is None:
        raise NotFound(f"No appointment {appointment_id!r} in this practice.")
    return AppointmentRecord(*row)


def client_appointment_rows(
    tx: Tx, client_id: str, *, limit: int | None = None, cursor: str | None = None
) -> list[AppointmentRecord]:
    """One client's appointments, latest date first (then newest id); ``cursor`` is the id of the
    last appointment of the previous page."""
    mine = and_(appointments.c.client_id == client_id, appointments.c.practice_id == tx.practice_id)
    stmt = _APPOINTMENTS.where(mine)
    if cursor:
        last = tx.conn.execute(
            select(appointments.c.date, appointments.c.id).where(mine, appointments.c.id == cursor)
        ).first()
        if last is None:
            raise ValidationFailed(f"Unknown cursor {cursor!r}.")
        stmt = stmt.where(
            or_(appointments.c.date < last[0], and_(appointments.c.date == last[0], appointments.c.id < last[1]))
        )
    stmt = stmt.order_by(appointments.c.date.desc(), appointments.c.id.desc())
    rows = tx.conn.execute(stmt if limit is None else stmt.limit(limit))
    return [AppointmentRecord(*r) for r in rows]


def insert_appointment(
    tx: Tx, *, appointment_id: str, client_id: str, date: dt.date, service_code: str, fee: int
) -> None:
    """A new ``scheduled`` appointment of the acting practice."""
    tx.conn.execute(
        _INSERT_APPOINTMENTS,
        [
            dict(
                id=appointment_id,
                practice_id=tx.practice_id,
                client_id=client_id,
                date=date,
                service_code=service_code,
                fee=fee,
                status="scheduled",
                created_at=tx.now,
            )
        ],
    )


def set_appointment_status(tx: Tx, appointment_id: str, *, status: str, status_fee: int | None) -> None:
    tx.conn.execute(
        update(appointments)
        .where(appointments.c.id == appointment_id, appointments.c.practice_id == tx.practice_id)
        .values(status=status, status_fee=status_fee)
    )
