"""One web request's context: who is logged in, the form they sent, and how to answer.

Every page resolves the session cookie (``page``); every form POST also checks the CSRF token and
reads the form (``action``). A form POST runs one use case in one transaction together with the
form's one-time nonce (``Web.submit``), so a second submit of the same form changes nothing.
"""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import quote, unquote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.datastructures import FormData

from clientledger.auth.sessions import Session, csrf_token_for, resume_session
from clientledger.db import Ctx, Database, Tx
from clientledger.kit.errors import ClientLedgerError, ValidationFailed
from clientledger.kit.money import format_cents, parse_dollars
from clientledger.payments import service as payments
from clientledger.payments.processors.base import Charge
from clientledger.web import nonces
from clientledger.web.labels import dollars_in_message
from clientledger.web.nonces import AlreadySubmitted
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


class LoginRequired(Exception):
    """No live session: the browser goes to the login page (and comes back after)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("login required")
        self.expired = expired


class CsrfRejected(Exception):
    """A form without this session's CSRF token: refused with 403, nothing runs."""


def database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


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
    db: Database
    session: Session
    token: str
    form: FormData | None = None
    request_id: str = ""

    def __post_init__(self) -> None:
        # The request id the API's middleware put on the request (and echoes as X-Request-Id).
        if not self.request_id:
            self.request_id = getattr(self.request.state, "request_id", None) or f"web-{uuid.uuid4().hex}"

    @property
    def ctx(self) -> Ctx:
        return Ctx(practice_id=self.session.practice_id, user_id=self.session.user_id, request_id=self.request_id)

    @property
    def csrf(self) -> str:
        return csrf_token_for(self.token)

    @property
    def htmx(self) -> bool:
        return is_htmx(self.request)

    # -- reading ---------------------------------------------------------------------------
    def read(self, query: Callable[[Tx], T]) -> T:
        with self.db.transaction(self.ctx, write=False) as tx:
            return query(tx)

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

    # -- writing ---------------------------------------------------------------------------
    def submit(self, use_case: Callable[[Tx], T]) -> T:
        """Run one use case with this form's nonce in one transaction; a replayed form is refused."""
        key = self._nonce_key()
        try:
            with self.db.transaction(self.ctx) as tx:
                nonces.claim(tx, key=key, path=self.request.url.path)
                return use_case(tx)
        except IntegrityError:
            if nonces.used(self.db, self.ctx, key):
                raise AlreadySubmitted("This was already submitted.") from None
            raise

    def submit_payment(
        self, *, method: str, amount: int, card_number: str | None, use_case: Callable[[Tx, Charge | None], T]
    ) -> T:
        """Like ``submit``, for a payment: a card is charged outside the transaction, keyed by the nonce."""
        key = self._nonce_key()
        if nonces.used(self.db, self.ctx, key):
            raise AlreadySubmitted("This was already submitted.")

        def run(tx: Tx, charge: Charge | None) -> T:
            nonces.claim(tx, key=key, path=self.request.url.path)
            return use_case(tx, charge)

        try:
            return payments.with_card_charge(
                self.db,
                self.ctx,
                method=method,
                amount=amount,
                card_number=card_number,
                idempotency_key=key,
                use_case=run,
            )
        except IntegrityError:
            if nonces.used(self.db, self.ctx, key):
                raise AlreadySubmitted("This was already submitted.") from None
            raise

    def _nonce_key(self) -> str:
        nonce = self.field(NONCE_FIELD)
        if not _NONCE.match(nonce):
            raise ValidationFailed("This form is out of date: reload the page and try again.")
        return f"web:{nonce}"

    # -- answering -------------------------------------------------------------------------
    def context(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "session": self.session,
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

    def render_form(
        self, fragment: str, *, title: str, error: str | None = None, status_code: int = 200, **values: Any
    ) -> Response:
        """A dialog's content for htmx, or the same form as a page of its own without JavaScript."""
        values = {"error": error, "title": title, **values}
        if self.htmx:
            return no_store(
                templates.TemplateResponse(self.request, fragment, self.context(values), status_code=status_code)
            )
        return self.render("form_page.html", status_code=status_code, fragment=fragment, **values)

    def refused(self, fragment: str, err: ClientLedgerError, *, title: str, **values: Any) -> Response:
        """The form again, with the reason it was refused next to it; nothing was changed."""
        status = err.status_code if 400 <= err.status_code < 500 else 422
        message = dollars_in_message(err.message)
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


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _session_from(request: Request) -> tuple[str, Session]:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(expired=False)
    session = resume_session(database(request), token=token, idle=idle_timeout(request))
    if session is None:
        raise LoginRequired(expired=True)
    return token, session


def page(request: Request) -> Web:
    """Dependency of every page: the logged-in staff member, or off to /login."""
    token, session = _session_from(request)
    return Web(request=request, db=database(request), session=session, token=token)


async def read_form(request: Request) -> FormData:
    return await request.form()


def action(request: Request, form: FormData = Depends(read_form)) -> Web:
    """Dependency of every form POST: a live session and this session's CSRF token."""
    token, session = _session_from(request)
    sent = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(sent, str) or not hmac.compare_digest(sent, csrf_token_for(token)):
        raise CsrfRejected("CSRF token missing or wrong")
    return Web(request=request, db=database(request), session=session, token=token, form=form)
