"""Bill, item and payment-line queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, String, and_, any_, bindparam, column, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clientledger.accounting.repository import LINE_COLUMNS, OPEN_POOL, CreditPool, LineRecord, columns_of, credit_pool
from clientledger.accounting.repository import insert_line as insert_line
from clientledger.accounting.writes import Statement, read_together
from clientledger.appointments.repository import APPOINTMENT_COLUMNS, AppointmentRecord
from clientledger.clients.repository import CLIENT_COLUMNS, ClientRecord
from clientledger.db import Tx
from clientledger.households.repository import LOCK_HOUSEHOLD_OF, shared_pool
from clientledger.kit.errors import NotFound
from clientledger.models import (
    appointments,
    bill_items,
    bill_lines,
    bill_numbers,
    bills,
    clients,
    credit_lots,
    line_lots,
    payments,
    practices,
)
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
    number: int


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
    client_id: str  # the lot's client: a household member's, when credit is shared


_BILL_COLUMNS = columns_of(BillRecord, bills)
_ITEM_COLUMNS = columns_of(ItemRecord, bill_items)


def _client_for_bill(client_id: str, row: Sequence[Any] | None) -> tuple[ClientRecord, bool]:
    if row is None:
        raise NotFound(f"No client {client_id!r} in this practice.")
    return ClientRecord(*row[:-1]), bool(row[-1])


@dataclass(frozen=True)
class BillInputs:
    """What creating a bill reads: the locked client, the practice's auto-apply setting, the
    appointments asked for, and the credit the bill may spend (its packages included)."""

    client: ClientRecord
    auto_apply: bool
    appointments: list[AppointmentRecord]
    number: int
    pool: CreditPool


# The client with the practice's auto-apply setting, locked FOR NO KEY UPDATE OF clients on
# PostgreSQL: only the client's row (see ``clients.repository``); SQLite's writer lock covers it.
_LOCK_FOR_BILL = Statement(
    select(*CLIENT_COLUMNS, practices.c.auto_apply_credit)
    .select_from(clients.join(practices, practices.c.id == clients.c.practice_id))
    .where(clients.c.id == bindparam("client_id"), clients.c.practice_id == bindparam("practice_id"))
    .with_for_update(key_share=True, of=clients)
)
_BILLING_ITEM = and_(
    bill_items.c.practice_id == appointments.c.practice_id, bill_items.c.appointment_id == appointments.c.id
)
# The appointments asked for, each with the item billing it: an array on PostgreSQL, a JSON list on
# SQLite, so one compiled statement takes any number of ids.
_APPOINTMENTS_TO_BILL = Statement(
    {
        "postgresql": select(*APPOINTMENT_COLUMNS)
        .select_from(appointments.outerjoin(bill_items, _BILLING_ITEM))
        .where(
            appointments.c.id == any_(bindparam("ids", type_=ARRAY(String))),
            appointments.c.practice_id == bindparam("practice_id"),
        ),
        "sqlite": select(*APPOINTMENT_COLUMNS)
        .select_from(appointments.outerjoin(bill_items, _BILLING_ITEM))
        .where(
            appointments.c.id.in_(select(column("value")).select_from(func.json_each(bindparam("ids", type_=JSON)))),
            appointments.c.practice_id == bindparam("practice_id"),
        ),
    }
)
_OPEN_POOL = Statement(OPEN_POOL)


def _next_number(insert_fn: Any) -> Any:
    stmt = insert_fn(bill_numbers).values(practice_id=bindparam("practice_id"), last_number=1)
    return stmt.on_conflict_do_update(
        index_elements=[bill_numbers.c.practice_id], set_={"last_number": bill_numbers.c.last_number + 1}
    ).returning(bill_numbers.c.last_number)


# The practice's next bill number, its counter row locked until the bill commits (taken last, after
# the client's lock, so bills of different clients wait for each other only from here to commit).
_NEXT_NUMBER = Statement({"postgresql": _next_number(pg_insert), "sqlite": _next_number(sqlite_insert)})


def bill_inputs(tx: Tx, client_id: str, appointment_ids: list[str]) -> BillInputs:
    """The reads that start a bill (the household's lock, if any, then the client's, the bill number
    last); one round trip on PostgreSQL, and one more for a household that shares credit."""
    p = tx.practice_id
    household_rows, client_rows, appt_rows, lot_rows, number_rows = read_together(
        tx,
        [
            (LOCK_HOUSEHOLD_OF, {"client_id": client_id, "practice_id": p}),
            (_LOCK_FOR_BILL, {"client_id": client_id, "practice_id": p}),
            (_APPOINTMENTS_TO_BILL, {"ids": appointment_ids, "practice_id": p}),
            (_OPEN_POOL, {"client_id": client_id, "practice_id": p}),
            (_NEXT_NUMBER, {"practice_id": p}),
        ],
    )
    client, auto_apply = _client_for_bill(client_id, client_rows[0] if client_rows else None)
    appts = [AppointmentRecord(*r) for r in appt_rows]
    return BillInputs(client, auto_apply, appts, int(number_rows[0][0]), _pool(tx, client_id, household_rows, lot_rows))


def _pool(tx: Tx, client_id: str, household_rows: list[tuple[Any, ...]], lot_rows: list[tuple[Any, ...]]) -> CreditPool:
    own = credit_pool(lot_rows)
    household = (str(household_rows[0][0]), bool(household_rows[0][1])) if household_rows else None
    shared = shared_pool(tx, client_id=client_id, household=household)
    return own if shared is None else own.joined(shared)


@dataclass(frozen=True)
class PaymentInputs:
    """What a payment on a bill reads once the client is locked: the client, the bill as it is now,
    and the credit the bill may spend (one round trip on PostgreSQL, and one more for a household
    that shares credit)."""

    client: ClientRecord
    bill: BillRecord
    pool: CreditPool


_LOCK_CLIENT = Statement(
    select(*CLIENT_COLUMNS)
    .where(clients.c.id == bindparam("client_id"), clients.c.practice_id == bindparam("practice_id"))
    .with_for_update(key_share=True)
)


def payment_inputs(tx: Tx, bill: BillRecord) -> PaymentInputs:
    """Lock the bill's household (if any) and client, then read the bill again and the credit it may
    spend under those locks."""
    p = tx.practice_id
    household_rows, client_rows, bill_rows, lot_rows = read_together(
        tx,
        [
            (LOCK_HOUSEHOLD_OF, {"client_id": bill.client_id, "practice_id": p}),
            (_LOCK_CLIENT, {"client_id": bill.client_id, "practice_id": p}),
            (_BILL_AGAIN, {"bill_id": bill.id, "practice_id": p}),
            (_OPEN_POOL, {"client_id": bill.client_id, "practice_id": p}),
        ],
    )
    if not client_rows or not bill_rows:
        raise NotFound(f"No bill {bill.id!r} in this practice.")
    pool = _pool(tx, bill.client_id, household_rows, lot_rows)
    return PaymentInputs(ClientRecord(*client_rows[0]), BillRecord(*bill_rows[0]), pool)


_BILL = select(*_BILL_COLUMNS).where(
    bills.c.id == bindparam("bill_id"), bills.c.practice_id == bindparam("practice_id")
)


_BILL_AGAIN = Statement(_BILL)


def get_bill_row(tx: Tx, bill_id: str) -> BillRecord:
    row = tx.conn.execute(_BILL, {"bill_id": bill_id, "practice_id": tx.practice_id}).first()
    if row is None:
        raise NotFound(f"No bill {bill_id!r} in this practice.")
    return BillRecord(*row)


_ITEMS = (
    select(*_ITEM_COLUMNS).where(
        bill_items.c.bill_id.in_(bindparam("bill_ids", expanding=True)),
        bill_items.c.practice_id == bindparam("practice_id"),
    )
    # No ORDER BY: sorting in SQL would tempt SQLite to walk the practice's key; each bill's few
    # items are put in order here.
)


def items_by_bill(tx: Tx, bill_ids: list[str]) -> dict[str, list[ItemRecord]]:
    """These bills' items, oldest first, by bill: one query however many bills."""
    out: dict[str, list[ItemRecord]] = {b: [] for b in bill_ids}
    if bill_ids:
        for r in tx.conn.execute(_ITEMS, {"bill_ids": bill_ids, "practice_id": tx.practice_id}):
            item = ItemRecord(*r)
            out[item.bill_id].append(item)
        for items in out.values():
            items.sort(key=lambda item: item.id)
    return out


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
            payments, (payments.c.id == bill_lines.c.payment_id) & (payments.c.practice_id == bindparam("practice_id"))
        )
    )
    .where(
        bill_lines.c.bill_id.in_(bindparam("bill_ids", expanding=True)),
        bill_lines.c.practice_id == bindparam("practice_id"),
    )
    # In order per bill in Python, as the items are.
)


