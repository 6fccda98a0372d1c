"""Reports computed from the journal itself (not the projections), as an accountant would check them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator

from clientledger.db import Tx
from clientledger.kit.errors import ValidationFailed
from clientledger.kit.use_cases import Permission, use_case
from clientledger.reports.repository import (
    POSTING_COLUMNS,
    credit_balances_at,
    entry_records,
    journal_rows,
    posting_records,
)
from clientledger.reports.schemas import ClientCreditBalance, CreditBalancesRead, JournalEntryRead, PostingRead

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


def _day_end(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)


@use_case(Permission.READ)
def credit_balances(tx: Tx, *, as_of: dt.date) -> CreditBalancesRead:
    """Each client's credit at the end of ``as_of`` (UTC): minus the sum of its ``client_credit``
    postings until then, as the per-day projection of the journal keeps it (``verify`` checks it).

    Every client that existed by then is listed, those without credit at 0.
    """
    rows = credit_balances_at(tx, as_of, _day_end(as_of))
    out = [ClientCreditBalance(client_id=r.id, name=r.name, credit_balance=r.credit_balance) for r in rows]
    return CreditBalancesRead(as_of=as_of, clients=out, total=sum(c.credit_balance for c in out))


def _range(start: dt.date | None, end: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``[from, to]`` in days as ``[start, end)`` in UTC datetimes."""
    if start is not None and end is not None and start > end:
        raise ValidationFailed("`from` must not be after `to`.")
    return (
        dt.datetime.combine(start, dt.time.min) if start is not None else None,
        _day_end(end) if end is not None else None,
    )


@use_case(Permission.READ)
def journal(
    tx: Tx, *, start: dt.date | None, end: dt.date | None, limit: int, cursor: str | None
) -> list[JournalEntryRead]:
    """Entries oldest first, each with its postings (which sum to zero); ``cursor``: last entry id seen."""
    since, before = _range(start, end)
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
    since, before = _range(start, end)
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
