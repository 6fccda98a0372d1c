"""A staff member at the web UI over HTTP (no browser): sign in with a role, send forms, read pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import httpx
from fastapi.testclient import TestClient

from clientledger.auth.sessions import csrf_token_for, start_session
from clientledger.db import Ctx, Database
from tests.api.conftest import Api
from tests.factories import OWNER_PASSWORD, STAFF_PASSWORD, Ledger, a_staff_member

SESSION_COOKIE = "clientledger_session"


@dataclass
class Desk:
    """One staff member signed in to the web UI, and the practice's ledger to build and check with.

    Several desks may share one HTTP client: each request carries this desk's session cookie.
    """

    http: TestClient
    token: str
    ledger: Ledger
    last_text: str = ""
    last_location: str = ""

    def form(self, **fields: str) -> dict[str, str]:
        """A form as a page sends it: this session's CSRF token and a fresh nonce."""
        return {"csrf_token": csrf_token_for(self.token), "nonce": f"desk-{uuid.uuid4().hex}", **fields}

    def post(
        self,
        path: str,
        fields: dict[str, str] | None = None,
        files: dict[str, tuple[str, bytes]] | None = None,
        *,
        htmx: bool = False,
        signed: bool = True,
        follow: bool = False,
    ) -> int:
        """Send a form (``signed``: with CSRF token and nonce); the status, and ``last_text``, ``last_location``."""
        form = self.form(**(fields or {})) if signed else dict(fields or {})
        self.http.cookies.set(SESSION_COOKIE, self.token)
        headers = {"HX-Request": "true"} if htmx else None
        r = self.http.post(path, data=form, files=files, headers=headers, follow_redirects=follow)
        self.last_text = r.text
        self.last_location = r.headers.get("location", "")
        return int(r.status_code)

    def submit(self, path: str, **fields: str) -> str:
        """Submit a form as htmx does; the answer's text (a refused form, or empty after a redirect)."""
        status = self.post(path, fields, htmx=True, follow=True)
        assert status < 500, self.last_text
        return self.last_text

    def get(self, path: str, *, htmx: bool = False) -> httpx.Response:
        self.http.cookies.set(SESSION_COOKIE, self.token)
        response: httpx.Response = self.http.get(path, headers={"HX-Request": "true"} if htmx else None)
        return response

    def page(self, path: str) -> str:
        r = self.get(path)
        assert r.status_code == 200, (path, r.status_code)
        return str(r.text)


def signed_in(owner: Api, db: Database, http: TestClient, role: str = "owner") -> Desk:
    """The owner (or a new staff member with ``role`` in the owner's practice), signed in to the web UI."""
    ledger = Ledger(db, Ctx(practice_id=owner.practice_id))
    email, password = owner.email, OWNER_PASSWORD
    if role != "owner":
        email, password = a_staff_member(ledger, role), STAFF_PASSWORD
    token, _ = start_session(db, email=email, password=password, idle=timedelta(minutes=30))
    return Desk(http=http, token=token, ledger=ledger)
