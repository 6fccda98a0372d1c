"""Reads with a long history beside the same reads without it, and ``verify`` at both sizes.

Two databases, each with one practice built the same way through the real use cases: a benchmark
client (a prepayment and a few bills), a billing client (whose new bills measure bill creation),
and ``BENCH_HISTORY_CLIENTS`` history clients, each with one cycle (a prepayment, a bill paid from
it, a bill paid in cash). In the second ("history"), each history client's cycle is then cloned in
bulk SQL with fresh ids on past days until the journal holds ``BENCH_HISTORY_POSTINGS`` postings
(every clone nets to zero, so every projection stays right and ``verify`` stays clean). Both get
table statistics (PostgreSQL's ANALYZE, as autovacuum would). Each read then runs on the empty
database and on the one with history in turn, so both see the same machine; each figure is the
median of 3 runs. ``verify`` runs in a subprocess (time, peak RSS).

Env knobs: BENCH_HISTORY_POSTINGS (1000000), BENCH_HISTORY_CLIENTS (200), BENCH_HISTORY_BILLS
(100 bills per run), BENCH_HISTORY_READS (20 calls per run), BENCH_HISTORY_VERIFY_RUNS (3),
CLIENTLEDGER_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Table, create_engine, func, select, text, update
from tests.factories import Ledger

from bench.ledger_ops import PG_URL, postgres_schema
from clientledger.accounting import history
from clientledger.billing import service as billing
from clientledger.credits import service as credits
from clientledger.db import Ctx, Database
from clientledger.kit.ids import _encode
from clientledger.migrate import upgrade
from clientledger.models import (
    appointments,
    bill_items,
    bill_lines,
    bill_numbers,
    bills,
    clients,
    credit_lots,
    journal_entries,
    line_lots,
    payments,
    postings,
)
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name
from clientledger.reports import service as reports
from clientledger.web.routes.clients import client_page_data

POSTINGS = int(os.environ.get("BENCH_HISTORY_POSTINGS", "1000000"))
HISTORY_CLIENTS = int(os.environ.get("BENCH_HISTORY_CLIENTS", "200"))
BILLS = int(os.environ.get("BENCH_HISTORY_BILLS", "100"))
READS = int(os.environ.get("BENCH_HISTORY_READS", "20"))
RUNS = 3
VERIFY_RUNS = int(os.environ.get("BENCH_HISTORY_VERIFY_RUNS", "3"))
FEE = 15000
TODAY = dt.datetime.now(dt.UTC).date()
PAST_DAY = TODAY - timedelta(days=30)
CLONES_PER_DAY = 20


class Practice:
    """The practice, its clients, and appointments waiting to be billed."""

    def __init__(self, db: Database) -> None:
        ensure_practice_and_owner(
            db, name="History", email="history@example.com", password="bench-pass-1", ttl=timedelta(1)
        )
        row = find_practice_by_name(db, "History")
        assert row is not None
        self.practice_id = row.id
        self.ledger = Ledger(db, Ctx(practice_id=row.id))
        led = self.ledger
        self.client = led.client("Benchmark Client").id
        led.prepay(self.client, "cash", 4 * FEE)
        for _ in range(3):
            led.bill(self.client, [led.appointment(self.client, fee=FEE).id])
        self.payer = led.client("Billing Client").id
        led.prepay(self.payer, "cash", FEE * (RUNS * BILLS + 10))
        self.waiting = [led.appointment(self.payer, fee=FEE).id for _ in range(RUNS * BILLS + 5)]
        for n in range(HISTORY_CLIENTS):
            c = led.client(f"History {n:05d}").id
            led.prepay(c, "cash", FEE)
            led.bill(c, [led.appointment(c, fee=FEE).id])
            second = led.bill(c, [led.appointment(c, fee=FEE).id])
            led.pay(second.id, "cash", FEE)


# --- bulk history: clones of the history clients' rows, fresh ids, past days ---------------------

_KEYS = ("id", "bill_id", "appointment_id", "payment_id", "line_id", "lot_id", "entry_id", "item_id")
_ORDER = (appointments, bills, bill_items, payments, bill_lines, credit_lots, line_lots, journal_entries, postings)


def _fresh(column: str) -> str:
    """A clone's id: the original's prefix, the clone's time, the original's last 10 characters
    and a clone number in lower case (never in an original id), so ids stay unique, the right
    length and in time order. The last characters, not the first random ones: ids made in one
    millisecond by one process count up from one random start, so only their tail differs."""
    return (
        f"(substr(t.{column}, 1, length(t.{column}) - 26) || c.tprefix || "
        f"substr(t.{column}, length(t.{column}) - 9, 10) || c.suffix)"
    )


def _template(table: Table) -> str:
    history_clients = "SELECT id FROM clients WHERE practice_id = :p AND name LIKE 'History %'"
    history_bills = f"SELECT id FROM bills WHERE practice_id = :p AND client_id IN ({history_clients})"
    if "client_id" in table.c and table.name != "journal_entries":
        return f"t.client_id IN ({history_clients})"
    if table.name == "journal_entries":
        return f"t.client_id IN ({history_clients})"
    if table.name == "line_lots":
        return f"t.line_id IN (SELECT id FROM bill_lines WHERE practice_id = :p AND bill_id IN ({history_bills}))"
    return f"t.bill_id IN ({history_bills})"


def _clone(conn: Connection, practice_id: str, copies: int) -> None:
    conn.execute(
        text("CREATE TEMPORARY TABLE bench_clones (n INTEGER, tprefix VARCHAR(10), suffix VARCHAR(6), at TIMESTAMP)")
    )
    rows = []
    for n in range(copies):
        at = dt.datetime.combine(TODAY - timedelta(days=1 + n // CLONES_PER_DAY), dt.time(8)) + timedelta(
            seconds=n % CLONES_PER_DAY
        )
        ms = int(at.replace(tzinfo=dt.UTC).timestamp() * 1000)
        rows.append({"n": n, "tprefix": _encode(ms, 10), "suffix": f"x{n:05d}", "at": at})
    conn.execute(text("INSERT INTO bench_clones VALUES (:n, :tprefix, :suffix, :at)"), rows)
    span = int(
        conn.execute(
            select(func.coalesce(func.max(bills.c.number), 0)).where(bills.c.practice_id == practice_id)
        ).scalar_one()
    )
    for table in _ORDER:
        names = [c.name for c in table.c if not (table.name == "postings" and c.name == "id")]
        values = [_fresh(n) if n in _KEYS else "c.at" if n == "created_at" else f"t.{n}" for n in names]
        if table.name == "bills":  # numbers are unique per practice: each clone's bills come after all
            values[names.index("number")] = "(t.number + (c.n + 1) * :span)"
        conn.execute(
            text(
                f"INSERT INTO {table.name} ({', '.join(names)}) SELECT {', '.join(values)} "
                f"FROM {table.name} t CROSS JOIN bench_clones c WHERE t.practice_id = :p AND {_template(table)}"
            ),
            {"p": practice_id, "span": span},
        )
    conn.execute(
        update(bill_numbers).where(bill_numbers.c.practice_id == practice_id).values(last_number=(span * (copies + 1)))
    )
    conn.execute(text("DROP TABLE bench_clones"))
    history.rebuild(conn, practice_id)


def grow(db: Database, practice: Practice) -> int:
    """Clone the history until the practice's journal holds about ``POSTINGS`` postings; their count."""
    with db.engine.begin() as conn:
        have = _postings(conn, practice.practice_id)
        per_copy = conn.execute(
            select(func.count())
            .select_from(postings)
            .where(
                postings.c.practice_id == practice.practice_id,
                postings.c.client_id.in_(
                    select(clients.c.id).where(
                        clients.c.practice_id == practice.practice_id, clients.c.name.like("History %")
                    )
                ),
            )
        ).scalar_one()
        copies = max(0, (POSTINGS - have) // max(per_copy, 1))
        _clone(conn, practice.practice_id, copies)
    with db.engine.connect() as conn:
        return _postings(conn, practice.practice_id)


def _postings(conn: Connection, practice_id: str) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(postings).where(postings.c.practice_id == practice_id)
        ).scalar_one()
    )


