"""The billing desk: the practice's time zone and payer ids, staff names, bill numbers, open bills.

- ``users.name``: how the pages name a staff member (an object's History); the email if none.
- ``practices.time_zone`` (IANA name, existing practices get ``America/New_York``), ``npi`` and
  ``tax_id`` (what a superbill names the practice by).
- ``bills.number``: 1, 2, 3... per practice in creation order (existing bills are numbered by
  ``(created_at, id)``), unique in the practice; ``bill_numbers`` holds each practice's last one.
- ``clients.name_key``: the name folded (case and accents aside, ``kit.names``) that the client
  list sorts and searches by, with its index.
- ``ix_bills_open``: the practice's open bills (aging), oldest first.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from clientledger.kit.names import name_key

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_NUMBER_BILLS = """
UPDATE bills SET number = numbered.n
FROM (
    SELECT practice_id, id, ROW_NUMBER() OVER (PARTITION BY practice_id ORDER BY created_at, id) AS n
    FROM bills
) AS numbered
WHERE numbered.practice_id = bills.practice_id AND numbered.id = bills.id
"""
_LAST_NUMBERS = """
INSERT INTO bill_numbers (practice_id, last_number)
SELECT practice_id, MAX(number) FROM bills GROUP BY practice_id
"""
_OPEN = sa.text("status = 'open'")


def _fold_client_names() -> None:
    """Each client's ``name_key``, computed as new clients get it (in Python, for every database)."""
    op.add_column("clients", sa.Column("name_key", sa.String(length=400), nullable=True))
    conn = op.get_bind()
    clients = sa.table("clients", sa.column("practice_id"), sa.column("id"), sa.column("name"), sa.column("name_key"))
    rows = conn.execute(sa.select(clients.c.practice_id, clients.c.id, clients.c.name)).all()
    update = (
        sa.update(clients)
        .where(clients.c.practice_id == sa.bindparam("p"), clients.c.id == sa.bindparam("i"))
        .values(name_key=sa.bindparam("k"))
    )
    for at in range(0, len(rows), 1000):
        chunk = rows[at : at + 1000]
        conn.execute(update, [{"p": p, "i": i, "k": name_key(name)} for p, i, name in chunk])
    with op.batch_alter_table("clients") as batch:
        batch.alter_column("name_key", existing_type=sa.String(length=400), nullable=False)
    op.create_index("ix_clients_practice_name_key", "clients", ["practice_id", "name_key", "id"], unique=False)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.text("SET CONSTRAINTS ALL IMMEDIATE"))  # see 0007
    with op.batch_alter_table("practices") as batch:
        batch.add_column(
            sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="America/New_York")
        )
        batch.add_column(sa.Column("npi", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("tax_id", sa.String(length=10), nullable=True))
    op.add_column("users", sa.Column("name", sa.String(length=200), nullable=True))
    _fold_client_names()
    op.add_column("bills", sa.Column("number", sa.BigInteger(), nullable=True))
    op.execute(sa.text(_NUMBER_BILLS))
    with op.batch_alter_table("bills") as batch:
        batch.alter_column("number", existing_type=sa.BigInteger(), nullable=False)
        batch.create_unique_constraint("uq_bills_practice_number", ["practice_id", "number"])
    op.create_table(
        "bill_numbers",
        sa.Column("practice_id", sa.String(length=32), nullable=False),
        sa.Column("last_number", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["practice_id"], ["practices.id"], name=op.f("fk_bill_numbers_practice_id_practices")),
        sa.PrimaryKeyConstraint("practice_id", name=op.f("pk_bill_numbers")),
    )
    op.execute(sa.text(_LAST_NUMBERS))
    op.create_index(
        "ix_bills_open",
        "bills",
        ["practice_id", "created_at", "id"],
        unique=False,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_bills_open", table_name="bills")
    op.drop_index("ix_clients_practice_name_key", table_name="clients")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("name_key")
    op.drop_table("bill_numbers")
    with op.batch_alter_table("bills") as batch:
        batch.drop_constraint("uq_bills_practice_number", type_="unique")
        batch.drop_column("number")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("name")
    with op.batch_alter_table("practices") as batch:
        batch.drop_column("tax_id")
        batch.drop_column("npi")
        batch.drop_column("time_zone")
