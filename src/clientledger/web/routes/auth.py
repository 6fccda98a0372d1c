"""Log in, log out, and the front door."""

from __future__ import annotations

import hmac
import secrets

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from clientledger.auth.sessions import end_session, resume_session, start_session
from clientledger.kit.errors import RateLimited, Unauthorized
from clientledger.web.context import (
    SESSION_COOKIE,
    Web,
    action,
    idle_timeout,
    no_store,
    page,
    read_form,
    runner,
)
from clientledger.web.routing import safe_next, web_router
from clientledger.web.templating import templates

router = web_router()

LOGIN_CSRF_COOKIE = "clientledger_login_csrf"


def _login_page(
    request: Request,
    *,
    next_url: str,
    email: str = "",
    error: str | None = None,
    expired: bool = False,
    status: int = 200,
) -> Response:
    login_csrf = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {
            "session": None,
            "login_csrf": login_csrf,
            "next": next_url,
            "email": email,
            "error": error,
            "expired": expired,
        },
        status_code=status,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, login_csrf, httponly=True, samesite="strict", path="/login")
    return no_store(response)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/clients", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str = "/clients", expired: str = "") -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token and resume_session(runner(request).db, token=token, idle=idle_timeout(request)):
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, next_url=safe_next(next), expired=expired == "1")


@router.post("/login")
def login(request: Request, form: FormData = Depends(read_form)) -> Response:
    email = str(form.get("email") or "").strip()
    password = str(form.get("password") or "")
    next_url = safe_next(str(form.get("next") or ""))
    sent = str(form.get("csrf_token") or "")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not expected or not hmac.compare_digest(sent, expected):
        return _login_page(
            request,
            next_url=next_url,
            email=email,
            error="The login form expired. Please try again.",
            status=403,
        )
    if "\x00" in email or "\x00" in password:
        # No database stores a NUL character (PostgreSQL refuses the query): say so, as the API does.
        error = "Email and password cannot contain a NUL character."
        return _login_page(request, next_url=next_url, email=email.replace("\x00", ""), error=error, status=422)
    try:
        token, _ = start_session(runner(request).db, email=email, password=password, idle=idle_timeout(request))
    except Unauthorized:
        return _login_page(request, next_url=next_url, email=email, error="Email or password is incorrect.", status=401)
    except RateLimited as err:
        return _login_page(request, next_url=next_url, email=email, error=err.message, status=429)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/logout")
def logout_page(web: Web = Depends(page)) -> Response:
    return web.render("logout.html")


@router.post("/logout")
def logout(web: Web = Depends(action)) -> Response:
    end_session(web.runner.db, token=web.token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