# --- measuring ----------------------------------------------------------------------------------


def _rate(calls: int, run: Callable[[int], object], first: int) -> float:
    start = time.perf_counter()
    for i in range(calls):
        run(first + i)
    return calls / (time.perf_counter() - start)


def _reads(practice: Practice) -> dict[str, Callable[[int], object]]:
    led, c = practice.ledger, practice.client
    waiting = practice.waiting
    return {
        "client credits (lots, history)": lambda _: led.look(credits.get_credits, client_id=c),
        "client page (appointments, bills)": lambda _: led.look(client_page_data, client_id=c),
        "client bills list (50)": lambda _: led.look(billing.list_client_bills, client_id=c, limit=50),
        "credit-balances report, today": lambda _: led.look(reports.credit_balances, as_of=TODAY),
        f"credit-balances report, {PAST_DAY}": lambda _: led.look(reports.credit_balances, as_of=PAST_DAY),
        "journal page (51, oldest)": lambda _: led.look(reports.journal, start=None, end=None, limit=51, cursor=None),
        "journal page (51, today)": lambda _: led.look(reports.journal, start=TODAY, end=TODAY, limit=51, cursor=None),
        "journal CSV, today": lambda _: led.look(reports.journal_csv, start=TODAY, end=TODAY),
        "bill creation (credit applied)": lambda i: led.bill(practice.payer, [waiting[i]]),
    }


