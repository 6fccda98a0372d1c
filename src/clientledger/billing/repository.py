"""Bill, item and payment-line queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, update

from clientledger.accounting.repository import LINE_COLUMNS, LineRecord, columns_of
from clientledger.accounting.repository import insert_line as insert_line
from clientledger.appointments.repository import APPOINTMENT_COLUMNS, AppointmentRecord
from clientledger.db import Tx
from clientledger.kit.errors import NotFound
from clientledger.models import appointments, bill_items, bill_lines, bills, credit_lots, line_lots, payments
from clientledger.rules.bills import bill_status


@dataclass(frozen=True, slots=True)
class BillRecord:
    id: str
    client_id: str
    status: str
    apply_available_credit: bool
    client_responsibility: int
    client_paid: int
    balance_due: int
    insurance_due: int
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """A billed session: its fee and who is responsible for how much of it."""

    id: str
    bill_id: str
    appointment_id: str
    date: dt.date
    service_code: str
    fee: int
    client_responsibility: int
    insurance_responsibility: int
    insurance_paid: int
    insurance_due: int
    claim_ref: str | None


@dataclass(frozen=True, slots=True)
class BillLineRecord(LineRecord):
    """A payment line with its payment's figures and card (all ``None`` for a client_credit line)."""

    captured: int | None
    credited: int | None
    refunded: int | None
    card_last4: str | None
    card_brand: str | None
    charge_id: str | None


@dataclass(frozen=True, slots=True)
class LotDrawRecord:
    """What a client_credit line drew from one lot, and the lot's source."""

    line_id: str
    lot_id: str
    amount: int
    source: str


_BILL_COLUMNS = columns_of(BillRecord, bills)
_ITEM_COLUMNS = columns_of(ItemRecord, bill_items)
_INSERT_BILLS = insert(bills)
_INSERT_BILL_ITEMS = insert(bill_items)
_APPOINTMENTS_TO_BILL = (
    select(*APPOINTMENT_COLUMNS)
    .select_from(
        appointments.outerjoin(
            bill_items,
            and_(
                bill_items.c.practice_id == appointments.c.practice_id,
                bill_items.c.appointment_id == appointments.c.id,
            ),
        )
    )
    .where(
        appointments.c.id.in_(bindparam("ids", expanding=True)),
        appointments.c.practice_id == bindparam("practice_id"),
    )
)


def appointments_to_bill(tx: Tx, appointment_ids: list[str]) -> list[AppointmentRecord]:
    """These appointments of the acting practice, each with the item already billing it (if any)."""
    rows = tx.conn.execute(_APPOINTMENTS_TO_BILL, {"ids": appointment_ids, "practice_id": tx.practice_id})
    return [AppointmentRecord(*r) for r in rows]


def insert_bill(tx: Tx, *, bill_id: str, client_id: str, status: str, apply_available_credit: bool) -> None:
    """A new bill at zero: its journal entry's postings raise what it bills and what is paid."""
    tx.conn.execute(
        _INSERT_BILLS,
        [
            dict(
                id=bill_id,
                practice_id=tx.practice_id,
                client_id=client_id,
                status=status,
                apply_available_credit=apply_available_credit,
                client_responsibility=0,
                client_paid=0,
                balance_due=0,
                created_at=tx.now,
            )
        ],
    )


def insert_items(tx: Tx, items: list[dict[str, Any]]) -> None:
    """The bill's items in one executemany (each dict holds every column, ``practice_id`` included)."""
    tx.conn.execute(_INSERT_BILL_ITEMS, items)


_BILL = select(*_BILL_COLUMNS).where(
    bills.c.id == bindparam("bill_id"), bills.c.practice_id == bindparam("practice_id")
)


def get_bill_row(tx: Tx, bill_id: str) -> BillRecord:
    row = tx.conn.execute(_BILL, {"bill_id": bill_id, "practice_id": tx.practice_id}).first()
    if row is None:
        raise NotFound(f"No bill {bill_id!r} in this practice.")
    return BillRecord(*row)


_ITEMS = (
    select(*_ITEM_COLUMNS)
    .where(bill_items.c.practice_id == bindparam("practice_id"), bill_items.c.bill_id == bindparam("bill_id"))
    .order_by(bill_items.c.id)
)


def item_rows(tx: Tx, bill_id: str) -> list[ItemRecord]:
    return [ItemRecord(*r) for r in tx.conn.execute(_ITEMS, {"practice_id": tx.practice_id, "bill_id": bill_id})]


