"""Property-based fuzzing of every operation from ``/openapi.json``: no 5xx, no answer off the schema.

Bounded (a few examples per operation, SQLite only) so the suite stays fast; the point is to
catch inputs nobody thought of, not to load-test.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from clientledger.db import Ctx, Database
from clientledger.models import users
from clientledger.practices.service import ensure_practice_and_owner, find_practice_by_name, issue_token
from tests.conftest import make_database_url

EXAMPLES = int(os.environ.get("CLIENTLEDGER_FUZZ_EXAMPLES", "5"))  # raise it for a deeper run by hand
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    kind = os.environ.get("CLIENTLEDGER_FUZZ_DB", "sqlite")  # "postgres" for a run by hand
    yield from make_database_url(kind, Path(tmp_path_factory.mktemp("fuzz")))


@pytest.fixture(scope="module")
def owner_token(db: Database) -> tuple[str, str]:
    token = ensure_practice_and_owner(
        db, name="Fuzzed Practice", email="fuzz@example.com", password="fuzz-pass-1", ttl=timedelta(days=1)
    )
    row = find_practice_by_name(db, "Fuzzed Practice")
    assert row is not None
    return token, row.id


def test_no_operation_breaks_its_schema_or_the_server(app: FastAPI, db: Database, owner_token: tuple[str, str]) -> None:
    token, practice_id = owner_token
    results = list(schemathesis.openapi.from_asgi("/openapi.json", app).get_all_operations())
    operations = [r.ok() for r in results if isinstance(r, Ok)]
    assert len(operations) == len(results) >= 27
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, functools.partial(_token_for, operation, db, practice_id, token))


def _fuzz(operation: Any, mode: GenerationMode, token: Callable[[], str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token()}"}, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise  # only an operation without inputs has nothing to make invalid


def _token_for(operation: Any, db: Database, practice_id: str, token: str) -> str:
    """Logging out revokes the caller's token: that operation gets a fresh one each time."""
    if not (operation.method.upper() == "DELETE" and operation.path.endswith("/auth/tokens/current")):
        return token
    with db.transaction(Ctx(practice_id=practice_id)) as tx:
        user_id = tx.conn.execute(select(users.c.id).where(users.c.practice_id == practice_id)).scalar_one()
        return issue_token(tx, user_id=user_id, ttl=timedelta(minutes=5))
