"""The tables the code uses are exactly the tables the migrations make, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from clientledger.db import Database
from clientledger.models import metadata


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
