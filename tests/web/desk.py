"""A staff member at the web UI over HTTP (no browser): sign in with a role, send forms, read pages."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from fastapi.testclient import TestClient

from clientledger.auth.sessions import csrf_token_for, start_session
from clientledger.db import Ctx, Database
from clientledger.practices import service as practices
from clientledger.practices.schemas import UserCreate
from tests.api.conftest import Api
from tests.factories import Ledger

SESSION_COOKIE = "clientledger_session"


@dataclass
class Desk:
    """One staff member signed in to the web UI, and the practice's ledger to build and check with."""

    http: TestClient
    token: str
    ledger: Ledger
    last_text: str = ""
    last_location: str = ""

    def post(self, path: str, fields: dict[str, str], files: dict[str, tuple[str, bytes]] | None = None) -> int:
        form = {"csrf_token": csrf_token_for(self.token), "nonce": f"roles-{uuid.uuid4().hex}", **fields}
        self.http.cookies.set(SESSION_COOKIE, self.token)
        r = self.http.post(path, data=form, files=files, follow_redirects=False)
        self.last_text = r.text
        self.last_location = r.headers.get("location", "")
        return int(r.status_code)

    def page(self, path: str) -> str:
        self.http.cookies.set(SESSION_COOKIE, self.token)
        r = self.http.get(path)
        assert r.status_code == 200, (path, r.status_code)
        return str(r.text)


def signed_in(owner: Api, db: Database, http: TestClient, role: str) -> Desk:
    ledger = Ledger(db, Ctx(practice_id=owner.practice_id))
    email = owner.email
    if role != "owner":
        email = f"{role}-{uuid.uuid4().hex[:8]}@example.com"
        ledger.do(practices.create_user, data=UserCreate(email=email, password="staff-pass-1", role=role))  # type: ignore[arg-type]
    password = "owner-pass-1" if role == "owner" else "staff-pass-1"
    token, _ = start_session(db, email=email, password=password, idle=timedelta(minutes=30))
    return Desk(http=http, token=token, ledger=ledger)
