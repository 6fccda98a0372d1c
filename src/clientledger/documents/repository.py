"""Document queries: a client's movements on the journal, and what its entries refer to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select

from clientledger.accounting.accounts import AR_CLIENT, CLIENT_CREDIT
from clientledger.billing.repository import BillRecord
from clientledger.billing.repository import bill_rows as bill_rows
from clientledger.billing.repository import items_by_bill as items_by_bill
from clientledger.billing.repository import lines_by_bill as lines_by_bill
from clientledger.db import Tx
from clientledger.models import (
    appointments,
    bills,
    credit_lots,
    insurance_payments,
    journal_entries,
    payments,
    postings,
    same_practice,
)

_ACCOUNTS = (AR_CLIENT, CLIENT_CREDIT)


@dataclass(frozen=True, slots=True)
class Movement:
    """One posting of a client on ``ar:client`` or ``client_credit``, with its journal entry."""

    entry_id: str
    kind: str
    created_at: dt.datetime
    bill_id: str | None
    payment_id: str | None
    memo: str | None
    account: str
    amount: int
    item_id: str | None
    line_id: str | None
    lot_id: str | None


@dataclass(frozen=True, slots=True)
class PaymentRef:
    id: str
    method: str
    card_brand: str | None
    card_last4: str | None
    bill_id: str | None


@dataclass(frozen=True, slots=True)
class LotRef:
    id: str
    source: str
    reason: str | None


def _client_postings(tx: Tx, client_id: str, *accounts: str) -> list[ColumnElement[bool]]:
    return [
        postings.c.practice_id == tx.practice_id,
        postings.c.client_id == client_id,
        postings.c.account.in_(accounts),
        journal_entries.c.practice_id == tx.practice_id,
    ]


_WITH_ENTRY = postings.join(
    journal_entries, same_practice(journal_entries, postings, journal_entries.c.id == postings.c.entry_id)
)


def movements(tx: Tx, client_id: str, *, start: dt.datetime, end: dt.datetime) -> list[Movement]:
    """The client's ``ar:client`` and ``client_credit`` postings made in ``[start, end)``, oldest
    entry first (by ``(created_at, id)``), each entry's postings in the order they were written."""
    rows = tx.conn.execute(
        select(
            journal_entries.c.id,
            journal_entries.c.kind,
            journal_entries.c.created_at,
            journal_entries.c.bill_id,
            journal_entries.c.payment_id,
            journal_entries.c.memo,
            postings.c.account,
            postings.c.amount,
            postings.c.item_id,
            postings.c.line_id,
            postings.c.lot_id,
        )
        .select_from(_WITH_ENTRY)
        .where(
            *_client_postings(tx, client_id, *_ACCOUNTS),
            journal_entries.c.created_at >= start,
            journal_entries.c.created_at < end,
        )
        .order_by(journal_entries.c.created_at, journal_entries.c.id, postings.c.n)
    )
    return [Movement(*r) for r in rows]


def balance_due_before(tx: Tx, client_id: str, instant: dt.datetime) -> int:
    """What the client owed just before ``instant``: the sum of its ``ar:client`` postings until then."""
    total = tx.conn.execute(
        select(func.coalesce(func.sum(postings.c.amount), 0))
        .select_from(_WITH_ENTRY)
        .where(*_client_postings(tx, client_id, AR_CLIENT), journal_entries.c.created_at < instant)
    ).scalar_one()
    return int(total)


def first_movement_at(tx: Tx, client_id: str) -> dt.datetime | None:
    """When the client's balance due or credit first moved (``None``: never)."""
    found = tx.conn.execute(
        select(func.min(journal_entries.c.created_at))
        .select_from(_WITH_ENTRY)
        .where(*_client_postings(tx, client_id, *_ACCOUNTS))
    ).scalar()
    return found if isinstance(found, dt.datetime) else None


def payment_refs(tx: Tx, payment_ids: list[str]) -> dict[str, PaymentRef]:
    if not payment_ids:
        return {}
    rows = tx.conn.execute(
        select(
            payments.c.id, payments.c.method, payments.c.card_brand, payments.c.card_last4, payments.c.bill_id
        ).where(payments.c.practice_id == tx.practice_id, payments.c.id.in_(payment_ids))
    )
    return {r[0]: PaymentRef(*r) for r in rows}


def lot_refs(tx: Tx, lot_ids: list[str]) -> dict[str, LotRef]:
    if not lot_ids:
        return {}
    rows = tx.conn.execute(
        select(credit_lots.c.id, credit_lots.c.source, credit_lots.c.reason).where(
            credit_lots.c.practice_id == tx.practice_id, credit_lots.c.id.in_(lot_ids)
        )
    )
    return {r[0]: LotRef(*r) for r in rows}


def payers_by_entry(tx: Tx, entry_ids: list[str]) -> dict[str, str]:
    """The payer of each insurance entry: the decision it posted, or the one it reversed."""
    if not entry_ids:
        return {}
    rows = tx.conn.execute(
        select(insurance_payments.c.entry_id, insurance_payments.c.reversal_entry_id, insurance_payments.c.payer).where(
            insurance_payments.c.practice_id == tx.practice_id,
            or_(insurance_payments.c.entry_id.in_(entry_ids), insurance_payments.c.reversal_entry_id.in_(entry_ids)),
        )
    )
    out: dict[str, str] = {}
    for posted, reversed_by, payer in rows:
        for entry_id in (posted, reversed_by):
            if entry_id in entry_ids:
                out.setdefault(entry_id, payer)
    return out


def client_bills(tx: Tx, client_id: str) -> list[BillRecord]:
    """All of the client's bills, oldest first."""
    ids = tx.conn.execute(
        select(bills.c.id).where(bills.c.practice_id == tx.practice_id, bills.c.client_id == client_id)
    ).scalars()
    return sorted(bill_rows(tx, list(ids)), key=lambda b: b.number)


def appointment_statuses(tx: Tx, appointment_ids: list[str]) -> dict[str, str]:
    if not appointment_ids:
        return {}
    rows = tx.conn.execute(
        select(appointments.c.id, appointments.c.status).where(
            appointments.c.practice_id == tx.practice_id, appointments.c.id.in_(appointment_ids)
        )
    )
    return {r[0]: r[1] for r in rows}
