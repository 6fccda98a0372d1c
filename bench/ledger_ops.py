"""Service-level "create a bill with auto-applied credit" beside a raw-SQL floor, same database settings.

The floor is the least a durable write can cost here: one transaction with one UPDATE of a
balance row and one INSERT, through the bare driver. The ratio says how much of that budget the
ledger's use case keeps (aim: >= 0.5 on SQLite with synchronous=FULL).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from tests.factories import Ledger

from clientledger.db import Ctx, Database
from clientledger.migrate import upgrade
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name

N = int(os.environ.get("BENCH_N", "2000"))
PG_URL = os.environ.get("CLIENTLEDGER_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _rate(n: int, run: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(n):
        run(i)
    return n / (time.perf_counter() - start)


def service_rate(db: Database, n: int) -> float:
    ensure_practice_and_owner(db, name="Bench", email="bench@example.com", password="bench-pass-1", ttl=timedelta(1))
    row = find_practice_by_name(db, "Bench")
    assert row is not None
    ledger = Ledger(db, Ctx(practice_id=row.id))
    client = ledger.client("Bench Client")
    ledger.prepay(client.id, "cash", 15000 * (n + 10))
    appts = [ledger.appointment(client.id, fee=15000).id for _ in range(n)]
    for _i in range(20):  # warm caches (compiled statements, pages)
        ledger.bill(client.id, [ledger.appointment(client.id, fee=15000).id])
    rate = _rate(n, lambda i: ledger.bill(client.id, [appts[i]]))
    assert not ledger.verify()
    return rate


def sqlite_floor(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=30000"):
        conn.execute(f"PRAGMA {pragma}")
    conn.execute("CREATE TABLE balance (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
    conn.execute("CREATE TABLE movement (id TEXT PRIMARY KEY, amount INTEGER NOT NULL)")
    conn.execute("INSERT INTO balance VALUES (1, 0)")

    def one(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE balance SET amount = amount + 1 WHERE id = 1")
        conn.execute("INSERT INTO movement VALUES (?, 1)", (uuid.uuid4().hex,))
        conn.execute("COMMIT")

    rate = _rate(n, one)
    conn.close()
    return rate


def postgres_floor(url: str, n: int) -> float:
    import psycopg

    u = make_url(url)
    conn = psycopg.connect(
        host=u.host, port=u.port or 5432, user=u.username, dbname=u.database, password=u.password or None
    )
    schema = f"bench_floor_{uuid.uuid4().hex[:8]}"
    with conn.transaction():
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"CREATE TABLE {schema}.balance (id int PRIMARY KEY, amount bigint NOT NULL)")
        conn.execute(f"CREATE TABLE {schema}.movement (id text PRIMARY KEY, amount bigint NOT NULL)")
        conn.execute(f"INSERT INTO {schema}.balance VALUES (1, 0)")

    def one(i: int) -> None:
        with conn.transaction():
            conn.execute(f"UPDATE {schema}.balance SET amount = amount + 1 WHERE id = 1")
            conn.execute(f"INSERT INTO {schema}.movement VALUES (%s, 1)", (uuid.uuid4().hex,))

    try:
        return _rate(n, one)
    finally:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.commit()
        conn.close()


def _postgres_schema_url(base: str) -> tuple[str, Callable[[], None]]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    u = make_url(base)
    url = u.set(query={**u.query, "options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return url, drop


def _report(label: str, rate: float, floor: float) -> None:
    print(f"{label:31s} service {rate:8.0f} ops/s | raw floor {floor:8.0f} tx/s | ratio {rate / floor:.2f}")


def main() -> None:
    print(f"\n== create a bill with auto-applied credit (service level), {N} operations each ==")
    with tempfile.TemporaryDirectory() as tmp:
        floor = sqlite_floor(Path(tmp) / "floor.db", N)
        db = Database(f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        rate = service_rate(db, N)
        db.dispose()
    _report("SQLite (WAL, synchronous=FULL)", rate, floor)
    try:
        url, drop = _postgres_schema_url(PG_URL)
    except Exception as exc:  # PostgreSQL is optional for a laptop run
        print(f"PostgreSQL: skipped ({exc.__class__.__name__}: {exc})")
        return
    try:
        floor = postgres_floor(PG_URL, N)
        db = Database(url)
        upgrade(db)
        rate = service_rate(db, N)
        db.dispose()
    finally:
        drop()
    _report("PostgreSQL", rate, floor)


if __name__ == "__main__":
    main()
