"""Test databases: every test gets its own SQLite file or PostgreSQL schema, and cleans it up.

PostgreSQL runs where ``CLIENTLEDGER_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it). Under
``CI=true`` a missing or unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from clientledger.db import Database
from clientledger.migrate import upgrade
from tests.factories import Ledger, new_practice

PG_URL = os.environ.get("CLIENTLEDGER_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"

__all__ = ["DB_KINDS", "make_database_url", "new_practice"]  # new_practice lives in tests.factories


def _postgres_or_skip() -> str:
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but CLIENTLEDGER_TEST_POSTGRES_URL is not set")
        pytest.skip("PostgreSQL tests need CLIENTLEDGER_TEST_POSTGRES_URL")
    return PG_URL


def _with_schema(url: str, schema: str) -> str:
    u = make_url(url)
    return u.set(query={**u.query, "options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def make_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    base = _postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable at {base}: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    try:
        yield _with_schema(base, schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


DB_KINDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DB_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from make_database_url(request.param, tmp_path)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade(database)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def ledger(db: Database) -> Ledger:
    return Ledger(db, new_practice(db))
