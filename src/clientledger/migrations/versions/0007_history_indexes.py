"""reads flat in history: indexes for a client's reads, and each client's credit balance per day

A client's credit history and bills, a bill's items, lines and draws, a journal range and a page
of entries' postings each get an index leading with ``practice_id``; open lots get a partial index
(``remaining > 0``) so spending credit never reads spent lots. ``client_credit_days`` holds each client's credit
balance at the end of every day its credit moved, so the credit-balances report as of any day is
one index seek per client; existing journals fill it here.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_INDEXES = (
    ("bills", "ix_bills_practice_client", ["practice_id", "client_id", "id"]),
    ("bill_items", "ix_bill_items_practice_bill", ["practice_id", "bill_id"]),
    ("bill_lines", "ix_bill_lines_practice_bill", ["practice_id", "bill_id"]),
    ("journal_entries", "ix_journal_entries_practice_created", ["practice_id", "created_at"]),
    ("postings", "ix_postings_practice_client", ["practice_id", "client_id", "account"]),
)

# Per client and day, minus the running sum of its client_credit postings (credit is a liability).
_BACKFILL = """
INSERT INTO client_credit_days (practice_id, client_id, day, credit_balance)
SELECT practice_id, client_id, day,
       -SUM(moved) OVER (PARTITION BY practice_id, client_id ORDER BY day)
FROM (
    SELECT p.practice_id, p.client_id, date(e.created_at) AS day, SUM(p.amount) AS moved
    FROM postings p JOIN journal_entries e ON e.id = p.entry_id AND e.practice_id = p.practice_id
    WHERE p.account = 'client_credit' AND p.client_id IS NOT NULL
    GROUP BY p.practice_id, p.client_id, date(e.created_at)
) AS per_day
"""


# Indexes the ones above or 0006's keys make redundant (a line's draws are found by
# uq_line_lots_line_lot, practice_id first): each costs every write.
_REDUNDANT = (
    ("bills", "ix_bills_client", ["client_id"]),
    ("bill_items", "ix_bill_items_bill", ["bill_id"]),
    ("bill_lines", "ix_bill_lines_bill", ["bill_id"]),
    ("postings", "ix_postings_entry", ["entry_id"]),
    ("journal_entries", "ix_journal_entries_practice", ["practice_id", "id"]),
    ("clients", "ix_clients_practice_created", ["practice_id", "id"]),
)


_CUSTOM_PLAN = "ALTER FUNCTION clientledger_check_entry_balanced() SET plan_cache_mode = force_custom_plan"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Rows an earlier migration of this run rewrote have deferred balance checks pending, and
        # PostgreSQL alters no table with pending trigger events: run those checks now.
        op.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))
        # The deferred balance check sums its entry's postings. A plan cached while the table was
        # small may read the practice's postings through another index and keep doing so as the
        # journal grows (a bill got slower with every bill): plan it for the entry each time.
        op.execute(sa.text(_CUSTOM_PLAN))
    for table, name, columns in _INDEXES:
        op.create_index(name, table, columns, unique=False)
    for table, name, _ in _REDUNDANT:
        op.drop_index(name, table_name=table)
    op.create_index(
        "ix_credit_lots_open",
        "credit_lots",
        ["practice_id", "client_id", "id"],
        unique=False,
        sqlite_where=sa.text("remaining > 0"),
        postgresql_where=sa.text("remaining > 0"),
    )
    op.create_table(
        "client_credit_days",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("credit_balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("credit_balance >= 0", name=op.f("ck_client_credit_days_credit_nonneg")),
        sa.ForeignKeyConstraint(
            ["practice_id", "client_id"],
            ["clients.practice_id", "clients.id"],
            name=op.f("fk_client_credit_days_practice_id_clients"),
        ),
        sa.ForeignKeyConstraint(
            ["practice_id"], ["practices.id"], name=op.f("fk_client_credit_days_practice_id_practices")
        ),
        sa.PrimaryKeyConstraint("practice_id", "client_id", "day", name=op.f("pk_client_credit_days")),
    )
    op.execute(sa.text(_BACKFILL))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("ALTER FUNCTION clientledger_check_entry_balanced() RESET plan_cache_mode"))
    op.drop_table("client_credit_days")
    op.drop_index("ix_credit_lots_open", table_name="credit_lots")
    for table, name, columns in _REDUNDANT:
        op.create_index(name, table, columns, unique=False)
    for table, name, _ in reversed(_INDEXES):
        op.drop_index(name, table_name=table)
