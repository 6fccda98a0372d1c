"""Logins, bearer tokens and their revocation.

Tokens are stored as SHA-256 digests (``auth.passwords``), expire, and can be revoked. Failed
logins are counted per email in the database, so the limit holds across every API worker process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, func, insert, select, update

from clientledger.audit.service import record_event
from clientledger.auth.passwords import token_digest, verify_password
from clientledger.db import Ctx, Database, utcnow
from clientledger.kit.errors import RateLimited, Unauthorized
from clientledger.kit.ids import new_id
from clientledger.models import api_tokens, login_attempts, users
from clientledger.practices.service import issue_token

MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = timedelta(minutes=15)

# Login attempts belong to no practice (one email may be staff in several); the unit of work
# still needs a context, and nothing written here is scoped by it.
_NO_PRACTICE = Ctx(practice_id="")


@dataclass(frozen=True)
class Principal:
    """Who a bearer token speaks for."""

    user_id: str
    practice_id: str
    role: str
    token_id: str


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime
    user_id: str
    practice_id: str
    role: str


def normalize_email(email: str) -> str:
    return email.strip().lower()


def login(db: Database, *, email: str, password: str, ttl: timedelta, request_id: str | None = None) -> IssuedToken:
    """Exchange email + password for a new bearer token; refuse after too many recent failures."""
    email = normalize_email(email)
    with db.transaction(_NO_PRACTICE, write=False) as tx:
        since = utcnow() - FAILED_LOGIN_WINDOW
        failures = tx.conn.execute(
            select(func.count())
            .select_from(login_attempts)
            .where(login_attempts.c.email == email, login_attempts.c.created_at >= since)
        ).scalar_one()
        candidates = tx.conn.execute(
            select(users.c.id, users.c.practice_id, users.c.role, users.c.password_hash)
            .where(users.c.email == email)
            .order_by(users.c.id)
        ).all()
    if failures >= MAX_FAILED_LOGINS:
        minutes = int(FAILED_LOGIN_WINDOW.total_seconds() // 60)
        raise RateLimited(f"Too many failed logins for this email; try again in {minutes} minutes.")
    user = next((u for u in candidates if verify_password(u.password_hash, password)), None)
    if user is None:
        if not candidates:
            verify_password(None, password)  # same time spent whether or not the email exists
        _record_failure(db, email)
        raise Unauthorized("The email or password is incorrect.")
    ctx = Ctx(practice_id=user.practice_id, user_id=user.id, request_id=request_id)
    with db.transaction(ctx) as tx:
        token = issue_token(tx, user_id=user.id, ttl=ttl)
        tx.conn.execute(delete(login_attempts).where(login_attempts.c.email == email))
        record_event(tx, action="auth.token_issued", object_ids=[user.id])
        expires_at = tx.now + ttl
    return IssuedToken(
        token=token, expires_at=expires_at, user_id=user.id, practice_id=user.practice_id, role=user.role
    )


def _record_failure(db: Database, email: str) -> None:
    with db.transaction(_NO_PRACTICE) as tx:
        tx.conn.execute(
            delete(login_attempts).where(
                login_attempts.c.email == email, login_attempts.c.created_at < tx.now - FAILED_LOGIN_WINDOW
            )
        )
        tx.conn.execute(insert(login_attempts).values(id=new_id("la"), email=email, created_at=tx.now))


# Built once: every request runs it, and building a statement costs more than running it.
_TOKEN_LOOKUP = (
    select(
        api_tokens.c.id,
        api_tokens.c.user_id,
        api_tokens.c.practice_id,
        api_tokens.c.expires_at,
        api_tokens.c.revoked_at,
        users.c.role,
    )
    .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
    .where(api_tokens.c.token_hash == bindparam("digest"))
)


def authenticate(db: Database, token: str) -> Principal:
    """The user a bearer token belongs to; 401 when it is unknown, expired or revoked.

    Checked against the database on every request, so a revocation holds at once in every worker.
    """
    with db.transaction(_NO_PRACTICE, write=False) as tx:
        row = tx.conn.execute(_TOKEN_LOOKUP, {"digest": token_digest(token)}).first()
    if row is None:
        raise Unauthorized("The bearer token is not valid.")
    if row.revoked_at is not None:
        raise Unauthorized("The bearer token has been revoked.")
    if row.expires_at <= utcnow():
        raise Unauthorized("The bearer token has expired.")
    return Principal(user_id=row.user_id, practice_id=row.practice_id, role=row.role, token_id=row.id)


def revoke_token(db: Database, ctx: Ctx, *, token_id: str) -> None:
    """Log out: the token stops working at once, in every worker (each request checks the database)."""
    with db.transaction(ctx) as tx:
        tx.conn.execute(
            update(api_tokens)
            .where(
                api_tokens.c.id == token_id,
                api_tokens.c.practice_id == tx.practice_id,
                api_tokens.c.revoked_at.is_(None),
            )
            .values(revoked_at=tx.now)
        )
        record_event(tx, action="auth.token_revoked", object_ids=[ctx.user_id, token_id])
