"""insurance_due on bills and bill items: what payers still owe, and the status that depends on it

A bill's status is about the client's part: a bill whose client part is 0 is paid only once the
payers have settled. The projection keeps ``insurance_due`` as the net ``ar:insurance`` of the bill
and of each item; existing rows get it from the journal, and their status is decided again.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _column(table: str, check: str) -> sa.Column[int]:
    # A column-level CHECK goes with ADD COLUMN on both databases: SQLite needs no table rebuild.
    return sa.Column(
        "insurance_due",
        sa.BigInteger(),
        sa.CheckConstraint("insurance_due >= 0", name=op.f(f"ck_{table}_{check}")),
        nullable=False,
        server_default="0",
    )


_TABLES = (("bills", "bill_id", "insurance_due_nonneg"), ("bill_items", "item_id", "ins_due_nonneg"))


def upgrade() -> None:
    for table, key, check in _TABLES:
        op.add_column(table, _column(table, check))
        op.execute(
            sa.text(
                f"UPDATE {table} SET insurance_due = COALESCE((SELECT SUM(p.amount) FROM postings p "
                f"WHERE p.account = 'ar:insurance' AND p.{key} = {table}.id), 0)"
            )
        )
    op.execute(
        sa.text(
            "UPDATE bills SET status = CASE WHEN status = 'void' THEN 'void' "
            "WHEN balance_due = 0 AND (client_responsibility > 0 OR insurance_due = 0) THEN 'paid' "
            "ELSE 'open' END"
        )
    )


def downgrade() -> None:
    op.execute(sa.text("UPDATE bills SET status = 'paid' WHERE status = 'open' AND balance_due = 0"))
    for table, _, _ in reversed(_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("insurance_due")
