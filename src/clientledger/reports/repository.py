"""Report queries: on the journal itself, and on its per-day credit projection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select, tuple_

from clientledger.accounting import history
from clientledger.accounting.accounts import AR_CLIENT, CLIENT_CREDIT
from clientledger.clients.repository import name_order
from clientledger.db import Tx
from clientledger.models import OPEN_BILL, bills, clients, journal_entries, postings, same_practice

POSTING_COLUMNS = ("account", "amount", "client_id", "bill_id", "item_id", "line_id", "payment_id", "lot_id")
ENTRY_CSV_COLUMNS = ("id", "created_at", "kind", "user_id", "memo", "request_id")


@dataclass(frozen=True, slots=True)
class ClientName:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class EntryRecord:
    id: str
    kind: str
    created_at: dt.datetime
    user_id: str | None
    client_id: str | None
    bill_id: str | None
    payment_id: str | None
    memo: str | None
    request_id: str | None


@dataclass(frozen=True, slots=True)
class PostingRecord:
    entry_id: str
    account: str
    amount: int
    client_id: str | None
    bill_id: str | None
    item_id: str | None
    line_id: str | None
    payment_id: str | None
    lot_id: str | None


@dataclass(frozen=True, slots=True)
class ClientCredit:
    id: str
    name: str
    credit_balance: int


def credit_balances_at(tx: Tx, end: dt.datetime, *, client_id: str | None = None) -> list[ClientCredit]:
    """Every client made before ``end`` (or only ``client_id``), by name, with its credit balance
    just before ``end``.

    The per-day projection of the journal (``accounting.history``, checked by ``verify``) holds
    each client's balance at the end of every UTC day: one index seek per client, whatever the
    length of the journal. A practice's day ends off UTC's midnight, so what moved between that
    midnight and ``end`` (less than a day of entries) is added from the journal.
    """
    midnight = dt.datetime.combine(end.date(), dt.time.min)
    balance = history.balance_at(midnight.date() - dt.timedelta(days=1), clients.c.id, tx.practice_id)
    stmt = select(clients.c.id, clients.c.name, balance).where(
        clients.c.practice_id == tx.practice_id, clients.c.created_at < end
    )
    if client_id is not None:
        stmt = stmt.where(clients.c.id == client_id)
    rows = tx.conn.execute(stmt.order_by(name_order(tx), clients.c.id)).all()
    since = _credit_moved(tx, midnight, end, client_id) if end > midnight else {}
    return [ClientCredit(r[0], r[1], int(r[2]) + since.get(r[0], 0)) for r in rows]


def _credit_moved(tx: Tx, start: dt.datetime, end: dt.datetime, client_id: str | None) -> dict[str, int]:
    """Per client (or only ``client_id``), the credit its entries in ``[start, end)`` added
    (negative: used or removed).

    Summed here, not by ``GROUP BY``: grouped by client, SQLite's planner walks the practice's
    every posting through the client index; ungrouped, it seeks the day's entries by time, then
    each entry's postings by key (less than a day of them)."""
    p = tx.practice_id
    which = postings.c.client_id.is_not(None) if client_id is None else postings.c.client_id == client_id
    moved = tx.conn.execute(
        select(postings.c.client_id, postings.c.amount)
        .select_from(
            journal_entries.join(
                postings, same_practice(postings, journal_entries, postings.c.entry_id == journal_entries.c.id)
            )
        )
        .where(
            journal_entries.c.practice_id == p,
            journal_entries.c.created_at >= start,
            journal_entries.c.created_at < end,
            postings.c.practice_id == p,
            postings.c.account == CLIENT_CREDIT,
            which,
        )
    )
    out: dict[str, int] = {}
    for moved_client, amount in moved:
        out[str(moved_client)] = out.get(str(moved_client), 0) - int(amount)
    return out


@dataclass(frozen=True, slots=True)
class BillDue:
    """A bill with something due from the client, and the client's name (aging's rows)."""

    bill_id: str
    client_id: str
    name: str
    created_at: dt.datetime
    balance_due: int


def _bills_and_clients() -> Any:
    return bills.join(clients, same_practice(clients, bills, clients.c.id == bills.c.client_id))


