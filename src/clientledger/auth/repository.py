"""Login, token and session queries.

Login attempts and the two lookups belong to no practice: ``email_directory`` (one email may be
staff in several) and ``token_directory`` (a bearer token is what tells the practice). A login or a
token is first looked up there; every statement on a tenant table is then scoped by the practice
found (docs/scaling.md). The bearer-token lookup every API request makes is ``token_reader``'s (one
autocommit read, no transaction).
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import psycopg
from sqlalchemy import Connection, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import make_url

from clientledger.db import Database, Tx
from clientledger.kit.ids import new_id
from clientledger.models import (
    api_tokens,
    email_directory,
    login_attempts,
    practices,
    same_practice,
    token_directory,
    users,
)


@dataclass(frozen=True, slots=True)
class LoginCandidate:
    """A staff account an email may log in to, with what checks the password."""

    id: str
    practice_id: str
    role: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A bearer token as every request checks it, with its user's role (read by ``auth.repository.token_reader``)."""

    id: str
    user_id: str
    practice_id: str
    expires_at: datetime
    revoked_at: datetime | None
    role: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A live session token with who it is for and in which practice."""

    id: str
    practice_id: str
    user_id: str
    last_used_at: datetime | None
    expires_at: datetime
    email: str
    role: str
    practice_name: str
    time_zone: str


@dataclass(frozen=True, slots=True)
class TokenOwner:
    id: str
    practice_id: str
    user_id: str


# Login attempts


def _email_lock_key(email: str) -> int:
    """A signed 64-bit key for ``pg_advisory_xact_lock``, the same in every worker process."""
    digest = hashlib.sha256(b"clientledger.login:" + email.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_login_email(tx: Tx, email: str) -> None:
    """Serialise every login attempt for ``email`` until this transaction ends, in every process.

    PostgreSQL: a transaction-scoped advisory lock keyed by the email (no row need exist yet).
    SQLite: a write transaction already holds the database's one write lock (``BEGIN IMMEDIATE``).
    """
    if tx.dialect == "postgresql":
        tx.conn.execute(select(func.pg_advisory_xact_lock(_email_lock_key(email))))


def recent_failures(tx: Tx, email: str, *, since: datetime) -> int:
    return int(
        tx.conn.execute(
            select(func.count())
            .select_from(login_attempts)
            .where(login_attempts.c.email == email, login_attempts.c.created_at >= since)
        ).scalar_one()
    )


def login_candidates(tx: Tx, email: str) -> list[LoginCandidate]:
    """Every account with this email, in any practice, oldest first."""
    practice_ids = list(
        tx.conn.execute(select(email_directory.c.practice_id).where(email_directory.c.email == email)).scalars()
    )
    if not practice_ids:
        return []
    rows = tx.conn.execute(
        select(users.c.id, users.c.practice_id, users.c.role, users.c.password_hash)
        .where(users.c.practice_id.in_(practice_ids), users.c.email == email)
        .order_by(users.c.id)
    )
    return [LoginCandidate(*r) for r in rows]


def clear_failures(tx: Tx, email: str) -> None:
    tx.conn.execute(delete(login_attempts).where(login_attempts.c.email == email))


def record_failure(tx: Tx, email: str, *, window: timedelta) -> None:
    """Count one failed login, forgetting those older than ``window``."""
    tx.conn.execute(
        delete(login_attempts).where(login_attempts.c.email == email, login_attempts.c.created_at < tx.now - window)
    )
    tx.conn.execute(insert(login_attempts).values(id=new_id("la"), email=email, created_at=tx.now))


# Tokens


def insert_token(tx: Tx, *, user_id: str, token_hash: str, kind: str, ttl: timedelta) -> str:
    token_id = new_id("tok")
    tx.conn.execute(
        insert(api_tokens).values(
            id=token_id,
            practice_id=tx.practice_id,
            user_id=user_id,
            token_hash=token_hash,
            kind=kind,
            created_at=tx.now,
            expires_at=tx.now + ttl,
        )
    )
    tx.conn.execute(insert(token_directory).values(token_hash=token_hash, practice_id=tx.practice_id))
    return token_id


# Built once: every session check runs it, and building a statement costs more than running it.
_TOKEN_PRACTICE = select(token_directory.c.practice_id).where(token_directory.c.token_hash == bindparam("digest"))


def token_practice(conn: Connection, digest: str) -> str | None:
    """The practice a token belongs to, from the global lookup (None: no such token)."""
    found = conn.execute(_TOKEN_PRACTICE, {"digest": digest}).scalar()
    return None if found is None else str(found)


def revoke_token(tx: Tx, token_id: str) -> None:
    tx.conn.execute(
        update(api_tokens)
        .where(
            api_tokens.c.id == token_id,
            api_tokens.c.practice_id == tx.practice_id,
            api_tokens.c.revoked_at.is_(None),
        )
        .values(revoked_at=tx.now)
    )


# Sessions (tokens of another kind)


def set_token_kind(tx: Tx, digest: str, kind: str) -> None:
    tx.conn.execute(
        update(api_tokens)
        .where(api_tokens.c.token_hash == digest, api_tokens.c.practice_id == tx.practice_id)
        .values(kind=kind)
    )


def live_session(db: Database, digest: str, *, kind: str) -> SessionRecord | None:
    """The unrevoked token of ``kind`` with this digest, its user and practice (expired ones too)."""
    with db.engine.connect() as conn:
        practice_id = token_practice(conn, digest)
        if practice_id is None:
            return None
        row = conn.execute(
            select(
                api_tokens.c.id,
                api_tokens.c.practice_id,
                api_tokens.c.user_id,
                api_tokens.c.last_used_at,
                api_tokens.c.expires_at,
                users.c.email,
                users.c.role,
                practices.c.name.label("practice_name"),
                practices.c.time_zone,
            )
            .select_from(
                api_tokens.join(users, same_practice(users, api_tokens, users.c.id == api_tokens.c.user_id)).join(
                    practices, practices.c.id == api_tokens.c.practice_id
                )
            )
            .where(
                api_tokens.c.practice_id == practice_id,
                api_tokens.c.token_hash == digest,
                api_tokens.c.kind == kind,
                api_tokens.c.revoked_at.is_(None),
            )
        ).first()
    return None if row is None else SessionRecord(*row)


def live_token_owner(db: Database, digest: str, *, kind: str) -> TokenOwner | None:
    with db.engine.connect() as conn:
        practice_id = token_practice(conn, digest)
        if practice_id is None:
            return None
        row = conn.execute(
            select(api_tokens.c.id, api_tokens.c.practice_id, api_tokens.c.user_id).where(
                api_tokens.c.practice_id == practice_id,
                api_tokens.c.token_hash == digest,
                api_tokens.c.kind == kind,
                api_tokens.c.revoked_at.is_(None),
            )
        ).first()
    return None if row is None else TokenOwner(*row)


def touch_token(tx: Tx, token_id: str, *, now: datetime, idle: timedelta) -> None:
    """Slide an idle timeout: used now, expires ``idle`` from now (unless revoked meanwhile)."""
    tx.conn.execute(
        update(api_tokens)
        .where(
            api_tokens.c.id == token_id,
            api_tokens.c.practice_id == tx.practice_id,
            api_tokens.c.revoked_at.is_(None),
        )
        .values(last_used_at=now, expires_at=now + idle)
    )


# The bearer-token lookup every API request makes: one autocommit read, on the event loop.
#
# The bearer-token lookup every API request makes: one autocommit read, on the event loop.
#
# ``Database.transaction`` costs a BEGIN, a COMMIT, a pooled connection and SQLAlchemy's per-
# transaction bookkeeping; run from the thread pool it also costs a hop there and back. A token
# lookup needs none of it: it is one SELECT by a unique digest, and whatever that one statement sees
# is committed. So the API's edge reads tokens here, without a transaction and without leaving the
# event loop:
#
# - SQLite: a connection of its own per thread (the event loop's, in practice), in autocommit mode
#   and ``query_only``. A reader in WAL mode never waits for the writer, so the read is a few
#   microseconds of C and does not block the loop in any way that matters.
# - PostgreSQL: psycopg's ``AsyncConnection`` in autocommit mode, a few per event loop, so the
#   round trip yields to other requests instead of blocking them.
#
# Every request still reads the database: a revoked or expired token is refused by the next request,
# in every worker process. Nothing is written: the API never records ``last_used_at`` (only web
# sessions do, at most once a minute each, to slide their idle timeout).

# The token is what tells the practice: the global ``token_directory`` gives it, and the tenant
# tables are then read within it (every join on the practice), all in one statement.
_LOOKUP = (
    "SELECT t.id, t.user_id, t.practice_id, t.expires_at, t.revoked_at, u.role"
    " FROM token_directory d"
    " JOIN api_tokens t ON t.practice_id = d.practice_id AND t.token_hash = d.token_hash"
    " JOIN users u ON u.practice_id = t.practice_id AND u.id = t.user_id"
    " WHERE d.token_hash = {param}"
)

#: Connections kept per event loop on PostgreSQL: lookups beyond this many at once wait their turn.
POSTGRES_CONNECTIONS = 4


class TokenReader(Protocol):
    async def find(self, digest: str) -> TokenRecord | None:
        """The token with this digest and its user's role, as committed now; ``None`` if unknown."""
        ...

    async def aclose(self) -> None: ...


