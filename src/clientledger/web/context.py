"""One web request's context: who is logged in, the form they sent, and how to answer.

Every page resolves the session cookie (``page``); every form POST also checks the CSRF token and
reads the form (``action``). A form POST hands one use case to the runner under the form's
one-time code (``Web.submit``): the runner checks the role, runs it once, and a second submit of
the same form gets the first answer and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from clientledger.auth.sessions import Session, csrf_token_for, resume_session
from clientledger.kit.cards import REFUSED_MESSAGE as CARD_NUMBER_REFUSED
from clientledger.kit.cards import UNCHECKED_FORM_FIELDS, contains_card_number
from clientledger.kit.days import PracticeDay
from clientledger.kit.errors import AlreadySubmitted, ClientLedgerError, ValidationFailed
from clientledger.kit.money import format_cents, parse_dollars
from clientledger.kit.schemas import Day
from clientledger.kit.use_cases import Permission, may
from clientledger.service_layer import Actor, Replay, Runner
from clientledger.web.labels import SIMULATOR_TEST_CARDS, said
from clientledger.web.templating import templates

SESSION_COOKIE = "clientledger_session"
FLASH_COOKIE = "clientledger_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
NONCE_FIELD = "nonce"
DEFAULT_IDLE = timedelta(minutes=30)

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_DAY: TypeAdapter[dt.date] = TypeAdapter(Day)


class LoginRequired(Exception):
    """No live session: the browser goes to the login page (and comes back after)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfRejected(Exception):
    """A form without this session's CSRF token: refused with 403, nothing runs."""


def runner(request: Request) -> Runner:
    found: Runner = request.app.state.runner
    return found


def idle_timeout(request: Request) -> timedelta:
    idle: timedelta = getattr(request.app.state, "web_session_idle", DEFAULT_IDLE)
    return idle


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