def lines_by_bill(tx: Tx, bill_ids: list[str]) -> dict[str, list[BillLineRecord]]:
    """Payment lines with their payment's captured/credited/refunded, oldest first, by bill; removed
    ones too (at 0). One query however many bills."""
    out: dict[str, list[BillLineRecord]] = {b: [] for b in bill_ids}
    if bill_ids:
        for r in tx.conn.execute(_LINES, {"bill_ids": bill_ids, "practice_id": tx.practice_id}):
            line = BillLineRecord(*r)
            out[line.bill_id].append(line)
        for lines in out.values():
            lines.sort(key=lambda line: line.id)
    return out


_DRAWS = (
    select(line_lots.c.line_id, line_lots.c.lot_id, line_lots.c.amount, credit_lots.c.source, credit_lots.c.client_id)
    .select_from(
        line_lots.join(
            credit_lots,
            (credit_lots.c.id == line_lots.c.lot_id) & (credit_lots.c.practice_id == bindparam("practice_id")),
        )
    )
    .where(
        line_lots.c.line_id.in_(bindparam("line_ids", expanding=True)),
        line_lots.c.practice_id == bindparam("practice_id"),
    )
    # Each line's few draws are put in order here (see ``accounting.repository.line_draws``).
)


def lot_draws_by_line(tx: Tx, line_ids: list[str]) -> dict[str, list[LotDrawRecord]]:
    """These client_credit lines' draws on lots, by line, oldest lot first: one query."""
    out: dict[str, list[LotDrawRecord]] = {}
    if line_ids:
        for r in tx.conn.execute(_DRAWS, {"line_ids": line_ids, "practice_id": tx.practice_id}):
            draw = LotDrawRecord(*r)
            out.setdefault(draw.line_id, []).append(draw)
        for draws in out.values():
            draws.sort(key=lambda d: d.lot_id)
    return out


_BILLS = select(*_BILL_COLUMNS).where(
    bills.c.id.in_(bindparam("bill_ids", expanding=True)), bills.c.practice_id == bindparam("practice_id")
)


def bill_rows(tx: Tx, bill_ids: list[str]) -> list[BillRecord]:
    """These bills of the practice (unknown ids left out), a few hundred ids per query."""
    out: list[BillRecord] = []
    for at in range(0, len(bill_ids), 500):
        chunk = bill_ids[at : at + 500]
        out += [BillRecord(*r) for r in tx.conn.execute(_BILLS, {"bill_ids": chunk, "practice_id": tx.practice_id})]
    return out


def client_bill_rows(tx: Tx, client_id: str, *, limit: int, cursor: str | None) -> list[BillRecord]:
    """One client's bills, newest first; ``cursor`` is the last id of the previous page."""
    stmt = select(*_BILL_COLUMNS).where(bills.c.practice_id == tx.practice_id, bills.c.client_id == client_id)
    if cursor:
        stmt = stmt.where(bills.c.id < cursor)
    return [BillRecord(*r) for r in tx.conn.execute(stmt.order_by(bills.c.id.desc()).limit(limit))]


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
