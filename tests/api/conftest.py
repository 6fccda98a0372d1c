"""HTTP tests: the app from ``create_app`` on the per-test database (SQLite file or PostgreSQL schema)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from clientledger.accounting.verify import verify
from clientledger.auth import passwords
from clientledger.db import Ctx, Database
from clientledger.main import create_app
from clientledger.migrate import upgrade
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name
from tests.conftest import DB_KINDS, make_database_url
from tests.factories import Ledger

API = "/api/v1"
_names = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """Production argon2 settings cost ~0.2 s per hash; the API tests hash dozens of passwords."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        yield


@pytest.fixture(scope="module", params=DB_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One database per test module and kind; each test works in a practice of its own.

    Every query is scoped by practice, so tests stay independent while paying for the schema,
    the migrations and the app once per module instead of once per test.
    """
    yield from make_database_url(request.param, tmp_path_factory.mktemp("api-db"))


@pytest.fixture(scope="module")
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(scope="module")
def app(db: Database, database_url: str) -> Iterator[FastAPI]:
    application = create_app(database_url)
    yield application
    application.state.runner.db.dispose()


@pytest.fixture(scope="module")
def http(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@dataclass
class Api:
    """One signed-in user talking to the API; the helpers read as the steps a biller takes."""

    http: TestClient
    token: str
    practice_id: str
    email: str = ""

    def headers(self, key: str | None = None, **extra: str) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}", **extra}
        if key is not None:
            h["Idempotency-Key"] = key
        return h

    def call(
        self, method: str, path: str, body: Any = None, *, key: str | None = None, expect: int | None = None
    ) -> Any:
        r = self.http.request(method, API + path, json=body, headers=self.headers(key))
        if expect is not None:
            assert r.status_code == expect, (method, path, r.status_code, r.text)
        return r.json() if r.content else None

    def get(self, path: str, *, expect: int | None = 200) -> Any:
        return self.call("GET", path, expect=expect)

    def post(self, path: str, body: Any = None, *, key: str | None = None, expect: int | None = None) -> Any:
        return self.call("POST", path, body, key=key, expect=expect)

    def client(self, name: str = "Ada Client", **fields: Any) -> Any:
        return self.post("/clients", {"name": name, **fields}, expect=201)

    def appointment(self, client_id: str, fee: int = 15000, date: str = "2026-11-02") -> Any:
        body = {"client_id": client_id, "date": date, "service_code": "90834", "fee": fee}
        return self.post("/appointments", body, expect=201)

    def bill(self, client_id: str, appointment_ids: list[str], **fields: Any) -> Any:
        return self.post("/bills", {"client_id": client_id, "appointment_ids": appointment_ids, **fields}, expect=201)

    def session_bill(self, client_id: str, fee: int = 15000, **fields: Any) -> Any:
        return self.bill(client_id, [self.appointment(client_id, fee)["id"]], **fields)

    def pay(self, bill_id: str, type: str, amount: int, **fields: Any) -> Any:
        return self.post(f"/bills/{bill_id}/payments", {"type": type, "amount": amount, **fields}, expect=201)

    def prepay(self, client_id: str, type: str, amount: int, **fields: Any) -> Any:
        return self.post(f"/clients/{client_id}/payments", {"type": type, "amount": amount, **fields}, expect=201)

    def credit_balance(self, client_id: str) -> int:
        return int(self.get(f"/clients/{client_id}")["credit_balance"])

    def login_as(self, role: str) -> Api:
        """A new staff member with ``role`` in this practice, signed in through the API."""
        email = f"{role}{next(_names)}@{self.practice_id.lower()}.example.com"
        self.post("/users", {"email": email, "password": "staff-pass-1", "role": role}, expect=201)
        r = self.http.post(f"{API}/auth/tokens", json={"email": email, "password": "staff-pass-1"})
        assert r.status_code == 201, r.text
        return Api(self.http, r.json()["token"], self.practice_id, email)


def new_owner(http: TestClient, db: Database, name: str | None = None, email: str | None = None) -> Api:
    """A new practice and its owner (as ``clientledger init`` makes them), signed in."""
    n = next(_names)
    name = name or f"Practice {n}"
    email = email or f"owner{n}@example.com"
    token = ensure_practice_and_owner(db, name=name, email=email, password="owner-pass-1", ttl=timedelta(days=1))
    row = find_practice_by_name(db, name)
    assert row is not None
    return Api(http, token, row.id, email)


@pytest.fixture
def owner(http: TestClient, db: Database) -> Api:
    return new_owner(http, db)


@pytest.fixture
def ledger(owner: Api, db: Database, app: FastAPI) -> Ledger:
    """The owner's practice driven through the runner, for set-up that is not the HTTP step under test."""
    return Ledger(db, Ctx(practice_id=owner.practice_id), processor=app.state.runner.processor)


def ledger_problems(db: Database) -> list[str]:
    with db.engine.connect() as conn:
        return verify(conn)
