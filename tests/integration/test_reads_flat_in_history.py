"""Reads cost what their answer holds, not what the journal holds: counted statements and query plans
(never timings), the credit report as of a past day to the cent, and verify a chunk at a time."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import delete, event, select, text, update

from clientledger.accounting import verify as verify_module
from clientledger.billing import service as billing
from clientledger.credits import service as credits
from clientledger.db import Database
from clientledger.kit.days import PracticeDay
from clientledger.migrate import upgrade
from clientledger.models import client_credit_days, clients, credit_lots
from clientledger.reports import service as reports
from clientledger.web.routes.clients import client_page_data
from tests.factories import Ledger, a_prepaid_client, a_session_bill
from tests.support.clock import on_day

TODAY = PracticeDay().today()  # the practice's (New York's) day, which the reports' days are


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """Every statement the engine sends meanwhile, with its (first) parameters."""
    sent: list[tuple[str, Any]] = []

    def note(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append((statement, parameters[0] if executemany and parameters else parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def _reads(sent: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(s, p) for s, p in sent if s.lstrip().upper().startswith(("SELECT", "WITH"))]


# --- a client's bills: a constant number of statements however many bills ----------------------


def _a_client_with_bills(ledger: Ledger, n: int) -> str:
    client = ledger.client(f"Client of {n} bills")
    for i in range(n):
        ledger.manual_credit(client.id, 7500)
        bill = a_session_bill(ledger, client.id, fee=15000)  # half from credit, half by cash on every other
        if i % 2 == 0:
            ledger.pay(bill.id, "cash", bill.balance_due)
    return client.id


def test_a_clients_bill_list_sends_as_many_statements_for_30_bills_as_for_3(ledger: Ledger) -> None:
    few, many = _a_client_with_bills(ledger, 3), _a_client_with_bills(ledger, 30)

    counts = {}
    for client_id, n in ((few, 3), (many, 30)):
        with statements(ledger.db) as sent:
            bills = ledger.look(billing.list_client_bills, client_id=client_id, limit=50)
        assert len(bills) == n
        counts[n] = len(_reads(sent))
        assert all(len(b.lines) >= 1 and b.lines[0].lots for b in bills)  # credit lines with their lots
        assert sum(b.balance_due for b in bills) == 7500 * (n // 2)  # the odd ones still owe the card half

    assert counts[3] == counts[30] <= 5


def test_the_client_page_reads_its_bills_in_a_constant_number_of_statements(ledger: Ledger) -> None:

    few, many = _a_client_with_bills(ledger, 2), _a_client_with_bills(ledger, 20)
    counts = []
    for client_id in (few, many):
        with statements(ledger.db) as sent:
            page = ledger.look(client_page_data, client_id=client_id)
        counts.append(len(_reads(sent)))
        assert [b.created_at for b in page.bills] == sorted((b.created_at for b in page.bills), reverse=True)
    assert counts[0] == counts[1]


# --- the hot reads use an index, on both databases --------------------------------------------

_HISTORY_TABLES = (
    "appointments",
    "postings",
    "journal_entries",
    "credit_lots",
    "line_lots",
    "bills",
    "bill_items",
    "bill_lines",
    "payments",
    "client_credit_days",
)


def _plans(db: Database, sent: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """Each statement with its query plan's lines (on PostgreSQL with sequential scans off, so a
    table is scanned only when no index serves the statement)."""
    out: list[tuple[str, list[str]]] = []
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.dialect == "postgresql":
            cur.execute("SET enable_seqscan = off")
        for statement, params in sent:
            if db.dialect == "sqlite":
                cur.execute("EXPLAIN QUERY PLAN " + statement, params)
                out.append((statement, [str(r[3]) for r in cur.fetchall()]))
            else:
                cur.execute("EXPLAIN " + statement, params)
                out.append((statement, [str(r[0]).strip() for r in cur.fetchall()]))
    finally:
        raw.rollback()
        raw.close()
    return out


# What narrows a read of a history table to its answer: a key of the object asked for, or a range
# of time. A range of a key is not one: ``client_id>?`` is how SQLite reads ``client_id IS NOT NULL``.
_NARROW = re.compile(r"\b(?!practice_id\b)(\w+_id|id|rowid)=|\b(created_at|day|id|rowid)[<>]")


def _history_reads(db: Database, sent: list[tuple[str, Any]]) -> list[str]:
    """The steps that read a history table beyond the answer: a scan of it, or (SQLite) a search
    narrowed by the practice (and account) only, outside a LIMITed page."""
    found: list[str] = []
    for statement, plan in _plans(db, sent):
        for step in plan:
            words = step.replace("Seq Scan on ", "SCAN ").split()
            if len(words) < 2 or words[0] not in ("SCAN", "SEARCH") or words[1] not in _HISTORY_TABLES:
                continue
            narrowed = words[0] == "SEARCH" and (_NARROW.search(step) or "LIMIT" in statement.upper())
            if not narrowed:
                found.append(f"{step} <- {' '.join(statement.split())[:300]}")
    return found


def _history(ledger: Ledger) -> tuple[str, list[str]]:
    """A client with spent and open credit, a credit line removed, paid bills; and new sessions."""
    client, _ = a_prepaid_client(ledger, amount=40000)
    for _ in range(3):
        a_session_bill(ledger, client.id, fee=10000)
    bill = a_session_bill(ledger, client.id, fee=5000)
    ledger.delete_line(bill.id, bill.lines[0].id)
    ledger.manual_credit(client.id, 1234)
    other, _ = a_prepaid_client(ledger, "Bo Other", amount=5000)
    a_session_bill(ledger, other.id, fee=5000)
    return client.id, [ledger.appointment(client.id).id for _ in range(2)]


def test_no_hot_read_scans_a_history_table(ledger: Ledger) -> None:
    client_id, appointments = _history(ledger)
    reads: list[Callable[[], object]] = [
        lambda: ledger.look(credits.get_credits, client_id=client_id),
        lambda: ledger.look(billing.list_client_bills, client_id=client_id, limit=50),
        lambda: ledger.look(reports.credit_balances, as_of=TODAY),
        lambda: ledger.look(reports.credit_balances, as_of=TODAY - dt.timedelta(days=30)),
        lambda: ledger.look(reports.journal, start=None, end=None, limit=51, cursor=None),
        lambda: ledger.look(reports.journal, start=TODAY, end=TODAY, limit=51, cursor=None),
        lambda: ledger.look(reports.journal_csv, start=TODAY, end=TODAY),
        lambda: ledger.look(client_page_data, client_id=client_id),
        lambda: ledger.bill(client_id, appointments),
    ]
    for read in reads:
        with statements(ledger.db) as sent:
            read()
        assert _history_reads(ledger.db, _reads(sent)) == []


def _uses(db: Database, sent: list[tuple[str, Any]], marker: str, index: str) -> bool:
    """Every statement with ``marker`` reads through ``index`` (SQLite's planner, which without
    statistics chooses by the shape of the indexes; PostgreSQL's picks among them by table size, so
    there the no-sequential-scan test above is the plan check)."""
    if db.dialect != "sqlite":
        pytest.skip("the index a plan names is checked on SQLite; PostgreSQL chooses by table size")
    plans = [plan for statement, plan in _plans(db, sent) if marker in " ".join(statement.split())]
    assert plans, f"no statement with {marker!r}"
    return all(any(index in step for step in plan) for plan in plans)


def test_spending_credit_reads_only_lots_with_credit_left(ledger: Ledger) -> None:
    client_id, appointments = _history(ledger)
    with statements(ledger.db) as sent:
        bill = ledger.bill(client_id, appointments[:1])
    assert bill.lines[0].type == "client_credit"
    assert _uses(ledger.db, _reads(sent), "credit_lots.remaining > ", "ix_credit_lots_open")


def test_a_clients_credit_history_and_bills_read_through_their_client_indexes(ledger: Ledger) -> None:
    client_id, _ = _history(ledger)
    with statements(ledger.db) as sent:
        ledger.look(credits.get_credits, client_id=client_id)
    assert _uses(ledger.db, _reads(sent), "postings.client_id = ", "ix_postings_practice_client")
    with statements(ledger.db) as sent:
        ledger.look(billing.list_client_bills, client_id=client_id, limit=50)
    assert _uses(ledger.db, _reads(sent), "ORDER BY bills.id DESC", "ix_bills_practice_client")
    with statements(ledger.db) as sent:
        ledger.look(reports.credit_balances, as_of=TODAY - dt.timedelta(days=3))
    key = "sqlite_autoindex_client_credit_days" if ledger.db.dialect == "sqlite" else "pk_client_credit_days"
    assert _uses(ledger.db, _reads(sent), "FROM client_credit_days", key)


def test_a_clients_appointments_are_read_newest_first_along_their_client_index(ledger: Ledger) -> None:
    client_id, _ = _history(ledger)
    with statements(ledger.db) as sent:
        page = ledger.look(client_page_data, client_id=client_id)
    assert [a.date for a in page.appointments] == sorted((a.date for a in page.appointments), reverse=True)
    marker = "ORDER BY appointments.date DESC"
    assert _uses(ledger.db, _reads(sent), marker, "ix_appointments_practice_client_date")
    plans = [plan for statement, plan in _plans(ledger.db, _reads(sent)) if marker in " ".join(statement.split())]
    assert not any("TEMP B-TREE" in step for plan in plans for step in plan)  # no sort: the index's order


def test_journal_pages_run_oldest_first_by_time_and_seek_their_range(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Entries dated five days ago are written after today's, so their ids are the newer ones.
    today_client, _ = a_prepaid_client(ledger, "Today", amount=3000)
    a_session_bill(ledger, today_client.id, fee=1000)
    five_ago = TODAY - dt.timedelta(days=5)
    with on_day(monkeypatch, five_ago):
        back, _ = a_prepaid_client(ledger, "Back then", amount=2000)
        a_session_bill(ledger, back.id, fee=500)
    pages, cursor = [], None
    while True:
        page = ledger.look(reports.journal, start=None, end=None, limit=2, cursor=cursor)
        pages += page
        if len(page) < 2:
            break
        cursor = page[-1].id
    assert [(e.created_at.date(), e.kind) for e in pages] == [
        (five_ago, "prepayment"),
        (five_ago, "bill_created"),
        (TODAY, "prepayment"),
        (TODAY, "bill_created"),
    ]
    assert [e.id for e in ledger.look(reports.journal, start=TODAY, end=TODAY, limit=51, cursor=None)] == [
        e.id for e in pages[2:]
    ]
    assert ledger.look(reports.journal, start=None, end=None, limit=5, cursor="je_not_an_entry") == []
    with statements(ledger.db) as sent:
        ledger.look(reports.journal, start=TODAY, end=TODAY, limit=51, cursor=pages[2].id)
    if ledger.db.dialect == "sqlite":  # see _uses
        assert _uses(
            ledger.db, _reads(sent), "journal_entries.created_at >= ", "ix_journal_entries_practice_created_id"
        )


def test_a_clients_removed_credit_lines_are_found_through_their_partial_index(ledger: Ledger) -> None:
    client_id, _ = _history(ledger)  # one credit line removed
    with statements(ledger.db) as sent:
        history = ledger.look(credits.get_credits, client_id=client_id)
    assert any(m.removed_amount for m in history.history)
    if ledger.db.dialect == "sqlite":  # see _uses
        assert _uses(ledger.db, _reads(sent), "credit_line_removed", "ix_journal_entries_removals")


# --- the credit report as of any day -----------------------------------------------------------


def test_credit_balances_as_of_a_past_day_and_today_to_the_cent(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    ten_ago, five_ago = TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=5)
    with on_day(monkeypatch, ten_ago):
        ada, _ = a_prepaid_client(ledger, "Ada", amount=50001)
        bo = ledger.client("Bo")
        bo_lot = ledger.manual_credit(bo.id, 2510)
    with on_day(monkeypatch, five_ago):
        a_session_bill(ledger, ada.id, fee=15000)
        ledger.remove_credit(bo.id, bo_lot.id, 1005)
        cy = ledger.client("Cy")
    ledger.manual_credit(ada.id, 99)

    def report(day: dt.date) -> tuple[dict[str, int], int]:
        r = ledger.look(reports.credit_balances, as_of=day)
        return {c.name: c.credit_balance for c in r.clients}, r.total

    assert report(ten_ago - dt.timedelta(days=1)) == ({}, 0)
    assert report(ten_ago) == ({"Ada": 50001, "Bo": 2510}, 52511)
    assert report(ten_ago + dt.timedelta(days=2)) == ({"Ada": 50001, "Bo": 2510}, 52511)
    assert report(five_ago) == ({"Ada": 35001, "Bo": 1505, "Cy": 0}, 36506)
    assert report(TODAY) == ({"Ada": 35100, "Bo": 1505, "Cy": 0}, 36605)
    assert ledger.get_client(ada.id).credit_balance == 35100
    assert cy.credit_balance == 0
    assert ledger.verify() == []


def test_verify_finds_a_wrong_or_missing_day_of_credit(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    with on_day(monkeypatch, TODAY - dt.timedelta(days=3)):
        ada, _ = a_prepaid_client(ledger, "Ada", amount=20000)
    a_session_bill(ledger, ada.id, fee=5000)
    assert ledger.verify() == []
    days = client_credit_days.c

    def tamper(stmt: Any) -> None:
        ledger.run(lambda tx: tx.conn.execute(stmt))

    mine = days.practice_id == ledger.ctx.practice_id
    tamper(update(client_credit_days).where(mine, days.day == TODAY).values(credit_balance=15001))
    assert ledger.verify() == [
        f"client {ada.id} on {TODAY}: credit balance at the end of the day is 15001, journal says 15000"
    ]
    tamper(delete(client_credit_days).where(mine, days.day == TODAY))
    assert ledger.verify() == [f"client {ada.id} on {TODAY}: no credit balance for the day, journal says 15000"]


def test_credit_days_are_filled_from_an_existing_journal(database_url: str) -> None:
    db = Database(database_url)
    try:
        upgrade(db, "0005")
        with db.engine.begin() as conn:
            conn.execute(
                text("INSERT INTO practices (id, name, auto_apply_credit, created_at) VALUES ('p1', 'Old', true, :t)"),
                {"t": dt.datetime(2026, 1, 1)},
            )
            conn.execute(
                text(
                    "INSERT INTO clients (id, practice_id, name, billing, credit_balance, balance_due, created_at) "
                    "VALUES ('c1', 'p1', 'Ada', 'self_pay', 3000, 0, :t)"
                ),
                {"t": dt.datetime(2026, 1, 1)},
            )
            for n, (day, amount) in enumerate(
                (
                    (dt.datetime(2026, 1, 1, 9), -5000),
                    (dt.datetime(2026, 1, 1, 17), 1000),
                    (dt.datetime(2026, 1, 4, 9), 1000),
                ),
                1,
            ):
                conn.execute(
                    text("INSERT INTO journal_entries (id, practice_id, kind, created_at) VALUES (:e, 'p1', 'x', :t)"),
                    {"e": f"e{n}", "t": day},
                )
                for account, amt in (("client_credit", amount), ("cash:cash", -amount)):
                    conn.execute(
                        text(
                            "INSERT INTO postings (practice_id, entry_id, account, amount, client_id) "
                            "VALUES ('p1', :e, :a, :m, 'c1')"
                        ),
                        {"e": f"e{n}", "a": account, "m": amt},
                    )
        upgrade(db)
        with db.engine.connect() as conn:
            rows = conn.execute(
                select(client_credit_days.c.day, client_credit_days.c.credit_balance)
                .where(client_credit_days.c.practice_id == "p1")
                .order_by(client_credit_days.c.day)
            ).all()
    finally:
        db.dispose()
    assert [tuple(r) for r in rows] == [(dt.date(2026, 1, 1), 4000), (dt.date(2026, 1, 4), 3000)]


# --- verify, a chunk of clients at a time --------------------------------------------------------


def test_verify_in_small_chunks_finds_a_broken_projection_in_any_chunk(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verify_module, "CHUNK_POSTINGS", 4)
    people = []
    for n in range(6):
        client, _ = a_prepaid_client(ledger, f"Client {n}", amount=10000)
        a_session_bill(ledger, client.id, fee=4000)
        people.append(client.id)
    assert ledger.verify() == []
    with ledger.db.engine.connect() as conn:
        assert len(list(verify_module._client_ranges(conn, ledger.ctx.practice_id))) >= 3
    middle = sorted(people)[3]
    pid = ledger.ctx.practice_id
    ledger.run(
        lambda tx: tx.conn.execute(
            update(clients).where(clients.c.practice_id == pid, clients.c.id == middle).values(credit_balance=6001)
        )
    )
    ledger.run(
        lambda tx: tx.conn.execute(
            update(credit_lots)
            .where(credit_lots.c.practice_id == pid, credit_lots.c.client_id == middle)
            .values(remaining=6001)
        )
    )
    problems = ledger.verify()
    assert f"client {middle}: credit_balance is 6001, journal says 6000" in problems
    assert any(p.startswith("credit lot ") and "remaining is 6001, journal says 6000" in p for p in problems)
    assert all(middle in p or "lot" in p for p in problems)
