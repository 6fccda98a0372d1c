"""Login, token and session queries.

Login attempts and the session lookups belong to no practice (one email may be staff in several,
and a token is what tells the practice); every other statement is scoped by it. The bearer-token
lookup every API request makes is ``auth.token_reader``'s (one autocommit read, no transaction).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, insert, select, update

from clientledger.db import Database, Tx
from clientledger.kit.ids import new_id
from clientledger.models import api_tokens, login_attempts, practices, users


@dataclass(frozen=True, slots=True)
class LoginCandidate:
    """A staff account an email may log in to, with what checks the password."""

    id: str
    practice_id: str
    role: str
    password_hash: str


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A bearer token as every request checks it, with its user's role (read by ``auth.token_reader``)."""

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
    rows = tx.conn.execute(
        select(users.c.id, users.c.practice_id, users.c.role, users.c.password_hash)
        .where(users.c.email == email)
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
    return token_id


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
            )
            .select_from(
                api_tokens.join(users, users.c.id == api_tokens.c.user_id).join(
                    practices, practices.c.id == api_tokens.c.practice_id
                )
            )
            .where(
                api_tokens.c.token_hash == digest,
                api_tokens.c.kind == kind,
                api_tokens.c.revoked_at.is_(None),
            )
        ).first()
    return None if row is None else SessionRecord(*row)


def live_token_owner(db: Database, digest: str, *, kind: str) -> TokenOwner | None:
    with db.engine.connect() as conn:
        row = conn.execute(
            select(api_tokens.c.id, api_tokens.c.practice_id, api_tokens.c.user_id).where(
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
