"""Engine set-up and the unit of work.

Every use case runs inside ``db.transaction(ctx)``: one database transaction, committed in one
place, rolled back on any exception. Writers serialise per client: on PostgreSQL by
``SELECT ... FOR UPDATE`` on the client's row (see ``lock_client``); on SQLite by ``BEGIN IMMEDIATE``
(several processes) plus one process-wide writer baton (threads), which keeps tail latency low
because threads no longer spin on the file lock.

On SQLite, concurrent writers of one process also share commits (``CommitGroups``): a writer that
finishes while others wait for the baton hands it on without committing, each writer's work runs in
its own savepoint (a refusal rolls back only its own), and the last writer of the group commits for
all of them, so one fsync covers up to ``group_commit`` use cases. Nobody leaves ``transaction``
before that commit is on disk, not even a refusal (it may rest on what earlier members wrote): a
failed group commit fails every member that succeeded. PostgreSQL needs none of
this: concurrent commits already share WAL flushes in the server.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, RootTransaction, create_engine, event
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


#: Most use cases one SQLite commit covers (``CLIENTLEDGER_GROUP_COMMIT``; 1 turns grouping off).
DEFAULT_GROUP_COMMIT = 8


class Database:
    def __init__(self, url: str, *, echo: bool = False, group_commit: int | None = None) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, echo=echo)
        self.dialect = self.engine.dialect.name
        size = group_commit if group_commit is not None else _group_commit_from_env()
        self._groups = CommitGroups(self.engine, max_size=size) if self.dialect == "sqlite" else None

    @contextmanager
    def transaction(self, ctx: Ctx, *, write: bool = True, processor: PaymentProcessor | None = None) -> Iterator[Tx]:
        """One unit of work. Commits when the block ends normally, rolls back on any exception.

        Returns only once the work is committed; then runs its after-commit actions."""
        tx: Tx | None = None
        if write and self._groups is not None:
            with self._groups.member() as conn:
                tx = Tx(conn=conn, ctx=ctx, db=self, payment_processor=processor)
                yield tx
        else:
            with self.engine.connect().execution_options(clientledger_write=write) as conn, conn.begin():
                tx = Tx(conn=conn, ctx=ctx, db=self, payment_processor=processor)
                yield tx
        for action in tx._after_commit if tx else ():
            action()

    def dispose(self) -> None:
        self.engine.dispose()


def _group_commit_from_env() -> int:
    return max(1, int(os.environ.get("CLIENTLEDGER_GROUP_COMMIT", str(DEFAULT_GROUP_COMMIT))))


class GroupCommitFailed(RuntimeError):
    """The commit shared by a group of writers failed: none of their work was kept."""


@dataclass
class _Group:
    conn: Connection
    root: RootTransaction
    joined: int = 0  # writers that ran in it
    size: int = 0  # writers whose work it holds
    committed: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class CommitGroups:
    """SQLite writers of one process, one at a time, sharing commits (see the module's docstring)."""

    def __init__(self, engine: Engine, *, max_size: int) -> None:
        self.engine = engine
        self.max_size = max_size
        self._baton = threading.Lock()  # who may write now
        self._state = threading.Lock()  # guards _waiting
        self._waiting = 0  # writers queued for the baton: the group stays open for them
        self._open: _Group | None = None  # only touched by the baton's holder
        #: Commits made and use cases they covered, for tests and benchmarks.
        self.commits = 0
        self.members = 0

    @contextmanager
    def member(self) -> Iterator[Connection]:
        with self._state:
            self._waiting += 1
        self._baton.acquire()
        with self._state:
            self._waiting -= 1
        try:
            group = self._open or self._begin()
            # The group's first writer needs no savepoint: its failure rolls back the whole (empty) group.
            savepoint = group.conn.begin_nested() if group.joined else None
        except BaseException:
            self._close(self._open, failed=True)
            raise
        group.joined += 1
        try:
            yield group.conn
        except BaseException:
            if savepoint is None:
                self._close(group, failed=True)
                raise
            try:
                savepoint.rollback()
            except BaseException:
                self._close(group, failed=True)
                raise
            self._hand_on(group)
            # A refusal may rest on what earlier members wrote (a spent credit, a claimed replay
            # key): it is answered once that is committed too.
            group.committed.wait()
            raise
        try:
            if savepoint is not None:
                savepoint.commit()
        except BaseException:
            self._close(group, failed=True)
            raise
        group.size += 1
        self._hand_on(group)
        group.committed.wait()
        if group.error is not None:
            raise GroupCommitFailed("the shared commit failed; nothing of this use case was kept") from group.error

    def _begin(self) -> _Group:
        conn = self.engine.connect().execution_options(clientledger_write=True)
        try:
            root = conn.begin()
        except BaseException:
            conn.close()
            raise
        self._open = _Group(conn=conn, root=root)
        return self._open

    def _hand_on(self, group: _Group) -> None:
        """Holding the baton: keep the group open for a queued writer, or commit it."""
        with self._state:
            someone_waits = self._waiting > 0
        if someone_waits and group.size < self.max_size:
            self._baton.release()
        else:
            self._close(group, failed=False)

    def _close(self, group: _Group | None, *, failed: bool) -> None:
        """Holding the baton: commit the group (or roll it back), wake its members, pass the baton."""
        try:
            if group is not None:
                try:
                    if failed:
                        group.root.rollback()
                        group.error = GroupCommitFailed("a writer of this group failed mid-transaction")
                    else:
                        group.root.commit()
                        self.commits += 1
                        self.members += group.size
                except BaseException as exc:
                    group.error = exc
                    group.conn.invalidate()  # its transaction may still be open: never reuse it
                finally:
                    group.conn.close()
                    group.committed.set()
        finally:
            self._open = None
            self._baton.release()


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


def _lower(text: str | None) -> str | None:
    return None if text is None else str(text).lower()


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
        # lower() as PostgreSQL's: every letter, not ASCII's alone, so a client search for "émi"
        # finds "ÉMILE" and the list sorts the same on both databases.
        dbapi_conn.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred BEGIN that reads and then writes gets SQLITE_BUSY under contention.
        write = conn.get_execution_options().get("clientledger_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine
