"""A client's appointments are read newest first along one practice-first index.

The client page lists a client's appointments by ``(date, id)`` descending, a page at a time. The
index on ``client_id`` alone (from 0001) left PostgreSQL to sort, and, when a few clients hold
most of the rows, to estimate that any client has hundreds of them and scan the table instead (17
ms a page once the practice held 200k appointments). ``(practice_id, client_id, date, id)`` hands
the page over in order, so it stops at its limit.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))  # see 0007
    op.create_index(
        "ix_appointments_practice_client_date",
        "appointments",
        ["practice_id", "client_id", "date", "id"],
        unique=False,
    )
    op.drop_index("ix_appointments_client", table_name="appointments")


def downgrade() -> None:
    op.create_index("ix_appointments_client", "appointments", ["client_id"], unique=False)
    op.drop_index("ix_appointments_practice_client_date", table_name="appointments")