def measure(empty: Practice, full: Practice) -> dict[str, tuple[float, float]]:
    """Each read's rate on the empty database and on the one with history, median of ``RUNS``,
    the two taken in turn so that both see the same machine."""
    out = {}
    for (name, on_empty), on_full in zip(_reads(empty).items(), _reads(full).values(), strict=True):
        writes = name.startswith("bill creation")
        calls = BILLS if writes else READS
        if not writes:  # warm caches (a bill would use up a waiting appointment)
            on_empty(0)
            on_full(0)
        rates: tuple[list[float], list[float]] = ([], [])
        for r in range(RUNS):
            rates[0].append(_rate(calls, on_empty, r * calls))
            rates[1].append(_rate(calls, on_full, r * calls))
        out[name] = (statistics.median(rates[0]), statistics.median(rates[1]))
    return out


def verify_in_subprocess(url: str) -> dict[str, Any]:
    """``verify`` in a fresh process: its time, its peak resident memory, and what it found."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.history", "--verify", url], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _verify_child(url: str) -> None:
    import resource

    from clientledger.accounting.verify import verify

    db = Database(url)
    start = time.perf_counter()
    with db.engine.connect() as conn:
        problems = verify(conn)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak, "problems": len(problems), "first": problems[:3]}))


def _analyze(db: Database) -> None:
    """What autovacuum does after a bulk load (and soon after a schema is made): table statistics."""
    if db.dialect == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))


def run(label: str, empty_url: str, full_url: str) -> None:
    dbs = [Database(empty_url), Database(full_url)]
    practices = []
    for db in dbs:
        upgrade(db)
        practices.append(Practice(db))
    with dbs[0].engine.connect() as conn:
        small = _postings(conn, practices[0].practice_id)
    start = time.perf_counter()
    big = grow(dbs[1], practices[1])
    built = time.perf_counter() - start
    for db in dbs:
        _analyze(db)
    figures = measure(*practices)
    verified = [[verify_in_subprocess(url) for _ in range(VERIFY_RUNS)] for url in (empty_url, full_url)]
    for db in dbs:
        db.dispose()
    print(f"\n{label}: {small} postings vs {big} postings (history cloned in {built:.0f} s); ops/s, median of {RUNS}")
    print(f"  {'':38s} {'empty':>9s} {'history':>9s}  ratio")
    for name, (on_empty, on_full) in figures.items():
        print(f"  {name:38s} {on_empty:9.0f} {on_full:9.0f}  {on_full / on_empty:.2f}")
    for name, v in zip(("verify, empty", "verify, history"), verified, strict=True):
        secs = statistics.median(x["seconds"] for x in v)
        peak = statistics.median(x["peak_mb"] for x in v)
        found = max(x["problems"] for x in v)
        print(f"  {name:38s} {secs:8.2f} s  peak {peak:6.0f} MB  problems {found} {v[-1]['first'] if found else ''}")
    print(f"  (peak memory includes the interpreter and imports; median of {VERIFY_RUNS} runs)")


def main() -> None:
    print(f"\n== reads flat in history: ~{POSTINGS} postings vs empty ==")
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/empty.db", f"sqlite:///{tmp}/history.db")
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # PostgreSQL is optional for a laptop run
        print(f"PostgreSQL: skipped ({exc.__class__.__name__}: {exc})")
        return
    with postgres_schema(PG_URL) as empty, postgres_schema(PG_URL) as full:
        run("PostgreSQL", empty, full)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--verify"]:
        _verify_child(sys.argv[2])
    else:
        main()
