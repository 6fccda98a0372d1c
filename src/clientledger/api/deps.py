"""Request plumbing shared by every router: the database, the bearer token, roles, request ids.

A handler receives a ``RequestContext``: the database, who is acting (``Principal``) and the
``Ctx`` that stamps journal entries and audit events with the user and the request id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientledger.auth.service import Principal, authenticate
from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import Forbidden, Unauthorized

REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="A token from `POST /api/v1/auth/tokens`.")


class RequestIdMiddleware:
    """Takes the caller's ``X-Request-Id`` (or makes one) and echoes it on the response.

    Plain ASGI rather than ``BaseHTTPMiddleware``: it sits on every request, the hot path included.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                rid = value.decode("latin-1")
                break
        if not _REQUEST_ID_OK.match(rid):
            rid = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid
        raw = rid.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", ()) if k != b"x-request-id"]
                headers.append((b"x-request-id", raw))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


@dataclass(frozen=True)
class RequestContext:
    db: Database
    principal: Principal
    ctx: Ctx


def read(rc: RequestContext, query: Callable[[Tx], T]) -> T:
    """Run a query in a read-only transaction (no write lock on SQLite)."""
    with rc.db.transaction(rc.ctx, write=False) as tx:
        return query(tx)


def write(rc: RequestContext, use_case: Callable[[Tx], T]) -> T:
    """Run a use case that moves no money (so needs no idempotency key) in one transaction."""
    with rc.db.transaction(rc.ctx) as tx:
        return use_case(tx)


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or uuid.uuid4().hex)


def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    if credentials is None or not credentials.credentials:
        raise Unauthorized("A bearer token is required: Authorization: Bearer <token>.")
    return authenticate(get_db(request), credentials.credentials)


def _context(request: Request, principal: Principal) -> RequestContext:
    ctx = Ctx(practice_id=principal.practice_id, user_id=principal.user_id, request_id=request_id(request))
    return RequestContext(db=get_db(request), principal=principal, ctx=ctx)


def require_role(*roles: str) -> Callable[[Request, Principal], Awaitable[RequestContext]]:
    """A dependency letting only ``roles`` through (403 otherwise); no roles given: any signed-in user.

    Async because it does no I/O: a sync dependency would cost a thread-pool round trip per request.
    """

    async def dependency(
        request: Request, principal: Annotated[Principal, Depends(current_principal)]
    ) -> RequestContext:
        if roles and principal.role not in roles:
            raise Forbidden(f"The {principal.role} role may not do this.")
        return _context(request, principal)

    return dependency


Reader = Annotated[RequestContext, Depends(require_role())]
"""Any signed-in user: owner, biller or clinician."""

Writer = Annotated[RequestContext, Depends(require_role("owner", "biller"))]
"""Staff who change things and move money: clinicians only read."""

Owner = Annotated[RequestContext, Depends(require_role("owner"))]


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Page size (at most 200)")] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description="`next_cursor` of the previous page")] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=cursor or None)


Paging = Annotated[PageParams, Depends(page_params)]
