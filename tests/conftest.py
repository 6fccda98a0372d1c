"""Test databases: every test gets its own SQLite file or PostgreSQL schema, and cleans it up.

PostgreSQL runs where ``CLIENTLEDGER_TEST_POSTGRES_URL`` is set (``.ci/run`` sets it). Under
``CI=true`` a missing or unreachable PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import pytest
from alembic import command as alembic_command
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from clientledger.db import Database
from clientledger.kit import secrets as server_secrets
from clientledger.migrate import upgrade
from clientledger.models import TENANT_TABLES, metadata
from tests.factories import Ledger, new_practice
from tests.support.tenant_scope import Unscoped, unscoped_tables

PG_URL = os.environ.get("CLIENTLEDGER_TEST_POSTGRES_URL")
IN_CI = os.environ.get("CI", "").lower() == "true"

pytest_plugins = ["pytester"]  # tests/integration/test_tenant_keys.py runs the statement check on a test

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

TEST_SERVER_KEY = "test-server-key-0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="session", autouse=True)
def server_key_and_no_dns() -> Iterator[None]:
    """The server key from the environment (so no key file is written, and ``serve`` processes the
    tests start inherit it), and no real name lookup: webhook URLs in tests are IP literals, or names
    a test's own resolver knows."""
    from clientledger.webhooks import urls

    def no_dns(host: str, port: int) -> list[str]:
        raise OSError(f"tests look up no names ({host!r})")

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(server_secrets.KEY_ENV, TEST_SERVER_KEY)
        mp.setattr(urls, "system_resolver", no_dns)
        yield


@pytest.fixture(params=DB_KINDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from make_database_url(request.param, tmp_path)


_sqlite_template: list[Path] = []


def _migrated_sqlite_file() -> Path:
    """One SQLite file per test process migrated to head, for each test's new database to copy."""
    if not _sqlite_template:
        path = Path(tempfile.mkdtemp(prefix="clientledger-schema-")) / "head.db"
        template = Database(f"sqlite:///{path}")
        upgrade(template)
        template.dispose()  # the last connection to close checkpoints the WAL into the file
        assert not path.with_name("head.db-wal").exists()
        _sqlite_template.append(path)
    return _sqlite_template[0]


def fresh_schema(database: Database) -> None:
    """``upgrade(database)`` for a database nothing has touched yet; on SQLite, a copy of a file
    migrated once per process (the same migrations, run once instead of once per test)."""
    target = database.engine.url.database
    if database.dialect == "sqlite" and target and not Path(target).exists():
        shutil.copyfile(_migrated_sqlite_file(), target)
    else:
        upgrade(database)


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    fresh_schema(database)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def ledger(db: Database) -> Ledger:
    return Ledger(db, new_practice(db))


# Every statement the suite sends against a tenant table must be scoped to one practice
# (tests/support/tenant_scope.py says what that means). Migrations are exempt: they rewrite whole
# tables by design. Statements sent by a server in another process are not seen here.
_TENANT_TABLES = frozenset(t.name for t in metadata.tables.values() if t.name in TENANT_TABLES)
_verdicts: dict[tuple[str, str], list[Unscoped]] = {}
_unscoped: list[str] = []
_unscoped_lock = threading.Lock()
_migrating: ContextVar[bool] = ContextVar("clientledger_migrating", default=False)


def _exempt_while_migrating(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        token = _migrating.set(True)
        try:
            return command(*args, **kwargs)
        finally:
            _migrating.reset(token)

    return run


alembic_command.upgrade = _exempt_while_migrating(alembic_command.upgrade)
alembic_command.downgrade = _exempt_while_migrating(alembic_command.downgrade)


@event.listens_for(Engine, "before_cursor_execute")
def _check_scope(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if _migrating.get():
        return
    key = (conn.dialect.name, statement)
    verdict = _verdicts.get(key)
    if verdict is None:
        verdict = unscoped_tables(statement, dialect=conn.dialect.name, tenant_tables=_TENANT_TABLES)
        _verdicts[key] = verdict
    if verdict:
        reasons = "; ".join(f"{u.table}: {u.reason}" for u in verdict)
        with _unscoped_lock:
            _unscoped.append(f"{reasons}\n    {' '.join(statement.split())}")


@pytest.fixture
def unwatched() -> Iterator[None]:
    """No suite-wide statement check for this test: with nobody listening, the lean path sends its
    statements straight to the driver (and pipelines PostgreSQL's reads), as it does in production."""
    event.remove(Engine, "before_cursor_execute", _check_scope)
    try:
        yield
    finally:
        event.listen(Engine, "before_cursor_execute", _check_scope)


@pytest.fixture(autouse=True)
def every_statement_scoped_by_practice() -> Iterator[None]:
    with _unscoped_lock:
        _unscoped.clear()
    yield
    with _unscoped_lock:
        found = list(dict.fromkeys(_unscoped))
        _unscoped.clear()
    if found:
        pytest.fail("statements not scoped by practice_id:\n" + "\n".join(found), pytrace=False)
