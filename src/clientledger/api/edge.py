"""The HTTP edge, in front of every route: security headers, body limits, the bearer token first.

Plain ASGI (not ``BaseHTTPMiddleware``), so that nothing here buffers a body:

- ``SecurityHeadersMiddleware``: every response (API, pages, static files, ``/docs``, redirects,
  errors, 500s) says ``nosniff`` and refuses to be framed.
- ``BodyLimitMiddleware``: a body above its limit (1 MiB; 25 MiB to an upload address) is 413
  ``payload_too_large``: at once when ``Content-Length`` says so, else as soon as the bytes
  streamed in pass the limit, the rest never reaching the route.
- ``BearerFirstMiddleware``: an API request without a valid bearer token is 401 before a byte of
  its body is read (FastAPI reads a body before it runs the dependencies that check the token). The
  ``Principal`` found is left in the request's state for ``deps.current_principal``.
- ``CardNumberGuardMiddleware``: an API body (not a file upload) that carries a card number in any
  field is refused, 422 ``validation_error``, before any route sees it: clientledger never receives
  a card number, so none reaches a log, a table or a replay. (Web forms are checked once their
  session is: ``web.context.action``.)
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any
from urllib.parse import parse_qsl

from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clientledger.api.errors import error_response
from clientledger.auth.service import Principal
from clientledger.kit.cards import REFUSED_MESSAGE, UNCHECKED_FORM_FIELDS, any_card_number, contains_card_number
from clientledger.kit.errors import Unauthorized

FRAME_ANCESTORS = "frame-ancestors 'none'"

# Added to every response that does not already carry them (pages set a fuller CSP of their own).
_SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)

#: Renders the 413 a browser gets for a page's form: ``(request, message) -> response``.
TooLargePage = Callable[[Request, str], Response]


def _secure(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    names = {name.lower() for name, _ in headers}
    out = list(headers)
    out += [(name, value) for name, value in _SECURITY_HEADERS if name not in names]
    for i, (name, value) in enumerate(out):
        if name.lower() == b"content-security-policy":
            if b"frame-ancestors" not in value:
                out[i] = (name, value + b"; " + FRAME_ANCESTORS.encode())
            break
    else:
        # /docs loads Swagger UI from a CDN with an inline script: a default-src would break it.
        out.append((b"content-security-policy", FRAME_ANCESTORS.encode()))
    return out


class SecurityHeadersMiddleware:
    """``nosniff``, ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` on every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secure(list(message.get("headers", ())))
            await send(message)

        await self.app(scope, receive, send_secured)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def _mib(size: int) -> str:
    mib = size / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{size} bytes"


class _TooLarge(HTTPException):
    def __init__(self, message: str) -> None:
        super().__init__(status_code=413, detail=message)


class BodyLimitMiddleware:
    """Refuse a body above ``limit`` bytes (``upload_limit`` for a POST to one of ``upload_paths``).

    By ``Content-Length`` the answer is immediate and the route never runs. A body without one
    (chunked) is counted as the route reads it: once past the limit, reading raises 413 (the API's
    error handler and the web's pages turn it into their 413), and whatever the route answers then,
    the client gets a 413.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        limit: int,
        upload_limit: int,
        upload_paths: Collection[str] = (),
        too_large_page: TooLargePage | None = None,
    ) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_paths = frozenset(upload_paths)
        self.too_large_page = too_large_page

    def _limit_for(self, scope: Scope) -> int:
        if scope.get("method") == "POST" and scope.get("path") in self.upload_paths:
            return self.upload_limit
        return self.limit

    def _message(self, scope: Scope, limit: int) -> str:
        if limit == self.upload_limit and scope.get("path") in self.upload_paths:
            return f"The file is larger than {_mib(limit)}; split it into smaller files."
        return f"The request body is larger than {_mib(limit)}."

    def _refusal(self, scope: Scope, message: str) -> Response:
        if self.too_large_page is not None and not is_api_path(scope.get("path", "")):
            return self.too_large_page(Request(scope), message)
        return error_response(413, "payload_too_large", message)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit_for(scope)
        message = self._message(scope, limit)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refusal(scope, message)(scope, receive, send)
            return

        received = 0
        exceeded = False
        started = False
        replaced = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _TooLarge(message)
            msg = await receive()
            if msg["type"] == "http.request":
                received += len(msg.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _TooLarge(message)
            return msg

        async def guarded_send(msg: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if msg["type"] == "http.response.start":
                if exceeded and msg["status"] != 413:
                    # The route caught the refusal and answered something else: the client gets the 413.
                    replaced = True
                    started = True
                    await self._refusal(scope, message)(scope, _no_body, send)
                    return
                started = True
            await send(msg)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
            if not started:
                await self._refusal(scope, message)(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


PRINCIPAL_STATE = "principal"


class RouteIndex:
    """Which API requests a route would serve (``Match.FULL``), worked out once from the routes.

    The same answer as asking every route's ``matches`` per request: an address without
    parameters is one dictionary lookup, one with parameters tries only the routes under the same
    first segment (``/bills/...``). A route that could match an API address without starting with
    the prefix (a leading parameter) or that is not a plain route (a mount) is still asked.
    """

    def __init__(self, routes: Sequence[BaseRoute], prefix: str) -> None:
        self.prefix = prefix
        self.exact: dict[str, list[Collection[str] | None]] = {}
        self.by_segment: dict[str, list[tuple[re.Pattern[str], Collection[str] | None]]] = {}
        self.others: list[BaseRoute] = []
        for route in routes:
            path = getattr(route, "path", None)
            regex = getattr(route, "path_regex", None)
            if not isinstance(route, Route) or not isinstance(path, str) or regex is None:
                self.others.append(route)
                continue
            methods: Collection[str] | None = route.methods
            if path == prefix or path.startswith(prefix + "/"):
                if "{" not in path:
                    self.exact.setdefault(path, []).append(methods)
                    continue
                segment = _first_segment(path, prefix)
                if "{" not in segment:
                    self.by_segment.setdefault(segment, []).append((regex, methods))
                    continue
                self.by_segment.setdefault("", []).append((regex, methods))
            elif prefix.startswith(path.split("{", 1)[0]) and "{" in path:
                self.by_segment.setdefault("", []).append((regex, methods))

    def serves(self, scope: Scope, path: str, method: str) -> bool:
        # A compiled route regex ends in "$", which also matches before one final newline.
        exact = self.exact.get(path[:-1] if path.endswith("\n") else path)
        if exact is not None and any(m is None or method in m for m in exact):
            return True
        for group in (self.by_segment.get(_first_segment(path, self.prefix)), self.by_segment.get("")):
            for regex, methods in group or ():
                if (methods is None or method in methods) and regex.match(path):
                    return True
        return any(route.matches(scope)[0] is Match.FULL for route in self.others)


def _first_segment(path: str, prefix: str) -> str:
    return path[len(prefix) + 1 :].split("/", 1)[0]


class BearerFirstMiddleware:
    """Check the bearer token of every API request that needs one before the route reads its body.

    ``authenticate(token)`` is ``auth.service.authenticate_with`` on the app's token reader (one
    autocommit read on the event loop: no transaction, no thread); ``router`` is the app's, whose
    routes are indexed at the first request (``RouteIndex``); ``open_routes`` are the
    ``(method, path)`` pairs that need no token (``GET /healthz``, ``POST /auth/tokens``).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        authenticate: Callable[[str], Awaitable[Principal]],
        router: Router,
        prefix: str,
        open_routes: Collection[tuple[str, str]],
    ) -> None:
        self.app = app
        self.authenticate = authenticate
        self.router = router
        self.prefix = prefix.rstrip("/")
        self.open_routes = frozenset(open_routes)
        self._index: RouteIndex | None = None

    def _needs_token(self, scope: Scope) -> bool:
        """An API route (an unknown path or method stays 404/405: no route reads its body) that is not open."""
        path: str = scope.get("path", "")
        if not (path == self.prefix or path.startswith(self.prefix + "/")):
            return False
        method: str = scope.get("method", "")
        if ("GET" if method == "HEAD" else method, path[len(self.prefix) :].rstrip("/") or "/") in self.open_routes:
            return False
        if self._index is None:  # the routes are all in place once requests arrive
            self._index = RouteIndex(self.router.routes, self.prefix)
        return self._index.serves(scope, get_route_path(scope), method)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._needs_token(scope):
            await self.app(scope, receive, send)
            return
        token = _bearer_token(scope)
        try:
            if token is None:
                raise Unauthorized("A bearer token is required: Authorization: Bearer <token>.")
            principal = await self.authenticate(token)
        except Unauthorized as exc:
            await error_response(401, exc.code, exc.message, headers={"WWW-Authenticate": "Bearer"})(
                scope, receive, send
            )
            return
        state: dict[str, Any] = scope.setdefault("state", {})
        state[PRINCIPAL_STATE] = principal
        await self.app(scope, receive, send)


_GUARDED_METHODS = frozenset({"POST", "PUT", "PATCH"})


def carries_card_number(body: bytes, content_type: str) -> bool:
    """Whether a request body holds a card number in any field (free text included)."""
    text = body.decode("utf-8", "replace")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return any(
            contains_card_number(k) or contains_card_number(v)
            for k, v in parse_qsl(text, keep_blank_values=True)
            if k not in UNCHECKED_FORM_FIELDS
        )
    if contains_card_number(text):
        return True
    try:
        parsed = json.loads(text)
    except ValueError:
        return False
    return any_card_number(parsed)


class CardNumberGuardMiddleware:
    """Refuse an API POST/PUT/PATCH whose body holds a card number, before any route reads it.

    It reads the body whole (``BodyLimitMiddleware``, outside it, bounds it; ``BearerFirstMiddleware``,
    outside it too, has refused a request without a token unread) and hands it on unchanged.
    Multipart bodies (835 uploads) are files, not fields people type: they pass. The number is
    never logged: the answer does not repeat it. ``unchecked_paths`` are bodies no person types,
    signed by their sender (Stripe's events, whose random ids can hold a Luhn-valid run of digits:
    refusing one would have Stripe retry it for days and the ledger never learn of it).
    """

    def __init__(self, app: ASGIApp, unchecked_paths: Collection[str] = ()) -> None:
        self.app = app
        self.unchecked_paths = frozenset(unchecked_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope.get("method") not in _GUARDED_METHODS
            or not is_api_path(scope.get("path", ""))
            or scope.get("path") in self.unchecked_paths
        ):
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type").lower()
        if content_type.startswith("multipart/"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and carries_card_number(body, content_type):
            await error_response(422, "validation_error", REFUSED_MESSAGE)(scope, _no_body, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """``messages`` again, then whatever the client sends next (its disconnect)."""
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await then()

    return receive


def _header(scope: Scope, wanted: bytes) -> str:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return bytes(value).decode("latin-1")
    return ""
