"""Logins, bearer tokens and their revocation.

Tokens are stored as SHA-256 digests (``auth.passwords``), expire, and can be revoked. Failed
logins are counted per email in the database, and each attempt is counted before its password is
checked under a per-email lock, so the limit holds however many logins arrive at once, in every
API worker process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from clientledger.audit.service import record_event
from clientledger.auth import repository as repo
from clientledger.auth.passwords import token_digest, verify_password
from clientledger.auth.repository import TokenReader
from clientledger.db import Ctx, Database, utcnow
from clientledger.kit.errors import RateLimited, Unauthorized
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
    """Exchange email + password for a new bearer token; refuse after too many recent failures.

    After ``MAX_FAILED_LOGINS`` failures for an email within ``FAILED_LOGIN_WINDOW``, every login
    for it is refused (``RateLimited``), the right password included, until the oldest ages out.
    A success clears the email's failures.
    """
    email = normalize_email(email)
    candidates = _admit_attempt(db, email)
    user = next((u for u in candidates if verify_password(u.password_hash, password)), None)
    if user is None:
        if not candidates:
            verify_password(None, password)  # same time spent whether or not the email exists
        raise Unauthorized("The email or password is incorrect.")  # the admitted attempt stays a failure
    ctx = Ctx(practice_id=user.practice_id, user_id=user.id, request_id=request_id)
    with db.transaction(ctx) as tx:
        token = issue_token(tx, user_id=user.id, ttl=ttl)
        repo.clear_failures(tx, email)
        record_event(tx, action="auth.token_issued", object_ids=[user.id])
        expires_at = tx.now + ttl
    return IssuedToken(
        token=token, expires_at=expires_at, user_id=user.id, practice_id=user.practice_id, role=user.role
    )


def _admit_attempt(db: Database, email: str) -> list[repo.LoginCandidate]:
    """Count the email's recent failures and, below the limit, record this attempt as one: in one
    step, serialised per email across threads and processes.

    The attempt is written as a failure before its password is checked (and removed if it turns
    out right), so however many logins arrive at once at most ``MAX_FAILED_LOGINS`` passwords are
    checked per window; a login that dies mid-way counts as failed.
    """
    with db.transaction(_NO_PRACTICE) as tx:
        repo.lock_login_email(tx, email)
        failures = repo.recent_failures(tx, email, since=tx.now - FAILED_LOGIN_WINDOW)
        if failures < MAX_FAILED_LOGINS:
            repo.record_failure(tx, email, window=FAILED_LOGIN_WINDOW)
            return repo.login_candidates(tx, email)
    minutes = int(FAILED_LOGIN_WINDOW.total_seconds() // 60)
    raise RateLimited(f"Too many failed logins for this email; try again in {minutes} minutes.")


async def authenticate_with(reader: TokenReader, token: str) -> Principal:
    """The user a bearer token belongs to; 401 when it is unknown, expired or revoked.

    One autocommit read of the committed row (``auth.repository.token_reader``: no transaction, no thread) on
    every request, so a revocation holds at once in every worker.
    """
    return principal_of(await reader.find(token_digest(token)))


def principal_of(row: repo.TokenRecord | None) -> Principal:
    """Who a token found by its digest speaks for, now; ``Unauthorized`` if unknown, revoked or expired."""
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
        repo.revoke_token(tx, token_id)
        record_event(tx, action="auth.token_revoked", object_ids=[ctx.user_id, token_id])
