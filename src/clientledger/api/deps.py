"""Request plumbing shared by every router: the bearer token, the runner, replay keys, request ids.

A handler receives a ``RequestContext``: the runner and who is acting (``Actor``: practice, user,
role, request id). It parses, hands the use case to the runner, and renders; the runner checks
the role, replays, runs the transaction and the after-commit work.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientledger.api.edge import PRINCIPAL_STATE
from clientledger.auth.repository import TokenReader
from clientledger.auth.service import Principal, authenticate_with
from clientledger.db import Ctx, Database
from clientledger.kit.errors import Unauthorized
from clientledger.service_layer import Actor, Replay, Runner

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
    """One API request: the runner, who is acting, and (for money requests) its replay key."""

    runner: Runner
    principal: Principal
    actor: Actor

    @property
    def db(self) -> Database:
        return self.runner.db

    @property
    def ctx(self) -> Ctx:
        return self.actor.ctx

    def read(self, query: Callable[..., T], /, **arguments: Any) -> T:
        """A query use case (the runner checks the role may read)."""
        return self.runner.read(self.actor, query, **arguments)

    def run(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        """A use case that moves no money, so takes no Idempotency-Key."""
        return self.runner.run(self.actor, use_case, **arguments)

    def answer(
        self, use_case: Callable[..., object], idem: IdempotencyRequest, /, *, status_code: int, **arguments: Any
    ) -> Response:
        """A money use case under the request's ``Idempotency-Key``, answered as first stored."""
        outcome = self.runner.outcome(self.actor, use_case, replay=idem.replay(status_code), **arguments)
        status = outcome.status_code if outcome.replayed else status_code
        if status == 204 or not outcome.body:
            response = Response(status_code=status)
        else:
            response = Response(content=outcome.body, status_code=status, media_type="application/json")
        if outcome.replayed:
            response.headers[REPLAY_HEADER] = "true"
        return response


REPLAY_HEADER = "Idempotent-Replayed"


@dataclass(frozen=True)
class IdempotencyRequest:
    """The ``Idempotency-Key`` header and what it is bound to (method, path, body)."""

    key: str | None
    method: str = ""
    path: str = ""
    content: bytes | str = b""

    def replay(self, status_code: int) -> Replay | None:
        if self.key is None:
            return None
        return Replay.api(self.key, method=self.method, path=self.path, body=self.content, status_code=status_code)


async def idempotency_request(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            description="Retry-safe key, scoped to the practice: the same key and body replay the first "
            "answer; the same key with another method, path or body is 409 `idempotency_key_reused`.",
        ),
    ] = None,
) -> IdempotencyRequest:
    if idempotency_key is None:
        return IdempotencyRequest(key=None)
    return IdempotencyRequest(
        key=idempotency_key, method=request.method, path=request.url.path, content=await request.body()
    )


Idem = Annotated[IdempotencyRequest, Depends(idempotency_request)]


def get_runner(request: Request) -> Runner:
    runner: Runner = request.app.state.runner
    return runner


def get_db(request: Request) -> Database:
    return get_runner(request).db


def request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or uuid.uuid4().hex)


async def current_principal(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Principal:
    """The token's user: found by ``BearerFirstMiddleware`` before the body was read, so not looked up again.

    (Async: the usual case does no I/O; without the middleware the token is read as it would have read it.)
    """
    found = request.scope.get("state", {}).get(PRINCIPAL_STATE)
    if isinstance(found, Principal):
        return found
    if credentials is None or not credentials.credentials:
        raise Unauthorized("A bearer token is required: Authorization: Bearer <token>.")
    reader: TokenReader = request.app.state.token_reader
    return await authenticate_with(reader, credentials.credentials)


async def request_context(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> RequestContext:
    """Any signed-in user; what their role may do is checked inside each use case.

    Async because it does no I/O: a sync dependency would cost a thread-pool round trip per request.
    """
    actor = Actor(
        practice_id=principal.practice_id,
        user_id=principal.user_id,
        role=principal.role,
        request_id=request_id(request),
    )
    return RequestContext(runner=get_runner(request), principal=principal, actor=actor)


Staff = Annotated[RequestContext, Depends(request_context)]
"""A signed-in staff member: owner, biller or clinician (the use case checks the role)."""


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: Annotated[int, Query(ge=1, le=200, description="Page size (at most 200)")] = 50,
    cursor: Annotated[str | None, Query(max_length=64, description="`next_cursor` of the previous page")] = None,
) -> PageParams:
    """Async because it does no I/O (a sync dependency costs a thread-pool round trip)."""
    return PageParams(limit=limit, cursor=cursor or None)


Paging = Annotated[PageParams, Depends(page_params)]
