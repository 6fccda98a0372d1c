"""Reports computed from the journal itself (not the projections), as an accountant would check them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from clientledger.clients.repository import client_sort_key
from clientledger.db import Tx
from clientledger.kit.errors import ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.practices.service import practice_day
from clientledger.reports.repository import (
    POSTING_COLUMNS,
    BillDue,
    bills_due_at,
    credit_balances_at,
    entry_records,
    journal_rows,
    open_bills_due,
    posting_records,
)
from clientledger.reports.schemas import (
    AgingBuckets,
    AgingRead,
    ClientAging,
    ClientCreditBalance,
    CreditBalancesRead,
    JournalEntryRead,
    PostingRead,
)
from clientledger.rules.aging import aging_bucket

CSV_HEADER = ("entry_id", "created_at", "kind", "user_id", "memo", "request_id", *POSTING_COLUMNS)

# What makes a spreadsheet read a cell as a formula (OWASP's list: the contract's four, tab and CR).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """One CSV cell: text a spreadsheet would run as a formula gets a leading ``'``; numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat() + "Z"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


@use_case(Permission.READ)
def credit_balances(tx: Tx, *, as_of: dt.date | None = None) -> CreditBalancesRead:
    """Each client's credit at the end of ``as_of`` (the practice's day; default today there):
    minus the sum of its ``client_credit`` postings until then, from the per-day projection of the
    journal (``verify`` checks it) and the journal itself for the hours the day's end is off UTC's.

    Every client that existed by then is listed, those without credit at 0.
    """
    days = practice_day(tx)
    day = as_of if as_of is not None else days.today(tx.now)
    rows = credit_balances_at(tx, days.end(day))
    out = [ClientCreditBalance(client_id=r.id, name=r.name, credit_balance=r.credit_balance) for r in rows]
    return CreditBalancesRead(as_of=day, clients=out, total=sum(c.credit_balance for c in out))


@use_case(Permission.READ)
def aging(tx: Tx, *, as_of: dt.date | None = None) -> AgingRead:
    """What clients owe at the end of ``as_of`` (the practice's day; default today there), by the age
    of each bill: whole days from the practice's day the bill was made to ``as_of``.

    Exact for any day, from the journal: a bill's balance due at the end of ``as_of`` is the sum of
    its ``ar:client`` postings in the entries made before then, so a bill paid since counts as it
    stood, a bill made after ``as_of`` is left out. For today (or a later day) nothing has moved
    after the day's end yet, so the open bills as they stand now are the same answer, read from the
    open bills' index instead of the journal.
    """
    days = practice_day(tx)
    day = as_of if as_of is not None else days.today(tx.now)
    end = days.end(day)
    due = open_bills_due(tx, end) if end > tx.now else bills_due_at(tx, end)
    per_client: dict[str, list[BillDue]] = {}
    for bill in due:
        per_client.setdefault(bill.client_id, []).append(bill)
    out = []
    for bills in per_client.values():
        buckets: dict[str, int] = {}
        for bill in bills:
            bucket = aging_bucket((day - days.day_of(bill.created_at)).days)
            buckets[bucket] = buckets.get(bucket, 0) + bill.balance_due
        out.append(
            ClientAging(
                client_id=bills[0].client_id,
                name=bills[0].name,
                balance_due=sum(b.balance_due for b in bills),
                buckets=AgingBuckets(**buckets),
            )
        )
    out.sort(key=lambda c: client_sort_key(c.name, c.client_id))
    totals = {name: sum(getattr(c.buckets, name) for c in out) for name in AgingBuckets.model_fields}
    return AgingRead(as_of=day, buckets=AgingBuckets(**totals), clients=out, total=sum(c.balance_due for c in out))


def _range(tx: Tx, start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[from, to]``, the practice's days, as the instants ``[start, end)`` they cover."""
    if start is not None and end is not None and start > end:
        raise ValidationFailed("`from` must not be after `to`.")
    return practice_day(tx).span(start, end)


@use_case(Permission.READ)
def journal(
    tx: Tx, *, start: dt.date | None, end: dt.date | None, limit: int, cursor: str | None
) -> list[JournalEntryRead]:
    """Entries oldest first, each with its postings (which sum to zero); ``cursor``: last entry id seen."""
    since, before = _range(tx, start, end)
    entries = entry_records(tx, start=since, end=before, limit=limit, cursor=cursor)
    by_entry: dict[str, list[PostingRead]] = {e.id: [] for e in entries}
    if entries:
        for p in posting_records(tx, list(by_entry)):
            by_entry[p.entry_id].append(PostingRead.model_validate(p))
    return [
        JournalEntryRead(
            id=e.id,
            kind=e.kind,
            created_at=e.created_at,
            user_id=e.user_id,
            client_id=e.client_id,
            bill_id=e.bill_id,
            payment_id=e.payment_id,
            memo=e.memo,
            request_id=e.request_id,
            postings=by_entry[e.id],
        )
        for e in entries
    ]


@use_case(Permission.READ)
def journal_csv(tx: Tx, *, start: dt.date | None, end: dt.date | None) -> str:
    """The whole journal in the range as CSV text, one row per posting."""
    return "".join(_journal_csv_chunks(tx, start, end))


def _journal_csv_chunks(tx: Tx, start: dt.date | None, end: dt.date | None) -> Iterator[str]:
    """The whole journal in the range as CSV, one row per posting (entry columns repeated)."""
    since, before = _range(tx, start, end)
    rows = journal_rows(tx, start=since, end=before)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([csv_cell(v) for v in r])
        if buf.tell() > 64_000:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
