"""Appointment queries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select

from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import appointments, bill_items


def get_appointment_row(tx: Tx, appointment_id: str) -> Row[Any]:
    row = tx.conn.execute(
        select(appointments, bill_items.c.bill_id, bill_items.c.id.label("item_id"))
        .select_from(appointments.outerjoin(bill_items, bill_items.c.appointment_id == appointments.c.id))
        .where(appointments.c.id == appointment_id, appointments.c.practice_id == tx.practice_id)
    ).first()
    if row is None:
        raise NotFound(f"No appointment {appointment_id!r} in this practice.")
    return row


def client_appointment_rows(tx: Tx, client_id: str) -> list[Row[Any]]:
    return list(
        tx.conn.execute(
            select(appointments, bill_items.c.bill_id)
            .select_from(appointments.outerjoin(bill_items, bill_items.c.appointment_id == appointments.c.id))
            .where(appointments.c.client_id == client_id, appointments.c.practice_id == tx.practice_id)
            .order_by(appointments.c.date.desc(), appointments.c.id.desc())
        )
    )
