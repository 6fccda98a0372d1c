"""The ledger's money use cases beside a raw-SQL floor measured in the same run, at the same concurrency.

The floor is the least a durable write can cost here: one transaction with one UPDATE of a
balance row and one INSERT, through the bare driver (``sqlite3`` / psycopg), one connection and one
balance row per thread. Each figure is the median of ``BENCH_ROUNDS`` rounds (default 3) of
``BENCH_N`` operations; the ratio says how much of the floor's budget the use case keeps (aim:
>= 0.5 for a bill with auto-applied credit). With several threads each thread bills its own client,
so they share the database and the practice but not a lock. Every run ends with ``verify``.

- bill: ``create_bill`` of one appointment, paid from the client's credit (auto-apply);
- bill from a package: the same, its session drawn from the client's prepaid package (its share
  below the fee, so a discount line too);
- bill from a household: the same, paid from another member's credit (the household's lock, the
  members' locks and their lots read first);
- card payment: ``add_payment`` by card (simulated processor) on a bill, charge included;
- card refund: ``refund_payment`` of such a payment, sent to the processor and settled after commit.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.factories import Ledger

from clientledger.db import Ctx, Database
from clientledger.migrate import upgrade
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name

N = int(os.environ.get("BENCH_N", "1000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
THREADS = (1, 8)
FEE = 15000
PG_URL = os.environ.get("CLIENTLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# One operation of one thread: (thread index, operation index within the round) -> None.
Op = Callable[[int, int], object]


def _rate(threads: int, per_thread: int, op: Op) -> float:
    """Operations per second of ``threads`` threads running ``per_thread`` operations each, started together."""
    start = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        start.wait()
        try:
            for i in range(per_thread):
                op(t, i)
        except BaseException as exc:  # reported below: a benchmark that fails must say so
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return threads * per_thread / elapsed


def _median(threads: int, per_thread: int, op_of_round: Callable[[int], Op]) -> float:
    return statistics.median(_rate(threads, per_thread, op_of_round(r)) for r in range(ROUNDS))


# -- the floors -------------------------------------------------------------------------------


def sqlite_floor(path: Path, threads: int, per_thread: int) -> float:
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE IF NOT EXISTS balance (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
    setup.execute("CREATE TABLE IF NOT EXISTS movement (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)")
    setup.executemany("INSERT OR IGNORE INTO balance VALUES (?, 0)", [(t,) for t in range(threads)])
    setup.close()
    conns = []
    for _ in range(threads):
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
            conn.execute(f"PRAGMA {pragma}")
        conns.append(conn)

    def one(t: int, _i: int) -> None:
        conn = conns[t]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE balance SET amount = amount + 1 WHERE id = ?", (t,))
        conn.execute("INSERT INTO movement VALUES (?, 1)", (uuid.uuid4().hex,))
        conn.execute("COMMIT")

    try:
        return _median(threads, per_thread, lambda _r: one)
    finally:
        for conn in conns:
            conn.close()


def postgres_floor(url: str, threads: int, per_thread: int) -> float:
    import psycopg

    u = make_url(url)
    params: dict[str, Any] = dict(
        host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, password=u.password or None
    )
    schema = f"bench_floor_{uuid.uuid4().hex[:8]}"
    admin = psycopg.connect(**params, autocommit=True)
    admin.execute(f"CREATE SCHEMA {schema}")
    admin.execute(f"CREATE TABLE {schema}.balance (id int PRIMARY KEY, amount bigint NOT NULL)")
    admin.execute(f"CREATE TABLE {schema}.movement (id text PRIMARY KEY, amount bigint NOT NULL)")
    for t in range(threads):
        admin.execute(f"INSERT INTO {schema}.balance VALUES (%s, 0)", (t,))
    conns = [psycopg.connect(**params) for _ in range(threads)]

    def one(t: int, _i: int) -> None:
        conn = conns[t]
        with conn.transaction():
            conn.execute(f"UPDATE {schema}.balance SET amount = amount + 1 WHERE id = %s", (t,))
            conn.execute(f"INSERT INTO {schema}.movement VALUES (%s, 1)", (uuid.uuid4().hex,))

    try:
        return _median(threads, per_thread, lambda _r: one)
    finally:
        for conn in conns:
            conn.close()
        admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


# -- the use cases ----------------------------------------------------------------------------


def bench_ledger(db: Database) -> Ledger:
    ensure_practice_and_owner(db, name="Bench", email="bench@example.com", password="bench-pass-1", ttl=timedelta(1))
    row = find_practice_by_name(db, "Bench")
    assert row is not None
    return Ledger(db, Ctx(practice_id=row.id))


def bills_with_credit(ledger: Ledger, threads: int, per_thread: int) -> float:
    """``create_bill`` with auto-applied credit: each thread bills its own prepaid client."""
    clients = [ledger.client(f"Bench {threads}x{t}") for t in range(threads)]
    appts: list[list[str]] = []
    for c in clients:
        ledger.prepay(c.id, "cash", FEE * (ROUNDS * per_thread + 10))
        appts.append([ledger.appointment(c.id, fee=FEE).id for _ in range(ROUNDS * per_thread)])
        for _ in range(5):  # warm: compiled statements, pages, pooled connections
            ledger.bill(c.id, [ledger.appointment(c.id, fee=FEE).id])

    def of_round(r: int) -> Op:
        return lambda t, i: ledger.bill(clients[t].id, [appts[t][r * per_thread + i]])

    return _median(threads, per_thread, of_round)


def bills_from_packages(ledger: Ledger, n: int) -> float:
    """``create_bill`` of one session drawn from a package (one thread): clients with a package of 10
    sessions each (a share of $100 below the $150 fee, so a discount line too), billed in turn."""
    per_package = 10
    clients = [ledger.client(f"Bench package client {c}") for c in range(-(-(ROUNDS * n + 5) // per_package))]
    appts: list[tuple[str, str]] = []
    for c in clients:
        ledger.sell_package(c.id, sessions=per_package, price=per_package * 10000, type="cash", name="Bench package")
        appts += [(c.id, ledger.appointment(c.id, fee=FEE).id) for _ in range(per_package)]
    for client_id, appt_id in appts[-5:]:  # warm
        ledger.bill(client_id, [appt_id])

    def of_round(r: int) -> Op:
        return lambda _t, i: ledger.bill(*_one(appts[r * n + i]))

    return _median(1, n, of_round)


def _one(appt: tuple[str, str]) -> tuple[str, list[str]]:
    return appt[0], [appt[1]]


def bills_from_a_household(ledger: Ledger, n: int) -> float:
    """``create_bill`` of a child's session paid from a parent's credit in a household (one thread)."""
    parent, child = ledger.client("Bench parent"), ledger.client("Bench child")
    ledger.prepay(parent.id, "cash", FEE * (ROUNDS * n + 10))
    ledger.household([parent.id, child.id], share_credit=True, name="Bench household")
    appts = [ledger.appointment(child.id, fee=FEE).id for _ in range(ROUNDS * n)]
    for _ in range(5):  # warm
        ledger.bill(child.id, [ledger.appointment(child.id, fee=FEE).id])

    def of_round(r: int) -> Op:
        return lambda _t, i: ledger.bill(child.id, [appts[r * n + i]])

    return _median(1, n, of_round)


def card_payments_and_refunds(ledger: Ledger, n: int) -> tuple[float, float]:
    """A card payment in full on each of ``n`` bills, then a full card refund of each (one thread)."""
    client = ledger.client("Bench card client")
    bills = [ledger.bill(client.id, [ledger.appointment(client.id, fee=FEE).id]).id for _ in range(ROUNDS * n + 5)]
    for bill_id in bills[-5:]:  # warm
        ledger.refund(str(ledger.pay(bill_id, "card", FEE, payment_method="pm_card_visa").payment_id))
    payment_ids: list[str] = []

    def pay_round(r: int) -> Op:
        def pay(_t: int, i: int) -> None:
            line = ledger.pay(bills[r * n + i], "card", FEE, payment_method="pm_card_visa")
            payment_ids.append(str(line.payment_id))

        return pay

    paid = _median(1, n, pay_round)

    def refund_round(r: int) -> Op:
        def refund(_t: int, i: int) -> None:
            assert ledger.refund(payment_ids[r * n + i]).status == "settled"

        return refund

    return paid, _median(1, n, refund_round)


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    rate: float
    floor: float

    def line(self) -> str:
        ratio = self.rate / self.floor
        return f"  {self.label:34s} {self.rate:8.0f} ops/s | raw floor {self.floor:8.0f} tx/s | ratio {ratio:.2f}"


def run_database(name: str, db: Database, floor: Callable[[int, int], float]) -> list[Figure]:
    upgrade(db)
    ledger = bench_ledger(db)
    figures = []
    for threads in THREADS:
        per_thread = max(1, N // threads)
        rate = bills_with_credit(ledger, threads, per_thread)
        figures.append(
            Figure(f"bill with credit, {threads} thread{'s' if threads > 1 else ''}", rate, floor(threads, per_thread))
        )
        print(figures[-1].line(), flush=True)
    single = floor(1, N)
    for label, bench in (
        ("bill from a package", bills_from_packages),
        ("bill from a household", bills_from_a_household),
    ):
        figures.append(Figure(f"{label}, 1 thread", bench(ledger, N), single))
        print(figures[-1].line(), flush=True)
    paid, refunded = card_payments_and_refunds(ledger, max(1, N // 2))
    one = floor(1, max(1, N // 2))
    for figure in (Figure("card payment, 1 thread", paid, one), Figure("card refund, 1 thread", refunded, one)):
        figures.append(figure)
        print(figure.line(), flush=True)
    problems = ledger.verify()
    print(f"  verify after the {name} run: {problems or 'clean'}", flush=True)
    if problems:
        raise SystemExit(f"verify found problems after the {name} benchmark")
    return figures


@contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    u = make_url(base)
    try:
        yield u.set(query={**u.query, "options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    print(f"\n== money use cases beside a raw-SQL floor (median of {ROUNDS} rounds of {N} operations) ==")
    print("SQLite (WAL, synchronous=FULL)")
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        try:
            run_database("SQLite", db, lambda threads, n: sqlite_floor(Path(tmp) / f"floor{threads}.db", threads, n))
        finally:
            db.dispose()
    try:
        with create_engine(PG_URL).connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # PostgreSQL is optional for a laptop run
        print(f"PostgreSQL: skipped ({exc.__class__.__name__}: {exc})")
        return
    print("PostgreSQL")
    with postgres_schema(PG_URL) as url:
        db = Database(url)
        try:
            run_database("PostgreSQL", db, lambda threads, n: postgres_floor(PG_URL, threads, n))
        finally:
            db.dispose()


if __name__ == "__main__":
    main()
