"""Failed logins are limited per email however many arrive at once, in every worker process.

After 5 failures in 15 minutes every login for that email is 429, the right password included,
until the window passes; at most 5 passwords are ever checked in a window.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from clientledger.auth import service as auth
from clientledger.auth.service import MAX_FAILED_LOGINS
from clientledger.db import Database
from clientledger.kit.errors import RateLimited, Unauthorized
from clientledger.models import login_attempts
from tests.api.conftest import API, new_owner
from tests.support.server import running_server

GUESSES = 30
PASSWORD = "owner-pass-1"


def _at_once(calls: list[Callable[[], int]]) -> Counter[int]:
    """Run every call in its own thread, all released together; count the statuses they return."""
    barrier = threading.Barrier(len(calls), timeout=10)

    def fire(call: Callable[[], int]) -> int:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return Counter(pool.map(fire, calls))


def _service_login(db: Database, email: str, password: str) -> int:
    try:
        auth.login(db, email=email, password=password, ttl=timedelta(hours=1))
    except Unauthorized:
        return 401
    except RateLimited:
        return 429
    return 201


def _age_failures(db: Database, email: str, by: timedelta) -> None:
    """Move the email's recorded failures ``by`` into the past, as if that much time had gone by."""
    with db.engine.begin() as conn:  # computed here: SQLite stores datetimes as text
        rows = conn.execute(
            select(login_attempts.c.id, login_attempts.c.created_at).where(login_attempts.c.email == email)
        )
        for attempt_id, created_at in list(rows):
            conn.execute(
                update(login_attempts).where(login_attempts.c.id == attempt_id).values(created_at=created_at - by)
            )


def test_thirty_guesses_at_once_check_at_most_five_passwords(http: TestClient, db: Database) -> None:
    email = new_owner(http, db).email
    statuses = _at_once([partial(_service_login, db, email, f"guess-{i}") for i in range(GUESSES)])

    assert statuses == Counter({401: MAX_FAILED_LOGINS, 429: GUESSES - MAX_FAILED_LOGINS})
    assert _service_login(db, email, PASSWORD) == 429  # the right password too

    _age_failures(db, email, timedelta(minutes=14))
    assert _service_login(db, email, PASSWORD) == 429  # still inside the window
    _age_failures(db, email, timedelta(minutes=2))
    assert _service_login(db, email, PASSWORD) == 201  # the window has passed


def test_the_right_password_within_the_limit_logs_in_and_clears_failures(http: TestClient, db: Database) -> None:
    email = new_owner(http, db).email
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert _service_login(db, email, "wrong-password") == 401
    assert _service_login(db, email, PASSWORD) == 201  # the last allowed attempt, and the right one

    for _ in range(MAX_FAILED_LOGINS):  # the earlier failures and the login itself no longer count
        assert _service_login(db, email, "wrong-password") == 401
    assert _service_login(db, email, PASSWORD) == 429


def test_the_right_password_among_concurrent_guesses_is_not_locked_out_by_them(http: TestClient, db: Database) -> None:
    email = new_owner(http, db).email
    calls = [partial(_service_login, db, email, "wrong-password") for _ in range(MAX_FAILED_LOGINS - 1)]
    statuses = _at_once([*calls, partial(_service_login, db, email, PASSWORD)])
    assert statuses == Counter({401: MAX_FAILED_LOGINS - 1, 201: 1})


def test_the_web_login_is_refused_once_the_api_guesses_lock_the_email(http: TestClient, db: Database) -> None:
    email = new_owner(http, db).email

    def api_guess(i: int) -> int:
        return int(http.post(f"{API}/auth/tokens", json={"email": email, "password": f"guess-{i}"}).status_code)

    statuses = _at_once([partial(api_guess, i) for i in range(GUESSES)])
    assert statuses == Counter({401: MAX_FAILED_LOGINS, 429: GUESSES - MAX_FAILED_LOGINS})

    http.get("/login")
    csrf = http.cookies.get("clientledger_login_csrf", path="/login")
    r = http.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": csrf, "next": "/clients"},
        follow_redirects=False,
    )
    assert r.status_code == 429 and "Too many failed logins" in r.text


@pytest.fixture(scope="module")
def server(db: Database, database_url: str) -> Iterator[str]:
    with running_server(database_url, workers=2) as base:
        yield base


def test_thirty_guesses_at_once_across_two_workers_check_at_most_five(
    server: str, http: TestClient, db: Database
) -> None:
    email = new_owner(http, db).email
    with httpx.Client(base_url=server + API, timeout=10) as client:

        def api_login(password: str) -> int:
            return client.post("/auth/tokens", json={"email": email, "password": password}).status_code

        statuses = _at_once([partial(api_login, f"guess-{i}") for i in range(GUESSES)])
        assert statuses == Counter({401: MAX_FAILED_LOGINS, 429: GUESSES - MAX_FAILED_LOGINS})  # no 5xx
        assert api_login(PASSWORD) == 429

        _age_failures(db, email, timedelta(minutes=16))
        assert api_login(PASSWORD) == 201
