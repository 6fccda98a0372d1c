"""A staff member signed in to the web UI (session cookie and CSRF token), for web tests without a browser."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient

from clientledger.auth.sessions import csrf_token_for, start_session
from clientledger.db import Ctx, Database
from tests.api.conftest import Api
from tests.factories import Ledger

SESSION_COOKIE = "clientledger_session"
_nonces = itertools.count(1)


@dataclass
class Staff:
    http: TestClient
    csrf: str
    ledger: Ledger

    def form(self, **fields: str) -> dict[str, str]:
        """A form as a page sends it: this session's CSRF token and a fresh nonce."""
        return {"csrf_token": self.csrf, "nonce": f"test-nonce-{next(_nonces):08d}-web-staff", **fields}

    def post(self, path: str, **fields: str) -> str:
        """Submit a form as htmx does; the answer's text (a refused form, or empty after a redirect)."""
        r = self.http.post(path, data=self.form(**fields), headers={"HX-Request": "true"})
        assert r.status_code < 500, r.text
        return str(r.text)

    def page(self, path: str) -> str:
        r = self.http.get(path)
        assert r.status_code == 200, (path, r.status_code)
        return str(r.text)


def sign_in(owner: Api, db: Database, http: TestClient) -> Staff:
    token, _ = start_session(db, email=owner.email, password="owner-pass-1", idle=timedelta(minutes=30))
    http.cookies.set(SESSION_COOKIE, token)
    return Staff(http=http, csrf=csrf_token_for(token), ledger=Ledger(db, Ctx(practice_id=owner.practice_id)))
