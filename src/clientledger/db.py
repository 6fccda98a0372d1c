"""Engine set-up and the unit of work.

Every use case runs inside ``db.transaction(ctx)``: one database transaction, committed in one
place, rolled back on any exception. Writers serialise per client: on PostgreSQL by
``SELECT ... FOR UPDATE`` on the client's row (see ``lock_client``); on SQLite by ``BEGIN IMMEDIATE``
(several processes) plus one process-wide lock (threads), which keeps tail latency low because
threads no longer spin on the file lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from clientledger.kit.processing import PaymentProcessor


@dataclass(frozen=True)
class Ctx:
    """Who is acting, in which practice, for which request: stamped on journal entries and audit events."""

    practice_id: str
    user_id: str | None = None
    request_id: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Tx:
    """An open transaction plus who is acting. Services receive one and never commit it."""

    conn: Connection
    ctx: Ctx
    db: Database
    now: datetime = field(default_factory=utcnow)
    payment_processor: PaymentProcessor | None = None
    _after_commit: list[Callable[[], None]] = field(default_factory=list)

    @property
    def dialect(self) -> str:
        return self.db.dialect

    @property
    def practice_id(self) -> str:
        return self.ctx.practice_id

    @property
    def processor(self) -> PaymentProcessor:
        """The app's payment processor, handed in by whoever opened this transaction (the runner)."""
        if self.payment_processor is None:
            raise RuntimeError("this transaction has no payment processor: run the use case through the runner")
        return self.payment_processor

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this transaction has committed (e.g. call a payment processor)."""
        self._after_commit.append(action)

    @property
    def has_after_commit_work(self) -> bool:
        return bool(self._after_commit)


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, echo=echo)
        self.dialect = self.engine.dialect.name
        self._writer_lock = threading.Lock() if self.dialect == "sqlite" else None

    @contextmanager
    def transaction(self, ctx: Ctx, *, write: bool = True, processor: PaymentProcessor | None = None) -> Iterator[Tx]:
        """One unit of work. Commits when the block ends normally, rolls back on any exception."""
        lock = self._writer_lock if write else None
        if lock is not None:
            lock.acquire()
        tx: Tx | None = None
        try:
            with self.engine.connect().execution_options(clientledger_write=write) as conn, conn.begin():
                tx = Tx(conn=conn, ctx=ctx, db=self, payment_processor=processor)
                yield tx
        finally:
            if lock is not None:
                lock.release()
        for action in tx._after_commit if tx else ():
            action()

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True)
class UnitOfWork:
    """For a use case that commits in several transactions itself (an 835 import, group by group)."""

    db: Database
    ctx: Ctx
    processor: PaymentProcessor | None = None

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Tx]:
        return self.db.transaction(self.ctx, write=write, processor=self.processor)


def make_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    return create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_engine(url: str, *, echo: bool) -> Engine:
    parsed = make_url(url)
    in_memory = parsed.database in (None, "", ":memory:")
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    if in_memory:
        raise ValueError("clientledger needs a SQLite file (sqlite:///path/to/file.db), not :memory:")
    engine = create_engine(url, echo=echo, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling issues a deferred BEGIN; we send ours (below).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred BEGIN that reads and then writes gets SQLITE_BUSY under contention.
        write = conn.get_execution_options().get("clientledger_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
