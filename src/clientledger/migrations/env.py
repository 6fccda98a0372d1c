"""Alembic environment: migrations are the only way a clientledger schema is made."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from clientledger.models import metadata

config = context.config


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through clientledger.migrate.upgrade()")
run_migrations(connection)
