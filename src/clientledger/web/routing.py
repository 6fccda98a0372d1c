"""The web router's route class: every failure becomes a page (or an htmx message), never a trace.

Only the web UI's routes use it, so the JSON API keeps its own error handling.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from clientledger.kit.errors import ClientLedgerError, NotFound
from clientledger.web.context import CsrfRejected, LoginRequired, is_htmx, no_store
from clientledger.web.labels import said
from clientledger.web.templating import templates

log = logging.getLogger("clientledger.web")

CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
STRIPE_JS = "https://js.stripe.com"
# With Stripe, the card form is Stripe Elements: its script and frames come from Stripe, and it talks to Stripe's API.
STRIPE_CSP = (
    f"default-src 'self'; script-src 'self' {STRIPE_JS}; frame-src {STRIPE_JS} https://hooks.stripe.com; "
    "connect-src 'self' https://api.stripe.com; img-src 'self' data: https://*.stripe.com; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)


def csp_for(request: Request) -> str:
    """The pages' Content-Security-Policy: Stripe's card form needs its own script and frames."""
    runner = getattr(request.app.state, "runner", None)
    processor = getattr(runner, "processor", None)
    return STRIPE_CSP if getattr(processor, "name", "") == "stripe" else CSP


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//host`` or a full URL) may follow a login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/clients"
    return target


def login_redirect(request: Request, *, expired: bool) -> Response:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if is_htmx(request):
        current = request.headers.get("HX-Current-URL", "")
        parts = urlsplit(current)
        here = parts.path + (f"?{parts.query}" if parts.query else "") if parts.path else "/clients"
    target = f"/login?next={quote(safe_next(here))}" + ("&expired=1" if expired else "")
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def error_response(request: Request, *, status_code: int, title: str, message: str) -> Response:
    """A whole error page, or for htmx the message in the page's alert area."""
    if is_htmx(request):
        response = templates.TemplateResponse(
            request, "partials/alert.html", {"message": message}, status_code=status_code
        )
        response.headers["HX-Retarget"] = "#page-alert"
        response.headers["HX-Reswap"] = "innerHTML"
        return no_store(response)
    response = templates.TemplateResponse(
        request, "error.html", {"title": title, "message": message, "session": None}, status_code=status_code
    )
    return no_store(response)


async def _answer(handler: Handler, request: Request) -> Response:
    try:
        return await handler(request)
    except LoginRequired as exc:
        return login_redirect(request, expired=exc.expired)
    except CsrfRejected:
        return error_response(
            request,
            status_code=403,
            title="Form expired",
            message="This form could not be checked (it may be from an older login). "
            "Reload the page and try again; nothing was changed.",
        )
    except StarletteHTTPException as exc:
        if exc.status_code != 413:
            raise
        # The body grew past its limit while the form was read (BodyLimitMiddleware).
        return too_large_page(request, str(exc.detail))
    except NotFound as exc:
        return error_response(request, status_code=404, title="Not found", message=said(exc))
    except ClientLedgerError as exc:
        status = exc.status_code if 400 <= exc.status_code < 600 else 400
        return error_response(request, status_code=status, title="Not done", message=said(exc))
    except Exception:
        log.exception("web request failed: %s %s", request.method, request.url.path)
        return error_response(
            request,
            status_code=500,
            title="Something went wrong",
            message="Something went wrong on our side and the page could not be shown. "
            "The problem was logged; please try again.",
        )


def _secured(response: Response, request: Request) -> Response:
    """A page's own CSP; ``nosniff`` and the refusal of framing go on every response at the edge."""
    response.headers.setdefault("Content-Security-Policy", csp_for(request))
    return response


def too_large_page(request: Request, message: str) -> Response:
    """The 413 a form gets when what it sends (an 835 file) is larger than the site accepts."""
    return _secured(
        error_response(request, status_code=413, title="Too large", message=message + " Nothing was changed."),
        request,
    )


def not_found_page(request: Request) -> Response:
    """The page a browser gets for an address that is no page of the web UI."""
    message = "There is no page at this address. It may have been mistyped, or the link may be out of date."
    return _secured(error_response(request, status_code=404, title="Not found", message=message), request)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            return _secured(await _answer(handler, request), request)

        return guarded


def web_router() -> APIRouter:
    return APIRouter(route_class=WebRoute, include_in_schema=False)
