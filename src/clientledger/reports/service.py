"""Reports computed from the journal itself (not the projections), as an accountant would check them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Select, func, select

from clientledger.accounting.accounts import CLIENT_CREDIT
from clientledger.db import Tx
from clientledger.kit.errors import ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.models import clients, journal_entries, postings
from clientledger.reports.schemas import ClientCreditBalance, CreditBalancesRead, JournalEntryRead, PostingRead

_POSTING_COLUMNS = ("account", "amount", "client_id", "bill_id", "item_id", "line_id", "payment_id", "lot_id")
CSV_HEADER = ("entry_id", "created_at", "kind", "user_id", "memo", "request_id", *_POSTING_COLUMNS)


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)


@use_case(Permission.READ)
def credit_balances(tx: Tx, *, as_of: dt.date) -> CreditBalancesRead:
    """Each client's credit at the end of ``as_of`` (UTC), summed from ``client_credit`` postings.

    Credit is a liability, so its postings are negative; a client's balance is minus their sum.
    Every client that existed by then is listed, those without credit at 0.
    """
    end = _day_end(as_of)
    sums = dict(
        tx.conn.execute(
            select(postings.c.client_id, func.sum(postings.c.amount))
            .select_from(postings.join(journal_entries, journal_entries.c.id == postings.c.entry_id))
            .where(
                postings.c.practice_id == tx.practice_id,
                postings.c.account == CLIENT_CREDIT,
                journal_entries.c.created_at < end,
            )
            .group_by(postings.c.client_id)
        ).all()
    )
    rows = tx.conn.execute(
        select(clients.c.id, clients.c.name)
        .where(clients.c.practice_id == tx.practice_id, clients.c.created_at < end)
        .order_by(clients.c.name, clients.c.id)
    ).all()
    out = [ClientCreditBalance(client_id=r.id, name=r.name, credit_balance=-int(sums.get(r.id) or 0)) for r in rows]
    return CreditBalancesRead(as_of=as_of, clients=out, total=sum(c.credit_balance for c in out))


def _entries_query(tx: Tx, start: dt.date | None, end: dt.date | None) -> Select[Any]:
    if start is not None and end is not None and start > end:
        raise ValidationFailed("`from` must not be after `to`.")
    stmt = select(journal_entries).where(journal_entries.c.practice_id == tx.practice_id)
    if start is not None:
        stmt = stmt.where(journal_entries.c.created_at >= dt.datetime.combine(start, dt.time.min))
    if end is not None:
        stmt = stmt.where(journal_entries.c.created_at < _day_end(end))
    return stmt


@use_case(Permission.READ)
def journal(
    tx: Tx, *, start: dt.date | None, end: dt.date | None, limit: int, cursor: str | None
) -> list[JournalEntryRead]:
    """Entries oldest first, each with its postings (which sum to zero); ``cursor``: last entry id seen."""
    stmt = _entries_query(tx, start, end)
    if cursor:
        stmt = stmt.where(journal_entries.c.id > cursor)
    entries = tx.conn.execute(stmt.order_by(journal_entries.c.id).limit(limit)).all()
    by_entry: dict[str, list[PostingRead]] = {e.id: [] for e in entries}
    if entries:
        for p in tx.conn.execute(
            select(postings).where(postings.c.entry_id.in_(list(by_entry))).order_by(postings.c.id)
        ):
            by_entry[p.entry_id].append(PostingRead.model_validate(p))
    return [JournalEntryRead.model_validate({**e._mapping, "postings": by_entry[e.id]}) for e in entries]


@use_case(Permission.READ)
def journal_csv(tx: Tx, *, start: dt.date | None, end: dt.date | None) -> str:
    """The whole journal in the range as CSV text, one row per posting."""
    return "".join(_journal_csv_chunks(tx, start, end))


def _journal_csv_chunks(tx: Tx, start: dt.date | None, end: dt.date | None) -> Iterator[str]:
    """The whole journal in the range as CSV, one row per posting (entry columns repeated)."""
    entries = _entries_query(tx, start, end).subquery()
    rows = tx.conn.execute(
        select(
            entries.c.id,
            entries.c.created_at,
            entries.c.kind,
            entries.c.user_id,
            entries.c.memo,
            entries.c.request_id,
            *(postings.c[name] for name in _POSTING_COLUMNS),
        )
        .select_from(entries.join(postings, postings.c.entry_id == entries.c.id))
        .order_by(entries.c.id, postings.c.id)
    )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(["" if v is None else (v.isoformat() + "Z" if isinstance(v, dt.datetime) else v) for v in r])
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
