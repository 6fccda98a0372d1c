"""Journal pages and removed-credit history seek what they show.

A journal page of a date range is read oldest first by ``(created_at, id)`` along
``ix_journal_entries_practice_created_id``, so a page of today's entries never walks the
practice's older entries (PostgreSQL read the whole key in id order, filtering dates, once the
journal held 400k entries). Entries that remove a credit line get a partial index by client, so a
client's credit history finds its removals without scanning the practice's entries for a rare kind.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_REMOVED = sa.text("kind = 'credit_line_removed'")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))  # see 0007
    op.create_index(
        "ix_journal_entries_practice_created_id", "journal_entries", ["practice_id", "created_at", "id"], unique=False
    )
    op.drop_index("ix_journal_entries_practice_created", table_name="journal_entries")
    op.create_index(
        "ix_journal_entries_removals",
        "journal_entries",
        ["practice_id", "client_id", "id"],
        unique=False,
        sqlite_where=_REMOVED,
        postgresql_where=_REMOVED,
    )


def downgrade() -> None:
    op.drop_index("ix_journal_entries_removals", table_name="journal_entries")
    op.create_index(
        "ix_journal_entries_practice_created", "journal_entries", ["practice_id", "created_at"], unique=False
    )
    op.drop_index("ix_journal_entries_practice_created_id", table_name="journal_entries")
