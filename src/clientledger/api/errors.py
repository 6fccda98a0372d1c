"""Every error leaves the API as ``{"error": {"code", "message"}}``; no stack trace ever does.

One place maps our named errors, FastAPI's validation errors and Starlette's routing errors (404,
405) to that shape, so clients parse one format. Unexpected exceptions become a 500
``internal_error`` naming the request id (the log has the trace under the same id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from clientledger.kit.errors import ClientLedgerError

log = logging.getLogger("clientledger.api")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
}

# What each declared status means, for the OpenAPI description of every operation.
_DESCRIPTIONS = {
    400: "The request cannot apply to this object as it is now (`error`).",
    401: "Missing, invalid, expired or revoked bearer token (`unauthorized`).",
    402: "The card was declined (`card_declined`); nothing was recorded.",
    403: "The user's role may not do this (`forbidden`): clinicians only read.",
    404: "No such object in this practice, or no such route (`not_found`).",
    409: "Conflicts with the object's state or an earlier request (`idempotency_key_reused`, `conflict`, "
    "`use_refund`, `credit_already_used`, `insurance_paid`, `payment_deleted`, `bill_void`).",
    413: "The body is larger than 1 MiB (an upload: 25 MiB) (`payload_too_large`); nothing was read or changed.",
    422: "The request breaks a field rule or a money rule (`validation_error`, `insufficient_credit`, "
    "`exceeds_balance_due`, `exceeds_refundable`), or a card payment has no card to charge (`no_card_on_file`).",
    429: "Too many failed logins for this email (`rate_limited`).",
    503: "The payment processor could not be reached (`processor_unavailable`); nothing was recorded.",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


def declare(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for an operation: 401, 413 and 422 always, plus the given statuses."""
    return {s: {"model": ErrorResponse, "description": _DESCRIPTIONS[s]} for s in sorted({401, 413, 422, *statuses})}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def _request_id(request: Request) -> str:
    return str(getattr(request.state, "request_id", "") or "")


async def _ledger_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClientLedgerError)
    if exc.status_code >= 500 and exc.status_code != 503:
        log.error("request %s failed: %s", _request_id(request), exc.message)
        return _internal(request)
    return error_response(exc.status_code, exc.code, exc.message)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def validation_message(errors: list[Any]) -> str:
    """A readable sentence naming each bad field, e.g. ``amount: Input should be a valid integer``."""
    out = []
    for e in errors[:5]:
        if e.get("type") == "json_invalid":
            out.append("the request body is not valid JSON")
            continue
        where = _field_name(e.get("loc", ()))
        kind = {"query": "query parameter", "path": "path parameter", "header": "header"}.get(
            str(e.get("loc", ("",))[0]), "field"
        )
        out.append(f"{kind} {where!r}: {e.get('msg', 'is invalid')}")
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "Invalid request: " + "; ".join(out) + more + "."


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "validation_error", validation_message(list(exc.errors())))


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # FastAPI's only 400: a body it could not read (bytes that are not UTF-8 JSON).
        return error_response(422, "validation_error", "Invalid request: the body is not valid JSON.")
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    if exc.status_code == 404:
        message = f"Not found: {request.method} {request.url.path}."
    elif exc.status_code == 405:
        message = f"Method {request.method} is not allowed on {request.url.path}."
    else:
        message = str(exc.detail) if exc.detail else code.replace("_", " ").capitalize() + "."
    return error_response(exc.status_code, code, message, headers=dict(exc.headers or {}))


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value the schemas let through (a NUL character in text, on PostgreSQL)."""
    log.info("request %s: value refused by the database: %s", _request_id(request), exc)
    return error_response(422, "validation_error", "Invalid request: a value cannot be stored (e.g. a NUL character).")


def _internal(request: Request) -> JSONResponse:
    rid = _request_id(request)
    headers = {"X-Request-Id": rid} if rid else None
    return error_response(
        500, "internal_error", f"An internal error occurred (request id {rid or 'unknown'}).", headers=headers
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request %s failed", _request_id(request), exc_info=exc)
    return _internal(request)


def _wants_a_page(request: Request) -> bool:
    """A browser asking for a page outside the API; API paths and other clients keep the JSON shape."""
    path = request.url.path
    return not (path == "/api" or path.startswith("/api/")) and "text/html" in request.headers.get("accept", "")


def install_error_handlers(app: FastAPI, *, not_found_page: Callable[[Request], Response] | None = None) -> None:
    """Map every error to the JSON shape; ``not_found_page`` renders unknown web paths for browsers."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 404 and not_found_page is not None and _wants_a_page(request):
            return not_found_page(request)
        return await _http_error(request, exc)

    app.add_exception_handler(ClientLedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