@dataclass
class Web:
    """The logged-in staff member's request: read pages, submit use cases, answer."""

    request: Request
    runner: Runner
    session: Session
    token: str
    form: FormData | None = None
    request_id: str = ""

    def __post_init__(self) -> None:
        # The request id the API's middleware put on the request (and echoes as X-Request-Id).
        if not self.request_id:
            self.request_id = getattr(self.request.state, "request_id", None) or f"web-{uuid.uuid4().hex}"

    @property
    def actor(self) -> Actor:
        s = self.session
        return Actor(practice_id=s.practice_id, user_id=s.user_id, role=s.role, request_id=self.request_id)

    @property
    def csrf(self) -> str:
        return csrf_token_for(self.token)

    @property
    def htmx(self) -> bool:
        return is_htmx(self.request)

    @property
    def days(self) -> PracticeDay:
        """The practice's days: what "today" and every shown date mean on its pages."""
        return PracticeDay(self.session.time_zone)

    def can(self, permission: Permission | str) -> bool:
        """Whether this staff member's role may do it: pages leave out the controls they may not use."""
        return may(self.session.role, Permission(permission))

    # -- reading ---------------------------------------------------------------------------
    def read(self, query: Callable[..., T], /, **arguments: Any) -> T:
        return self.runner.read(self.actor, query, **arguments)

    # -- the submitted form ----------------------------------------------------------------
    def field(self, name: str) -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else ""

    def checked(self, name: str) -> bool:
        return self.field(name) in ("on", "true", "1", "yes")

    def amount(self, name: str = "amount", *, label: str = "Amount", required: bool = True) -> int | None:
        """Dollars typed by a person (``30``, ``30.00``, ``$1,234.56``) as cents."""
        text = self.field(name)
        if not text:
            if required:
                raise ValidationFailed(f"{label}: enter an amount in dollars, like 30 or 30.00.")
            return None
        try:
            cents = parse_dollars(text)
        except ValueError:
            raise ValidationFailed(
                f"{label}: {text!r} is not an amount in dollars; write it like 30 or 30.00."
            ) from None
        if cents <= 0 and required:
            raise ValidationFailed(f"{label} must be more than $0.00.")
        return cents

    def day(self, name: str = "date", *, label: str = "Date", required: bool = True) -> dt.date | None:
        """A day typed as ``YYYY-MM-DD`` in the form (see ``typed_day``); blank is None unless required."""
        text = self.field(name)
        if not text and not required:
            return None
        return typed_day(text, label=label)

    # -- writing ---------------------------------------------------------------------------
    def submit(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        """Run one use case under this form's one-time code: the same form sent twice is one action,
        and the second is told so."""
        replay = Replay.web_form(self._form_code(), path=self.request.url.path)
        outcome = self.runner.outcome(self.actor, use_case, replay=replay, **arguments)
        if outcome.replayed:
            raise AlreadySubmitted("This was already submitted.")
        return outcome.result

    def _form_code(self) -> str:
        nonce = self.field(NONCE_FIELD)
        if not _NONCE.match(nonce):
            raise ValidationFailed("This form is out of date: reload the page and try again.")
        return nonce

    # -- answering -------------------------------------------------------------------------
    def context(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "session": self.session,
            "days": self.days,
            "can": self.can,
            "test_cards": SIMULATOR_TEST_CARDS if self.runner.processor.name == "simulated" else (),
            "csrf_token": self.csrf,
            "new_nonce": new_nonce,
            "htmx": self.htmx,
            **values,
        }

    def render(self, name: str, status_code: int = 200, **values: Any) -> Response:
        """A whole page (with the flash message left by the previous action, shown once)."""
        flash = unquote(self.request.cookies.get(FLASH_COOKIE, ""))
        response = templates.TemplateResponse(
            self.request, name, self.context({"flash": flash, **values}), status_code=status_code
        )
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        return no_store(response)

    def fragment(self, name: str, status_code: int = 200, **values: Any) -> Response:
        """Part of a page, for htmx to swap in."""
        return no_store(templates.TemplateResponse(self.request, name, self.context(values), status_code=status_code))

    def render_form(
        self, fragment: str, *, title: str, error: str | None = None, status_code: int = 200, **values: Any
    ) -> Response:
        """A dialog's content for htmx, or the same form as a page of its own without JavaScript."""
        values = {"error": error, "title": title, **values}
        if self.htmx:
            return self.fragment(fragment, status_code=status_code, **values)
        return self.render("form_page.html", status_code=status_code, fragment=fragment, **values)

    def refused(self, fragment: str, err: ClientLedgerError, *, title: str, **values: Any) -> Response:
        """The form again, with the reason it was refused next to it; nothing was changed."""
        status = err.status_code if 400 <= err.status_code < 500 else 422
        message = said(err)
        return self.render_form(fragment, title=title, error=message, status_code=status, form=self.form, **values)

    def done(self, url: str, flash: str) -> Response:
        """After a successful action: go to ``url`` and say what happened there."""
        response: Response
        if self.htmx:
            response = Response(status_code=200, headers={"HX-Redirect": url})
        else:
            response = RedirectResponse(url, status_code=303)
        response.set_cookie(FLASH_COOKIE, quote(flash), httponly=True, samesite="lax", path="/", max_age=60)
        return response

    def build(self, model: type[M], **data: Any) -> M:
        """A service's input model from form values; what it refuses reads as a sentence."""
        try:
            return model(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = " ".join(str(p) for p in first["loc"]).replace("_", " ").capitalize()
            bound = _dollar_bound(model, first)
            if bound is not None:
                raise ValidationFailed(f"{where} must be {bound}.") from None
            raise ValidationFailed(f"{where}: {first['msg']}.") from None


_BOUND_WORDS = {
    "less_than_equal": "at most",
    "less_than": "less than",
    "greater_than": "more than",
    "greater_than_equal": "at least",
}


def _dollar_bound(model: type[BaseModel], error: Any) -> str | None:
    """``at most $1,000,000,000.00`` for a cents field out of bounds; people type dollars, not cents."""
    words = _BOUND_WORDS.get(error["type"])
    field = model.model_fields.get(str(error["loc"][0])) if error["loc"] else None
    if words is None or field is None or "cents" not in (field.description or "").lower():
        return None
    limit = next(iter(error.get("ctx", {}).values()), None)
    return f"{words} {format_cents(limit)}" if isinstance(limit, int) else None


def typed_day(text: str, *, label: str = "Date") -> dt.date:
    """A day a person typed (a form field or a page's query), by the API's rules for a day: ``YYYY-MM-DD``
    only, so ``03/09/2026`` cannot mean March in one browser and September in another."""
    try:
        return _DAY.validate_python(text.strip())
    except ValidationError:
        shown = f"{text!r} is not a day" if text else "enter a day"
        raise ValidationFailed(
            f"{label}: {shown}; write it as YYYY-MM-DD, like 2026-03-09 (from 1900-01-01 to 9999-12-30)."
        ) from None


def optional_day(text: str | None, *, label: str) -> dt.date | None:
    """``typed_day``, or None when left blank (a page's query: blank means its default)."""
    return typed_day(text, label=label) if text and text.strip() else None


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _session_from(request: Request) -> tuple[str, Session]:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(expired=False)
    session = resume_session(runner(request).db, token=token, idle=idle_timeout(request))
    if session is None:
        raise LoginRequired(expired=True)
    return token, session


def page(request: Request) -> Web:
    """Dependency of every page: the logged-in staff member, or off to /login."""
    token, session = _session_from(request)
    return Web(request=request, runner=runner(request), session=session, token=token)


async def read_form(request: Request) -> FormData:
    return await request.form()


async def action(request: Request) -> Web:
    """Dependency of every form POST: a live session, this session's CSRF token, and no card number
    in any field (clientledger never takes one; a file upload's contents are not fields).

    The session is checked before the form is read: a POST without one sends nobody's body anywhere.
    """
    token, session = await run_in_threadpool(_session_from, request)
    form = await request.form()
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token_for(token)):
        raise CsrfRejected("CSRF token missing or wrong")
    if any(
        contains_card_number(k) or (isinstance(v, str) and contains_card_number(v))
        for k, v in form.multi_items()
        if k not in UNCHECKED_FORM_FIELDS
    ):
        # Refused before any use case runs: the page says why, and nothing changes.
        raise ValidationFailed(CARD_NUMBER_REFUSED)
    return Web(request=request, runner=runner(request), session=session, token=token, form=form)