def token_reader(database_url: str) -> TokenReader:
    """The reader for the database at ``database_url`` (the app's, as ``Database`` is given it)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if not url.database:
            raise ValueError("clientledger needs a SQLite file (sqlite:///path/to/file.db), not :memory:")
        return SqliteTokenReader(url.database)
    return PostgresTokenReader(database_url)


def _record(row: Sequence[Any]) -> TokenRecord:
    token_id, user_id, practice_id, expires_at, revoked_at, role = row
    return TokenRecord(
        id=token_id,
        user_id=user_id,
        practice_id=practice_id,
        expires_at=_datetime(expires_at),
        revoked_at=None if revoked_at is None else _datetime(revoked_at),
        role=role,
    )


def _datetime(value: datetime | str) -> datetime:
    """SQLite hands back the text SQLAlchemy stored (``YYYY-MM-DD HH:MM:SS[.ffffff]``)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class SqliteTokenReader:
    """One autocommit, read-only connection per thread; the statement runs to its end, so no read
    transaction outlives it (it would pin an old snapshot and hold back checkpoints)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._sql = _LOOKUP.format(param="?")
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA query_only=ON")
            # A WAL reader waits only while another connection recovers the WAL index (after a crash).
            conn.execute("PRAGMA busy_timeout=5000")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    async def find(self, digest: str) -> TokenRecord | None:
        rows = self._connection().execute(self._sql, (digest,)).fetchall()
        return _record(rows[0]) if rows else None

    async def aclose(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()


class _LoopConnections:
    """The connections of one event loop, at most ``size`` of them in use at once."""

    def __init__(self, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self.loop = loop
        self.idle: list[psycopg.AsyncConnection[Any]] = []
        self.slots = asyncio.Semaphore(size)

    def discard(self) -> None:
        """Close them without the loop (it may be gone): the socket is simply shut."""
        for conn in self.idle:
            conn.pgconn.finish()
        self.idle = []


class PostgresTokenReader:
    """A few autocommit ``AsyncConnection`` per event loop (one loop per worker process; a test
    client may bring another, and the previous loop's connections are then closed)."""

    def __init__(self, database_url: str, *, size: int = POSTGRES_CONNECTIONS) -> None:
        # The engine's URL as libpq reads it (host, database, user, ``options`` such as a search_path).
        self._conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._size = size
        self._sql = _LOOKUP.format(param="%s")
        self._pool: _LoopConnections | None = None

    def _loop_pool(self) -> _LoopConnections:
        loop = asyncio.get_running_loop()
        pool = self._pool
        if pool is None or pool.loop is not loop:
            if pool is not None:
                pool.discard()
            pool = self._pool = _LoopConnections(loop, self._size)
        return pool

    async def _connect(self) -> psycopg.AsyncConnection[Any]:
        return await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)

    async def find(self, digest: str) -> TokenRecord | None:
        pool = self._loop_pool()
        async with pool.slots:
            conn = pool.idle.pop() if pool.idle else None
            if conn is not None:
                try:
                    rows = await self._fetch(conn, digest)
                except psycopg.OperationalError:  # the server closed an idle connection: try a fresh one
                    await conn.close()
                    conn = None
            if conn is None:
                conn = await self._connect()
                try:
                    rows = await self._fetch(conn, digest)
                except BaseException:
                    await conn.close()
                    raise
            if pool is self._pool:
                pool.idle.append(conn)
            else:
                await conn.close()
        return _record(rows[0]) if rows else None

    async def _fetch(self, conn: psycopg.AsyncConnection[Any], digest: str) -> list[tuple[Any, ...]]:
        cur = await conn.execute(self._sql, (digest,))
        return await cur.fetchall()

    async def aclose(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if pool.loop is not asyncio.get_running_loop():
            pool.discard()
            return
        conns, pool.idle = pool.idle, []
        for conn in conns:
            await conn.close()
