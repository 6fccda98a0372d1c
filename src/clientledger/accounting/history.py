"""Each client's credit balance at the end of every day its credit moved (``client_credit_days``).

The credit-balances report asks "what did each client hold at the end of day D": summing every
``client_credit`` posting before D costs the whole journal. This projection keeps one row per
client and day with a credit movement, holding the balance at the end of that day, so the answer
is the row with the latest day <= D: one index seek per client, however long the history.

``queue`` adds one statement to each entry's writes (same transaction), ``rebuild`` derives the rows
of a practice from its journal, and ``check`` compares them with the journal for ``verify``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, Connection, Date, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clientledger.accounting.accounts import CLIENT_CREDIT
from clientledger.accounting.writes import Statement, Writes
from clientledger.models import client_credit_days, journal_entries, postings

_days = client_credit_days.c
_practice: BindParameter[str] = bindparam("practice_id")
_client: BindParameter[str] = bindparam("client_id")
_day: BindParameter[dt.date] = bindparam("day", type_=Date)

# The balance the client's credit had before this entry: its latest day's row (today's, if any).
_prior = (
    select(_days.credit_balance)
    .where(_days.practice_id == _practice, _days.client_id == _client, _days.day <= _day)
    .order_by(_days.day.desc())
    .limit(1)
    .scalar_subquery()
)


def _upsert(insert_fn: Any) -> Any:
    stmt = insert_fn(client_credit_days).values(
        practice_id=_practice,
        client_id=_client,
        day=_day,
        credit_balance=func.coalesce(_prior, 0) + bindparam("moved"),
    )
    # On conflict the prior row is today's row itself, so the new value is the same expression.
    return stmt.on_conflict_do_update(
        index_elements=[_days.practice_id, _days.client_id, _days.day],
        set_={"credit_balance": stmt.excluded.credit_balance},
    )


_MOVE = Statement({"postgresql": _upsert(pg_insert), "sqlite": _upsert(sqlite_insert)})


def queue(writes: Writes, credit_moved: Mapping[str, int]) -> None:
    """Move each client's balance for today by what this entry moved (positive adds credit)."""
    tx = writes.tx
    day = tx.now.date()
    writes.add(
        _MOVE,
        [
            {"practice_id": tx.practice_id, "client_id": client_id, "day": day, "moved": moved}
            for client_id, moved in sorted(credit_moved.items())
            if moved
        ],
    )


def balance_at(day: dt.date, client_id: ColumnElement[str], practice_id: str) -> ColumnElement[int]:
    """A client's credit balance at the end of ``day`` (0 before its first credit), as a column."""
    return func.coalesce(
        select(_days.credit_balance)
        .where(_days.practice_id == practice_id, _days.client_id == client_id, _days.day <= day)
        .order_by(_days.day.desc())
        .limit(1)
        .scalar_subquery(),
        0,
    )


def _moved_per_day(practice_id: str, client_range: Iterable[ColumnElement[bool]] = ()) -> Any:
    """Per client and day, the sum of its ``client_credit`` postings (negative: credit added)."""
    day = func.date(journal_entries.c.created_at, type_=Date).label("day")
    return (
        select(postings.c.client_id, day, func.sum(postings.c.amount).label("moved"))
        .select_from(
            postings.join(
                journal_entries,
                (journal_entries.c.id == postings.c.entry_id) & (journal_entries.c.practice_id == practice_id),
            )
        )
        .where(
            postings.c.practice_id == practice_id,
            postings.c.account == CLIENT_CREDIT,
            postings.c.client_id.is_not(None),
            *client_range,
        )
        .group_by(postings.c.client_id, day)
    )


def rebuild(conn: Connection, practice_id: str) -> None:
    """Derive a practice's rows from its journal again (after rows were loaded in bulk)."""
    conn.execute(delete(client_credit_days).where(_days.practice_id == practice_id))
    per_day = _moved_per_day(practice_id).subquery()
    running = -func.sum(per_day.c.moved).over(partition_by=per_day.c.client_id, order_by=per_day.c.day)
    conn.execute(
        client_credit_days.insert().from_select(
            ["practice_id", "client_id", "day", "credit_balance"],
            select(
                text(":practice_id").bindparams(practice_id=practice_id),
                per_day.c.client_id,
                per_day.c.day,
                running,
            ).where(per_day.c.client_id.is_not(None)),
        )
    )


def check(
    conn: Connection,
    practice_id: str,
    *,
    journal_range: list[ColumnElement[bool]],
    stored_range: list[ColumnElement[bool]],
) -> list[str]:
    """Every stored day against the journal's running balance, and every day with a movement stored.

    The database compares (a window over the journal's days, joined with the rows both ways) and
    returns only the mismatches, so memory does not grow with history.
    """
    per_day = _moved_per_day(practice_id, journal_range).subquery()
    journal = select(
        per_day.c.client_id,
        per_day.c.day,
        (-func.sum(per_day.c.moved).over(partition_by=per_day.c.client_id, order_by=per_day.c.day)).label("balance"),
    ).subquery()
    stored = (
        select(_days.client_id, _days.day, _days.credit_balance)
        .where(_days.practice_id == practice_id, *stored_range)
        .subquery()
    )
    on = (stored.c.client_id == journal.c.client_id) & (stored.c.day == journal.c.day)
    problems: list[str] = []
    for r in conn.execute(
        select(journal.c.client_id, journal.c.day, journal.c.balance, stored.c.credit_balance)
        .select_from(journal.outerjoin(stored, on))
        .where(stored.c.credit_balance.is_(None) | (stored.c.credit_balance != journal.c.balance))
        .order_by(journal.c.client_id, journal.c.day)
    ):
        if r.credit_balance is None:
            problems.append(f"client {r.client_id} on {r.day}: no credit balance for the day, journal says {r.balance}")
        else:
            problems.append(
                f"client {r.client_id} on {r.day}: credit balance at the end of the day is {r.credit_balance}, "
                f"journal says {r.balance}"
            )
    for extra in conn.execute(
        select(stored.c.client_id, stored.c.day)
        .select_from(stored.outerjoin(journal, on))
        .where(journal.c.client_id.is_(None))
        .order_by(stored.c.client_id, stored.c.day)
    ):
        problems.append(
            f"client {extra.client_id} on {extra.day}: a credit balance for a day the journal moved no credit"
        )
    return problems
