"""Browser sessions for the web UI: log in with email and password, slide an idle timeout, log out.

A session is an ``api_tokens`` row of kind ``session``: only the token's digest is stored, the
browser holds the token in an httpOnly cookie. Each use pushes ``expires_at`` to ``now + idle``
(written at most every ``_TOUCH_EVERY`` so that reading pages does not write on every request).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from clientledger.audit.service import record_event
from clientledger.auth import repository as repo
from clientledger.auth.passwords import token_digest
from clientledger.auth.service import login
from clientledger.db import Ctx, Database, utcnow
from clientledger.kit.days import DEFAULT_TIME_ZONE

SESSION_KIND = "session"
_TOUCH_EVERY = timedelta(seconds=30)


@dataclass(frozen=True)
class Session:
    token_id: str
    practice_id: str
    practice_name: str
    user_id: str
    email: str
    role: str
    time_zone: str = DEFAULT_TIME_ZONE  # the practice's: every day a page shows is a day there


def csrf_token_for(token: str) -> str:
    """The form token bound to a session: knowing it requires knowing the (httpOnly) session token."""
    return hmac.new(token.encode(), b"clientledger-csrf", hashlib.sha256).hexdigest()


def start_session(
    db: Database, *, email: str, password: str, idle: timedelta, request_id: str | None = None
) -> tuple[str, Session]:
    """Check ``email``/``password`` and open a session for the user.

    The password check, the failed-login limit and the choice among practices (an email may be
    staff in several: the oldest account whose password matches) are the API login's
    (``auth.service.login``); its new token becomes a ``session`` token that slides.
    Raises ``Unauthorized`` or ``RateLimited``.
    """
    issued = login(db, email=email, password=password, ttl=idle, request_id=request_id)
    ctx = Ctx(practice_id=issued.practice_id, user_id=issued.user_id, request_id=request_id)
    with db.transaction(ctx) as tx:
        repo.set_token_kind(tx, token_digest(issued.token), SESSION_KIND)
        record_event(tx, action="session.started", object_ids=[issued.user_id])
    session = resume_session(db, token=issued.token, idle=idle)
    assert session is not None
    return issued.token, session


def resume_session(db: Database, *, token: str, idle: timedelta) -> Session | None:
    """The live session behind ``token``, its idle timeout pushed forward; ``None`` if ended or unknown."""
    now = utcnow()
    row = repo.live_session(db, token_digest(token), kind=SESSION_KIND)
    if row is None or row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at >= _TOUCH_EVERY:
        with db.transaction(Ctx(practice_id=row.practice_id, user_id=row.user_id)) as tx:
            repo.touch_token(tx, row.id, now=now, idle=idle)
    return Session(
        token_id=row.id,
        practice_id=row.practice_id,
        practice_name=row.practice_name,
        user_id=row.user_id,
        email=row.email,
        role=row.role,
        time_zone=row.time_zone,
    )


def end_session(db: Database, *, token: str) -> None:
    """Log out: the token stops working at once."""
    row = repo.live_token_owner(db, token_digest(token), kind=SESSION_KIND)
    if row is None:
        return
    with db.transaction(Ctx(practice_id=row.practice_id, user_id=row.user_id)) as tx:
        repo.revoke_token(tx, row.id)
        record_event(tx, action="session.ended", object_ids=[row.user_id])