def get_line_row(tx: Tx, bill_id: str, line_id: str) -> LineRecord:
    row = tx.conn.execute(
        select(*LINE_COLUMNS).where(
            bill_lines.c.id == line_id,
            bill_lines.c.bill_id == bill_id,
            bill_lines.c.practice_id == tx.practice_id,
            bill_lines.c.removed_at.is_(None),
        )
    ).first()
    if row is None:
        raise NotFound(f"No payment line {line_id!r} on bill {bill_id!r}.")
    return LineRecord(*row)


_LINES = (
    select(
        *[
            *LINE_COLUMNS,
            payments.c.captured,
            payments.c.credited,
            payments.c.refunded,
            payments.c.card_last4,
            payments.c.card_brand,
            payments.c.charge_id,
        ]
    )
    .select_from(
        bill_lines.outerjoin(
            payments,
            and_(payments.c.practice_id == bill_lines.c.practice_id, payments.c.id == bill_lines.c.payment_id),
        )
    )
    .where(bill_lines.c.practice_id == bindparam("practice_id"), bill_lines.c.bill_id == bindparam("bill_id"))
    .order_by(bill_lines.c.id)
)


def line_rows(tx: Tx, bill_id: str) -> list[BillLineRecord]:
    """Payment lines with their payment's captured/credited/refunded, oldest first; removed ones too (at 0)."""
    return [BillLineRecord(*r) for r in tx.conn.execute(_LINES, {"practice_id": tx.practice_id, "bill_id": bill_id})]


_DRAWS = (
    select(line_lots.c.line_id, line_lots.c.lot_id, line_lots.c.amount, credit_lots.c.source)
    .select_from(
        line_lots.join(
            bill_lines,
            and_(bill_lines.c.practice_id == line_lots.c.practice_id, bill_lines.c.id == line_lots.c.line_id),
        ).join(
            credit_lots,
            and_(credit_lots.c.practice_id == line_lots.c.practice_id, credit_lots.c.id == line_lots.c.lot_id),
        )
    )
    .where(line_lots.c.practice_id == bindparam("practice_id"), bill_lines.c.bill_id == bindparam("bill_id"))
    .order_by(line_lots.c.lot_id)
)


def lot_draws_by_line(tx: Tx, bill_id: str) -> dict[str, list[LotDrawRecord]]:
    """The bill's client_credit lines' draws on lots, by line, oldest lot first."""
    out: dict[str, list[LotDrawRecord]] = {}
    for r in tx.conn.execute(_DRAWS, {"practice_id": tx.practice_id, "bill_id": bill_id}):
        draw = LotDrawRecord(*r)
        out.setdefault(draw.line_id, []).append(draw)
    return out


def client_bill_ids(tx: Tx, client_id: str, *, limit: int, cursor: str | None) -> list[str]:
    """One client's bill ids, newest first; ``cursor`` is the last id of the previous page."""
    stmt = select(bills.c.id).where(bills.c.client_id == client_id, bills.c.practice_id == tx.practice_id)
    if cursor:
        stmt = stmt.where(bills.c.id < cursor)
    return list(tx.conn.execute(stmt.order_by(bills.c.id.desc()).limit(limit)).scalars())


def get_item_row(tx: Tx, item_id: str) -> ItemRecord:
    return ItemRecord(
        *tx.conn.execute(
            select(*_ITEM_COLUMNS).where(bill_items.c.practice_id == tx.practice_id, bill_items.c.id == item_id)
        ).one()
    )


def set_item_fee(tx: Tx, item_id: str, *, fee: int, insurance_responsibility: int) -> None:
    tx.conn.execute(
        update(bill_items)
        .where(bill_items.c.practice_id == tx.practice_id, bill_items.c.id == item_id)
        .values(fee=fee, insurance_responsibility=insurance_responsibility)
    )


def settle_bill_status(tx: Tx, bill_id: str) -> None:
    """Decide the bill's status again (``rules.bills``) after its sessions' fees changed."""
    fees = (
        tx.conn.execute(
            select(bill_items.c.fee).where(bill_items.c.practice_id == tx.practice_id, bill_items.c.bill_id == bill_id)
        )
        .scalars()
        .all()
    )
    bill = get_bill_row(tx, bill_id)
    status = bill_status(
        fees=fees,
        balance_due=bill.balance_due,
        client_responsibility=bill.client_responsibility,
        insurance_due=bill.insurance_due,
    )
    tx.conn.execute(
        update(bills).where(bills.c.practice_id == tx.practice_id, bills.c.id == bill_id).values(status=status)
    )


def mark_line_removed(tx: Tx, line_id: str) -> None:
    tx.conn.execute(
        update(bill_lines)
        .where(bill_lines.c.practice_id == tx.practice_id, bill_lines.c.id == line_id)
        .values(removed_at=tx.now)
    )