def open_bills_due(tx: Tx, end: dt.datetime) -> list[BillDue]:
    """The open bills with a balance due now that were made before ``end``: one range of
    ``ix_bills_open``, whatever the length of the journal."""
    rows = tx.conn.execute(
        select(bills.c.id, bills.c.client_id, clients.c.name, bills.c.created_at, bills.c.balance_due)
        .select_from(_bills_and_clients())
        .where(bills.c.practice_id == tx.practice_id, OPEN_BILL, bills.c.created_at < end, bills.c.balance_due > 0)
    )
    return [BillDue(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]


def bills_due_at(tx: Tx, end: dt.datetime) -> list[BillDue]:
    """Every bill with a balance due just before ``end``, from the journal: per bill, the sum of its
    ``ar:client`` postings in entries made before ``end`` (what the client owed on it then), in one
    statement. A bill made later has no postings before ``end`` and is left out."""
    p = tx.practice_id
    total = func.sum(postings.c.amount)
    due = (
        select(postings.c.bill_id.label("bill_id"), total.label("due"))
        .select_from(
            postings.join(
                journal_entries, same_practice(postings, journal_entries, postings.c.entry_id == journal_entries.c.id)
            )
        )
        .where(
            postings.c.practice_id == p,
            journal_entries.c.practice_id == p,
            postings.c.account == AR_CLIENT,
            postings.c.bill_id.is_not(None),
            journal_entries.c.created_at < end,
        )
        .group_by(postings.c.bill_id)
        .having(total > 0)
        .subquery()
    )
    rows = tx.conn.execute(
        select(bills.c.id, bills.c.client_id, clients.c.name, bills.c.created_at, due.c.due)
        .select_from(_bills_and_clients().join(due, due.c.bill_id == bills.c.id))
        .where(bills.c.practice_id == p)
    )
    return [BillDue(r[0], r[1], r[2], r[3], int(r[4])) for r in rows]


def _entries(tx: Tx, start: dt.datetime | None, end: dt.datetime | None) -> Select[Any]:
    stmt = select(*(journal_entries.c[f] for f in EntryRecord.__dataclass_fields__)).where(
        journal_entries.c.practice_id == tx.practice_id
    )
    if start is not None:
        stmt = stmt.where(journal_entries.c.created_at >= start)
    if end is not None:
        stmt = stmt.where(journal_entries.c.created_at < end)
    return stmt


def entry_records(
    tx: Tx, *, start: dt.datetime | None, end: dt.datetime | None, limit: int, cursor: str | None
) -> list[EntryRecord]:
    """Entries made in ``[start, end)``, oldest first by ``(created_at, id)``, after the entry
    ``cursor`` (an entry id): one range of ``ix_journal_entries_practice_created_id``."""
    stmt = _entries(tx, start, end)
    if cursor:
        at = tx.conn.execute(
            select(journal_entries.c.created_at).where(
                journal_entries.c.practice_id == tx.practice_id, journal_entries.c.id == cursor
            )
        ).scalar()
        if at is None:
            return []  # not an entry of this practice: nothing comes after it
        stmt = stmt.where(tuple_(journal_entries.c.created_at, journal_entries.c.id) > tuple_(at, cursor))
    order = stmt.order_by(journal_entries.c.created_at, journal_entries.c.id).limit(limit)
    return [EntryRecord(*r) for r in tx.conn.execute(order)]


def posting_records(tx: Tx, entry_ids: list[str]) -> list[PostingRecord]:
    """The postings of these entries, in the order they were written."""
    rows = tx.conn.execute(
        select(postings.c.entry_id, *(postings.c[name] for name in POSTING_COLUMNS))
        .where(postings.c.practice_id == tx.practice_id, postings.c.entry_id.in_(entry_ids))
        .order_by(postings.c.entry_id, postings.c.n)
    )
    return [PostingRecord(*r) for r in rows]


def journal_rows(tx: Tx, *, start: dt.datetime | None, end: dt.datetime | None) -> Iterator[tuple[Any, ...]]:
    """One tuple per posting in the range: ``ENTRY_CSV_COLUMNS`` then ``POSTING_COLUMNS``, streamed."""
    entries = _entries(tx, start, end).subquery()
    rows = tx.conn.execute(
        select(
            *(entries.c[name] for name in ENTRY_CSV_COLUMNS),
            *(postings.c[name] for name in POSTING_COLUMNS),
        )
        .select_from(entries.join(postings, postings.c.entry_id == entries.c.id))  # entries: of this practice
        .where(postings.c.practice_id == tx.practice_id)
        # Oldest first by the time the entry was made: the range's index serves the order too.
        .order_by(entries.c.created_at, entries.c.id, postings.c.n)
    )
    for r in rows:
        yield tuple(r)
